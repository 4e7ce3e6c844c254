"""Counts of GPUs written onto the card, which would otherwise read as sizes: "4x4090" (four RTX 4090s, not a
4×4090 matrix), "2x24GB" / "8 x 80GB" (a count and each card's memory). Linear scans, no backtracking."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["COUNTED_CARD", "card_counts"]

COUNTED_CARD = re.compile(r"[0-9]{1,2}[x×X*]([A-Za-z]{0,4}[0-9]{2,5})s?")
"""One token that is a count and a card: "4x4090", "8xH100", "2*A100" (group 1: the card)."""
_PAIR = re.compile(r"(?<![A-Za-z0-9_.])([0-9]{1,2})[ ]?[x×X*][ ]?([0-9]{1,6})(?![0-9.])")
_MEMORY = re.compile(r"[ ]?(?:gb|gib|g)(?![A-Za-z0-9])", re.IGNORECASE)


@lru_cache(maxsize=32)
def _card_numbers(known: frozenset[str]) -> frozenset[str]:
    """The model numbers of the known names that are letters then digits ("rtx4090" → "4090", "a100")."""
    return frozenset(m.group(1) for name in known if (m := re.fullmatch(r"[a-z]{1,4}([0-9]{2,5})", name)))


def card_counts(text: str, known: frozenset[str]) -> tuple[str, set[int]]:
    """``text`` with the "x" of each count-and-memory blanked (so both read as numbers), and where each
    count-and-card or count-and-memory starts (no size starts there). ``known``: the offered tools' names."""
    cards = _card_numbers(known)
    starts: set[int] = set()
    for match in _PAIR.finditer(text):
        if _MEMORY.match(text, match.end()):
            gap = text[match.end(1) : match.start(2)]
            at = match.end(1) + len(gap) - len(gap.lstrip(" "))  # the "x"
            text = text[:at] + " " + text[at + 1 :]
        elif match.group(2) not in cards:
            continue
        starts.add(match.start())
    return text, starts
