"""Where the words that meet the schemas come from: Chinese carried onto English by the language tables'
dictionaries, and the names of the notes, which give a schema's enum values their other names ("低秩适配",
"low-rank adaptation" and "LoRA adapter" all mean ``lora``, because the LoRA note says so)."""

from __future__ import annotations

import re
from functools import cache

from agents.messages import has_cjk
from agents.models.offline.language import norm
from agents.models.offline.phrases import all_phrases

__all__ = ["translate", "value_names", "with_english"]


@cache
def _dictionary(glossary: bool = False) -> tuple[re.Pattern[str], dict[str, str]]:
    entries: dict[str, str] = {}
    for table in all_phrases():
        entries.update(table.dictionary)
        if glossary:
            entries.update(table.glossary)
    pattern = re.compile("|".join(re.escape(term) for term in sorted(entries, key=len, reverse=True)))
    return pattern, entries


def translate(text: str, *, glossary: bool = False) -> str:
    """``text`` with every dictionary term (and with ``glossary``, every glossary term) replaced by its
    English words (spaced, so "输出通道32" reads "output channels 32") and Latin words spaced from the
    Chinese around them; text without Chinese is returned as it is."""
    if not has_cjk(text):
        return text
    pattern, entries = _dictionary(glossary)
    # a Latin word written against Chinese ("FP8推理", "ResNet50的") is still a word of its own
    return _SCRIPTS.sub(" ", pattern.sub(lambda match: f" {entries[match.group()]} ", text))


def with_english(text: str, *, glossary: bool = False) -> str:
    """What the notes are searched with: ``text``, and for Chinese also its English words (the notes are
    written in English with the Chinese terms: "验证loss先降后升" meets "validation loss")."""
    english = translate(text, glossary=glossary)
    return text if english == text else f"{text}\n{english}"


_SCRIPTS = re.compile(r"(?<=[A-Za-z0-9])(?=[\u3400-\u9fff])|(?<=[\u3400-\u9fff])(?=[A-Za-z0-9])")


@cache
def value_names(value: str) -> tuple[str, ...]:
    """Other names of an enum value that *is* a note's topic (``lora``, ``prompt_tuning``, ``resnet``):
    the note's names, longest first; ``()`` when no note is about exactly that value."""
    from agents.models.offline.notes import note_index

    key = norm(value)
    for note in note_index().notes:
        if key in (norm(note.slug), norm(note.title.split("(")[0].split(":")[0])):
            return tuple(sorted((name for name in note.names if norm(name) != key), key=len, reverse=True))
    return ()
