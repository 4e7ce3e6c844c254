"""What the offline model reads from a tool spec: its name, words, Chinese terms and parameter slots.

Everything comes from the spec the model is offered (name, description, JSON schema of the parameters), never
from a list kept elsewhere.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from agents.models.offline.language import fold, norm, words

__all__ = ["Slot", "ToolView", "phrases", "spoken"]

_CJK_TERM = re.compile(r"[A-Za-z]{0,4}[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ARROW = re.compile(r"([\w.\-]+)\s*(?:→|->|=>|=|:)\s*([A-Za-z][\w\-]*)(?:\s*\(([A-Za-z][\w\-]*)\))?")
_ONLY_ARROW = re.compile(r"([\w.\-]+)\s*(?:→|->|=>)\s*([A-Za-z][\w\-]*)(?:\s*\(([A-Za-z][\w\-]*)\))?")
"""Arrows alone, read first: in "Log base: e → nats" the colon must not take the "e" that the arrow maps."""


@dataclass
class Slot:
    """One parameter of a tool, reduced to what argument filling needs."""

    name: str
    types: set[str]
    """JSON types accepted (``integer``, ``number``, ``boolean``, ``string``, ``array``, ``object``,
    ``null``)."""
    description: str
    required: bool
    default: Any = None
    enum: list[Any] = field(default_factory=list)
    """Allowed scalar values (from ``enum``/``const``, across ``anyOf`` branches)."""
    item_types: set[str] = field(default_factory=set)
    """For arrays: the item types (``array`` items mean a matrix)."""
    item_enum: list[Any] = field(default_factory=list)
    """For arrays of enum values (e.g. several model names)."""
    item_vector: tuple[str, int] | None = None
    """For arrays of objects whose one required field is a fixed-length list of numbers (``{"box": [4
    numbers]}``): that field and its length, so a bare list of that length is one item."""
    minimum: float | None = None
    maximum: float | None = None
    synonyms: dict[str, Any] = field(default_factory=dict)
    """Words the description maps to enum values ("2 → bits" gives ``bits`` → ``"2"``)."""

    @cached_property
    def name_words(self) -> list[str]:
        parts = [fold(part) for part in self.name.split("_") if part]
        spelled = re.match(r"\s*([A-Za-z]{3,})\b", self.description)
        if len(self.name) <= 2 and spelled and spelled.group(1).lower().startswith(self.name.lower()):
            parts.append(fold(spelled.group(1).lower()))  # r: "Rank (…)": the word the letter stands for
        return parts

    @cached_property
    def keywords(self) -> set[str]:
        """Its name and description words; not those of a "Required unless …" clause, which names another
        slot (:func:`_conditions`)."""
        return set(self.name_words) | set(words(_CONDITION.split(self.description, maxsplit=1)[0]))

    @cached_property
    def symbols(self) -> list[str]:
        """The symbol a description names the slot by: "C_in, channels of the input" → ``C_in``, "T: logits
        are divided by T" → ``T`` (so "T=4" or "C_in = 3" fill it)."""
        match = re.match(r"\s*([A-Za-zα-ω][A-Za-z0-9_]{0,5})\s*[,:]\s", self.description)
        return [match.group(1)] if match and match.group(1).lower() != self.name.lower() else []

    @cached_property
    def lead_words(self) -> set[str]:
        """The first words of the description, which usually say what the slot is ("Rank …")."""
        return set(words(self.description)[:3])

    @cached_property
    def wants_names(self) -> bool:
        """A free-text slot (or list) that holds names ("Zoo name, e.g. 'ResNet-50'")."""
        free = ("string" in self.types and not self.enum) or (
            "array" in self.types and "string" in self.item_types and not self.item_enum
        )
        return free and re.search(r"\bnames?\b", self.description.lower()) is not None

    @cached_property
    def numeric(self) -> bool:
        return bool(self.types & {"integer", "number"}) and not self.enum

    @cached_property
    def is_vector(self) -> bool:
        return "array" in self.types and bool(self.item_types & {"number", "integer"})

    @cached_property
    def is_matrix(self) -> bool:
        return "array" in self.types and "array" in self.item_types


@dataclass
class ToolView:
    """A tool spec as the offline model sees it."""

    name: str
    description: str
    slots: list[Slot]
    name_words: list[str]
    summary: str
    """The first line of the description."""
    desc_words: set[str]
    summary_words: set[str]
    head_words: set[str]
    """Words of the first line's head: what the tool computes ("Parameters" of a convolution, "GPU memory"
    of fine-tuning), not what it is about."""
    cjk_terms: list[str]
    """Chinese terms in the description ("信息熵", "KL散度"), longest first."""
    enum_values: dict[str, list[str]]
    """Normalised enum value → slot names that accept it."""
    phrases: set[tuple[str, ...]] = field(default_factory=set)
    """Two- and three-word phrases of the description."""
    alternatives: list[tuple[str, str]] = field(default_factory=list)
    """Optional slots that stand in for each other ("Model size in billions, instead of base"): a call needs
    one of each pair even though the schema requires neither."""
    conditions: list[tuple[str, str]] = field(default_factory=list)
    """``(slot, flag)``: a slot the schema leaves optional that the call still needs unless the boolean
    ``flag`` is on ("C_out …; Required unless depthwise"); the view marks it required."""

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> ToolView:
        function = spec.get("function", spec)
        name = function["name"]
        description = function.get("description") or ""
        schema = function.get("parameters") or {}
        slots = _slots(schema)
        conditions = _conditions(slots)
        needed = {
            name for name, _ in conditions
        }  # filled as required ones are; asked for unless the flag is on
        slots = [replace(slot, required=True) if slot.name in needed else slot for slot in slots]
        enum_values: dict[str, list[str]] = {}
        for slot in slots:
            for value in [*slot.enum, *slot.item_enum]:
                if isinstance(value, str) and len(norm(value)) >= 2:
                    enum_values.setdefault(norm(value), []).append(slot.name)
        summary = _first_sentence(description)
        terms = sorted(set(_CJK_TERM.findall(description)), key=len, reverse=True)
        return cls(
            name=name,
            description=description,
            slots=slots,
            name_words=[fold(part) for part in name.split("_") if part],
            summary=summary,
            desc_words=set(words(description)),
            summary_words=set(words(summary)),
            head_words=_head_words(summary),
            cjk_terms=terms,
            enum_values=enum_values,
            phrases=phrases(description),
            alternatives=_alternatives(slots),
            conditions=conditions,
        )

    def slot(self, name: str) -> Slot | None:
        return next((slot for slot in self.slots if slot.name == name), None)

    @cached_property
    def summary_stems(self) -> dict[str, str]:
        """First-line words by their first five letters: "parameters" finds the stem "param" of "params"."""
        return {word[:5]: word for word in sorted(self.summary_words) if len(word) >= 5}

    @cached_property
    def spoken_name(self) -> re.Pattern[str]:
        """The tool's name as prose may write it: "kl_divergence", "KL divergence", "kl-divergence"."""
        return re.compile(rf"(?<![a-z0-9]){spoken(self.name)}(?![a-z0-9])")

    @cached_property
    def spoken_slots(self) -> list[re.Pattern[str]]:
        """Each parameter name (longer than two letters) as prose may write it."""
        return [
            re.compile(rf"(?<![a-z]){spoken(slot.name)}(?![a-z])")
            for slot in self.slots
            if len(slot.name) > 2
        ]

    @cached_property
    def value_aliases(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """The notes' other names of the enum values (normalised Latin ones, Chinese ones as written)."""
        from agents.models.offline.vocabulary import value_names

        latin: set[str] = set()
        chinese: list[str] = []
        for value in list(self.enum_values)[:64]:
            for name in value_names(value):
                if re.search(r"[\u3400-\u9fff]", name):
                    chinese.append(name)
                elif len(norm(name)) >= 3:
                    latin.add(norm(name))
        return frozenset(latin), tuple(chinese)


def spoken(name: str) -> str:
    """A regex body for an identifier as prose writes it: parts joined by spaces, "_" or "-"."""
    return r"[\s_\-]*".join(re.escape(part) for part in name.lower().split("_") if part)


def _alternatives(slots: list[Slot]) -> list[tuple[str, str]]:
    by_name = {slot.name: slot for slot in slots}
    pairs = []
    for slot in slots:
        match = re.search(r"\binstead of (?:the )?`?([a-z_][a-z0-9_]*)`?", slot.description)
        primary = by_name.get(match.group(1)) if match else None
        if primary is not None and not slot.required and not _has_default(primary):
            pairs.append((primary.name, slot.name))
    return pairs


_CONDITION = re.compile(r"\b[Rr]equired unless `?([a-z_][a-z0-9_]*)`?")


def _conditions(slots: list[Slot]) -> list[tuple[str, str]]:
    flags = {slot.name for slot in slots if slot.types - {"null"} == {"boolean"}}
    pairs = []
    for slot in slots:
        match = _CONDITION.search(slot.description)
        if match is not None and match.group(1) in flags and not slot.required:
            pairs.append((slot.name, match.group(1)))
    return pairs


def _has_default(slot: Slot) -> bool:
    """The slot's schema or description states what it is when left out ("Default: none, or what
    weight_bits says"): a call never needs it, nor its stand-in."""
    stated = re.search(r"\bdefaults?\s*(?:[:=]|is\b)", slot.description, re.IGNORECASE)
    return slot.default is not None or stated is not None


def _head_words(summary: str) -> set[str]:
    """The words before " of " / " between " / "(" / ":" ("Parameters" of a convolution, "GPU memory" of
    fine-tuning, "Compare zoo backbones" side by side)."""
    head = re.split(r"\s(?:of|between|from|for)\s|[(:]", summary, maxsplit=1)[0]
    return set(words(head))


def _first_sentence(description: str) -> str:
    line = description.strip().split("\n", 1)[0]
    match = re.search(r"(?<=\w{3}[.!?])\s|(?<=。)", line)
    return line[: match.start()] if match else line


def phrases(text: str) -> set[tuple[str, ...]]:
    """Two- and three-word phrases, stop words included ("what do you remember" is a phrase)."""
    raw = re.findall(r"[a-z][a-z0-9]*", text.lower())
    pairs = {(a, b) for a, b in itertools.pairwise(raw) if not (len(a) < 3 and len(b) < 3)}
    return pairs | set(zip(raw, raw[1:], raw[2:], strict=False))


def _resolve(node: Any, defs: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    if not isinstance(node, dict):
        return {}
    ref = node.get("$ref")
    if isinstance(ref, str) and depth < 10:
        target = defs.get(ref.rsplit("/", 1)[-1], {})
        merged = {**_resolve(target, defs, depth + 1), **{k: v for k, v in node.items() if k != "$ref"}}
        return merged
    return node


def _branches(node: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    node = _resolve(node, defs)
    for key in ("anyOf", "oneOf"):
        if isinstance(node.get(key), list):
            out: list[dict[str, Any]] = []
            for branch in node[key]:
                out.extend(_branches(branch, defs))
            return out
    return [node]


def _slots(schema: dict[str, Any]) -> list[Slot]:
    defs = schema.get("$defs") or schema.get("definitions") or {}
    required = set(schema.get("required") or ())
    slots = []
    for name, raw in (schema.get("properties") or {}).items():
        node = _resolve(raw, defs)
        slot = Slot(
            name=name,
            types=set(),
            description=str(node.get("description") or raw.get("description") or ""),
            required=name in required,
            default=node.get("default"),
        )
        for branch in _branches(node, defs):
            _absorb(slot, branch, defs)
        slot.synonyms = _synonyms(slot)
        slots.append(slot)
    return slots


def _absorb(slot: Slot, branch: dict[str, Any], defs: dict[str, Any]) -> None:
    kind = branch.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if "enum" in branch:
        slot.enum.extend(branch["enum"])
        kinds = kinds or sorted({_json_type(v) for v in branch["enum"]})
    if "const" in branch:
        slot.enum.append(branch["const"])
        kinds = kinds or [_json_type(branch["const"])]
    if not kinds and "properties" in branch:
        kinds = ["object"]
    slot.types.update(kinds)
    if "array" in kinds:
        for item in _branches(branch.get("items") or {}, defs):
            item_kind = item.get("type")
            if "enum" in item:
                slot.item_enum.extend(item["enum"])
                slot.item_types.add("string")
            elif item_kind:
                slot.item_types.update(item_kind if isinstance(item_kind, list) else [item_kind])
            elif "properties" in item:
                slot.item_types.add("object")
            if "properties" in item:
                slot.item_vector = slot.item_vector or _vector_field(item, defs)
    for bound, attr in (
        ("minimum", "minimum"),
        ("exclusiveMinimum", "minimum"),
        ("maximum", "maximum"),
        ("exclusiveMaximum", "maximum"),
    ):
        if bound in branch and getattr(slot, attr) is None:
            setattr(slot, attr, branch[bound])


def _vector_field(item: dict[str, Any], defs: dict[str, Any]) -> tuple[str, int] | None:
    required = list(item.get("required") or ())
    if len(required) != 1:
        return None
    field_schema = _resolve((item.get("properties") or {}).get(required[0]), defs)
    length = field_schema.get("minItems")
    numeric = _resolve(field_schema.get("items"), defs).get("type") in ("number", "integer")
    if field_schema.get("type") == "array" and numeric and length and length == field_schema.get("maxItems"):
        return required[0], int(length)
    return None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    return "string"


def _synonyms(slot: Slot) -> dict[str, Any]:
    """Words the description ties to an enum value: "e → nats, 2 → bits" maps nats → "e", bits → "2"."""
    if not slot.enum:
        return {}
    by_text = {str(value).lower(): value for value in slot.enum}
    found: dict[str, Any] = {}
    pairs = [*_ONLY_ARROW.findall(slot.description), *_ARROW.findall(slot.description)]
    for left, right, also in pairs:  # "2 → bits (log2)": bits and log2 mean 2
        if left.lower() in by_text and right.lower() not in by_text and fold(right) not in found:
            found[fold(right)] = by_text[left.lower()]
            if also:
                found[fold(also)] = by_text[left.lower()]
    return found
