"""Slot filling, words: ``name=value`` written out, choices named (enum values and the notes' names for
them), booleans with or without a negation, names for the slots that take names, and a quoted phrase."""

from __future__ import annotations

import re
from typing import Any

from agents.models.offline.coercion import coerce
from agents.models.offline.context import FillState, around
from agents.models.offline.language import fold, norm
from agents.models.offline.mentions import Mentions, Name, Vector, is_name_like
from agents.models.offline.schema import Slot
from agents.models.offline.values import mention_value, more_rows
from agents.models.offline.vocabulary import value_names

__all__ = ["place_booleans", "place_choices", "place_explicit", "place_names", "place_quoted"]

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
_SAID_VALUE = re.compile(r"\s{0,3}[=:]\s{0,3}(true|false|yes|no|1|0|on|off|none)\b")
_NEGATIONS = frozenset(
    ["no", "not", "without", "don't", "dont", "disable", "disabled", "skip", "off", "never", "false", "non"]
)


_JOINED = re.compile(r"(?<=[a-z])-(?=[a-z])")


def _spoken(name: str) -> str:
    return r"[\s_\-]*".join(re.escape(part) for part in name.split("_") if part)


def place_explicit(state: FillState) -> None:
    """``name=value``, ``name: value``, and for longer names "name value" ("kernel size 3", "rank 8")."""
    work = state.reading.work
    starts = _mention_starts(state.reading.mentions)
    for slot in state.tool.slots:
        named_by, named_word = _explicit_patterns(slot)
        short = _short_form(state, slot)
        for pattern in [*named_by, *([short] if short is not None else [])]:
            for match in pattern.finditer(work):
                item = starts.get(match.end())
                if item is None or item[0] in state.taken or slot.name in state.found:
                    continue
                if isinstance(item[1], Name):
                    continue  # names go to name slots all together (the names pass)
                value = mention_value(slot, item[1])
                if value is not None:
                    state.place(slot, value, item[0])
                    if isinstance(item[1], Vector):
                        vectors = sorted(state.reading.mentions.vectors, key=lambda v: v.start)
                        more_rows(state, slot, item[1], vectors)
                    break
            if slot.name in state.found:
                break
        if slot.name in state.found:
            continue
        word = named_word.search(work)  # name=word: an enum value or a free-text word right after the name
        if word and slot.wants_names and not is_name_like(word.group(1)):
            continue  # "My model: epoch 1 …" names no model
        if word and word.start(1) not in state.taken:
            ok, value = coerce(slot, word.group(1))
            if ok and value is not None and not (slot.numeric and isinstance(value, str)):
                state.place(slot, value, word.start(1))


_PATTERNS: dict[tuple[str, str], tuple[list[re.Pattern[str]], re.Pattern[str]]] = {}


def _short_form(state: FillState, slot: Slot) -> re.Pattern[str] | None:
    """ "batch=4", "context: 8k": the first word of a longer slot name, assigned with "=" or ":", names the
    slot when no other slot of the tool starts with (or is) that word (words before a "=" are cut from a
    value's context, so only this reads them)."""
    first = slot.name.split("_", 1)[0]
    if "_" not in slot.name or len(first) < 4:
        return None
    if any(other is not slot and other.name.split("_", 1)[0] == first for other in state.tool.slots):
        return None
    return re.compile(rf"(?<![\w\-]){re.escape(first)}\s*[=:]\s*", re.IGNORECASE)


def _explicit_patterns(slot: Slot) -> tuple[list[re.Pattern[str]], re.Pattern[str]]:
    """The slot's name (and symbol) followed by a value ("kernel size 3", "T=4"), and by a word; compiled
    once per slot."""
    key = (slot.name, slot.description)
    cached = _PATTERNS.get(key)
    if cached is None:
        forms = []
        for form in [slot.name, *slot.symbols]:
            joiner = r"\s*(?:=|:|\s)\s*" if len(form) <= 2 else r"\s*(?:=|:|\bis\b|\bof\b|\bto\b|\bat\b)?\s*"
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


def place_choices(state: FillState) -> None:
    """Enum values named in the text, the other names the notes give them, and description synonyms such as
    "bits" for base 2. One word names one choice: a word several slots accept ("fp8" for the weights or the
    KV cache, a preset for the model or the draft model) goes to the slot the words around it name, else to
    the first such slot."""
    work = state.reading.work
    slots = [slot for slot in state.open() if slot.enum or slot.item_enum]
    found = {slot.name: _choice_hits(state, slot) for slot in slots}
    spans: dict[int, int] = {}
    for index, slot in enumerate(slots):
        hits = [hit for hit in found[slot.name] if hit[0] not in spans]
        later = slots[index + 1 :]
        hits = [
            hit
            for hit in hits
            if not any(
                hit[:2] in {h[:2] for h in found[other.name]}
                and around(state, other, hit[0], hit[1]) > max(around(state, slot, hit[0], hit[1]), 1.5)
                for other in later
            )
        ]
        listed = [hit for hit in hits if hit[2] in slot.item_enum]
        kept = listed if listed else hits[:1]
        if not kept:
            continue
        state.found[slot.name] = list(dict.fromkeys(hit[2] for hit in kept)) if listed else kept[0][2]
        spans.update((start, end) for start, end, _ in kept)
        state.chosen_at.update((start, slot.name) for start, _, _ in kept)
    # the numbers of a name that is a choice ("4090", "llama 3 70b") are not values of their own
    for number in state.reading.mentions.numbers:
        if any(start <= number.start < end for start, end in spans.items()):
            state.taken.add(number.start)
    spoken = {fold(word) for word in _WORD.findall(work.lower())}
    for slot in state.open():
        for word, value in slot.synonyms.items():
            if word in spoken:
                state.found[slot.name] = value
                break


_LETTERS = re.compile(r"(?<![\w\-])[a-z](?:(?:[ \t]*[,/、+][ \t]*|[ \t]+)[a-z])+(?![\w\-])", re.IGNORECASE)


def _choice_hits(state: FillState, slot: Slot) -> list[tuple[int, int, Any]]:
    """Where the text names each choice of ``slot``: (start, end, value), in text order."""
    keys, raw = state.reading.keys, state.reading.text
    hits: list[tuple[int, int, Any]] = []
    alias: set[int] = set()  # hits through another name: where two choices meet, the one named outright wins
    for option, spellings, chinese in _option_names(slot):
        spelled = next((k for k in spellings if k in keys), None)
        span = keys[spelled] if spelled is not None else None
        if span is None:
            at = next((raw.find(name) for name in chinese if name in raw), None)
            span = (at, at + 1) if at is not None else None
        if span is not None:
            if spelled != spellings[0]:
                alias.add(len(hits))
            hits.append((span[0], span[1], option))
    hits = [hit for _, hit in sorted(enumerate(hits), key=lambda pair: (pair[1][0], pair[0] in alias))]
    letters = {str(option).lower() for option in slot.item_enum if len(str(option)) == 1}
    for match in _LETTERS.finditer(state.reading.work) if len(letters) >= 2 else ():
        run = [
            (m.start() + match.start(), m.group().lower()) for m in re.finditer(r"[a-z]", match.group(), re.I)
        ]
        if len(run) <= len(letters) and all(letter in letters for _, letter in run):  # "q k v o": one each
            hits += [
                (at, at + 1, next(o for o in slot.item_enum if str(o).lower() == letter))
                for at, letter in run
            ]
    # "q k v" names three projections, not the fused "qkv" its letters spell
    hits = [hit for hit in hits if sum(hit[0] < other[0] < hit[1] for other in hits) < 2]
    return sorted(hits, key=lambda hit: hit[0])


_OPTIONS: dict[tuple[str, str], list[tuple[Any, tuple[str, ...], tuple[str, ...]]]] = {}


def _option_names(slot: Slot) -> list[tuple[Any, tuple[str, ...], tuple[str, ...]]]:
    """Each string choice of a slot with the normalised spellings that name it — the value itself, its
    inflections ("fully" for full), the notes' names for it — and its Chinese names; computed once."""
    key = (slot.name, repr([*slot.enum, *slot.item_enum]))
    cached = _OPTIONS.get(key)
    if cached is None:
        cached = []
        families = _family_names([*slot.enum, *slot.item_enum])
        for option in [*slot.enum, *slot.item_enum]:
            value = norm(option) if isinstance(option, str) else ""
            if len(value) < 2 or value.isdigit():
                continue
            spellings = [value] + ([value + "y", value + "ly", value + "s"] if len(value) >= 4 else [])
            spellings += [name for name, meant in families.items() if meant == option]
            if "projection" in slot.description.lower():
                spellings.append(value + "proj")  # "q_proj", "down_proj": the module names
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


_SIZED = re.compile(r"([a-z]+)[0-9.\-]*-([0-9]+(?:\.[0-9]+)?b)")
_NUMBERED = re.compile(r"[a-z]+-([0-9]{3,})")


def _family_names(options: list[Any]) -> dict[str, Any]:
    """Presets by family and size without the version ("qwen 7b" → qwen2.5-7b, "llama 70b" →
    llama-3.1-70b: the last preset listed of that family and size, the newest in the schema's order), and by
    their model number alone ("4090" → rtx-4090); a spelling that is itself a preset keeps meaning that
    preset ("llama 7b" is llama-7b)."""
    exact = {norm(option) for option in options if isinstance(option, str)}
    names: dict[str, Any] = {}
    for option in options:
        if not isinstance(option, str):
            continue
        sized, numbered = _SIZED.fullmatch(option.lower()), _NUMBERED.fullmatch(option.lower())
        name = norm(sized.group(1) + sized.group(2)) if sized else numbered.group(1) if numbered else ""
        if name and name not in exact:
            names[name] = option
    return names


def place_booleans(state: FillState) -> None:
    """A boolean slot named in the text is true, unless a negation comes just before it; a hyphen inside a
    word is no break in it ("bi-directional" names ``bidirectional``, "pre-trained" ``pretrained``)."""
    lowered = _JOINED.sub("", state.reading.work.lower())
    for slot in state.open():
        if slot.types - {"null"} != {"boolean"}:
            continue
        match = re.search(rf"(?<![\w\-]){_spoken(slot.name)}", lowered)
        if match is None:
            continue
        said = _SAID_VALUE.match(lowered, match.end())  # "bias=False", "bias: no"
        if said is not None:
            state.found[slot.name] = said.group(1) in ("true", "yes", "1", "on")
            continue
        before = re.findall(r"[a-z']+", lowered[max(0, match.start() - 24) : match.start()])[-2:]
        state.found[slot.name] = not any(word in _NEGATIONS for word in before)


def place_names(state: FillState) -> None:
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


def place_quoted(state: FillState) -> None:
    """A lone required free-text slot takes a quoted phrase, else is left for the caller to fill (the
    request minus its instruction, or a note's name)."""
    open_slots = [slot for slot in state.open() if slot.required and "string" in slot.types and not slot.enum]
    if len(open_slots) == 1 and state.reading.mentions.quoted:
        state.found[open_slots[0].name] = state.reading.mentions.quoted[0][2]
