"""Answers for documents: a result holding a long markdown body (a note) is summarised — title, summary,
the list of sections, one section — with where to read the rest (its URI, or the tool's section parameter)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

from agents.models.offline.prose import ANSWER_LIMIT, clip_lines, has_text, lead_key, sentences

__all__ = ["body_key", "render_document", "split_sections"]


def body_key(data: dict[str, Any]) -> str | None:
    """The field holding a long markdown body (several lines, a few hundred characters), if any."""
    bodies = [
        key for key, value in data.items() if isinstance(value, str) and len(value) > 300 and "\n" in value
    ]
    return max(bodies, key=lambda key: len(data[key]), default=None)


def split_sections(markdown: str) -> list[tuple[str, str]]:
    """``(heading, text)`` for each ``##`` section (text without its heading line)."""
    parts = re.split(r"(?m)^##\s+(.+?)\s*$", markdown)
    return [(parts[i].strip(), parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]


def render_document(
    tool: str,
    data: dict[str, Any],
    *,
    chinese: bool,
    arguments: dict[str, Any],
    parameters: Collection[str],
) -> str:
    body = data[body_key(data) or ""]
    title = data.get("title") if has_text(data.get("title")) else tool
    lead = lead_key(data)
    sections_found = split_sections(body)
    headings = [h for h in data.get("sections") or () if isinstance(h, str)] or [h for h, _ in sections_found]
    requested = data.get("section") if has_text(data.get("section")) else None
    if requested or len(sections_found) <= 1:
        heading, excerpt = requested or (sections_found[0][0] if sections_found else ""), body
        excerpt = re.sub(r"(?m)\A#{1,2}\s+.*\n", "", excerpt.strip()).strip()
    else:
        heading, excerpt = sections_found[0]
    blocks = [f"**{title}**"]
    if lead:
        blocks.append(sentences(data[lead], 500))
    if headings:
        label = "章节" if chinese else "Sections"
        blocks.append(f"{label}: " + " · ".join(headings))
    related = _related(data)
    pointer = _pointer(tool, data, headings, heading, arguments, parameters, chinese=chinese)
    tail = [block for block in (related, pointer) if block]
    room = ANSWER_LIMIT - sum(len(block) + 2 for block in [*blocks, *tail]) - len(heading) - 10
    if heading:
        blocks.append(f"### {heading}\n{clip_lines(excerpt, max(room, 200))}")
    else:
        blocks.append(clip_lines(excerpt, max(room, 200)))
    return "\n\n".join(blocks + tail)


def _related(data: dict[str, Any]) -> str | None:
    """Rows of links (``slug``/``name``/``title``) as one line."""
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
            label = next((k for k in ("slug", "name", "title") if k in value[0]), None)
            if label:
                return f"{key}: " + ", ".join(str(row.get(label)) for row in value[:8])
    return None


def _pointer(
    tool: str,
    data: dict[str, Any],
    headings: list[str],
    shown: str,
    arguments: dict[str, Any],
    parameters: Collection[str],
    *,
    chinese: bool,
) -> str | None:
    """Where the whole document is (its URI) and how to ask for one section (the tool's own parameter)."""
    uri = data.get("uri") if has_text(data.get("uri")) else None
    slug = data.get("slug")
    if uri is None and has_text(slug):
        for value in data.values():
            rows = value if isinstance(value, list) else []
            for row in rows:
                link, name = (row.get("uri"), row.get("slug")) if isinstance(row, dict) else (None, None)
                if has_text(link) and has_text(name) and link.endswith(name):
                    uri = link[: -len(name)] + slug
                    break
            if uri:
                break
    hint = None
    section_parameter = next((p for p in parameters if p in data and "section" in p), None)
    others = sorted((h for h in headings if h != shown), key=len)
    if section_parameter and others:
        args = {k: v for k, v in arguments.items() if k != section_parameter}
        args[section_parameter] = others[0]
        hint = (
            f"{tool}(" + ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in args.items()) + ")"
        )
    if not uri and not hint:
        return None
    if chinese:
        parts = ([f"完整笔记：`{uri}`"] if uri else []) + ([f"只看某一节：`{hint}`"] if hint else [])
        return "；".join(parts) + "。"
    parts = ([f"Full note: `{uri}`"] if uri else []) + ([f"one section: `{hint}`"] if hint else [])
    return "; ".join(parts) + "."
