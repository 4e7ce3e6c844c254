"""Replies that need no tool: small talk with a few example requests, what the model can do, what it cannot,
and the question for a missing argument — each in the user's language."""

from __future__ import annotations

import json
import re

from agents.models.offline.headline import field_label
from agents.models.offline.phrases import Phrases
from agents.models.offline.schema import Slot, ToolView

__all__ = ["cannot", "capabilities", "examples", "greeting", "introduction", "question"]

_CJK_TERM = re.compile(r"[(（]([\u3400-\u9fff][^()（）]{0,20})[)）]")


def examples(table: Phrases, views: list[ToolView], *, count: int = 3) -> list[str]:
    """Example requests for the offered tools (the table's, for the tools that are offered; else the first
    lines of the tools' descriptions)."""
    offered = {view.name for view in views}
    picked = [text for tool, text in table.examples if tool in offered][:count]
    for view in views:
        if len(picked) >= count:
            break
        if view.name not in {tool for tool, _ in table.examples} and view.summary:
            picked.append(view.summary.rstrip("."))
    return picked


def _example_block(table: Phrases, views: list[ToolView]) -> str:
    shown = examples(table, views)
    if not shown:
        return ""
    return "\n\n" + table.examples_intro + "\n" + "\n".join(f"- {text}" for text in shown)


def greeting(table: Phrases, views: list[ToolView], *, name: str | None, text: str) -> str:
    """A short friendly reply with example requests (thanks get a thank-you, never the tool list)."""
    if re.search(r"thank|thx|谢", text, re.IGNORECASE):
        return table.thanks
    head = table.hello_named.format(name=name) if name else table.hello
    return head + _example_block(table, views)


def introduction(
    table: Phrases, views: list[ToolView], *, name: str | None, preferences: dict[str, str]
) -> str:
    """The user said who they are or how they like answers: acknowledge it, say what will change."""
    parts = [table.noted_name.format(name=name)] if name else []
    if "unit" in preferences:
        parts.append(table.noted_preference.format(value=preferences["unit"]))
    if "language" in preferences and "unit" not in preferences:
        parts.append(table.noted_preference.format(value=preferences["language"]))
    head = " ".join(parts) or table.hello
    return head + _example_block(table, views)


def capabilities(table: Phrases, views: list[ToolView], *, notes: int) -> str:
    tools = len([view for view in views if view.name not in ("ask_user",)])
    return table.capabilities_reply.format(notes=notes, tools=tools) + _example_block(table, views)


def cannot(table: Phrases, views: list[ToolView]) -> str:
    """One sentence: what it can do for this kind of request, with two examples."""
    shown = examples(table, views, count=2) or ["…", "…"]
    first, second = (shown + shown)[:2]
    return table.cannot.format(first=first, second=second)


def _example_value(slot: Slot) -> str:
    if slot.enum:
        return str(slot.enum[0])
    if slot.types & {"integer", "number"}:
        low = slot.minimum if slot.minimum is not None else 1
        return str(int(low) if float(low).is_integer() and "integer" in slot.types else max(low, 1))
    if slot.is_matrix:
        return "[[2.0, 0.5, -1.0]]"
    if slot.is_vector:
        return "[0.5, 0.5]"
    if slot.item_enum:
        return json.dumps(slot.item_enum[:2])
    if "boolean" in slot.types:
        return "true"
    if "object" in slot.types or "object" in slot.item_types:
        return "{…}"
    return '"…"'


def question(table: Phrases, tool: ToolView, missing: list[Slot]) -> str:
    """What is needed to run ``tool``: each missing parameter with its description and choices."""

    def describe(slot: Slot) -> str:
        options = ""
        choices = slot.enum or slot.item_enum
        if choices:
            shown = ", ".join(str(option) for option in choices[:8])
            label = "可选" if table.language == "zh" else "one of"
            options = f" ({label}: {shown}{', …' if len(choices) > 8 else ''})"
        detail = re.split(r"(?<=\w{3}[.;])\s", slot.description.strip(), maxsplit=1)[0].rstrip(".;")
        if table.labels:  # the schema describes in English: say the slot's name in the table's language
            detail = _CJK_TERM.search(slot.description)
            said = detail.group(1) if detail else field_label(slot.name, table)
            return f"**{slot.name}**{f' — {said}' if said != slot.name else ''}{options}"
        return f"**{slot.name}** — {detail or slot.name}{options}"

    needed = "\n".join(f"- {describe(slot)}" for slot in missing)
    example = ", ".join(f"{slot.name}={_example_value(slot)}" for slot in missing)
    tail = table.ask_tail_one if len(missing) == 1 else table.ask_tail_many
    return f"{table.ask_head.format(tool=tool.name)}\n{needed}\n{tail.format(example=example)}"
