"""Slot filling, distributions said in words: a tool's probability-vector slots filled from what a request
describes instead of listing ("entropy of 8 equally likely classes", "a fair die", "8 类均匀分布", "the model
gives 0.7 to the right class", "正确类别概率 80%").

- *Uniform*: one open distribution slot and a uniform cue ("uniform", "equally likely", "fair", "均匀",
  "等概率") with a count of outcomes (the one whole number of the request, or the outcomes of a die or coin,
  several of them a joint outcome) → ``[1/n] * n``.
- *Two outcomes*: one open distribution slot, a two-outcome cue ("coin", "Bernoulli", "binary", "硬币") and
  one probability → ``[x, 1 − x]``.
- *The true class's probability*: two open distribution slots, one the true (one-hot / reference) one, and a
  cue naming the correct class with one probability ("0.7", "80%") → true ``[1, 0]``, model ``[x, 1 − x]``:
  the cross-entropy (or KL) of a one-hot target depends on the correct class's probability alone.

Slots are recognised from the tool's schema (a required list of numbers whose description speaks of a
distribution or probabilities); no tool is named here.
"""

from __future__ import annotations

import re

from agents.models.offline.context import FillState
from agents.models.offline.mentions import Number
from agents.models.offline.schema import Slot

__all__ = ["MAX_OUTCOMES", "place_distributions"]

MAX_OUTCOMES = 4096
"""The most outcomes a uniform distribution is written out for (a longer list helps no student)."""

_DISTRIBUTION = re.compile(r"distribution|probabilit", re.IGNORECASE)
_TRUE = re.compile(r"\btrue\b|one-hot|reference|target", re.IGNORECASE)
_UNIFORM = re.compile(
    r"uniform|equally[ \-]likely|equiprobable|equal(?:ly)? probab|\bfair\b|\bunbiased\b"
    r"|均匀|等概率?|等可能|概率(?:都)?(?:相同|相等|一样)|公平",
    re.IGNORECASE,
)
_OUTCOMES = (
    (re.compile(r"\bdi(?:e|ce)\b|骰子|色子", re.IGNORECASE), 6),
    (re.compile(r"\bcoins?\b|硬币", re.IGNORECASE), 2),
)
_BINARY = re.compile(r"\bcoins?\b|bernoulli|\bbinary\b|硬币|伯努利|二元|两点分布|0-1 ?分布", re.IGNORECASE)
"""Two outcomes, one probability given: the other is its complement."""
_SUM = re.compile(r"\bsum\b|\btotal\b|之和|点数和", re.IGNORECASE)
_CORRECT = re.compile(
    r"\b(?:right|correct|true|target|gold|ground[ \-]truth)\s+(?:class|label|answer|token|category|one)"
    r"|正确(?:的)?(?:类别|类|标签|答案|token)|真实(?:的)?(?:类别|类|标签)|目标类",
    re.IGNORECASE,
)


def place_distributions(state: FillState) -> None:
    """Fill the open probability-vector slots from a distribution the request describes in words."""
    slots = [slot for slot in state.open() if _distribution_slot(slot)]
    if not slots or len(slots) != len([s for s in state.tool.slots if _distribution_slot(s)]):
        return  # a list the request wrote fills one of them: the words describe nothing more
    text = state.reading.text
    numbers = [
        n for n in state.reading.mentions.numbers if n.start not in state.taken and n.value is not None
    ]
    if len(slots) == 1 and _UNIFORM.search(text):
        outcomes, used = _outcomes(text, numbers)
        if outcomes is not None:
            state.place(slots[0], [1 / outcomes] * outcomes, used.start if used else -1)
    elif len(slots) == 1 and _BINARY.search(text):
        chances = [(n, x) for n in numbers if (x := _probability(n)) is not None]
        if len(chances) == 1:  # "a coin with p = 0.9", "Bernoulli(0.3)", "正面概率 0.8 的硬币"
            number, x = chances[0]
            state.place(slots[0], [x, round(1 - x, 12)], number.start)
    elif len(slots) == 2 and _CORRECT.search(text):
        truth = [slot for slot in slots if _TRUE.search(slot.description)]
        chances = [(n, x) for n in numbers if (x := _probability(n)) is not None]
        if len(truth) != 1 or len(chances) != 1:
            return
        number, x = chances[0]
        model = next(slot for slot in slots if slot is not truth[0])
        state.place(truth[0], [1, 0], -1)
        state.place(model, [x, round(1 - x, 12)], number.start)


def _distribution_slot(slot: Slot) -> bool:
    return slot.required and slot.is_vector and _DISTRIBUTION.search(slot.description) is not None


def _outcomes(text: str, numbers: list[Number]) -> tuple[int | None, Number | None]:
    """How many equally likely outcomes the request describes, and the number that says so."""
    counts = [n for n in numbers if n.integer and not n.scale and not n.percent and n.value is not None]
    for pattern, sides in _OUTCOMES:
        if pattern.search(text):
            if _SUM.search(text):
                return None, None  # the sum of two dice is not uniform
            throws = int(counts[0].value) if len(counts) == 1 and counts[0].value else 1
            total = sides**throws if throws <= 12 else MAX_OUTCOMES + 1
            return (total, counts[0] if counts else None) if total <= MAX_OUTCOMES else (None, None)
    if len(counts) != 1 or counts[0].value is None or not 2 <= counts[0].value <= MAX_OUTCOMES:
        return None, None
    return int(counts[0].value), counts[0]


def _probability(number: Number) -> float | None:
    value = number.value
    if value is None or number.scale:
        return None
    if number.percent:
        value /= 100
    return value if 0 < value < 1 else None
