"""The shape of a language table (see :mod:`agents.models.offline.phrases`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from agents.models.offline.language import Language

__all__ = ["Phrases", "SectionHint"]


@dataclass(frozen=True)
class SectionHint:
    """Words of a question that point at a kind of note section."""

    cue: str
    """Regex over the request."""
    headings: tuple[str, ...]
    """Words such a section's heading tends to use (English: the notes' headings are English)."""


@dataclass(frozen=True)
class Phrases:
    """One language's cues (regex sources, matched case-insensitively) and answer sentences (format
    strings)."""

    language: Language
    # ------------------------------------------------------------------ cues: what kind of message it is
    small_talk: str
    """The whole message is a greeting, thanks or chit-chat (matched against the entire text)."""
    capabilities: str
    """The user asks what the model can do."""
    name_intro: str
    """The user says their name: group ``name``."""
    preference: str
    """The user states how they want answers: group ``value``."""
    remember: str
    """An explicit request to remember: group ``fact`` (may be empty: "remember this")."""
    recall_self: str
    """A question about what the model knows of the user ("what's my name")."""
    recall_topic: str
    """A question about something said before: group ``topic``."""
    name_question: str
    """The user asks their own name."""
    forget: str
    """A request to forget a memory: group ``id``."""
    concept: str
    """A question about an idea (what / why / how does / difference)."""
    explanatory: str
    """A question asking for a reason or a mechanism (why, how does it work): an idea even when it also names
    a quantity ("Why does DenseNet need fewer parameters?")."""
    quantity: str
    """A request for a number (how many / how much / compute)."""
    comparison: str
    """Two things put side by side (vs / difference between / 区别)."""
    follow_up: str
    """The message continues the previous request ("now in bits", "what about resnet34?", "那 QLoRA 呢?")."""
    section_hints: tuple[SectionHint, ...]
    """Question words that point at a kind of section of a note."""
    # ------------------------------------------------------------------ sentences
    hello: str
    hello_named: str
    thanks: str
    examples_intro: str
    examples: tuple[tuple[str, str], ...]
    """``(tool, example request)``: shown when that tool is offered."""
    capabilities_reply: str
    cannot: str
    noted_name: str
    noted_preference: str
    applied_preference: str
    name_known: str
    name_unknown: str
    remembered: str
    recalled: str
    recalled_none: str
    recalled_other: str
    """Nothing matched the query exactly; ``{items}`` is what is remembered all the same."""
    forgotten: str
    ask_head: str
    ask_tail_one: str
    ask_tail_many: str
    result_of: str
    could_not_run: str
    fix_and_retry: str
    from_notes: str
    full_note: str
    one_section: str
    sections: str
    also_see: str
    more_fields: str
    yes: str
    no: str
    flags: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Outcome flags of results said as words: ``name → (when true, when false)``."""
    dictionary: dict[str, str] = field(default_factory=dict)
    """Words of this language → the English words schemas use (empty for English)."""
    glossary: dict[str, str] = field(default_factory=dict)
    """Words of this language → the English words the notes explain with ("根号" → sqrt): used to find the
    section of a note that answers, never read into a tool's arguments."""
    labels: dict[str, str] = field(default_factory=dict)
    """Result field names (whole, or word by word) → this language's label (empty: fields keep their names,
    as in English)."""
    values: dict[str, str] = field(default_factory=dict)
    """Short result values (verdicts such as ``overfitting``) → this language's words."""
    equivalents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """English words people use for a quantity → the words schemas describe it with ("layer" → depth)."""
    demand: str = r"(?!)"
    """The user asks to run a calculation or a check ("compute …", "check my loss curves", "帮我算"): a
    missing value is asked for, though the question also names an idea."""

    @cached_property
    def compiled(self) -> dict[str, re.Pattern[str]]:
        """The cue regexes, compiled once."""
        names = [
            *("small_talk", "capabilities", "name_intro", "preference", "remember", "recall_self"),
            *("recall_topic", "name_question", "forget", "concept", "explanatory", "quantity"),
            *("comparison", "follow_up", "demand"),
        ]
        return {name: re.compile(getattr(self, name), re.IGNORECASE) for name in names}

    def cue(self, name: str, text: str) -> re.Match[str] | None:
        return self.compiled[name].search(text)

    @cached_property
    def hints(self) -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
        return tuple((re.compile(hint.cue, re.IGNORECASE), hint.headings) for hint in self.section_hints)
