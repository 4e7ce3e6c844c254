"""Backbones and their cost: the model zoo (the curated classic backbones and every torchvision builder) and
parameter / MAC counts for its models.

Everything is counted on the meta device (no weights are allocated) with torch's ``FlopCounterMode``; see
:data:`CONVENTION`. The zoo lives in :mod:`tools.complexity.zoo.registry`; torch and torchvision load on first
use.
"""

from functools import lru_cache
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from tools._common import PlotResult, ResultModel, report_progress
from tools.complexity.detectors import DetectionCost, detection_counts, detection_rule, published_counts
from tools.complexity.plots import draw_comparison
from tools.complexity.zoo.entry import Task
from tools.complexity.zoo.registry import (
    ARCHITECTURES,
    Architecture,
    architecture_names,
    build_architecture,
    check_input_size,
    resolve_architecture,
)
from tools.errors import ToolInputError
from tools.plotting import render_png

__all__ = [
    "CONVENTION",
    "ArchitectureInfo",
    "ArchitectureList",
    "CompareModelsResult",
    "ComparedModel",
    "DetectionCost",
    "LayerRow",
    "ModelComplexityResult",
    "architecture_names",
    "compare_models",
    "list_architectures",
    "model_complexity",
]

CONVENTION = (
    "MACs = multiply-accumulates of convolutions, matmuls / linear layers and attention; FLOPs = 2·MACs. "
    "BatchNorm, activations, pooling, bias adds and other elementwise ops count 0 (torch FlopCounterMode; "
    "torchvision's documented 'GFLOPS' are GMACs in this convention)."
)

_MIB = 2**20
_MAX_INPUT = 1024
_MAX_COMPARED = 32  # the largest models take ~0.3 s each to count: a call stays near 10 s


class ArchitectureInfo(ResultModel):
    """One zoo entry."""

    name: str = Field(
        description="Canonical name; pass it (or any case/separator variant) to the other tools."
    )
    family: str = Field(description="Design family.")
    task: str = Field(description="classification, detection, segmentation, video or optical_flow.")
    curated: bool = Field(
        description="One of the backbones the notes discuss, with year, paper and key idea."
    )
    year: int | None = Field(description="Year the design first appeared (curated entries).")
    input_shape: tuple[int, ...] = Field(
        description="Documented input: [channels, height, width]; video [channels, frames, height, width]; "
        "optical flow takes two such frames; a detector resizes any image so its short side is this side."
    )
    key_idea: str | None = Field(description="What the design contributed (curated entries).")
    paper: str | None = Field(description="The paper that introduced it (curated entries).")
    source: str = Field(description="Where the network definition comes from (torchvision or protoplay).")
    variant: str | None = Field(description="How the built network differs from the paper's, if it does.")


class ArchitectureList(ResultModel):
    """The zoo: curated backbones first (oldest family first), then every other torchvision builder."""

    architectures: list[ArchitectureInfo] = Field(description="Every zoo entry (of the task asked for).")
    curated_count: int = Field(description="How many entries are curated (the notes discuss them).")
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
    task: str = Field(description="classification, detection, segmentation, video or optical_flow.")
    source: str = Field(description="Where the network definition comes from.")
    input_shape: tuple[int, ...] = Field(
        description="Input counted: [batch, channels, height, width] ([batch, channels, frames, height, "
        "width] for video; optical flow runs on two such frames)."
    )
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
    detection: DetectionCost | None = Field(
        default=None, description="Detectors: the fixed and the per-region parts of the count."
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
    budget: str | None = Field(
        default=None, description="The bounds asked for (max_params_millions, max_gmacs), in words."
    )
    within_budget: list[str] | None = Field(
        default=None, description="Models within every bound asked for, fewest params first (None: no bound)."
    )


def _memory(params: int) -> dict[str, float]:
    return {
        f"weight_memory_{dtype}_mib": round(params * size / _MIB, 3)
        for dtype, size in (("fp32", 4), ("fp16", 2), ("int8", 1))
    }


def _input_shape(arch: Architecture, size: int) -> tuple[int, ...]:
    frames = () if arch.frames is None else (arch.frames,)
    return (arch.in_channels, *frames, size, size)


def list_architectures(
    task: Annotated[
        Task | None,
        Field(description="Only this task: classification, detection, segmentation, video, optical_flow."),
    ] = None,
    curated_only: Annotated[
        bool, Field(description="Only the curated backbones the notes discuss (year, paper, key idea).")
    ] = False,
) -> ArchitectureList:
    """List the backbone zoo (which models are available): every architecture with task, family, input size,
    and for the curated backbones year, paper and key idea (经典骨干网络) — every torchvision model plus
    LeNet-5 and MobileNetV1.

    Curated (the notes discuss them): LeNet-5, AlexNet, VGG11/13/16/19, GoogLeNet, ResNet-18…152,
    DenseNet-121/169, MobileNetV1/V2/V3, EfficientNet-B0…B7, ViT-B/16. Also countable: ResNeXt, Wide ResNet,
    ConvNeXt, RegNet, Swin, ShuffleNetV2, SqueezeNet, MnasNet, Inception-v3, MaxViT, EfficientNetV2, the
    detectors (Faster/Mask/Keypoint R-CNN, RetinaNet, FCOS, SSD), segmentation, video and optical-flow
    models. Names are forgiving ("resnext50_32x4d", "ResNeXt-50", "Swin-T"). Nothing is counted here.
    """
    entries = [arch for arch in ARCHITECTURES if (task is None or arch.task == task)]
    entries = [arch for arch in entries if arch.curated or not curated_only]
    return ArchitectureList(
        architectures=[
            ArchitectureInfo(
                name=arch.name,
                family=arch.family,
                task=arch.task,
                curated=arch.curated,
                year=arch.year,
                input_shape=_input_shape(arch, arch.input_size),
                key_idea=arch.key_idea,
                paper=arch.paper,
                source=arch.source,
                variant=arch.variant,
            )
            for arch in entries
        ],
        curated_count=sum(arch.curated for arch in entries),
        convention=CONVENTION,
    )


def _weights_for(arch: Architecture, size: int) -> object | None:
    """The torchvision weights entry documenting ``arch`` as built for ``size``, if any."""
    from torchvision.models import get_model_weights, get_weight

    if arch.weights is not None:
        candidates = [get_weight(arch.weights)]
    elif arch.registered_name is not None:
        candidates = list(get_model_weights(arch.registered_name))
    else:
        return None
    for weights in candidates:
        transforms = weights.transforms()
        sides = getattr(transforms, "crop_size", None) or getattr(transforms, "resize_size", None)
        if arch.task == "detection":
            return weights if size == arch.input_size else None
        if sides is None or sides[-1] == size:
            return weights
    return None


def _reference(arch: Architecture, size: int, detection: DetectionCost | None) -> str | None:
    if arch.reference is not None:
        return arch.reference
    weights = _weights_for(arch, size)
    if weights is None:
        return None
    meta = weights.meta  # type: ignore[attr-defined]
    text = (
        f"torchvision {type(weights).__name__}.{weights.name}: {meta['num_params']:,} parameters, "  # type: ignore[attr-defined]
        f"{meta['_ops']} GFLOPS (= GMACs here) at {size}×{size}"
    )
    if detection is not None and detection.proposals:
        text += "; " + published_counts(meta["_ops"], detection)
    return text


@lru_cache(maxsize=256)
def _zoo_complexity(
    name: str,
    input_size: int,
    batch_size: int,
    per_layer: bool,
    proposals: int | None = None,
    detections: int | None = None,
) -> ModelComplexityResult:
    from tools.complexity.zoo.counting import count_module, meta_device

    arch = resolve_architecture(name)
    with meta_device():
        model = build_architecture(arch, input_size)
    shape = (batch_size, *_input_shape(arch, input_size))
    detection = None
    try:
        if arch.task == "detection":
            from tools.complexity.zoo.detection import count_detector

            counted = count_detector(
                model, batch_size, input_size, **detection_counts(arch, model, proposals, detections),
                per_module=per_layer,
            )  # fmt: skip
            count = counted.count
            detection = DetectionCost(
                network_input=counted.network_input,
                fixed_macs=counted.fixed_macs,
                proposals=counted.proposals,
                macs_per_proposal=counted.macs_per_proposal,
                detections=counted.detections,
                macs_per_detection=counted.macs_per_detection,
                rule=detection_rule(counted.proposals, counted.detections),
            )
        else:
            two_frames = arch.task == "optical_flow"
            count = count_module(
                model, shape, per_module=per_layer, forward=(lambda m, x: m(x, x)) if two_frames else None
            )
    except ToolInputError:
        raise
    except (RuntimeError, AssertionError, ValueError, IndexError) as exc:  # the forward pass did not fit
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ToolInputError(
            "input_size", f"{arch.name} cannot run at {input_size}×{input_size}: {reason[:160]}"
        ) from None
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
    notes = []
    if arch.image_size_kwarg == "image_size" and input_size != arch.input_size:
        notes.append(
            f"built for {input_size}×{input_size}: the parameters depend on the input size ({arch.variant})"
            if arch.variant
            else f"built for {input_size}×{input_size}: the position embeddings, so the parameters, grow "
            "with the number of patches"
        )
    if arch.task == "optical_flow":
        notes.append(
            "optical flow: two frames of this shape in, 12 refinement iterations (torchvision default)"
        )
    if arch.task == "video":
        notes.append(f"video: clips of {arch.frames} frames (torchvision's Kinetics-400 evaluation)")
    if arch.registered_name is not None and arch.registered_name.startswith("quantized_"):
        notes.append(
            "counted as the float network before quantization (quantize=False): int8 weights are the same "
            "parameters, 1 byte each"
        )
    if detection is not None:
        notes.append(detection.rule)
    return ModelComplexityResult(
        model=arch.name,
        task=arch.task,
        source=arch.source,
        input_shape=shape,
        params=count.params,
        trainable_params=count.trainable_params,
        macs=count.macs,
        flops=2 * count.macs,
        gmacs=count.macs / 1e9,
        gflops=2 * count.macs / 1e9,
        convention=CONVENTION,
        reference=_reference(arch, input_size, detection),
        note="; ".join(notes) or None,
        layers=layers,
        detection=detection,
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
    proposals: Annotated[
        int | None,
        Field(
            ge=0,
            le=10_000,
            description="Two-stage detectors: regions per image for the box head; omitted → the RPN's "
            "test-time maximum (1000, or 150 for the 320 model).",
        ),
    ] = None,
    detections: Annotated[
        int | None,
        Field(
            ge=0,
            le=1000,
            description="Mask / Keypoint R-CNN: boxes per image for the mask or keypoint head; omitted → 100 "
            "(detections_per_img).",
        ),
    ] = None,
) -> ModelComplexityResult:
    """Parameters, MACs/FLOPs and weight memory of any zoo model (参数量与计算量), optionally per layer.

    Every torchvision builder counts: classification, detection (检测), segmentation, video, optical flow.
    Counts on the meta device with torch's FlopCounterMode: no weights are allocated, so any size is cheap.
    MACs count conv, matmul and attention; FLOPs = 2·MACs (torchvision's "GFLOPS" are these GMACs). Weight
    memory is params × 4 / 2 / 1 bytes (fp32 / fp16 / int8). The default input is the documented one (224
    for most, 299 Inception-v3, 32×32×1 LeNet-5, 800 R-CNN/RetinaNet/FCOS, 520 segmentation, 16×112×112 or
    16×224×224 video clips); a detector's proposals and detections are stated in the result.
    """
    arch = resolve_architecture(model)
    size = _resolve_size(arch, input_size)
    if arch.task != "detection":
        for name, value in (("proposals", proposals), ("detections", detections)):
            if value is not None:
                raise ToolInputError(name, f"applies to detectors; {arch.name} is a {arch.task} model")
    return _zoo_complexity(arch.name, size, batch_size, per_layer, proposals, detections).model_copy()


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
        Field(min_length=1, max_length=_MAX_COMPARED, description="Zoo names to compare."),
    ],
    input_size: Annotated[
        int | None,
        Field(ge=1, le=_MAX_INPUT, description="One square input side for all; omitted → each model's own."),
    ] = None,
    max_params_millions: Annotated[
        float | None,
        Field(gt=0, le=1e6, description="A parameter budget in millions (5 = 5 M): listed and drawn."),
    ] = None,
    max_gmacs: Annotated[
        float | None,
        Field(gt=0, le=1e6, description="A compute budget in GMACs per image: listed and drawn."),
    ] = None,
    plot: Annotated[bool, Field(description="Also draw a PNG scatter of params vs MACs (log axes).")] = True,
) -> CompareModelsResult:
    """Compare zoo backbones side by side: params and MACs, and the Pareto front of the two (模型对比).

    A model is on the Pareto front when no other has both fewer (or equal) parameters and fewer MACs — the
    ones worth considering under a size or compute budget. Duplicate names (aliases) count once. Each model
    is counted at its documented input size unless input_size is given. With a budget (max_params_millions,
    max_gmacs) the result lists the models within it and the plot draws it. The PNG is a log-log scatter.
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
    bounds = {"max_params_millions": max_params_millions, "max_gmacs": max_gmacs}
    compared = CompareModelsResult(
        models=rows, pareto_front=ordered_front, convention=CONVENTION, **_budget(rows, **bounds)
    )
    if plot:
        compared.with_png(render_png(lambda fig: draw_comparison(fig, rows, ordered_front, **bounds)))
    return compared


def _budget(
    rows: list[ComparedModel], *, max_params_millions: float | None, max_gmacs: float | None
) -> dict[str, Any]:
    if max_params_millions is None and max_gmacs is None:
        return {}
    words = [f"at most {max_params_millions:g} M parameters"] if max_params_millions is not None else []
    words += [f"at most {max_gmacs:g} GMACs per image"] if max_gmacs is not None else []
    within = [
        row.name
        for row in sorted(rows, key=lambda r: (r.params, r.macs))
        if (max_params_millions is None or row.params <= max_params_millions * 1e6)
        and (max_gmacs is None or row.gmacs <= max_gmacs)
    ]
    return {"budget": " and ".join(words), "within_budget": within}
