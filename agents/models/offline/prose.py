"""Text helpers of the offline model's answers: the length budget, the lead sentence, clipping."""

from __future__ import annotations

from typing import Any, TypeGuard

__all__ = ["ANSWER_LIMIT", "LEAD_FIELDS", "clip_lines", "has_text", "lead_key", "sentences"]

ANSWER_LIMIT = 1200
"""Characters of an answer's text, saved-image lines aside (a relayed answer may be twice as long)."""

LEAD_FIELDS = ("summary", "note", "recommendation", "conclusion", "explanation", "message", "diagnosis")
"""Fields that hold a result's own sentence, best first."""


def has_text(value: Any) -> TypeGuard[str]:
    """Is ``value`` a string with something besides whitespace?"""
    return isinstance(value, str) and bool(value.strip())


def lead_key(data: dict[str, Any]) -> str | None:
    """The field holding the result's own sentence (at least three words), if any."""
    for key in LEAD_FIELDS:
        if has_text(data.get(key)) and len(data[key].split()) >= 3:
            return key
    return None


def sentences(text: str, width: int) -> str:
    """``text`` up to ``width`` characters, cut after a whole sentence when it is longer."""
    text = " ".join(str(text).split())
    if len(text) <= width:
        return text
    cut = max(text.rfind(mark, 0, width) for mark in (". ", "; ", "。", "；"))
    return text[: cut + 1] + " …" if cut > width // 3 else text[: width - 1].rstrip() + "…"


def clip_lines(text: str, width: int) -> str:
    """``text`` up to ``width`` characters, cut at a line break when possible."""
    if len(text) <= width:
        return text
    cut = text.rfind("\n", 0, width)
    return (text[:cut] if cut > width // 2 else text[: width - 1]).rstrip() + "\n…"
