"""Parameter calculators for single layers and whole transformer stacks, with the formula in every result.

Counts match what torch's modules hold (``nn.Conv2d``, ``nn.Linear``, ``nn.TransformerEncoderLayer``; the
recurrent layers are :mod:`tools.complexity.recurrent`); the arithmetic is exact integer math, no torch.
"""

from typing import Annotated, Literal

from pydantic import Field

from tools._common import ResultModel
from tools.errors import ToolInputError

__all__ = [
    "Conv2dParamsResult",
    "LinearParamsResult",
    "TransformerComponent",
    "TransformerParamsResult",
    "conv2d_params",
    "linear_params",
    "transformer_params",
]

MAX_CHANNELS = 1_000_000
MAX_SPATIAL = 1_000_000
MAX_KERNEL = 4096

Side = Annotated[int, Field(ge=1, le=MAX_KERNEL)]
SidePair = Annotated[list[Side], Field(min_length=2, max_length=2)]
Pad = Annotated[int, Field(ge=0, le=MAX_KERNEL)]
PadPair = Annotated[list[Pad], Field(min_length=2, max_length=2)]
Spatial = Annotated[int, Field(ge=1, le=MAX_SPATIAL)]
SpatialPair = Annotated[list[Spatial], Field(min_length=2, max_length=2)]


def _n(value: int) -> str:
    return f"{value:,}"


# ---------------------------------------------------------------------------------------------- results


class Conv2dParamsResult(ResultModel):
    params: int = Field(description="Total learnable parameters: weight + bias.")
    weight_params: int = Field(description="k_h·k_w·(C_in/groups)·C_out.")
    bias_params: int = Field(description="C_out with bias, else 0.")
    weight_shape: list[int] = Field(description="torch's weight shape [C_out, C_in/groups, k_h, k_w].")
    formula: str = Field(description="The parameter formula with this call's numbers.")
    output_shape: list[int] | None = Field(
        description="[C_out, H_out, W_out] for one input of input_size; None when input_size is not given."
    )
    macs: int | None = Field(
        description="Multiply-accumulates for one image: H_out·W_out·C_out·(C_in/groups)·k_h·k_w (bias adds "
        "not counted, as torch's FLOP counter); None without input_size."
    )
    flops: int | None = Field(
        description="2·MACs, torch.utils.flop_counter's convention; None without input_size."
    )
    output_formula: str | None = Field(
        description="How H_out and W_out follow from the input; None without it."
    )
    note: str = Field(description="What kind of convolution this is and how to read the numbers.")


class LinearParamsResult(ResultModel):
    params: int = Field(description="in·out + out with bias, in·out without.")
    weight_params: int = Field(description="in·out.")
    bias_params: int = Field(description="out with bias (one per output feature), else 0.")
    weight_shape: list[int] = Field(description="torch's weight shape [out_features, in_features].")
    macs_per_sample: int = Field(description="in·out multiply-accumulates per input vector.")
    formula: str = Field(description="The parameter formula with this call's numbers.")
    note: str = Field(description="Why the bias term is `out`, not `in`.")


class TransformerComponent(ResultModel):
    component: str = Field(description="Part of the model.")
    params: int = Field(description="Its parameters, over all layers.")
    share: float = Field(description="Fraction of the total, 0–1.")
    formula: str = Field(
        description="How it is counted (d = d_model, L = n_layers, V = vocab, P = positions)."
    )


class TransformerParamsResult(ResultModel):
    params: int = Field(description="Total unique parameters (a tied output head is counted once).")
    breakdown: list[TransformerComponent] = Field(
        description="Embeddings, attention, feed-forward, norms, head."
    )
    per_block: int = Field(description="Parameters of one transformer block.")
    non_embedding_params: int = Field(
        description="Total minus token and position embeddings: the N of Kaplan et al.'s scaling laws."
    )
    head_dim: int = Field(
        description="d_model / n_heads (the head count does not change the parameter count)."
    )
    layout: str = Field(description="The block layout these counts assume.")
    note: str = Field(description="How to read the numbers and what would change them.")


# ---------------------------------------------------------------------------------------------- helpers


def _pair(name: str, value: int | list[int], minimum: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2:
        raise ToolInputError(name, f"give one integer or a pair [h, w]; got {len(pair)} values")
    if min(pair) < minimum:
        raise ToolInputError(name, f"must be ≥ {minimum}; got {list(pair)}")
    return pair[0], pair[1]


def _positive(name: str, value: int) -> None:
    if value < 1:
        raise ToolInputError(name, f"must be ≥ 1; got {value}")


# ---------------------------------------------------------------------------------------------- tools


def conv2d_params(
    kernel_size: Annotated[Side | SidePair, Field(description="Kernel size k or [k_h, k_w].")],
    in_channels: Annotated[int, Field(ge=1, le=MAX_CHANNELS, description="C_in, channels of the input.")],
    out_channels: Annotated[
        int | None,
        Field(
            ge=1,
            le=MAX_CHANNELS,
            description="C_out, number of filters. Required unless depthwise, which by default keeps one "
            "filter for each.",
        ),
    ] = None,
    bias: Annotated[bool, Field(description="Whether the layer has one bias per output channel.")] = True,
    groups: Annotated[
        int,
        Field(
            ge=1,
            le=MAX_CHANNELS,
            description="Channel groups; must divide both C_in and C_out (groups = C_in: depthwise).",
        ),
    ] = 1,
    depthwise: Annotated[
        bool,
        Field(
            description="A depthwise convolution (MobileNet, Xception): groups = C_in, one filter per input "
            "channel unless out_channels asks for a multiple."
        ),
    ] = False,
    input_size: Annotated[
        Spatial | SpatialPair | None,
        Field(description="Input height and width, H or [H, W], to get the output shape and MACs."),
    ] = None,
    stride: Annotated[Side | SidePair, Field(description="Stride s or [s_h, s_w].")] = 1,
    padding: Annotated[
        Pad | PadPair | Literal["same", "valid"],
        Field(description="Zero padding p or [p_h, p_w] on each side, or 'same' / 'valid' as torch accepts."),
    ] = 0,
    dilation: Annotated[Side | SidePair, Field(description="Dilation d or [d_h, d_w].")] = 1,
) -> Conv2dParamsResult:
    """Parameters of a 2-D convolution, (k_h·k_w·C_in/groups + 1)·C_out, as torch.nn.Conv2d holds them.

    With input_size also the output shape [C_out, H_out, W_out] (H_out = ⌊(H + 2p − d·(k−1) − 1)/s⌋ + 1) and
    the multiply-accumulates for one image. kernel_size, stride, padding and dilation take an int or [h, w];
    padding also 'same' (stride 1 only) or 'valid'. groups must divide both channel counts.
    """
    k_h, k_w = _pair("kernel_size", kernel_size, 1)
    s_h, s_w = _pair("stride", stride, 1)
    d_h, d_w = _pair("dilation", dilation, 1)
    _positive("in_channels", in_channels)
    _positive("groups", groups)
    if depthwise:
        if groups not in (1, in_channels):
            raise ToolInputError(
                "groups", f"a depthwise convolution has groups = in_channels = {in_channels} (got {groups})"
            )
        groups = in_channels
    if out_channels is None:
        if groups != in_channels:
            raise ToolInputError(
                "out_channels",
                "is needed: only a depthwise convolution (depthwise=true, or groups = in_channels) "
                "keeps C_out = C_in when it is left out",
            )
        out_channels = in_channels
    _positive("out_channels", out_channels)
    for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
        if channels % groups:
            raise ToolInputError(
                "groups",
                f"must divide {name} ({channels} is not a multiple of {groups}); torch rejects it too",
            )
    if padding == "same":
        if (s_h, s_w) != (1, 1):
            raise ToolInputError(
                "padding", "'same' is only defined for stride 1 (torch rejects it otherwise)"
            )
        # torch pads d·(k−1) in total, the odd extra on the bottom/right.
        pad_total = (d_h * (k_h - 1), d_w * (k_w - 1))
        pad_text = f"'same' (total padding d·(k−1) = {pad_total[0]}×{pad_total[1]})"
    elif padding == "valid":
        pad_total = (0, 0)
        pad_text = "'valid' (no padding)"
    else:
        p_h, p_w = _pair("padding", padding, 0)
        pad_total = (2 * p_h, 2 * p_w)
        pad_text = f"{p_h}×{p_w} on each side"

    c_in_per_group = in_channels // groups
    weight = k_h * k_w * c_in_per_group * out_channels
    bias_params = out_channels if bias else 0
    plus_one = " + 1" if bias else ""
    formula = (
        f"(k_h·k_w·C_in/groups{plus_one})·C_out = "
        f"({k_h}·{k_w}·{in_channels}/{groups}{plus_one})·{out_channels} = {_n(weight + bias_params)}"
    )
    if groups == 1:
        kind = "a standard convolution: every filter sees all input channels"
    elif groups == in_channels:
        kind = (
            f"a depthwise convolution (groups = C_in = {in_channels}): each filter sees one input channel, "
            f"{out_channels // in_channels} filter(s) per channel"
        )
    else:
        kind = f"a grouped convolution: {groups} groups of {c_in_per_group} input channels each"

    output_shape = macs = flops = None
    output_formula = None
    notes = [f"This is {kind}", f"padding {pad_text}"]
    if input_size is not None:
        in_h, in_w = _pair("input_size", input_size, 1)
        sides = []
        for axis, size, k, s, d, pad in (
            ("H", in_h, k_h, s_h, d_h, pad_total[0]),
            ("W", in_w, k_w, s_w, d_w, pad_total[1]),
        ):
            reach = d * (k - 1) + 1
            if size + pad < reach:
                raise ToolInputError(
                    "input_size",
                    f"{axis} = {size} plus padding {pad} is smaller than the kernel's reach d·(k−1)+1 = "
                    f"{reach}",
                )
            sides.append((size + pad - reach) // s + 1)
        out_h, out_w = sides
        output_shape = [out_channels, out_h, out_w]
        macs = out_h * out_w * out_channels * c_in_per_group * k_h * k_w
        flops = 2 * macs
        output_formula = (
            f"H_out = ⌊(H + pad_total − d·(k−1) − 1)/s⌋ + 1 = "
            f"⌊({in_h} + {pad_total[0]} − {d_h}·{k_h - 1} − 1)/{s_h}⌋ + 1 = {out_h}; "
            f"W_out = ⌊({in_w} + {pad_total[1]} − {d_w}·{k_w - 1} − 1)/{s_w}⌋ + 1 = {out_w}; "
            f"MACs = H_out·W_out·C_out·(C_in/groups)·k_h·k_w = {_n(macs)}"
        )
        notes.append(
            "MACs are for one image (batch 1); bias additions are not counted, as in torch's FLOP counter"
        )
    return Conv2dParamsResult(
        params=weight + bias_params,
        weight_params=weight,
        bias_params=bias_params,
        weight_shape=[out_channels, c_in_per_group, k_h, k_w],
        formula=formula,
        output_shape=output_shape,
        macs=macs,
        flops=flops,
        output_formula=output_formula,
        note="; ".join(notes) + ".",
    )


def linear_params(
    in_features: Annotated[int, Field(ge=1, le=100_000_000, description="Size of each input vector.")],
    out_features: Annotated[int, Field(ge=1, le=100_000_000, description="Size of each output vector.")],
    bias: Annotated[bool, Field(description="Whether the layer adds a learned bias.")] = True,
) -> LinearParamsResult:
    """Parameters of a fully connected layer y = W·x + b: in·out + out (torch.nn.Linear, Keras Dense).

    The weight is [out, in] and the bias has one entry per output feature, so the bias adds `out`, not `in`
    (the "in·out + in" sometimes quoted for MLP layers is wrong). Also returns the multiply-accumulates per
    input vector.
    """
    _positive("in_features", in_features)
    _positive("out_features", out_features)
    weight = in_features * out_features
    bias_params = out_features if bias else 0
    formula = f"in·out{' + out' if bias else ''} = {in_features}·{out_features}"
    formula += f" + {out_features} = {_n(weight + bias_params)}" if bias else f" = {_n(weight)}"
    return LinearParamsResult(
        params=weight + bias_params,
        weight_params=weight,
        bias_params=bias_params,
        weight_shape=[out_features, in_features],
        macs_per_sample=weight,
        formula=formula,
        note=(
            "Each of the out_features outputs has its own bias, so the bias term is `out` "
            f"({out_features}); the formula 'in·out + in' sometimes given for a Keras MLP layer is wrong "
            f"(it would give {_n(weight + in_features)} here). Keras Dense(units=out) holds exactly "
            "in·out + out as well."
        ),
    )


def transformer_params(
    d_model: Annotated[int, Field(ge=1, le=65_536, description="d, the width of the residual stream.")],
    n_layers: Annotated[int, Field(ge=1, le=1000, description="L, number of transformer blocks.")],
    n_heads: Annotated[int, Field(ge=1, le=4096, description="Attention heads; must divide d_model.")],
    d_ff: Annotated[int, Field(ge=1, le=1_000_000, description="Hidden width of the feed-forward block.")],
    vocab_size: Annotated[int, Field(ge=1, le=10_000_000, description="V, tokens in the vocabulary.")],
    max_positions: Annotated[
        int,
        Field(
            ge=0,
            le=10_000_000,
            description="P, rows of the learned position table (0 when positions are not learned: RoPE).",
        ),
    ],
    kind: Annotated[
        Literal["encoder", "decoder"],
        Field(
            description="decoder: GPT-2-style decoder-only; encoder: torch.nn.TransformerEncoderLayer stack."
        ),
    ] = "decoder",
    tied_embeddings: Annotated[
        bool,
        Field(description="The output head reuses the token-embedding matrix (adds no parameters)."),
    ] = True,
) -> TransformerParamsResult:
    """Parameters of a transformer by component: embeddings, attention, feed-forward, LayerNorms, output head.

    Layout: learned token and position embeddings; per block multi-head self-attention (Q, K, V and output
    projections, d×d each, with biases) = 4d² + 4d, feed-forward d→d_ff→d with biases = 2·d·d_ff + d_ff + d,
    and two LayerNorms (4d). decoder = GPT-2 (pre-LN, final LayerNorm); encoder = torch's
    TransformerEncoderLayer stack (post-LN, no final norm). The vocabulary head is tied (free) or a
    bias-free V×d matrix. GPT-2 small (d=768, L=12, d_ff=3072, V=50257, P=1024, tied) gives 124,439,808.
    """
    for name, value in (("d_model", d_model), ("n_layers", n_layers), ("n_heads", n_heads), ("d_ff", d_ff)):
        _positive(name, value)
    _positive("vocab_size", vocab_size)
    if max_positions < 0:
        raise ToolInputError("max_positions", f"must be ≥ 0; got {max_positions}")
    if d_model % n_heads:
        raise ToolInputError(
            "n_heads",
            f"must divide d_model ({d_model} % {n_heads} = {d_model % n_heads}); e.g. use a divisor",
        )
    d, L, V, P, ff = d_model, n_layers, vocab_size, max_positions, d_ff
    attention_block = 4 * d * d + 4 * d
    ffn_block = 2 * d * ff + ff + d
    norms_block = 2 * 2 * d
    final_norm = 2 * d if kind == "decoder" else 0
    per_block = attention_block + ffn_block + norms_block
    head = 0 if tied_embeddings else V * d
    parts = [
        ("token embedding", V * d, "V·d"),
        ("position embedding", P * d, "P·d (learned)"),
        ("attention", L * attention_block, "L·(4d² + 4d): Q, K, V, output projections with biases"),
        ("feed-forward", L * ffn_block, "L·(2·d·d_ff + d_ff + d): two linears with biases"),
        (
            "layer norms",
            L * norms_block + final_norm,
            "L·2·2d (γ and β of two LayerNorms per block)"
            + (" + 2d (final LayerNorm)" if final_norm else ""),
        ),
        (
            "output head",
            head,
            "0 (tied to the token embedding)" if tied_embeddings else "V·d (untied, no bias)",
        ),
    ]
    total = sum(count for _, count, _ in parts)
    if kind == "decoder":
        layout = (
            "GPT-2-style decoder-only: learned token + position embeddings; each block = LayerNorm → "
            "causal self-attention (fused QKV d→3d + output projection, biases) → LayerNorm → MLP "
            "d→d_ff→d (biases); final LayerNorm; no cross-attention"
        )
    else:
        layout = (
            "Encoder as a stack of torch.nn.TransformerEncoderLayer (post-LN): learned token + position "
            "embeddings; each block = self-attention (in_proj 3d×d + bias, out_proj d×d + bias) → "
            "Add&LayerNorm → linear1 d→d_ff → linear2 d_ff→d (biases) → Add&LayerNorm; no final LayerNorm"
        )
    layout += "; output head " + (
        "tied to the token embedding" if tied_embeddings else "a separate V×d matrix"
    )
    return TransformerParamsResult(
        params=total,
        breakdown=[
            TransformerComponent(component=name, params=count, share=count / total, formula=formula)
            for name, count, formula in parts
        ],
        per_block=per_block,
        non_embedding_params=total - V * d - P * d,
        head_dim=d // n_heads,
        layout=layout,
        note=(
            f"total = {_n(total)}: embeddings {_n(V * d + P * d)} + {L} blocks × {_n(per_block)} + "
            f"{_n(final_norm + head)} (final norm, head). The number of heads splits d into {n_heads} × "
            f"{d // n_heads} without changing the count. Not included: BERT's token-type embeddings, "
            "embedding LayerNorm and pooler, bias-free or gated (SwiGLU) MLPs, RMSNorm, cross-attention."
        ),
    )
