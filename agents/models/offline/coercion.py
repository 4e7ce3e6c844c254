"""Values converted to what a slot accepts: numbers with their scale and unit, lists, choices, booleans."""

from __future__ import annotations

import math
import re
from typing import Any

from agents.models.offline.language import fold, norm
from agents.models.offline.mentions import SCALES, Number
from agents.models.offline.schema import Slot

__all__ = ["coerce", "index_list", "number_value", "plain_number", "unit_named"]


def _bounded(slot: Slot, value: float) -> bool:
    if slot.minimum is not None and value < slot.minimum:
        return False
    return slot.maximum is None or value <= slot.maximum


def coerce(slot: Slot, value: Any) -> tuple[bool, Any]:
    """``value`` converted to something ``slot`` accepts, if it can be."""
    if isinstance(value, bool):
        return "boolean" in slot.types, value
    if isinstance(value, int | float):
        if slot.enum:
            for option in slot.enum:
                if isinstance(option, str) and option == _plain(value):
                    return True, option
                if not isinstance(option, bool) and isinstance(option, int | float) and option == value:
                    return True, option
            return False, None
        if "integer" in slot.types and float(value).is_integer() and _bounded(slot, value):
            return True, int(value)
        if "number" in slot.types and math.isfinite(value) and _bounded(slot, value):
            return True, float(value)
        return False, None
    if isinstance(value, list):
        if "array" not in slot.types or not value:
            return False, None
        if slot.item_enum:
            picked = [_enum_match(slot.item_enum, str(item)) for item in value]
            return all(item is not None for item in picked), picked
        if slot.is_matrix:
            if all(isinstance(row, list) for row in value):
                return True, value
            return (all(_is_num(item) for item in value), [value])
        if slot.item_types & {"number", "integer"} or "null" in slot.item_types:
            ok = all(_is_num(item) or (item is None and "null" in slot.item_types) for item in value)
            return ok, value
        if "object" in slot.item_types:
            if slot.item_vector is not None:  # [0, 0, 10, 10] is {"box": [0, 0, 10, 10]}
                field, length = slot.item_vector
                rows = value if all(isinstance(row, list) for row in value) else [value]
                if all(len(row) == length and all(_is_num(x) for x in row) for row in rows):
                    return True, [{field: row} for row in rows]
            return all(isinstance(item, dict) for item in value), value
        if "string" in slot.item_types:
            return all(isinstance(item, str) for item in value), value
        return True, value
    if isinstance(value, dict):
        return "object" in slot.types, value
    if isinstance(value, str):
        if slot.enum:
            match = _enum_match(slot.enum, value)
            if match is None:
                match = slot.synonyms.get(fold(value))
            return match is not None, match
        if "boolean" in slot.types and value.lower() in ("true", "false", "yes", "no", "on", "off"):
            return True, value.lower() in ("true", "yes", "on")
        if "string" in slot.types:
            return True, value
    return False, None


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _enum_match(options: list[Any], value: str) -> Any:
    wanted = norm(value)
    return next((option for option in options if isinstance(option, str) and norm(option) == wanted), None)


def number_value(slot: Slot, number: Number) -> Any:
    """The value a number gives ``slot``: its scale applied unless the slot is counted in that unit already
    ("7B" is 7 for ``params_billion``, "24 GB" is 24 for ``gpu_memory_gb``)."""
    if number.value is None or not math.isfinite(number.value):
        return None
    value = number.value
    if index_list(slot) and float(value).is_integer():
        ok, listed = coerce(slot, [int(value)])
        return listed if ok else None
    label = f"{slot.name} {slot.description}".lower()
    scale = number.scale
    if scale == "k" and _counts_tokens(label) and float(value).is_integer() and _power_of_two(int(value)):
        value *= 1024  # "32k context", "4k tokens": contexts are powers of two (32,768)
    elif (
        scale
        and not (scale in ("b", "bn", "billion") and "billion" in label)
        and not (scale == "g" and re.search(r"\bgb\b|gib|_gb", label))
    ):
        value *= SCALES.get(scale, 1.0)
    if number.percent and slot.maximum is not None and slot.maximum <= 1:
        value /= 100
    ok, coerced = coerce(slot, value)
    return coerced if ok else None


def unit_named(slot: Slot, number: Number) -> bool:
    """The number's own scale names the slot's unit: "70B" for a size in billions."""
    return number.scale in ("b", "bn", "billion") and "billion" in f"{slot.name} {slot.description}".lower()


def _counts_tokens(label: str) -> bool:
    return re.search(r"\btokens?\b|\bcontext\b", label) is not None


def _power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


# ------------------------------------------------------------------------------------------ context


def plain_number(value: float | None) -> Any:
    if value is None:
        return None
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def index_list(slot: Slot) -> bool:
    """A list of integers ("labels"): one number named for it is a list of one."""
    return slot.types - {"null"} == {"array"} and slot.item_types == {"integer"}
