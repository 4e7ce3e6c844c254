"""Slot filling, Gaussians written in notation: "N(0, 1)", "𝒩(μ=0.5, σ²=0.64)", "Normal(1, 0.5²)",
"高斯(0,2)".

``N(a, b)`` is read the way textbooks write it, mean and *variance*; a second value written as a square
("0.5²", "0.5^2") is a standard deviation squared. The first Gaussian fills the tool's first ``<x>_mean``
and ``<x>_var`` (or ``<x>_std``) slots, the second the next pair; the slots are found by name in the tool's
schema, no tool is named here. Everything inside a matched notation is taken, so its numbers fill nothing
else.
"""

from __future__ import annotations

import math
import re

from agents.models.offline.context import FillState
from agents.models.offline.schema import Slot

__all__ = ["place_gaussians"]

_NUM = r"[-+−]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_GAUSSIAN = re.compile(
    r"(?<![A-Za-z])(?:N|𝒩|Normal|normal|Gaussian|gaussian|高斯分布|高斯|正态分布|正态)\s*[(（]\s*"
    rf"(?:[μu]\s*=\s*)?(?P<mean>{_NUM})\s*[,，]\s*"
    rf"(?:(?:σ²|σ\^2|var|sigma\^2)\s*=\s*)?(?P<spread>{_NUM})\s*(?P<squared>²|\^\s*2)?\s*[)）]"
)


def place_gaussians(state: FillState) -> None:
    """Fill mean/variance slot pairs from Gaussians written as N(mean, variance)."""
    pairs = _pairs(state.tool.slots)
    if not pairs:
        return
    text = state.reading.work
    matches = list(_GAUSSIAN.finditer(text))
    if not matches or len(matches) > len(pairs):
        return
    inside = _starts_inside(state, [(m.start(), m.end()) for m in matches])
    for match, (mean, var, std) in zip(matches, pairs, strict=False):
        if mean.name in state.found:
            return
        spread = _number(match.group("spread"))
        state.place(mean, _number(match.group("mean")), match.start())
        if match.group("squared"):
            spread_slot, value = (std, spread) if std is not None else (var, spread * spread)
        else:
            spread_slot, value = (var, spread) if var is not None else (std, math.sqrt(abs(spread)))
        if spread_slot is not None:
            state.place(spread_slot, value, match.start("spread"))
    state.taken.update(inside)


def _pairs(slots: list[Slot]) -> list[tuple[Slot, Slot | None, Slot | None]]:
    by_name = {slot.name: slot for slot in slots}
    pairs = []
    for slot in slots:
        if slot.name.endswith("_mean"):
            prefix = slot.name.removesuffix("_mean")
            var, std = by_name.get(f"{prefix}_var"), by_name.get(f"{prefix}_std")
            if var is not None or std is not None:
                pairs.append((slot, var, std))
    return pairs


def _starts_inside(state: FillState, spans: list[tuple[int, int]]) -> set[int]:
    mentions = state.reading.mentions
    starts = {item.start for group in (mentions.numbers, mentions.vectors, mentions.sizes) for item in group}
    starts |= {item.start for item in mentions.structures}
    return {start for start in starts if any(begin <= start < end for begin, end in spans)}


def _number(text: str) -> float:
    return float(text.replace("−", "-"))
