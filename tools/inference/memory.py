"""``llm_inference_memory``: does a model fit for serving? Weights, KV cache, activations, overhead."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from tools._common import FiniteFloat, ResultModel
from tools.finetuning.architecture import TransformerSpec, active_params
from tools.inference.costs import (
    Deployment,
    WeightBytes,
    kv_bytes_per_token,
    kv_cache_bytes,
    kv_formula,
    moe_assumption,
)
from tools.inference.inputs import (
    ContextLen,
    Dtype,
    Gpu,
    GroupSize,
    KvCacheDtype,
    Model,
    NumGpus,
    ParamsBillion,
    QuantizationArg,
    WeightBits,
    optional_gpu,
    resolve_context,
    resolve_deployment,
)

__all__ = [
    "InferenceMemoryLine",
    "InferenceMemoryResult",
    "ServingMemory",
    "llm_inference_memory",
    "serving_memory",
]

_GIB = 2**30


class InferenceMemoryLine(ResultModel):
    """One component of the serving memory."""

    name: str = Field(description="weights, KV cache, activations or framework overhead.")
    total_gib: float = Field(description="Across all GPUs, GiB.")
    per_gpu_gib: float = Field(description="On each GPU, GiB.")
    formula: str = Field(description="How it was computed.")


class InferenceMemoryResult(ResultModel):
    """GPU memory (显存) of serving an LLM, per GPU, and whether it fits."""

    summary: str = Field(description="The answer in one sentence.")
    model: str = Field(description="The model and where its architecture comes from.")
    params: int = Field(description="Parameters of the model (every expert of a mixture of experts).")
    active_params: int = Field(
        description="Parameters one token passes through (mixture of experts: k of E routed experts); "
        "= params for a dense model."
    )
    weight_format: str = Field(description="How the weights are stored.")
    bits_per_weight: float = Field(
        description="Weight bytes × 8 / parameters, quantisation metadata included."
    )
    kv_cache_dtype: str = Field(description="Element type of the KV cache.")
    batch_size: int = Field(description="Sequences held at once.")
    context_len: int = Field(description="Tokens per sequence planned for.")
    num_gpus: int = Field(description="GPUs the model is split across (tensor parallelism).")
    gpu: str | None = Field(description="The GPU, where one was given.")
    gpu_memory_gib: float | None = Field(description="Memory of each GPU, GiB (datasheet GB read as GiB).")
    kv_bytes_per_token: float = Field(
        description="KV-cache bytes one token adds over all layers: layers × 2 × kv_heads × head_dim × "
        "bytes, or for multi-head latent attention layers × (kv_lora_rank + qk_rope_head_dim) × bytes."
    )
    weights_gib: float = Field(description="All weights, GiB.")
    kv_cache_gib: float = Field(description="KV cache of the whole batch at context_len, GiB.")
    activations_gib: float = Field(description="Peak activations of the largest forward chunk, per GPU, GiB.")
    overhead_gib: float = Field(description="Framework overhead per GPU, GiB (an assumption, see below).")
    per_gpu_gib: float = Field(description="Total on each GPU, GiB.")
    fits: bool | None = Field(description="per_gpu_gib ≤ gpu memory; null when no GPU size was given.")
    headroom_gib: float | None = Field(
        description="GPU memory − per-GPU total (negative: short by that much)."
    )
    max_batch_size: int | None = Field(
        description="Most sequences of context_len that fit (null: no GPU size)."
    )
    max_context_len: int | None = Field(
        description="Longest context for batch_size sequences that fits, capped at the model's maximum."
    )
    lines: list[InferenceMemoryLine] = Field(description="Each component with its formula.")
    assumptions: list[str] = Field(description="Every rule the estimate rests on.")


@dataclass(frozen=True)
class ServingMemory:
    """Bytes of serving one deployment: the parts of the estimate, before any comparison with a GPU."""

    weights: WeightBytes
    kv_total: float
    """KV cache of the whole batch, all GPUs."""
    kv_per_gpu: float
    activations: float
    """Peak activations on one GPU."""
    activation_formula: str
    overhead: float
    """Framework overhead on one GPU."""
    tensor_parallel: int

    @property
    def fixed_per_gpu(self) -> float:
        """Everything on one GPU except the KV cache."""
        return self.weights.per_gpu(self.tensor_parallel) + self.activations + self.overhead

    @property
    def per_gpu(self) -> float:
        return self.fixed_per_gpu + self.kv_per_gpu


def serving_memory(
    dep: Deployment, *, batch: int, context: int, overhead_gib: float = 1.0, chunk: int | None = None
) -> ServingMemory:
    """Weights, KV cache for ``batch`` × ``context`` tokens, the activations of a forward pass over ``chunk``
    tokens (default: one whole context) and the overhead, per GPU under tensor parallelism."""
    spec, tp = dep.spec, dep.tensor_parallel
    kv_total = batch * kv_cache_bytes(spec, context, dep.kv_element_bytes)
    tokens = max(chunk or context, batch)  # the prefill chunk, or a decode step over the whole batch
    # FlashAttention/SDPA keep no s×s scores: residual and normed hidden states plus the widest block
    # intermediate (q, k, v and the attention output, or gate, up and their product), and the fp32 logits of
    # each sequence's last position.
    h, act = spec.hidden_size, dep.act_bytes
    mlp = (3 if spec.mlp != "standard" else 2) * spec.intermediate_size
    if spec.num_experts:  # a token's experts (routed and shared) side by side
        routed = ((spec.experts_per_token or 0) + spec.shared_experts) * 3 * spec.expert_width
        mlp = routed if not spec.dense_layers else max(mlp, routed)
    attention = 2 * spec.q_width + 2 * spec.kv_width
    activations = tokens * (2 * h + max(mlp, attention) / tp) * act + batch * spec.vocab_size * 4
    formula = (
        f"{tokens:,} tokens × (2·{h} + max({mlp}, {attention})/{tp}) × {act} B + fp32 logits {batch} × "
        f"{spec.vocab_size:,} × 4 B"
    )
    return ServingMemory(
        weights=dep.stored_weights,
        kv_total=kv_total,
        kv_per_gpu=kv_total * dep.kv_replication / tp,
        activations=activations,
        activation_formula=formula,
        overhead=overhead_gib * _GIB,
        tensor_parallel=tp,
    )


def _max_context(spec: TransformerSpec, budget: float, element: float) -> int:
    """Longest sequence whose KV cache fits in ``budget`` bytes (sliding-window layers stop growing)."""
    per_token_all = spec.kv_cache_width * element * spec.num_layers
    window = spec.sliding_window
    if budget <= 0:
        return 0
    if not spec.windowed_layers or window is None or budget <= per_token_all * window:
        tokens = budget / per_token_all
    elif spec.windowed_layers == spec.num_layers:
        tokens = math.inf
    else:
        growing = spec.kv_cache_width * element * (spec.num_layers - spec.windowed_layers)
        tokens = window + (budget - per_token_all * window) / growing
    limit = spec.context_limit
    if limit is not None:
        tokens = min(tokens, limit)
    return int(tokens) if math.isfinite(tokens) else 16_777_216


def llm_inference_memory(
    model: Model = None,
    params_billion: ParamsBillion = None,
    dtype: Dtype = "bf16",
    quantization: QuantizationArg = None,
    weight_bits: WeightBits = None,
    group_size: GroupSize = 128,
    kv_cache_dtype: KvCacheDtype = "auto",
    batch_size: Annotated[
        int, Field(ge=1, le=1_000_000, description="Sequences held at once (concurrent requests, 并发).")
    ] = 1,
    context_len: ContextLen = None,
    gpu: Gpu = None,
    gpu_memory_gb: Annotated[
        FiniteFloat | None,
        Field(gt=0, le=100_000, description="Memory of each GPU in GB (e.g. 48), instead of a gpu preset."),
    ] = None,
    num_gpus: NumGpus = 1,
    overhead_gb: Annotated[
        FiniteFloat,
        Field(
            ge=0, le=10_000, description="Per-GPU memory the framework keeps (CUDA context, workspaces), GB."
        ),
    ] = 1.0,
    prefill_chunk_tokens: Annotated[
        int | None,
        Field(
            ge=1,
            le=16_777_216,
            description="Most tokens one forward pass processes (chunked prefill, vLLM "
            "max_num_batched_tokens); default: one whole context.",
        ),
    ] = None,
) -> InferenceMemoryResult:
    """Inference GPU memory (推理显存) for serving an LLM (LLaMA, Qwen …): weights, KV cache, activations.

    Can the GPUs serve it (推理部署)? Weights in bf16/fp16/fp32, FP8 or INT8 (W8A8), 4-bit group-wise (int4,
    AWQ, GPTQ with their scales and zero points) or NF4 (量化 quantization); the KV cache as layers × 2 ×
    kv_heads × head_dim × tokens (KV缓存, GQA/MQA aware, sliding windows capped); activations of the largest
    forward chunk; framework overhead as a stated assumption. Split over num_gpus with tensor parallelism
    (张量并行), it says whether it fits each card — 70B in 4-bit on two 48 GB cards with 32k context, 能跑吗?
    — and how many sequences and how long a context would. A mixture of experts (混合专家, MoE) reports its
    total parameters and the active parameters per token (激活参数).
    """
    dep = resolve_deployment(
        model=model,
        params_billion=params_billion,
        dtype=dtype,
        quantization=quantization,
        weight_bits=weight_bits,
        group_size=group_size,
        kv_cache_dtype=kv_cache_dtype,
        num_gpus=num_gpus,
    )
    gpu_spec, gpu_note = optional_gpu(gpu)
    context = resolve_context(dep.spec, context_len)
    chunk = max(prefill_chunk_tokens or context, batch_size)
    mem = serving_memory(dep, batch=batch_size, context=context, overhead_gib=overhead_gb, chunk=chunk)
    capacity = gpu_memory_gb if gpu_memory_gb is not None else (gpu_spec.memory_gib if gpu_spec else None)
    fits = headroom = max_batch = max_context = None
    if capacity is not None:
        free = capacity * _GIB - mem.fixed_per_gpu
        headroom = capacity - mem.per_gpu / _GIB
        fits = headroom >= 0
        max_batch = max(0, int(free // (mem.kv_per_gpu / batch_size))) if mem.kv_per_gpu else None
        budget = free * dep.tensor_parallel / (batch_size * dep.kv_replication)
        max_context = _max_context(dep.spec, budget, dep.kv_element_bytes)
    result = InferenceMemoryResult(
        summary="",
        model=dep.label,
        params=mem.weights.params,
        active_params=active_params(dep.spec),
        weight_format=dep.weights.label,
        bits_per_weight=mem.weights.bits_per_param,
        kv_cache_dtype=dep.kv_dtype,
        batch_size=batch_size,
        context_len=context,
        num_gpus=dep.tensor_parallel,
        gpu=gpu_spec.name if gpu_spec else None,
        gpu_memory_gib=capacity,
        kv_bytes_per_token=kv_bytes_per_token(dep.spec, dep.kv_element_bytes),
        weights_gib=mem.weights.total / _GIB,
        kv_cache_gib=mem.kv_total / _GIB,
        activations_gib=mem.activations / _GIB,
        overhead_gib=mem.overhead / _GIB,
        per_gpu_gib=mem.per_gpu / _GIB,
        fits=fits,
        headroom_gib=headroom,
        max_batch_size=max_batch,
        max_context_len=max_context,
        lines=_lines(dep, mem, context, batch_size),
        assumptions=_assumptions(dep, gpu_note, context_len is None, chunk),
    )
    result.summary = _summary(result, dep.spec.name if model is not None else f"{params_billion:g}B model")
    return result


def _lines(dep: Deployment, mem: ServingMemory, context: int, batch: int) -> list[InferenceMemoryLine]:
    spec, tp, element = dep.spec, dep.tensor_parallel, dep.kv_element_bytes
    split = f"; ÷ {tp} GPUs" if tp > 1 else ""
    kv = f"{kv_formula(spec, element)}; × {context:,} tokens × {batch}"
    if spec.windowed_layers:
        kv += f" ({spec.windowed_layers} layers keep only their {spec.sliding_window:,}-token window)"
    if dep.kv_replication > 1:
        what = "the latent is whole on every GPU" if spec.attention == "mla" else "KV heads replicated"
        kv += f"; {what} ({dep.kv_replication}×)"
    rows = [
        (
            "weights",
            mem.weights.total,
            mem.weights.per_gpu(tp),
            mem.weights.formula + split + " (norms kept whole)" * (tp > 1),
        ),
        ("KV cache", mem.kv_total, mem.kv_per_gpu, kv + split),
        ("activations", mem.activations * tp, mem.activations, mem.activation_formula),
        (
            "framework overhead",
            mem.overhead * tp,
            mem.overhead,
            f"{mem.overhead / _GIB:g} GiB per GPU (assumed)",
        ),
    ]
    return [
        InferenceMemoryLine(name=name, total_gib=total / _GIB, per_gpu_gib=per_gpu / _GIB, formula=formula)
        for name, total, per_gpu, formula in rows
    ]


def _summary(r: InferenceMemoryResult, name: str) -> str:
    where = f"{r.num_gpus} × " if r.num_gpus > 1 else ""
    gpu = r.gpu or (f"{r.gpu_memory_gib:g} GiB GPU" if r.gpu_memory_gib else "")
    head = (
        f"{name} ({r.bits_per_weight:.1f} bits/weight) with {r.batch_size} × {r.context_len:,} tokens"
        f"{' on ' + where + gpu if gpu else ''}: {r.per_gpu_gib:.1f} GiB per GPU (weights "
        f"{r.weights_gib / r.num_gpus:.1f}, KV cache {r.kv_cache_gib / r.num_gpus:.1f}, activations "
        f"{r.activations_gib:.1f}, overhead {r.overhead_gib:.1f})"
    )
    if r.fits is None:
        return head + "; give gpu or gpu_memory_gb to check the fit."
    if r.fits:
        verdict = f" — fits, {r.headroom_gib:.1f} GiB to spare"
    else:
        verdict = f" — does not fit, {-(r.headroom_gib or 0.0):.1f} GiB short"
    room = f"; up to {r.max_batch_size} sequences of {r.context_len:,} tokens"
    if r.max_context_len is not None:
        room += f", or {r.batch_size} of up to {r.max_context_len:,} tokens"
    return head + verdict + room + "."


def _assumptions(dep: Deployment, gpu_note: str | None, default_context: bool, chunk: int) -> list[str]:
    notes = [
        f"Weights: {dep.weights.label}; embeddings, LM head, norms and biases stay in {dep.weights.dtype}.",
        f"KV cache in {dep.kv_dtype}, stored for every token of every sequence (PagedAttention wastes < 4 % "
        "in blocks; a contiguous pre-allocated cache reserves the full context per sequence).",
        f"Activations: one forward pass over {chunk:,} tokens with FlashAttention/SDPA (no s×s attention "
        "matrix); chunked prefill lowers this.",
        "Framework overhead is an assumption: CUDA context, cuBLAS/NCCL workspaces, allocator slack "
        "(vLLM also reserves (1 − gpu_memory_utilization) of the card, 10 % by default).",
        "GPU capacity: the datasheet's GB read as GiB; nvidia-smi shows up to a few percent less.",
    ]
    if dep.tensor_parallel > 1:
        notes.append(
            f"Tensor parallelism over {dep.tensor_parallel} GPUs splits weights, KV heads and the MLP width "
            "evenly (norms replicated)"
            + (
                f"; {dep.spec.kv_heads} KV heads are replicated {dep.kv_replication}× to cover the GPUs."
                if dep.kv_replication > 1
                else "."
            )
        )
    moe = moe_assumption(dep.spec, 1)
    if moe:
        notes.append(moe)
    spec = dep.spec
    if spec.attention == "mla":
        expanded = spec.num_heads * (spec.qk_head_width + spec.v_head_width)
        notes.append(
            "Multi-head latent attention: the cache holds one compressed latent per token and layer "
            f"({spec.kv_lora_rank} latent + {spec.qk_rope_head_dim} rotary key elements) instead of per-head "
            f"keys and values ({expanded:,} elements per token and layer expanded), as vLLM, SGLang and "
            "transformers ≥ 5 store it; under tensor parallelism each GPU keeps the whole latent."
        )
    if default_context:
        notes.append("No context_len given: planned for 4,096 tokens (or the model's maximum if smaller).")
    if gpu_note:
        notes.append(gpu_note)
    return notes
