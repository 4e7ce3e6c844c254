"""Scope: whether a request is about the field the tools and notes cover at all.

A request for a train ticket, a joke or a SQL query may still share a word with a tool ("train" →
``diagnose_training``) or a note ("merge" → LoRA), and retrieval, which only ranks, would then pick one. This
module weighs the request against two vocabularies read from what is offered, never from a list of off-topic
requests:

- the *domain* terms: the notes' names and titles, the tools' names and the first lines of their descriptions,
  the values their schemas accept and their Chinese terms, and versioned names ("gpt-3", "resnet50");
- the *known* terms: every word the notes, the tool descriptions and the language tables use at all.

A request that names no note and whose words are mostly foreign to both (or that names nothing of the domain
and has a foreign word) is out of scope. The action a tool's name starts with ("recommend", "compare") or its
description opens with ("Run", "List") is no domain term by itself: "recommend a movie" is no request for
``recommend_optimizer``. Linear in the length of the request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import cache

from agents.models.offline.notes import note_index, terms
from agents.models.offline.phrases import all_phrases
from agents.models.offline.schema import ToolView
from agents.models.offline.vocabulary import with_english

__all__ = ["Scope", "read_scope"]

_CJK = re.compile(r"[\u3400-\u9fff]")
_PAIR = re.compile(r"[\u3400-\u9fff]{2}")
_VERSIONED = re.compile(r"[a-z]\d|\d[a-z]")
"""A term with letters and digits ("gpt3", "resnet50", "llama27b") names a model, a GPU or a layer (one with
both has a letter beside a digit: found without scanning the term once per letter)."""


@dataclass(frozen=True)
class Scope:
    """What of the field a request names."""

    domain: tuple[str, ...]
    """Its terms of the field (note names and titles, tool terms, accepted values, versioned names)."""
    foreign: tuple[str, ...]
    """Its terms that neither the notes, the tools nor the language tables use anywhere."""
    named: bool
    """It names a note ("GAN", "屋顶线模型")."""

    @property
    def outside(self) -> bool:
        """Not about the field: no note named, and foreign words outweigh the field's (a lone word of the
        field among foreign ones — "a *train* ticket to Boston" — is a coincidence)."""
        if self.named or not self.foreign:
            return False
        return len(self.foreign) >= 2 * max(1, len(self.domain)) or not self.domain


def read_scope(text: str, views: list[ToolView]) -> Scope:
    """The scope of ``text`` against the notes and the offered ``views``."""
    domain_terms, known = _notes_vocabulary()
    offered = _tools_vocabulary(tuple(views))
    request = terms(with_english(text))
    domain = tuple(
        term
        for term in request
        if term in domain_terms or term in offered.domain or (_VERSIONED.search(term) and not term.isdigit())
    )
    new = [
        not term.isdigit() and term not in known and term not in offered.known and not _VERSIONED.search(term)
        for term in request
    ]
    foreign = [term for term, unknown in zip(request, new, strict=True) if unknown and not _CJK.match(term)]
    foreign += _chinese_words(request, new)
    return Scope(domain=domain, foreign=tuple(foreign), named=bool(note_index().named(text)))


def _chinese_words(request: list[str], new: list[bool]) -> list[str]:
    """The Chinese words new to the vocabularies, from the request's character pairs: consecutive new pairs
    are one word ("好看的电影"), less the characters the known pairs beside them hold (in "什么区别" the new
    pair "么区" only joins two known words)."""
    found: list[str] = []
    start = 0
    while start < len(request):
        if not (new[start] and _PAIR.fullmatch(request[start])):
            start += 1
            continue
        end = start
        while end + 1 < len(request) and new[end + 1] and _PAIR.fullmatch(request[end + 1]):
            end += 1
        before = start > 0 and _PAIR.fullmatch(request[start - 1]) is not None
        after = end + 1 < len(request) and _PAIR.fullmatch(request[end + 1]) is not None
        word = request[start] + "".join(pair[-1] for pair in request[start + 1 : end + 1])
        word = word[1 if before else 0 : len(word) - 1 if after else len(word)]
        if len(word) >= 2:  # a lone character left is a particle ("呀", "吗"), not a word
            found.append(word)
        start = end + 1
    return found


@dataclass(frozen=True)
class _Vocabulary:
    domain: frozenset[str]
    known: frozenset[str]


@cache
def _notes_vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    """The notes' names and titles (domain), and every term the notes and language tables write (known)."""
    domain: set[str] = set()
    known: set[str] = set()
    for note in note_index().notes:
        for name in note.names:
            found = terms(name)
            # a multi-word name is a name as a whole ("in-flight batching"), not each of its words ("flight")
            domain.update(found if len(found) <= 1 else [term for term in found if not term.isalpha()])
        domain.update(terms(note.title))
        known.update(terms(note.summary))
        for section in note.sections:
            known.update(terms(section.heading))
            known.update(terms(section.text))
    for table in all_phrases():
        for item in fields(table):
            value = getattr(table, item.name)
            if isinstance(value, str):
                known.update(terms(value))
            elif isinstance(value, dict):
                for key, said in value.items():
                    known.update(terms(f"{key} {said}"))
    return frozenset(domain), frozenset(known | domain)


_TOOLS: dict[tuple[int, ...], tuple[tuple[ToolView, ...], _Vocabulary]] = {}


def _tools_vocabulary(views: tuple[ToolView, ...]) -> _Vocabulary:
    key = tuple(id(view) for view in views)
    cached = _TOOLS.get(key)
    if cached is not None and all(a is b for a, b in zip(cached[0], views, strict=True)):
        return cached[1]
    titles = _notes_vocabulary()[0]
    domain: set[str] = set()
    known: set[str] = set()
    for view in views:
        parts = view.name.split("_")
        summary = terms(view.summary)
        actions = {*terms(parts[0])} if len(parts) > 1 else set()
        actions.update(summary[:1])
        named = terms(" ".join(parts)) + summary
        domain.update(term for term in named if term not in actions or term in titles)
        for values in view.enum_values:
            domain.update(terms(str(values)))
        for term in view.cjk_terms:
            domain.update(terms(term))
        known.update(terms(view.description))
    if len(_TOOLS) > 64:
        _TOOLS.clear()
    vocabulary = _Vocabulary(frozenset(domain), frozenset(known | domain))
    _TOOLS[key] = (views, vocabulary)
    return vocabulary
