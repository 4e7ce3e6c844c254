"""Retrieval of tools: which offered tool a request is about, from the offered specs alone.

Evidence, each weighted: the tool's name said outright ("kl divergence", "compare_models"), the words of its
name, the words of its description (rarer words across the offered tools count more; the first line counts
double), its Chinese terms found in the request, two- and three-word phrases shared with the description,
enum values it accepts (and their names in the notes), its parameter names, and for tools that take names
("Zoo name, e.g. 'ResNet-50'"), a name-like word in the request. Notes are retrieved by
:mod:`agents.models.offline.notes`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from agents.models.offline.language import STOP_WORDS, norm, words
from agents.models.offline.reading import Reading, model_stem
from agents.models.offline.schema import ToolView, phrases

__all__ = ["MIN_SCORE", "Choice", "rank_tools"]

MIN_SCORE = 2.5
"""Below this, no tool is a confident match."""


@dataclass(frozen=True)
class Choice:
    tool: ToolView
    score: float
    triggers: frozenset[str]
    """The request words that pointed at this tool."""


@dataclass(frozen=True)
class _Offer:
    """What ranking needs to know about a set of offered tools, computed once per set."""

    tools: tuple[ToolView, ...]
    known: frozenset[str]
    abbreviations: frozenset[str]
    """Short words of exactly one offered tool's name ("kl", "ood"): saying one names that tool."""
    document_frequency: Counter[str]
    phrase_frequency: Counter[str]
    presets: frozenset[str]
    """Normalised preset names (choices of a slot that also takes a description: a model, a GPU)."""


_OFFERS: dict[tuple[int, ...], _Offer] = {}


def _offer(tools: list[ToolView]) -> _Offer:
    key = tuple(id(tool) for tool in tools)
    offer = _OFFERS.get(key)
    if offer is not None and all(a is b for a, b in zip(offer.tools, tools, strict=True)):
        return offer
    if len(_OFFERS) > 64:
        _OFFERS.clear()
    offer = _OFFERS[key] = _Offer(
        tools=tuple(tools),
        # "IoU", "MACs": terms a tool's summary uses are not model names
        known=frozenset(
            k
            for tool in tools
            for k in (*tool.enum_values, norm(tool.name), *tool.name_words, *tool.summary_words)
        ),
        abbreviations=frozenset(
            word
            for word, count in Counter(w for tool in tools for w in set(tool.name_words)).items()
            if count == 1 and len(word) <= 3
        ),
        document_frequency=Counter(word for tool in tools for word in tool.desc_words | set(tool.name_words)),
        phrase_frequency=Counter(word for tool in tools for word in {w for p in tool.phrases for w in p}),
        presets=frozenset(
            norm(value)
            for tool in tools
            for slot in tool.slots
            if "object" in slot.types
            for value in slot.enum
            if isinstance(value, str)
        ),
    )
    return offer


def rank_tools(reading: Reading, tools: list[ToolView]) -> list[Choice]:
    """Every offered tool with its score for the request, best first (ties keep the offered order)."""
    work, raw = reading.work, reading.text
    lowered = work.lower()
    offer = _offer(tools)
    request_words = set(words(_without_presets(reading, offer.presets)))
    prefixes = {word[:4] for word in request_words if len(word) >= 4}
    request_phrases = phrases(work)
    keys = _keys(work)
    names = [
        name
        for name in reading.mentions.names
        if norm(name.text) not in offer.known and model_stem(name.text) not in offer.known
    ]
    document_frequency, phrase_frequency = offer.document_frequency, offer.phrase_frequency
    total = max(20, len(tools))  # word rarity as if at least 20 tools were offered: scores stay comparable

    def idf(word: str) -> float:
        return math.log(1 + total / (1 + document_frequency.get(word, 0)))

    def phrase_weight(phrase: tuple[str, ...]) -> float:
        return sum(math.log(1 + total / (1 + phrase_frequency.get(w, 0))) for w in phrase) / len(phrase)

    choices = []
    for tool in tools:
        score = 0.0
        triggers: set[str] = set()
        if len(tool.name_words) > 1 and tool.spoken_name.search(lowered):
            score += 4.0 + len(tool.name_words)
            triggers.update(tool.name_words)
        for part in tool.name_words:
            if part in request_words or (
                part[:4] in prefixes and any(_prefix(w, part) for w in request_words)
            ):
                score += 2.0 * min(1.5, idf(part)) + (3.0 if part in offer.abbreviations else 0.0)
                triggers.add(part)
        for word in request_words:
            said = (
                word
                if word in tool.summary_words
                else tool.summary_stems.get(word[:5])
                if len(word) >= 5
                else None
            )
            if said is None and word in tool.desc_words:
                said = word
            if said is None:
                continue
            score += 0.6 * idf(said) * (2.0 if said in tool.summary_words else 1.0)
            if said in tool.summary_words:
                triggers.add(said)
        for term in tool.cjk_terms:
            if term.lower() in raw.lower():
                score += 3.0 + len(term)
                break
        shared = {
            phrase
            for phrase in request_phrases & tool.phrases
            if len(phrase) == 3 or any(word not in STOP_WORDS for word in phrase)
        }
        score += sum(1.2 * phrase_weight(phrase) for phrase in shared)
        score += 2.0 * min(2, _enum_hits(tool, keys, raw))
        score += sum(1.0 for pattern in tool.spoken_slots if pattern.search(lowered))
        name_slots = [slot for slot in tool.slots if slot.wants_names]
        if names and name_slots:
            listing = any("array" in slot.types for slot in name_slots)
            score += 5.0 if listing == (len(names) > 1) else 2.5  # one name: a single slot; several: a list
        choices.append(Choice(tool, score, frozenset(triggers)))
    order = {id(tool): i for i, tool in enumerate(tools)}
    return sorted(choices, key=lambda choice: (-choice.score, order[id(choice.tool)]))


def _without_presets(reading: Reading, presets: frozenset[str]) -> str:
    """The working text without the preset names it writes ("llama-3-8b", "qwen 7b" as written): a preset is
    a value to compute with, not a word of what to compute (a description that lists "LLaMA, Qwen …" as
    examples is no better a match for it)."""
    work = reading.work
    spans = {span for key, span in reading.keys.items() if key in presets}
    for start, end in sorted(spans, reverse=True):
        work = work[:start] + " " * (end - start) + work[end:]
    return work


def _keys(work: str) -> set[str]:
    parts = [norm(token) for token in re.findall(r"[^\s,;:()\[\]{}?!]+", work)]
    return {"".join(parts[i : i + n]) for n in (1, 2, 3) for i in range(len(parts) - n + 1)} - {""}


def _enum_hits(tool: ToolView, keys: set[str], raw: str) -> int:
    """How many of the tool's enum values the request names (by value, or by a note's name for it)."""
    hits = len(keys & tool.enum_values.keys())
    if hits:
        return hits
    latin, chinese = tool.value_aliases
    return int(bool(keys & latin) or any(name in raw for name in chinese))


def _spoken(name: str) -> str:
    """A regex for ``name`` as it may be written in prose: "kl_divergence", "KL divergence"."""
    return r"[\s_\-]*".join(re.escape(part) for part in name.lower().split("_") if part)


def _prefix(word: str, part: str) -> bool:
    return len(word) >= 4 and len(part) >= 4 and (word.startswith(part) or part.startswith(word))
