"""What serving a decoder costs, counted from the architecture spec: weight bytes per format, KV-cache bytes,
FLOPs and bytes moved by one forward step, and the roofline time of that step.

Conventions (stated again in every result):
- A FLOP is one multiply or one add: a matmul of (m×k)·(k×n) is 2·m·k·n FLOPs, as torch's FlopCounterMode
  counts. Norms, activations, RoPE, softmax and bias adds count 0. Attention counts every query against every
  key it is given (QKᵀ and AV: 4·heads·head_dim per query–key pair), causal-masked half included, as
  FlopCounterMode counts it; FlashAttention's causal kernels skip about half of the prefill part.
- Bytes moved by a step: every weight once (whatever the batch), the KV cache read and written, and the
  activations each linear layer reads and writes (the m·k + m·n of a GEMM).
- Quantised formats store the block's linear layers in the format; embeddings, the LM head, norms, biases and
  MoE routers stay in the activation dtype (GPTQ, AWQ, bitsandbytes and vLLM's FP8 all leave them so).
- Mixtures of experts: every expert is held in memory; a token's FLOPs count only the experts_per_token
  experts it is routed to (2 × active parameters per token, plus attention); a step reads the dense weights
  plus the experts its T tokens touch, E·(1 − (1 − k/E)^T) of E per MoE layer in expectation under uniform
  routing.
- Multi-head latent attention caches the compressed latent, kv_lora_rank + qk_rope_head_dim elements per
  token per layer (vLLM, SGLang, transformers ≥ 5), whole on every GPU under tensor parallelism; its
  attention is counted in the expanded form (each query against per-head keys of qk_nope + qk_rope and values
  of v_head_dim).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from tools.finetuning.architecture import (
    LinearLayer,
    TransformerSpec,
    active_params,
    count_params,
    head_norm_params,
    linear_layers,
    norm_params,
)
from tools.finetuning.memory import NF4_BYTES_PER_PARAM
from tools.inference.gpus import GpuSpec

__all__ = [
    "DTYPE_BYTES",
    "ActivationDtype",
    "Deployment",
    "KvDtype",
    "Quantization",
    "StepCost",
    "StepTime",
    "WeightBytes",
    "WeightFormat",
    "experts_touched",
    "kv_bytes_per_token",
    "kv_cache_bytes",
    "kv_formula",
    "moe_assumption",
    "step_cost",
    "step_time",
    "weight_bytes",
]

Quantization = Literal["none", "fp8", "int8", "int4", "awq", "gptq", "nf4"]
ActivationDtype = Literal["fp32", "fp16", "bf16"]
KvDtype = Literal["auto", "fp32", "fp16", "bf16", "fp8", "int8"]

DTYPE_BYTES: dict[str, int] = {"fp32": 4, "fp16": 2, "bf16": 2, "fp8": 1, "int8": 1}


@dataclass(frozen=True)
class WeightFormat:
    """How the weights are stored and which tensor-core rate the matmuls run at."""

    quantization: Quantization
    """none (the activation dtype), fp8 / int8 (W8A8), int4 (symmetric, a scale per group), awq, gptq, nf4."""
    dtype: ActivationDtype
    """Activations, and every weight that is not quantised."""
    group_size: int = 128
    """Inputs sharing one scale (int4, awq, gptq)."""

    @property
    def compute_dtype(self) -> str:
        """W8A8 formats multiply in 8 bits; weight-only formats dequantise and multiply in the activation
        dtype."""
        return self.quantization if self.quantization in ("fp8", "int8") else self.dtype

    @property
    def dtype_field(self) -> str:
        """The input that chose the compute dtype (named when a GPU lacks it)."""
        return "quantization" if self.quantization in ("fp8", "int8") else "dtype"

    @property
    def label(self) -> str:
        g = self.group_size
        return {
            "none": f"{self.dtype} (unquantised)",
            "fp8": "FP8 E4M3 weights and activations (W8A8), one fp32 scale per matrix",
            "int8": "INT8 weights and activations (W8A8, SmoothQuant-style), 16-bit scale per output channel",
            "int4": f"INT4 weight-only, symmetric, one 16-bit scale per {g} inputs",
            "awq": f"AWQ 4-bit, group {g}: fp16 scale + packed 4-bit zero per group (AutoAWQ GEMM layout)",
            "gptq": f"GPTQ 4-bit, group {g}: fp16 scale + packed 4-bit zero per group + int32 g_idx per "
            "input (AutoGPTQ layout)",
            "nf4": "NF4 with double quantisation (bitsandbytes, QLoRA): 4 bits + 8-bit absmax per 64 weights "
            "+ fp32 per 256 absmaxes",
        }[self.quantization]


@dataclass(frozen=True)
class WeightBytes:
    """The weights of a model in one format."""

    params: int
    """All parameters."""
    quantized_params: int
    """Weights of the block's linear layers (stored in the format)."""
    data_bytes: float
    """The quantised weights themselves (params × bits / 8)."""
    metadata_bytes: float
    """Scales, zero points, group indices, absmax constants."""
    plain_bytes: float
    """Everything kept in the activation dtype: embeddings, LM head, norms, biases."""
    norm_bytes: float
    """The norms among the plain bytes (replicated, not sharded, under tensor parallelism)."""
    formula: str
    expert_bytes: float = 0.0
    """The routed experts' share of the total (data and metadata): what a step reads only for the experts its
    tokens are sent to."""

    @property
    def total(self) -> float:
        return self.data_bytes + self.metadata_bytes + self.plain_bytes

    def per_gpu(self, tp: int) -> float:
        """One GPU's share under tensor parallelism: everything is split except the norms."""
        return (self.total - self.norm_bytes) / tp + self.norm_bytes

    @property
    def bits_per_param(self) -> float:
        return 8 * self.total / self.params


def _block_linears(spec: TransformerSpec) -> list[LinearLayer]:
    return [layer for layer in linear_layers(spec) if layer.kind != "pooler"]


def _expert_params(spec: TransformerSpec) -> int:
    """Weights of the routed experts (their projections have no bias in any preset family)."""
    return sum(a.params_each * a.count for a in linear_layers(spec) if a.active < 1)


def weight_bytes(spec: TransformerSpec, fmt: WeightFormat) -> WeightBytes:
    """Bytes of the weights in ``fmt``, with the quantisation metadata of the format's real tensor layout."""
    params, b = count_params(spec), DTYPE_BYTES[fmt.dtype]
    norms = (norm_params(spec) + head_norm_params(spec)) * b
    experts = _expert_params(spec)
    if fmt.quantization == "none":
        formula = f"{params:,} params × {b} B ({fmt.dtype})"
        return WeightBytes(params, 0, 0.0, 0.0, params * b, norms, formula, experts * b)
    linears = [a for a in _block_linears(spec) if a.kind != "router"]  # routers stay in 16 bits
    quantized = sum(a.d_in * a.d_out * a.count for a in linears)
    plain = (params - quantized) * b
    groups = sum(math.ceil(a.d_in / fmt.group_size) * a.d_out * a.count for a in linears)
    if fmt.quantization in ("fp8", "int8"):
        data = float(quantized)
        if fmt.quantization == "fp8":
            meta, how = 4.0 * sum(a.count for a in linears), "4 B fp32 scale per matrix"
        else:
            meta, how = 2.0 * sum(a.d_out * a.count for a in linears), "2 B per output channel"
        formula = f"{quantized:,} linear weights × 1 B + {how}"
    elif fmt.quantization == "nf4":
        data = quantized / 2
        meta = quantized * (NF4_BYTES_PER_PARAM - 0.5)
        formula = f"{quantized:,} linear weights × (4 + 8/64 + 32/(64·256)) bits (QLoRA §3)"
    else:
        data = quantized / 2
        per_group = {"int4": 2.0, "awq": 2.5, "gptq": 2.5}[fmt.quantization]  # fp16 scale (+ 4-bit zero)
        meta = groups * per_group
        formula = f"{quantized:,} linear weights × 4 bits + {groups:,} groups × {per_group:g} B"
        if fmt.quantization == "gptq":
            meta += 4.0 * sum(a.d_in * a.count for a in linears)  # g_idx: one int32 per input feature
            formula += " + 4 B g_idx per input feature"
    formula += f" + {params - quantized:,} other params × {b} B ({fmt.dtype})"
    # the experts' share of the quantised bytes (data and metadata), in proportion to their parameters
    expert_bytes = (data + meta) * experts / quantized if quantized else 0.0
    return WeightBytes(params, quantized, data, meta, plain, norms, formula, expert_bytes)


def kv_bytes_per_token(spec: TransformerSpec, element_bytes: float) -> float:
    """KV-cache bytes one token adds across all layers: layers × 2 (K and V) × kv_heads × head_dim × bytes;
    for multi-head latent attention layers × (kv_lora_rank + qk_rope_head_dim) × bytes."""
    return spec.num_layers * spec.kv_cache_width * element_bytes


def kv_formula(spec: TransformerSpec, element_bytes: float) -> str:
    """The per-token KV-cache formula with the model's numbers."""
    per_token = f"{kv_bytes_per_token(spec, element_bytes):,.0f} B per token"
    if spec.attention == "mla":
        return (
            f"MLA caches the compressed latent: {spec.num_layers} layers × ({spec.kv_lora_rank} kv_lora_rank "
            f"+ {spec.qk_rope_head_dim} qk_rope_head_dim) × {element_bytes:g} B = {per_token} (as vLLM and "
            "SGLang and transformers cache it)"
        )
    return (
        f"{spec.num_layers} layers × 2 × {spec.kv_heads} KV heads × {spec.head_width} × {element_bytes:g} B "
        f"= {per_token}"
    )


def kv_cache_bytes(spec: TransformerSpec, tokens: int, element_bytes: float) -> float:
    """The KV cache of one sequence of ``tokens`` tokens; sliding-window layers keep at most the window."""
    windowed = spec.windowed_layers
    held = (spec.num_layers - windowed) * tokens + windowed * min(tokens, spec.sliding_window or tokens)
    return spec.kv_cache_width * element_bytes * held


def experts_touched(spec: TransformerSpec, tokens: int) -> float:
    """Expected distinct experts per MoE layer that ``tokens`` tokens are routed to, each choosing k of E
    uniformly at random: E·(1 − (1 − k/E)^T)."""
    e, k = spec.num_experts, spec.experts_per_token or 0
    return e * (1 - (1 - k / e) ** tokens) if e else 0.0


def moe_assumption(spec: TransformerSpec, tokens: int) -> str | None:
    """How the mixture of experts is costed, with the expected experts a step of ``tokens`` tokens reads."""
    if not spec.num_experts:
        return None
    e, k = spec.num_experts, spec.experts_per_token
    return (
        f"Mixture of experts: all {e} experts per MoE layer are held in memory ({spec.moe_layers} MoE "
        f"layers); each token passes through {k} of them, so FLOPs per token are 2 × active parameters "
        f"({active_params(spec):,} of {count_params(spec):,}) plus attention; a step of {tokens:,} token(s) "
        f"reads the dense weights plus the experts its tokens touch, E·(1 − (1 − k/E)^T) = "
        f"{experts_touched(spec, tokens):,.1f} of {e} per layer, expected under uniform routing (a "
        "skewed router touches fewer: uniform is the most bytes for independent tokens)."
    )


@dataclass(frozen=True)
class Deployment:
    """A model, its formats and the number of GPUs it is split across (tensor parallelism).

    Frozen: what is derived from the spec alone (weight bytes, the linear layers' sums) is computed once per
    deployment; a variant is a new one (``dataclasses.replace``).
    """

    spec: TransformerSpec
    label: str
    weights: WeightFormat
    kv_dtype: str
    """Element type of the KV cache."""
    tensor_parallel: int = 1

    @property
    def kv_element_bytes(self) -> int:
        return DTYPE_BYTES[self.kv_dtype]

    @property
    def kv_replication(self) -> int:
        """Copies of each KV head: with more GPUs than KV heads every GPU keeps one head, so heads repeat
        (vLLM replicates them). An MLA latent is shared by all heads: every GPU keeps all of it."""
        if self.spec.attention == "mla":
            return self.tensor_parallel
        return max(1, self.tensor_parallel // self.spec.kv_heads)

    @property
    def act_bytes(self) -> int:
        return DTYPE_BYTES[self.weights.dtype]

    @cached_property
    def stored_weights(self) -> WeightBytes:
        """The weights in their format."""
        return weight_bytes(self.spec, self.weights)

    @cached_property
    def linear_sums(self) -> tuple[float, float]:
        """Over the block's linear layers one token passes through (k of E experts): Σ d_in·d_out (weights,
        2 FLOPs each per token) and Σ (d_in + d_out) (activation elements in and out per token)."""
        linears = _block_linears(self.spec)
        return (
            sum(x.d_in * x.d_out * x.count * x.active for x in linears),
            sum((x.d_in + x.d_out) * x.count * x.active for x in linears),
        )


@dataclass(frozen=True)
class StepCost:
    """FLOPs and bytes of one forward step over ``batch`` sequences, ``new_tokens`` each, after ``context``
    cached tokens (prefill: context 0; decode: new_tokens 1)."""

    batch: int
    new_tokens: int
    context: int
    linear_flops: float
    attention_flops: float
    head_flops: float
    weight_bytes: float
    kv_read_bytes: float
    kv_write_bytes: float
    activation_bytes: float

    @property
    def flops(self) -> float:
        return self.linear_flops + self.attention_flops + self.head_flops

    @property
    def bytes_moved(self) -> float:
        return self.weight_bytes + self.kv_read_bytes + self.kv_write_bytes + self.activation_bytes

    @property
    def intensity(self) -> float:
        """Arithmetic intensity: FLOPs per byte moved."""
        return self.flops / self.bytes_moved


def _weights_read(dep: Deployment, tokens: int) -> float:
    """Weight bytes a step over ``tokens`` tokens reads: all but the routed experts no token touches."""
    stored, spec = dep.stored_weights, dep.spec
    if not spec.num_experts:
        return stored.total
    idle = 1 - experts_touched(spec, tokens) / spec.num_experts
    return stored.total - stored.expert_bytes * idle


def _attended(spec: TransformerSpec, new_tokens: int, context: int) -> float:
    """Σ over layers of the query–key pairs a step computes: every new token against every key given."""
    full = spec.num_layers - spec.windowed_layers
    keys = context + new_tokens
    windowed_keys = min(keys, spec.sliding_window or keys)
    return new_tokens * (full * keys + spec.windowed_layers * windowed_keys)


def step_cost(dep: Deployment, *, batch: int, new_tokens: int, context: int, logits: int = 1) -> StepCost:
    """Count one forward step (all GPUs together). ``logits`` rows per sequence get the LM head (1 when
    serving: only the last position is sampled)."""
    spec, a = dep.spec, dep.act_bytes
    tokens = batch * new_tokens
    weights, activation_elements = dep.linear_sums
    linear_flops = 2.0 * tokens * weights
    # QKᵀ over qk_head_dim and AV over v_head_dim, per head (4·heads·head_dim when they are equal)
    per_pair = 2.0 * spec.num_heads * (spec.qk_head_width + spec.v_head_width)
    attention_flops = batch * per_pair * _attended(spec, new_tokens, context)
    head_flops = 2.0 * batch * logits * spec.vocab_size * spec.hidden_size
    activations = tokens * a * activation_elements
    kv = dep.kv_element_bytes
    return StepCost(
        batch=batch,
        new_tokens=new_tokens,
        context=context,
        linear_flops=linear_flops,
        attention_flops=attention_flops,
        head_flops=head_flops,
        weight_bytes=_weights_read(dep, tokens),
        kv_read_bytes=batch * kv_cache_bytes(spec, context, kv),
        kv_write_bytes=batch
        * (kv_cache_bytes(spec, context + new_tokens, kv) - kv_cache_bytes(spec, context, kv)),
        activation_bytes=activations + batch * logits * spec.vocab_size * 4,  # fp32 logits
    )


@dataclass(frozen=True)
class StepTime:
    """The roofline time of a step on ``tp`` GPUs: the slower of compute and memory, plus the all-reduces."""

    compute_s: float
    memory_s: float
    comm_s: float
    peak_flops: float
    """Dense peak of one GPU at the step's compute dtype, FLOP/s."""

    @property
    def seconds(self) -> float:
        return max(self.compute_s, self.memory_s) + self.comm_s

    @property
    def bound(self) -> Literal["compute", "memory"]:
        return "compute" if self.compute_s > self.memory_s else "memory"


def step_time(dep: Deployment, cost: StepCost, gpu: GpuSpec) -> StepTime:
    """Roofline time of ``cost``: FLOPs ÷ (tp · peak) against bytes ÷ (tp · bandwidth), each GPU doing its
    share, plus tensor parallelism's two all-reduces per layer (ring: 2·(tp−1)/tp of the message per GPU, at
    half the datasheet's both-directions interconnect figure; latency not modelled)."""
    tp = dep.tensor_parallel
    peak = gpu.peak_flops(dep.weights.compute_dtype, field=dep.weights.dtype_field)
    compute = cost.flops / (tp * peak)
    kv = (cost.kv_read_bytes + cost.kv_write_bytes) * dep.kv_replication
    per_gpu = (cost.weight_bytes + cost.activation_bytes + kv) / tp
    memory = per_gpu / (gpu.bandwidth_gb_s * 1e9)
    comm = 0.0
    if tp > 1:
        message = cost.batch * cost.new_tokens * dep.spec.hidden_size * dep.act_bytes
        sent = 2 * dep.spec.num_layers * message * 2 * (tp - 1) / tp
        comm = sent / (gpu.interconnect_gb_s / 2 * 1e9)
    return StepTime(compute, memory, comm, peak)
