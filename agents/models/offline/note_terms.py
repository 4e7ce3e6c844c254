"""The terms retrieval over the notes counts: stemmed English words, identifiers as one word ("ResNet-50" →
``resnet50``), CamelCase parts and Chinese character bigrams (see :mod:`agents.models.offline.notes`)."""

from __future__ import annotations

import re

from agents.messages import CJK_CHARS
from agents.models.offline.language import STOP_WORDS, norm

__all__ = ["RUN", "terms"]

RUN = re.compile(rf"[{CJK_CHARS}]+|[A-Za-z0-9][A-Za-z0-9_\-/.']*")
"""A run of Chinese characters, or a Latin word or identifier."""
_WORD = re.compile(r"[a-z][a-z0-9]*|[0-9]+[a-z]*")
_EXTRA_STOP = frozenset(
    """note notes explain tell mean meaning difference between go going goes went up down keep keeps kept
    while still even way ways thing things something someone actually basically plain terms simple
    intuitively why when where which who good help helps any anything every everything new stuff etc pls plz
    ppl people lot lots okay ok hey guys exactly didn doesn isn aren wasn don won couldn shouldn""".split()  # noqa: SIM905 - a word list reads best as words
)
"""Words that carry no topic: question words and filler (the question's *kind* is read by the cues)."""
_CAMEL_BOUNDARY = re.compile(r"[a-z][A-Z][a-z]{3}")
_CAMEL_PART = re.compile(r"[A-Z]?[a-z]{3,}")
_CLITIC = re.compile(r"'(?:s|re|ve|ll|d|t|m)\b")
""""what's", "didn't", "GPT's": the ending is no word of its own."""


_SUFFIXES = (
    "isation",
    "ization",
    "ations",
    "ation",
    "ising",
    "izing",
    "ised",
    "ized",
    "ises",
    "izes",
    "ise",
    "ize",
    "itions",
    "ition",
    "ings",
    "ing",
    "ed",
)


def _stem(word: str) -> str:
    """A light stemmer: "initialised" and "initialisation" meet at "initial", "trained" and "training" at
    "train", "image" and "images" at "imag", "matches" and "match" at "match"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) >= 4:
        word = word[:-1]
    if word.endswith("e") and len(word) >= 4:
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    """BM25 terms of ``text``: stemmed English words, identifiers as one word, Chinese bigrams."""
    found: list[str] = []
    for match in RUN.finditer(text):
        run = match.group()
        if run[0] >= "\u3400":
            found.extend(run[i : i + 2] for i in range(len(run) - 1)) if len(run) > 1 else found.append(run)
            continue
        lowered = _CLITIC.sub("", run.lower()).strip(".'/-_")
        parts = [_stem(w) for w in _WORD.findall(lowered) if w not in STOP_WORDS and w not in _EXTRA_STOP]
        found.extend(parts)
        # "PagedAttention" is also "paged attention", "AdaBelief" also "belief"
        if _CAMEL_BOUNDARY.search(run):
            found.extend(_stem(w.lower()) for w in _CAMEL_PART.findall(run))
        joined = norm(lowered.split("'", 1)[0])
        # "warm-up" is also "warmup", though "up" alone is no term
        if len(_WORD.findall(lowered)) > 1 and joined and any(c.isalpha() for c in joined):
            found.append(joined)
    return found
