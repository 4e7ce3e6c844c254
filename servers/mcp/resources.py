"""MCP resources: every notes topic as ``notes://{topic}`` and every zoo architecture as ``arch://{name}``.

Both are published twice: as concrete resources, so ``resources/list`` is the listing a client can show its
user, and as templates with argument completion, so a client can build a URI itself.
Listing costs no torch: names come from :func:`tools.knowledge.topic_slugs` and
:func:`tools.complexity.backbones.architecture_names`; a layer table is computed (on torch's meta device) when
read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.server.mcpserver.resources import FunctionResource
from pydantic import BaseModel

from tools.errors import ToolInputError

__all__ = [
    "ARCH_TEMPLATE",
    "NOTES_TEMPLATE",
    "add_resources",
    "architecture_markdown",
    "check_resource_uri",
    "template_choices",
]

NOTES_TEMPLATE = "notes://{topic}"
ARCH_TEMPLATE = "arch://{name}"
_MARKDOWN = "text/markdown"
_SCHEMES = tuple(template.partition("://")[0] for template in (NOTES_TEMPLATE, ARCH_TEMPLATE))
_T = TypeVar("_T")


def add_resources(server: MCPServer) -> None:
    """Register the notes and the architecture zoo on ``server``."""
    from tools import knowledge
    from tools.complexity import backbones

    for topic in knowledge.list_topics().topics:
        server.add_resource(
            FunctionResource(
                uri=f"notes://{quote(topic.slug, safe='')}",
                name=topic.slug,
                title=topic.title,
                description=topic.summary,
                mime_type=_MARKDOWN,
                fn=partial(read_note, topic.slug),
            )
        )
    server.resource(
        NOTES_TEMPLATE,
        name="note",
        title="protoplay notes",
        description="One topic of the notes as markdown; `topic` is a slug from the resource list "
        "(also accepts titles, aliases and Chinese terms, e.g. 'KL散度').",
        mime_type=_MARKDOWN,
    )(read_note)

    for name in backbones.architecture_names():
        server.add_resource(
            FunctionResource(
                uri=f"arch://{quote(name, safe='')}",
                name=name,
                title=f"{name} layer table",
                description=f"{name}: parameters, MACs and per-layer output shapes at its own input size.",
                mime_type=_MARKDOWN,
                fn=partial(architecture_markdown, name),
            )
        )
    server.resource(
        ARCH_TEMPLATE,
        name="architecture",
        title="Backbone zoo layer table",
        description="A zoo architecture's complexity and per-layer table as markdown; `name` is a zoo name "
        "(aliases such as 'ResNet-50' work).",
        mime_type=_MARKDOWN,
    )(architecture_markdown)


def check_resource_uri(uri: str) -> None:
    """Reject a URI outside the two schemes with a message naming what exists (the SDK's own says only
    "Unknown resource"); a known scheme's unknown name is rejected when read, with the closest matches.

    Raises :class:`ResourceNotFoundError`, answered as ``-32602`` (resource not found, SEP-2164).
    """
    scheme = uri.partition("://")[0] if "://" in uri else ""
    if scheme not in _SCHEMES:
        raise ResourceNotFoundError(
            f"unknown resource {uri!r}: protoplay serves {NOTES_TEMPLATE} and {ARCH_TEMPLATE} "
            "(resources/list lists every one)"
        )


def template_choices(uri_template: str, argument: str) -> list[str] | None:
    """The values a resource template argument can take (for completion), or ``None`` for no such argument."""
    if uri_template == NOTES_TEMPLATE and argument == "topic":
        from tools.knowledge import topic_slugs

        return topic_slugs()
    if uri_template == ARCH_TEMPLATE and argument == "name":
        from tools.complexity.backbones import architecture_names

        return architecture_names()
    return None


def read_note(topic: str) -> str:
    """The markdown of one notes topic (slug, title, alias or Chinese term)."""
    from tools import knowledge

    return _or_not_found(lambda: knowledge.read_note(topic))


def architecture_markdown(name: str) -> str:
    """A zoo architecture's `model_complexity` (with the per-layer table) rendered as markdown."""
    from tools.complexity import backbones

    result = _or_not_found(lambda: backbones.model_complexity(model=name, per_layer=True))
    return render_markdown(f"{name} — complexity and layers", result)


def render_markdown(title: str, result: BaseModel) -> str:
    """A flat result model as markdown: its plain fields in a two-column table, each list of rows a table."""
    data = result.model_dump(mode="json")
    tables = {key: value for key, value in data.items() if _is_rows(value)}
    lines = [f"# {title}", "", "| field | value |", "| --- | --- |"]
    lines += [f"| {key} | {_cell(value)} |" for key, value in data.items() if key not in tables]
    for key, rows in tables.items():
        columns = list(dict.fromkeys(column for row in rows for column in row))
        lines += ["", f"## {key}", "", "| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
        lines += ["| " + " | ".join(_cell(row.get(column)) for column in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _is_rows(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(row, dict) for row in value)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        if value and all(isinstance(item, int) and not isinstance(item, bool) for item in value):
            return "×".join(str(item) for item in value)  # a shape
        return ", ".join(_cell(item) for item in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{key}={_cell(item)}" for key, item in value.items())
    return str(value).replace("|", "\\|").replace("\n", " ")


def _or_not_found(read: Callable[[], _T]) -> _T:
    try:
        return read()
    except ToolInputError as exc:
        # Unknown name: the client asked for a resource that does not exist (-32602 with the closest matches).
        raise ResourceNotFoundError(str(exc)) from exc
