"""One-line renderings shared by the terminal commands and the A2A status updates."""

from __future__ import annotations

import json
from typing import Any

from agents.text import one_line

__all__ = ["format_arguments"]


def format_arguments(arguments: dict[str, Any] | str, width: int = 120) -> str:
    """``models=["ResNet-18", …], plot=true`` — a tool call's arguments on one line of at most ``width``.

    Lists longer than six items show their first six; values JSON cannot encode are shown with ``str``;
    arguments that arrived as a raw string (unparsed JSON) are clipped as they are.
    """
    if isinstance(arguments, str):
        return one_line(arguments, width)
    parts = []
    for key, value in arguments.items():
        if isinstance(value, list) and len(value) > 6:
            shown = json.dumps(value[:6], ensure_ascii=False, default=str)[:-1] + ", …]"
        else:
            shown = json.dumps(value, ensure_ascii=False, default=str)
        parts.append(f"{key}={shown}")
    return one_line(", ".join(parts), width)
