"""Custom networks: the typed layer specs of :mod:`tools.complexity.zoo.custom` turned into real torch
modules, with each layer's output shape worked out and checked before anything is built.

Shapes never include the batch. torch is imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from tools.complexity.zoo.custom import (
    ActivationLayer,
    AdaptiveAvgPoolLayer,
    AttentionLayer,
    BatchNormLayer,
    Conv1dLayer,
    Conv2dLayer,
    ConvTranspose2dLayer,
    DepthwiseConv2dLayer,
    DropoutLayer,
    EmbeddingLayer,
    FlattenLayer,
    LayerNormLayer,
    LinearLayer,
    PoolLayer,
    RecurrentLayer,
    ResidualLayer,
    TransformerEncoderLayerSpec,
)
from tools.errors import ToolInputError

if TYPE_CHECKING:
    from torch import nn

__all__ = ["build_network", "count_layers"]

Shape = tuple[int, ...]


class _Mismatch(Exception):
    """A layer that cannot take the shape arriving at it; turned into a ToolInputError naming the layer."""


def _fmt(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _pair(value: int | list[int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def _need(shape: Shape, rank: int, what: str) -> None:
    if len(shape) != rank:
        raise _Mismatch(f"expected a {what}")


def _expect(name: str, expected: int | None, actual: int) -> int:
    if expected is not None and expected != actual:
        raise _Mismatch(f"expected {name}={expected} but the input has {actual}")
    return actual


def _window_out(
    size: int, kernel: int, stride: int, pad_total: int, dilation: int = 1, *, ceil: bool = False
) -> int:
    """Output length of a sliding window: ⌊(size + pad_total − d·(k − 1) − 1)/s⌋ + 1, rounded up with
    ``ceil`` (torch's pooling rule: a last window must start inside the input or its left padding)."""
    span = dilation * (kernel - 1) + 1
    if size + pad_total < span:
        raise _Mismatch(f"a {span}-wide window does not fit the padded {size + pad_total}-long side")
    room = size + pad_total - span
    out = (-(-room // stride) if ceil else room // stride) + 1
    if ceil and (out - 1) * stride >= size + pad_total // 2:
        out -= 1
    return out


def _as_tuple(value: int | list[int], rank: int) -> tuple[int, ...]:
    return (value,) * rank if isinstance(value, int) else tuple(value[:rank])


def _conv_padding(
    padding: int | list[int] | str, kernels: Sequence[int], dilations: Sequence[int], strides: Sequence[int]
) -> tuple[list[int], int | tuple[int, ...] | str]:
    """Total padding per axis, and the value to hand torch."""
    if padding == "same":
        if any(s != 1 for s in strides):
            raise _Mismatch("padding='same' needs stride 1 (torch rejects it otherwise)")
        return [d * (k - 1) for k, d in zip(kernels, dilations, strict=True)], "same"
    if isinstance(padding, str):  # "valid"
        return [0] * len(kernels), "valid"
    pads = _as_tuple(padding, len(kernels))
    return [2 * p for p in pads], pads


def _groups(channels: int, out_channels: int, groups: int) -> None:
    if channels % groups or out_channels % groups:
        raise _Mismatch(f"groups={groups} must divide in_channels={channels} and out_channels={out_channels}")


def _layer_module(spec: BaseModel, shape: Shape) -> tuple[nn.Module, Shape]:
    """The torch module for ``spec`` and the shape it outputs for ``shape`` (both without batch)."""
    from torch import nn

    from tools.complexity.zoo import sequence

    match spec:
        case Conv2dLayer() | Conv1dLayer():
            two_d = isinstance(spec, Conv2dLayer)
            _need(
                shape, 3 if two_d else 2, "[channels, height, width] image" if two_d else "[channels, length]"
            )
            channels = _expect("in_channels", spec.in_channels, shape[0])
            _groups(channels, spec.out_channels, spec.groups)
            rank = len(shape) - 1
            kernels = _as_tuple(spec.kernel_size, rank)
            strides, dilations = _as_tuple(spec.stride, rank), _as_tuple(spec.dilation, rank)
            totals, padding = _conv_padding(spec.padding, kernels, dilations, strides)
            sides = [
                _window_out(n, k, s, p, d)
                for n, k, s, p, d in zip(shape[1:], kernels, strides, totals, dilations, strict=True)
            ]
            conv: Any = nn.Conv2d if two_d else nn.Conv1d
            module = conv(
                channels, spec.out_channels, kernels, strides, padding, dilations, spec.groups, spec.bias
            )
            return module, (spec.out_channels, *sides)
        case ConvTranspose2dLayer():
            _need(shape, 3, "[channels, height, width] image")
            channels = _expect("in_channels", spec.in_channels, shape[0])
            _groups(channels, spec.out_channels, spec.groups)
            kh, kw = _pair(spec.kernel_size)
            (sh, sw), (ph, pw) = _pair(spec.stride), _pair(spec.padding)
            (oh, ow), (dh, dw) = _pair(spec.output_padding), _pair(spec.dilation)
            if oh >= max(sh, dh) or ow >= max(sw, dw):
                raise _Mismatch(
                    "output_padding must be smaller than the stride or the dilation (torch's rule)"
                )
            sides = [
                (n - 1) * s - 2 * p + d * (k - 1) + o + 1
                for n, s, p, d, k, o in ((shape[1], sh, ph, dh, kh, oh), (shape[2], sw, pw, dw, kw, ow))
            ]
            if min(sides) < 1:
                raise _Mismatch(f"padding removes the whole output ({sides[0]}×{sides[1]})")
            upsample = nn.ConvTranspose2d(
                channels,
                spec.out_channels,
                (kh, kw),
                (sh, sw),
                (ph, pw),
                (oh, ow),
                spec.groups,
                spec.bias,
                (dh, dw),
            )
            return upsample, (spec.out_channels, *sides)
        case DepthwiseConv2dLayer():
            _need(shape, 3, "[channels, height, width] image")
            channels = _expect("in_channels", spec.in_channels, shape[0])
            sides = [_window_out(n, spec.kernel_size, spec.stride, 2 * spec.padding) for n in shape[1:]]
            out_channels = channels * spec.multiplier
            depthwise = nn.Conv2d(
                channels,
                out_channels,
                spec.kernel_size,
                spec.stride,
                spec.padding,
                groups=channels,
                bias=spec.bias,
            )
            return depthwise, (out_channels, *sides)
        case LinearLayer():
            flat_hint = "; add a flatten layer first" if len(shape) > 1 else ""
            if spec.in_features is not None and spec.in_features != shape[-1]:
                raise _Mismatch(f"expected a last dimension of in_features={spec.in_features}{flat_hint}")
            if spec.in_features is None and len(shape) == 3:
                raise _Mismatch(f"linear acts on the last dimension only (width {shape[-1]}){flat_hint}")
            return nn.Linear(shape[-1], spec.out_features, spec.bias), (*shape[:-1], spec.out_features)
        case PoolLayer():
            _need(shape, 3, "[channels, height, width] image")
            kernels = _pair(spec.kernel_size)
            strides = kernels if spec.stride is None else _pair(spec.stride)
            pads = _pair(spec.padding)
            for k, p in zip(kernels, pads, strict=True):
                if 2 * p > k:
                    raise _Mismatch(f"padding={p} must be at most kernel_size/2")
            sides = [
                _window_out(n, k, s, 2 * p, ceil=spec.ceil_mode)
                for n, k, s, p in zip(shape[1:], kernels, strides, pads, strict=True)
            ]
            pool = nn.MaxPool2d if spec.type == "maxpool" else nn.AvgPool2d
            return pool(kernels, strides, pads, ceil_mode=spec.ceil_mode), (shape[0], *sides)
        case AdaptiveAvgPoolLayer():
            _need(shape, 3, "[channels, height, width] image")
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
            return {"relu": nn.ReLU, "gelu": nn.GELU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}[
                spec.type
            ](), shape
        case DropoutLayer():
            return nn.Dropout(spec.p), shape
        case FlattenLayer():
            return nn.Flatten(), (math.prod(shape),)
        case RecurrentLayer():
            _need(shape, 2, "[steps, features] sequence")
            return _recurrent(spec, shape)
        case EmbeddingLayer():
            _need(shape, 1, "[steps] sequence of token ids")
            return sequence.TokenEmbedding(spec.num_embeddings, spec.embedding_dim), (
                *shape,
                spec.embedding_dim,
            )
        case AttentionLayer() | TransformerEncoderLayerSpec():
            _need(shape, 2, "[steps, features] sequence")
            if shape[1] % spec.num_heads:
                raise _Mismatch(f"num_heads={spec.num_heads} must divide the feature size {shape[1]}")
            if isinstance(spec, AttentionLayer):
                return sequence.SelfAttention(shape[1], spec.num_heads, bias=spec.bias), shape
            layer = nn.TransformerEncoderLayer(
                shape[1], spec.num_heads, spec.dim_feedforward, dropout=0.1, activation=spec.activation,
                batch_first=True, norm_first=spec.norm_first,
            )  # fmt: skip
            return layer, shape
        case ResidualLayer():
            return _residual(spec, shape)
    raise AssertionError(f"unhandled layer spec {type(spec).__name__}")  # pragma: no cover - union is closed


def _recurrent(spec: RecurrentLayer, shape: Shape) -> tuple[nn.Module, Shape]:
    """The torch LSTM / GRU / RNN a spec describes, wrapped to output one tensor, and its output shape."""
    from torch import nn

    from tools.complexity.zoo.sequence import RecurrentOutput

    features = _expect("input_size", spec.input_size, shape[1])
    common = {"num_layers": spec.num_layers, "batch_first": True, "bidirectional": spec.bidirectional}
    if spec.proj_size and spec.type != "lstm":
        raise _Mismatch("proj_size applies to lstm only")
    if spec.proj_size >= spec.hidden_size:
        raise _Mismatch(f"proj_size={spec.proj_size} must be smaller than hidden_size={spec.hidden_size}")
    module: nn.RNNBase
    if spec.type == "lstm":
        module = nn.LSTM(features, spec.hidden_size, proj_size=spec.proj_size, **common)
    elif spec.type == "gru":
        module = nn.GRU(features, spec.hidden_size, **common)
    else:
        module = nn.RNN(features, spec.hidden_size, nonlinearity=spec.nonlinearity, **common)
    width = (spec.proj_size or spec.hidden_size) * (2 if spec.bidirectional else 1)
    output = RecurrentOutput(module, last_step_only=not spec.return_sequences)
    return output, (shape[0], width) if spec.return_sequences else (width,)


def _residual(spec: ResidualLayer, shape: Shape) -> tuple[nn.Module, Shape]:
    from torch import nn

    from tools.complexity.zoo import sequence

    inner, out = _chain(spec.layers, shape, where="the block's input")
    if out == shape:
        return sequence.Residual(inner, None), out
    if not spec.projection:
        raise _Mismatch(
            f"its layers turn {_fmt(shape)} into {_fmt(out)}, so it cannot be added to its input; make them "
            "keep the shape or set projection=true"
        )
    if len(shape) == 3 and len(out) == 3:
        strides = [-(-a // b) for a, b in zip(shape[1:], out[1:], strict=True)]
        if [_window_out(n, 1, s, 0) for n, s in zip(shape[1:], strides, strict=True)] != list(out[1:]):
            raise _Mismatch(f"no 1×1 strided convolution turns {_fmt(shape)} into {_fmt(out)}")
        shortcut: nn.Module = nn.Conv2d(shape[0], out[0], 1, (strides[0], strides[1]), bias=False)
    elif len(shape) == len(out) and shape[:-1] == out[:-1]:
        shortcut = nn.Linear(shape[-1], out[-1], bias=False)
    else:
        raise _Mismatch(f"no projection turns {_fmt(shape)} into {_fmt(out)}")
    return sequence.Residual(inner, shortcut), out


def _chain(layers: Sequence[BaseModel], shape: Shape, *, where: str = "the input") -> tuple[nn.Module, Shape]:
    from torch import nn

    modules: list[nn.Module] = []
    for index, spec in enumerate(layers):
        try:
            module, shape_out = _layer_module(spec, shape)
        except _Mismatch as exc:
            source = where if index == 0 else f"layer {index - 1}"
            raise _Nested(index, f"{spec.type} got shape {_fmt(shape)} from {source}; {exc}") from None  # type: ignore[attr-defined]
        except _Nested as inner:
            raise _Nested(index, inner.reason, inner.path) from None
        modules.append(module)
        shape = shape_out
    return nn.Sequential(*modules), shape


class _Nested(Exception):
    """A mismatch somewhere inside the layer list, with the path of indices that leads to it."""

    def __init__(self, index: int, reason: str, path: tuple[int, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = (index, *path)


def count_layers(layers: Sequence[BaseModel]) -> int:
    """All layers, residual blocks' inner ones included."""
    return sum(1 + (count_layers(spec.layers) if isinstance(spec, ResidualLayer) else 0) for spec in layers)


def build_network(layers: Sequence[BaseModel], input_shape: Sequence[int]) -> nn.Module:
    """Build ``layers`` as one ``nn.Sequential`` (call it under ``torch.device("meta")``) for a per-example
    ``input_shape``, checking each layer against the shape arriving at it.

    A layer that cannot take that shape raises :class:`ToolInputError` on ``layers[i]``
    (``layers[i].layers[j]`` inside a residual block) with the shape that arrived and what it expected.
    """
    try:
        network, _ = _chain(layers, tuple(input_shape))
    except _Nested as exc:
        field = f"layers[{exc.path[0]}]" + "".join(f".layers[{i}]" for i in exc.path[1:])
        raise ToolInputError(field, exc.reason) from None
    return network
