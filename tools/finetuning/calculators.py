"""Fine-tuning calculators (微调): trainable parameters of PEFT methods and the GPU memory of a run.

The arithmetic lives in :mod:`tools.finetuning`; this module is the tools' typed surface and result models.
"""

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag

from tools._common import FiniteFloat, ResultModel
from tools.errors import ToolInputError
from tools.finetuning.architecture import LinearKind as TargetModule
from tools.finetuning.architecture import count_params, notional_spec
from tools.finetuning.fit import FinetuneMemoryResult, MemoryLine, Sharding, fit_summary, gpu_fit, shard
from tools.finetuning.memory import Attention, describe_setup, estimate_memory
from tools.finetuning.methods import Method, PeftOptions, count_method
from tools.finetuning.notes import METHODS
from tools.finetuning.presets import BaseChoice, resolve_base
from tools.inference.gpus import GPU_DESCRIPTION, GpuChoice
from tools.plotting import render_png

__all__ = [
    "AdaptedPart",
    "FinetuneMemoryResult",
    "MemoryLine",
    "MethodFigure",
    "PeftParamsResult",
    "RankCost",
    "finetune_memory",
    "peft_trainable_params",
]

_BASE_DESCRIPTION = (
    "A preset name (bert-base, gpt2-small, llama-2-7b, llama-3-8b, mistral-7b, qwen2.5-7b, gemma-7b, "
    "phi-3-mini, t5-base, flan-t5-base, bart-base, …) or a transformer description: hidden_size, num_layers, "
    "num_heads, intermediate_size, vocab_size and the layout options (fused qkv, gated MLP, bias, norm, tied "
    "head, decoder_layers for encoder-decoders, family for peft's default targets)."
)


def _target_tag(value: object) -> str:
    return "all-linear" if value == "all-linear" else "list"


def _split_commas(value: object) -> object:
    """Accept 'q,k,v' as well as ['q', 'k', 'v'] (convenient on a command line)."""
    if isinstance(value, str) and value != "all-linear":
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


Base = Annotated[BaseChoice, Field(description=_BASE_DESCRIPTION)]
_TargetChoice = Annotated[
    Annotated[Literal["all-linear"], Tag("all-linear")]
    | Annotated[list[TargetModule], Field(min_length=1, max_length=10), Tag("list")],
    Discriminator(_target_tag),
    BeforeValidator(_split_commas),
]
Targets = Annotated[
    _TargetChoice | None,
    Field(
        description="Projections to adapt: q, k, v, o (or fused qkv), gate, up, down (or fused gate_up), "
        "pooler; 'all-linear' = every linear except the LM head (peft's meaning). Null: the method's default "
        "(peft's own per-model mapping for LoRA, DoRA, AdaLoRA, VeRA and IA3 — q,v for most models; all "
        "linear for QLoRA and QA-LoRA; q,k,v,o for LongLoRA and S-LoRA).",
    ),
]


class AdaptedPart(ResultModel):
    """One group of trainable parameters."""

    part: str = Field(
        description="The adapted projection (q, k, v, o, qkv, gate, up, down, pooler) or table."
    )
    kind: Literal["adapter", "unfrozen base"] = Field(
        description="New parameters added by the method, or base parameters it makes trainable."
    )
    d_in: int | None = Field(description="Input features of the adapted layer.")
    d_out: int | None = Field(description="Output features of the adapted layer.")
    count: int = Field(description="How many such modules (one per block for block projections).")
    params_each: int = Field(description="Trainable parameters per module.")
    params_total: int = Field(description="params_each × count.")
    formula: str = Field(description="params_each, symbolically and with the numbers.")


class MethodFigure(ResultModel):
    """A method-specific number (scaling, AdaLoRA budget, VeRA shared matrices, S-LoRA memory …)."""

    name: str = Field(description="What it is.")
    value: float = Field(description="Its value.")
    unit: str = Field(description="Its unit ('' when dimensionless).")
    meaning: str = Field(description="How to read it.")


class RankCost(ResultModel):
    """Size and inference cost of an adapter of one rank (DyLoRA ranks, S-LoRA adapters)."""

    rank: int = Field(description="Adapter rank.")
    adapters: int = Field(description="How many adapters have this rank (1 for DyLoRA).")
    params_each: int = Field(description="Parameters of one adapter of this rank, over all adapted layers.")
    memory_mib_each: float = Field(description="One adapter's size in fp16, MiB.")
    extra_mflops_per_token: float = Field(
        description="Forward MFLOPs per token one unmerged adapter adds (2·r·Σ(d_in + d_out)); 0 once merged."
    )


class PeftParamsResult(ResultModel):
    """Trainable parameters of a fine-tuning method on a base model."""

    method: str = Field(description="The method, with its Chinese term.")
    base: str = Field(description="The base model and where its architecture comes from.")
    base_params: int = Field(description="Parameters of the base model.")
    trainable_params: int = Field(
        description="Parameters that receive gradients (0 for S-LoRA: serving only)."
    )
    adapter_params: int = Field(description="New parameters the method adds (S-LoRA: all served adapters).")
    total_params: int = Field(
        description="Base + added parameters (peft's all_param; frozen additions included)."
    )
    trainable_percent_of_base: float = Field(description="100 · trainable / base.")
    trainable_percent_of_total: float = Field(description="100 · trainable / total (peft's 'trainable%').")
    target_modules: list[str] = Field(description="Adapted projections (empty for prompt methods and full).")
    formula: str = Field(description="The general formula of the count.")
    parts: list[AdaptedPart] = Field(description="Each trainable group with its formula.")
    figures: list[MethodFigure] = Field(description="Method-specific numbers.")
    ranks: list[RankCost] = Field(description="Per-rank size and cost (DyLoRA, S-LoRA); empty otherwise.")
    note: str = Field(description="What the method changes (from the notes).")
    note_topic: str | None = Field(description="The notes topic for explain(), where one exists.")
    source: str = Field(description="Paper, and how the count is checked (peft or derived from the paper).")


_METHOD_OPTIONS: dict[str, set[str]] = {
    "r": {"lora", "dora", "qlora", "qa_lora", "longlora", "dylora", "adalora", "vera", "s_lora"},
    "alpha": {"lora", "dora", "qlora", "longlora", "dylora"},
    "target_modules": {
        "lora",
        "dora",
        "qlora",
        "qa_lora",
        "longlora",
        "dylora",
        "adalora",
        "vera",
        "ia3",
        "s_lora",
    },
    "bias": {"lora", "dora", "qlora", "adalora", "vera"},
    "num_virtual_tokens": {"prompt_tuning", "prefix_tuning", "p_tuning_v2", "p_tuning"},
    "prefix_projection": {"prefix_tuning", "p_tuning_v2"},
    "encoder_hidden_size": {"prefix_tuning", "p_tuning_v2", "p_tuning"},
    "target_r": {"adalora"},
    "r_min": {"dylora"},
    "group_size": {"qa_lora"},
    "train_embeddings": {"longlora"},
    "train_norms": {"longlora"},
    "adapter_ranks": {"s_lora"},
    "num_adapters": {"s_lora"},
}
_METHOD_NAMES = {"full": "Full fine-tuning", "lora": "LoRA", "qlora": "QLoRA"}
_DEFAULT_R = {"adalora": 12, "vera": 256, "qlora": 64}  # peft's AdaLoRA init_r and VeRA r; QLoRA paper r=64


def _options(method: str, given: dict[str, Any]) -> PeftOptions:
    """Check which options were given for ``method`` and fill in the rest from the method's defaults."""
    values = {name: value for name, value in given.items() if value is not None}
    for name in values:
        if method not in _METHOD_OPTIONS[name]:
            users = ", ".join(sorted(_METHOD_OPTIONS[name]))
            raise ToolInputError(name, f"does not apply to method {method!r} (it is used by: {users})")
    r = values.pop("r", _DEFAULT_R.get(method, 8))
    num_adapters = values.pop("num_adapters", None)
    ranks = values.pop("adapter_ranks", [r] * (num_adapters or 1))
    if num_adapters is not None and num_adapters != len(ranks):
        raise ToolInputError("num_adapters", f"is {num_adapters} but adapter_ranks lists {len(ranks)} ranks")
    opts = PeftOptions(r=r, targets=values.pop("target_modules", None), adapter_ranks=list(ranks), **values)
    if method == "adalora" and opts.target_r > r:
        raise ToolInputError("target_r", f"must not exceed the initial rank r={r} (AdaLoRA only prunes)")
    if method == "dylora" and opts.r_min > r:
        raise ToolInputError("r_min", f"must not exceed r (= r_max, {r})")
    return opts


def peft_trainable_params(
    method: Annotated[Method, Field(description="Fine-tuning method (p_tuning_v2 = deep prefix tuning).")],
    base: Base,
    r: Annotated[
        int | None,
        Field(
            ge=1,
            le=4096,
            description="Rank (DyLoRA: r_max; AdaLoRA: init_r). Default 8; AdaLoRA 12, VeRA 256.",
        ),
    ] = None,
    alpha: Annotated[
        FiniteFloat | None, Field(gt=0, le=1e6, description="LoRA α (scaling α/r); default 8.")
    ] = None,
    target_modules: Targets = None,
    bias: Annotated[
        Literal["none", "all", "lora_only"] | None,
        Field(description="peft's bias option: which base biases are also trained; default none."),
    ] = None,
    num_virtual_tokens: Annotated[
        int | None, Field(ge=1, le=4096, description="Soft-prompt / prefix length; default 20.")
    ] = None,
    prefix_projection: Annotated[
        bool | None, Field(description="Prefix tuning: train prefixes through an embedding + 2-layer MLP.")
    ] = None,
    encoder_hidden_size: Annotated[
        int | None,
        Field(ge=1, le=65536, description="Width of the prefix / P-tuning MLP; default hidden size."),
    ] = None,
    target_r: Annotated[
        int | None, Field(ge=1, le=4096, description="AdaLoRA: average rank after pruning (8).")
    ] = None,
    r_min: Annotated[
        int | None, Field(ge=1, le=4096, description="DyLoRA: smallest sampled rank (1).")
    ] = None,
    group_size: Annotated[
        int | None, Field(ge=1, le=65536, description="QA-LoRA: quantisation group size L along d_in (32).")
    ] = None,
    train_embeddings: Annotated[
        bool | None, Field(description="LongLoRA: embeddings trainable (true).")
    ] = None,
    train_norms: Annotated[
        bool | None, Field(description="LongLoRA: normalization layers trainable (true).")
    ] = None,
    adapter_ranks: Annotated[
        list[Annotated[int, Field(ge=1, le=4096)]] | None,
        Field(min_length=1, max_length=100_000, description="S-LoRA: the rank of each served adapter."),
    ] = None,
    num_adapters: Annotated[
        int | None, Field(ge=1, le=100_000, description="S-LoRA: number of served adapters, all of rank r.")
    ] = None,
) -> PeftParamsResult:
    """Trainable parameters of a fine-tuning method (参数高效微调 PEFT) on a transformer base.

    Methods: full, LoRA (低秩适配), DoRA, QLoRA (量化), QA-LoRA, LongLoRA, DyLoRA, AdaLoRA, VeRA, IA3, prompt
    tuning (提示微调), prefix tuning (前缀微调), P-Tuning v2, P-tuning, S-LoRA (adapter memory for serving).
    Returns trainable, base and total parameters, the percentage of the base, the formula per adapted layer
    and a note on what the method changes. Counts match HuggingFace peft where peft implements the method;
    the others follow their papers (see source). Options that do not apply to the method are rejected.
    """
    spec, label = resolve_base(base)
    given = {
        "r": r,
        "alpha": alpha,
        "target_modules": target_modules,
        "bias": bias,
        "num_virtual_tokens": num_virtual_tokens,
        "prefix_projection": prefix_projection,
        "encoder_hidden_size": encoder_hidden_size,
        "target_r": target_r,
        "r_min": r_min,
        "group_size": group_size,
        "train_embeddings": train_embeddings,
        "train_norms": train_norms,
        "adapter_ranks": adapter_ranks,
        "num_adapters": num_adapters,
    }
    opts = _options(method, given)
    base_params = count_params(spec)
    counted = count_method(method, spec, base_params, opts)
    parts = [
        AdaptedPart(
            part=p.name,
            kind=p.kind,
            d_in=p.d_in,
            d_out=p.d_out,
            count=p.count,
            params_each=p.params_each,
            params_total=p.params_total,
            formula=p.formula,
        )
        for p in counted.parts
    ]
    added = sum(p.params_total for p in counted.parts if p.kind == "adapter")
    trainable = 0 if counted.serving_only else sum(p.params_total for p in counted.parts)
    total = base_params + (0 if counted.serving_only else added + counted.frozen_added)
    info = METHODS[method]
    return PeftParamsResult(
        method=info.title,
        base=label,
        base_params=base_params,
        trainable_params=trainable,
        adapter_params=added,
        total_params=total,
        trainable_percent_of_base=100 * trainable / base_params,
        trainable_percent_of_total=100 * trainable / total,
        target_modules=counted.targets,
        formula=info.formula,
        parts=parts,
        figures=[
            MethodFigure(name=f.name, value=f.value, unit=f.unit, meaning=f.meaning) for f in counted.figures
        ],
        ranks=[
            RankCost(
                rank=row.rank,
                adapters=row.adapters,
                params_each=row.params_each,
                memory_mib_each=row.params_each * 2 / 2**20,
                extra_mflops_per_token=row.extra_flops_per_token / 1e6,
            )
            for row in counted.ranks
        ],
        note=info.note,
        note_topic=info.topic,
        source=info.source,
    )


def finetune_memory(
    base: Annotated[BaseChoice | None, Field(description=_BASE_DESCRIPTION)] = None,
    params_billion: Annotated[
        FiniteFloat | None,
        Field(gt=0, le=10_000, description="Model size in billions, instead of base (shapes then assumed)."),
    ] = None,
    method: Annotated[Literal["full", "lora", "qlora"], Field(description="What is trained.")] = "lora",
    precision: Annotated[
        Literal["fp32", "bf16", "fp16", "int8"],
        Field(description="Weight dtype of the base (compute dtype for QLoRA); int8 only for lora."),
    ] = "bf16",
    optimizer: Annotated[Literal["adamw", "sgd", "adafactor"], Field(description="Optimizer.")] = "adamw",
    batch_size: Annotated[int, Field(ge=1, le=65536, description="Sequences per step (micro-batch).")] = 1,
    seq_len: Annotated[int, Field(ge=1, le=1_048_576, description="Tokens per sequence.")] = 512,
    r: Annotated[
        int | None, Field(ge=1, le=4096, description="LoRA rank; default 8 (lora), 64 (qlora).")
    ] = None,
    target_modules: Targets = None,
    gradient_checkpointing: Annotated[
        bool | None,
        Field(
            description="Recompute activations in backward, keeping only block inputs. Default: on for qlora "
            "(peft's prepare_model_for_kbit_training turns it on), off for full and lora (transformers' "
            "default)."
        ),
    ] = None,
    attention: Annotated[
        Attention,
        Field(
            description="transformers' attn_implementation: sdpa (its default) and flash_attention_2 never "
            "store the s×s attention scores; eager does."
        ),
    ] = "sdpa",
    gpu: Annotated[
        GpuChoice | None, Field(description=GPU_DESCRIPTION + " The fit is checked on it.")
    ] = None,
    gpu_memory_gb: Annotated[
        FiniteFloat | None,
        Field(
            gt=0,
            le=100_000,
            description="GPU memory in GB to check the fit against; given with gpu, it is that GPU's "
            "memory (an A100 with 40 GB).",
        ),
    ] = None,
    num_gpus: Annotated[
        int,
        Field(
            ge=1,
            le=1024,
            description="GPUs (cards) training together with data parallelism (数据并行): each holds a whole "
            "replica unless sharding splits it; batch_size is per GPU.",
        ),
    ] = 1,
    sharding: Annotated[
        Sharding,
        Field(
            description="ZeRO stage over num_gpus (DeepSpeed; FSDP FULL_SHARD = zero3): zero1 splits the "
            "optimizer states, zero2 also the gradients, zero3 also the weights."
        ),
    ] = "none",
    plot: Annotated[bool, Field(description="Also draw a PNG of the breakdown against the GPU size.")] = True,
) -> FinetuneMemoryResult:
    """GPU memory (显存) of fine-tuning a transformer: full, LoRA (低秩适配) or QLoRA (量化, NF4).

    Breaks one training step down into weights (NF4 + double quantisation for QLoRA), gradients, optimizer
    states (AdamW, SGD with momentum, factored Adafactor; fp32 master weights in mixed precision), activations
    (Korthikanti et al. 2022 formula, with or without gradient checkpointing) and logits, in GiB, and says
    whether it fits the GPU named (gpu: 4090, A100, H100, …) or sized (gpu_memory_gb). Defaults are what
    current trainers do: transformers' SDPA attention (no s×s scores stored), gradient checkpointing for
    QLoRA only (peft turns it on). Memory is per GPU: num_gpus data-parallel replicas each hold the whole
    model unless sharding (ZeRO 1-3 / FSDP) splits it; the setup and every assumption are in the result.
    """
    card = gpu_fit(gpu, gpu_memory_gb)
    if (base is None) == (params_billion is None):
        raise ToolInputError("base", "give exactly one of base (preset or spec) and params_billion")
    if method == "full" and (r is not None or target_modules is not None):
        raise ToolInputError(
            "r" if r is not None else "target_modules", "applies to lora and qlora, not full"
        )
    if base is not None:
        spec, label = resolve_base(base)
        params = count_params(spec)
    elif params_billion is not None:
        params = round(params_billion * 1e9)
        spec, label = notional_spec(params), f"{params_billion:g}B parameters (notional shape)"
    rank = r or _DEFAULT_R.get(method, 8)
    checkpointing = method == "qlora" if gradient_checkpointing is None else gradient_checkpointing
    est = estimate_memory(
        spec=spec,
        exact=base is not None,
        params=params,
        method=method,
        precision=precision,
        optimizer=optimizer,
        batch_size=batch_size,
        seq_len=seq_len,
        r=rank,
        targets=target_modules,
        gradient_checkpointing=checkpointing,
        attention=attention,
    )
    assumptions = est.assumptions + shard(est, num_gpus=num_gpus, sharding=sharding) + card.assumptions
    total, size = est.total_gib, card.memory_gib
    what = f"{_METHOD_NAMES[method]} of {label.split(' (')[0]}"
    result = FinetuneMemoryResult(
        summary=fit_summary(what, total, card, num_gpus=num_gpus, sharding=sharding),
        base=label,
        method=method,
        setup=describe_setup(
            method,
            rank,
            est.adapted,
            attention,
            checkpointing,
            checkpointing_default=gradient_checkpointing is None,
            adapters_default=r is None and target_modules is None,
        ),
        attention=attention,
        gradient_checkpointing=checkpointing,
        params=params,
        trainable_params=est.trainable,
        weights_gib=est.gib("weights"),
        adapter_weights_gib=est.gib("adapter weights"),
        gradients_gib=est.gib("gradients"),
        optimizer_states_gib=est.gib("optimizer states", "master weights"),
        activations_gib=est.gib("activations", "logits"),
        total_gib=total,
        num_gpus=num_gpus,
        sharding=sharding,
        gpu=card.name,
        gpu_memory_gb=size,
        fits=None if size is None else total <= size,
        headroom_gib=None if size is None else size - total,
        lines=[MemoryLine(name=p.name, gib=p.gib, formula=p.formula) for p in est.parts],
        assumptions=assumptions,
    )
    if plot:
        result.with_png(render_png(lambda fig: _draw_memory(fig, result), height_px=320))
    return result


def _draw_memory(fig, result: FinetuneMemoryResult) -> None:
    ax = fig.add_subplot()
    left = 0.0
    for line in result.lines:
        ax.barh(0, line.gib, left=left, label=f"{line.name}: {line.gib:.2f} GiB")
        left += line.gib
    if result.gpu_memory_gb is not None:
        label = f"{result.gpu or 'GPU'}: {result.gpu_memory_gb:g} GB"
        ax.axvline(result.gpu_memory_gb, color="black", linestyle="--", label=label)
    ax.set_yticks([0], labels=[result.method])
    ax.set_ylabel("method")
    ax.set_xlabel("GPU memory (GiB)")
    ax.set_title(f"{result.method} fine-tuning of {result.base.split(' (')[0]}: {result.total_gib:.1f} GiB")
    fig.legend(loc="outside lower center", ncol=3)
