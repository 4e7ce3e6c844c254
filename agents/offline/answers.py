"""Short readable answers written from tool results (the structured content the tools return as JSON)."""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["format_value", "render_result"]

_LEAD_FIELDS = ("note", "summary", "explanation", "message", "verdict", "diagnosis", "recommendation")
_MAX_SCALARS = 14
_MAX_ROWS = 8
_MAX_COLUMNS = 6
_BODY_LIMIT = 2400


def format_value(value: Any) -> str:
    """Numbers at a readable precision (integers grouped), booleans as yes/no, ``None`` as n/a."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == 0:
            return "0"
        if abs(value) >= 1e6 or abs(value) < 1e-3:
            return f"{value:.4g}"
        return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.1f}"
    if isinstance(value, list):
        shown = ", ".join(format_value(item) for item in value[:10])
        return f"[{shown}{', …' if len(value) > 10 else ''}]"
    if isinstance(value, dict):
        return ", ".join(
            f"{k}={format_value(v)}" for k, v in list(value.items())[:8] if not isinstance(v, dict | list)
        )
    return str(value)


def _table(rows: list[dict[str, Any]]) -> list[str]:
    columns = [key for key, value in rows[0].items() if not isinstance(value, dict | list)][:_MAX_COLUMNS]
    if not columns:
        return []
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows[:_MAX_ROWS]:
        lines.append("| " + " | ".join(format_value(row.get(column)) for column in columns) + " |")
    if len(rows) > _MAX_ROWS:
        lines.append(f"(… {len(rows) - _MAX_ROWS} more rows)")
    return lines


def render_result(tool: str, content: str, *, chinese: bool = False) -> str:
    """A few lines of markdown for one tool message's ``content``."""
    if content.startswith("Error:"):
        reason = content.removeprefix("Error:").strip()
        if chinese:
            return f"`{tool}` 没有成功：{reason}\n请修正后再问一次。"
        return f"`{tool}` could not run: {reason}\nCorrect the request and ask again."
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    header = f"**{tool}** 的结果：" if chinese else f"**{tool}** result:"
    if not isinstance(data, dict):
        text = content if len(content) <= _BODY_LIMIT else content[:_BODY_LIMIT] + " …"
        return f"{header}\n\n{text}"
    images = data.pop("saved_images", None)
    lines = [header, ""]
    lead = next((data[key] for key in _LEAD_FIELDS if isinstance(data.get(key), str) and data[key]), None)
    if lead and len(lead) <= 400:
        lines += [lead, ""]
    body = max(
        (value for value in data.values() if isinstance(value, str) and len(value) > 400),
        key=len,
        default=None,
    )
    scalars, blocks = [], []
    for key, value in data.items():
        if (isinstance(value, str) and value in (lead, body)) or value == [] or value == {}:
            continue
        if isinstance(value, list) and value and all(isinstance(row, dict) for row in value):
            table = _table(value)
            if table:
                blocks += ["", f"{key}:", *table]
        elif isinstance(value, dict):
            scalars.append(f"- **{key}**: {format_value(value)}")
        else:
            scalars.append(f"- **{key}**: {format_value(value)}")
    lines += scalars[:_MAX_SCALARS]
    if len(scalars) > _MAX_SCALARS:
        lines.append(f"- … {len(scalars) - _MAX_SCALARS} more fields")
    lines += blocks
    if body:
        clipped = body if len(body) <= _BODY_LIMIT else body[:_BODY_LIMIT] + " …"
        lines += ["", clipped]
    if images:
        label = "图已保存到" if chinese else "Plot saved to"
        lines += [""] + [f"{label}: {path}" for path in images]
    return "\n".join(line for line in lines).strip()
