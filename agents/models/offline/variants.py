"""Variants of a model named in a follow-up: "what about 34?", "and the large one?", "b4 呢" after a call on
``resnet50``, ``efficientnet_b0`` or ``mobilenet_v3_small``."""

from __future__ import annotations

import re
from typing import Any

from agents.models.offline.schema import ToolView

__all__ = ["variant"]

_VARIANT_WORD = re.compile(
    r"(?<![A-Za-z0-9])(?:[a-z]?\d{1,3}[a-z]?|large|small|medium|tiny|base|mini|huge)(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def variant(tool: ToolView, arguments: dict[str, Any], request: str) -> dict[str, Any]:
    """ "what about 34?", "and the large one?", "b4 呢", "那 v3 small 呢" after a call on a named model: the
    previous name with the variant the message names put in place of its own (``resnet50`` → ``resnet34``,
    ``efficientnet_b0`` → ``efficientnet_b4``, ``mobilenet_v3_small`` → ``mobilenet_v3_large``); the tool
    itself checks the name (and suggests close ones)."""
    wanted = [word.lower() for word in _VARIANT_WORD.findall(request)]
    if not wanted:
        return {}
    for slot in tool.slots:
        previous = arguments.get(slot.name)
        if not slot.wants_names or not isinstance(previous, str) or not re.match(r"[a-z]{3}", previous, re.I):
            continue
        name = re.sub(r"\s+", "_", previous.lower())  # "mobilenet v2" is mobilenet_v2
        for word in wanted:
            if word.isalpha():  # a size: swap the one the name has, else add it
                swapped = _SIZE.sub(word, name)
                name = swapped if swapped != name else f"{name}_{word}"
            elif word[0].isalpha():  # "b4", "v3": the name's token with the same letter
                name = re.sub(rf"(?<=[_\- ]){word[0]}\d+|(?<=[a-z]){word[0]}\d+$", word, name, count=1)
            else:  # a bare number: the name's last number ("resnet50" → "resnet34")
                name = re.sub(r"\d+(?=\D*$)", word, name, count=1)
        if name != re.sub(r"\s+", "_", previous.lower()):
            return {slot.name: name}
    return {}


_SIZE = re.compile(r"(?<=[_\-])(?:large|small|medium|tiny|base|mini|huge)\b")
