"""The first line of an answer: the quantity the user asked for, in their language.

Which fields of a structured result are "the quantity asked for" is read from the result and the request, not
from a list per tool: a verdict first; then the fields the request names ("parameters" meets ``params``,
"FLOPs" meets ``flops``); then the fields named after the tool (``entropy`` for ``entropy``, ``kl_pq`` for
``kl_divergence``); then totals; else the result's first number. An outcome flag (``fits``) is said in words
with the bound it was checked against. Units come from the result (a ``unit`` field, or a field's suffix:
``_gib`` → GiB), large counts are shown exactly and in millions/billions (万/亿 in Chinese), and a stored
preference that decided a unit is named.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from typing import Any

from agents.models.offline.language import fold, words
from agents.models.offline.phrases import Phrases
from agents.models.offline.state import DialogueState
from agents.models.offline.vocabulary import translate

__all__ = [
    "field_label",
    "headline",
    "headline_fields",
    "quantity",
    "said_value",
    "scalar_matrices",
    "unit_of",
]

_VERDICT_KEYS = ("verdict", "diagnosis", "decision", "status", "label", "classification")
_SUFFIX_UNITS = {"gib": "GiB", "mib": "MiB", "gb": "GB", "mb": "MB", "percent": "%", "pct": "%", "ms": "ms"}
_MAX_FIELDS = 3


def scalar_matrices(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each 1×1 matrix as its one number: the IoU of two boxes is ``iou_matrix = [[0.14]]``."""
    return {
        key: value[0][0]
        if isinstance(value, list)
        and len(value) == 1
        and isinstance(value[0], list)
        and len(value[0]) == 1
        and _number(value[0][0])
        else value
        for key, value in data.items()
    }


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parts(key: str) -> list[str]:
    return [fold(part) for part in key.lower().split("_") if part]


def _related(word: str, part: str) -> bool:
    return word == part or (
        len(word) >= 4 and len(part) >= 4 and (word.startswith(part) or part.startswith(word))
    )


def headline_fields(
    tool: str,
    data: dict[str, Any],
    request: str,
    arguments: dict[str, Any] | None = None,
    parameters: Collection[str] = (),
) -> list[str]:
    """The fields to lead with, most wanted first — never one that only echoes an argument or a parameter
    (``iou_threshold`` is an input, not a result)."""
    request_words = set(words(translate(request)))
    tool_words = set(_parts(tool))
    echoed = {key for key, value in (arguments or {}).items() if data.get(key) == value} | set(parameters)
    scalars = [
        key
        for key, value in data.items()
        if _number(value) and not key.endswith(("_index", "_id")) and key not in echoed
    ]
    chosen: list[str] = []

    def add(keys: list[str]) -> None:
        for key in keys:
            if key not in chosen and len(chosen) < _MAX_FIELDS:
                chosen.append(key)

    add([k for k in _VERDICT_KEYS if isinstance(data.get(k), str) and len(data[k]) <= 40][:1])

    def matched(key: str) -> int:
        parts = _parts(key)
        if (
            len(parts) > 1
            and {"".join(p[0] for p in parts), parts[0][0] + "".join(parts[1:])} & request_words
        ):
            return len(parts)  # an abbreviation of the whole name: "mAP" is mean_ap
        return sum(any(_related(word, part) for word in request_words) for part in parts if len(part) >= 3)

    asked = [key for key in scalars if matched(key)]
    whole = [key for key in asked if matched(key) == len(_parts(key))]  # every part of the name was said
    named = [key for key in scalars if _parts(key) and set(_parts(key)) <= tool_words | {"pq", "qp"}]
    by_length = sorted(whole, key=lambda key: (len(_parts(key)), scalars.index(key)))
    add(
        by_length[:2]
        or named[:2]
        or sorted(asked, key=lambda key: (len(_parts(key)), scalars.index(key)))[:2]
    )
    add(named[:2])
    add([key for key in scalars if "total" in _parts(key)][:1])
    if not any(_number(data.get(key)) for key in chosen):
        add(scalars[:1])
    return chosen


def quantity(key: str, value: Any, data: dict[str, Any], table: Phrases) -> str:
    """``value`` as read: exact, with its unit, and large counts also in millions (万/亿)."""
    if isinstance(value, bool):
        return table.yes if value else table.no
    if not _number(value):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "∞" if value > 0 else ("−∞" if value < 0 else "NaN")
    unit = unit_of(key, data)
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 1000):
        exact = f"{int(value):,}"
        short = _short(float(value), table)
        text = f"{exact} ({short})" if short else exact
    else:
        text = _decimal(float(value))
    if unit == "%":
        return f"{text}%"
    if value == 1 and unit.endswith("s") and len(unit) > 3:
        unit = unit[:-1]  # 1 bit, 1 nat
    return f"{text} {unit}".rstrip()


def _decimal(value: float) -> str:
    """Four significant digits (17.01, 0.5108, 1.5), thousands grouped."""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.1f}"
    if abs(value) < 1e-3:
        return f"{value:.4g}"
    digits = max(0, 3 - math.floor(math.log10(abs(value))))
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"


def _short(value: float, table: Phrases) -> str:
    size = abs(value)
    if table.language == "zh":
        if size >= 1e8:
            return f"约 {value / 1e8:.3g} 亿"
        if size >= 1e4:
            return f"约 {value / 1e4:.4g} 万"
        return ""
    for limit, label in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e4, "k")):
        if size >= limit:
            shown = value / (1e3 if label == "k" else limit)
            return f"{shown:.4g} {label if label != 'k' else 'k'}"
    return ""


def unit_of(key: str, data: dict[str, Any]) -> str:
    """The unit of a result field: its suffix (``_gib`` → GiB) or the result's ``unit`` field."""
    parts = key.lower().split("_")
    for part in reversed(parts):
        if part in _SUFFIX_UNITS:
            return _SUFFIX_UNITS[part]
    unit = data.get("unit")
    unitless = {
        *("count", "index", "epoch", "params", "param", "macs", "flops", "size", "n", "samples"),
        *("normalized", "perplexity", "ratio", "fraction", "share", "relative"),
    }
    if isinstance(unit, str) and len(unit) <= 12 and not unitless & set(parts):
        return unit
    return ""


def field_label(key: str, table: Phrases) -> str:
    """What a result field is called in ``table``'s language: its whole name (unit suffix dropped), else
    its words one by one; the field's own name when the table has no labels (English) or lacks a word."""
    if not table.labels:
        return key
    parts = [part for part in key.lower().split("_") if part]
    stem = parts[:-1] if len(parts) > 1 and parts[-1] in _SUFFIX_UNITS else parts
    whole = table.labels.get(key.lower()) or table.labels.get("_".join(stem))
    if whole:
        return whole
    said = [table.labels.get(part) for part in stem]
    if not stem or any(word is None for word in said):
        return key
    text = ""
    for word in said:
        assert word is not None
        # Latin labels ("KV", "MACs") keep a space from their neighbours; Chinese ones join directly
        text += f" {word}" if text and (text[-1].isascii() or word[0].isascii()) else word
    return text


def said_value(value: Any, table: Phrases) -> Any:
    """A short text value (a verdict) in ``table``'s language, when the table knows it."""
    return table.values.get(value, value) if isinstance(value, str) else value


def _flag_sentence(data: dict[str, Any], arguments: dict[str, Any], table: Phrases) -> str | None:
    for flag, (yes, no) in table.flags.items():
        value = data.get(flag)
        if not isinstance(value, bool):
            continue
        bound = next(
            (
                f"{field_label(key, table)} = {quantity(key, data[key], data, table)}"
                if table.labels  # a label drops the field's unit suffix: say the unit with the value
                else f"{key} = {data[key]:g}"
                if isinstance(data[key], float)
                else f"{key} = {data[key]}"
                for key, argument in arguments.items()
                if _number(argument) and data.get(key) == argument
            ),
            None,
        )
        said = yes if value else no
        return f"{said} ({bound})" if bound else said
    return None


def headline(
    tool: str,
    data: dict[str, Any],
    *,
    request: str,
    arguments: dict[str, Any],
    table: Phrases,
    state: DialogueState | None = None,
    parameters: Collection[str] = (),
) -> str | None:
    """``**tool** (subject): field = value, …; flag`` (the field named like the tool without its label) —
    ``None`` when the result has nothing to lead with."""
    keys = headline_fields(tool, data, request, arguments, parameters)
    # The quantity the tool is named after needs no label: "**entropy**: 1.5 bits".
    items = [
        quantity(key, data[key], data, table)
        if key == tool and not table.labels
        else f"{field_label(key, table)} = {quantity(key, said_value(data[key], table), data, table)}"
        for key in keys
    ]
    flag = _flag_sentence(data, arguments, table)
    if flag:
        items.append(f"**{flag}**")
    if not items:
        return None
    subject = _subject(arguments)
    if subject and table.language == "zh":
        subject = f"（{subject}）"
    elif subject:
        subject = f" ({subject})"
    colon = "：" if table.language == "zh" else ": "
    separator = "；" if table.language == "zh" else "; "
    line = f"**{tool}**{subject}{colon}" + separator.join(items)
    preference = _applied_preference(data, request, state, table)
    return f"{line} — {preference}" if preference else line


def _subject(arguments: dict[str, Any]) -> str:
    names = [
        str(value)
        for value in arguments.values()
        if isinstance(value, str) and re.search(r"[A-Za-z]{2}", value) and len(value) <= 40
    ]
    return ", ".join(names[:2])


def _applied_preference(
    data: dict[str, Any], request: str, state: DialogueState | None, table: Phrases
) -> str | None:
    """ "in bits, as you prefer" when the result is in the user's preferred unit and the request did not ask
    for it."""
    if state is None or "unit" not in state.preferences:
        return None
    unit = state.preferences["unit"]
    if fold(unit) in {fold(w) for w in words(translate(request))}:
        return None
    if isinstance(data.get("unit"), str) and fold(data["unit"]) == fold(unit):
        return table.applied_preference.format(value=unit)
    return None
