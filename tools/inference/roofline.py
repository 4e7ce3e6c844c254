"""``roofline``: is a step compute-bound or memory-bound on a GPU — FLOPs, bytes, arithmetic intensity against
the ridge point, and a roofline plot."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools._common import FiniteFloat, PlotResult, ResultModel
from tools.errors import ToolInputError
from tools.inference.costs import DTYPE_BYTES, Deployment, WeightFormat, moe_assumption, step_cost, step_time
from tools.inference.gpus import GpuSpec
from tools.inference.inputs import (
    ContextLen,
    Dtype,
    GroupSize,
    KvCacheDtype,
    Model,
    NumGpus,
    QuantizationArg,
    RequiredGpu,
    WeightBits,
    required_gpu,
    resolve_context,
    resolve_deployment,
)
from tools.plotting import render_png

__all__ = ["DtypeRoof", "MatmulOp", "RooflinePhase", "RooflineResult", "roofline"]

CONVENTION = (
    "FLOPs: 2 per multiply-add of every matmul (torch FlopCounterMode's convention), attention over every "
    "key each query is given; bytes: weights once per step, KV cache read and written, activations in and "
    "out of each linear layer. Peaks are dense datasheet figures: measured kernels reach less, so times are "
    "lower bounds and rates upper bounds."
)


# Not "instead of model" as in the other inference tools: here neither is needed, a GPU alone has a roofline.
_ParamsBillion = Annotated[
    FiniteFloat | None,
    Field(
        gt=0,
        le=10_000,
        description="Model size in billions of parameters (e.g. 70 for a 70B model) for a model given by "
        "size: a LLaMA-like decoder with grouped-query attention (8 KV heads) is assumed. With no model, "
        "size or op: the GPU's own roofline (peak and ridge point per dtype).",
    ),
]


class MatmulOp(BaseModel):
    """One matrix multiply (m×k)·(k×n) in the activation dtype."""

    model_config = ConfigDict(extra="forbid")

    m: int = Field(ge=1, le=10_000_000, description="Rows of the left matrix (tokens in a batch).")
    n: int = Field(ge=1, le=10_000_000, description="Columns of the right matrix (output features).")
    k: int = Field(ge=1, le=10_000_000, description="The shared dimension (input features).")


class RooflinePhase(ResultModel):
    """One step placed on the roofline."""

    phase: str = Field(description="prefill, decode or matmul.")
    batch_size: int = Field(description="Sequences in the step.")
    new_tokens: int = Field(description="Tokens each sequence processes in the step.")
    context: int = Field(description="Tokens already in each sequence's KV cache before the step.")
    gflops: float = Field(description="FLOPs of the step, 10^9.")
    gbytes: float = Field(description="Bytes moved to and from memory, 10^9.")
    gflops_per_token: float = Field(description="gflops / (batch_size × new_tokens).")
    mbytes_per_token: float = Field(description="Bytes moved per token processed, 10^6.")
    intensity: float = Field(description="Arithmetic intensity (算术强度): FLOPs per byte.")
    bound: Literal["compute", "memory"] = Field(description="Which roof limits it (计算受限 / 带宽受限).")
    attainable_tflops: float = Field(description="min(peak, bandwidth × intensity) per GPU, TFLOP/s.")
    time_ms: float = Field(
        description="Roofline time of the step (compute or memory, plus communication), ms."
    )
    ms_per_token: float = Field(description="time_ms / (batch_size × new_tokens).")
    why: str = Field(description="Why it is bound the way it is.")


class DtypeRoof(ResultModel):
    """The GPU's roof at one compute dtype."""

    dtype: str = Field(description="fp32, fp16, bf16, fp8 or int8.")
    peak_tflops: float = Field(description="Dense datasheet peak (no 2:4 sparsity), TFLOP/s (TOPS for int8).")
    ridge_flops_per_byte: float = Field(
        description="Ridge point (屋脊点): peak ÷ bandwidth, FLOPs (int8: ops) per byte."
    )


class RooflineResult(PlotResult):
    """A roofline (屋顶线) analysis of LLM prefill and decode, or of one matmul, on a GPU."""

    summary: str = Field(description="The answer in one sentence.")
    gpu: str = Field(description="The GPU.")
    num_gpus: int = Field(description="GPUs sharing the work (tensor parallelism).")
    compute_dtype: str = Field(description="The dtype the matmuls run in.")
    peak_tflops: float = Field(description="Dense peak of one GPU at that dtype, TFLOP/s.")
    bandwidth_gb_s: float = Field(description="Memory bandwidth of one GPU, GB/s.")
    ridge_flops_per_byte: float = Field(description="Ridge point: peak ÷ bandwidth, FLOPs per byte.")
    model: str | None = Field(description="The model, when one was analysed.")
    weight_format: str | None = Field(description="How the weights are stored.")
    phases: list[RooflinePhase] = Field(
        description="Each phase (or the matmul) on the roofline; empty for the GPU alone."
    )
    roofs: list[DtypeRoof] = Field(description="The GPU's peak and ridge point at every dtype it has.")
    convention: str = Field(description="How FLOPs and bytes are counted.")
    assumptions: list[str] = Field(description="Other rules the numbers rest on.")


def _phase(
    name: str, flops: float, moved: float, seconds: float, bound: str, gpu_peak: float, bw: float, **n: int
) -> RooflinePhase:
    intensity = flops / moved
    tokens = n["batch_size"] * n["new_tokens"]
    return RooflinePhase(
        phase=name,
        gflops=flops / 1e9,
        gbytes=moved / 1e9,
        gflops_per_token=flops / 1e9 / tokens,
        mbytes_per_token=moved / 1e6 / tokens,
        intensity=intensity,
        bound="compute" if bound == "compute" else "memory",
        attainable_tflops=min(gpu_peak, bw * intensity) / 1e12,
        time_ms=seconds * 1e3,
        ms_per_token=seconds * 1e3 / tokens,
        why="",
        **n,
    )


def _why(phase: RooflinePhase, ridge: float) -> str:
    side = "above" if phase.intensity > ridge else "below"
    if phase.phase == "decode":
        detail = (
            f"each step reads every weight (and the KV cache) to produce only {phase.batch_size} token(s), "
            "so batching more sequences raises the intensity until the KV cache reads dominate"
        )
    elif phase.phase == "prefill":
        detail = f"{phase.batch_size * phase.new_tokens:,} prompt tokens share each weight read"
    else:
        detail = "a GEMM does 2·m·n·k FLOPs on (m·k + k·n + m·n) elements"
    where = f"{phase.intensity:,.1f} FLOPs/byte is {side} the ridge of {ridge:,.0f}"
    return f"{where}: {phase.bound}-bound — {detail}."


def roofline(
    gpu: RequiredGpu,
    model: Model = None,
    params_billion: _ParamsBillion = None,
    phase: Annotated[
        Literal["prefill", "decode", "both"],
        Field(
            description="prefill (预填充: the prompt in one pass), decode (解码: one token per step) or both."
        ),
    ] = "both",
    batch_size: Annotated[int, Field(ge=1, le=1_000_000, description="Sequences per step (批大小).")] = 1,
    context_len: ContextLen = None,
    dtype: Dtype = "bf16",
    quantization: QuantizationArg = None,
    weight_bits: WeightBits = None,
    group_size: GroupSize = 128,
    kv_cache_dtype: KvCacheDtype = "auto",
    num_gpus: NumGpus = 1,
    op: Annotated[
        MatmulOp | None, Field(description="One matmul {m, n, k} to analyse instead of a model.")
    ] = None,
    plot: Annotated[bool, Field(description="Also draw the roofline (PNG) with each phase on it.")] = True,
) -> RooflineResult:
    """Roofline and ridge point (屋顶线模型, 屋脊点) of a GPU and of LLM inference on it: compute-bound or
    memory-bound (算力 vs 带宽)?

    For prefill (the prompt, context_len tokens) and decode (one token after context_len cached tokens) of a
    model, or for one matmul: FLOPs, bytes moved, arithmetic intensity (算术强度) against the GPU's ridge
    point (peak FLOP/s ÷ bandwidth), which roof bounds it and why, the attainable TFLOP/s and step time, and a
    log-log roofline plot placing each phase on the GPU's roof. Explains why decoding is memory-bound. With
    only a GPU (no model, no op): the GPU's own roofline — dense peak per dtype, bandwidth, ridge points.
    """
    gpu_spec, gpu_note = required_gpu(gpu)
    bw = gpu_spec.bandwidth_gb_s * 1e9
    assumptions = [gpu_spec.source] + ([gpu_note] if gpu_note else [])
    if op is None and model is None and params_billion is None:
        fmt = WeightFormat(quantization or "none", dtype, group_size)
        shown = fmt.compute_dtype
        if gpu_spec.tflops.get(shown) is None and shown == "bf16" and gpu_spec.tflops.get("fp16"):
            assumptions.append(f"The {gpu_spec.name} has no bf16 tensor-core rate: its fp16 roof is shown.")
            shown = "fp16"
        peak = gpu_spec.peak_flops(shown, field=fmt.dtype_field)
        assumptions.append(
            "Peaks are the datasheet's dense figures (half the 'with sparsity' numbers: 2:4 structured "
            "sparsity doubles them); the ridge point is the intensity above which a kernel is compute-bound."
        )
        return _finish([], gpu_spec, peak, num_gpus, shown, None, None, assumptions, plot)
    if op is not None:
        if model is not None or params_billion is not None:
            raise ToolInputError("op", "give a model or an op, not both")
        peak = gpu_spec.peak_flops(dtype, field="dtype")
        b = DTYPE_BYTES[dtype]
        flops, moved = 2.0 * op.m * op.n * op.k, float((op.m * op.k + op.k * op.n + op.m * op.n) * b)
        seconds = max(flops / peak, moved / bw)
        bound = "compute" if flops / peak > moved / bw else "memory"
        phases = [
            _phase("matmul", flops, moved, seconds, bound, peak, bw, batch_size=op.m, new_tokens=1, context=0)
        ]
        return _finish(phases, gpu_spec, peak, 1, dtype, None, None, assumptions, plot)

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
    context = resolve_context(dep.spec, context_len)
    steps = []
    if phase in ("prefill", "both"):
        steps.append(("prefill", dict(batch_size=batch_size, new_tokens=context, context=0)))
    if phase in ("decode", "both"):
        steps.append(("decode", dict(batch_size=batch_size, new_tokens=1, context=context)))
    phases = []
    peak = gpu_spec.peak_flops(dep.weights.compute_dtype, field=dep.weights.dtype_field)
    for name, shape in steps:
        cost = step_cost(
            dep, batch=shape["batch_size"], new_tokens=shape["new_tokens"], context=shape["context"]
        )
        timing = step_time(dep, cost, gpu_spec)
        phases.append(
            _phase(name, cost.flops, cost.bytes_moved, timing.seconds, timing.bound, peak, bw, **shape)
        )
    moe = moe_assumption(dep.spec, batch_size)  # a decode step routes batch_size tokens
    if moe:
        assumptions.append(moe + " Prefill's many tokens touch every expert.")
    if dep.spec.attention == "mla":
        spec = dep.spec
        absorbed = 2 * (spec.kv_lora_rank or 0) + (spec.qk_rope_head_dim or 0)
        expanded = spec.qk_head_width + spec.v_head_width
        assumptions.append(
            "Multi-head latent attention: the cache read is the latent, kv_lora_rank + qk_rope_head_dim per "
            f"token and layer; attention FLOPs are counted expanded ({expanded} per head and cached token); "
            "vLLM/SGLang's absorbed decode kernels attend over the latent instead "
            f"({absorbed} per head, {absorbed / expanded:.1f}× the attention FLOPs, no re-expansion of the "
            "cache)."
        )
    if dep.tensor_parallel > 1:
        assumptions.append(
            f"Split over {dep.tensor_parallel} GPUs: each does 1/{dep.tensor_parallel} of the FLOPs and "
            "bytes; two all-reduces per layer at half the datasheet interconnect figure (no latency term)."
        )
    return _finish(
        phases,
        gpu_spec,
        peak,
        dep.tensor_parallel,
        dep.weights.compute_dtype,
        dep,
        context,
        assumptions,
        plot,
    )


def _finish(
    phases: list[RooflinePhase],
    gpu: GpuSpec,
    peak: float,
    tp: int,
    compute_dtype: str,
    dep: Deployment | None,
    context: int | None,
    assumptions: list[str],
    plot: bool,
) -> RooflineResult:
    bw = gpu.bandwidth_gb_s * 1e9
    ridge = peak / bw
    roofs = [
        DtypeRoof(dtype=kind, peak_tflops=tflops, ridge_flops_per_byte=tflops * 1e12 / bw)
        for kind, tflops in gpu.tflops.items()
        if tflops is not None
    ]
    for p in phases:
        p.why = _why(p, ridge)
    name = dep.spec.name if dep is not None else "the matmul"
    parts = [
        f"{p.phase} {p.intensity:,.1f} FLOPs/byte → {p.bound}-bound, {p.time_ms:,.2f} ms" for p in phases
    ]
    summary = (
        f"{name} on {gpu.name} (ridge {ridge:,.0f} FLOPs/byte at {compute_dtype}): " + "; ".join(parts) + "."
    )
    if not phases:
        others = ", ".join(f"{r.dtype} {r.ridge_flops_per_byte:,.0f}" for r in roofs)
        summary = (
            f"{gpu.name}: ridge point {ridge:,.0f} FLOPs/byte at {compute_dtype} ({peak / 1e12:,.1f} TFLOP/s "
            f"dense ÷ {gpu.bandwidth_gb_s:,.0f} GB/s); per dtype: {others}. Below the ridge a kernel is "
            "memory-bound, above it compute-bound."
        )
    result = RooflineResult(
        summary=summary,
        gpu=gpu.name,
        num_gpus=tp,
        compute_dtype=compute_dtype,
        peak_tflops=peak / 1e12,
        bandwidth_gb_s=gpu.bandwidth_gb_s,
        ridge_flops_per_byte=ridge,
        model=dep.label if dep is not None else None,
        weight_format=dep.weights.label if dep is not None else None,
        phases=phases,
        roofs=roofs,
        convention=CONVENTION,
        assumptions=assumptions,
    )
    if plot:
        result.with_png(render_png(lambda fig: _draw(fig, result)))
    return result


def _draw(fig: Any, result: RooflineResult) -> None:
    import numpy as np  # lazily, with matplotlib

    ax = fig.add_subplot()
    peak, bw, ridge = result.peak_tflops, result.bandwidth_gb_s / 1e3, result.ridge_flops_per_byte
    xs = [p.intensity for p in result.phases]
    x = np.logspace(np.log10(min([*xs, ridge]) / 10), np.log10(max([*xs, ridge]) * 10), 200)
    from tools.plotting import MUTED, plain_log_ticks

    ax.loglog(x, np.minimum(peak, bw * x), color="black", label=f"roof: {result.gpu}")
    ax.axvline(ridge, color=MUTED, linestyle=":", label=f"ridge {ridge:,.0f} FLOPs/B")
    for p in result.phases:
        ax.scatter([p.intensity], [p.attainable_tflops], s=60, zorder=3, label=f"{p.phase} ({p.bound}-bound)")
    ax.set_xlabel("arithmetic intensity (FLOPs / byte)")
    ax.set_ylabel(f"attainable TFLOP/s ({result.compute_dtype})")
    ax.set_title(result.summary.split(":")[0])
    plain_log_ticks(ax)
    ax.legend()
    ax.grid(True, which="both")
