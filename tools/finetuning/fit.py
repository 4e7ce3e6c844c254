"""Does a fine-tuning run fit: the memory tool's result, the breakdown spread over data-parallel GPUs (with or
without ZeRO sharding), and the comparison with the GPU a caller names or sizes.

The GPU facts come from :mod:`tools.inference.gpus` (one table for every tool that asks "does it fit").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from tools._common import PlotResult, ResultModel
from tools.errors import ToolInputError
from tools.finetuning.memory import MemoryBreakdown, MemoryPart
from tools.inference.gpus import CustomGpu, resolve_gpu

__all__ = ["FinetuneMemoryResult", "GpuFit", "MemoryLine", "Sharding", "fit_summary", "gpu_fit", "shard"]

Sharding = Literal["none", "zero1", "zero2", "zero3"]

#: The lines each ZeRO stage splits over the GPUs (Rajbhandari et al. 2020, "ZeRO", §5: P_os, P_os+g,
#: P_os+g+p). The fp32 master copy is part of the optimizer states there (K = 12 bytes per parameter).
_SHARDED: dict[str, frozenset[str]] = {
    "none": frozenset(),
    "zero1": frozenset({"optimizer states", "master weights"}),
    "zero2": frozenset({"optimizer states", "master weights", "gradients"}),
    "zero3": frozenset({"optimizer states", "master weights", "gradients", "weights", "adapter weights"}),
}


def shard(est: MemoryBreakdown, *, num_gpus: int, sharding: Sharding) -> list[str]:
    """Turn ``est`` into the memory of ONE of ``num_gpus`` data-parallel GPUs (in place); the assumptions
    this adds."""
    if sharding != "none" and num_gpus == 1:
        raise ToolInputError("sharding", f"{sharding} splits states over several GPUs; set num_gpus ≥ 2")
    split = _SHARDED[sharding]
    est.parts = [
        MemoryPart(part.name, part.gib / num_gpus, f"({part.formula}) / {num_gpus} GPUs")
        if part.name in split
        else part
        for part in est.parts
    ]
    if num_gpus == 1:
        return []
    if sharding == "none":
        return [
            f"Plain data parallelism (数据并行, DDP) over {num_gpus} GPUs: every GPU holds a whole replica — "
            "weights, gradients and optimizer states — so the memory per GPU is that of one GPU and the "
            f"cards do not add up; batch_size is per GPU (global batch {num_gpus} × batch_size). ZeRO/FSDP "
            "(sharding) is what splits the states."
        ]
    stage = {"zero1": "optimizer states", "zero2": "optimizer states and gradients"}.get(
        sharding, "optimizer states, gradients and weights"
    )
    extra = (
        " Each layer's weights are gathered whole while it runs (not counted: one layer at a time)."
        if sharding == "zero3"
        else ""
    )
    return [
        f"{sharding.upper()} (DeepSpeed; FSDP SHARD_GRAD_OP ≈ zero2, FULL_SHARD ≈ zero3) over {num_gpus} "
        f"data-parallel GPUs: the {stage} are split 1/{num_gpus} per GPU (Rajbhandari et al. 2020); "
        f"activations stay per GPU; batch_size is per GPU.{extra}"
    ]


@dataclass(frozen=True)
class GpuFit:
    """The GPU compared against."""

    name: str | None
    """Its display name (None when only a size was given)."""
    memory_gib: float | None
    assumptions: list[str]

    @property
    def memory_gb_text(self) -> str:
        return f"{self.memory_gib:g} GB"


def gpu_fit(gpu: str | CustomGpu | None, gpu_memory_gb: float | None) -> GpuFit:
    """The GPU size to compare with: a preset or custom GPU, or a bare size; a size given with a GPU is that
    GPU's memory ("A100 40GB"), as in llm_inference_memory."""
    if gpu is None:
        return GpuFit(None, gpu_memory_gb, [])
    spec, note = resolve_gpu(gpu)
    notes = [note] if note else []
    if gpu_memory_gb is not None:
        said = f"{spec.name} with {gpu_memory_gb:g} GB as given (the preset has {spec.memory_gib:g} GB)."
        return GpuFit(spec.name, gpu_memory_gb, [said, *notes])
    said = f"{spec.name}: {spec.memory_gib:g} GB per GPU ({spec.source}), compared as GiB."
    return GpuFit(spec.name, spec.memory_gib, [said, *notes])


def fit_summary(what: str, total_gib: float, card: GpuFit, *, num_gpus: int, sharding: Sharding) -> str:
    """The answer in one sentence: the memory per GPU, whether it fits, and what several GPUs change."""
    need = f"{what} needs {total_gib:,.1f} GiB per GPU"
    if card.memory_gib is not None:
        on = f"{card.name} ({card.memory_gb_text})" if card.name else f"{card.memory_gb_text} GPU"
        verdict = "fits" if total_gib <= card.memory_gib else "does not fit"
        need += f": it {verdict} on {'each' if num_gpus > 1 else 'one' if card.name else 'a'} {on}"
    if num_gpus > 1 and sharding == "none":
        need += (
            f"; the {num_gpus} data-parallel GPUs each hold a whole replica (memory does not add up across "
            "cards): sharding (ZeRO-3 / FSDP) splits the states"
        )
    elif num_gpus > 1:
        need += f", with ZeRO-{sharding[-1]} over {num_gpus} GPUs"
    return need + "."


class MemoryLine(ResultModel):
    """One line of the memory breakdown."""

    name: str = Field(
        description="Component: weights, adapter weights, gradients, master weights, optimizer states, "
        "activations or logits."
    )
    gib: float = Field(description="Size in GiB (2^30 bytes) on one GPU.")
    formula: str = Field(description="How it was computed.")


class FinetuneMemoryResult(PlotResult):
    """GPU memory of a fine-tuning run, by component, in GiB per GPU."""

    summary: str = Field(description="The answer in one sentence.")
    base: str = Field(description="The base model (or the parameter count given) and its source.")
    method: str = Field(description="full, lora or qlora.")
    setup: str = Field(
        description="The run estimated, in words: adapters, attention kernel, gradient checkpointing."
    )
    attention: str = Field(description="transformers' attn_implementation assumed (sdpa by default).")
    gradient_checkpointing: bool = Field(description="Whether activations are recomputed in backward.")
    params: int = Field(description="Parameters of the base.")
    trainable_params: int = Field(description="Parameters receiving gradients.")
    num_gpus: int = Field(description="Data-parallel GPUs (each holds a replica unless sharded).")
    sharding: str = Field(description="ZeRO stage splitting the states over the GPUs (none, zero1-3).")
    weights_gib: float = Field(description="Base model weights (frozen for LoRA/QLoRA).")
    adapter_weights_gib: float = Field(description="LoRA adapter weights (0 for full fine-tuning).")
    gradients_gib: float = Field(description="Gradients of the trainable parameters.")
    optimizer_states_gib: float = Field(description="Optimizer states, plus the fp32 master copy if any.")
    activations_gib: float = Field(description="Saved activations and logits (a stated approximation).")
    total_gib: float = Field(description="Sum of the above: the memory of one GPU.")
    gpu: str | None = Field(description="The GPU compared against, when one was named.")
    gpu_memory_gb: float | None = Field(
        description="The GPU size compared against (GiB as nvidia-smi counts)."
    )
    fits: bool | None = Field(description="total ≤ GPU memory; null when no GPU was given.")
    headroom_gib: float | None = Field(description="GPU memory − total (negative: short by that much).")
    lines: list[MemoryLine] = Field(description="Every component with its formula.")
    assumptions: list[str] = Field(description="Every rule the estimate rests on, with sources.")
