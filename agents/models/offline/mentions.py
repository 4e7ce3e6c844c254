"""The values a request writes down, found in one pass each: numbers with their scale and unit, sizes such as
"5×5" or "224x224", lists (bracketed, or unbracketed runs like "2.1, 1.5, 1.0" and "1.2、0.8、0.5"), nested
structures, names such as "ResNet-50" or "VGG16's", and quoted text.

Slot filling (:mod:`agents.models.offline.slots`) decides which parameter each value belongs to; this module
only reads them. Every scan is linear in the text (no pattern here can backtrack over its input).
"""

from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from agents.models.offline.cards import card_counts

__all__ = [
    "CJK_DIGITS",
    "SCALES",
    "STEM",
    "Mentions",
    "Name",
    "Number",
    "Size",
    "Structure",
    "Vector",
    "is_name_like",
    "read_mentions",
]

SCALES: dict[str, float] = {
    "k": 1e3,
    "thousand": 1e3,
    "千": 1e3,
    "万": 1e4,
    "m": 1e6,
    "million": 1e6,
    "百万": 1e6,
    "千万": 1e7,
    "亿": 1e8,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "g": 1e9,
    "t": 1e12,
    "trillion": 1e12,
}
"""Multipliers a number may carry ("5M", "3 亿", "7B")."""

_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.\-])(-?(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9.])|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
    r"(?:[eE][-+]?[0-9]{1,3})?)(?![0-9])"
    r"|(?<![A-Za-z])(nan|-?inf|null)(?![A-Za-z])",
    re.IGNORECASE,
)
_AFTER = re.compile(
    r"[ ]?(?P<scale>thousand|million|billion|trillion|bn|百万|千万|万|亿|千|[kKmMbBgGtT](?![a-zA-Z]))?"
    # a word followed by "=" or ":" names the next value ("p=0.3,0.7 q=0.5,0.5"), it is no unit of this one
    r"(?P<percent>%)?[ \-]?(?P<unit>[A-Za-z][A-Za-z\-]{0,15}(?![A-Za-z\-])(?!\s*[=:])|[\u4e00-\u9fff]{1,2})?"
)
_WORD_NUMBERS: dict[str, float] = {
    "one": 1.0,
    "two": 2.0,
    "three": 3.0,
    "four": 4.0,
    "five": 5.0,
    "six": 6.0,
    "seven": 7.0,
    "eight": 8.0,
    "nine": 9.0,
    "ten": 10.0,
    "eleven": 11.0,
    "twelve": 12.0,
    "thirteen": 13.0,
    "fourteen": 14.0,
    "fifteen": 15.0,
    "sixteen": 16.0,
    "seventeen": 17.0,
    "eighteen": 18.0,
    "nineteen": 19.0,
    "twenty": 20.0,
    "thirty": 30.0,
    "forty": 40.0,
    "fifty": 50.0,
    "sixty": 60.0,
    "dozen": 12.0,
    "pair of": 2.0,
}
"""Counts written as words ("two 3090s", "a pair of H100", "sixteen images"). Left out as words that are
seldom counts: "one" ("which one is bigger"), "zero" ("zero-shot"), "double" and "dual" ("double
quantization", "dual encoder")."""
_WORD_NUMBER = re.compile(
    r"(?<![\w\-])("
    + "|".join(sorted((w.replace(" ", r"\s+") for w in _WORD_NUMBERS if w != "one"), key=len, reverse=True))
    + r")"
    r"(?:-(one|two|three|four|five|six|seven|eight|nine))?(?![\w\-])",
    re.IGNORECASE,
)
CJK_DIGITS: dict[str, int] = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CJK_COUNT = re.compile(
    r"(?<![\u4e00-\u9fff0-9])([一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九]|单|双)"
    r"(?=[张块卡台路类层位种])"
)
"""A Chinese count up to 99 before its measure word ("两张", "四卡", "八类", "单卡", "十六路", "二十四张");
"一个" is left out ("一个公平骰子" is "a fair die")."""
_SIZE = re.compile(r"(?<![A-Za-z0-9_.])([0-9]{1,6})(?:[ ]?[x×X*][ ]?([0-9]{1,6})){1,3}(?![0-9.])")
_SIZE_PARTS = re.compile(r"[0-9]{1,6}")
_RUN_GAP = re.compile(r"[ \t]*(?:[,;/]|->|→|=>|\band\b|和|与|及)?[ \t]*")
_CONJUNCTION = ("and", "和", "与", "及")
"""Words that join two values into one list ("labels 0 and 1", "标签 0 和 1")."""
_NAME = re.compile(r"(?<![0-9])[A-Za-z][A-Za-z0-9]*(?:[\-_/.][A-Za-z0-9]+)*(?:'s|’s)?")
# A family name written apart from its version and variant: "resnet 101", "vit b16", "mobilenet v3 small".
STEM = "~"
"""Marks a family name in the ``known`` names ("~resnet"): written apart from a version, they are one name."""
_VERSION = re.compile(r"(?:[ \-_]?(?:[A-Za-z]{0,2}[0-9]{1,3}[A-Za-z]?|[Vv][0-9]))+(?![\w.])")
_VARIANT = re.compile(r"[ \-_](?:small|large|tiny|base|huge|nano|medium|mini)\b", re.IGNORECASE)
_SIZE_LETTER = re.compile(r"[ \-_]([A-Za-z][0-9]?)(?![\w\-])")
_HEAD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_TAIL = re.compile(
    r"(?:[\-_](?:small|large|tiny|base|huge|nano|medium|mini|[A-Za-z]{0,2}[0-9]{1,3}[A-Za-z]?|[A-Za-z]))+",
    re.IGNORECASE,
)
_QUANTITY = re.compile(r"^[0-9]+(?:\.[0-9]+)?(?:[a-z]{1,3}|x[0-9]+)?$")
_QUOTED = re.compile(r"\"([^\"\n]{1,200})\"|'([^'\n]{2,200})'")
_NONFINITE = {"nan": None, "null": None, "inf": math.inf, "-inf": -math.inf}


@dataclass(frozen=True)
class Number:
    """A number as written, with what follows it."""

    start: int
    end: int
    value: float | None
    """The number itself (``None`` for nan/null; ``inf`` for infinity), scale not applied."""
    text: str
    scale: str = ""
    """Multiplier as written ("M", "亿", "B"), lower case; see :data:`SCALES`."""
    unit: str = ""
    """The word right after ("gb", "layers", "bits", "epoch", "的"), lower case."""
    percent: bool = False

    @property
    def integer(self) -> bool:
        return self.value is not None and math.isfinite(self.value) and float(self.value).is_integer()

    @property
    def scaled(self) -> float | None:
        """The value with its multiplier applied ("5M" → 5,000,000)."""
        if self.value is None:
            return None
        return self.value * SCALES.get(self.scale, 1.0)


@dataclass(frozen=True)
class Size:
    """ "5×5", "224x224", "3x224x224": a kernel, an input size or a shape."""

    start: int
    end: int
    parts: tuple[int, ...]


@dataclass(frozen=True)
class Vector:
    """A list of numbers: bracketed ("[0.5, 0.5]") or an unbracketed run ("2.1, 1.5, 1.0")."""

    start: int
    end: int
    values: tuple[float | None, ...]
    bracketed: bool
    parts: tuple[Number, ...] = ()
    """The numbers of an unbracketed run, each where it is written (so a run no list slot takes can still
    give its numbers to scalar slots: "nn.Linear(1024, 4096)")."""


@dataclass(frozen=True)
class Structure:
    """A bracketed value that is not a flat list of numbers: a matrix, a list of names or objects, an
    object."""

    start: int
    end: int
    value: Any


@dataclass(frozen=True)
class Name:
    """A name-like word ("ResNet-50", "vgg16", "ViT-B/16"), possessive removed."""

    start: int
    end: int
    text: str


@dataclass
class Mentions:
    numbers: list[Number] = field(default_factory=list)
    """Numbers that are not part of a list or a size."""
    sizes: list[Size] = field(default_factory=list)
    vectors: list[Vector] = field(default_factory=list)
    structures: list[Structure] = field(default_factory=list)
    names: list[Name] = field(default_factory=list)
    quoted: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        """Whether the request carries values to compute with (numbers, lists or sizes)."""
        return bool(self.numbers or self.sizes or self.vectors or self.structures)


def is_name_like(token: str) -> bool:
    """An identifier such as "ResNet-50", "vit_b_16", "AlexNet" (letters with digits, or an inner capital),
    but not a quantity such as "7B", "24GB" or "3x3"."""
    token = token.strip("'\"`.,:;()")
    if len(token) < 3 or _QUANTITY.match(token.lower()) or token.lower() in ("nan", "inf", "null", "none"):
        return False
    if any(c.isalpha() for c in token) and any(c.isdigit() for c in token):
        return True
    return re.search(r"[a-z][A-Z]", token) is not None


def _bracket_spans(text: str) -> list[tuple[int, int]]:
    """Top-level balanced ``[...]`` / ``{...}`` / numeric ``(...)`` spans, in one pass."""
    spans, depth, start, opener = [], 0, 0, ""
    closing = {"[": "]", "{": "}"}
    for i, char in enumerate(text):
        if depth == 0 and char in closing:
            depth, start, opener = 1, i, char
        elif depth and char == opener:
            depth += 1
        elif depth and char == closing.get(opener):
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


_FRACTION = re.compile(r"(?<![\w.])(\d{1,9}(?:\.\d+)?)\s{0,3}/\s{0,3}(\d{1,9}(?:\.\d+)?)(?![\w.])")


def _literal(source: str) -> Any:
    if "/" in source:  # "[1/6, 1/6, …]": fractions as their values
        source = _FRACTION.sub(lambda m: repr(float(m[1]) / float(m[2])) if float(m[2]) else m[0], source)
    try:
        return json.loads(source)
    except ValueError:
        pass
    try:
        return ast.literal_eval(re.sub(r"(?i)\b(?:nan|null|none)\b", "None", source))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _numeric(item: Any) -> bool:
    return item is None or (isinstance(item, int | float) and not isinstance(item, bool))


def read_mentions(text: str, known: frozenset[str] = frozenset()) -> Mentions:
    """Every value ``text`` writes down, each at most once (a number inside a list is part of the list).
    ``known``: normalised names that count as names even when they do not look like one ("googlenet")."""
    found = Mentions()
    taken = bytearray(len(text) + 1)  # 1 where a value already sits

    def free(start: int, end: int) -> bool:
        return not any(taken[start:end])

    def take(start: int, end: int) -> None:
        taken[start:end] = b"\x01" * (end - start)

    for start, end in _bracket_spans(text):
        value = _literal(text[start:end])
        if isinstance(value, list) and value and all(_numeric(item) for item in value):
            found.vectors.append(Vector(start, end, tuple(_float(item) for item in value), True))
        elif isinstance(value, list | dict) and value:
            found.structures.append(Structure(start, end, value))
        else:
            continue
        take(start, end)
    for match in _QUOTED.finditer(text):
        if free(*match.span()):
            found.quoted.append((match.start(), match.end(), match.group(1) or match.group(2)))
    counted, count_starts = card_counts(text, known)  # "4x4090", "2x24GB": counts of cards, no sizes
    for match in _SIZE.finditer(text):
        if free(*match.span()) and match.start() not in count_starts:
            parts = tuple(int(part) for part in _SIZE_PARTS.findall(match.group()))
            found.sizes.append(Size(match.start(), match.end(), parts))
            take(*match.span())
    stems = _stems(known)
    for match in _NAME.finditer(text):
        token = re.sub(r"['’]s$", "", match.group())
        if not free(match.start(), match.end()):
            continue
        end = match.start() + len(token)
        if token == match.group() and _norm(token) in stems:
            version = _VERSION.match(text, end)
            if version is not None and free(*version.span()):
                end = version.end()
            code = _SIZE_LETTER.match(text, end)  # "swin t": a known name with its size letter apart
            if version is None and code is not None and _norm(token + code.group(1)) in known:
                end = code.end()
        joined = end > match.start() + len(token)
        named = joined or is_name_like(token) or _norm(token) in known
        variant = _VARIANT.match(text, end) if named else None
        if variant is not None:
            end = variant.end()
        token = text[match.start() : end]
        head = _HEAD.match(token)
        # "convnext-tiny", "swin_t": a known family with its variant written onto it
        dashed = head is not None and len(head.group()) < len(token)
        dashed = dashed and _known_head(head.group() if head else "", known, stems)
        dashed = dashed and _TAIL.fullmatch(token, head.end() if head else 0) is not None
        named_here = dashed or is_name_like(token) or _norm(token) in known
        if (named and (joined or variant is not None)) or named_here:
            found.names.append(Name(match.start(), end, token))
            take(match.start(), max(end, match.end()))
    found.names = _shared_family(text, found.names, take)
    numbers = [number for number in _numbers(counted) if free(number.start, number.end)]
    _group_runs(text, numbers, found)
    return found


_FAMILY = re.compile(r"([A-Za-z][A-Za-z_\-]*?)[ \-_]?([0-9]{1,3})")
_SIBLING = re.compile(
    r"[ \t]*(?:[,/、]|\band\b|\bor\b|\bvs\.?|[和与或])[ \t]*([0-9]{1,3})(?![0-9.%])"
    r"(?![ \t]*(?!(?:and|or|vs)\b)[A-Za-z])"
)


def _shared_family(text: str, names: list[Name], take: Any) -> list[Name]:
    """Versions written after one family name are names of their own: "resnet18/34/50", "resnet 18、34、50"
    (ResNet-18, -34 and -50). A version followed by a word ("resnet50 and 8 images") is a number."""
    expanded: list[Name] = []
    for name in names:
        parts = name.text.split("/")
        family = _FAMILY.fullmatch(parts[0])
        if family is None or not all(part.isdigit() and len(part) <= 3 for part in parts[1:]):
            expanded.append(name)  # "ViT-B/16" is one name
            continue
        start = name.start
        for part in parts:
            text_of = part if part is parts[0] else family.group(1) + part
            expanded.append(Name(start, start + len(part), text_of))
            start += len(part) + 1
        end = name.end
        while (sibling := _SIBLING.match(text, end)) is not None:
            expanded.append(Name(sibling.start(1), sibling.end(1), family.group(1) + sibling.group(1)))
            take(sibling.start(1), sibling.end(1))
            end = sibling.end(1)
    return expanded


def _known_head(head: str, known: frozenset[str], stems: frozenset[str]) -> bool:
    return _norm(head) in known or _norm(head) in stems


@lru_cache(maxsize=32)
def _stems(known: frozenset[str]) -> frozenset[str]:
    """Family names that may be written apart from their version ("resnet" in "resnet 101"): the entries of
    ``known`` marked with :data:`STEM` (see :func:`agents.models.offline.reading.known_names`)."""
    return frozenset(name[len(STEM) :] for name in known if name.startswith(STEM))


def _norm(token: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", token.lower())


def _float(item: Any) -> float | None:
    return None if item is None else float(item)


def _cjk_count(written: str) -> float | None:
    if written in ("单", "双"):
        return 1.0 if written == "单" else 2.0
    if not written or written == "一":
        return None
    tens, _, units = written.rpartition("十")
    if "十" not in written:
        return float(CJK_DIGITS[written])
    return float((CJK_DIGITS.get(tens, 1) if tens else 1) * 10 + (CJK_DIGITS.get(units, 0) if units else 0))


def _word_numbers(text: str) -> list[Number]:
    """Counts written as words, each with the word after it as its unit ("two 3090s", "四卡")."""
    found = []
    for match in _WORD_NUMBER.finditer(text):
        value = _WORD_NUMBERS[" ".join(match.group(1).lower().split())]
        if match.group(2):
            value += _WORD_NUMBERS[match.group(2).lower()]
        after = _AFTER.match(text, match.end())
        unit = (after.group("unit") or "").lower() if after is not None else ""
        found.append(Number(match.start(), match.end(), value, match.group(), unit=unit))
    for match in _CJK_COUNT.finditer(text):
        count = _cjk_count(match.group(1))
        if count is not None:
            found.append(Number(match.start(), match.end(), count, match.group(), unit=text[match.end()]))
    return found


def _numbers(text: str) -> list[Number]:
    numbers = _word_numbers(text)
    for match in _NUMBER.finditer(text):
        if match.group(2):
            word = match.group(2).lower()
            numbers.append(Number(match.start(), match.end(), _NONFINITE[word], match.group()))
            continue
        raw = match.group(1)
        if text[max(0, match.start() - 3) : match.start()].rstrip().endswith("第"):
            continue  # "第3个 epoch": an ordinal says which one, it is no quantity
        try:
            value = float(raw.replace(",", ""))
        except ValueError:
            continue
        after = _AFTER.match(text, match.end())
        scale = unit = ""
        percent = False
        end = match.end()
        if after is not None:
            scale = (after.group("scale") or "").lower()
            unit = (after.group("unit") or "").lower()
            percent = bool(after.group("percent"))
            if scale and not unit and after.group("scale")[0] in "bBgG" and len(after.group("scale")) == 1:
                unit = ""  # "7B", "24G": the slot decides whether it means billions/gigabytes
            end = max(after.end("scale"), after.end("percent"), match.end())
        numbers.append(Number(match.start(), end, value, raw, scale, unit, percent))
    return sorted(numbers, key=lambda number: number.start)


def _group_runs(text: str, numbers: list[Number], found: Mentions) -> None:
    """Numbers separated only by commas, spaces, "、" or arrows, with no unit between them, form a list."""
    run: list[Number] = []

    def close() -> None:
        if len(run) >= 3 or (len(run) == 2 and _listy(text, run)):
            values = tuple(number.value for number in run)
            if all(number.percent for number in run):  # "20% 和 80%": probabilities
                values = tuple(None if value is None else value / 100 for value in values)
            found.vectors.append(Vector(run[0].start, run[-1].end, values, False, tuple(run)))
        else:  # a lone "nan" or "inf" is a word, not a value
            found.numbers.extend(
                number for number in run if number.value is not None and math.isfinite(number.value)
            )
        run.clear()

    for number in numbers:
        joins = (
            run
            and not run[-1].scale
            and run[-1].percent == number.percent
            and not number.scale
            and _RUN_GAP.fullmatch(text, run[-1].end, number.start) is not None
            and (run[-1].unit == "" or run[-1].unit in _CONJUNCTION)
        )
        if not joins:
            close()
        run.append(number)
    close()


def _listy(text: str, pair: list[Number]) -> bool:
    """Two numbers are a list (not two separate values) when a comma-like mark joins them and no word
    follows the second ("val loss 2.2, 1.7")."""
    gap = text[pair[0].end : pair[1].start]
    joined = pair[0].unit in _CONJUNCTION or any(word in gap for word in _CONJUNCTION)
    named = _NAMED.search(text, max(0, pair[0].start - 12), pair[0].start) is not None and not gap.strip()
    return ("," in gap or ";" in gap or joined or named) and pair[1].unit in _NO_UNIT


_NO_UNIT = frozenset({"", *_CONJUNCTION, "on", "in", "at", "for", "with", "of", "to", "from", "by", "each"})
"""Words after a number that are no unit of it ("lr 0.5 and 2e-1 on beale")."""


_NAMED = re.compile(r"(?<![A-Za-z])[A-Za-z]{1,12}[ \t]*[=:][ \t]*$")
"""A list's name assigned right before it ("q = 0.5 0.5"): two numbers apart by a space are its values."""
