"""The state of filling one tool's slots, and how strongly the words around a value name a slot."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from agents.models.offline.language import fold, norm
from agents.models.offline.phrases import phrases_for
from agents.models.offline.reading import Reading
from agents.models.offline.schema import Slot, ToolView

__all__ = ["EQUIVALENTS", "FillState", "around", "context_score", "joined_phrases"]

EQUIVALENTS = phrases_for("en").equivalents


@dataclass
class FillState:
    tool: ToolView
    reading: Reading
    found: dict[str, Any] = field(default_factory=dict)
    taken: set[int] = field(default_factory=set)
    """Start offsets of the mentions already placed."""
    extra: dict[str, list[Any]] = field(default_factory=dict)
    chosen_at: dict[int, str] = field(default_factory=dict)
    """Where a choice was read ("3090" in "two 3090s") → the slot it filled ("gpu")."""

    def open(self) -> list[Slot]:
        return [slot for slot in self.tool.slots if slot.name not in self.found]

    def place(self, slot: Slot, value: Any, start: int) -> None:
        self.found[slot.name] = value
        self.taken.add(start)

    @cached_property
    def value_ends(self) -> list[int]:
        """Where each number, list and size of the request ends, in order (for :func:`around`)."""
        mentions = self.reading.mentions
        ends = [number.end for number in mentions.numbers] + [size.end for size in mentions.sizes]
        ends += [vector.end for vector in mentions.vectors]
        ends += [part.end for vector in mentions.vectors for part in vector.parts]
        return sorted(ends)


def context_score(slot: Slot, context: list[str]) -> float:
    """How strongly the words around a value name ``slot``: its name words count most, then the first words
    of its description, then any description word; nearer words weigh more. A word also stands for its
    equivalents in the language table ("layer" for depth)."""
    score = 0.0
    name_words = slot.name_words
    for distance, said in enumerate(reversed(context)):
        weight = 1.0 / (1 + distance)
        best = 0.0
        if " " in said and said.replace(" ", "_") == slot.name:
            score += 3.5 * weight  # "hidden size" is hidden_size
            continue
        for word in (said, *EQUIVALENTS.get(said, ())):
            if word in name_words or any(_prefix(word, part) for part in name_words):
                best = max(best, 3.0 if word == said else 3.5)
            elif word in slot.lead_words:
                best = max(best, 2.0)
            elif word in slot.keywords:
                best = max(best, 1.0)
        score += best * weight
    return score


def joined_phrases(context: list[str]) -> list[str]:
    """Context words with the two-word phrases of the language table joined ("hidden size", "feature
    map"): the phrase means something neither word does alone."""
    joined: list[str] = []
    for word in context:
        if joined and f"{joined[-1]} {word}" in EQUIVALENTS:
            joined[-1] = f"{joined[-1]} {word}"
        else:
            joined.append(word)
    return joined


def _prefix(a: str, b: str) -> bool:
    return len(a) >= 3 and len(b) >= 3 and (a.startswith(b) or b.startswith(a))


_LINK = frozenset(["at", "of", "for", "per", "each", "to", "on", "in", "by", "from", "over", "across"])
"""Words that end one value's phrase and lead to the next ("32 users at 2k tokens")."""


def _own_words(state: FillState, start: int, before: list[str]) -> list[str]:
    """``before`` without the unit of the value just before ("32 concurrent users at 2k tokens": "users"
    counts the 32, not the 2k). Only when a linking word stands between that unit and this value: in
    "train 1.9 val 2.0" the "val" is 2.0's label."""
    at = bisect.bisect_right(state.value_ends, start) - 1
    if at < 0 or not before:
        return before
    gap = state.reading.work[state.value_ends[at] : start].split()
    if len(gap) < 2 or gap[-1].lower() not in _LINK or any(re.search(r"[0-9,;:=]", word) for word in gap):
        return before
    unit = {fold(word) for word in re.findall(r"[^\W\d_]+", " ".join(gap[:-1]).lower())}
    return [word for word in before if word not in unit]


def around(state: FillState, slot: Slot, start: int, end: int) -> float:
    after = joined_phrases(state.reading.words_after(end, 3))
    before = state.reading.words_before(start, 4)
    before = joined_phrases(_own_words(state, start, before) if after else before)
    score = context_score(slot, before) + 0.8 * context_score(slot, list(reversed(after)))
    counted = _NEXT.match(state.reading.work, end)  # "2x A100", "two 3090s": the next word, digits and all
    things = [after[0]] if after else []
    if counted:
        things += [re.sub(r"(?<=[0-9])s$", "", counted.group(1).lower())]
        things += [state.chosen_at[counted.start(1)]] if counted.start(1) in state.chosen_at else []
    return score + (3.0 if any(_counts(state, slot, thing) for thing in things) else 0.0)


# "2x A100", "2*A100", and a card's memory between its count and it: "two 48gb cards", "2 张 24G 的 GPU"
_NEXT = re.compile(
    r"[ \t]*(?:[x×*][ \t]*)?(?:[0-9]{1,4}[ \t]?(?:gb|gib|g)(?![a-z0-9])[ \t]*(?:的[ \t]*)?)?"
    r"([A-Za-z0-9][\w\-]*)",
    re.IGNORECASE,
)


def _counts(state: FillState, slot: Slot, word: str) -> bool:
    """A count slot (``num_gpus``, ``num_layers``) and the thing it counts said right after the number: "2
    cards", "2x A100" (a value of the tool's ``gpu`` slot is a GPU), "4 layers"."""
    if len(slot.name_words) < 2 or slot.name_words[0] != "num":
        return False
    named = {word, fold(word), *EQUIVALENTS.get(word, ()), *EQUIVALENTS.get(fold(word), ())}  # "cards"
    named |= {fold(name) for name in state.tool.enum_values.get(norm(word), ())}
    return slot.name_words[-1].rstrip("s") in {
        name.rstrip("s") for name in named
    }  # "gpus" is a plural fold keeps
