"""``llm_throughput``: roofline upper bounds on serving speed — time to first token, time per output token,
tokens/s — how batching, quantisation, the KV-cache dtype and tensor parallelism move them, and the expected
speed-up of speculative decoding (Leviathan et al. 2023)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Literal

from pydantic import Field

from tools._common import FiniteFloat, ResultModel
from tools.errors import ToolInputError
from tools.finetuning.presets import PresetChoice
from tools.inference.costs import Deployment, StepTime, WeightFormat, moe_assumption, step_cost, step_time
from tools.inference.gpus import GpuSpec
from tools.inference.inputs import (
    Dtype,
    GroupSize,
    KvCacheDtype,
    Model,
    NumGpus,
    ParamsBillion,
    QuantizationArg,
    RequiredGpu,
    WeightBits,
    required_gpu,
    resolve_context,
    resolve_deployment,
)
from tools.inference.memory import serving_memory
from tools.inference.roofline import CONVENTION

__all__ = ["Speculation", "ThroughputResult", "WhatIf", "llm_throughput", "speculative_speedup"]

_MAX_DRAFT = 16


class WhatIf(ResultModel):
    """The same service with one thing changed."""

    change: str = Field(description="What changed.")
    ttft_ms: float = Field(description="Time to first token, ms.")
    tpot_ms: float = Field(description="Time per output token, ms.")
    tokens_per_s: float = Field(description="Output tokens per second over the batch.")
    per_gpu_gib: float = Field(description="Memory per GPU, GiB.")
    fits: bool = Field(description="Whether it fits the GPU's memory.")


class Speculation(ResultModel):
    """Speculative decoding (投机解码): a draft proposes γ tokens, the target verifies them in one pass."""

    draft: str = Field(description="The draft model, or the cost ratio given.")
    acceptance_rate: float = Field(description="α: probability the target accepts a drafted token.")
    draft_tokens: int = Field(description="γ: tokens drafted per step.")
    draft_cost_ratio: float = Field(description="c: draft step time ÷ target step time.")
    expected_tokens_per_step: float = Field(description="(1 − α^(γ+1)) / (1 − α): tokens per target pass.")
    speedup: float = Field(
        description="Leviathan et al. 2023, Theorem 3.8: (1 − α^(γ+1)) / ((1 − α)(γc + 1)), verification "
        "costing one target step."
    )
    speedup_roofline: float = Field(
        description="The same with the verification of γ+1 tokens timed on the roofline (slower once "
        "compute-bound)."
    )
    tpot_ms: float = Field(description="Time per output token with speculation, ms (roofline).")
    best_draft_tokens: int = Field(description="The γ (1–16) with the highest roofline speed-up.")
    best_speedup: float = Field(description="That speed-up.")


class ThroughputResult(ResultModel):
    """Latency and throughput bounds (吞吐量 / 延迟) of serving an LLM on GPUs."""

    summary: str = Field(description="The answer in one sentence.")
    model: str = Field(description="The model and where its architecture comes from.")
    gpu: str = Field(description="The GPU.")
    num_gpus: int = Field(description="GPUs (tensor parallelism).")
    weight_format: str = Field(description="How the weights are stored.")
    kv_cache_dtype: str = Field(description="Element type of the KV cache.")
    batch_size: int = Field(description="Sequences decoded together.")
    prompt_len: int = Field(description="Prompt tokens per request.")
    output_len: int = Field(description="Generated tokens per request.")
    ttft_ms: float = Field(description="Time to first token (首字延迟): prefill of the batch's prompts, ms.")
    prefill_bound: Literal["compute", "memory"] = Field(description="What limits prefill.")
    tpot_ms: float = Field(description="Time per output token (每token延迟) at the mean context, ms.")
    decode_bound: Literal["compute", "memory"] = Field(description="What limits decoding.")
    decode_compute_ms: float = Field(description="Decode step time if only FLOPs counted, ms.")
    decode_memory_ms: float = Field(description="Decode step time if only bytes counted, ms.")
    decode_comm_ms: float = Field(description="All-reduce time per decode step (tensor parallelism), ms.")
    tokens_per_s_per_sequence: float = Field(description="1000 / tpot_ms.")
    tokens_per_s_total: float = Field(description="batch_size × tokens_per_s_per_sequence.")
    e2e_latency_s: float = Field(description="ttft + output_len × tpot, seconds.")
    per_gpu_gib: float = Field(description="Memory per GPU at prompt + output tokens per sequence, GiB.")
    fits: bool = Field(description="Whether that fits the GPU's memory.")
    target_tpot_ms: float | None = Field(description="The latency target given.")
    meets_target: bool | None = Field(description="tpot_ms ≤ target_tpot_ms.")
    max_batch_for_target: int | None = Field(
        description="Largest batch whose tpot meets the target and whose KV cache fits (0: none)."
    )
    what_if: list[WhatIf] = Field(
        description="Batching, quantisation, KV dtype and tensor parallelism varied."
    )
    speculative: Speculation | None = Field(
        description="Speculative decoding, when acceptance_rate is given."
    )
    convention: str = Field(description="How FLOPs and bytes are counted.")
    assumptions: list[str] = Field(description="Other rules the numbers rest on.")


@dataclass(frozen=True)
class _Timing:
    ttft: float
    tpot: float
    prefill_bound: Literal["compute", "memory"]
    decode_bound: Literal["compute", "memory"]
    decode_parts: tuple[float, float, float]


def _decode(dep: Deployment, gpu: GpuSpec, batch: int, prompt: int, output: int) -> StepTime:
    """One decode step at the mean context of a request (prompt + output/2)."""
    return step_time(dep, step_cost(dep, batch=batch, new_tokens=1, context=prompt + output // 2), gpu)


def _timing(dep: Deployment, gpu: GpuSpec, batch: int, prompt: int, output: int) -> _Timing:
    prefill = step_time(dep, step_cost(dep, batch=batch, new_tokens=prompt, context=0), gpu)
    decode = _decode(dep, gpu, batch, prompt, output)
    parts = (decode.compute_s, decode.memory_s, decode.comm_s)
    return _Timing(prefill.seconds, decode.seconds, prefill.bound, decode.bound, parts)


def speculative_speedup(alpha: float, gamma: int, cost_ratio: float) -> tuple[float, float]:
    """Expected tokens per target pass and wall-time speed-up (Leviathan et al. 2023, eq. 1 and Thm 3.8)."""
    tokens = gamma + 1.0 if alpha >= 1 else (1 - alpha ** (gamma + 1)) / (1 - alpha)
    return tokens, tokens / (gamma * cost_ratio + 1)


def _fits(dep: Deployment, gpu: GpuSpec, batch: int, context: int) -> tuple[float, bool]:
    per_gpu = serving_memory(dep, batch=batch, context=context).per_gpu / 2**30
    return per_gpu, per_gpu <= gpu.memory_gib


def _largest_batch(dep: Deployment, gpu: GpuSpec, prompt: int, output: int, target_s: float) -> int:
    """The largest batch whose decode step meets ``target_s`` and whose memory fits (time grows with the
    batch, so a bisection finds it)."""

    def ok(batch: int) -> bool:
        fits = _fits(dep, gpu, batch, prompt + output)[1]
        return fits and _decode(dep, gpu, batch, prompt, output).seconds <= target_s

    if not ok(1):
        return 0
    lo, hi = 1, 2
    while hi <= 1 << 20 and ok(hi):
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def _variants(dep: Deployment, batch: int) -> list[tuple[str, Deployment, int]]:
    """One change at a time: batching, 4-bit weights, an 8-bit KV cache, twice the GPUs."""
    out = [("as given", dep, batch), (f"batch {batch} → {batch * 4}", dep, batch * 4)]
    fmt = dep.weights
    if fmt.quantization in ("none", "fp8", "int8"):
        out.append(("AWQ 4-bit weights", replace(dep, weights=WeightFormat("awq", fmt.dtype, 128)), batch))
    else:
        out.append(
            (
                f"{fmt.dtype} weights (unquantised)",
                replace(dep, weights=WeightFormat("none", fmt.dtype)),
                batch,
            )
        )
    if dep.kv_dtype not in ("fp8", "int8"):
        out.append(("fp8 KV cache", replace(dep, kv_dtype="fp8"), batch))
    tp = dep.tensor_parallel * 2
    if dep.spec.num_heads % tp == 0 and (dep.spec.kv_heads % tp == 0 or tp % dep.spec.kv_heads == 0):
        out.append(
            (f"tensor parallel {dep.tensor_parallel} → {tp} GPUs", replace(dep, tensor_parallel=tp), batch)
        )
    return out


def _speculation(
    dep: Deployment,
    gpu: GpuSpec,
    *,
    batch: int,
    context: int,
    alpha: float,
    gamma: int | None,
    draft_model: str | None,
    cost_ratio: float | None,
) -> Speculation:
    target = step_time(dep, step_cost(dep, batch=batch, new_tokens=1, context=context), gpu).seconds
    if draft_model is not None:
        try:
            draft_dep = resolve_deployment(
                model=draft_model,
                params_billion=None,
                dtype=dep.weights.dtype,
                quantization=None,
                weight_bits=None,
                group_size=128,
                kv_cache_dtype="auto",
                num_gpus=1,
            )
        except ToolInputError as exc:  # the draft's problem, named as the draft's field
            raise ToolInputError("draft_model", exc.reason) from None
        draft_step = step_time(
            draft_dep, step_cost(draft_dep, batch=batch, new_tokens=1, context=context), gpu
        )
        draft_s, label = draft_step.seconds, f"{draft_model} (one GPU, {dep.weights.dtype})"
    elif cost_ratio is not None:
        draft_s, label = cost_ratio * target, f"cost ratio c = {cost_ratio:g} (given)"
    else:
        raise ToolInputError("draft_model", "with acceptance_rate, give draft_model or draft_cost_ratio")
    c = draft_s / target

    def roofline_speedup(g: int) -> float:
        verify = step_time(dep, step_cost(dep, batch=batch, new_tokens=g + 1, context=context), gpu).seconds
        tokens, _ = speculative_speedup(alpha, g, c)
        return tokens * target / (g * draft_s + verify)

    speedups = {g: roofline_speedup(g) for g in range(1, _MAX_DRAFT + 1)}
    best = max(speedups, key=lambda g: speedups[g])
    g = gamma or best
    tokens, paper = speculative_speedup(alpha, g, c)
    return Speculation(
        draft=label,
        acceptance_rate=alpha,
        draft_tokens=g,
        draft_cost_ratio=c,
        expected_tokens_per_step=tokens,
        speedup=paper,
        speedup_roofline=speedups[g],
        tpot_ms=target / speedups[g] * 1e3,
        best_draft_tokens=best,
        best_speedup=speedups[best],
    )


def llm_throughput(
    gpu: RequiredGpu,
    model: Model = None,
    params_billion: ParamsBillion = None,
    num_gpus: NumGpus = 1,
    dtype: Dtype = "bf16",
    quantization: QuantizationArg = None,
    weight_bits: WeightBits = None,
    group_size: GroupSize = 128,
    kv_cache_dtype: KvCacheDtype = "auto",
    batch_size: Annotated[
        int,
        Field(ge=1, le=1_000_000, description="Sequences decoded together (批大小, continuous batching)."),
    ] = 1,
    prompt_len: Annotated[
        int, Field(ge=1, le=16_777_216, description="Prompt (input) tokens per request.")
    ] = 512,
    output_len: Annotated[
        int, Field(ge=1, le=16_777_216, description="Generated (output) tokens per request.")
    ] = 256,
    target_tpot_ms: Annotated[
        FiniteFloat | None,
        Field(
            gt=0,
            le=1e6,
            description="Latency target: most ms per output token (50 ms = 20 tokens/s per user).",
        ),
    ] = None,
    acceptance_rate: Annotated[
        FiniteFloat | None,
        Field(
            ge=0,
            le=1,
            description="Speculative decoding (投机解码): α, the chance a drafted token is accepted.",
        ),
    ] = None,
    draft_tokens: Annotated[
        int | None,
        Field(ge=1, le=_MAX_DRAFT, description="γ: tokens drafted per step; default: the best one."),
    ] = None,
    draft_model: Annotated[
        PresetChoice | None,
        Field(
            description="The draft model (a smaller preset), timed on the same GPU; used with "
            "acceptance_rate (default: none, no speculative decoding)."
        ),
    ] = None,
    draft_cost_ratio: Annotated[
        FiniteFloat | None,
        Field(gt=0, le=1, description="c: draft step time ÷ target step time, instead of draft_model."),
    ] = None,
) -> ThroughputResult:
    """Throughput, latency and speed (吞吐量 / 延迟 / 速度) of serving an LLM: roofline bounds, tokens/s.

    Time to first token (prefill), time per output token (decode, ms per token), tokens/s per sequence and
    for the batch, end-to-end latency; how batching (continuous batching), quantisation (量化), an fp8 KV
    cache and tensor parallelism (张量并行) move them; the largest batch meeting a latency target; and
    speculative decoding's expected speed-up for an acceptance rate and draft cost (Leviathan et al. 2023).
    How many tokens per second can an H100 give a 7B model?
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
    gpu_spec, gpu_note = required_gpu(gpu)
    resolve_context(dep.spec, prompt_len, field="prompt_len")
    resolve_context(dep.spec, prompt_len + output_len, field="output_len")
    if acceptance_rate is None and (draft_tokens or draft_model or draft_cost_ratio) is not None:
        raise ToolInputError("acceptance_rate", "speculative decoding needs the acceptance rate α (0–1)")
    if draft_model is not None and draft_cost_ratio is not None:
        raise ToolInputError("draft_cost_ratio", "give draft_model or draft_cost_ratio, not both")
    gpu_spec.peak_flops(
        dep.weights.compute_dtype, field=dep.weights.dtype_field
    )  # a missing dtype: one clear line

    timing = _timing(dep, gpu_spec, batch_size, prompt_len, output_len)
    per_gpu, fits = _fits(dep, gpu_spec, batch_size, prompt_len + output_len)
    what_if = []
    for change, variant, batch in _variants(dep, batch_size):
        t = _timing(variant, gpu_spec, batch, prompt_len, output_len)
        gib, ok = _fits(variant, gpu_spec, batch, prompt_len + output_len)
        what_if.append(
            WhatIf(
                change=change,
                ttft_ms=t.ttft * 1e3,
                tpot_ms=t.tpot * 1e3,
                tokens_per_s=batch / t.tpot,
                per_gpu_gib=gib,
                fits=ok,
            )
        )
    speculation = None
    if acceptance_rate is not None:
        speculation = _speculation(
            dep,
            gpu_spec,
            batch=batch_size,
            context=prompt_len + output_len // 2,
            alpha=acceptance_rate,
            gamma=draft_tokens,
            draft_model=draft_model,
            cost_ratio=draft_cost_ratio,
        )
    meets = max_batch = None
    if target_tpot_ms is not None:
        meets = timing.tpot * 1e3 <= target_tpot_ms
        max_batch = _largest_batch(dep, gpu_spec, prompt_len, output_len, target_tpot_ms / 1e3)
    compute, memory, comm = timing.decode_parts
    result = ThroughputResult(
        summary="",
        model=dep.label,
        gpu=gpu_spec.name,
        num_gpus=dep.tensor_parallel,
        weight_format=dep.weights.label,
        kv_cache_dtype=dep.kv_dtype,
        batch_size=batch_size,
        prompt_len=prompt_len,
        output_len=output_len,
        ttft_ms=timing.ttft * 1e3,
        prefill_bound=timing.prefill_bound,
        tpot_ms=timing.tpot * 1e3,
        decode_bound=timing.decode_bound,
        decode_compute_ms=compute * 1e3,
        decode_memory_ms=memory * 1e3,
        decode_comm_ms=comm * 1e3,
        tokens_per_s_per_sequence=1 / timing.tpot,
        tokens_per_s_total=batch_size / timing.tpot,
        e2e_latency_s=timing.ttft + output_len * timing.tpot,
        per_gpu_gib=per_gpu,
        fits=fits,
        target_tpot_ms=target_tpot_ms,
        meets_target=meets,
        max_batch_for_target=max_batch,
        what_if=what_if,
        speculative=speculation,
        convention=CONVENTION,
        assumptions=_assumptions(gpu_spec, gpu_note, dep, batch_size),
    )
    result.summary = _summary(result, dep)
    return result


def _summary(r: ThroughputResult, dep: Deployment) -> str:
    gpus = f"{r.num_gpus} × {r.gpu}" if r.num_gpus > 1 else r.gpu
    text = (
        f"{dep.spec.name} on {gpus}, batch {r.batch_size}: first token after {r.ttft_ms:,.0f} ms "
        f"({r.prefill_bound}-bound prefill of {r.prompt_len:,} tokens), then {r.tpot_ms:,.1f} ms per token "
        f"({r.decode_bound}-bound) = {r.tokens_per_s_per_sequence:,.0f} tokens/s per sequence, "
        f"{r.tokens_per_s_total:,.0f} tokens/s in total (upper bounds)"
    )
    if not r.fits:
        text += f"; needs {r.per_gpu_gib:.1f} GiB per GPU — it does not fit"
    if r.target_tpot_ms is not None:
        verdict = "meets" if r.meets_target else "misses"
        text += f"; {verdict} the {r.target_tpot_ms:g} ms target, met up to batch {r.max_batch_for_target}"
    if r.speculative is not None:
        s = r.speculative
        text += (
            f"; speculative decoding (α = {s.acceptance_rate:g}, γ = {s.draft_tokens}) ≈ "
            f"{s.speedup_roofline:.2f}× faster"
        )
    return text + "."


def _assumptions(gpu: GpuSpec, gpu_note: str | None, dep: Deployment, batch: int) -> list[str]:
    notes = [
        gpu.source,
        "Roofline bounds: each step takes max(FLOPs ÷ peak, bytes ÷ bandwidth); real kernels reach a "
        "fraction of both peaks, so times are lower bounds and rates upper bounds.",
        "Time to first token: the batch's prompts prefilled together in one pass; no queueing.",
        "Time per output token: one decode step at the mean context (prompt + output/2) for the whole batch "
        "(continuous batching keeps the batch full).",
        "Memory per GPU: weights, KV cache at prompt + output tokens, activations, 1 GiB overhead.",
    ]
    moe = moe_assumption(dep.spec, batch)
    if moe:
        notes.append(moe)
    if dep.tensor_parallel > 1:
        notes.append(
            f"Tensor parallelism over {dep.tensor_parallel} GPUs: two all-reduces of the hidden state per "
            f"layer over {gpu.interconnect} ({gpu.interconnect_gb_s:g} GB/s both ways, half used per "
            "direction); per-call latency (µs each) not modelled."
        )
    if gpu_note:
        notes.append(gpu_note)
    return notes
