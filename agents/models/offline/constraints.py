"""Numeric constraints in a request ("under 5 M parameters", "参数量小于 5M") checked against tool results.

The offline model reads simple bounds from the user's text, finds the numeric field or table column each one
is about by its name (a small vocabulary of ML quantities: parameters, MACs, FLOPs, memory, and otherwise the
word itself), and says in a sentence or two which rows meet them and which one it would pick. Nothing here
knows a particular tool: the rows and their column names come from the structured result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agents.models.offline.language import STOP_WORDS, fold
from agents.models.offline.mentions import CJK_DIGITS, SCALES

__all__ = ["Constraint", "conclude", "match_column", "parse_constraints"]

_NUMBER = r"(?<![\d.,])(?P<num>\d+(?:[.,]\d+)*(?:e[+-]?\d+)?)"
_SCALE = r"(?P<scale>thousand|million|billion|[kmbgtKMBGT](?![a-zA-Z])|百万|千万|万|亿|千)?"
_EN_OPS = {
    "under": "<",
    "below": "<",
    "less than": "<",
    "fewer than": "<",
    "smaller than": "<",
    "lower than": "<",
    "at most": "<=",
    "no more than": "<=",
    "not more than": "<=",
    "up to": "<=",
    "within": "<=",
    "max": "<=",
    "<=": "<=",
    "≤": "<=",
    "<": "<",
    "more than": ">",
    "greater than": ">",
    "larger than": ">",
    "bigger than": ">",
    "higher than": ">",
    "above": ">",
    "over": ">",
    "at least": ">=",
    "no less than": ">=",
    "not less than": ">=",
    "min": ">=",
    ">=": ">=",
    "≥": ">=",
    ">": ">",
}
_ZH_OPS = {
    "小于等于": "<=",
    "不超过": "<=",
    "不高于": "<=",
    "不大于": "<=",
    "至多": "<=",
    "最多": "<=",
    "小于": "<",
    "低于": "<",
    "少于": "<",
    "不到": "<",
    "大于等于": ">=",
    "不低于": ">=",
    "不少于": ">=",
    "不小于": ">=",
    "至少": ">=",
    "大于": ">",
    "高于": ">",
    "超过": ">",
    "多于": ">",
}
_ZH_SUFFIX = {"以内": "<=", "以下": "<=", "之内": "<=", "以上": ">="}


_CJK_LEAD = re.compile(r"([一二两三四五六七八九])(?=百万|千万|万|亿|千)")
"""A Chinese digit leading a scale ("一千万", "五百万", "两亿"): the number of the bound."""


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


# The words after the number are looked at, not consumed: "< 5M and at most 300M MACs" holds two bounds.
_EN_WORD = r"(?=\s{0,3}(?P<word>[a-z][a-z\-]*(?:\s+[a-z][a-z\-]*)?))"
_EN = re.compile(
    rf"(?<![\w-])(?P<op>{_alternation(list(_EN_OPS))})\s{{0,3}}{_NUMBER}\s{{0,3}}{_SCALE}{_EN_WORD}?",
    re.IGNORECASE,
)
# Every pattern is linear in the text: a word starts at a word boundary and is at most 40 letters, the
# Chinese context around an operator at most 16 characters (issue #14: an unbounded "[a-z]*" before the
# operator made 16k letters take 15 s).
_EN_BEFORE = re.compile(
    rf"(?<![a-z_\-])(?P<word>[a-z][a-z_\-]{{0,40}})\s{{0,3}}(?:of\s+|is\s+|are\s+)?(?P<op><=|>=|≤|≥|<|>)"
    rf"\s{{0,3}}{_NUMBER}\s{{0,3}}{_SCALE}",
    re.IGNORECASE,
)
_CJK = r"[\u3400-\u9fff]"
_ZH = re.compile(
    rf"(?P<before>(?:{_CJK}|[A-Za-z]){{0,16}}?)\s{{0,3}}(?P<op>{_alternation(list(_ZH_OPS))})\s{{0,3}}{_NUMBER}\s{{0,3}}{_SCALE}"
    rf"\s{{0,3}}(?P<word>(?:{_CJK}|[A-Za-z]){{0,16}})"
)
_ZH_TAIL = re.compile(
    rf"(?P<before>(?:{_CJK}|[A-Za-z]){{0,16}})\s{{0,3}}{_NUMBER}\s{{0,3}}{_SCALE}\s{{0,3}}(?P<word>(?:{_CJK}|[A-Za-z]){{0,16}}?)"
    rf"\s{{0,3}}(?P<op>{_alternation(list(_ZH_SUFFIX))})"
)


# Quantity families: a word of the request and a column name meet when they fold to the same family.
# "compute" is either MACs or FLOPs (users say 计算量 for both).
_FAMILIES: dict[str, tuple[str, ...]] = {
    "param": ("param", "parameter", "weight", "参数", "参数量"),
    "mac": ("mac", "madd", "multiply-add", "multiply-accumulate", "乘加", "乘加运算"),
    "flop": ("flop", "浮点运算"),
    "compute": ("compute", "computation", "op", "operation", "cost", "计算量", "运算量", "计算"),
    "memory": ("memory", "vram", "gib", "gb", "显存", "内存"),
    "loss": ("loss", "损失"),
    "accuracy": ("accuracy", "acc", "准确率", "精度"),
    "lr": ("lr", "learning-rate", "学习率"),
}
_COST_FAMILIES = {"param", "mac", "flop", "compute", "memory", "loss"}
_PREFERRED_FLAG = re.compile(r"pareto|front|optimal|best|recommend", re.IGNORECASE)


@dataclass(frozen=True)
class Constraint:
    """One bound read from the request: ``<word> <op> <value>``."""

    op: str
    """One of ``<``, ``<=``, ``>``, ``>=``."""
    value: float
    """The bound, with its scale applied (5 M → 5,000,000)."""
    scale: float
    """The scale the user wrote (1e6 for "M"); results are shown in it."""
    scale_label: str
    """How the user wrote the scale ("M", "万"; "" for none)."""
    word: str
    """What is bounded, as written ("parameters", "参数量")."""
    family: str | None
    """The quantity family of ``word`` (``param``, ``mac``, …), or ``None`` for another word."""
    text: str
    """The phrase as it appears in the request ("under 5 M parameters")."""

    def holds(self, value: float) -> bool:
        return {
            "<": value < self.value,
            "<=": value <= self.value,
            ">": value > self.value,
            ">=": value >= self.value,
        }[self.op]

    @property
    def upper(self) -> bool:
        return self.op in ("<", "<=")


def _is_cjk(text: str) -> bool:
    return bool(re.match(r"[\u3400-\u9fff]", text))


def _family(word: str) -> str | None:
    word = word.lower().strip("-_ ")
    if not word:
        return None
    folded = fold(word)
    for family, members in _FAMILIES.items():
        for member in members:
            if folded == member or word == member or (_is_cjk(member) and member in word):
                return family
    return None


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _members() -> list[str]:
    return sorted((m for members in _FAMILIES.values() for m in members), key=len, reverse=True)


def _zh_word(before: str, after: str) -> str:
    """The bounded quantity around a Chinese operator: right after the number ("5M参数以内"), else right
    before the operator ("参数量小于5M"); the longest vocabulary word wins, else the nearest characters."""
    members = _members()
    lowered = after.lower()
    for member in members:
        if lowered.startswith(member):
            return after[: len(member)]
        if lowered.startswith("g" + member) and _family(member) in ("mac", "flop"):
            return after[: len(member) + 1]  # "2 GMACs": the G is the unit's, as in English
    if before.isascii() and _family(before):
        return before
    hits = [(before.rfind(member), member) for member in members if member in before]
    if hits:
        position, _ = max(hits, key=lambda hit: (hit[0], len(hit[1])))
        return before[position:]
    return after[:4] or before[-4:]


def _make(op: str, op_text: str, match: re.Match[str], word: str, *, chinese: bool) -> Constraint | None:
    value = _number(match.group("num"))
    if value is None or not word:
        return None
    scale = match.group("scale") or ""
    factor = SCALES.get(scale.lower(), 1.0)
    family = _family(word)
    if family is None and word.lower().startswith("g") and _family(word[1:]) in ("mac", "flop"):
        family, factor = _family(word[1:]), factor * 1e9  # "0.5 GMACs"
    number = match.group("num") + ((scale if _is_cjk(scale) else f" {scale}") if scale else "")
    if chinese:
        text = f"{word}{op_text} {number}" if op_text not in _ZH_SUFFIX else f"{number} {word}{op_text}"
    else:
        text = f"{op_text} {number} {word}" if op_text[0].isalpha() else f"{word} {op_text} {number}"
    return Constraint(op, value * factor, factor, scale, word, family, text)


def _english_word(phrase: str) -> str:
    """The first content word after the number ("parameters" in "parameters and MACs")."""
    candidates = [w for w in phrase.split() if w.lower() not in STOP_WORDS]
    return next((w for w in candidates if _family(w)), candidates[0] if candidates else "")


def parse_constraints(text: str) -> list[Constraint]:
    """Every simple numeric bound in ``text`` (English or Chinese), in order of appearance."""
    text = _CJK_LEAD.sub(lambda m: str(CJK_DIGITS[m.group(1)]), text)  # "一千万" is 1 千万 (same length)
    found: list[tuple[int, Constraint]] = []
    taken = bytearray(len(text) + 1)  # 1 where a bound was already read: each check costs its own span

    def add(match: re.Match[str], constraint: Constraint | None) -> None:
        if constraint is None or any(taken[match.start() : match.end()]):
            return
        found.append((match.start(), constraint))
        taken[match.start() : match.end()] = b"\x01" * (match.end() - match.start())

    for pattern, ops in ((_ZH, _ZH_OPS), (_ZH_TAIL, _ZH_SUFFIX)):
        for match in pattern.finditer(text):
            op_text = match.group("op")
            word = _zh_word(match.group("before"), match.group("word"))
            add(match, _make(ops[op_text], op_text, match, word, chinese=True))
    for match in _EN_BEFORE.finditer(text):
        op_text = match.group("op")
        add(match, _make(_EN_OPS[op_text], op_text, match, match.group("word"), chinese=False))
    for match in _EN.finditer(text):
        op_text = " ".join(match.group("op").lower().split())
        word = _english_word(match.group("word") or "")
        add(match, _make(_EN_OPS[op_text], op_text, match, word, chinese=False))
    return [constraint for _, constraint in sorted(found, key=lambda item: item[0])]


# ---------------------------------------------------------------------------------------------- matching


def _column_family(column: str) -> tuple[str | None, float]:
    """The family of a column name and the factor its values carry ("gmacs" → mac, 1e9)."""
    parts = [part for part in column.lower().split("_") if part]
    for part in reversed(parts):
        family = _family(part)
        if family is None and part.startswith("g") and _family(part[1:]) in ("mac", "flop"):
            return _family(part[1:]), 1e9
        if family is not None:
            return family, 1.0
    return None, 1.0


def match_column(constraint: Constraint, columns: list[str]) -> tuple[str, float] | None:
    """The numeric column a constraint is about, and the factor from its values to the constraint's units."""
    word = fold(constraint.word.lower())
    candidates: list[tuple[int, str, float]] = []
    for column in columns:
        family, factor = _column_family(column)
        parts = [fold(part) for part in column.lower().split("_")]
        if word in parts or word == fold(column.lower()):
            rank = 0 if len(parts) == 1 else 1
        elif constraint.family is not None and family == constraint.family:
            rank = 2 if factor == 1.0 else 3
        elif constraint.family == "compute" and family in ("mac", "flop"):
            rank = 4 if factor == 1.0 else 5
        elif constraint.family == "flop" and family == "mac" and factor == 1.0:
            candidates.append((6, column, 2.0))  # FLOPs = 2·MACs (the convention the tools state)
            continue
        else:
            continue
        candidates.append((rank + len(parts), column, factor))
    if not candidates:
        return None
    _, column, factor = min(candidates)
    return column, factor


# ---------------------------------------------------------------------------------------------- phrasing


def _scaled(value: float, constraint: Constraint) -> str:
    shown = value / constraint.scale if constraint.scale != 1 else value
    if shown == int(shown) and abs(shown) < 1e6:
        text = f"{int(shown):,}"
    elif abs(shown) >= 100:
        text = f"{shown:,.0f}"
    else:
        text = f"{shown:.3g}" if abs(shown) >= 0.01 else f"{shown:.2e}"
    label = constraint.scale_label
    return f"{text}{label}" if not label or _is_cjk(label) else f"{text} {label}"


def _join(items: list[str], *, chinese: bool, conjunction: str = "and") -> str:
    if chinese:
        return "、".join(items)
    if len(items) <= 2:
        return f" {conjunction} ".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def _label_column(rows: list[dict[str, Any]]) -> str | None:
    for key, value in rows[0].items():
        if isinstance(value, str) and len({str(row.get(key)) for row in rows}) == len(rows):
            return key
    return None


def _numeric(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _conclude_rows(constraints: list[Constraint], rows: list[dict[str, Any]], *, chinese: bool) -> str | None:
    label = _label_column(rows)
    if label is None:
        return None
    columns = [key for key in rows[0] if any(_numeric(row.get(key)) is not None for row in rows)]
    matched = [
        (constraint, found)
        for constraint in constraints
        if (found := match_column(constraint, columns)) is not None
    ]
    if not matched:
        return None
    passing: list[dict[str, Any]] = []
    failing: list[dict[str, Any]] = []
    for row in rows:
        values = [_numeric(row.get(column)) for _, (column, _) in matched]
        ok = all(
            value is not None and constraint.holds(value * factor)
            for value, (constraint, (_, factor)) in zip(values, matched, strict=True)
        )
        (passing if ok else failing).append(row)
    first, (column, factor) = matched[0]

    def shown(row: dict[str, Any]) -> str:
        value = _numeric(row.get(column))
        number = "n/a" if value is None else _scaled(value * factor, first)
        return f"{row[label]} ({number})" if not chinese else f"{row[label]}（{number}）"

    what = "；".join(c.text for c, _ in matched) if chinese else "; ".join(c.text for c, _ in matched)
    if not passing:
        cheapest = min(failing, key=lambda row: _numeric(row.get(column)) or 0.0)
        if chinese:
            return f"**{what}**：没有一个满足；最接近的是 {shown(cheapest)}。"
        return f"**{_capital(what)}:** none of them qualifies; the closest is {shown(cheapest)}."
    best, reasons = _pick(passing, rows, first, column, chinese=chinese)
    if chinese:
        head = f"**{what}**：满足的有 {_join([shown(r) for r in passing], chinese=True)}"
        if failing:
            head += f"；不满足：{_join([shown(r) for r in failing], chinese=True)}"
        return f"{head}。**推荐 {best[label]}**：{'，'.join(reasons)}。"
    verb = "qualifies" if len(passing) == 1 else "qualify"
    head = f"**{_capital(what)}:** {_join([shown(r) for r in passing], chinese=False)} {verb}"
    if failing:
        head += f"; {_join([shown(r) for r in failing], chinese=False, conjunction='and')} do not"
    return f"{head}. **Recommended: {best[label]}** — {', '.join(reasons)}."


def _pick(
    passing: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    constraint: Constraint,
    column: str,
    *,
    chinese: bool,
) -> tuple[dict[str, Any], list[str]]:
    """The row to recommend among those that pass: one a preference flag marks (Pareto front, "best"), then
    the lowest cost (or, for a bound on something that is not a cost, the extreme the bound points to)."""
    flag = next(
        (key for key, value in rows[0].items() if isinstance(value, bool) and _PREFERRED_FLAG.search(key)),
        None,
    )
    pool = [row for row in passing if flag and row.get(flag) is True] or passing
    lowest = constraint.family in _COST_FAMILIES or constraint.upper
    best = (min if lowest else max)(pool, key=lambda row: _numeric(row.get(column)) or 0.0)
    word = constraint.word
    if chinese:
        reasons = ["满足条件"]
        if len(passing) > 1:
            reasons.append(f"其中{word}{'最少' if lowest else '最多'}")
        if flag and best.get(flag) is True:
            reasons.append("且在帕累托前沿上" if "pareto" in flag or "front" in flag else f"且 {flag} 为是")
    else:
        reasons = ["it meets the bound"]
        if len(passing) > 1:
            reasons.append(f"has the {'fewest' if lowest else 'most'} {word} of those that do")
        if flag and best.get(flag) is True:
            where = "is on the Pareto front" if "pareto" in flag or "front" in flag else f"is marked {flag}"
            reasons.append(f"and {where}")
    return best, reasons


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _conclude_scalar(constraints: list[Constraint], data: dict[str, Any], *, chinese: bool) -> str | None:
    columns = [key for key, value in data.items() if _numeric(value) is not None]
    lines = []
    for constraint in constraints:
        found = match_column(constraint, columns)
        if found is None:
            continue
        column, factor = found
        value = float(data[column]) * factor
        ok = constraint.holds(value)
        if chinese:
            verdict = "满足" if ok else "不满足"
            lines.append(f"**{constraint.text}：{verdict}** — {column} 为 {_scaled(value, constraint)}。")
        else:
            verdict = "yes" if ok else "no"
            lines.append(
                f"**{_capital(constraint.text)}: {verdict}** — {column} is {_scaled(value, constraint)}."
            )
    return " ".join(lines) or None


def conclude(request: str, data: dict[str, Any], *, chinese: bool) -> str | None:
    """One or two sentences applying the request's numeric constraints to a structured result (``None`` when
    the request has none, or none is about a field of the result)."""
    constraints = parse_constraints(request)
    if not constraints:
        return None
    for value in data.values():
        if isinstance(value, list) and len(value) >= 2 and all(isinstance(row, dict) for row in value):
            sentence = _conclude_rows(constraints, value, chinese=chinese)
            if sentence:
                return sentence
    return _conclude_scalar(constraints, data, chinese=chinese)
