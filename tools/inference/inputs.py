"""The inference tools' shared inputs: their annotated types (the JSON schema a caller sees) and the checks
that turn them into a :class:`~tools.inference.costs.Deployment`, each problem one line naming its field."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from tools._common import FiniteFloat
from tools.errors import ToolInputError
from tools.finetuning.architecture import TransformerSpec, notional_spec
from tools.finetuning.presets import BaseChoice, resolve_base
from tools.inference.costs import ActivationDtype, Deployment, KvDtype, Quantization, WeightFormat
from tools.inference.gpus import GPU_DESCRIPTION, CustomGpu, GpuChoice, GpuSpec, resolve_gpu

__all__ = [
    "DEFAULT_CONTEXT",
    "NOTIONAL_KV_HEADS",
    "ContextLen",
    "Dtype",
    "Gpu",
    "GroupSize",
    "KvCacheDtype",
    "Model",
    "NumGpus",
    "ParamsBillion",
    "QuantizationArg",
    "RequiredGpu",
    "WeightBits",
    "optional_gpu",
    "required_gpu",
    "resolve_context",
    "resolve_deployment",
]

#: KV heads of the shape assumed for a bare size (LLaMA-2-70B, LLaMA-3, Mistral and Qwen2.5-32B/72B have 8).
NOTIONAL_KV_HEADS = 8
#: Context used when none is given (capped at the model's own limit).
DEFAULT_CONTEXT = 4096

Model = Annotated[
    BaseChoice | None,
    Field(
        description="The model (模型): a preset name (llama-2-7b, llama-3.1-8b, llama-3.1-70b, "
        "llama-3.1-405b, mistral-7b, qwen2.5-7b, qwen3-8b, qwen3-30b-a3b, mixtral-8x7b, deepseek-v3, "
        "gemma-2-9b, phi-3-mini, …) or a decoder spec (hidden_size, num_layers, num_heads, num_kv_heads, "
        "head_dim, intermediate_size, vocab_size, max_context, MoE: num_experts, experts_per_token, …; MLA: "
        "attention='mla', kv_lora_rank, …)."
    ),
]
ParamsBillion = Annotated[
    FiniteFloat | None,
    Field(
        gt=0,
        le=10_000,
        description="Model size in billions of parameters (e.g. 70 for a 70B model), instead of model: a "
        "LLaMA-like decoder with grouped-query attention (8 KV heads) is assumed.",
    ),
]
Dtype = Annotated[
    ActivationDtype,
    Field(description="Activation dtype (精度), also of every weight left unquantised: bf16, fp16 or fp32."),
]
QuantizationArg = Annotated[
    Quantization | None,
    Field(
        description="Weight format (量化): none, fp8 or int8 (weights and activations in 8 bits), int4 "
        "(weight-only, group-wise), awq, gptq (4-bit, group-wise with zero points), nf4 (bitsandbytes "
        "4-bit). Default: none, or what weight_bits says."
    ),
]
WeightBits = Annotated[
    int | None,
    Field(
        ge=4,
        le=16,
        description="Bits per weight (4-bit, 8-bit), instead of quantization: 16 = none, 8 = int8, 4 = int4.",
    ),
]
GroupSize = Annotated[
    int, Field(ge=1, le=65536, description="Inputs sharing one scale for int4, awq and gptq (128).")
]
KvCacheDtype = Annotated[
    KvDtype,
    Field(
        description="KV cache (KV缓存) element type: auto = the activation dtype, or fp8 / int8 to halve it."
    ),
]
#: A GPU the tool cannot do without (its roofline); ``Gpu`` is the optional one.
RequiredGpu = Annotated[GpuChoice, Field(description=GPU_DESCRIPTION)]
Gpu = Annotated[GpuChoice | None, Field(description=GPU_DESCRIPTION)]
NumGpus = Annotated[
    int,
    Field(
        ge=1,
        le=1024,
        description="GPUs (cards) the model is split across with tensor parallelism (张量并行), e.g. 2.",
    ),
]
ContextLen = Annotated[
    int | None,
    Field(
        ge=1,
        le=16_777_216,
        description="Context length (上下文) per sequence in tokens, prompt plus output; default 4096 or the "
        "model's maximum if smaller.",
    ),
]


def _resolve_model(
    model: str | TransformerSpec | None, params_billion: float | None
) -> tuple[TransformerSpec, str]:
    if (model is None) == (params_billion is None):
        raise ToolInputError("model", "give exactly one of model (a preset or a spec) and params_billion")
    if model is None:
        params = (params_billion or 0.0) * 1e9
        spec = notional_spec(params, num_kv_heads=NOTIONAL_KV_HEADS)
        label = (
            f"{params_billion:g}B parameters (notional LLaMA-like shape: {spec.num_layers} layers, hidden "
            f"{spec.hidden_size}, {spec.num_heads} heads, {spec.kv_heads} KV heads)"
        )
        return spec, label
    spec, label = resolve_base(model, field="model")
    if spec.decoder_layers:
        raise ToolInputError(
            "model",
            f"{spec.name} is an encoder-decoder; these tools model decoder-only LLMs (KV cache per token)",
        )
    if spec.output_head == "none":
        raise ToolInputError(
            "model", f"{spec.name} is an encoder without an LM head: it does not generate tokens"
        )
    return spec, label


def _resolve_format(
    dtype: ActivationDtype, quantization: Quantization | None, weight_bits: int | None, group_size: int
) -> WeightFormat:
    implied: dict[int, Quantization] = {16: "none", 8: "int8", 4: "int4"}
    nominal = {"none": 32 if dtype == "fp32" else 16, "fp8": 8, "int8": 8}
    if weight_bits is not None and weight_bits not in implied:
        raise ToolInputError("weight_bits", f"must be 16, 8 or 4 (got {weight_bits})")
    if quantization is None:
        quantization = implied[weight_bits] if weight_bits is not None else "none"
        if weight_bits == 16 and dtype == "fp32":
            raise ToolInputError("weight_bits", "16 bits contradicts dtype fp32; use dtype bf16 or fp16")
    elif weight_bits is not None and nominal.get(quantization, 4) != weight_bits:
        raise ToolInputError(
            "weight_bits",
            f"{weight_bits} bits contradicts quantization {quantization!r}; give one of the two",
        )
    return WeightFormat(quantization, dtype, group_size)


def optional_gpu(gpu: str | CustomGpu | None) -> tuple[GpuSpec | None, str | None]:
    """The GPU (and a note when an alias was read), or None when none was given."""
    return (None, None) if gpu is None else resolve_gpu(gpu)


def required_gpu(gpu: str | CustomGpu | None) -> tuple[GpuSpec, str | None]:
    """The GPU (and a note when an alias was read); a missing one is a ToolInputError naming ``gpu`` (the
    schema requires it; Python callers may still pass None)."""
    if gpu is None:
        raise ToolInputError("gpu", "name a GPU (e.g. a100-80gb, h100-sxm, l40s) or give its numbers")
    return resolve_gpu(gpu)


def resolve_deployment(
    *,
    model: str | TransformerSpec | None,
    params_billion: float | None,
    dtype: ActivationDtype,
    quantization: Quantization | None,
    weight_bits: int | None,
    group_size: int,
    kv_cache_dtype: KvDtype,
    num_gpus: int,
) -> Deployment:
    """Check the inputs against each other and the model; one :class:`ToolInputError` per problem."""
    spec, label = _resolve_model(model, params_billion)
    fmt = _resolve_format(dtype, quantization, weight_bits, group_size)
    if spec.num_heads % num_gpus:
        raise ToolInputError(
            "num_gpus", f"{spec.num_heads} attention heads do not split evenly over {num_gpus} GPUs"
        )
    if spec.attention != "mla" and spec.kv_heads % num_gpus and num_gpus % spec.kv_heads:
        raise ToolInputError(
            "num_gpus", f"{spec.kv_heads} KV heads neither split over nor replicate onto {num_gpus} GPUs"
        )
    kv = dtype if kv_cache_dtype == "auto" else kv_cache_dtype
    return Deployment(spec=spec, label=label, weights=fmt, kv_dtype=kv, tensor_parallel=num_gpus)


def resolve_context(spec: TransformerSpec, context_len: int | None, *, field: str = "context_len") -> int:
    """The context to plan for: the one given (checked against the model's maximum) or the default."""
    limit = spec.context_limit
    if context_len is None:
        return min(DEFAULT_CONTEXT, limit) if limit else DEFAULT_CONTEXT
    if limit is not None and context_len > limit:
        raise ToolInputError(field, f"{context_len} tokens exceed {spec.name}'s maximum context of {limit}")
    return context_len
