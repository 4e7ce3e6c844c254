"""Choosing the tool a request is about, from the offered specs alone.

Evidence, each weighted: the tool's name said outright ("kl divergence", "compare_models"), the words of its
name, the words of its description (rarer words across the offered tools count more; the first line counts
double), its Chinese terms found in the request (longer terms count more), two- and three-word phrases shared
with the description (weighted by how rare their words are), enum values it accepts, its parameter names, and
for tools that take names ("Zoo name, e.g. 'ResNet-50'"), a name-like word in the request.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from agents.models.offline.lexicon import STOP_WORDS, translate
from agents.models.offline.schema import ToolView, is_name_like, norm, phrases, token_keys, tokens, words

__all__ = ["MIN_SCORE", "Choice", "rank_tools"]

#: Below this, no tool is a confident match and the model says what it can do instead.
MIN_SCORE = 2.5


@dataclass(frozen=True)
class Choice:
    tool: ToolView
    score: float
    triggers: frozenset[str]
    """The request words that pointed at this tool (stripped when the rest of the request is free text)."""


def rank_tools(request: str, tools: list[ToolView]) -> list[Choice]:
    """Every offered tool with its score for ``request``, best first (ties keep the offered order)."""
    work = translate(request)
    lowered = work.lower()
    request_set = set(words(work))
    request_phrases = phrases(work)
    keys = token_keys(work)
    known = {key for tool in tools for key in (*tool.enum_values, norm(tool.name), *tool.name_words)}
    names = [token for _, _, token in tokens(work) if is_name_like(token) and norm(token) not in known]
    document_frequency = Counter(word for tool in tools for word in tool.desc_words | set(tool.name_words))
    phrase_frequency = Counter(
        word for tool in tools for word in {w for phrase in tool.phrases for w in phrase}
    )
    total = max(20, len(tools))  # word rarity as if at least 20 tools were offered, so scores stay comparable

    def idf(word: str) -> float:
        return math.log(1 + total / (1 + document_frequency.get(word, 0)))

    def phrase_weight(phrase: tuple[str, ...]) -> float:
        return sum(math.log(1 + total / (1 + phrase_frequency.get(w, 0))) for w in phrase) / len(phrase)

    choices = []
    for tool in tools:
        score = 0.0
        triggers: set[str] = set()
        if len(tool.name_words) > 1 and re.search(rf"(?<![a-z0-9]){_spoken(tool.name)}(?![a-z0-9])", lowered):
            score += 4.0 + len(tool.name_words)
            triggers.update(tool.name_words)
        for part in tool.name_words:
            if part in request_set or any(_prefix(word, part) for word in request_set):
                score += 2.0 * min(1.5, idf(part))
                triggers.add(part)
        for word in request_set & tool.desc_words:
            score += 0.6 * idf(word) * (2.0 if word in tool.summary_words else 1.0)
            if word in tool.summary_words:
                triggers.add(word)
        for term in tool.cjk_terms:
            if term.lower() in request.lower():
                score += 3.0 + len(term)
                break
        shared = {
            phrase
            for phrase in request_phrases & tool.phrases
            if len(phrase) == 3 or any(word not in STOP_WORDS for word in phrase)
        }
        score += sum(1.2 * phrase_weight(phrase) for phrase in shared)
        score += 2.0 * min(2, len(keys & tool.enum_values.keys()))
        for slot in tool.slots:
            if len(slot.name) > 2 and re.search(rf"(?<![a-z]){_spoken(slot.name)}(?![a-z])", lowered):
                score += 1.0
        if names and any(slot.wants_names for slot in tool.slots):
            score += 3.0
        choices.append(Choice(tool, score, frozenset(triggers)))
    order = {id(tool): i for i, tool in enumerate(tools)}
    return sorted(choices, key=lambda choice: (-choice.score, order[id(choice.tool)]))


def _spoken(name: str) -> str:
    """A regex for ``name`` as it may be written in prose: "kl_divergence", "KL divergence",
    "kl-divergence"."""
    return r"[\s_\-]*".join(re.escape(part) for part in name.lower().split("_") if part)


def _prefix(word: str, part: str) -> bool:
    return len(word) >= 4 and len(part) >= 4 and (word.startswith(part) or part.startswith(word))
