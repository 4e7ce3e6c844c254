"""Small text helpers shared by the agent modules (and the servers' formatting)."""

from __future__ import annotations

import re

__all__ = ["one_line", "printable"]

# C0 and C1 controls, DEL, lone surrogates, and the bidi overrides that reorder what a terminal shows.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def one_line(text: object, width: int) -> str:
    """``text`` on one line (runs of whitespace become one space), cut to ``width`` characters with ``…``."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def printable(text: str, *, keep: str = "") -> str:
    """``text`` safe to write to a terminal: control characters (ANSI and OSC escape sequences start with
    one), lone surrogates and bidi overrides are shown as ``\\u001b``-style escapes instead of acting — the
    JSON spelling, so JSON text stays valid JSON. Characters in ``keep`` (say ``"\\n\\t"``) pass as they
    are."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return char if char in keep else f"\\u{ord(char):04x}"

    return _UNPRINTABLE.sub(escape, text)
