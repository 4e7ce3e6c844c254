"""Several calls from one request: one per listed enum value, and a second tool when the request asks for its
quantity too.

- *Enum fan-out*: "compare full fine-tuning, LoRA and QLoRA" names three values of one single-valued enum
  parameter (``method``) side by side, so the tool is called once per value, the other arguments shared.
  Values count as listed together when only separators ("," "and" "or" "vs" "/" "和" "、" …) and at most
  two other words stand between them. List-typed parameters (``optimizers: list[...]``) take several values
  in one call and are never fanned out.
- *Multi-tool*: "… by GPU memory and trainable parameters" asks for what two tools compute. A runner-up tool
  joins the best one only when it is a confident match on its own (a high score, and a word of its *name*
  said in the request that the best tool's name and description do not contain) and every required
  argument of it can be read from the request.

Everything is read from the offered schemas (enum values, names, descriptions); nothing is kept per tool.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from agents.models.offline.language import STOP_WORDS, fold, norm, words
from agents.models.offline.reading import Reading
from agents.models.offline.retrieval import MIN_SCORE, Choice
from agents.models.offline.schema import Slot, ToolView
from agents.models.offline.slots import Extraction, fill
from agents.models.offline.vocabulary import translate

__all__ = ["MAX_CALLS", "companion_tools", "fan_out", "listed_values"]

MAX_CALLS = 8
"""At most this many tool calls in one reply (fan-out and companion tools together)."""

_SEPARATOR = re.compile(
    r"[,/&;+]|\b(?:and|or|vs|versus|plus|against|than)\b\.?|[和与或及跟、]|以及|对比|相比", re.IGNORECASE
)
_GAP_WORD = re.compile(r"[A-Za-z][\w\-]*|[\u3400-\u9fff]+")
_MAX_GAP_WORDS = 2
_IDENTIFIER = re.compile(r"[_=]|\d")
_MAX_TOOLS_PER_WORD = 2
"""A name word tells a tool apart only when at most this many offered tools use it ("trainable", not
"model")."""
_MIN_SHARE = 0.5
"""A companion tool scores at least this share of the best tool's score."""


def _pattern(value: str) -> re.Pattern[str]:
    parts = [re.escape(part) for part in re.split(r"[\s_\-]+", value) if part]
    return re.compile(r"(?<![A-Za-z0-9])" + r"[\s_\-]*".join(parts) + r"(?![A-Za-z0-9])", re.IGNORECASE)


def _occurrences(slot: Slot, work: str) -> list[tuple[int, int, Any]]:
    """Where each of ``slot``'s enum values is written in ``work``: ``(start, end, value)``, in order."""
    found: list[tuple[int, int, Any]] = []
    for value in slot.enum:
        if not isinstance(value, str) or len(value) < 2 or value.isdigit() or value.lower() in STOP_WORDS:
            continue
        found += [(m.start(), m.end(), value) for m in _pattern(value).finditer(work)]
    found.sort(key=lambda item: (item[0], -item[1]))
    kept: list[tuple[int, int, Any]] = []
    for item in found:  # a longer value written at the same place wins ("low memory" over "low")
        if not kept or item[0] >= kept[-1][1]:
            kept.append(item)
    return kept


def _linked(gap: str) -> bool:
    """Whether the text between two values lists them together ("full fine-tuning, " / " vs " / "、")."""
    if not _SEPARATOR.search(gap):
        return False
    others = [word for word in _GAP_WORD.findall(_SEPARATOR.sub(" ", gap)) if word.lower() not in STOP_WORDS]
    return len(others) <= _MAX_GAP_WORDS


def listed_values(slot: Slot, request: str) -> list[Any]:
    """The values of a single-valued enum ``slot`` that ``request`` lists side by side (the longest such run,
    each value once, in the order written); fewer than two means there is nothing to fan out."""
    if not slot.enum or slot.item_enum or "array" in slot.types:
        return []
    work = translate(request)
    spots = _occurrences(slot, work)
    best: list[Any] = []
    run: list[Any] = []
    for index, (start, _, value) in enumerate(spots):
        if index and _linked(work[spots[index - 1][1] : start]):
            run.append(value)
        else:
            run = [value]
        distinct = list(dict.fromkeys(run))
        if len(distinct) > len(best):
            best = distinct
    return best if len(best) >= 2 else []


def fan_out(
    tool: ToolView, request: str, arguments: dict[str, Any], *, reading: Reading | None = None
) -> list[dict[str, Any]]:
    """One argument set per value of the enum parameter the request lists several values of (the parameter
    with the most such values; the others shared) — or, given the ``reading``, per name the request lists
    for a slot that takes one name ("resnet34 vs resnet50") — or just ``[arguments]``."""
    best_slot: Slot | None = None
    best_values: list[Any] = []
    for slot in tool.slots:
        values = listed_values(slot, request)
        if len(values) > len(best_values):
            best_slot, best_values = slot, values
    if best_slot is None and reading is not None:
        best_slot, best_values = _listed_names(tool, reading, arguments)
    if best_slot is None:
        return [arguments]
    return [{**arguments, best_slot.name: value} for value in best_values[:MAX_CALLS]]


def _listed_names(
    tool: ToolView, reading: Reading, arguments: dict[str, Any]
) -> tuple[Slot | None, list[Any]]:
    """The slot that took one name, and the names listed side by side with it ("resnet34 vs resnet50",
    "resnet18/34/50", "vit-b/16 和 vit-l/16"), in order; ``(None, [])`` when it is alone."""
    for slot in tool.slots:
        if not slot.wants_names or "array" in slot.types or not isinstance(arguments.get(slot.name), str):
            continue
        names = [name for name in reading.mentions.names if norm(name.text) not in reading.reserved]
        run: list[Any] = []
        best: list[Any] = []
        for index, name in enumerate(names):
            gap = reading.work[names[index - 1].end : name.start] if index else ""
            run = [*run, name] if index and (not gap.strip() or _linked(gap) or gap == "/") else [name]
            if any(item.text == arguments[slot.name] for item in run) and len(run) > len(best):
                best = list(run)
        texts = list(dict.fromkeys(name.text for name in best))
        if len(texts) >= 2:
            return slot, texts
    return None, []


def _distinct_name_words(
    tool: ToolView, other: ToolView, request_words: set[str], frequency: Counter[str]
) -> set[str]:
    """Rare words of ``tool``'s name said in the request that ``other``'s name and description do not use."""
    said = {
        part
        for part in tool.name_words
        if len(part) >= 4
        and part not in STOP_WORDS
        and frequency[part] <= _MAX_TOOLS_PER_WORD
        and (part in request_words or _stem_in(part, request_words))
    }
    return {part for part in said if part not in other.name_words and part not in other.desc_words}


def _stem_in(part: str, request_words: set[str]) -> bool:
    return any(len(word) >= 5 and (word.startswith(part) or part.startswith(word)) for word in request_words)


def companion_tools(
    reading: Reading, ranked: list[Choice], *, limit: int = 1
) -> list[tuple[ToolView, Extraction, set[str]]]:
    """Runner-up tools the request also asks about: each a confident match on its own and fully filled."""
    if len(ranked) < 2:
        return []
    best = ranked[0]
    # Identifiers and name=value pairs ("d_model=768") are arguments, not what the request asks about.
    prose = " ".join(token for token in reading.work.split() if not _IDENTIFIER.search(token))
    request_words = {fold(word) for word in words(prose)}
    frequency = Counter(
        word for choice in ranked for word in choice.tool.desc_words | set(choice.tool.name_words)
    )
    found: list[tuple[ToolView, Extraction, set[str]]] = []
    for choice in ranked[1:]:
        if len(found) >= limit or choice.score < max(2 * MIN_SCORE, _MIN_SHARE * best.score):
            break
        if not _distinct_name_words(
            choice.tool, best.tool, request_words, frequency
        ) or not _distinct_name_words(best.tool, choice.tool, request_words | set(best.triggers), frequency):
            continue
        extraction = fill(choice.tool, reading)
        if extraction.missing or not extraction.arguments:
            continue
        found.append((choice.tool, extraction, set(choice.triggers)))
    return found
