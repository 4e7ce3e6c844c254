"""A typed description of a transformer and exact parameter counts derived from it.

The one architecture spec of the project: the fine-tuning calculators count adapters and training memory on
it, the inference tools (:mod:`tools.inference`) read their KV cache, FLOPs and bytes from it, and the named
presets (:mod:`tools.finetuning.presets`) are instances of it. The counts follow the HuggingFace
implementations module by module (BERT, GPT-2, LLaMA/Mistral, Qwen2, Gemma/Gemma-2, Phi-3, T5, BART), so a
spec built from a model's ``config.json`` counts exactly what ``sum(p.numel() for p in model.parameters())``
gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.errors import ToolInputError

__all__ = [
    "Family",
    "LinearKind",
    "LinearLayer",
    "TransformerSpec",
    "check_spec",
    "count_params",
    "embedding_params",
    "head_params",
    "linear_layers",
    "norm_bias_params",
    "norm_params",
    "notional_spec",
    "position_bias_params",
]

#: Abstract names of the linear projections a transformer may have (peft's ``target_modules``, abstracted).
#: ``qkv`` is a fused query/key/value projection (GPT-2 ``c_attn``, Phi-3 ``qkv_proj``); ``gate_up`` a fused
#: gate and up projection (Phi-3 ``gate_up_proj``).
LinearKind = Literal["q", "k", "v", "o", "qkv", "gate", "up", "gate_up", "down", "pooler"]

#: The transformers ``model_type`` a spec follows, which decides peft's default target modules.
Family = Literal["bert", "gpt2", "llama", "mistral", "qwen2", "gemma", "gemma2", "phi3", "t5", "bart"]


class TransformerSpec(BaseModel):
    """The architecture facts that decide parameter counts, adapters, memory and inference cost."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        "custom", max_length=64, description="A label for this architecture (shown in results)."
    )
    family: Family | None = Field(
        None,
        description="The transformers model_type it follows (bert, gpt2, llama, mistral, qwen2, gemma, "
        "gemma2, phi3, t5, bart): decides peft's default target modules. Null: defaults from the layout.",
    )
    hidden_size: int = Field(
        ge=1, le=131_072, description="Model width d_model (BERT hidden_size, GPT-2 n_embd)."
    )
    num_layers: int = Field(
        ge=1, le=4096, description="Number of transformer blocks (the encoder's, for encoder-decoders)."
    )
    num_heads: int = Field(ge=1, le=4096, description="Attention (query) heads per layer.")
    num_kv_heads: int | None = Field(
        None,
        ge=1,
        le=4096,
        description="Key/value heads: fewer than num_heads is grouped-query attention (GQA), 1 is "
        "multi-query (MQA); null = num_heads (MHA).",
    )
    head_dim: int | None = Field(
        None, ge=1, le=4096, description="Per-head width; null = hidden_size / num_heads."
    )
    intermediate_size: int = Field(
        ge=1, le=1_048_576, description="Feed-forward inner width (4·h in BERT/GPT-2)."
    )
    vocab_size: int = Field(ge=1, le=4_194_304, description="Token embedding rows.")
    max_positions: int = Field(
        0,
        ge=0,
        le=1_048_576,
        description="Rows of a learned absolute position table (per stack); 0 for rotary/ALiBi/relative.",
    )
    type_vocab_size: int = Field(
        0, ge=0, le=1024, description="Token-type (segment) embedding rows; BERT has 2."
    )
    attention: Literal["separate", "fused"] = Field(
        "separate",
        description="separate q/k/v/o projections, or one fused qkv projection plus o (GPT-2 c_attn, "
        "Phi-3 qkv_proj).",
    )
    mlp: Literal["standard", "gated", "gated_fused"] = Field(
        "standard",
        description="standard up/down (BERT, GPT-2, T5 v1.0), gated gate/up/down (LLaMA SwiGLU, T5 v1.1 "
        "wi_0/wi_1/wo) or gated with one fused gate_up projection (Phi-3).",
    )
    bias: bool | list[LinearKind] = Field(
        True,
        description="Which linear layers carry biases: true = all (BERT, GPT-2, BART), false = none (LLaMA), "
        "or a list of projections, e.g. ['q', 'k', 'v'] for Qwen2.",
    )
    norm: Literal["layernorm", "rmsnorm"] = Field(
        "layernorm", description="layernorm (weight and bias) or rmsnorm (weight only)."
    )
    norms_per_block: int = Field(
        2,
        ge=1,
        le=8,
        description="Norms in each block: 2 (before attention and FFN); Gemma-2 has 4. An encoder-decoder's "
        "decoder blocks have one more, for cross-attention.",
    )
    embedding_norm: bool = Field(False, description="A norm right after the embeddings (BERT, BART).")
    final_norm: bool = Field(True, description="A norm after the last block (GPT-2 ln_f, LLaMA norm, T5).")
    output_head: Literal["none", "tied", "untied"] = Field(
        "tied",
        description="LM head: none (encoder only), tied to the token embeddings, or a separate matrix.",
    )
    pooler: bool = Field(False, description="BERT's pooler: one h×h linear on the first token.")
    decoder_layers: int = Field(
        0,
        ge=0,
        le=4096,
        description="Encoder-decoder models (T5, BART): decoder blocks (self-attention, cross-attention, "
        "FFN); num_layers then counts the encoder's. 0 = a single stack.",
    )
    relative_attention_buckets: int = Field(
        0,
        ge=0,
        le=4096,
        description="T5's relative position bias: buckets × heads in each stack's first block; 0 = none.",
    )
    max_context: int | None = Field(
        None,
        ge=1,
        le=16_777_216,
        description="Longest context in tokens (config max_position_embeddings); null = max_positions, or "
        "unknown.",
    )
    sliding_window: int | None = Field(
        None,
        ge=1,
        le=16_777_216,
        description="Attention window of sliding-window layers (Mistral-7B-v0.1: 4096): their KV cache "
        "keeps at most this many tokens. Null = full attention.",
    )
    sliding_window_layers: int | None = Field(
        None,
        ge=0,
        le=4096,
        description="How many layers use the window (Gemma-2: every other one); null = all.",
    )

    @property
    def kv_heads(self) -> int:
        return self.num_kv_heads or self.num_heads

    @property
    def head_width(self) -> int:
        return self.head_dim or self.hidden_size // self.num_heads

    @property
    def q_width(self) -> int:
        """Width of all query heads together (= hidden size unless head_dim says otherwise)."""
        return self.num_heads * self.head_width

    @property
    def kv_width(self) -> int:
        """Width of the keys (or the values) of one token in one layer: kv_heads × head_dim."""
        return self.kv_heads * self.head_width

    @property
    def stacks(self) -> int:
        """1 for encoder-only and decoder-only models, 2 for encoder-decoders (each stack has its own
        position table, embedding norm, final norm and relative bias)."""
        return 2 if self.decoder_layers else 1

    @property
    def context_limit(self) -> int | None:
        """The longest context the model supports, where known."""
        return self.max_context or self.max_positions or None

    @property
    def windowed_layers(self) -> int:
        """Layers whose attention (and KV cache) is limited to the sliding window."""
        if self.sliding_window is None:
            return 0
        return self.num_layers if self.sliding_window_layers is None else self.sliding_window_layers

    def norm_params(self) -> int:
        """Parameters of one norm over the hidden size."""
        return (2 if self.norm == "layernorm" else 1) * self.hidden_size

    def has_bias(self, kind: LinearKind) -> bool:
        return self.bias if isinstance(self.bias, bool) else kind in self.bias


@dataclass(frozen=True)
class LinearLayer:
    """One kind of linear projection in the network (e.g. the query projection of every block)."""

    kind: LinearKind
    """Its abstract name (what ``target_modules`` refers to)."""
    d_in: int
    """Input features."""
    d_out: int
    """Output features."""
    count: int
    """How many of them the network has (one per block — two per decoder block for attention projections of
    an encoder-decoder, which has self- and cross-attention — or one for the pooler)."""
    bias: bool
    """Whether each one has a bias vector."""

    @property
    def params_each(self) -> int:
        return self.d_in * self.d_out + (self.d_out if self.bias else 0)


def check_spec(spec: TransformerSpec, *, field: str) -> None:
    """Reject a spec that no model could have; the error names ``field.<attr>``."""
    if spec.head_dim is None and spec.hidden_size % spec.num_heads:
        raise ToolInputError(
            f"{field}.num_heads",
            f"hidden_size {spec.hidden_size} is not divisible by num_heads {spec.num_heads}; give head_dim",
        )
    if spec.num_heads % spec.kv_heads:
        raise ToolInputError(
            f"{field}.num_kv_heads",
            f"num_heads {spec.num_heads} must be a multiple of num_kv_heads {spec.kv_heads}",
        )
    if spec.sliding_window_layers is not None and spec.sliding_window_layers > spec.num_layers:
        raise ToolInputError(
            f"{field}.sliding_window_layers",
            f"{spec.sliding_window_layers} exceeds num_layers {spec.num_layers}",
        )
    if not isinstance(spec.bias, bool):
        have = {layer.kind for layer in linear_layers(spec)}
        unknown = [kind for kind in spec.bias if kind not in have]
        if unknown:
            raise ToolInputError(
                f"{field}.bias", f"names projections the model does not have: {', '.join(unknown)}"
            )


def linear_layers(spec: TransformerSpec) -> list[LinearLayer]:
    """Every kind of linear projection the base has, in block order; the LM head is not one of them.

    peft's ``all-linear`` adapts exactly these: every nn.Linear / Conv1D except the output head.
    """
    h, has = spec.hidden_size, spec.has_bias
    attention_count = spec.num_layers + 2 * spec.decoder_layers  # decoder: self- and cross-attention
    mlp_count = spec.num_layers + spec.decoder_layers
    q_width, kv_width, inter = spec.q_width, spec.kv_width, spec.intermediate_size
    layers: list[LinearLayer] = []
    if spec.attention == "fused":
        layers.append(LinearLayer("qkv", h, q_width + 2 * kv_width, attention_count, has("qkv")))
    else:
        layers += [
            LinearLayer("q", h, q_width, attention_count, has("q")),
            LinearLayer("k", h, kv_width, attention_count, has("k")),
            LinearLayer("v", h, kv_width, attention_count, has("v")),
        ]
    layers.append(LinearLayer("o", q_width, h, attention_count, has("o")))
    if spec.mlp == "gated_fused":
        layers.append(LinearLayer("gate_up", h, 2 * inter, mlp_count, has("gate_up")))
    else:
        if spec.mlp == "gated":
            layers.append(LinearLayer("gate", h, inter, mlp_count, has("gate")))
        layers.append(LinearLayer("up", h, inter, mlp_count, has("up")))
    layers.append(LinearLayer("down", inter, h, mlp_count, has("down")))
    if spec.pooler:
        layers.append(LinearLayer("pooler", h, h, 1, has("pooler")))
    return layers


def embedding_params(spec: TransformerSpec) -> int:
    """Token, learned-position (one table per stack) and token-type tables."""
    return (spec.vocab_size + spec.stacks * spec.max_positions + spec.type_vocab_size) * spec.hidden_size


def position_bias_params(spec: TransformerSpec) -> int:
    """T5's relative attention bias: a buckets × heads table in the first block of each stack."""
    return spec.stacks * spec.relative_attention_buckets * spec.num_heads


def norm_params(spec: TransformerSpec) -> int:
    """All norm parameters: norms_per_block per block (one more per decoder block of an encoder-decoder), plus
    the embedding and final norms of each stack where present."""
    per_block = spec.norms_per_block
    count = per_block * spec.num_layers + (per_block + 1) * spec.decoder_layers
    count += spec.stacks * (int(spec.embedding_norm) + int(spec.final_norm))
    return count * spec.norm_params()


def norm_bias_params(spec: TransformerSpec) -> int:
    """The bias vectors among the norms (LayerNorm has one, RMSNorm none)."""
    return norm_params(spec) // 2 if spec.norm == "layernorm" else 0


def head_params(spec: TransformerSpec) -> int:
    """The untied output head (vocab × hidden, no bias); a tied head shares the token embedding."""
    return spec.vocab_size * spec.hidden_size if spec.output_head == "untied" else 0


def count_params(spec: TransformerSpec) -> int:
    """Total parameters of the base, counted module by module."""
    linear = sum(layer.params_each * layer.count for layer in linear_layers(spec))
    return (
        embedding_params(spec) + position_bias_params(spec) + norm_params(spec) + linear + head_params(spec)
    )


def notional_spec(
    params: float, vocab_size: int = 32000, *, num_kv_heads: int | None = None
) -> TransformerSpec:
    """A LLaMA-shaped decoder of about ``params`` parameters, for when only a size is known.

    Width and depth follow the LLaMA family's proportions: head width 128, depth = width / 128, a gated MLP of
    ≈ 8h/3 so a block holds 12·h² parameters, untied embeddings of ``vocab_size`` rows. Solves
    12·h³/128 + 2·V·h = params for h, rounds h to a multiple of 128 and sets L = (params − 2·V·h) / (12·h²).
    ``num_kv_heads`` gives it grouped-query attention: the width then rounds to a multiple of
    128 × num_kv_heads (so the heads split evenly into KV groups, and over as many GPUs) and the MLP widens to
    (10h − 2·kv_width)/3, keeping a block at ≈ 12·h² (LLaMA-2-70B: 3.5·h). The default keeps multi-head
    attention.
    """
    lo, hi = 1.0, 1e6
    for _ in range(200):  # bisection: the left-hand side grows monotonically with h
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if 12 * mid**3 / 128 + 2 * vocab_size * mid < params else (lo, mid)
    step = 128 * (num_kv_heads or 1)  # with GQA, a head count that splits evenly into KV groups (and GPUs)
    hidden = max(step, step * round(lo / step))
    layers = max(1, round((params - 2 * vocab_size * hidden) / (12 * hidden**2)))
    heads = hidden // 128
    kv = None if num_kv_heads is None else math.gcd(heads, num_kv_heads)
    kv_width = 128 * (kv or heads)
    inter = max(128, 128 * math.ceil((10 * hidden - 2 * kv_width) / 3 / 128))
    return TransformerSpec(
        name=f"notional {params / 1e9:g}B decoder",
        family="llama",
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=kv,
        intermediate_size=inter,
        vocab_size=vocab_size,
        mlp="gated",
        bias=False,
        norm="rmsnorm",
        output_head="untied",
    )
