"""Trainable-parameter counts of parameter-efficient fine-tuning (参数高效微调, PEFT) on a transformer.

For the methods HuggingFace peft implements (LoRA, DoRA, AdaLoRA, VeRA, IA3, prompt tuning, prefix tuning /
P-Tuning v2, P-tuning) the counts reproduce ``PeftModel.get_nb_trainable_parameters()`` of peft 0.21
exactly, default targets included (:mod:`tools.finetuning.targets`); QLoRA uses LoRA's count; QA-LoRA,
LongLoRA, DyLoRA and S-LoRA follow their papers (see ``METHODS[...].source``). Encoder-decoder bases are
counted as peft's ``SEQ_2_SEQ_LM`` task: prompt methods get one set of virtual tokens per stack.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from tools.errors import ToolInputError
from tools.finetuning.architecture import (
    LinearKind,
    LinearLayer,
    TransformerSpec,
    embedding_params,
    head_norm_params,
    linear_layers,
    norm_bias_params,
    norm_params,
)
from tools.finetuning.targets import ia3_feedforward, resolve_targets

__all__ = ["Method", "MethodCount", "Part", "PeftOptions", "RankRow", "count_method", "resolve_targets"]
# resolve_targets lives in tools.finetuning.targets; it stays importable from here for the memory estimate.

Method = Literal[
    "full",
    "lora",
    "dora",
    "qlora",
    "qa_lora",
    "longlora",
    "dylora",
    "adalora",
    "vera",
    "ia3",
    "prompt_tuning",
    "prefix_tuning",
    "p_tuning_v2",
    "p_tuning",
    "s_lora",
]

_PROMPT_FAMILY = {"prompt_tuning", "prefix_tuning", "p_tuning_v2", "p_tuning"}
_SERVING_BYTES = 2  # S-LoRA serves adapters in fp16 (Sheng et al. 2023)


@dataclass(frozen=True)
class PeftOptions:
    """A method's options, already defaulted and checked (see
    ``tools.finetuning.calculators.peft_trainable_params``)."""

    r: int = 8
    """Rank: LoRA family rank, DyLoRA r_max, AdaLoRA init_r, VeRA shared rank."""
    alpha: float = 8.0
    """LoRA α (only the scaling α/r depends on it)."""
    targets: list[LinearKind] | Literal["all-linear"] | None = None
    """Adapted projections; None = the method's default."""
    bias: Literal["none", "all", "lora_only"] = "none"
    """peft's ``bias``: which base biases become trainable."""
    num_virtual_tokens: int = 20
    """Soft-prompt / prefix length."""
    prefix_projection: bool = False
    """Prefix tuning through an embedding + 2-layer MLP (Li & Liang 2021's reparameterisation)."""
    encoder_hidden_size: int | None = None
    """Hidden width of the prefix projection / P-tuning MLP; None = the base's hidden size."""
    target_r: int = 8
    """AdaLoRA's average rank after pruning."""
    r_min: int = 1
    """DyLoRA's smallest sampled rank."""
    group_size: int = 32
    """QA-LoRA quantisation group size L."""
    train_embeddings: bool = True
    """LongLoRA: embedding tables trainable."""
    train_norms: bool = True
    """LongLoRA: normalisation layers trainable."""
    adapter_ranks: list[int] = field(default_factory=lambda: [8])
    """S-LoRA: the rank of each served adapter."""


@dataclass(frozen=True)
class Part:
    """One group of trainable (or added) parameters."""

    name: str
    """What it is, e.g. ``"q"`` (LoRA on every query projection) or ``"prompt embedding"``."""
    kind: Literal["adapter", "unfrozen base"]
    """New parameters the method adds, or base parameters it makes trainable."""
    d_in: int | None
    """Input features of the adapted layer, where one is adapted."""
    d_out: int | None
    """Output features of the adapted layer."""
    count: int
    """How many such modules (one per block for block layers)."""
    params_each: int
    """Parameters per module."""
    formula: str
    """How ``params_each`` is computed, symbolically and with the numbers."""

    @property
    def params_total(self) -> int:
        return self.params_each * self.count


@dataclass(frozen=True)
class Figure:
    """A method-specific number worth reporting next to the count."""

    name: str
    value: float
    unit: str
    meaning: str


@dataclass(frozen=True)
class RankRow:
    """Cost of an adapter of one rank (DyLoRA's ranks, S-LoRA's served adapters)."""

    rank: int
    adapters: int
    params_each: int
    extra_flops_per_token: int
    """Forward FLOPs per token an unmerged adapter adds (2 per multiply-add; zero once merged)."""


@dataclass
class MethodCount:
    """The outcome of counting one method on one base."""

    parts: list[Part]
    """Trainable groups, adapters first."""
    frozen_added: int = 0
    """Parameters the method adds but keeps frozen (AdaLoRA's rank counters)."""
    figures: list[Figure] = field(default_factory=list)
    ranks: list[RankRow] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    serving_only: bool = False
    """True for S-LoRA: adapters are served, nothing is trained."""


def _n(x: int) -> str:
    return f"{x:,}"


def _rank_rows(ranks: list[int], adapted: list[LinearLayer]) -> list[RankRow]:
    per_rank = sum((layer.d_in + layer.d_out) * layer.count for layer in adapted)
    # a token passes through experts_per_token of the num_experts adapted experts (layer.active)
    per_token = round(sum((a.d_in + a.d_out) * a.count * a.active for a in adapted if a.kind != "pooler"))
    counts = Counter(ranks)
    return [RankRow(r, counts[r], r * per_rank, 2 * r * per_token) for r in sorted(counts)]


def _bias_part(spec: TransformerSpec, bias: str, adapted: list[LinearLayer]) -> list[Part]:
    linear = [layer for layer in linear_layers(spec) if layer.bias]
    if bias == "none" or not (linear or spec.norm == "layernorm"):
        return []
    if bias == "lora_only":
        return [
            Part(
                f"{a.kind} bias", "unfrozen base", a.d_in, a.d_out, a.count, a.d_out, f"d_out = {_n(a.d_out)}"
            )
            for a in adapted
            if a.bias
        ]
    linear_bias = sum(layer.d_out * layer.count for layer in linear)
    total = linear_bias + norm_bias_params(spec)
    formula = f"every linear bias ({_n(linear_bias)}) + every LayerNorm bias ({_n(norm_bias_params(spec))})"
    return [Part("all biases", "unfrozen base", None, None, 1, total, formula)]


def _adapter_size(method: str, r: int, a: LinearLayer, group_size: int) -> tuple[int, str]:
    """Parameters of one adapted layer and the formula, symbolically and with the numbers."""
    d_in, d_out = a.d_in, a.d_out
    if method == "adalora":  # A r×d_in, E r×1, B d_out×r
        return r * (d_in + d_out + 1), f"r·(d_in + d_out + 1) = {r}·({d_in} + {d_out} + 1)"
    if method == "vera":  # λ_d ∈ R^r, λ_b ∈ R^d_out
        return r + d_out, f"r + d_out (λ_d, λ_b) = {r} + {d_out}"
    if method == "qa_lora":
        if d_in % group_size:
            raise ToolInputError(
                "group_size",
                f"QA-LoRA pools d_in in groups: {a.kind} has d_in {d_in}, not divisible by {group_size}",
            )
        return r * (d_in // group_size + d_out), f"r·(d_in/L + d_out) = {r}·({d_in}/{group_size} + {d_out})"
    if method == "dora":  # LoRA plus the magnitude vector m ∈ R^d_out
        return r * (d_in + d_out) + d_out, f"r·(d_in + d_out) + d_out = {r}·({d_in} + {d_out}) + {d_out}"
    return r * (d_in + d_out), f"r·(d_in + d_out) = {r}·({d_in} + {d_out})"


def _lora_parts(
    method: str, spec: TransformerSpec, opts: PeftOptions, adapted: list[LinearLayer]
) -> list[Part]:
    parts = []
    for a in adapted:
        each, formula = _adapter_size(method, opts.r, a, opts.group_size)
        parts.append(Part(a.kind, "adapter", a.d_in, a.d_out, a.count, each, f"{formula} = {_n(each)}"))
    return parts + _bias_part(spec, opts.bias, adapted)


def _prompt_parts(method: str, spec: TransformerSpec, opts: PeftOptions) -> list[Part]:
    n, h, layers = opts.num_virtual_tokens, spec.hidden_size, spec.num_layers
    enc = opts.encoder_hidden_size or h
    # peft's SEQ_2_SEQ_LM gives prompt tuning and P-tuning one set of virtual tokens per stack
    # (num_transformer_submodules = 2); its prefix encoder keeps num_virtual_tokens rows either way.
    tokens, times = (2 * n, f"2·{n}") if spec.decoder_layers else (n, str(n))
    if method == "prompt_tuning":
        return [
            Part(
                "prompt embedding", "adapter", None, h, 1, tokens * h, f"n·h = {times}·{h} = {_n(tokens * h)}"
            )
        ]
    if method == "p_tuning":
        mlp = (h * enc + enc) + (enc * enc + enc) + (enc * h + h)
        return [
            Part(
                "prompt embedding", "adapter", None, h, 1, tokens * h, f"n·h = {times}·{h} = {_n(tokens * h)}"
            ),
            Part(
                "prompt encoder MLP",
                "adapter",
                h,
                h,
                1,
                mlp,
                f"(h·e + e) + (e·e + e) + (e·h + h) with e = {enc}, h = {h} = {_n(mlp)}",
            ),
        ]
    # Prefix tuning / P-Tuning v2: one key and one value prefix per layer (peft's num_hidden_layers: the
    # encoder's, for encoder-decoders). peft sizes them by head_dim · num_key_value_heads when the config has
    # num_key_value_heads (grouped-query models), else by the hidden size.
    d = spec.kv_width if spec.num_kv_heads is not None else h
    out = layers * 2 * d
    if not opts.prefix_projection:
        return [
            Part(
                "prefix (keys and values)", "adapter", None, out, 1, n * out, f"n·L·2·d = {n}·{layers}·2·{d}"
            )
        ]
    mlp = (d * enc + enc) + (enc * out + out)
    return [
        Part("prefix embedding", "adapter", None, d, 1, n * d, f"n·d = {n}·{d} = {_n(n * d)}"),
        Part(
            "prefix projection MLP",
            "adapter",
            d,
            out,
            1,
            mlp,
            f"(d·e + e) + (e·2Ld + 2Ld) with d = {d}, e = {enc}, L = {layers} = {_n(mlp)}",
        ),
    ]


def count_method(method: Method, spec: TransformerSpec, total_base: int, opts: PeftOptions) -> MethodCount:
    """Count what ``method`` trains (and adds) on ``spec``; ``total_base`` is the base's parameter count."""
    if method == "full":
        return MethodCount([Part("all base parameters", "unfrozen base", None, None, 1, total_base, "all")])
    if method in _PROMPT_FAMILY:
        return MethodCount(_prompt_parts(method, spec, opts))
    adapted = resolve_targets(spec, method, opts.targets)
    targets: list[str] = [a.kind for a in adapted]
    if method == "ia3":
        feedforward = ia3_feedforward(spec)
        return MethodCount([_ia3_part(a, a.kind in feedforward) for a in adapted], targets=targets)
    if method == "s_lora":
        return _serving_count(spec, opts, adapted)
    result = MethodCount(_lora_parts(method, spec, opts, adapted), targets=targets)
    if method in ("lora", "dora", "qlora", "longlora", "dylora"):
        result.figures.append(Figure("scaling α/r", opts.alpha / opts.r, "", "ΔW = (α/r)·B·A is added to W."))
    if method == "adalora":
        # peft stores each layer's current rank as a frozen one-element parameter (`ranknum`).
        result.frozen_added = sum(a.count for a in adapted)
        result.figures += _adalora_figures(opts.target_r, adapted)
    elif method == "vera":
        d_in, d_out = max(a.d_in for a in adapted), max(a.d_out for a in adapted)
        result.figures.append(
            Figure(
                "shared frozen A and B",
                opts.r * (d_in + d_out),
                "values",
                f"One random A (r×{d_in}) and B ({d_out}×r) shared by all layers: frozen buffers, "
                "not parameters.",
            )
        )
    elif method == "longlora":
        result.parts += _longlora_unfrozen(spec, opts)
    elif method == "dylora":
        lo, hi = opts.r_min, opts.r
        if hi - lo < 16:
            ranks = list(range(lo, hi + 1))
        else:  # a readable subset: both ends and the powers of two between them
            ranks = sorted({lo, hi, *(2**k for k in range(hi.bit_length()) if lo <= 2**k <= hi)})
        result.ranks = _rank_rows(ranks, adapted)
    return result


def _ia3_part(a: LinearLayer, feedforward: bool) -> Part:
    # IA3 rescales the input of feed-forward modules (peft's feedforward_modules), the output of the others.
    if feedforward:
        return Part(
            a.kind, "adapter", a.d_in, a.d_out, a.count, a.d_in, f"d_in = {a.d_in} (scales the input)"
        )
    return Part(
        a.kind, "adapter", a.d_in, a.d_out, a.count, a.d_out, f"d_out = {a.d_out} (scales the output)"
    )


def _adalora_figures(target_r: int, adapted: list[LinearLayer]) -> list[Figure]:
    budget = sum(target_r * a.count for a in adapted)
    after = sum(target_r * (a.d_in + a.d_out + 1) * a.count for a in adapted)
    return [
        Figure(
            "rank budget after pruning", budget, "ranks", "target_r × adapted matrices, shared adaptively"
        ),
        Figure(
            "effective params after pruning",
            after,
            "params",
            "target_r·(d_in + d_out + 1) per matrix on average; peft keeps init_r shapes and masks "
            "pruned triplets.",
        ),
    ]


def _longlora_unfrozen(spec: TransformerSpec, opts: PeftOptions) -> list[Part]:
    parts = []
    if opts.train_embeddings:
        rows = spec.vocab_size + spec.max_positions + spec.type_vocab_size
        emb = embedding_params(spec)
        formula = f"(vocab + positions + token types)·h = {rows}·{spec.hidden_size} = {_n(emb)}"
        parts.append(Part("embeddings", "unfrozen base", None, spec.hidden_size, 1, emb, formula))
    if opts.train_norms:
        norms, inner = norm_params(spec), head_norm_params(spec)
        count, each = norms // spec.norm_params(), spec.norm_params()
        formula = f"{count} norms × {each} ({spec.norm})"
        if inner:  # Qwen3's per-head q/k norms, MLA's latent norms
            formula += f" + {_n(inner)} in attention (q/k or latent norms)"
        norms += inner
        formula += f" = {_n(norms)}"
        parts.append(Part("normalization layers", "unfrozen base", None, spec.hidden_size, 1, norms, formula))
    return parts


def _serving_count(spec: TransformerSpec, opts: PeftOptions, adapted: list[LinearLayer]) -> MethodCount:
    rows = _rank_rows(opts.adapter_ranks, adapted)
    params = sum(row.params_each * row.adapters for row in rows)
    parts = [
        Part(
            f"{a.kind} (rank-{row.rank} adapters ×{row.adapters})",
            "adapter",
            a.d_in,
            a.d_out,
            a.count * row.adapters,
            row.rank * (a.d_in + a.d_out),
            f"r·(d_in + d_out) = {row.rank}·({a.d_in} + {a.d_out})",
        )
        for row in rows
        for a in adapted
    ]
    figures = [
        Figure("served adapters", len(opts.adapter_ranks), "adapters", "Adapters resident together."),
        Figure(
            "adapter memory",
            params * _SERVING_BYTES / 2**30,
            "GiB",
            "Σ over adapters r_i·Σ_layers(d_in + d_out) in fp16: what S-LoRA pages next to the KV cache.",
        ),
        Figure(
            "hidden-size pages",
            math.ceil(params / spec.hidden_size),
            "pages",
            "Unified Paging stores adapter weights as width-h vectors (exact when every target is h×h).",
        ),
    ]
    targets: list[str] = [a.kind for a in adapted]
    return MethodCount(parts, figures=figures, ranks=rows, targets=targets, serving_only=True)
