"""Backbones and their cost: the zoo of classic vision architectures, and parameter / MAC counts for zoo
models and for custom layer lists.

Everything is counted on the meta device (no weights are allocated) with torch's ``FlopCounterMode``; see
:data:`CONVENTION`. The zoo lives in :mod:`tools.complexity.zoo.registry`; torch and torchvision load on first
use.
"""

from functools import lru_cache
from typing import Annotated

from pydantic import ConfigDict, Field, TypeAdapter

from tools._common import PlotResult, ResultModel, render_png, report_progress
from tools.complexity.zoo.custom import MAX_DIM, MAX_LAYERS, Layer
from tools.complexity.zoo.registry import (
    ARCHITECTURES,
    Architecture,
    architecture_names,
    build_architecture,
    check_input_size,
    resolve_architecture,
)

__all__ = [
    "CONVENTION",
    "ArchitectureInfo",
    "ArchitectureList",
    "CompareModelsResult",
    "ComparedModel",
    "CustomLayerRow",
    "CustomNetworkResult",
    "LayerRow",
    "ModelComplexityResult",
    "architecture_names",
    "compare_models",
    "custom_network_complexity",
    "list_architectures",
    "model_complexity",
]

CONVENTION = (
    "MACs = multiply-accumulates of convolutions, matmuls / linear layers and attention; FLOPs = 2·MACs. "
    "BatchNorm, activations, pooling, bias adds and other elementwise ops count 0 (torch FlopCounterMode; "
    "torchvision's documented 'GFLOPS' are GMACs in this convention)."
)

_MIB = 2**20
_LAYER_LIST = TypeAdapter(list[Layer])
_MAX_INPUT = 1024


class ArchitectureInfo(ResultModel):
    """One zoo entry."""

    name: str = Field(
        description="Canonical name; pass it (or any case/separator variant) to the other tools."
    )
    family: str = Field(description="Design family.")
    year: int = Field(description="Year the design first appeared.")
    input_shape: tuple[int, int, int] = Field(description="Documented input [channels, height, width].")
    key_idea: str = Field(description="What the design contributed.")
    paper: str = Field(description="The paper that introduced it.")
    source: str = Field(description="Where the network definition comes from (torchvision or protoplay).")
    variant: str | None = Field(description="How the built network differs from the paper's, if it does.")


class ArchitectureList(ResultModel):
    """The zoo, oldest family first."""

    architectures: list[ArchitectureInfo] = Field(description="Every zoo entry.")
    convention: str = Field(description="How MACs and FLOPs are counted by the complexity tools.")


class LayerRow(ResultModel):
    """One row of a per-layer table. Rows sum to the model's params and MACs."""

    model_config = ConfigDict(frozen=True)

    path: str = Field(description="Module path in the model ('(model)' for the model's own parameters).")
    type: str = Field(description="Module class.")
    output_shape: tuple[int, ...] = Field(description="Output shape, batch first.")
    params: int = Field(description="Parameters the module owns (not counted in another row).")
    macs: int = Field(description="MACs of ops the module runs itself (not in a child row).")


class ModelComplexityResult(ResultModel):
    """Size and cost of one zoo model at one input size."""

    model: str = Field(description="Canonical zoo name.")
    source: str = Field(description="Where the network definition comes from.")
    input_shape: tuple[int, ...] = Field(description="Input counted: [batch, channels, height, width].")
    params: int = Field(description="All parameters.")
    trainable_params: int = Field(description="Parameters that train (requires_grad).")
    macs: int = Field(description="Multiply-accumulates for the whole batch (see convention).")
    flops: int = Field(description="2·MACs.")
    gmacs: float = Field(description="MACs / 1e9 (torchvision calls this number GFLOPS).")
    gflops: float = Field(description="FLOPs / 1e9.")
    weight_memory_fp32_mib: float = Field(description="Parameters × 4 bytes, in MiB (2^20 bytes).")
    weight_memory_fp16_mib: float = Field(description="Parameters × 2 bytes, in MiB.")
    weight_memory_int8_mib: float = Field(description="Parameters × 1 byte, in MiB.")
    convention: str = Field(description="How MACs and FLOPs are counted.")
    reference: str | None = Field(description="Published figures for this network at its documented size.")
    note: str | None = Field(
        default=None, description="Anything that makes these numbers differ from the reference."
    )
    layers: tuple[LayerRow, ...] | None = Field(
        default=None,
        description="Per-layer table (when per_layer): modules that own params or MACs or change the shape.",
    )


class ComparedModel(ResultModel):
    """One model of a comparison."""

    name: str = Field(description="Canonical zoo name.")
    input_shape: tuple[int, ...] = Field(description="Input counted: [1, channels, height, width].")
    params: int = Field(description="All parameters.")
    macs: int = Field(description="Multiply-accumulates for one image.")
    gmacs: float = Field(description="MACs / 1e9.")
    on_pareto_front: bool = Field(description="No other model has both fewer (or equal) params and MACs.")


class CompareModelsResult(PlotResult):
    """A side-by-side table of zoo models, with the Pareto front of parameters vs MACs."""

    models: list[ComparedModel] = Field(description="One row per distinct model, in the order asked.")
    pareto_front: list[str] = Field(
        description="Models no other beats on both params and MACs, fewest params first."
    )
    convention: str = Field(description="How MACs are counted.")


class CustomLayerRow(ResultModel):
    """One layer of a custom network."""

    index: int = Field(description="Position in the layer list.")
    type: str = Field(description="The layer's type, as given.")
    output_shape: tuple[int, ...] = Field(description="Output shape without batch.")
    params: int = Field(description="Parameters of the layer.")
    macs: int = Field(description="MACs of the layer for one example.")


class CustomNetworkResult(ResultModel):
    """Shapes, parameters and MACs of a custom layer list."""

    input_shape: tuple[int, ...] = Field(description="Input shape without batch.")
    output_shape: tuple[int, ...] = Field(description="Output shape without batch.")
    params: int = Field(description="All parameters.")
    macs: int = Field(description="MACs for one example (see convention).")
    flops: int = Field(description="2·MACs.")
    weight_memory_fp32_mib: float = Field(description="Parameters × 4 bytes, in MiB.")
    layers: list[CustomLayerRow] = Field(description="One row per layer, in order.")
    convention: str = Field(description="How MACs and FLOPs are counted.")


def _memory(params: int) -> dict[str, float]:
    return {
        f"weight_memory_{dtype}_mib": round(params * size / _MIB, 3)
        for dtype, size in (("fp32", 4), ("fp16", 2), ("int8", 1))
    }


def list_architectures() -> ArchitectureList:
    """List the backbone zoo: every architecture with family, year, input size and key idea (经典骨干网络).

    Covers LeNet-5, AlexNet, VGG11/13/16/19, GoogLeNet, ResNet-18…152, DenseNet-121/169, MobileNetV1/V2/V3,
    EfficientNet-B0…B7 and ViT-B/16. Names are accepted by model_complexity and compare_models in any case
    or spelling ("resnet50", "ResNet-50"). No counting happens here; it returns instantly.
    """
    return ArchitectureList(
        architectures=[
            ArchitectureInfo(
                name=arch.name,
                family=arch.family,
                year=arch.year,
                input_shape=(arch.in_channels, arch.input_size, arch.input_size),
                key_idea=arch.key_idea,
                paper=arch.paper,
                source=arch.source,
                variant=arch.variant,
            )
            for arch in ARCHITECTURES
        ],
        convention=CONVENTION,
    )


def _reference(arch: Architecture) -> str | None:
    if arch.reference is not None:
        return arch.reference
    if arch.weights is None:
        return None
    from torchvision.models import get_weight  # the metadata ships with torchvision: nothing is downloaded

    meta = get_weight(arch.weights).meta
    return (
        f"torchvision {arch.weights}: {meta['num_params']:,} parameters, {meta['_ops']} GFLOPS "
        f"(= GMACs here) at {arch.input_size}×{arch.input_size}"
    )


@lru_cache(maxsize=128)
def _zoo_complexity(name: str, input_size: int, batch_size: int, per_layer: bool) -> ModelComplexityResult:
    from tools.complexity.zoo.counting import count_module, meta_device

    arch = resolve_architecture(name)
    with meta_device():
        model = build_architecture(arch, input_size)
    shape = (batch_size, arch.in_channels, input_size, input_size)
    count = count_module(model, shape, per_module=per_layer)
    layers = None
    if per_layer:
        layers = tuple(
            LayerRow(
                path=record.path or "(model)",
                type=record.type_name,
                output_shape=record.output_shape or (),
                params=record.params,
                macs=record.macs,
            )
            for record in count.modules
            if record.params or record.macs or (record.is_leaf and record.input_shape != record.output_shape)
        )
    note = None
    if arch.image_size_kwarg is not None and input_size != arch.input_size:
        note = (
            f"built for {input_size}×{input_size}: the parameters depend on the input size ({arch.variant})"
        )
    return ModelComplexityResult(
        model=arch.name,
        source=arch.source,
        input_shape=shape,
        params=count.params,
        trainable_params=count.trainable_params,
        macs=count.macs,
        flops=2 * count.macs,
        gmacs=count.macs / 1e9,
        gflops=2 * count.macs / 1e9,
        convention=CONVENTION,
        reference=_reference(arch),
        note=note,
        layers=layers,
        **_memory(count.params),
    )


def _resolve_size(arch: Architecture, input_size: int | None) -> int:
    size = arch.input_size if input_size is None else input_size
    check_input_size(arch, size)
    return size


def model_complexity(
    model: Annotated[
        str,
        Field(min_length=1, max_length=64, description="Zoo name, e.g. 'ResNet-50', 'resnet50', 'ViT-B/16'."),
    ],
    input_size: Annotated[
        int | None,
        Field(ge=1, le=_MAX_INPUT, description="Square input side in pixels; omitted → the documented size."),
    ] = None,
    batch_size: Annotated[int, Field(ge=1, le=4096, description="Images per batch; MACs scale with it.")] = 1,
    per_layer: Annotated[
        bool, Field(description="Also return a per-layer table: path, type, output shape, params, MACs.")
    ] = False,
) -> ModelComplexityResult:
    """Parameters, MACs/FLOPs and weight memory of a zoo backbone (参数量与计算量), optionally per layer.

    Counts on the meta device with torch's FlopCounterMode: no weights are allocated, so any size is cheap.
    MACs count conv, matmul and attention; FLOPs = 2·MACs (torchvision's "GFLOPS" are these GMACs). Weight
    memory is params × 4 / 2 / 1 bytes (fp32 / fp16 / int8). The default input is the documented one (224
    for most, 32×32×1 for LeNet-5, 240–600 for EfficientNet-B1…B7); results are cached per model and size.
    """
    arch = resolve_architecture(model)
    size = _resolve_size(arch, input_size)
    return _zoo_complexity(arch.name, size, batch_size, per_layer).model_copy()


def _pareto(rows: list[ComparedModel]) -> set[str]:
    front = set()
    for row in rows:
        dominated = any(
            other.params <= row.params
            and other.macs <= row.macs
            and (other.params, other.macs) != (row.params, row.macs)
            for other in rows
        )
        if not dominated:
            front.add(row.name)
    return front


def compare_models(
    models: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]],
        Field(min_length=1, max_length=len(ARCHITECTURES), description="Zoo names to compare."),
    ],
    input_size: Annotated[
        int | None,
        Field(ge=1, le=_MAX_INPUT, description="One square input side for all; omitted → each model's own."),
    ] = None,
    plot: Annotated[bool, Field(description="Also draw a PNG scatter of params vs MACs (log axes).")] = True,
) -> CompareModelsResult:
    """Compare zoo backbones side by side: params and MACs, and the Pareto front of the two (模型对比).

    A model is on the Pareto front when no other has both fewer (or equal) parameters and fewer MACs — the
    ones worth considering under a size or compute budget. Duplicate names (aliases) count once. Each model
    is counted at its documented input size unless input_size is given. The PNG is a log-log scatter.
    """
    sizes: dict[Architecture, int] = {}  # distinct models in the order asked, each checked before any count
    for index, name in enumerate(models):
        arch = resolve_architecture(name, field=f"models[{index}]")
        sizes.setdefault(arch, _resolve_size(arch, input_size))
    rows = []
    for done, (arch, size) in enumerate(sizes.items(), start=1):
        counted = _zoo_complexity(arch.name, size, 1, False)
        rows.append(
            ComparedModel(
                name=arch.name,
                input_shape=counted.input_shape,
                params=counted.params,
                macs=counted.macs,
                gmacs=counted.gmacs,
                on_pareto_front=False,
            )
        )
        report_progress(done, len(sizes), f"counted {arch.name}")
    front = _pareto(rows)
    rows = [row.model_copy(update={"on_pareto_front": row.name in front}) for row in rows]
    ordered_front = [
        row.name for row in sorted(rows, key=lambda r: (r.params, r.macs)) if row.on_pareto_front
    ]
    result = CompareModelsResult(models=rows, pareto_front=ordered_front, convention=CONVENTION)
    if plot:
        result.with_png(render_png(lambda fig: _draw_scatter(fig, rows, ordered_front)))
    return result


def _draw_scatter(fig, rows: list[ComparedModel], front: list[str]) -> None:
    ax = fig.add_subplot()
    by_name = {row.name: row for row in rows}
    for row in rows:
        color = "tab:red" if row.on_pareto_front else "tab:blue"
        ax.scatter(row.params / 1e6, row.gmacs, color=color, zorder=3)
        ax.annotate(
            row.name, (row.params / 1e6, row.gmacs), textcoords="offset points", xytext=(4, 4), fontsize=8
        )
    if len(front) > 1:
        ax.plot(
            [by_name[n].params / 1e6 for n in front], [by_name[n].gmacs for n in front],
            color="tab:red", linestyle="--", linewidth=1, label="Pareto front",
        )  # fmt: skip
        ax.legend(loc="lower right")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters (millions, log)")
    ax.set_ylabel("GMACs per image (log)")
    ax.set_title("Parameters vs compute")
    ax.grid(True, which="both", alpha=0.3)


def custom_network_complexity(
    layers: Annotated[
        list[Layer],
        Field(
            min_length=1, max_length=MAX_LAYERS, description="Layers in order, each an object with a 'type'."
        ),
    ],
    input_shape: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_DIM)]],
        Field(
            min_length=1,
            max_length=3,
            description="One example's shape, no batch: [C, H, W] image, [steps, features] or [features].",
        ),
    ],
) -> CustomNetworkResult:
    """Output shape, parameters and MACs of each layer of a network given as a typed layer list (自定义网络).

    Layer types: conv2d, depthwise_conv2d, linear, maxpool, avgpool, adaptive_avgpool, batchnorm, layernorm,
    relu, gelu, sigmoid, dropout, flatten, lstm. The list is built as a real torch module on the meta device
    and counted like the zoo (MACs of conv/linear/LSTM matmuls, FLOPs = 2·MACs), per example. A layer that
    does not fit the shape arriving at it is an error naming its index, the shape and what it expected.
    """
    from tools.complexity.zoo.counting import count_module, meta_device
    from tools.complexity.zoo.custom import build_network

    layers = _LAYER_LIST.validate_python(layers)  # direct callers may pass plain dicts
    with meta_device():
        model = build_network(layers, input_shape)
    count = count_module(model, (1, *input_shape), per_module=True)
    records = {record.path: record for record in count.modules}
    rows = []
    for index, spec in enumerate(layers):
        record = records[str(index)]
        rows.append(
            CustomLayerRow(
                index=index,
                type=spec.type,
                output_shape=(record.output_shape or ())[1:],
                params=record.total_params,
                macs=record.total_macs,
            )
        )
    return CustomNetworkResult(
        input_shape=tuple(input_shape),
        output_shape=count.output_shape[1:],
        params=count.params,
        macs=count.macs,
        flops=2 * count.macs,
        weight_memory_fp32_mib=round(count.params * 4 / _MIB, 3),
        layers=rows,
        convention=CONVENTION,
    )
