"""Reading a message: bounded, normalised text, the language it is written in, and its words.

Every function here is linear in the length of its input, and :func:`prepare` keeps only the first
:data:`MAX_CHARS` characters of a message: no stage of understanding reads further, so a megabyte of text
costs what four thousand characters cost.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from agents.messages import CJK_CHARS

__all__ = [
    "MAX_CHARS",
    "STOP_WORDS",
    "Language",
    "fold",
    "is_cjk_char",
    "language_of",
    "norm",
    "prepare",
    "words",
]

Language = Literal["en", "zh"]

MAX_CHARS = 4000
"""Characters of one message that understanding reads (a request longer than a page is cut here)."""

# NFKC already maps full-width forms ("，" "：" "２") to ASCII; these CJK marks have no compatibility form.
_MARKS = str.maketrans(
    {
        "、": ",",
        "。": ". ",
        "〈": "<",
        "〉": ">",
        "《": '"',
        "》": '"',
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "【": "[",
        "】": "]",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "−": "-",
        "﹣": "-",
        "\u00a0": " ",
        "\u3000": " ",
    }
)

_SPACES = re.compile(r"[ \t\f\v]{2,}")
_BLANK_LINES = re.compile(r"\n\s*\n(?:\s*\n)+")
_REPEATED_MARK = re.compile(r"([^\w\s])\1{3,}")
_WORD = re.compile(r"[a-z][a-z0-9]*(?:'[a-z]+)?")
_CJK = re.compile(f"[{CJK_CHARS}]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

STOP_WORDS = frozenset(
    """a an the of to in on for with and or by from as at is are was were be been being it its this that these
    those what which who whom how much many does do did can could would should will shall may might please me
    my i you your we our us give show tell let use using want need know about some any than then there here
    also just into per each all both via one be has have having i'd i'm it's what's whats so if but not no
    yes like get got am very really quite between vs versus""".split()  # noqa: SIM905 - a word list reads best as words
)
"""English function words: never evidence for a tool, a note or a slot."""


_POWERS = str.maketrans({"²": "^2", "³": "^3"})


def prepare(text: str) -> str:
    """``text`` cut to :data:`MAX_CHARS`, NFKC-normalised (full-width letters, digits and punctuation become
    ASCII; a superscript ² or ³ becomes ``^2``/``^3``), with the CJK punctuation NFKC keeps ("、" "。" "【】",
    curly quotes, the minus sign) made ASCII, and long runs of spaces, blank lines or one punctuation mark
    shortened (they carry no meaning, and a pattern that may end anywhere in such a run would try every
    end)."""
    # a square stays a square: NFKC would make "0.8²" the number 0.82
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS].translate(_POWERS)).translate(_MARKS)
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return _REPEATED_MARK.sub(r"\1\1\1", text)


def is_cjk_char(char: str) -> bool:
    return _CJK.match(char) is not None


def language_of(text: str) -> Language:
    """``zh`` when the message is mostly Chinese (a Chinese word being about two characters, at least as
    many Chinese words as Latin ones), else ``en``: "What is 信息熵?" is English with a Chinese term,
    "用 QLoRA 微调 7B 模型" is Chinese."""
    cjk = len(_CJK.findall(text))
    if not cjk:
        return "en"
    return "zh" if cjk / 2 >= len(_LATIN_WORD.findall(text)) else "en"


def fold(word: str) -> str:
    """Lower case with a plural ``s`` folded, so "parameters" meets "parameter"."""
    word = word.lower()
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Content words of ``text`` (lower case, folded, stop words and possessive ``'s`` removed)."""
    found = []
    for match in _WORD.finditer(text.lower()):
        word = match.group().split("'", 1)[0]
        if word not in STOP_WORDS:
            found.append(fold(word))
    return found


def norm(value: str) -> str:
    """Case- and punctuation-insensitive form: "ResNet-50" → "resnet50", "vit_b_16" → "vitb16"."""
    return re.sub(rf"[^0-9a-z{CJK_CHARS}]+", "", value.lower())
