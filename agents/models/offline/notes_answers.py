"""Answers from the notes: the note's own summary first, then the parts of the section that answer the
question (paragraphs, bullets, table rows chosen by the words they share with it), then where the whole note
is. A comparison ("BLIP vs CLIP") gets both notes, shorter each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from agents.models.offline.language import Language
from agents.models.offline.notes import Note, note_index, terms
from agents.models.offline.phrases import phrases_for
from agents.models.offline.vocabulary import with_english

__all__ = ["answer_from_notes", "excerpt"]

_BUDGET = 1100
"""Characters of a one-note answer's excerpt; a comparison splits it between its notes."""
_CLOSE = 0.75
"""A second section scoring this share of the best one's answers too, and is shown beside it."""


def _blocks(text: str) -> list[str]:
    """Paragraphs, list items and table rows (a table's header kept with its first rows)."""
    blocks: list[str] = []
    current: list[str] = []
    fenced = False

    def flush() -> None:
        if current:
            blocks.append("\n".join(current).strip())
            current.clear()

    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            current.append(line)
            if not fenced:
                flush()
            continue
        if fenced:
            current.append(line)
        elif not line.strip():
            flush()
        elif re.match(r"\s*(?:[-*]|\d+\.)\s", line) and not line.startswith("  "):
            flush()
            current.append(line)
        elif line.lstrip().startswith("|"):
            if not current or not current[0].lstrip().startswith("|"):
                flush()
            current.append(line)
            if re.match(r"\s*\|[\s:\-|]+\|\s*$", line) is None and len(current) > 2:
                flush()  # a table row after the header and its rule stands alone
        else:
            current.append(line)
    flush()
    return [block for block in blocks if block]


def excerpt(
    text: str,
    question: str,
    *,
    own: Iterable[str] = (),
    budget: int = _BUDGET,
    weight: Callable[[str], float] = lambda term: 1.0,
) -> str:
    """The blocks of ``text`` that share most with ``question`` (each shared word counted by ``weight``;
    words of ``own``, the note's names, do not count), in their original order, within ``budget``
    characters; the first blocks when nothing matches."""
    blocks = _blocks(text)
    if not blocks:
        return ""
    skip = set(own)
    wanted = {term for term in terms(question) if term not in skip}
    header = next((b for b in blocks if re.match(r"\s*\|.*\|\s*\n\s*\|[\s:\-|]+\|", b)), None)
    scored = [(sum(weight(term) for term in wanted & set(terms(block))), i) for i, block in enumerate(blocks)]
    order = [i for score, i in sorted(scored, key=lambda row: (-row[0], row[1])) if score > 0]
    order += [i for i in range(len(blocks)) if i not in order]  # then the section from its start
    chosen: list[int] = []
    used = 0
    for i in order:
        size = len(blocks[i]) + 2
        if chosen and used + size > budget:
            continue
        chosen.append(i)
        used += size
        if used >= budget:
            break
    parts: list[str] = []
    for i in sorted(chosen):
        block = blocks[i]
        orphan_row = block.lstrip().startswith("|") and header is not None and not block.startswith(header)
        if header is not None and orphan_row and (not parts or not parts[-1].lstrip().startswith("|")):
            parts.append(header.split("\n")[0] + "\n" + header.split("\n")[1])  # a row keeps its header
        parts.append(block if len(block) <= budget else block[: budget - 1].rstrip() + "…")
    joined = "\n\n".join(parts)
    return re.sub(r"(\|[^\n]*)\n\n(?=\|)", r"\1\n", joined)


def _note_block(note: Note, question: str, language: Language, hints: Sequence[str], budget: int) -> str:
    table = phrases_for(language)
    index = note_index()
    # A Chinese question meets the notes' English text too, and "learning rate" their "lr".
    asked = index.with_initials(with_english(question, glossary=True))
    ranked = index.rank_sections(note, asked, hints)
    opening = index.best_section(note, "")
    chosen = [section for score, section in ranked if score >= _CLOSE * ranked[0][0]][:2] if ranked else []
    if not chosen and opening is not None:
        chosen = [opening]  # nothing points anywhere: the note from its start
    lines = [f"**{note.title}**", note.summary]
    left = budget
    for rank, section in enumerate(chosen):
        # Two sections that answer about equally share the room, the better one taking more.
        room = left if rank == len(chosen) - 1 else int(budget * 0.6)
        shown = excerpt(section.text, asked, budget=room, weight=lambda term: index.term_weight(note, term))
        lines.append(f"**{section.heading}**\n{shown}")
        left -= len(shown)
    if len(chosen) == 1:
        extra = _elsewhere(note, chosen[0].heading, asked, left)
        if extra:
            lines.append(extra)
    headings = [s.heading for s in note.sections if s.heading.lower() != "related"]
    lines.append(f"{table.full_note.format(uri=note.uri)} · {table.sections}: " + " · ".join(headings))
    return "\n\n".join(lines)


def _elsewhere(note: Note, shown: str, question: str, room: int) -> str | None:
    """The one paragraph of another section that shares most with the question (two words at least), when
    there is room for it: "agent card" may be explained where the section about A2A is not."""
    if room < 250:
        return None
    index = note_index()
    wanted = {term for term in terms(question) if index.term_weight(note, term) > 0}
    best: tuple[float, str, str] = (0.0, "", "")
    for section in note.sections:
        if section.heading == shown or section.heading.lower() == "related":
            continue
        for block in _blocks(section.text):
            shared = wanted & set(terms(block))
            score = sum(index.term_weight(note, term) for term in shared)
            fits = len(block) <= room and not block.lstrip().startswith(("|", "```"))
            if len(shared) >= 2 and score > best[0] and fits:
                best = (score, section.heading, block)
    return f"**{best[1]}**\n{best[2]}" if best[2] else None


def answer_from_notes(
    notes: Sequence[Note], question: str, language: Language, hints: Sequence[str] = ()
) -> str:
    """The answer to ``question`` from one note, or from each note of a comparison."""
    budget = _BUDGET if len(notes) == 1 else _BUDGET // len(notes)
    return "\n\n---\n\n".join(_note_block(note, question, language, hints, budget) for note in notes)
