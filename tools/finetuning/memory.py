"""GPU memory of a fine-tuning run: weights, gradients, optimizer states, activations — each with its formula.

Every number is an estimate from stated rules (bytes per parameter, one activation formula); the rules are
returned with the numbers so a reader can check or adjust them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tools.errors import ToolInputError
from tools.finetuning.architecture import (
    LinearKind,
    LinearLayer,
    TransformerSpec,
    count_params,
    linear_layers,
    norm_params,
)
from tools.finetuning.methods import resolve_targets

__all__ = [
    "NF4_BYTES_PER_PARAM",
    "Attention",
    "MemoryBreakdown",
    "MemoryPart",
    "describe_setup",
    "estimate_memory",
]

Precision = Literal["fp32", "bf16", "fp16", "int8"]
Optimizer = Literal["adamw", "sgd", "adafactor"]
#: transformers' ``attn_implementation`` values. "sdpa" (its default since 4.36) and "flash_attention_2" run
#: fused kernels that never store the s×s scores; "eager" stores them for the backward pass.
Attention = Literal["sdpa", "flash_attention_2", "eager"]

_BYTES: dict[str, int] = {"fp32": 4, "bf16": 2, "fp16": 2, "int8": 1}
#: NF4 (4 bits) + double-quantised block constants: 8/64 + 32/(64·256) ≈ 0.127 bits per parameter (QLoRA §3).
NF4_BYTES_PER_PARAM = (4 + 8 / 64 + 32 / (64 * 256)) / 8
_GIB = 2**30


@dataclass(frozen=True)
class MemoryPart:
    """One line of the breakdown."""

    name: str
    """weights, adapter weights, gradients, master weights, optimizer states, activations or logits."""
    gib: float
    """Size in GiB (2^30 bytes)."""
    formula: str
    """How it was computed."""


@dataclass
class MemoryBreakdown:
    """The estimate, line by line, with the assumptions behind it."""

    params: int
    """Parameters of the base."""
    trainable: int
    """Parameters receiving gradients (all of them, or the LoRA adapters)."""
    parts: list[MemoryPart]
    """Every line, in the order weights, adapter weights, gradients, master weights, optimizer states,
    activations, logits."""
    assumptions: list[str] = field(default_factory=list)
    """Each rule the estimate rests on."""
    adapted: str = "every parameter"
    """What is trained: "every parameter" (full) or where the adapters sit ("q, v", "every linear layer")."""

    def gib(self, *names: str) -> float:
        return sum(part.gib for part in self.parts if part.name in names)

    @property
    def total_gib(self) -> float:
        return sum(part.gib for part in self.parts)


@dataclass
class _Lines:
    """The breakdown being built: lines plus the assumptions they rest on."""

    parts: list[MemoryPart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, nbytes: float, formula: str) -> None:
        self.parts.append(MemoryPart(name, nbytes / _GIB, formula))


def estimate_memory(
    *,
    spec: TransformerSpec,
    exact: bool,
    params: int,
    method: Literal["full", "lora", "qlora"],
    precision: Precision,
    optimizer: Optimizer,
    batch_size: int,
    seq_len: int,
    r: int,
    targets: list[LinearKind] | Literal["all-linear"] | None,
    gradient_checkpointing: bool,
    attention: Attention,
) -> MemoryBreakdown:
    """Estimate the memory of one training step on one GPU.

    ``exact`` says whether ``spec`` is the real architecture; when False it is a notional shape standing in
    for a bare parameter count ``params`` (shapes then drive only the split and the activations).
    """
    if precision == "int8" and method != "lora":
        reason = (
            "QLoRA quantises the base to NF4 itself; precision is its compute dtype (bf16, fp16 or fp32)"
            if method == "qlora"
            else "int8 weights cannot be trained directly; use method='lora' on an int8 base, or bf16"
        )
        raise ToolInputError("precision", reason)
    out = _Lines()
    if not exact:
        out.notes.append(
            f"Only a size was given: shapes come from a notional LLaMA-like decoder (h={spec.hidden_size}, "
            f"L={spec.num_layers}, heads={spec.num_heads}, vocab={spec.vocab_size}, untied head); pass base "
            "for exact figures."
        )
    where = "every parameter"
    if method == "full":
        trainable = _full_weights(out, params, precision)
        adafactor_values = _adafactor_values_full(spec)
    else:
        # defaults as in peft_trainable_params: peft's q/v for LoRA, every linear layer for QLoRA (paper)
        adapted = resolve_targets(spec, method, targets)
        trainable, where = _lora_weights(out, spec, exact, params, method, precision, r, adapted, targets)
        adafactor_values = sum(
            (a.d_in + a.d_out + 2 * r) * a.count for a in adapted
        )  # A: r + d_in, B: d_out + r
    if spec.num_experts:
        out.notes.append(
            f"Mixture of experts: all {spec.num_experts} experts of each MoE layer are held in memory (the "
            f"weights line counts every parameter), though each token passes through "
            f"{spec.experts_per_token} of them; the activation formula is the dense block's."
        )
    _optimizer_states(out, optimizer, trainable, adafactor_values, exact)
    _activations(out, spec, precision, batch_size, seq_len, gradient_checkpointing, attention)
    out.notes.append(
        "Not included: CUDA context and kernels (~0.5–1 GiB), allocator fragmentation, temporary buffers, "
        "the KV cache, data-parallel sharding (ZeRO/FSDP divide weights, gradients and states across GPUs)."
    )
    return MemoryBreakdown(
        params=params, trainable=trainable, parts=out.parts, assumptions=out.notes, adapted=where
    )


def _full_weights(out: _Lines, params: int, precision: Precision) -> int:
    size = _BYTES[precision]
    out.add("weights", params * size, f"{params:,} params × {size} B ({precision})")
    out.add("gradients", params * size, f"{params:,} × {size} B, same dtype as the weights")
    if size < 4:
        out.add("master weights", params * 4, f"{params:,} × 4 B fp32 copy")
        out.notes.append(
            "Mixed precision: 16-bit weights and gradients plus an fp32 master copy that the optimizer "
            "updates (ZeRO's accounting, Rajbhandari et al. 2020: 2 + 2 + 4 + 8 = 16 B/param with AdamW)."
        )
    return params


def _lora_weights(
    out: _Lines,
    spec: TransformerSpec,
    exact: bool,
    params: int,
    method: str,
    precision: Precision,
    r: int,
    adapted: list[LinearLayer],
    targets: object,
) -> tuple[int, str]:
    every_linear = linear_layers(spec)
    linear = sum(layer.params_each * layer.count for layer in every_linear)
    if not exact:  # the notional shape decides only how the given total splits into linear and the rest
        linear = max(0, params - (count_params(spec) - linear))
    other = params - linear
    trainable = sum(r * (a.d_in + a.d_out) * a.count for a in adapted)
    every_block_linear = [layer for layer in every_linear if layer.kind != "pooler"]
    where = (
        "every linear layer"
        if len(adapted) >= len(every_block_linear)
        else ", ".join(a.kind for a in adapted) + (" (peft's default)" if targets is None else "")
    )
    out.notes.append(
        f"LoRA adapters of rank {r} on {where}: {trainable:,} trainable parameters"
        + ("." if exact else " (on the notional shape).")
    )
    if method == "qlora":
        quant, label = NF4_BYTES_PER_PARAM, "NF4 + double quantisation, 4.127 bits"
        out.notes.append(
            "QLoRA: block linear layers in NF4 with double quantisation, 4 + 0.127 bits/param "
            f"(Dettmers et al. 2023 §3); embeddings, norms and the LM head stay in {precision}, "
            "as bitsandbytes leaves them."
        )
    else:
        quant, label = _BYTES[precision], precision
    rest = 2 if precision == "int8" else _BYTES[precision]
    if precision == "int8":
        out.notes.append(
            "LLM.int8 base: linear layers 1 B/param (row scales ignored); the rest stays 16-bit."
        )
    out.add(
        "weights",
        linear * quant + other * rest,
        f"linear {linear:,} × {quant:.4g} B ({label}) + other {other:,} × {rest} B",
    )
    out.add("adapter weights", trainable * 4, f"{trainable:,} × 4 B (fp32)")
    out.add("gradients", trainable * 4, f"adapters only: {trainable:,} × 4 B")
    out.notes.append(
        "Adapters are kept and trained in fp32 (peft's autocast_adapter_dtype); the base is frozen."
    )
    return trainable, where


def _adafactor_values_full(spec: TransformerSpec) -> int:
    """Values Adafactor keeps for the whole model: rows + cols per matrix, every vector in full."""
    h = spec.hidden_size
    total = sum(
        (layer.d_in + layer.d_out + (layer.d_out if layer.bias else 0)) * layer.count
        for layer in linear_layers(spec)
    )
    tables = [spec.vocab_size, spec.max_positions, spec.type_vocab_size]
    if spec.output_head == "untied":
        tables.append(spec.vocab_size)
    total += sum(rows + h for rows in tables if rows)
    return total + norm_params(spec)


def _optimizer_states(
    out: _Lines, optimizer: Optimizer, trainable: int, adafactor_values: int, exact: bool
) -> None:
    if optimizer == "adamw":
        out.add("optimizer states", trainable * 8, f"AdamW m and v in fp32: {trainable:,} × 8 B")
    elif optimizer == "sgd":
        out.add("optimizer states", trainable * 4, f"SGD momentum buffer in fp32: {trainable:,} × 4 B")
        out.notes.append(
            "SGD with momentum: one fp32 buffer per trainable parameter (none without momentum)."
        )
    else:
        out.add(
            "optimizer states",
            adafactor_values * 4,
            f"Adafactor factored second moments: {adafactor_values:,} values × 4 B",
        )
        out.notes.append(
            "Adafactor (Shazeer & Stern 2018) with β1=None: per matrix one row and one column statistic "
            "(rows + cols values), vectors keep a full second moment; no first moment."
            + ("" if exact else " Counted on the notional shape.")
        )


def _activations(
    out: _Lines,
    spec: TransformerSpec,
    precision: Precision,
    b: int,
    s: int,
    checkpointing: bool,
    attention: Attention,
) -> None:
    h, layers, heads = spec.hidden_size, spec.num_layers, spec.num_heads
    scale = 2 if precision == "fp32" else 1  # the formula counts 16-bit activations
    attn = 5 * heads * s / h if attention == "eager" else 0
    per_layer = s * b * h * (34 + attn) * scale
    source = "Korthikanti et al. 2022 §4.1, without tensor or sequence parallelism"
    if checkpointing:
        out.add(
            "activations",
            layers * 2 * s * b * h * scale + per_layer,
            f"L·2·s·b·h (block inputs) + one block's s·b·h·(34 + {attn:.4g}) recomputed during backward",
        )
        out.notes.append(
            "Gradient checkpointing: each block keeps only its input, 2·s·b·h B, and one block's "
            f"activations are rebuilt at a time during backward; {source}."
        )
    else:
        out.add(
            "activations",
            layers * per_layer,
            f"L·s·b·h·(34 + 5·a·s/h) = {layers}·{s}·{b}·{h}·(34 + {attn:.4g})",
        )
        out.notes.append(
            "No gradient checkpointing: every block keeps s·b·h·(34 + 5·a·s/h) bytes in 16-bit "
            f"({source}); it assumes a 4h MLP with dropout, and is an upper estimate for LoRA, whose frozen "
            "layers need fewer saved inputs."
        )
    if attention == "eager":
        out.notes.append(
            "attention='eager': the a·s×s scores, their softmax and dropout mask are stored (the 5·a·s/h "
            "term)."
        )
    else:
        out.notes.append(
            f"attention='{attention}' (transformers' default is sdpa): a fused kernel recomputes the s×s "
            "scores in backward instead of storing them, dropping the 5·a·s/h term (SDPA's math fallback, "
            "used when no fused kernel fits, would store them)."
        )
    if scale == 2:
        out.notes.append("fp32 activations: twice the 16-bit figure.")
    if spec.output_head != "none":
        logit_bytes = 4 if precision == "fp32" else 6
        out.add("logits", s * b * spec.vocab_size * logit_bytes, f"s·b·V × {logit_bytes} B")
        out.notes.append(
            "Logits: s·b·V values in the activation dtype plus the fp32 copy HF takes for the cross-entropy."
        )


def describe_setup(
    method: str,
    r: int,
    adapted: str,
    attention: str,
    checkpointing: bool,
    *,
    checkpointing_default: bool,
    adapters_default: bool,
) -> str:
    """The run estimated, in words: adapters, attention kernel, checkpointing (and which are defaults); it
    warns when LoRA's and QLoRA's default adapters (r=8 on peft's targets; r=64 on every linear layer) are
    used."""
    adapters = "every parameter trained" if method == "full" else f"r={r} adapters on {adapted}"
    why = ""
    if checkpointing_default:
        why = " (peft's prepare_model_for_kbit_training default)" if method == "qlora" else " (the default)"
    parts = [
        f"{method}: {adapters}",
        f"attention={attention}"
        + (" (no s×s scores stored)" if attention != "eager" else " (s×s scores stored)"),
        f"gradient checkpointing {'on' if checkpointing else 'off'}{why}",
    ]
    text = "; ".join(parts)
    if method in ("lora", "qlora") and adapters_default:
        text += (
            ". The lora and qlora defaults differ (lora: r=8 on peft's default targets; qlora: r=64 on every "
            "linear layer, many times the trainable parameters): pass r and target_modules to compare like "
            "with like"
        )
    return text + "."
