"""Custom networks (自定义网络): shapes, parameters and MACs of a network described as a typed layer list.

The list is built as a real torch module on the meta device (:mod:`tools.complexity.zoo.custom`) and counted
like the zoo (:mod:`tools.complexity.zoo.counting`); torch loads on first use.
"""

from typing import Annotated

from pydantic import Field, TypeAdapter

from tools._common import ResultModel
from tools.complexity.backbones import CONVENTION
from tools.complexity.zoo.custom import MAX_DIM, MAX_LAYERS, Layer
from tools.errors import ToolInputError

__all__ = ["CustomLayerRow", "CustomNetworkResult", "custom_network_complexity"]

_MIB = 2**20
_LAYER_LIST = TypeAdapter(list[Layer])


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
            description="One example's shape, no batch: [C, H, W] image, [C, length] signal, [steps, "
            "features] sequence, [steps] token ids or [features].",
        ),
    ],
) -> CustomNetworkResult:
    """Output shape, parameters and MACs of each layer of a network given as a typed layer list (自定义网络).

    Layer types: conv2d and conv1d (non-square kernels, padding 'same'), conv_transpose2d, depthwise_conv2d,
    linear, maxpool / avgpool (ceil_mode), adaptive_avgpool, batchnorm, layernorm, relu, gelu, sigmoid, tanh,
    dropout, flatten, lstm (proj_size) / gru / rnn, embedding, multihead_attention,
    transformer_encoder_layer, and residual blocks (their layers' output added to their input). The list is
    built as real torch modules on the meta device and counted like the zoo (MACs of conv, linear,
    recurrent and attention matmuls; FLOPs = 2·MACs), per example. A layer that does not fit the shape
    arriving at it is an error naming its index, the shape and what it expected.
    """
    from tools.complexity.zoo.counting import count_module, meta_device
    from tools.complexity.zoo.custom_build import build_network, count_layers

    layers = _LAYER_LIST.validate_python(layers)  # direct callers may pass plain dicts
    if count_layers(layers) > MAX_LAYERS:
        raise ToolInputError(
            "layers", f"{count_layers(layers)} layers with the residual blocks' own; at most {MAX_LAYERS}"
        )
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
