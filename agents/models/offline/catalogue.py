"""The project's tool catalogue as the offline model sees tools: used when the offered tools only *name*
catalogue tools — a coordinator's delegation tools ("ask_model_complexity: … model_complexity(model,
input_size?) …") — so a request is matched against the named tools' own schemas."""

from __future__ import annotations

import re
from functools import cache

from agents.models.offline.schema import ToolView

__all__ = ["named_tools"]

_SIGNATURE = re.compile(r"\b([a-z][a-z0-9_]{2,63})\(")


@cache
def _catalogue() -> dict[str, ToolView]:
    from tools.catalog import TOOLS, arguments_model

    views = {}
    for spec in TOOLS:
        schema = arguments_model(spec.name).model_json_schema()
        function = {"name": spec.name, "description": spec.description, "parameters": schema}
        views[spec.name] = ToolView.from_spec({"type": "function", "function": function})
    return views


def named_tools(description: str) -> list[ToolView]:
    """The catalogue tools a description names by signature (``name(...)``), in order."""
    names = dict.fromkeys(_SIGNATURE.findall(description))
    if not names:
        return []
    catalogue = _catalogue()
    return [catalogue[name] for name in names if name in catalogue]
