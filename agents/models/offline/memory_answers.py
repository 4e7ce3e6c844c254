"""Answers from the memory tools, as sentences: what was remembered, what is remembered about the user (told
back in the second person: "My name is Mei" → "your name is Mei"), what was forgotten."""

from __future__ import annotations

import json
import re
from typing import Any

from agents.models.offline.phrases import Phrases

__all__ = ["memory_answer", "second_person"]

_SWAPS = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "i'm": "you're",
    "am": "are",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
}
_PRONOUN = re.compile(r"\b(?:i'm|i've|i'd|i'll|i|me|my|mine|myself|am)\b", re.IGNORECASE)


def second_person(text: str) -> str:
    """A first-person sentence told back to its author ("I prefer bits" → "you prefer bits"; "我" → "你")."""
    swapped = _PRONOUN.sub(lambda m: _SWAPS[m.group().lower()], text)
    return swapped.replace("我", "你")


def memory_answer(tool: str, arguments: dict[str, Any], content: str, table: Phrases) -> str:
    if content.startswith("Error:"):
        return table.could_not_run.format(tool=tool, reason=content.removeprefix("Error:").strip())
    try:
        data = json.loads(content)
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if tool == "remember":
        return table.remembered.format(
            text=data.get("text", arguments.get("text", "")), id=data.get("id", "?")
        )
    if tool == "forget":
        return table.forgotten.format(id=data.get("id", arguments.get("id", "?")))
    query = str(arguments.get("query", ""))
    about = (
        ""
        if query in ("", "user name prefer")
        else (f"关于“{query}”" if table.language == "zh" else f" about “{query}”")
    )
    memories = [m for m in data.get("memories") or () if isinstance(m, dict) and m.get("text")]
    if not memories:
        return table.recalled_none.format(about=about)
    joiner = "；" if table.language == "zh" else "; "
    items = joiner.join(second_person(str(m["text"]).rstrip(".。")) for m in memories[:5])
    if data.get("matched") is False:  # nothing was about the query: say so, then what is remembered
        return table.recalled_other.format(about=about, items=items)
    return table.recalled.format(about=about, items=items)
