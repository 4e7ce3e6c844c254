"""Custom networks from a typed layer list: the pydantic layer specs (the JSON schema a caller fills in) and
the builder that turns them into a real torch module on the meta device, checking shapes layer by layer.

Shapes here never include the batch: ``[channels, height, width]`` for images, ``[steps, features]`` for
sequences, ``[features]`` for vectors. No code string is ever evaluated: a layer is data, checked by pydantic.
torch is imported inside :func:`build_network` only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.errors import ToolInputError

if TYPE_CHECKING:
    from torch import nn

__all__ = ["MAX_DIM", "MAX_LAYERS", "Layer", "build_network"]

#: Most layers one call may describe.
MAX_LAYERS = 100
#: Largest channel / feature / hidden count, and largest input side or sequence length.
MAX_DIM = 16_384
_MAX_KERNEL = 31

_Channels = Annotated[int, Field(ge=1, le=MAX_DIM)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Conv2dLayer(_Spec):
    """A 2-D convolution (``torch.nn.Conv2d``) over a [channels, height, width] input."""

    type: Literal["conv2d"]
    out_channels: Annotated[_Channels, Field(description="Output channels (filters).")]
    kernel_size: Annotated[int, Field(ge=1, le=_MAX_KERNEL, description="Square kernel side k (k×k).")]
    stride: Annotated[int, Field(ge=1, le=16, description="Step between kernel positions.")] = 1
    padding: Annotated[int, Field(ge=0, le=_MAX_KERNEL, description="Zeros added on each side.")] = 0
    dilation: Annotated[int, Field(ge=1, le=16, description="Spacing between kernel taps.")] = 1
    groups: Annotated[
        int, Field(ge=1, le=MAX_DIM, description="Channel groups; must divide both counts.")
    ] = 1
    bias: Annotated[bool, Field(description="Learn one bias per output channel.")] = True
    in_channels: Annotated[
        _Channels | None,
        Field(description="Expected input channels; omitted → taken from the incoming shape."),
    ] = None


class DepthwiseConv2dLayer(_Spec):
    """A depthwise convolution: k×k filters per input channel (``groups = channels``), no channel mixing."""

    type: Literal["depthwise_conv2d"]
    kernel_size: Annotated[int, Field(ge=1, le=_MAX_KERNEL, description="Square kernel side k (k×k).")]
    stride: Annotated[int, Field(ge=1, le=16, description="Step between kernel positions.")] = 1
    padding: Annotated[int, Field(ge=0, le=_MAX_KERNEL, description="Zeros added on each side.")] = 0
    multiplier: Annotated[int, Field(ge=1, le=16, description="Output channels per input channel.")] = 1
    bias: Annotated[bool, Field(description="Learn one bias per output channel.")] = True
    in_channels: Annotated[
        _Channels | None,
        Field(description="Expected input channels; omitted → taken from the incoming shape."),
    ] = None


class LinearLayer(_Spec):
    """A fully connected layer (``torch.nn.Linear``) applied to the last dimension."""

    type: Literal["linear"]
    out_features: Annotated[_Channels, Field(description="Output features.")]
    bias: Annotated[bool, Field(description="Learn one bias per output feature.")] = True
    in_features: Annotated[
        _Channels | None,
        Field(description="Expected size of the last dimension; omitted → taken from the input."),
    ] = None


class PoolLayer(_Spec):
    """Max or average pooling over k×k windows of a [channels, height, width] input."""

    type: Literal["maxpool", "avgpool"]
    kernel_size: Annotated[int, Field(ge=1, le=_MAX_KERNEL, description="Square window side.")]
    stride: Annotated[int | None, Field(ge=1, le=_MAX_KERNEL, description="Step; omitted → kernel_size.")] = (
        None
    )
    padding: Annotated[
        int, Field(ge=0, le=_MAX_KERNEL // 2, description="Padding; at most kernel_size/2.")
    ] = 0


class AdaptiveAvgPoolLayer(_Spec):
    """Average pooling to a fixed output size, whatever the input size (``torch.nn.AdaptiveAvgPool2d``)."""

    type: Literal["adaptive_avgpool"]
    output_size: Annotated[
        int, Field(ge=1, le=256, description="Output side (1 → global average pooling).")
    ] = 1


class BatchNormLayer(_Spec):
    """Batch normalisation over the first (channel) dimension: 2-D for images, 1-D for vectors / sequences."""

    type: Literal["batchnorm"]
    num_features: Annotated[
        _Channels | None, Field(description="Expected channels; omitted → taken from the incoming shape.")
    ] = None


class LayerNormLayer(_Spec):
    """Layer normalisation over the trailing dimensions, with a learned scale and shift."""

    type: Literal["layernorm"]
    normalized_shape: Annotated[
        list[_Channels] | None,
        Field(
            min_length=1, max_length=3, description="Trailing dimensions to normalise; omitted → the last."
        ),
    ] = None


class ActivationLayer(_Spec):
    """An elementwise nonlinearity (no parameters, 0 MACs)."""

    type: Literal["relu", "gelu", "sigmoid"]


class DropoutLayer(_Spec):
    """Dropout (identity at inference; no parameters, 0 MACs)."""

    type: Literal["dropout"]
    p: Annotated[
        float, Field(ge=0.0, lt=1.0, description="Probability of zeroing an element in training.")
    ] = 0.5


class FlattenLayer(_Spec):
    """Flattens everything but the batch into one feature vector."""

    type: Literal["flatten"]


class LSTMLayer(_Spec):
    """An LSTM (``torch.nn.LSTM``, batch first) over a [steps, features] sequence."""

    type: Literal["lstm"]
    hidden_size: Annotated[_Channels, Field(description="Hidden (and cell) state size per direction.")]
    num_layers: Annotated[int, Field(ge=1, le=8, description="Stacked LSTM layers.")] = 1
    bidirectional: Annotated[bool, Field(description="Also run backwards; doubles the output size.")] = False
    return_sequences: Annotated[
        bool, Field(description="Output every step [steps, H]; false → only the last step [H].")
    ] = True
    input_size: Annotated[
        _Channels | None, Field(description="Expected features per step; omitted → taken from the input.")
    ] = None


Layer = Annotated[
    Conv2dLayer
    | DepthwiseConv2dLayer
    | LinearLayer
    | PoolLayer
    | AdaptiveAvgPoolLayer
    | BatchNormLayer
    | LayerNormLayer
    | ActivationLayer
    | DropoutLayer
    | FlattenLayer
    | LSTMLayer,
    Field(discriminator="type"),
]
"""One layer of a custom network, told apart by its ``type`` field."""


class _Mismatch(Exception):
    """A layer that cannot take the shape arriving at it; turned into a ToolInputError naming the layer."""


def _fmt(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _need_image(shape: tuple[int, ...]) -> None:
    if len(shape) != 3:
        raise _Mismatch("expected a [channels, height, width] image")


def _expect(name: str, expected: int | None, actual: int) -> int:
    if expected is not None and expected != actual:
        raise _Mismatch(f"expected {name}={expected} but the input has {actual}")
    return actual


def _window_out(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    span = dilation * (kernel - 1) + 1
    if size + 2 * padding < span:
        raise _Mismatch(f"a {span}×{span} window does not fit the padded {size + 2 * padding}-pixel side")
    return (size + 2 * padding - span) // stride + 1


def _layer_module(spec: BaseModel, shape: tuple[int, ...]) -> tuple[nn.Module, tuple[int, ...]]:
    """The torch module for ``spec`` and the shape it outputs for ``shape`` (both without batch)."""
    from torch import nn

    from tools.complexity.zoo.sequence import LSTMOutput

    match spec:
        case Conv2dLayer():
            _need_image(shape)
            channels = _expect("in_channels", spec.in_channels, shape[0])
            if channels % spec.groups or spec.out_channels % spec.groups:
                raise _Mismatch(f"groups={spec.groups} must divide in_channels={channels} and out_channels")
            side = [
                _window_out(s, spec.kernel_size, spec.stride, spec.padding, spec.dilation) for s in shape[1:]
            ]
            module = nn.Conv2d(
                channels, spec.out_channels, spec.kernel_size, spec.stride, spec.padding, spec.dilation,
                spec.groups, spec.bias,
            )  # fmt: skip
            return module, (spec.out_channels, *side)
        case DepthwiseConv2dLayer():
            _need_image(shape)
            channels = _expect("in_channels", spec.in_channels, shape[0])
            side = [_window_out(s, spec.kernel_size, spec.stride, spec.padding) for s in shape[1:]]
            out_channels = channels * spec.multiplier
            module = nn.Conv2d(
                channels,
                out_channels,
                spec.kernel_size,
                spec.stride,
                spec.padding,
                groups=channels,
                bias=spec.bias,
            )
            return module, (out_channels, *side)
        case LinearLayer():
            flat_hint = "; add a flatten layer first" if len(shape) > 1 else ""
            if spec.in_features is not None and spec.in_features != shape[-1]:
                raise _Mismatch(f"expected a last dimension of in_features={spec.in_features}{flat_hint}")
            if spec.in_features is None and len(shape) == 3:
                raise _Mismatch(f"linear acts on the last dimension only (width {shape[-1]}){flat_hint}")
            return nn.Linear(shape[-1], spec.out_features, spec.bias), (*shape[:-1], spec.out_features)
        case PoolLayer():
            _need_image(shape)
            stride = spec.stride or spec.kernel_size
            if 2 * spec.padding > spec.kernel_size:
                raise _Mismatch(f"padding={spec.padding} must be at most kernel_size/2")
            side = [_window_out(s, spec.kernel_size, stride, spec.padding) for s in shape[1:]]
            pool = nn.MaxPool2d if spec.type == "maxpool" else nn.AvgPool2d
            return pool(spec.kernel_size, stride, spec.padding), (shape[0], *side)
        case AdaptiveAvgPoolLayer():
            _need_image(shape)
            return nn.AdaptiveAvgPool2d(spec.output_size), (shape[0], spec.output_size, spec.output_size)
        case BatchNormLayer():
            if len(shape) not in (1, 2, 3):
                raise _Mismatch("expected [features], [channels, length] or [channels, height, width]")
            channels = _expect("num_features", spec.num_features, shape[0])
            return (nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d)(channels), shape
        case LayerNormLayer():
            normalized = tuple(spec.normalized_shape or shape[-1:])
            if shape[len(shape) - len(normalized) :] != normalized or len(normalized) > len(shape):
                raise _Mismatch(f"expected the shape to end with normalized_shape={_fmt(normalized)}")
            return nn.LayerNorm(normalized), shape
        case ActivationLayer():
            return {"relu": nn.ReLU, "gelu": nn.GELU, "sigmoid": nn.Sigmoid}[spec.type](), shape
        case DropoutLayer():
            return nn.Dropout(spec.p), shape
        case FlattenLayer():
            return nn.Flatten(), (math.prod(shape),)
        case LSTMLayer():
            if len(shape) != 2:
                raise _Mismatch("expected a [steps, features] sequence")
            features = _expect("input_size", spec.input_size, shape[1])
            lstm = nn.LSTM(features, spec.hidden_size, spec.num_layers, batch_first=True,
                           bidirectional=spec.bidirectional)  # fmt: skip
            width = spec.hidden_size * (2 if spec.bidirectional else 1)
            if spec.return_sequences:
                return LSTMOutput(lstm, last_step_only=False), (shape[0], width)
            return LSTMOutput(lstm, last_step_only=True), (width,)
    raise AssertionError(f"unhandled layer spec {type(spec).__name__}")  # pragma: no cover - union is closed


def build_network(layers: Sequence[BaseModel], input_shape: Sequence[int]) -> nn.Module:
    """Build ``layers`` as one ``nn.Sequential`` (call it under ``torch.device("meta")``) for a per-example
    ``input_shape``, checking each layer against the shape arriving at it.

    A layer that cannot take the shape arriving at it raises :class:`ToolInputError` on ``layers[i]`` with the
    shape that arrived and what the layer expected.
    """
    from torch import nn

    shape = tuple(input_shape)
    modules: list[nn.Module] = []
    for index, spec in enumerate(layers):
        try:
            module, shape_out = _layer_module(spec, shape)
        except _Mismatch as exc:
            source = "the input" if index == 0 else f"layer {index - 1}"
            raise ToolInputError(
                f"layers[{index}]",
                f"{spec.type} got shape {_fmt(shape)} from {source}; {exc}",  # type: ignore[attr-defined]
            ) from None
        modules.append(module)
        shape = shape_out
    return nn.Sequential(*modules)
