"""Custom networks from a typed layer list: the pydantic layer specs, the JSON schema a caller fills in.

Shapes never include the batch: ``[channels, height, width]`` for images, ``[channels, length]`` for 1-D
signals, ``[steps, features]`` for sequences, ``[steps]`` for token ids, ``[features]`` for vectors. No code
string is ever evaluated: a layer is data, checked by pydantic. The builder that turns specs into torch
modules is :mod:`tools.complexity.zoo.custom_build`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MAX_DIM", "MAX_LAYERS", "Layer", "Pair"]

#: Most layers one call may describe (residual blocks' inner layers included).
MAX_LAYERS = 100
#: Largest channel / feature / hidden count, and largest input side or sequence length.
MAX_DIM = 16_384
_MAX_KERNEL = 31

_Channels = Annotated[int, Field(ge=1, le=MAX_DIM)]
_Kernel = Annotated[int, Field(ge=1, le=_MAX_KERNEL)]
_Step = Annotated[int, Field(ge=1, le=16)]
_Pad = Annotated[int, Field(ge=0, le=_MAX_KERNEL)]
#: One integer for both sides, or [height, width].
Pair = _Kernel | Annotated[list[_Kernel], Field(min_length=2, max_length=2)]
_StepPair = _Step | Annotated[list[_Step], Field(min_length=2, max_length=2)]
_PadPair = _Pad | Annotated[list[_Pad], Field(min_length=2, max_length=2)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_IN_CHANNELS = Field(description="Expected input channels; omitted → taken from the incoming shape.")


class Conv2dLayer(_Spec):
    """A 2-D convolution (``torch.nn.Conv2d``) over a [channels, height, width] input."""

    type: Literal["conv2d"]
    out_channels: Annotated[_Channels, Field(description="Output channels (filters).")]
    kernel_size: Annotated[Pair, Field(description="Kernel k or [k_h, k_w] (non-square allowed).")]
    stride: Annotated[_StepPair, Field(description="Step s or [s_h, s_w].")] = 1
    padding: Annotated[
        _PadPair | Literal["same", "valid"],
        Field(description="Zeros on each side, p or [p_h, p_w]; or 'same' (stride 1) / 'valid' as torch."),
    ] = 0
    dilation: Annotated[_StepPair, Field(description="Spacing between kernel taps, d or [d_h, d_w].")] = 1
    groups: Annotated[
        int, Field(ge=1, le=MAX_DIM, description="Channel groups; must divide both counts.")
    ] = 1
    bias: Annotated[bool, Field(description="Learn one bias per output channel.")] = True
    in_channels: Annotated[_Channels | None, _IN_CHANNELS] = None


class Conv1dLayer(_Spec):
    """A 1-D convolution (``torch.nn.Conv1d``) over a [channels, length] signal."""

    type: Literal["conv1d"]
    out_channels: Annotated[_Channels, Field(description="Output channels (filters).")]
    kernel_size: Annotated[_Kernel, Field(description="Kernel length k.")]
    stride: Annotated[_Step, Field(description="Step between kernel positions.")] = 1
    padding: Annotated[
        _Pad | Literal["same", "valid"], Field(description="Zeros on each end, or 'same' / 'valid'.")
    ] = 0
    dilation: Annotated[_Step, Field(description="Spacing between kernel taps.")] = 1
    groups: Annotated[int, Field(ge=1, le=MAX_DIM, description="Channel groups.")] = 1
    bias: Annotated[bool, Field(description="Learn one bias per output channel.")] = True
    in_channels: Annotated[_Channels | None, _IN_CHANNELS] = None


class ConvTranspose2dLayer(_Spec):
    """A transposed 2-D convolution (``torch.nn.ConvTranspose2d``): learned upsampling. Output side
    (H − 1)·s − 2p + d·(k − 1) + output_padding + 1."""

    type: Literal["conv_transpose2d"]
    out_channels: Annotated[_Channels, Field(description="Output channels.")]
    kernel_size: Annotated[Pair, Field(description="Kernel k or [k_h, k_w].")]
    stride: Annotated[_StepPair, Field(description="Upsampling step s or [s_h, s_w].")] = 1
    padding: Annotated[_PadPair, Field(description="Rows/columns removed from each side of the output.")] = 0
    output_padding: Annotated[
        _PadPair, Field(description="Extra rows/columns on one side; below the stride or the dilation.")
    ] = 0
    dilation: Annotated[_StepPair, Field(description="Spacing between kernel taps.")] = 1
    groups: Annotated[int, Field(ge=1, le=MAX_DIM, description="Channel groups.")] = 1
    bias: Annotated[bool, Field(description="Learn one bias per output channel.")] = True
    in_channels: Annotated[_Channels | None, _IN_CHANNELS] = None


class DepthwiseConv2dLayer(_Spec):
    """A depthwise convolution: k×k filters per input channel (``groups = channels``), no channel mixing."""

    type: Literal["depthwise_conv2d"]
    kernel_size: Annotated[_Kernel, Field(description="Square kernel side k (k×k).")]
    stride: Annotated[_Step, Field(description="Step between kernel positions.")] = 1
    padding: Annotated[_Pad, Field(description="Zeros added on each side.")] = 0
    multiplier: Annotated[int, Field(ge=1, le=16, description="Output channels per input channel.")] = 1
    bias: Annotated[bool, Field(description="Learn one bias per output channel.")] = True
    in_channels: Annotated[_Channels | None, _IN_CHANNELS] = None


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
    """Max or average pooling over windows of a [channels, height, width] input."""

    type: Literal["maxpool", "avgpool"]
    kernel_size: Annotated[Pair, Field(description="Window k or [k_h, k_w].")]
    stride: Annotated[
        _Kernel | Annotated[list[_Kernel], Field(min_length=2, max_length=2)] | None,
        Field(description="Step; omitted → kernel_size."),
    ] = None
    padding: Annotated[
        Annotated[int, Field(ge=0, le=_MAX_KERNEL // 2)]
        | Annotated[
            list[Annotated[int, Field(ge=0, le=_MAX_KERNEL // 2)]], Field(min_length=2, max_length=2)
        ],
        Field(description="Padding p or [p_h, p_w]; at most half the window."),
    ] = 0
    ceil_mode: Annotated[
        bool, Field(description="Round the output size up (a last, partial window), as torch's ceil_mode.")
    ] = False


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

    type: Literal["relu", "gelu", "sigmoid", "tanh"]


class DropoutLayer(_Spec):
    """Dropout (identity at inference; no parameters, 0 MACs)."""

    type: Literal["dropout"]
    p: Annotated[
        float, Field(ge=0.0, lt=1.0, description="Probability of zeroing an element in training.")
    ] = 0.5


class FlattenLayer(_Spec):
    """Flattens everything but the batch into one feature vector."""

    type: Literal["flatten"]


class RecurrentLayer(_Spec):
    """An LSTM, GRU or plain RNN (``torch.nn.LSTM`` / ``GRU`` / ``RNN``, batch first) over a sequence."""

    type: Literal["lstm", "gru", "rnn"]
    hidden_size: Annotated[_Channels, Field(description="Hidden state size per direction.")]
    num_layers: Annotated[int, Field(ge=1, le=8, description="Stacked layers.")] = 1
    bidirectional: Annotated[bool, Field(description="Also run backwards; doubles the output size.")] = False
    return_sequences: Annotated[
        bool, Field(description="Output every step [steps, H]; false → only the last step [H].")
    ] = True
    proj_size: Annotated[
        int,
        Field(ge=0, le=MAX_DIM, description="LSTM only: project h to this size (< hidden_size); 0 = none."),
    ] = 0
    nonlinearity: Annotated[Literal["tanh", "relu"], Field(description="RNN only: its activation.")] = "tanh"
    input_size: Annotated[
        _Channels | None, Field(description="Expected features per step; omitted → taken from the input.")
    ] = None


class EmbeddingLayer(_Spec):
    """A lookup table (``torch.nn.Embedding``): [steps] token ids → [steps, embedding_dim]; 0 MACs."""

    type: Literal["embedding"]
    num_embeddings: Annotated[int, Field(ge=1, le=4_194_304, description="Vocabulary size (rows).")]
    embedding_dim: Annotated[_Channels, Field(description="Vector size per token.")]


class AttentionLayer(_Spec):
    """Multi-head self-attention (``torch.nn.MultiheadAttention``, batch first) over [steps, embed_dim]."""

    type: Literal["multihead_attention"]
    num_heads: Annotated[int, Field(ge=1, le=256, description="Heads; must divide the feature size.")]
    bias: Annotated[bool, Field(description="Biases on the input and output projections.")] = True


class TransformerEncoderLayerSpec(_Spec):
    """One ``torch.nn.TransformerEncoderLayer`` (batch first): self-attention and a feed-forward block, each
    with a residual connection and LayerNorm, over [steps, d_model]."""

    type: Literal["transformer_encoder_layer"]
    num_heads: Annotated[int, Field(ge=1, le=256, description="Attention heads; must divide d_model.")]
    dim_feedforward: Annotated[
        int,
        Field(ge=1, le=65_536, description="Hidden width of the feed-forward block (torch's default 2048)."),
    ] = 2048
    activation: Annotated[Literal["relu", "gelu"], Field(description="Feed-forward activation.")] = "relu"
    norm_first: Annotated[
        bool, Field(description="Pre-LN (LayerNorm before each block) instead of post-LN.")
    ] = False


class ResidualLayer(_Spec):
    """A residual block: its inner layers run in order and their output is added to the block's input
    (y = F(x) + x, as in ResNet). When F changes the shape, ``projection`` adds the shortcut ResNet uses: a
    1×1 convolution (with the needed stride) for images, a linear layer for vectors and sequences."""

    type: Literal["residual"]
    layers: Annotated[
        list[Layer], Field(min_length=1, max_length=20, description="The block's layers F, in order.")
    ]
    projection: Annotated[
        bool, Field(description="Project the shortcut when F changes the shape (else the shapes must match).")
    ] = False


Layer = Annotated[
    Conv2dLayer
    | Conv1dLayer
    | ConvTranspose2dLayer
    | DepthwiseConv2dLayer
    | LinearLayer
    | PoolLayer
    | AdaptiveAvgPoolLayer
    | BatchNormLayer
    | LayerNormLayer
    | ActivationLayer
    | DropoutLayer
    | FlattenLayer
    | RecurrentLayer
    | EmbeddingLayer
    | AttentionLayer
    | TransformerEncoderLayerSpec
    | ResidualLayer,
    Field(discriminator="type"),
]
"""One layer of a custom network, told apart by its ``type`` field."""

ResidualLayer.model_rebuild()
