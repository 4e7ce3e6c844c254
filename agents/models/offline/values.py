"""Slot filling, values: lists (and the rows or samples several lists make), sizes such as "5×5", and
numbers placed by the words around them ("from 256 to 64", "train 1.9 val 2.0", "24 GB", "7B")."""

from __future__ import annotations

import re
from typing import Any

from agents.models.offline.coercion import coerce, index_list, number_value, plain_number, unit_named
from agents.models.offline.context import FillState, around, context_score
from agents.models.offline.mentions import Number, Size, Vector
from agents.models.offline.schema import Slot

__all__ = ["mention_value", "more_rows", "place_lists", "place_numbers", "place_sizes"]

_SPATIAL = re.compile(r"shape|side|height|width|kernel|resolution|pixel|spatial", re.IGNORECASE)


def mention_value(slot: Slot, item: Any) -> Any:
    if isinstance(item, Number):
        return number_value(slot, item)
    if isinstance(item, Size):
        return _size_value(slot, item)
    if isinstance(item, Vector):
        ok, value = coerce(slot, [plain_number(v) for v in item.values])
        return value if ok else None
    if hasattr(item, "value"):
        ok, value = coerce(slot, item.value)
        return value if ok else None
    if hasattr(item, "text") and slot.wants_names:
        ok, value = coerce(slot, [item.text] if "array" in slot.types else item.text)
        return value if ok else None
    return None


def place_lists(state: FillState) -> None:
    """Lists and nested structures: to the slot the words around them name; several lists for one matrix
    slot become its rows; several for one vector slot become one call each."""
    mentions = state.reading.mentions
    items: list[Any] = sorted([*mentions.vectors, *mentions.structures], key=lambda item: item.start)
    for item in items:
        if item.start in state.taken:
            continue
        value = _mention_value_any(item)
        candidates = [(slot, coerce(slot, value)) for slot in state.open()]
        candidates = [(slot, converted) for slot, (ok, converted) in candidates if ok and _list_slot(slot)]
        if not candidates:
            continue
        scored = [
            (around(state, slot, item.start, item.end), -i, slot, v) for i, (slot, v) in enumerate(candidates)
        ]
        score, _, best, converted = max(scored, key=lambda row: row[:2])
        if score <= 0:
            positional = [row for row in scored if row[2].required]
            if not positional and (not isinstance(item, Vector) or item.bracketed or len(candidates) == 1):
                # a bare run goes to a required slot, or to the one list slot that takes it ("sweep 0.001,
                # 0.01, 0.1" is the lrs to try)
                positional = [row for row in scored if _same_kind(row[2], value)]
            if not positional:
                continue
            _, _, best, converted = positional[0]
        state.place(best, converted, item.start)
        more_rows(state, best, item, items)


def _mention_value_any(item: Any) -> Any:
    if isinstance(item, Vector):
        return [plain_number(v) for v in item.values]
    return item.value


def _list_slot(slot: Slot) -> bool:
    return "array" in slot.types or "object" in slot.types


def _same_kind(slot: Slot, value: Any) -> bool:
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        return slot.is_matrix
    if slot.item_vector is not None and isinstance(value, list):
        return len(value) == slot.item_vector[1]
    return slot.is_vector or slot.is_matrix


def more_rows(state: FillState, slot: Slot, first: Any, items: list[Any]) -> None:
    """Lists after the first one that no other slot's words claim: more rows of a matrix slot, or more
    samples of a vector slot (one call each)."""
    if not isinstance(first, Vector):
        return
    width = len(first.values)
    for item in items:
        if item.start <= first.start or item.start in state.taken or not isinstance(item, Vector):
            continue
        others = [s for s in state.open() if _list_slot(s) and coerce(s, _mention_value_any(item))[0]]
        if any(around(state, other, item.start, item.end) > 0 for other in others):
            continue  # "… and val loss is 2.2, 1.7 …": another slot's words claim it
        values = [plain_number(v) for v in item.values]
        if slot.is_matrix and len(values) == width:
            state.found[slot.name] = [*state.found[slot.name], values]
        elif slot.is_vector and not others:
            ok, converted = coerce(slot, values)
            if not ok:
                continue
            state.extra.setdefault(slot.name, []).append(converted)
        else:
            continue
        state.taken.add(item.start)


def _size_slot(slot: Slot) -> bool:
    pair = "array" in slot.types and bool(slot.item_types & {"integer", "number"})
    spatial = _SPATIAL.search(slot.description) or re.search(r"kernel|input_size|shape", slot.name)
    return (pair or bool(slot.types & {"integer"})) and spatial is not None


def _size_value(slot: Slot, size: Size) -> Any:
    parts = list(size.parts)
    if len(parts) == 2 and parts[0] == parts[1] and "integer" in slot.types:
        ok, value = coerce(slot, parts[0])
        if ok:
            return value
    if "array" in slot.types:
        ok, value = coerce(slot, parts)
        if ok:
            return value
    if len(parts) == 2 and parts[0] == parts[1]:
        ok, value = coerce(slot, parts[0])
        return value if ok else None
    return None


def place_sizes(state: FillState) -> None:
    """ "5×5", "224x224", "3x224x224": to the size slot the words around name ("kernel", "image", "input")."""
    for size in state.reading.mentions.sizes:
        if size.start in state.taken:
            continue
        rows = []
        for index, slot in enumerate(state.open()):
            if not _size_slot(slot):
                continue
            value = _size_value(slot, size)
            if value is not None:
                rows.append((around(state, slot, size.start, size.end), -index, slot, value))
        if not rows:
            continue
        score, _, slot, value = max(rows, key=lambda row: row[:2])
        if score <= 0:
            required = [row for row in rows if row[2].required]
            if len(required) != 1:
                continue
            _, _, slot, value = required[0]  # nothing names it: the one required size slot ("3x3 conv")
        state.place(slot, value, size.start)


_FROM_TO = re.compile(
    r"(?:\bfrom\s+)?(?<![\w.])(\d[\d,]*)\s*(?:[A-Za-z]{3,16}\s+)?(?:\bto\b|->|→|=>)\s*(\d[\d,]*)(?![\w.])"
    r"|(?<![\w.])[A-Za-z_][\w.]{0,40}\(\s*(\d+)\s*,\s*(\d+)"
)


def _from_to(state: FillState) -> None:
    """ "from 256 to 64 channels", "256 channels to 64", "4096 → 1000": the first number to an ``in_…`` slot,
    the second to its ``out_…`` twin."""
    pairs = [
        (inner, outer)
        for inner in state.open()
        for outer in state.open()
        if inner.numeric
        and outer.numeric
        and inner.name.split("_", 1)[0] in ("in", "input")
        and outer.name.split("_", 1)[0] in ("out", "output")
        and inner.name.split("_", 1)[-1] == outer.name.split("_", 1)[-1]
    ]
    if not pairs:
        return
    numbers = {n.start: n for n in _loose_numbers(state)}
    for match in _FROM_TO.finditer(state.reading.work):
        one, two = (1, 2) if match.group(1) else (3, 4)  # "from 256 to 64" or "Linear(1024, 4096"
        first, second = numbers.get(match.start(one)), numbers.get(match.start(two))
        if first is None or second is None:
            continue
        inner, outer = pairs[0]
        a, b = number_value(inner, first), number_value(outer, second)
        if a is not None and b is not None:
            state.place(inner, a, first.start)
            state.place(outer, b, second.start)
            return


def _loose_numbers(state: FillState) -> list[Number]:
    """Numbers not yet placed, with those of short runs no list slot took ("Linear(1024, 4096)")."""
    numbers = [n for n in state.reading.mentions.numbers if n.start not in state.taken]
    for vector in state.reading.mentions.vectors:
        if vector.start not in state.taken and 0 < len(vector.parts) <= 4:
            numbers += [part for part in vector.parts if part.start not in state.taken]
    numbers += [count for size in state.reading.mentions.sizes if (count := _count_of(state, size))]
    return sorted(numbers, key=lambda number: number.start)


def _count_of(state: FillState, size: Size) -> Number | None:
    """ "2x 3090", "4×A100" read as a size: the first number counts a choice the request names (a GPU)."""
    if size.start in state.taken or len(size.parts) != 2:
        return None
    text = state.reading.work[size.start : size.end]
    second = size.start + text.rfind(str(size.parts[1]))
    if second not in state.chosen_at:
        return None
    first = str(size.parts[0])
    return Number(size.start, size.start + len(first), float(size.parts[0]), first)


def _series(state: FillState) -> None:
    """ "epoch 1 train 1.9 val 2.0, epoch 2 train 1.2 val 1.5 …": the numbers right after a word that names a
    list slot, in order, are that list (two at least)."""
    slots = [slot for slot in state.open() if slot.is_vector and not slot.is_matrix]
    if not slots:
        return
    numbers = _loose_numbers(state)
    for slot in slots:
        picked = [n for n in numbers if n.start not in state.taken and _names_it(state, slot, n)]
        values = [plain_number(n.value) for n in picked]
        if len(picked) >= 2 and coerce(slot, values)[0]:
            state.found[slot.name] = values
            state.taken.update(n.start for n in picked)


def _names_it(state: FillState, slot: Slot, number: Number) -> bool:
    """The word right before ``number`` names ``slot`` (its name), better than any other slot that could
    hold it — a required slot wins a tie over an optional one ("train" → train_loss, not train_metric)."""
    word = state.reading.words_before(number.start, 1)
    score = context_score(slot, word) if word else 0.0
    rivals = [
        context_score(other, word)
        for other in state.open()
        if other is not slot and (other.required or not slot.required)
    ]
    return score >= 3 and max(rivals, default=0.0) < score


def _partly_named(state: FillState, slot: Slot, number: Number) -> bool:
    """The words around ``number`` say a several-word slot name's trailing word but not its head word
    ("index" but not "ignore" of ``ignore_index``; "batch" of ``batch_size`` is its head)."""
    parts = [part for part in slot.name.lower().split("_") if part and part not in _COUNT_PREFIXES]
    if len(parts) < 2:
        return False
    said = [*state.reading.words_before(number.start), *state.reading.words_after(number.end)]
    heard = [part for part in parts if any(_same_word(word, part) for word in said)]
    return bool(heard) and parts[0] not in heard


_COUNT_PREFIXES = frozenset({"num", "max", "min", "n"})


def _same_word(said: str, part: str) -> bool:
    long_enough = len(said) >= 3 and len(part) >= 3
    return said == part or (long_enough and (said.startswith(part) or part.startswith(said)))


def place_numbers(state: FillState) -> None:
    """Numbers, each to the numeric slot the words around it (and its unit) name best."""
    _from_to(state)
    _series(state)
    numbers = _loose_numbers(state)
    slots = [slot for slot in state.open() if slot.numeric or _size_slot(slot) or index_list(slot)]
    if not numbers or not slots:
        return
    rows = []
    for index, number in enumerate(numbers):
        for slot in slots:
            value = number_value(slot, number)
            if value is None:
                continue
            score = around(state, slot, number.start, number.end) + (3.0 if unit_named(slot, number) else 0.0)
            if index_list(slot) and not slot.required:
                score *= 0.5  # an optional list takes a lone number only when no scalar slot claims it
            if not slot.required and _partly_named(state, slot, number):
                score *= 0.75  # "class index 1" is a label, not ignore_index: half a name is weaker evidence
            if not slot.required and score < 1.5:
                continue  # an optional value needs its name said ("epoch 1" is no patience of 1)
            if score > 0:
                rows.append((score, -index, slot, index, value))
    placed: set[int] = set()
    for _, _, slot, index, value in sorted(rows, key=lambda row: (-row[0], -row[1])):
        if slot.name in state.found or index in placed:
            continue
        state.place(slot, value, numbers[index].start)
        placed.add(index)
    left_slots = [slot for slot in slots if slot.required and slot.name not in state.found]
    left = [i for i in range(len(numbers)) if i not in placed]
    if len(left_slots) == 1 and len(left) == 1:
        value = number_value(left_slots[0], numbers[left[0]])
        if value is not None:
            state.place(left_slots[0], value, numbers[left[0]].start)
