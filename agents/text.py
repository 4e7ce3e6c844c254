"""Small text helpers shared by the agent modules (and the servers' formatting)."""

from __future__ import annotations

__all__ = ["one_line"]


def one_line(text: object, width: int) -> str:
    """``text`` on one line (runs of whitespace become one space), cut to ``width`` characters with ``…``."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
