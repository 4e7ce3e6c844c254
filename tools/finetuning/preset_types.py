"""The record of a named architecture and the builder most decoder presets share (LLaMA-like: RMSNorm, gated
MLP, rotary positions), used by :mod:`tools.finetuning.presets` and :mod:`tools.finetuning.presets_moe`."""

from __future__ import annotations

from dataclasses import dataclass

from tools.finetuning.spec import Family, LinearKind, TransformerSpec

__all__ = ["Preset", "decoder"]


@dataclass(frozen=True)
class Preset:
    """A named architecture with the source of its numbers."""

    spec: TransformerSpec
    """The architecture."""
    source: str
    """The config it is transcribed from."""
    known_params: int
    """The framework-reported (and, where published, the model card's) total, to check the counts against."""
    known_active: int | None = None
    """Mixtures of experts: the parameters one token uses, as the transformers model gives them (all
    parameters but the routed experts' share a token skips); None for dense models."""


def decoder(
    name: str,
    family: Family,
    shape: tuple[int, int, int, int, int, int],
    *,
    context: int,
    tied: bool = False,
    bias: bool | list[LinearKind] = False,
    head_dim: int | None = None,
    fused: bool = False,
    norms_per_block: int = 2,
    window: int | None = None,
    window_layers: int | None = None,
) -> TransformerSpec:
    """A LLaMA-like decoder; ``shape`` is (hidden, layers, heads, kv heads, intermediate, vocab)."""
    h, layers, heads, kv, inter, vocab = shape
    return TransformerSpec(
        name=name,
        family=family,
        hidden_size=h,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=kv,
        head_dim=head_dim,
        intermediate_size=inter,
        vocab_size=vocab,
        attention="fused" if fused else "separate",
        mlp="gated_fused" if fused else "gated",
        bias=bias,
        norm="rmsnorm",
        norms_per_block=norms_per_block,
        output_head="tied" if tied else "untied",
        max_context=context,
        sliding_window=window,
        sliding_window_layers=window_layers,
    )
