"""A request prepared for slot filling: its English working text (Chinese carried onto the schemas' words),
the values it writes down, and the names and choices the offered tools know."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from agents.models.offline.cards import COUNTED_CARD
from agents.models.offline.language import STOP_WORDS, fold, norm
from agents.models.offline.mentions import STEM, Mentions, is_name_like, read_mentions
from agents.models.offline.schema import ToolView
from agents.models.offline.vocabulary import translate

__all__ = ["Reading", "enum_words", "known_names", "model_stem", "read", "token_keys"]

_WORD = re.compile(r"[A-Za-z][\w\-]*")
_ASSIGNED = re.compile(r"(?<=[A-Za-z\u4e00-\u9fff])[ \t]*[=:][ \t]*$")
_BOUNDARY = re.compile(r"[\[\]{};.:=]|,(?! ?[0-9])|\b(?:and|with|plus|while|but|for another|for the other)\b")


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
    def keys(self) -> dict[str, tuple[int, int]]:
        """Normalised runs of one to three adjacent words of the working text, with where each starts and
        ends."""
        return token_keys(self.work)

    def words_before(self, start: int, limit: int = 4) -> list[str]:
        """Content words just before ``start``, back to the previous clause boundary."""
        # "rank=16", "lr: 0.1": the word the value is assigned to is its name, not a clause boundary
        chunk = _BOUNDARY.split(_ASSIGNED.sub(" ", self.work[max(0, start - 48) : start]))[-1]
        # numbers with the unit written onto them ("24gb" is its own number's unit), not the digits of "A100"
        chunk = re.sub(r"(?<![\w.])-?[0-9][0-9.,]*(?:[A-Za-z]+\b)?", " ", chunk)
        return [fold(w) for w in _WORD.findall(chunk.lower()) if w not in STOP_WORDS and len(w) > 1][-limit:]

    def words_after(self, end: int, limit: int = 3) -> list[str]:
        """Content words just after ``end``, up to the next value or clause boundary."""
        chunk = re.split(r"(?<![\w.])[0-9]|\[", _BOUNDARY.split(self.work[end : end + 40])[0], maxsplit=1)[0]
        return [fold(w) for w in _WORD.findall(chunk.lower()) if w not in STOP_WORDS and len(w) > 1][:limit]


def read(text: str, known: frozenset[str] = frozenset(), reserved: frozenset[str] = frozenset()) -> Reading:
    """Prepare ``text`` (already normalised by :func:`~agents.models.offline.language.prepare`); ``known``
    are names the offered tools' descriptions list (see :func:`known_names`), ``reserved`` their enum values
    (see :func:`enum_words`)."""
    work = translate(text)
    mentions = read_mentions(work, known)
    mentions.names = [name for name in mentions.names if not _idea_name(name.text, known)]
    return Reading(text, work, mentions, reserved)


def _idea_name(text: str, known: frozenset[str]) -> bool:
    """A name-like word that is a note's name for an idea ("SmoothQuant", "ChatGPT"), not a model the offered
    tools know ("AlexNet") or a versioned one ("ResNet-50", "VGG16"): no value for a slot that takes model
    names."""
    key = norm(text)
    if any(c.isdigit() for c in key) or key not in _note_names() or key in known:
        return False
    stems = _family_stems(known)
    return not any(key[:end] in stems for end in range(3, len(key) + 1))


@lru_cache(maxsize=32)
def _family_stems(known: frozenset[str]) -> frozenset[str]:
    return frozenset(name[len(STEM) :] for name in known if name.startswith(STEM))


@lru_cache(maxsize=1)
def _note_names() -> frozenset[str]:
    from agents.models.offline.notes import note_index

    return frozenset(norm(name) for note in note_index().notes for name in note.names)


def enum_words(tools: list[ToolView]) -> frozenset[str]:
    """Every enum value the offered tools accept, normalised."""
    return frozenset(key for tool in tools for key in tool.enum_values)


def known_names(tools: list[ToolView]) -> frozenset[str]:
    """The model names the offered tools' descriptions list ("GoogLeNet, ResNet-18…152, DenseNet-121"),
    normalised: a request may write them in lower case ("googlenet") and still mean a name. Short
    capitalised words without a digit ("mAP", "ReLU") are metrics and layers, not names to look up."""
    return _names_in(tuple(tool.description for tool in tools))


@lru_cache(maxsize=32)
def _names_in(descriptions: tuple[str, ...]) -> frozenset[str]:
    found: set[str] = set()
    for description in descriptions:
        for token in re.findall(r"[A-Za-z][A-Za-z0-9]*(?:[\-_/][A-Za-z0-9]+)*", description):
            if is_name_like(token) and (len(token) >= 6 or any(c.isdigit() for c in token)):
                found.add(norm(token))
            family = _FAMILY.match(token)
            if family is not None:  # "ResNet-18", "ViT-B/16": "resnet 101" and "vit b16" are names too
                found.add(STEM + family.group(1).lower())
            sized = _SIZE_CODE.fullmatch(token)
            if sized is not None:  # "Swin-T": a family with a size letter; "swin t" and "swin_t" name it too
                found.update((norm(token), STEM + sized.group(1).lower()))
    return frozenset(found)


_FAMILY = re.compile(
    r"((?=[A-Za-z]{3})(?:[A-Z][A-Za-z]*?[a-z][A-Za-z]*?|[A-Z]{3,}(?=[\-_]?[0-9]{2})))[\-_/]?[A-Za-z]?/?[0-9]+(?![a-z])"
)
"""A model family's name followed by its version ("ResNet-18", "ViT-B/16", "VGG16"), not a layer ("Conv2d") or
a number format ("INT4", "FP16")."""

_SIZE_CODE = re.compile(r"([A-Z][a-z]{2,}[A-Za-z]*)[\-_][A-Z][0-9]?")
"""A family name with a one-letter size code ("Swin-T", "DeiT-S"): the letter alone looks like no name."""


_VARIANT = re.compile(r"([A-Za-z][\w.\-]*?\d+(?:\.\d+)?[bBmM])[-_][A-Za-z][\w.\-]*")


def model_stem(token: str) -> str | None:
    """A checkpoint name without its variant suffix ("Llama-3.1-8B-Instruct" → "llama318b",
    "Mistral-7B-Instruct-v0.2" → "mistral7b"), normalised; ``None`` when the token has no size part."""
    match = _VARIANT.fullmatch(token)
    return norm(match.group(1)) if match else None


def token_keys(work: str) -> dict[str, tuple[int, int]]:
    """Normalised runs of one to three adjacent words, with where the first one's run starts and ends (a
    checkpoint name also under its stem, see :func:`model_stem`)."""
    matches = list(re.finditer(r"[^\s,;:()\[\]{}?!\"]+", work))
    keys: dict[str, tuple[int, int]] = {}
    for match in matches:
        stem = model_stem(match.group())
        if stem:
            keys.setdefault(stem, match.span())
        if re.fullmatch(r"[A-Za-z]{0,4}[0-9]{1,4}s", match.group()):  # "3090s", "A100s": one GPU, several
            keys.setdefault(norm(match.group()[:-1]), match.span())
        card = COUNTED_CARD.fullmatch(match.group())
        if card is not None:  # "4x4090", "8xH100", "2*A100": the card, apart from its count
            keys.setdefault(norm(card.group(1)), (match.start() + card.start(1), match.end()))
    for i, first in enumerate(matches):
        joined = ""
        for last in matches[i : i + 3]:
            joined += norm(last.group())
            if joined:
                keys.setdefault(joined, (first.start(), last.end()))
    return keys
