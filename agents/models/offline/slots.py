"""Slot filling: the values a request writes down (:mod:`.mentions`) placed into a tool's parameters, read
from the tool's own JSON schema.

Evidence, strongest first: ``name=value`` (or "kernel size 3"), lists and sizes placed by the words around
them, enum values (and the other names the notes give them: "低秩适配" is ``lora``), numbers placed by the
words around them (units included: "24 GB", "20-layer", "7B"), booleans named with or without a negation,
names for slots that take names ("VGG16's"), and for a lone free-text slot the rest of the request. A
required slot nothing fills is reported missing — the model asks for it; it never guesses a value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from agents.models.offline.language import STOP_WORDS, fold, norm
from agents.models.offline.mentions import (
    SCALES,
    Mentions,
    Name,
    Number,
    Size,
    Vector,
    is_name_like,
    read_mentions,
)
from agents.models.offline.phrases import phrases_for
from agents.models.offline.schema import Slot, ToolView
from agents.models.offline.vocabulary import translate, value_names

__all__ = ["Extraction", "Reading", "enum_words", "fill", "known_names", "read"]

_WORD = re.compile(r"[A-Za-z][\w\-]*")
_BOUNDARY = re.compile(r"[\[\]{};.:=]|,(?! ?[0-9])|\b(?:and|with|plus|while|but|for another|for the other)\b")
_EQUIVALENTS = phrases_for("en").equivalents
_NEGATIONS = frozenset(
    ["no", "not", "without", "don't", "dont", "disable", "disabled", "skip", "off", "never", "false", "non"]
)
_SPATIAL = re.compile(r"shape|side|height|width|kernel|resolution|pixel|spatial", re.IGNORECASE)


@dataclass
class Reading:
    """A request prepared for slot filling: its English working text and the values in it."""

    text: str
    """The request as written (prepared)."""
    work: str
    """The request with Chinese terms carried onto English words (values keep their form)."""
    mentions: Mentions
    reserved: frozenset[str] = frozenset()
    """Normalised enum values of the offered tools: a word such as "IA3" names a choice, not a model."""

    @cached_property
    def keys(self) -> dict[str, int]:
        """Normalised runs of one to three adjacent words of the working text, with where each starts."""
        return _token_keys(self.work)

    def words_before(self, start: int, limit: int = 4) -> list[str]:
        """Content words just before ``start``, back to the previous clause boundary."""
        chunk = _BOUNDARY.split(self.work[max(0, start - 48) : start])[-1]
        chunk = re.sub(r"(?<![A-Za-z_])-?[0-9][0-9.,]*", " ", chunk)
        return [fold(w) for w in _WORD.findall(chunk.lower()) if w not in STOP_WORDS and len(w) > 1][-limit:]

    def words_after(self, end: int, limit: int = 3) -> list[str]:
        """Content words just after ``end``, up to the next value or clause boundary."""
        chunk = re.split(
            r"(?<![A-Za-z_])[0-9]|\[", _BOUNDARY.split(self.work[end : end + 40])[0], maxsplit=1
        )[0]
        return [fold(w) for w in _WORD.findall(chunk.lower()) if w not in STOP_WORDS and len(w) > 1][:limit]


def read(text: str, known: frozenset[str] = frozenset(), reserved: frozenset[str] = frozenset()) -> Reading:
    """Prepare ``text`` (already normalised by :func:`~agents.models.offline.language.prepare`); ``known``
    are names the offered tools' descriptions list (see :func:`known_names`), ``reserved`` their enum values
    (see :func:`enum_words`)."""
    work = translate(text)
    return Reading(text, work, read_mentions(work, known), reserved)


def enum_words(tools: list[ToolView]) -> frozenset[str]:
    """Every enum value the offered tools accept, normalised."""
    return frozenset(key for tool in tools for key in tool.enum_values)


def known_names(tools: list[ToolView]) -> frozenset[str]:
    """The names the offered tools' descriptions list ("GoogLeNet, ResNet-18…152, DenseNet-121"), normalised:
    a request may write them in lower case ("googlenet") and still mean a name."""
    return _names_in(tuple(tool.description for tool in tools))


@lru_cache(maxsize=32)
def _names_in(descriptions: tuple[str, ...]) -> frozenset[str]:
    found: set[str] = set()
    for description in descriptions:
        for token in re.findall(r"[A-Za-z][A-Za-z0-9]*(?:[\-_/][A-Za-z0-9]+)*", description):
            if is_name_like(token):
                found.add(norm(token))
                base = re.sub(r"[\-_/]?[0-9].*$", "", token)
                if len(base) >= 4 and is_name_like(base):
                    found.add(norm(base))  # "GoogLeNet" from "GoogLeNet", "ResNet" from "ResNet-18"
    return frozenset(found)


@dataclass
class Extraction:
    """What could be read from the request for one tool."""

    arguments: dict[str, Any] = field(default_factory=dict)
    """Filled slots, ready to send as the call's arguments."""
    missing: list[Slot] = field(default_factory=list)
    """Required slots nothing in the request could fill."""
    samples: list[dict[str, Any]] = field(default_factory=list)
    """Further argument sets when the request gives several values for one slot ("entropy of [0.5, 0.5]
    and [0.9, 0.1]"): one call each."""
    used: int = 0
    """How many values of the request (numbers, lists, sizes, names) went into a slot."""
    used_values: int = 0
    """Of those, how many were numbers, lists or sizes (data to compute with, not just a name)."""
    used_lists: int = 0
    """Of those, how many were lists, structures or sizes (the data of a computation, never incidental)."""
    unused: int = 0
    """Lists and sizes of the request no slot took (evidence the tool is not the one meant)."""


@dataclass
class _State:
    tool: ToolView
    reading: Reading
    found: dict[str, Any] = field(default_factory=dict)
    taken: set[int] = field(default_factory=set)
    """Start offsets of the mentions already placed."""
    extra: dict[str, list[Any]] = field(default_factory=dict)

    def open(self) -> list[Slot]:
        return [slot for slot in self.tool.slots if slot.name not in self.found]

    def place(self, slot: Slot, value: Any, start: int) -> None:
        self.found[slot.name] = value
        self.taken.add(start)


def fill(tool: ToolView, reading: Reading) -> Extraction:
    """Read ``tool``'s arguments from ``reading``."""
    state = _State(tool, reading)
    _explicit(state)
    _lists(state)
    _sizes(state)
    _enums(state)
    _numbers(state)
    _booleans(state)
    _names(state)
    _free_text(state)
    missing = [slot for slot in tool.slots if slot.required and slot.name not in state.found]
    for primary, other in tool.alternatives:  # "params_billion … instead of base": one of the two
        if primary not in state.found and other not in state.found:
            slot = tool.slot(primary)
            if slot is not None:
                missing.append(slot)
    arguments = {slot.name: state.found[slot.name] for slot in tool.slots if slot.name in state.found}
    samples = [{**arguments, name: value} for name, values in state.extra.items() for value in values]
    mentions = reading.mentions
    lists = {item.start for item in mentions.vectors} | {item.start for item in mentions.sizes}
    lists |= {item.start for item in mentions.structures}
    unused = len(lists - state.taken)
    names = {name.start for name in mentions.names}
    return Extraction(
        arguments,
        missing,
        samples,
        len(state.taken),
        len(state.taken - names),
        len(state.taken & lists),
        unused,
    )


# ------------------------------------------------------------------------------------------ coercion


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


def _number_value(slot: Slot, number: Number) -> Any:
    """The value a number gives ``slot``: its scale applied unless the slot is counted in that unit already
    ("7B" is 7 for ``params_billion``, "24 GB" is 24 for ``gpu_memory_gb``)."""
    if number.value is None or not math.isfinite(number.value):
        return None
    value = number.value
    if _index_list(slot) and float(value).is_integer():
        ok, listed = coerce(slot, [int(value)])
        return listed if ok else None
    label = f"{slot.name} {slot.description}".lower()
    scale = number.scale
    if (
        scale
        and not (scale in ("b", "bn", "billion") and "billion" in label)
        and not (scale == "g" and re.search(r"\bgb\b|gib|_gb", label))
    ):
        value *= SCALES.get(scale, 1.0)
    if number.percent and slot.maximum is not None and slot.maximum <= 1:
        value /= 100
    ok, coerced = coerce(slot, value)
    return coerced if ok else None


# ------------------------------------------------------------------------------------------ context


def _context_score(slot: Slot, context: list[str]) -> float:
    """How strongly the words around a value name ``slot``: its name words count most, then the first words
    of its description, then any description word; nearer words weigh more. A word also stands for its
    equivalents in the language table ("layer" for depth)."""
    score = 0.0
    name_words = slot.name_words
    for distance, said in enumerate(reversed(context)):
        weight = 1.0 / (1 + distance)
        best = 0.0
        for word in (said, *_EQUIVALENTS.get(said, ())):
            if word in name_words or any(_prefix(word, part) for part in name_words):
                best = max(best, 3.0 if word == said else 3.5)
            elif word in slot.lead_words:
                best = max(best, 2.0)
            elif word in slot.keywords:
                best = max(best, 1.0)
        score += best * weight
    return score


def _prefix(a: str, b: str) -> bool:
    return len(a) >= 3 and len(b) >= 3 and (a.startswith(b) or b.startswith(a))


def _around(state: _State, slot: Slot, start: int, end: int) -> float:
    before = state.reading.words_before(start, 4)
    after = state.reading.words_after(end, 3)
    return _context_score(slot, before) + 0.8 * _context_score(slot, list(reversed(after)))


# ------------------------------------------------------------------------------------------ the passes


def _spoken(name: str) -> str:
    return r"[\s_\-]*".join(re.escape(part) for part in name.split("_") if part)


def _explicit(state: _State) -> None:
    """``name=value``, ``name: value``, and for longer names "name value" ("kernel size 3", "rank 8")."""
    work = state.reading.work
    starts = _mention_starts(state.reading.mentions)
    for slot in state.tool.slots:
        named_by, named_word = _explicit_patterns(slot)
        for pattern in named_by:
            for match in pattern.finditer(work):
                item = starts.get(match.end())
                if item is None or item[0] in state.taken or slot.name in state.found:
                    continue
                if isinstance(item[1], Name):
                    continue  # names go to name slots all together (the names pass)
                value = _mention_value(slot, item[1])
                if value is not None:
                    state.place(slot, value, item[0])
                    if isinstance(item[1], Vector):
                        vectors = sorted(state.reading.mentions.vectors, key=lambda v: v.start)
                        _more_rows(state, slot, item[1], vectors)
                    break
            if slot.name in state.found:
                break
        if slot.name in state.found:
            continue
        word = named_word.search(work)  # name=word: an enum value or a free-text word right after the name
        if word and word.start(1) not in state.taken:
            ok, value = coerce(slot, word.group(1))
            if ok and value is not None and not (slot.numeric and isinstance(value, str)):
                state.place(slot, value, word.start(1))


_PATTERNS: dict[tuple[str, str], tuple[list[re.Pattern[str]], re.Pattern[str]]] = {}


def _explicit_patterns(slot: Slot) -> tuple[list[re.Pattern[str]], re.Pattern[str]]:
    """The slot's name (and symbol) followed by a value ("kernel size 3", "T=4"), and by a word; compiled
    once per slot."""
    key = (slot.name, slot.description)
    cached = _PATTERNS.get(key)
    if cached is None:
        forms = []
        for form in [slot.name, *slot.symbols]:
            joiner = r"\s*(?:=|:)\s*" if len(form) <= 2 else r"\s*(?:=|:|\bis\b|\bof\b|\bto\b|\bat\b)?\s*"
            forms.append(re.compile(rf"(?<![\w\-]){_spoken(form)}(?![\w\-]){joiner}", re.IGNORECASE))
        word = re.compile(
            rf"(?<![\w\-]){_spoken(slot.name)}\s*(?:=|:)\s*\"?([A-Za-z][\w\-./]*)", re.IGNORECASE
        )
        if len(_PATTERNS) > 2048:
            _PATTERNS.clear()
        cached = _PATTERNS[key] = (forms, word)
    return cached


def _mention_starts(mentions: Mentions) -> dict[int, tuple[int, Any]]:
    items: list[Any] = [
        *mentions.vectors,
        *mentions.structures,
        *mentions.sizes,
        *mentions.numbers,
        *mentions.names,
    ]
    return {item.start: (item.start, item) for item in items}


def _mention_value(slot: Slot, item: Any) -> Any:
    if isinstance(item, Number):
        return _number_value(slot, item)
    if isinstance(item, Size):
        return _size_value(slot, item)
    if isinstance(item, Vector):
        ok, value = coerce(slot, [_plain_number(v) for v in item.values])
        return value if ok else None
    if hasattr(item, "value"):
        ok, value = coerce(slot, item.value)
        return value if ok else None
    if hasattr(item, "text") and slot.wants_names:
        ok, value = coerce(slot, [item.text] if "array" in slot.types else item.text)
        return value if ok else None
    return None


def _plain_number(value: float | None) -> Any:
    if value is None:
        return None
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _lists(state: _State) -> None:
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
            (_around(state, slot, item.start, item.end), -i, slot, v)
            for i, (slot, v) in enumerate(candidates)
        ]
        score, _, best, converted = max(scored, key=lambda row: row[:2])
        if score <= 0:
            positional = [row for row in scored if row[2].required]
            if not positional and (not isinstance(item, Vector) or item.bracketed):
                positional = [row for row in scored if _same_kind(row[2], value)]  # a bare run: required only
            if not positional:
                continue
            _, _, best, converted = positional[0]
        state.place(best, converted, item.start)
        _more_rows(state, best, item, items)


def _mention_value_any(item: Any) -> Any:
    if isinstance(item, Vector):
        return [_plain_number(v) for v in item.values]
    return item.value


def _list_slot(slot: Slot) -> bool:
    return "array" in slot.types or "object" in slot.types


def _same_kind(slot: Slot, value: Any) -> bool:
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        return slot.is_matrix
    return slot.is_vector or slot.is_matrix


def _more_rows(state: _State, slot: Slot, first: Any, items: list[Any]) -> None:
    """Lists after the first one that no other slot's words claim: more rows of a matrix slot, or more
    samples of a vector slot (one call each)."""
    if not isinstance(first, Vector):
        return
    width = len(first.values)
    for item in items:
        if item.start <= first.start or item.start in state.taken or not isinstance(item, Vector):
            continue
        others = [s for s in state.open() if _list_slot(s) and coerce(s, _mention_value_any(item))[0]]
        if any(_around(state, other, item.start, item.end) > 0 for other in others):
            continue  # "… and val loss is 2.2, 1.7 …": another slot's words claim it
        values = [_plain_number(v) for v in item.values]
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


def _sizes(state: _State) -> None:
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
                rows.append((_around(state, slot, size.start, size.end), -index, slot, value))
        if not rows:
            continue
        score, _, slot, value = max(rows, key=lambda row: row[:2])
        if score <= 0:
            required = [row for row in rows if row[2].required]
            if len(required) != 1:
                continue
            _, _, slot, value = required[0]  # nothing names it: the one required size slot ("3x3 conv")
        state.place(slot, value, size.start)


def _enums(state: _State) -> None:
    """Enum values named in the text, the other names the notes give them, and description synonyms such as
    "bits" for base 2."""
    work, raw = state.reading.work, state.reading.text
    keys = state.reading.keys
    lists: dict[str, list[tuple[int, Any]]] = {}
    for slot in state.open():
        if not slot.enum and not slot.item_enum:
            continue
        hits: list[tuple[int, Any]] = []
        for option, spellings, chinese in _option_names(slot):
            position = next((keys[k] for k in spellings if k in keys), None)
            if position is None:
                position = next((raw.find(name) for name in chinese if name in raw), None)
            if position is not None:
                hits.append((position, option))
        if not hits:
            continue
        hits.sort()
        if slot.item_enum:
            lists[slot.name] = hits
        else:
            state.found[slot.name] = hits[0][1]
    for name, hits in lists.items():
        state.found[name] = list(dict.fromkeys(value for _, value in hits))
    spoken = {fold(word) for word in _WORD.findall(work.lower())}
    for slot in state.open():
        for word, value in slot.synonyms.items():
            if word in spoken:
                state.found[slot.name] = value
                break


_OPTIONS: dict[tuple[str, str], list[tuple[Any, tuple[str, ...], tuple[str, ...]]]] = {}


def _option_names(slot: Slot) -> list[tuple[Any, tuple[str, ...], tuple[str, ...]]]:
    """Each string choice of a slot with the normalised spellings that name it — the value itself, its
    inflections ("fully" for full), the notes' names for it — and its Chinese names; computed once."""
    key = (slot.name, repr([*slot.enum, *slot.item_enum]))
    cached = _OPTIONS.get(key)
    if cached is None:
        cached = []
        for option in [*slot.enum, *slot.item_enum]:
            value = norm(option) if isinstance(option, str) else ""
            if len(value) < 2 or value.isdigit():
                continue
            spellings = [value] + ([value + "y", value + "ly", value + "s"] if len(value) >= 4 else [])
            chinese = []
            for name in value_names(option):
                if re.search(r"[\u3400-\u9fff]", name):
                    chinese.append(name)
                elif len(norm(name)) >= 3:
                    spellings.append(norm(name))
            cached.append((option, tuple(dict.fromkeys(spellings)), tuple(chinese)))
        if len(_OPTIONS) > 2048:
            _OPTIONS.clear()
        _OPTIONS[key] = cached
    return cached


def _token_keys(work: str) -> dict[str, int]:
    """Normalised runs of one to three adjacent words, with where each first starts."""
    tokens = [(m.start(), norm(m.group())) for m in re.finditer(r"[^\s,;:()\[\]{}?!\"]+", work)]
    keys: dict[str, int] = {}
    for i in range(len(tokens)):
        joined = ""
        for width in range(3):
            if i + width >= len(tokens):
                break
            joined += tokens[i + width][1]
            if joined:
                keys.setdefault(joined, tokens[i][0])
    return keys


_FROM_TO = re.compile(
    r"(?:\bfrom\s+)?(?<![\w.])(\d[\d,]*)\s*(?:\bto\b|->|→|=>)\s*(\d[\d,]*)(?![\w.])"
    r"|(?<![\w.])[A-Za-z_][\w.]{0,40}\(\s*(\d+)\s*,\s*(\d+)"
)


def _from_to(state: _State) -> None:
    """ "from 256 to 64 channels", "4096 → 1000": the first number to an ``in_…`` slot, the second to its
    ``out_…`` twin."""
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
        a, b = _number_value(inner, first), _number_value(outer, second)
        if a is not None and b is not None:
            state.place(inner, a, first.start)
            state.place(outer, b, second.start)
            return


def _loose_numbers(state: _State) -> list[Number]:
    """Numbers not yet placed, with those of short runs no list slot took ("Linear(1024, 4096)")."""
    numbers = [n for n in state.reading.mentions.numbers if n.start not in state.taken]
    for vector in state.reading.mentions.vectors:
        if vector.start not in state.taken and 0 < len(vector.parts) <= 4:
            numbers += [part for part in vector.parts if part.start not in state.taken]
    return sorted(numbers, key=lambda number: number.start)


def _numbers(state: _State) -> None:
    """Numbers, each to the numeric slot the words around it (and its unit) name best."""
    _from_to(state)
    numbers = _loose_numbers(state)
    slots = [slot for slot in state.open() if slot.numeric or _size_slot(slot) or _index_list(slot)]
    if not numbers or not slots:
        return
    rows = []
    for index, number in enumerate(numbers):
        for slot in slots:
            value = _number_value(slot, number)
            if value is None:
                continue
            score = _around(state, slot, number.start, number.end)
            if _index_list(slot) and not slot.required:
                score *= 0.5  # an optional list takes a lone number only when no scalar slot claims it
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
        value = _number_value(left_slots[0], numbers[left[0]])
        if value is not None:
            state.place(left_slots[0], value, numbers[left[0]].start)


def _index_list(slot: Slot) -> bool:
    """A list of integers ("labels"): one number named for it is a list of one."""
    return slot.types - {"null"} == {"array"} and slot.item_types == {"integer"}


def _booleans(state: _State) -> None:
    """A boolean slot named in the text is true, unless a negation comes just before it."""
    lowered = state.reading.work.lower()
    for slot in state.open():
        if slot.types - {"null"} != {"boolean"}:
            continue
        match = re.search(rf"(?<![\w\-]){_spoken(slot.name)}", lowered)
        if match is None:
            continue
        before = re.findall(r"[a-z']+", lowered[max(0, match.start() - 24) : match.start()])[-2:]
        state.found[slot.name] = not any(word in _NEGATIONS for word in before)


def _names(state: _State) -> None:
    """Slots that take names ("Zoo name, e.g. 'ResNet-50'") take the name-like words of the request."""
    slots = [slot for slot in state.open() if slot.wants_names]
    tool = state.tool
    known = {norm(tool.name), *tool.enum_values, *(norm(slot.name) for slot in tool.slots)}
    known |= state.reading.reserved
    names = [
        name
        for name in state.reading.mentions.names
        if name.start not in state.taken and norm(name.text) not in known
    ]
    for slot in slots:
        if not names:
            return
        if "array" in slot.types:
            used, names = names, []
            state.found[slot.name] = [name.text for name in used]
        else:
            used, names = names[:1], names[1:]
            state.found[slot.name] = used[0].text
        state.taken.update(name.start for name in used)


def _free_text(state: _State) -> None:
    """A lone required free-text slot takes a quoted phrase, else is left for the caller to fill (the
    request minus its instruction, or a note's name)."""
    open_slots = [slot for slot in state.open() if slot.required and "string" in slot.types and not slot.enum]
    if len(open_slots) == 1 and state.reading.mentions.quoted:
        state.found[open_slots[0].name] = state.reading.mentions.quoted[0][2]
