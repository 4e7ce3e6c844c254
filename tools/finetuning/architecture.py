"""A typed description of a transformer, named presets, and exact parameter counts derived from it.

The counts follow the HuggingFace implementations module by module (BERT, GPT-2, LLaMA/Mistral), so a spec
built from a model's ``config.json`` counts exactly what ``sum(p.numel() for p in model.parameters())`` gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.errors import ToolInputError

__all__ = [
    "PRESETS",
    "LinearKind",
    "LinearLayer",
    "Preset",
    "PresetName",
    "TransformerSpec",
    "count_params",
    "linear_layers",
    "notional_spec",
    "resolve_base",
]

#: Abstract names of the linear projections a transformer may have (peft's ``target_modules``, abstracted).
LinearKind = Literal["q", "k", "v", "o", "qkv", "gate", "up", "down", "pooler"]

PresetName = Literal[
    "bert-base",
    "bert-large",
    "gpt2-small",
    "gpt2-medium",
    "llama-7b",
    "llama-2-7b",
    "llama-2-13b",
    "llama-2-70b",
    "llama-3-8b",
    "mistral-7b",
]


class TransformerSpec(BaseModel):
    """The architecture facts that decide parameter counts, fine-tuning adapters and memory."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        "custom", max_length=64, description="A label for this architecture (shown in results)."
    )
    hidden_size: int = Field(
        ge=1, le=131_072, description="Model width d_model (BERT hidden_size, GPT-2 n_embd)."
    )
    num_layers: int = Field(ge=1, le=4096, description="Number of transformer blocks.")
    num_heads: int = Field(ge=1, le=4096, description="Attention (query) heads per layer.")
    num_kv_heads: int | None = Field(
        None,
        ge=1,
        le=4096,
        description="Key/value heads for grouped-query attention; null = num_heads (MHA).",
    )
    head_dim: int | None = Field(
        None, ge=1, le=4096, description="Per-head width; null = hidden_size / num_heads."
    )
    intermediate_size: int = Field(
        ge=1, le=1_048_576, description="Feed-forward inner width (4·h in BERT/GPT-2)."
    )
    vocab_size: int = Field(ge=1, le=4_194_304, description="Token embedding rows.")
    max_positions: int = Field(
        0, ge=0, le=1_048_576, description="Rows of a learned absolute position table; 0 for rotary/ALiBi."
    )
    type_vocab_size: int = Field(
        0, ge=0, le=1024, description="Token-type (segment) embedding rows; BERT has 2."
    )
    attention: Literal["separate", "fused"] = Field(
        "separate", description="separate q/k/v/o projections, or one fused qkv (GPT-2 Conv1D c_attn) plus o."
    )
    mlp: Literal["standard", "gated"] = Field(
        "standard", description="standard up/down (BERT, GPT-2) or gated gate/up/down (LLaMA SwiGLU)."
    )
    bias: bool = Field(True, description="Linear layers carry biases (BERT, GPT-2: yes; LLaMA: no).")
    norm: Literal["layernorm", "rmsnorm"] = Field(
        "layernorm", description="layernorm (weight and bias) or rmsnorm (weight only); two per block."
    )
    embedding_norm: bool = Field(False, description="A norm right after the embeddings (BERT).")
    final_norm: bool = Field(True, description="A norm after the last block (GPT-2 ln_f, LLaMA norm).")
    output_head: Literal["none", "tied", "untied"] = Field(
        "tied",
        description="LM head: none (encoder only), tied to the token embeddings, or a separate matrix.",
    )
    pooler: bool = Field(False, description="BERT's pooler: one h×h linear on the first token.")

    @property
    def kv_heads(self) -> int:
        return self.num_kv_heads or self.num_heads

    @property
    def head_width(self) -> int:
        return self.head_dim or self.hidden_size // self.num_heads

    def norm_params(self) -> int:
        """Parameters of one norm over the hidden size."""
        return (2 if self.norm == "layernorm" else 1) * self.hidden_size


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
    """How many of them the network has (one per block, or one for the pooler)."""
    bias: bool
    """Whether each one has a bias vector."""

    @property
    def params_each(self) -> int:
        return self.d_in * self.d_out + (self.d_out if self.bias else 0)


@dataclass(frozen=True)
class Preset:
    """A named architecture with the source of its numbers."""

    spec: TransformerSpec
    """The architecture."""
    source: str
    """The config it is transcribed from."""
    known_params: int
    """The published / framework-reported total, to check the counting against."""


def _bert(name: str, h: int, layers: int, heads: int) -> TransformerSpec:
    return TransformerSpec(
        name=name,
        hidden_size=h,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=4 * h,
        vocab_size=30522,
        max_positions=512,
        type_vocab_size=2,
        embedding_norm=True,
        final_norm=False,
        output_head="none",
        pooler=True,
    )


def _gpt2(name: str, h: int, layers: int, heads: int) -> TransformerSpec:
    return TransformerSpec(
        name=name,
        hidden_size=h,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=4 * h,
        vocab_size=50257,
        max_positions=1024,
        attention="fused",
    )


def _llama(name: str, h: int, layers: int, heads: int, kv: int, inter: int, vocab: int) -> TransformerSpec:
    return TransformerSpec(
        name=name,
        hidden_size=h,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=kv,
        intermediate_size=inter,
        vocab_size=vocab,
        mlp="gated",
        bias=False,
        norm="rmsnorm",
        output_head="untied",
    )


PRESETS: dict[str, Preset] = {
    "bert-base": Preset(
        _bert("bert-base", 768, 12, 12), "bert-base-uncased config.json (BertModel with pooler)", 109_482_240
    ),
    "bert-large": Preset(
        _bert("bert-large", 1024, 24, 16),
        "bert-large-uncased config.json (BertModel with pooler)",
        335_141_888,
    ),
    "gpt2-small": Preset(_gpt2("gpt2-small", 768, 12, 12), "openai-community/gpt2 config.json", 124_439_808),
    "gpt2-medium": Preset(
        _gpt2("gpt2-medium", 1024, 24, 16), "openai-community/gpt2-medium config.json", 354_823_168
    ),
    "llama-7b": Preset(
        _llama("llama-7b", 4096, 32, 32, 32, 11008, 32000), "huggyllama/llama-7b config.json", 6_738_415_616
    ),
    "llama-2-7b": Preset(
        _llama("llama-2-7b", 4096, 32, 32, 32, 11008, 32000),
        "meta-llama/Llama-2-7b-hf config.json",
        6_738_415_616,
    ),
    "llama-2-13b": Preset(
        _llama("llama-2-13b", 5120, 40, 40, 40, 13824, 32000),
        "meta-llama/Llama-2-13b-hf config.json",
        13_015_864_320,
    ),
    "llama-2-70b": Preset(
        _llama("llama-2-70b", 8192, 80, 64, 8, 28672, 32000),
        "meta-llama/Llama-2-70b-hf config.json (GQA, 8 KV heads)",
        68_976_648_192,
    ),
    "llama-3-8b": Preset(
        _llama("llama-3-8b", 4096, 32, 32, 8, 14336, 128256),
        "meta-llama/Meta-Llama-3-8B config.json (GQA, 8 KV heads)",
        8_030_261_248,
    ),
    "mistral-7b": Preset(
        _llama("mistral-7b", 4096, 32, 32, 8, 14336, 32000),
        "mistralai/Mistral-7B-v0.1 config.json (GQA, 8 KV heads)",
        7_241_732_096,
    ),
}


def resolve_base(base: str | TransformerSpec, *, field: str = "base") -> tuple[TransformerSpec, str]:
    """The spec behind ``base`` (a preset name or a spec) and a label saying where it comes from.

    Checks that the spec is self-consistent; a problem is a :class:`ToolInputError` naming ``field.<attr>``.
    """
    if isinstance(base, str):
        try:
            preset = PRESETS[base]
        except KeyError:
            raise ToolInputError(field, f"unknown preset {base!r}; known: {', '.join(PRESETS)}") from None
        return preset.spec, f"{base} ({preset.source})"
    spec = base
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
    return spec, f"{spec.name} (custom spec)"


def linear_layers(spec: TransformerSpec) -> list[LinearLayer]:
    """Every kind of linear projection the base has, in block order; the LM head is not one of them.

    peft's ``all-linear`` adapts exactly these: every nn.Linear / Conv1D except the output head.
    """
    h, n, b = spec.hidden_size, spec.num_layers, spec.bias
    q_width, kv_width = spec.num_heads * spec.head_width, spec.kv_heads * spec.head_width
    layers: list[LinearLayer] = []
    if spec.attention == "fused":
        layers.append(LinearLayer("qkv", h, q_width + 2 * kv_width, n, b))
    else:
        layers += [
            LinearLayer("q", h, q_width, n, b),
            LinearLayer("k", h, kv_width, n, b),
            LinearLayer("v", h, kv_width, n, b),
        ]
    layers.append(LinearLayer("o", q_width, h, n, b))
    if spec.mlp == "gated":
        layers.append(LinearLayer("gate", h, spec.intermediate_size, n, b))
    layers += [
        LinearLayer("up", h, spec.intermediate_size, n, b),
        LinearLayer("down", spec.intermediate_size, h, n, b),
    ]
    if spec.pooler:
        layers.append(LinearLayer("pooler", h, h, 1, b))
    return layers


def embedding_params(spec: TransformerSpec) -> int:
    """Token, learned-position and token-type tables."""
    return (spec.vocab_size + spec.max_positions + spec.type_vocab_size) * spec.hidden_size


def norm_params(spec: TransformerSpec) -> int:
    """All norm parameters: two per block, plus the embedding and final norms where present."""
    count = 2 * spec.num_layers + int(spec.embedding_norm) + int(spec.final_norm)
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
    return embedding_params(spec) + norm_params(spec) + linear + head_params(spec)


def notional_spec(params: float, vocab_size: int = 32000) -> TransformerSpec:
    """A LLaMA-shaped decoder of about ``params`` parameters, for when only a size is known.

    Width and depth follow the LLaMA family's proportions: head width 128, depth = width / 128, a gated MLP of
    ≈ 8h/3 so a block holds 12·h² parameters, untied embeddings of ``vocab_size`` rows. Solves
    12·h³/128 + 2·V·h = params for h, rounds h to a multiple of 128 and sets L = (params − 2·V·h) / (12·h²).
    """
    lo, hi = 1.0, 1e6
    for _ in range(200):  # bisection: the left-hand side grows monotonically with h
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if 12 * mid**3 / 128 + 2 * vocab_size * mid < params else (lo, mid)
    hidden = max(128, 128 * round(lo / 128))
    layers = max(1, round((params - 2 * vocab_size * hidden) / (12 * hidden**2)))
    inter = max(128, 128 * math.ceil(8 * hidden / 3 / 128))
    return TransformerSpec(
        name=f"notional {params / 1e9:g}B decoder",
        hidden_size=hidden,
        num_layers=layers,
        num_heads=hidden // 128,
        intermediate_size=inter,
        vocab_size=vocab_size,
        mlp="gated",
        bias=False,
        norm="rmsnorm",
        output_head="untied",
    )
