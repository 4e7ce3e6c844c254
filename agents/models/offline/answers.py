"""Short readable answers written from tool results (the structured content the tools return as JSON).

Three shapes, told apart by the content itself, never by the tool's name:

- a *result*: the result's own sentence (``summary``, ``note``, ``verdict``, …) first, then what the request's
  numeric constraints make of it (:mod:`agents.models.offline.constraints`), the few key numbers, advice, and
  a compact table of its rows — within :data:`agents.models.offline.prose.ANSWER_LIMIT` characters;
- a *document* (a long markdown body, such as a note): title, summary, the list of sections, one section, and
  where to read the rest;
- a *relayed answer* (another agent's ``answer`` or ``question``): that text first, then one line naming who
  answered and what came with it.

The full structured result always travels with the answer as data; this text is what a person reads.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from typing import Any

from agents.messages import has_cjk
from agents.models.offline.constraints import conclude
from agents.models.offline.documents import body_key, render_document
from agents.models.offline.headline import (
    field_label,
    headline,
    headline_fields,
    said_value,
    scalar_matrices,
    unit_of,
)
from agents.models.offline.phrases import Phrases, phrases_for
from agents.models.offline.prose import ANSWER_LIMIT, clip_lines, has_text, lead_key, sentences
from agents.models.offline.relayed import image_lines, relayed_answer
from agents.models.offline.state import DialogueState

__all__ = ["format_value", "render_result", "render_results"]

# A false flag is noise ("infinite: no") unless the flag is the outcome the user asked about.
_OUTCOME_FLAGS = frozenset({"fits", "feasible", "converged", "passed", "ok", "valid", "satisfied"})
_ADVICE = re.compile(r"remed|recommend|suggest|advice|fix|next_step|action", re.IGNORECASE)
_CJK_TERM = re.compile(r"[(（]([\u3400-\u9fff][^()（）]{0,20})[)）]")
_MAX_COLUMNS = 6
_NAMES_LINE = 360
"""Characters of the line that still names the rows a table leaves out."""
_SHORT_TEXT = 80


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


_INPUT_ERROR = re.compile(r"(^|: )[A-Za-z_][\w.]*: |validation error", re.IGNORECASE)


def _is_input_error(reason: str) -> bool:
    """Does the error name an argument (``field: reason``, a validation error), i.e. can the asker fix it?"""
    return bool(_INPUT_ERROR.search(reason))


def render_result(
    tool: str,
    content: str,
    *,
    chinese: bool = False,
    request: str = "",
    arguments: dict[str, Any] | None = None,
    parameters: Collection[str] = (),
    state: DialogueState | None = None,
) -> str:
    """A short markdown answer for one tool message's ``content``: the quantity asked for first
    (:mod:`.headline`), then the result's own sentence, what the request's constraints make of it, the key
    numbers, advice, a compact table, and what else the structured result holds.

    ``request`` is the user's message (its numeric constraints are applied to the result); ``arguments`` and
    ``parameters`` are the call's arguments and the tool's parameter names (to say how to ask for more);
    ``state`` carries the user's preferences.
    """
    if content.startswith("Error:"):
        reason = content.removeprefix("Error:").strip()
        fixable = _is_input_error(reason)  # an unreachable peer or a timeout is not the user's to correct
        if chinese:
            return f"`{tool}` 没有成功：{reason}" + ("\n请修正后再问一次。" if fixable else "")
        tail = "\nCorrect the request and ask again." if fixable else ""
        return f"`{tool}` could not run: {reason}{tail}"
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    header = f"**{tool}** 的结果：" if chinese else f"**{tool}** result:"
    if not isinstance(data, dict):
        return f"{header}\n\n{clip_lines(content, ANSWER_LIMIT)}"
    images = [str(path) for path in data.pop("saved_images", None) or ()]
    if isinstance(data.get("agent"), str) and has_text(data.get("answer") or data.get("question")):
        return relayed_answer(data, images, chinese=chinese)
    if body_key(data) is not None:
        text = render_document(tool, data, chinese=chinese, arguments=arguments or {}, parameters=parameters)
    else:
        table = phrases_for("zh" if chinese else "en")
        data = scalar_matrices(data)
        lead = headline(
            tool,
            data,
            request=request,
            arguments=arguments or {},
            table=table,
            state=state,
            parameters=parameters,
        )
        fields = headline_fields(tool, data, request, arguments, parameters)
        skip = frozenset(fields) if lead else frozenset()
        text = _summary(lead or header, data, request=request, chinese=chinese, skip=skip)
    return "\n\n".join([text, *image_lines(images, chinese=chinese)]) if images else text


# ---------------------------------------------------------------------------------------------- results


def _summary(
    header: str, data: dict[str, Any], *, request: str, chinese: bool, skip: frozenset[str] = frozenset()
) -> str:
    conclusion = conclude(request, data, chinese=chinese) if request else None
    table = phrases_for("zh" if chinese else "en")
    lead_field = lead_key(data)
    lead = sentences(data[lead_field], 500) if lead_field else None
    quoted = None
    if chinese and lead and not has_cjk(lead):
        # the tool's own sentence is English: the Chinese headline leads, the sentence follows as a quote
        lead, quoted = None, f"_工具原文：{lead}_"
    facts = _facts(data, skip=set(skip) | ({lead_field} if lead_field else set()), table=table)
    unit = next((fact for fact in facts if fact.startswith(f"- **{field_label('unit', table)}**:")), None)
    if unit:  # the unit of every number above the cut: kept whatever else is left out
        facts.remove(unit)
    advice = _advice(data, chinese=chinese)
    tables = [
        (key, value)
        for key, value in data.items()
        if isinstance(value, list) and value and all(isinstance(row, dict) for row in value)
    ]
    # Shrink until it fits: fewer facts, fewer rows, then only the first table.
    for n_facts, n_rows, n_tables in ((8, 10, 2), (8, 10, 1), (6, 8, 1), (5, 5, 1), (4, 3, 1), (3, 3, 0)):
        blocks = [header]
        blocks += [block for block in (conclusion, lead) if block]
        if facts[:n_facts] or unit:
            blocks.append("\n".join(facts[:n_facts] + ([unit] if unit else [])))
        if advice:
            blocks.append("\n".join(advice))
        shown_tables = [
            shown
            for shown in (_table(key, rows, n_rows, chinese=chinese) for key, rows in tables[:n_tables])
            if shown
        ]
        blocks += shown_tables
        if quoted:
            blocks.append(quoted)
        hidden_facts = max(len(facts) - n_facts, 0)
        hidden_tables = [f"{key} ({len(rows)} rows)" for key, rows in tables[len(shown_tables) :]]
        more = _more(hidden_facts, hidden_tables, chinese=chinese)
        if more:
            blocks.append(more)
        text = "\n\n".join(blocks)
        if len(text) <= ANSWER_LIMIT:
            return text
    return clip_lines(text, ANSWER_LIMIT)


def _is_id(key: str) -> bool:
    return key == "id" or key.endswith("_id") or key in ("session", "slug", "uri")


def _facts(data: dict[str, Any], *, skip: set[str], table: Phrases) -> list[str]:
    """``- **name**: value`` for the short scalar fields worth reading (no nulls, false flags, ids, prose),
    named and said in ``table``'s language."""
    facts = []
    for key, value in data.items():
        if key in skip or _is_id(key) or value in (None, "", [], {}):
            continue
        if isinstance(value, bool):
            shown = (table.yes if value else table.no) if value or key in _OUTCOME_FLAGS else None
        elif isinstance(value, int | float):
            shown = format_value(value)
        elif isinstance(value, str):
            shown = said_value(value, table) if len(value) <= _SHORT_TEXT and "\n" not in value else None
        elif isinstance(value, list) and all(not isinstance(item, dict | list) for item in value):
            long_items = any(isinstance(item, str) and len(item) > 40 for item in value)
            shown = None if long_items else format_value(value)
        elif isinstance(value, dict) and all(not isinstance(item, dict | list) for item in value.values()):
            shown = format_value(value)
        else:
            shown = None
        if shown and len(shown) <= 100:
            facts.append(f"- **{field_label(key, table)}**: {shown}")
    return facts


def _advice(data: dict[str, Any], *, chinese: bool) -> list[str]:
    """The first few items of a list of advice sentences ("remedies", "recommendations"); for a Chinese
    answer only the items that say something in Chinese (the tools write English)."""
    for key, value in data.items():
        if (
            _ADVICE.search(key)
            and isinstance(value, list)
            and value
            and all(has_text(item) for item in value)
        ):
            if chinese:  # the Chinese terms the tool gives in brackets ("data augmentation (数据增强)")
                terms = ["、".join(_CJK_TERM.findall(str(item))) for item in value]
                said = [term for term in terms if term][:4]
                return ["**建议**：" + "；".join(said)] if said else []
            return [f"**{key}**:"] + [f"- {sentences(item, 160)}" for item in value[:3]]
    return []


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    keys = list(dict.fromkeys(key for row in rows for key in row))
    columns = []
    for key in keys:
        values = [row.get(key) for row in rows]
        if _is_id(key) or all(value is None for value in values):
            continue
        if any(
            isinstance(value, dict | list) or (isinstance(value, str) and len(value) > 40) for value in values
        ):
            continue
        columns.append(key)
    return columns[:_MAX_COLUMNS]


def _cell(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    text = format_value(value).replace("|", "/")
    if unit and isinstance(value, int | float) and not isinstance(value, bool):
        if value == 1 and unit.endswith("s") and len(unit) > 3:
            unit = unit[:-1]  # 1 bit
        return f"{text}%" if unit == "%" else f"{text} {unit}"
    return text


def _table(key: str, rows: list[dict[str, Any]], limit: int, *, chinese: bool = False) -> str | None:
    columns = _columns(rows)
    if not columns:
        return None
    table = phrases_for("zh" if chinese else "en")
    head = [field_label(column, table) for column in columns]
    title = f"{field_label(key, table)}：" if chinese else f"{key}:"
    lines = [title, "| " + " | ".join(head) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(column)) for column in columns) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(
            f"（……另有 {len(rows) - limit} 行）" if chinese else f"(… {len(rows) - limit} more rows)"
        )
        label = next(
            (c for c in columns if all(isinstance(row.get(c), str) for row in rows)
             and len({row.get(c) for row in rows}) == len(rows)),
            None,
        )  # fmt: skip
        if label is not None:  # the rows still named, in one line of bounded length
            names = [str(row[label]) for row in rows]
            shown: list[str] = []
            room = _NAMES_LINE
            for name in names:
                room -= len(name) + 2
                if room < 0:
                    break
                shown.append(name)
            rest = (
                (f", … (共 {len(names)} 个)" if chinese else f", … ({len(names)} in all)")
                if len(shown) < len(names)
                else ""
            )
            lines.append(f"{label}: " + ", ".join(shown) + rest)
    return "\n".join(lines)


def _more(hidden_facts: int, hidden_tables: list[str], *, chinese: bool) -> str | None:
    if not hidden_facts and not hidden_tables:
        return None
    if chinese:
        parts = ([f"另外 {hidden_facts} 个字段"] if hidden_facts else []) + [f"表 {t}" for t in hidden_tables]
        return f"_（{'、'.join(parts)}见结构化结果。）_"
    parts = ([f"{hidden_facts} more field{'s' if hidden_facts > 1 else ''}"] if hidden_facts else []) + [
        f"table {t}" for t in hidden_tables
    ]
    return f"_({', '.join(parts)} in the structured result.)_"


# ---------------------------------------------------------------------------------------------- several calls

_GROUP_COLUMNS = 4


def render_results(
    calls: list[tuple[str, dict[str, Any], str]],
    *,
    chinese: bool = False,
    request: str = "",
    state: DialogueState | None = None,
) -> str:
    """One short answer for several tool results of one reply (``(tool, arguments, content)`` each).

    Per tool, a table with one row per call, labelled by the argument values that tell the calls apart
    ("full", "lora", "qlora"), with each result's key numbers as columns; above the tables, what the
    request's constraints (or the results' outcome flags, such as ``fits``) make of the rows. Errors are said
    plainly after the tables; saved plots are listed last.
    """
    groups: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    errors: list[str] = []
    images: list[str] = []
    for tool, arguments, content in calls:
        try:
            data = json.loads(content) if not content.startswith("Error:") else None
        except ValueError:
            data = None
        if not isinstance(data, dict) or body_key(data) is not None or isinstance(data.get("agent"), str):
            errors.append(render_result(tool, content, chinese=chinese, request=request, arguments=arguments))
            continue
        images += [str(path) for path in data.pop("saved_images", None) or ()]
        groups.setdefault(tool, []).append((arguments, data))
    text = ""
    for width in range(_GROUP_COLUMNS, 0, -1):
        conclusions, tables = [], []
        for tool, members in groups.items():
            labels, header = _call_labels(tool, members)
            columns = _key_columns(tool, [data for _, data in members])
            rows = [
                {"label": label, **{key: data.get(key) for key in columns}}
                for label, (_, data) in zip(labels, members, strict=True)
            ]
            # the result's own unit ("bits"); a column named after its unit ("total_gib") already says it
            units = {key: unit_of(key, members[0][1]) for key in columns if unit_of(key, {}) == ""}
            conclusion = _group_conclusion(request, members, labels, columns, rows, chinese=chinese)
            if conclusion:
                conclusions.append(conclusion)
            title = (
                f"**{tool}**，{len(members)} 次调用：" if chinese else f"**{tool}**, {len(members)} calls:"
            )
            shown = columns[:width]
            lines = [title, "| " + " | ".join([header, *shown]) + " |", "|" + "---|" * (len(shown) + 1)]
            lines += [
                "| "
                + " | ".join([str(row["label"]), *(_cell(row[key], units.get(key, "")) for key in shown)])
                + " |"
                for row in rows
            ]
            tables.append("\n".join(lines))
        text = "\n\n".join(conclusions + tables + [clip_lines(error, 300) for error in errors])
        if len(text) <= ANSWER_LIMIT:
            break
    text = clip_lines(text, ANSWER_LIMIT)
    return "\n\n".join([text, *image_lines(images, chinese=chinese)]) if images else text


def _call_labels(tool: str, members: list[tuple[dict[str, Any], dict[str, Any]]]) -> tuple[list[str], str]:
    """Row labels (the argument values that differ between the calls) and the header naming them."""
    keys = list(dict.fromkeys(key for arguments, _ in members for key in arguments))
    varying = [
        key
        for key in keys
        if len({json.dumps(arguments.get(key), sort_keys=True) for arguments, _ in members}) > 1
    ]
    if not varying:
        varying = [key for key in keys if isinstance(members[0][0].get(key), str)][:1]
    if not varying:
        return [str(i + 1) for i in range(len(members))], "#"
    labels = [
        " / ".join(_cell(arguments.get(key)) for key in varying if key in arguments) or "—"
        for arguments, _ in members
    ]
    return labels, " / ".join(varying)


def _key_columns(tool: str, results: list[dict[str, Any]]) -> list[str]:
    """The numbers worth a column: scalar fields (that differ between the results, when there are several),
    named after what the tool computes first, then totals, outcome flags and one percentage."""
    keys = [
        key
        for key in results[0]
        if not _is_id(key)
        and all(isinstance(data.get(key), int | float) and data.get(key) is not None for data in results)
    ]
    varying = [key for key in keys if len({json.dumps(data.get(key)) for data in results}) > 1]
    keys = varying if len(results) > 1 and varying else keys
    tool_words = {part for part in tool.lower().split("_") if len(part) > 2}
    named = [key for key in keys if set(key.lower().split("_")) <= tool_words]

    def rank(key: str) -> float:
        parts = set(key.lower().split("_"))
        share = parts & {"percent", "pct", "ratio", "fraction"}
        if key in named:
            return 0
        if share and any(parts & set(other.split("_")) - share for other in named):
            return 0.5  # the share of the computed number ("trainable_percent_of_base")
        if "total" in parts:
            return 1
        if key in _OUTCOME_FLAGS:
            return 2
        return 3 if share else 4

    ordered = sorted(keys, key=rank)
    shares = [key for key in ordered if rank(key) in (0.5, 3)]
    return [key for key in ordered if rank(key) not in (0.5, 3) or key == shares[0]]


def _group_conclusion(
    request: str,
    members: list[tuple[dict[str, Any], dict[str, Any]]],
    labels: list[str],
    columns: list[str],
    rows: list[dict[str, Any]],
    *,
    chinese: bool,
) -> str | None:
    """The request's numeric constraints applied to the rows, else which calls an outcome flag holds for."""
    if len(rows) >= 2 and request:
        sentence = conclude(request, {"rows": rows}, chinese=chinese)
        if sentence:
            return sentence
    flags = [key for key in columns if key in _OUTCOME_FLAGS]
    if not flags or len(members) < 2:
        return None
    flag = flags[0]
    yes = [label for label, (_, data) in zip(labels, members, strict=True) if data.get(flag) is True]
    no = [label for label, (_, data) in zip(labels, members, strict=True) if data.get(flag) is False]
    # An argument every call shares that the result echoes: the bound the flag was checked against.
    shared = [
        key
        for key, value in members[0][0].items()
        if members[0][1].get(key) == value and all(arguments.get(key) == value for arguments, _ in members)
    ]
    against = f" ({shared[0]} = {format_value(members[0][0][shared[0]])})" if shared else ""
    if chinese:
        against = f"（{shared[0]} = {format_value(members[0][0][shared[0]])}）" if shared else ""
        verdict = f"**{flag}{against}**：{'、'.join(yes) or '无'}"
        return verdict + (f"；否：{'、'.join(no)}。" if no else "。")
    verdict = f"**{_capital(flag)}{against}: {', '.join(yes) or 'none'}**"
    return verdict + (f"; not: {', '.join(no)}." if no else ".")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
