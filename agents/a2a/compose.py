"""Several delegated tasks' answers composed into one markdown answer (:func:`compose_answers`).

Used by :class:`agents.a2a.coordinator.PeerToolbox` when one delegation call was split into several tasks:
results of the same single tool become one comparison table, anything else a section of its own.
"""

from __future__ import annotations

import json
from typing import Any

from agents.text import one_line

__all__ = ["compose_answers"]


def compose_answers(rows: list[dict[str, Any]], *, max_columns: int = 6) -> str:
    """Several tasks' answers as one markdown answer.

    Completed tasks that ran the same single tool are compared in one table: a row per request (labelled by
    the words that tell the requests apart), a column per scalar result field whose value differs between
    them (what the comparison is about; labels, then yes/no, then numbers, totals first). Any other task gets
    a section with its answer (clipped), question or error.
    """
    groups: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    sections: list[str] = []
    for row in rows:
        single = _single_result(row)
        if single is None:
            body = row.get("answer") or row.get("question") or row.get("error") or ""
            label = {"completed": "", "input-required": " (the specialist asks)"}.get(
                row["state"], f" ({row['state']})"
            )
            sections.append(f"### {row['request']}{label}\n{_clip_block(body, 600)}")
        else:
            groups.setdefault(single[0], []).append((row, single[1]))
    tables = []
    for tool, members in groups.items():
        if len(members) == 1:
            row = members[0][0]
            sections.append(f"### {row['request']}\n{_clip_block(row.get('answer') or '', 600)}")
            continue
        keys = [key for key in members[0][1] if all(_scalar(result.get(key)) for _, result in members)]
        varying = [key for key in keys if len({json.dumps(result.get(key)) for _, result in members}) > 1]
        # Data parts travel as protobuf Structs (key order is lost): labels first, then yes/no, then numbers.
        columns = sorted(varying or keys, key=lambda key: _column_rank(key, members[0][1].get(key)))
        columns = columns[:max_columns]
        labels = _distinct_labels([row["request"] for row, _ in members])
        lines = [
            f"**{tool}**, {len(members)} requests compared:",
            "",
            "| request | " + " | ".join(columns) + " |",
        ]
        lines.append("|---" * (len(columns) + 1) + "|")
        for label, (_, result) in zip(labels, members, strict=True):
            cells = [_cell(result.get(key)) for key in columns]
            lines.append(f"| {one_line(label, 40)} | " + " | ".join(cells) + " |")
        tables.append("\n".join(lines))
    return "\n\n".join(tables + sections)


def _distinct_labels(requests: list[str]) -> list[str]:
    """The requests without the words they all share at the start and at the end ("GPU memory of full
    fine-tuning of llama-7b" and "… of lora fine-tuning …" become "full" and "lora")."""
    split = [request.split() for request in requests]
    if len(split) < 2 or not all(split):
        return requests
    shortest = min(len(words) for words in split)
    head = 0
    while head < shortest and len({words[head].lower() for words in split}) == 1:
        head += 1
    tail = 0
    while tail < shortest - head and len({words[-1 - tail].lower() for words in split}) == 1:
        tail += 1
    labels = [" ".join(words[head : len(words) - tail]) for words in split]
    return labels if all(labels) and len(set(labels)) == len(labels) else requests


def _single_result(row: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """``(tool, structured result)`` when the task completed after exactly one successful tool call."""
    if row.get("state") != "completed":
        return None
    calls = [
        call
        for data in row.get("results") or ()
        if isinstance(data, dict)
        for call in data.get("tool_calls", ())
    ]
    if len(calls) != 1 or calls[0].get("is_error") or not isinstance(calls[0].get("result"), dict):
        return None
    return str(calls[0].get("tool")), calls[0]["result"]


def _scalar(value: Any) -> bool:
    return (
        value is None
        or isinstance(value, int | float | bool)
        or (isinstance(value, str) and len(value) <= 24)
    )


def _column_rank(key: str, value: Any) -> tuple[int, int, int, str]:
    kind = 1 if isinstance(value, bool) else 0 if isinstance(value, str) else 2
    return kind, 0 if "total" in key else 1, key.count("_"), key


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1000 else f"{value:.4g}"
    return "n/a" if value is None else str(value).replace("|", "/")


def _clip_block(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
