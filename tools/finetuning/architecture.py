"""A typed description of a transformer and exact parameter counts derived from it.

The one architecture spec of the project: the fine-tuning calculators count adapters and training memory on
it, the inference tools (:mod:`tools.inference`) read their KV cache, FLOPs and bytes from it, and the named
presets (:mod:`tools.finetuning.presets`) are instances of it. The counts follow the HuggingFace
implementations module by module (BERT, GPT-2, LLaMA/Mistral, Qwen2/Qwen3, Gemma/Gemma-2, Phi-3, T5, BART,
the mixtures of experts Mixtral, Qwen3-MoE and DeepSeek-V2/V3 with multi-head latent attention), so a spec
built from a model's ``config.json`` counts exactly what ``sum(p.numel() for p in model.parameters())`` gives.
The spec itself is defined in :mod:`tools.finetuning.spec` and re-exported here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tools.errors import ToolInputError
from tools.finetuning.spec import Family, LinearKind, TransformerSpec

__all__ = [
    "Family",
    "LinearKind",
    "LinearLayer",
    "TransformerSpec",
    "active_params",
    "check_spec",
    "count_params",
    "embedding_params",
    "head_norm_params",
    "head_params",
    "linear_layers",
    "norm_bias_params",
    "norm_params",
    "notional_spec",
    "position_bias_params",
]


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
    active: float = 1.0
    """The share of them one token passes through: experts_per_token / num_experts for the routed experts'
    projections, 1 for every other layer."""

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
    _check_experts(spec, field)
    _check_latent_attention(spec, field)
    if not isinstance(spec.bias, bool):
        have = {layer.kind for layer in linear_layers(spec)}
        unknown = [kind for kind in spec.bias if kind not in have]
        if unknown:
            raise ToolInputError(
                f"{field}.bias", f"names projections the model does not have: {', '.join(unknown)}"
            )


_MOE_FIELDS = ("experts_per_token", "moe_intermediate_size", "shared_experts", "dense_layers")
_MLA_FIELDS = ("q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")


def _check_experts(spec: TransformerSpec, field: str) -> None:
    if not spec.num_experts:
        for name in _MOE_FIELDS:
            if getattr(spec, name):
                raise ToolInputError(
                    f"{field}.{name}", "applies to a mixture of experts: give num_experts too"
                )
        return
    k = spec.experts_per_token
    if k is None or k > spec.num_experts:
        raise ToolInputError(
            f"{field}.experts_per_token",
            f"give how many of the {spec.num_experts} experts each token is routed to (1–{spec.num_experts})",
        )
    if spec.dense_layers >= spec.num_layers:
        raise ToolInputError(
            f"{field}.dense_layers",
            f"{spec.dense_layers} dense layers leave none of the {spec.num_layers} layers for the experts",
        )
    if spec.mlp != "gated" or spec.decoder_layers:
        name = "mlp" if spec.mlp != "gated" else "decoder_layers"
        raise ToolInputError(
            f"{field}.{name}",
            "experts are gated MLPs (gate, up, down) of a decoder-only model: use mlp='gated'",
        )


def _check_latent_attention(spec: TransformerSpec, field: str) -> None:
    if spec.attention != "mla":
        for name in _MLA_FIELDS:
            if getattr(spec, name) is not None:
                raise ToolInputError(
                    f"{field}.{name}", "applies to multi-head latent attention: attention='mla'"
                )
        return
    for name in _MLA_FIELDS[1:]:
        if getattr(spec, name) is None:
            raise ToolInputError(f"{field}.{name}", "multi-head latent attention (attention='mla') needs it")
    if spec.decoder_layers or spec.num_kv_heads not in (None, spec.num_heads):
        name = "decoder_layers" if spec.decoder_layers else "num_kv_heads"
        raise ToolInputError(
            f"{field}.{name}", "multi-head latent attention is for decoder-only models with one key per head"
        )


def _attention_layers(spec: TransformerSpec, count: int) -> list[LinearLayer]:
    """The attention projections of one kind of block (``count`` of them)."""
    h, has = spec.hidden_size, spec.has_bias
    q_width, kv_width = spec.q_width, spec.kv_width
    if spec.attention == "mla":
        latent, rope = spec.kv_lora_rank or 0, spec.qk_rope_head_dim or 0
        heads, nope = spec.num_heads, spec.qk_nope_head_dim or 0
        if spec.q_lora_rank:
            query = [
                LinearLayer("q_a", h, spec.q_lora_rank, count, has("q_a")),
                LinearLayer("q_b", spec.q_lora_rank, q_width, count, has("q_b")),
            ]
        else:
            query = [LinearLayer("q", h, q_width, count, has("q"))]
        return [
            *query,
            LinearLayer("kv_a", h, latent + rope, count, has("kv_a")),
            LinearLayer("kv_b", latent, heads * (nope + spec.v_head_width), count, has("kv_b")),
            LinearLayer("o", heads * spec.v_head_width, h, count, has("o")),
        ]
    if spec.attention == "fused":
        qkv = [LinearLayer("qkv", h, q_width + 2 * kv_width, count, has("qkv"))]
    else:
        qkv = [
            LinearLayer("q", h, q_width, count, has("q")),
            LinearLayer("k", h, kv_width, count, has("k")),
            LinearLayer("v", h, kv_width, count, has("v")),
        ]
    return [*qkv, LinearLayer("o", q_width, h, count, has("o"))]


def _expert_layers(spec: TransformerSpec) -> list[LinearLayer]:
    """The MoE layers' router, routed experts (each fused gate_up and down, per expert) and shared experts."""
    h, has, layers, experts = spec.hidden_size, spec.has_bias, spec.moe_layers, spec.num_experts
    width, share = spec.expert_width, (spec.experts_per_token or 0) / experts
    out = [
        LinearLayer("router", h, experts, layers, False),
        LinearLayer("expert_gate_up", h, 2 * width, layers * experts, has("expert_gate_up"), share),
        LinearLayer("expert_down", width, h, layers * experts, has("expert_down"), share),
    ]
    if spec.shared_experts:
        shared = spec.shared_experts * width
        out += [
            LinearLayer("shared_gate", h, shared, layers, has("shared_gate")),
            LinearLayer("shared_up", h, shared, layers, has("shared_up")),
            LinearLayer("shared_down", shared, h, layers, has("shared_down")),
        ]
    return out


def linear_layers(spec: TransformerSpec) -> list[LinearLayer]:
    """Every kind of linear projection the base has, in block order; the LM head is not one of them.

    peft's ``all-linear`` adapts exactly these: every nn.Linear / Conv1D except the output head.
    """
    h, has = spec.hidden_size, spec.has_bias
    attention_count = spec.num_layers + 2 * spec.decoder_layers  # decoder: self- and cross-attention
    mlp_count = spec.num_layers - spec.moe_layers + spec.decoder_layers  # dense MLPs
    inter = spec.intermediate_size
    layers = _attention_layers(spec, attention_count)
    if mlp_count and spec.mlp == "gated_fused":
        layers.append(LinearLayer("gate_up", h, 2 * inter, mlp_count, has("gate_up")))
    elif mlp_count:
        if spec.mlp == "gated":
            layers.append(LinearLayer("gate", h, inter, mlp_count, has("gate")))
        layers.append(LinearLayer("up", h, inter, mlp_count, has("up")))
    if mlp_count:
        layers.append(LinearLayer("down", inter, h, mlp_count, has("down")))
    if spec.num_experts:
        layers += _expert_layers(spec)
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


def head_norm_params(spec: TransformerSpec) -> int:
    """Norms inside attention: Qwen3's per-head RMSNorm on queries and keys (2·head_dim per layer) and MLA's
    RMSNorms on the query and key/value latents (q_lora_rank + kv_lora_rank per layer)."""
    per_layer = 2 * spec.head_width if spec.qk_norm else 0
    if spec.attention == "mla":
        per_layer += (spec.q_lora_rank or 0) + (spec.kv_lora_rank or 0)
    return per_layer * (spec.num_layers + spec.decoder_layers)


def head_params(spec: TransformerSpec) -> int:
    """The untied output head (vocab × hidden, no bias); a tied head shares the token embedding."""
    return spec.vocab_size * spec.hidden_size if spec.output_head == "untied" else 0


def count_params(spec: TransformerSpec) -> int:
    """Total parameters of the base, counted module by module."""
    linear = sum(layer.params_each * layer.count for layer in linear_layers(spec))
    return (
        embedding_params(spec)
        + position_bias_params(spec)
        + norm_params(spec)
        + head_norm_params(spec)
        + linear
        + head_params(spec)
    )


def active_params(spec: TransformerSpec) -> int:
    """Parameters one token uses: all of them except the routed experts it is not sent to (experts_per_token
    of num_experts per MoE layer). Embeddings and the head are included, as Mistral and Qwen count "active"
    parameters; DeepSeek's "activated" figures leave out the input embedding table (a lookup). Dense models:
    count_params."""
    idle = sum(
        round(layer.params_each * layer.count * (1 - layer.active))
        for layer in linear_layers(spec)
        if layer.active < 1
    )
    return count_params(spec) - idle


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
