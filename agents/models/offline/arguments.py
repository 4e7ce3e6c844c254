"""Filling a tool's arguments from the user's words, slot by slot, from the tool's own JSON schema.

Order of evidence, strongest first: ``name=value`` (or "kernel size 3"), bracketed lists placed by the words
before them, enum values and the words a description ties to them, numbers placed by the words around them,
booleans named with or without a negation, and for a lone free-text slot the rest of the request. A required
slot left empty is reported missing (the model asks for it) rather than guessed.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from agents.models.offline.lexicon import GLOSSARY, NEGATIONS, STOP_WORDS, translate
from agents.models.offline.schema import Slot, ToolView, fold, is_name_like, norm, tokens

__all__ = ["Extraction", "fill_arguments"]

_NUMBER = re.compile(
    r"(?<![\w.\-])(-?(?:\d{1,3}(?:,\d{3})+(?![\d.])|\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)"
    r"(?:\s?([kKmMbB])(?![A-Za-z]))?(%)?(?![\w])"
)
_PAIR = re.compile(r"(?<![\w.])(\d+)\s*[x×*]\s*(\d+)(?![\w.])")
_WORD = re.compile(r"[A-Za-z][\w\-]*")
_QUOTED = re.compile(r"\"([^\"]+)\"|'([^']{2,})'|“([^”]+)”|「([^」]+)」")
_CJK_FILLERS = ("一下", "下", "请", "是")
_CLAUSE = re.compile(r"[\[\]{};,.:=]|\d|\b(?:and|with|plus|on|at|for)\b", re.IGNORECASE)
_CONNECTORS = frozenset("that about of is are on for the a an me what whether to : - , please".split())  # noqa: SIM905
_MULTIPLIER = {"k": 1e3, "m": 1e6, "b": 1e9}


@dataclass
class Extraction:
    """What could be read from the request for one tool."""

    arguments: dict[str, Any] = field(default_factory=dict)
    """Filled slots, ready to send as the call's arguments."""
    missing: list[Slot] = field(default_factory=list)
    """Required slots nothing in the request could fill."""


@dataclass
class _Text:
    raw: str
    work: str
    used: list[bool]

    def free(self, start: int, end: int) -> bool:
        return not any(self.used[start:end])

    def take(self, start: int, end: int) -> None:
        for i in range(start, end):
            self.used[i] = True

    def words_before(self, start: int, limit: int = 4) -> list[str]:
        """Content words just before ``start``, back to the previous value or clause boundary."""
        chunk = _CLAUSE.split(self.work[max(0, start - 48) : start])[-1]
        return [fold(w) for w in _WORD.findall(chunk.lower()) if w not in STOP_WORDS][-limit:]

    def words_after(self, end: int, limit: int = 3) -> list[str]:
        """Content words just after ``end``, up to the next value or clause boundary."""
        chunk = _CLAUSE.split(self.work[end : end + 40])[0]
        return [fold(w) for w in _WORD.findall(chunk.lower()) if w not in STOP_WORDS][:limit]


def fill_arguments(tool: ToolView, request: str, *, trigger_words: set[str] | None = None) -> Extraction:
    """Read ``tool``'s arguments from ``request`` (English, or Chinese through the glossary)."""
    work = translate(request)
    text = _Text(request, work, [False] * len(work))
    found: dict[str, Any] = {}
    _explicit(tool, text, found)
    _brackets(tool, text, found)
    _enums(tool, text, found)
    _numbers(tool, text, found)
    _booleans(tool, text, found)
    _names(tool, text, found)
    _free_text(tool, text, found, trigger_words or set())
    missing = [slot for slot in tool.slots if slot.required and slot.name not in found]
    return Extraction({slot.name: found[slot.name] for slot in tool.slots if slot.name in found}, missing)


# ------------------------------------------------------------------------------------------ value parsing


def _literal(source: str) -> Any:
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(source)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return None


def _bracket_spans(work: str) -> list[tuple[int, int]]:
    spans, depth, start = [], 0, 0
    for i, char in enumerate(work):
        if char in "[{":
            if depth == 0:
                start = i
            depth += 1
        elif char in "]}" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def _number(
    token: str, suffix: str | None = None, percent: str | None = None, slot: Slot | None = None
) -> float:
    value = float(token.replace(",", ""))
    if suffix:
        billions = slot is not None and "billion" in (slot.name + " " + slot.description).lower()
        if not (billions and suffix.lower() == "b"):
            value *= _MULTIPLIER[suffix.lower()]
    if percent and slot is not None and slot.maximum is not None and slot.maximum <= 1:
        value /= 100
    return value


def _coerce(slot: Slot, value: Any) -> tuple[bool, Any]:
    """``value`` converted to something ``slot`` accepts, if it can be."""
    if isinstance(value, bool):
        return ("boolean" in slot.types, value)
    if isinstance(value, int | float):
        if slot.enum:
            for option in slot.enum:
                if not isinstance(option, bool) and isinstance(option, int | float) and option == value:
                    return True, option
                if isinstance(option, str) and option == _plain(value):
                    return True, option
            return False, None
        if "integer" in slot.types and float(value).is_integer():
            return _bounded(slot, int(value))
        if "number" in slot.types:
            return _bounded(slot, float(value))
        if "array" in slot.types and slot.item_types & {"integer", "number"}:
            return True, [int(value) if float(value).is_integer() else value] * 2
        return False, None
    if isinstance(value, list):
        if "array" not in slot.types:
            return False, None
        if slot.item_enum:
            picked = [_enum_match(slot.item_enum, str(item)) for item in value]
            return (all(item is not None for item in picked) and bool(picked), picked)
        if slot.is_matrix:
            if value and all(isinstance(row, list) for row in value):
                return True, value
            if value and all(_is_num(item) for item in value):
                return True, [value]
            return False, None
        if slot.item_types & {"number", "integer"}:
            return (all(_is_num(item) for item in value) and bool(value), value)
        if "object" in slot.item_types:
            return (all(isinstance(item, dict) for item in value), value)
        return True, value
    if isinstance(value, dict):
        return ("object" in slot.types, value)
    if isinstance(value, str):
        if slot.enum:
            match = _enum_match(slot.enum, value)
            if match is None:
                match = slot.synonyms.get(fold(value))
            return (match is not None, match)
        if "boolean" in slot.types and value.lower() in ("true", "false", "yes", "no", "on", "off"):
            return True, value.lower() in ("true", "yes", "on")
        if slot.types & {"integer", "number"} and _NUMBER.fullmatch(value):
            return _coerce(slot, _number(value.strip(), slot=slot))
        if "string" in slot.types:
            return True, value
    return False, None


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bounded(slot: Slot, value: float) -> tuple[bool, Any]:
    if slot.minimum is not None and value < slot.minimum:
        return False, None
    if slot.maximum is not None and value > slot.maximum:
        return False, None
    return True, value


def _enum_match(options: list[Any], value: str) -> Any:
    wanted = norm(value)
    return next((option for option in options if isinstance(option, str) and norm(option) == wanted), None)


# ------------------------------------------------------------------------------------------ the passes


def _explicit(tool: ToolView, text: _Text, found: dict[str, Any]) -> None:
    """``name=value``, ``name: value``, and for longer names "name value" ("kernel size 3", "rank 8")."""
    for slot in tool.slots:
        spoken = r"[\s_\-]*".join(re.escape(part) for part in slot.name.split("_") if part)
        joiner = r"\s*(?:=|:)\s*" if len(slot.name) <= 2 else r"\s*(?:=|:|\bis\b|\bof\b|\bto\b)?\s*"
        for match in re.finditer(rf"(?<![\w\-]){spoken}(?![\w\-]){joiner}", text.work, re.IGNORECASE):
            start, end = match.span()
            if not text.free(start, end) or end >= len(text.work):
                continue
            value, value_end = _value_at(text.work, end, slot)
            if value is None or not text.free(end, value_end):
                continue
            ok, coerced = _coerce(slot, value)
            if ok:
                found[slot.name] = coerced
                text.take(start, value_end)
                break


def _value_at(work: str, position: int, slot: Slot) -> tuple[Any, int]:
    if work[position] in "[{":
        for start, end in _bracket_spans(work[position:]):
            if start == 0:
                return _literal(work[position : position + end]), position + end
        return None, position
    pair = _PAIR.match(work, position)
    if pair:
        a, b = int(pair.group(1)), int(pair.group(2))
        return (a if a == b or "array" not in slot.types else [a, b]), pair.end()
    number = _NUMBER.match(work, position)
    if number:
        return _number(number.group(1), number.group(2), number.group(3), slot), number.end()
    word = re.match(r"\"([^\"]*)\"|'([^']*)'|([^\s,;]+)", work[position:])
    if not word:
        return None, position
    token = next(group for group in word.groups() if group is not None)
    return token.rstrip(".?!"), position + word.end()


def _brackets(tool: ToolView, text: _Text, found: dict[str, Any]) -> None:
    """Bracketed lists and objects: to the slot the preceding words name, else to the next compatible slot."""
    for start, end in _bracket_spans(text.work):
        if not text.free(start, end):
            continue
        value = _literal(text.work[start:end])
        if value is None:
            continue
        context = text.words_before(start)
        candidates = [slot for slot in tool.slots if slot.name not in found and _coerce(slot, value)[0]]
        if not candidates:
            continue
        scored = [(_context_score(slot, context), -i, slot) for i, slot in enumerate(candidates)]
        score, _, best = max(scored, key=lambda row: row[:2])
        if score <= 0:
            positional = [slot for slot in candidates if slot.required] or [
                slot for slot in candidates if _same_kind(slot, value)
            ]
            if not positional:
                continue
            best = positional[0]
        found[best.name] = _coerce(best, value)[1]
        text.take(start, end)


def _same_kind(slot: Slot, value: Any) -> bool:
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        return slot.is_matrix
    return slot.is_vector


def _context_score(slot: Slot, context: list[str]) -> float:
    """How strongly the words around a value name ``slot`` (its name words count most, then the first words of
    its description, then any description word), nearer words weighing more."""
    score = 0.0
    name_words = slot.name_words
    for distance, word in enumerate(reversed(context)):
        weight = 1.0 / (1 + distance)
        if word in name_words or any(_prefix(word, part) for part in name_words):
            score += 3 * weight
        elif word in slot.lead_words:
            score += 2 * weight
        elif word in slot.keywords:
            score += weight
    return score


def _prefix(a: str, b: str) -> bool:
    return len(a) >= 3 and len(b) >= 3 and (a.startswith(b) or b.startswith(a))


def _enums(tool: ToolView, text: _Text, found: dict[str, Any]) -> None:
    """Enum values named in the text (and description synonyms such as "bits" for base 2)."""
    spans = tokens(text.work)
    lists: dict[str, list[Any]] = {}
    for i in range(len(spans)):
        for width in (3, 2, 1):
            chunk = spans[i : i + width]
            if len(chunk) < width:
                continue
            start, end = chunk[0][0], chunk[-1][1]
            if not text.free(start, end):
                continue
            key = norm("".join(token for _, _, token in chunk).rstrip("."))
            if len(key) < 2 or key.isdigit():
                continue
            slot = _enum_slot(tool, key, found, lists)
            if slot is None:
                continue
            if slot.item_enum:
                lists.setdefault(slot.name, []).append(_enum_match(slot.item_enum, key))
            else:
                found[slot.name] = _enum_match(slot.enum, key)
            text.take(start, end)
            break
    for name, values in lists.items():
        found[name] = list(dict.fromkeys(values))
    spoken = {fold(word) for word in _WORD.findall(text.work.lower())}
    for slot in tool.slots:
        if slot.name not in found:
            for word, value in slot.synonyms.items():
                if word in spoken:
                    found[slot.name] = value
                    break


def _enum_slot(tool: ToolView, key: str, found: dict[str, Any], lists: dict[str, list[Any]]) -> Slot | None:
    for name in tool.enum_values.get(key, ()):
        slot = tool.slot(name)
        if slot is None:
            continue
        if slot.item_enum and name not in found:
            return slot
        if not slot.item_enum and name not in found:
            return slot
    return None


def _numbers(tool: ToolView, text: _Text, found: dict[str, Any]) -> None:
    """Numbers, each given to the numeric slot the words around it name best."""
    values: list[tuple[int, int, Any, str | None, str | None]] = []
    for match in _PAIR.finditer(text.work):
        if text.free(*match.span()):
            a, b = int(match.group(1)), int(match.group(2))
            values.append((match.start(), match.end(), (a, b), None, None))
    for match in _NUMBER.finditer(text.work):
        if text.free(*match.span()) and not any(s <= match.start() < e for s, e, *_ in values):
            values.append((match.start(), match.end(), match.group(1), match.group(2), match.group(3)))
    open_slots = [
        slot for slot in tool.slots if slot.name not in found and (slot.numeric or _pair_slot(slot))
    ]
    if not values or not open_slots:
        return
    pairs = []
    for index, (start, end, raw, suffix, percent) in enumerate(values):
        context = text.words_before(start, 3) + text.words_after(end, 3)
        after = text.words_after(end, 3)
        for slot in open_slots:
            value = _as_value(slot, raw, suffix, percent)
            if value is None:
                continue
            score = _context_score(slot, text.words_before(start, 3)) + _context_score(
                slot, list(reversed(after))
            )
            if score > 0:
                pairs.append((score, -index, slot.name, index, value))
        del context
    taken_values: set[int] = set()
    for _, _, name, index, value in sorted(pairs, key=lambda row: (-row[0], -row[1])):
        if name in found or index in taken_values:
            continue
        found[name] = value
        taken_values.add(index)
        text.take(values[index][0], values[index][1])
    left_slots = [slot for slot in open_slots if slot.required and slot.name not in found]
    left_values = [i for i in range(len(values)) if i not in taken_values]
    if len(left_slots) == 1 and len(left_values) == 1:
        start, end, raw, suffix, percent = values[left_values[0]]
        value = _as_value(left_slots[0], raw, suffix, percent)
        if value is not None:
            found[left_slots[0].name] = value
            text.take(start, end)


def _pair_slot(slot: Slot) -> bool:
    return "array" in slot.types and bool(slot.item_types & {"integer"}) and bool(slot.types & {"integer"})


def _as_value(slot: Slot, raw: Any, suffix: str | None, percent: str | None) -> Any:
    if isinstance(raw, tuple):
        a, b = raw
        ok, value = _coerce(slot, a if a == b else [a, b]) if "array" in slot.types else _coerce(slot, a)
        return value if ok else None
    try:
        number = _number(raw, suffix, percent, slot)
    except (ValueError, KeyError):
        return None
    ok, value = _coerce(slot, number)
    if ok and "array" in slot.types and isinstance(value, list) and slot.types & {"integer", "number"}:
        return int(number) if float(number).is_integer() else number
    return value if ok else None


def _booleans(tool: ToolView, text: _Text, found: dict[str, Any]) -> None:
    """A boolean slot named in the text is true, unless a negation comes just before it."""
    lowered = text.work.lower()
    for slot in tool.slots:
        if slot.name in found or slot.types - {"null"} != {"boolean"}:
            continue
        spoken = r"[\s_\-]*".join(re.escape(part) for part in slot.name.split("_") if part)
        match = re.search(rf"(?<![\w\-]){spoken}", lowered)
        if match is None:
            continue
        before = re.findall(r"[a-z']+", lowered[max(0, match.start() - 24) : match.start()])[-2:]
        found[slot.name] = not any(word in NEGATIONS for word in before)


def _names(tool: ToolView, text: _Text, found: dict[str, Any]) -> None:
    """Name slots ("Zoo name, e.g. 'ResNet-50'") take the name-like words of the request, as written."""
    slots = [slot for slot in tool.slots if slot.name not in found and slot.wants_names]
    if not slots:
        return
    known = {norm(tool.name), *tool.enum_values, *(norm(slot.name) for slot in tool.slots)}
    names = [
        (start, end, token.strip("'\"`"))
        for start, end, token in tokens(text.work)
        if text.free(start, end) and is_name_like(token) and norm(token) not in known
    ]
    for slot in slots:
        if not names:
            return
        if "array" in slot.types:
            used, names = names, []
            found[slot.name] = [name for _, _, name in used]
        else:
            used, names = names[:1], names[1:]
            found[slot.name] = used[0][2]
        for start, end, _ in used:
            text.take(start, end)


def _free_text(tool: ToolView, text: _Text, found: dict[str, Any], triggers: set[str]) -> None:
    """A lone required free-text slot takes a quoted phrase, else the request minus its leading
    instruction."""
    open_slots = [
        slot
        for slot in tool.slots
        if slot.name not in found and slot.required and "string" in slot.types and not slot.enum
    ]
    if len(open_slots) != 1:
        return
    quoted = _QUOTED.search(text.raw)
    if quoted:
        found[open_slots[0].name] = next(group for group in quoted.groups() if group)
        return
    remainder = _strip_instruction(text.raw, triggers | set(tool.name_words))
    if remainder:
        found[open_slots[0].name] = remainder


def _strip_instruction(request: str, triggers: set[str]) -> str:
    text = request.strip()
    # Chinese: cut after the last instruction term near the start ("你记得…", "解释一下…", "什么是…").
    cut = 0
    for term, english in GLOSSARY.items():
        position = text.find(term, 0, 12)
        if position >= 0 and _is_trigger(english, triggers):
            cut = max(cut, position + len(term))
    if cut:
        text = text[cut:].lstrip(" ：:，,")
        for filler in _CJK_FILLERS:
            text = text.removeprefix(filler)
    words_ = text.split()
    cut = 0
    for i, token in enumerate(words_[:6]):
        word = fold(token.strip(".,:;?!").lower())
        if word in triggers:
            cut = i + 1
    words_ = words_[cut:]
    while words_ and words_[0].strip(".,:;?!").lower() in _CONNECTORS:
        words_.pop(0)
    while words_ and words_[-1].strip(".,:;?!").lower() in _CONNECTORS:
        words_.pop()
    result = " ".join(words_).strip().rstrip("?？。.!！")
    for suffix in ("是什么", "吗", "呢"):
        result = result.removesuffix(suffix)
    return result.strip()


def _is_trigger(english: str, triggers: set[str]) -> bool:
    return any(fold(word) in triggers for word in english.split())
