"""What the offline model reads and writes in each language: one table per language (:mod:`.en`, :mod:`.zh`).

A table holds *language*, never tool knowledge: the cues that tell a greeting from a question or a follow-up,
the words that point at a part of a note ("why" → a section about the problem), the sentences answers are
written with, and for Chinese the dictionary that carries its words onto the English words tool schemas
use. Tools and topics themselves come from the offered tool specs and the notes.

Understanding checks the cues of every table (a Chinese request may say "vs", an English one "呢"); answers
use the table of the user's language.
"""

from __future__ import annotations

from agents.models.offline.language import Language
from agents.models.offline.phrases import en, zh
from agents.models.offline.phrases.table import Phrases, SectionHint

__all__ = ["Phrases", "SectionHint", "all_phrases", "phrases_for"]


def phrases_for(language: Language) -> Phrases:
    """The table of ``language``."""
    return zh.PHRASES if language == "zh" else en.PHRASES


def all_phrases() -> tuple[Phrases, ...]:
    """Every language's table (cues are checked in all of them)."""
    return (en.PHRASES, zh.PHRASES)
