"""Retrieval over the knowledge notes: which note a question is about, and which section of it answers.

The notes are read from :mod:`tools.knowledge` when first needed (so a note added to the project is found
without a change here) and indexed for BM25 in both languages: English words (plural ``s`` folded),
identifiers as one word ("ResNet-50" → ``resnet50``) and Chinese character bigrams. A note's names (slug,
title, aliases, its Chinese terms) weigh most, then its title, summary and headings, then its text.

Beside the ranking, :meth:`NoteIndex.named` finds the notes a request *names* ("BLIP vs CLIP", "Adam 和
AdamW"), which is how a comparison of two ideas is answered from both notes. Everything is linear in the
length of the query.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from agents.messages import CJK_CHARS
from agents.models.offline.language import STOP_WORDS, fold, norm
from agents.models.offline.note_terms import RUN as _RUN
from agents.models.offline.note_terms import terms

__all__ = ["Note", "NoteHit", "NoteIndex", "Section", "note_index", "terms"]

_FIELD_WEIGHTS = {
    "names": 5.0,
    "name_words": 1.0,
    "title": 3.0,
    "summary": 2.0,
    "headings": 2.0,
    "body": 1.0,
}
_K1, _B = 1.2, 0.75
_SECTION_B = 0.5
"""Length normalisation of sections: weaker than for notes (a long table's row answers like a short list)."""
_HEADING_WEIGHT = 1.5
"""A question's word in a section's heading counts this many times its weight on top of the text."""
_DEFINED_WEIGHT = 1.0
"""A question's word a section sets in bold (defines) counts this many times its weight on top."""
_BOLD = re.compile(r"\*\*([^*\n]{1,80})\*\*")
_POINTER = re.compile(r"(?m)^In protoplay:.*(?:\n(?!\n).*)*")
"""The closing "In protoplay: `tool` …" lines name tools, not what the section is about."""
_HINT_BONUS = 1.5
"""A heading the question's kind points at ("why" → motivation): about one shared uncommon word."""
_SPECIFIC_WEIGHT = 1.5
"""How much the words left once the question's note names are blanked out weigh in choosing its note."""
_CLEAR_LEFT = 6.0
"""The least match of the words left (names blanked out) for a note the question does not name to win."""
_FIRST_MENTION = 5.0
"""The named note mentioned first is usually the subject ("What does QLoRA add on top of LoRA?")."""

_LATIN_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Section:
    """One ``##`` section of a note."""

    heading: str
    text: str
    """The section's markdown without its heading line."""


@dataclass(frozen=True)
class Note:
    """One note as retrieval sees it."""

    slug: str
    title: str
    summary: str
    names: tuple[str, ...]
    """Every name of the topic (slug, title parts, aliases, Chinese terms)."""
    sections: tuple[Section, ...]

    @property
    def chinese_title(self) -> str:
        """The Chinese term of the title ("低秩适配" for LoRA), or "" when it has none."""
        match = re.search(r"\(([^()]*)\)\s*$", self.title)
        return match.group(1) if match and re.search(f"[{CJK_CHARS}]", match.group(1)) else ""

    @property
    def uri(self) -> str:
        return f"notes://{self.slug}"


@dataclass(frozen=True)
class NoteHit:
    note: Note
    score: float
    named: bool
    """The request names the note (an alias or its title), not just shares words with it."""
    strong: bool = False
    """A word of the request is in the note's names or title (not only somewhere in its text)."""


class NoteIndex:
    """BM25F over the notes' fields; build with :func:`note_index`."""

    def __init__(self, notes: Iterable[Note]) -> None:
        self.notes = list(notes)
        self._lengths: list[float] = []
        self._postings: dict[str, list[tuple[int, float]]] = {}
        self._strong: list[frozenset[str]] = []
        self._sections: dict[str, list[_IndexedSection]] = {}
        for index, note in enumerate(self.notes):
            weighted: dict[str, float] = {}
            # A multi-word name counts as a name only as a whole ("in-flight batching"): its words weigh as
            # text, so one of them ("flight") does not point at the note as its name would.
            whole = [name for name in note.names if len(terms(name)) <= 1]
            words_only = [name for name in note.names if len(terms(name)) > 1]
            parts = {
                "names": " ; ".join(whole),
                "name_words": " ; ".join(words_only),
                "title": note.title,
                "summary": note.summary,
                "headings": " ; ".join(section.heading for section in note.sections),
                "body": "\n".join(section.text for section in note.sections),
            }
            for name, text in parts.items():
                for term in terms(text):
                    weighted[term] = weighted.get(term, 0.0) + _FIELD_WEIGHTS[name]
            for term, tf in weighted.items():
                self._postings.setdefault(term, []).append((index, tf))
            self._strong.append(frozenset(terms(parts["names"] + " ; " + parts["title"])))
            self._lengths.append(sum(weighted.values()))
            self._sections[note.slug] = [
                _IndexedSection(
                    section,
                    Counter(terms(_POINTER.sub("", section.text))),
                    frozenset(terms(section.heading)),
                    frozenset(fold(w) for w in re.findall(r"[a-z]+", section.heading.lower())),
                    frozenset(terms(" ; ".join(_BOLD.findall(section.text)))),
                )
                for section in note.sections
                if section.heading.lower() not in ("related", "see also")
            ]
        self._average = sum(self._lengths) / max(len(self._lengths), 1)
        # Sections are ranked against the other sections of every note: a word most sections use ("model")
        # tells them apart less than one few use ("bubble").
        indexed = [row for rows in self._sections.values() for row in rows]
        spread = Counter(term for row in indexed for term in set(row.body) | row.heading)
        self._section_idf = {
            term: math.log(1 + (len(indexed) - count + 0.5) / (count + 0.5)) for term, count in spread.items()
        }
        self._section_length = sum(row.length for row in indexed) / max(len(indexed), 1)
        # Within a note, a word most of its sections use (its own name, "LoRA" in the LoRA note) chooses none.
        self._note_spread = {
            slug: Counter(term for row in rows for term in set(row.body) | row.heading)
            for slug, rows in self._sections.items()
        }
        total = len(self.notes)
        self._idf = {
            term: math.log(1 + (total - len(rows) + 0.5) / (len(rows) + 0.5))
            for term, rows in self._postings.items()
        }
        # A one-word alias most notes use ("parameters", "loss", "attention") points at its note only weakly.
        common = max(3, total // 4)
        self._names: dict[str, tuple[Note, bool]] = {}
        self._cjk_names: list[tuple[str, Note]] = []
        for note in self.notes:
            own = {norm(note.slug), norm(note.title.split("(")[0])}
            for name in note.names:
                key = norm(name)
                name_terms = terms(name)
                generic = (
                    len(name_terms) == 1
                    and key not in own
                    and len(self._postings.get(name_terms[0], ())) >= common
                )
                if len(key) >= 2 or re.fullmatch(f"[{CJK_CHARS}]", key):
                    self._names.setdefault(key, (note, generic))
                if re.fullmatch(f"[{CJK_CHARS}]+", name.strip()):
                    self._cjk_names.append((name.strip(), note))
        self._cjk_names.sort(key=lambda item: -len(item[0]))
        self._by_slug = {note.slug: note for note in self.notes}
        self._named: dict[tuple[str, bool], list[tuple[int, Note]]] = {}
        self._own: dict[str, frozenset[str]] = {}
        self._searched: dict[tuple[str, int], list[NoteHit]] = {}
        self._covers: dict[str, frozenset[str]] = {}

    def _mentioned_by(self, note: Note) -> frozenset[str]:
        """The other notes ``note``'s text names (its "Related" list aside): S-LoRA's text names vLLM and
        LoRA, the KV-cache note names no S-LoRA."""
        found = self._covers.get(note.slug)
        if found is None:
            body = "\n".join(
                s.text for s in note.sections if s.heading.lower() not in ("related", "see also")
            )
            found = frozenset(n.slug for _, n in self.named(body, generic_too=True)) - {note.slug}
            self._covers[note.slug] = found
        return found

    def get(self, slug: str) -> Note | None:
        return self._by_slug.get(slug)

    def named(self, text: str, *, generic_too: bool = False) -> list[tuple[int, Note]]:
        """The notes ``text`` names (an alias, a title or a Chinese term written out), each once, with where
        its first mention starts, in order of mention; longer names win where two overlap. A one-word alias
        most notes use ("parameters") counts only with ``generic_too``."""
        key = (text, generic_too)
        cached = self._named.get(key)
        if cached is None:
            if len(self._named) > 256:
                self._named.clear()
            cached = self._named[key] = self._find_named(text, generic_too)
        return cached

    def _find_named(self, text: str, generic_too: bool) -> list[tuple[int, Note]]:
        seen: dict[str, tuple[int, Note]] = {}
        for start, _, note in self._mentions(text, generic_too):
            seen.setdefault(note.slug, (start, note))
        return sorted(seen.values(), key=lambda item: item[0])

    def _mentions(self, text: str, generic_too: bool) -> list[tuple[int, int, Note]]:
        """Every mention of a note's name in ``text``: start, end and note, in order, longest first where
        two overlap."""
        found: list[tuple[int, int, Note]] = []
        tokens = [(m.start(), m.end(), norm(m.group().split("'", 1)[0])) for m in _RUN.finditer(text)]
        tokens = [token for token in tokens if token[2] and not token[2][0] >= "\u3400"]
        for i in range(len(tokens)):
            for width in (4, 3, 2, 1):
                if i + width > len(tokens):
                    continue
                key = "".join(token[2] for token in tokens[i : i + width])
                entry = self._names.get(key) or (self._names.get(key[:-1]) if key.endswith("s") else None)
                if entry is not None and (len(key) >= 3 or width == 1):
                    if generic_too or not entry[1]:
                        found.append((tokens[i][0], tokens[i + width - 1][1], entry[0]))
                    break
        for name, note in self._cjk_names:
            position = text.find(name)
            if position >= 0:
                found.append((position, position + len(name), note))
        found.sort(key=lambda item: (item[0], -(item[1] - item[0])))
        kept: list[tuple[int, int, Note]] = []
        for start, end, note in found:
            if kept and start < kept[-1][1]:
                continue  # inside a longer name already taken ("QLoRA" within "QLoRA paper" is fine)
            kept.append((start, end, note))
        return kept

    def search(self, text: str, *, limit: int = 3) -> list[NoteHit]:
        """The notes best matching ``text``, best first (a note the text names gets a bonus)."""
        key = (text, limit)
        cached = self._searched.get(key)
        if cached is None:
            if len(self._searched) > 256:
                self._searched.clear()
            cached = self._searched[key] = self._search(text, limit)
        return cached

    def _search(self, text: str, limit: int) -> list[NoteHit]:
        scores: dict[int, float] = {}
        for term, count in Counter(terms(text)).items():
            idf = self._idf.get(term)
            if idf is None:
                continue
            for index, tf in self._postings[term]:
                scale = _K1 * (1 - _B + _B * self._lengths[index] / self._average)
                scores[index] = scores.get(index, 0.0) + idf * tf * (_K1 + 1) / (tf + scale) * min(count, 2)
        named = {note.slug for _, note in self.named(text)}
        weak = {note.slug for _, note in self.named(text, generic_too=True)} - named
        asked = set(terms(text))
        hits = []
        for index, note in enumerate(self.notes):
            score = scores.get(index, 0.0) + (
                6.0 if note.slug in named else 2.0 if note.slug in weak else 0.0
            )
            if score > 0:
                hits.append(NoteHit(note, score, note.slug in named, bool(asked & self._strong[index])))
        hits.sort(key=lambda hit: -hit.score)
        return hits[:limit]

    def without_names(self, text: str) -> str:
        """``text`` with every note name it mentions blanked out: the words left say what is asked about
        the named ideas ("why does a 4-bit … average more than 4 bits per weight")."""
        parts, last = [], 0
        for start, end, _ in self._mentions(text, True):
            parts += [text[last:start], " "]
            last = end
        return "".join([*parts, text[last:]])

    def subject(
        self, text: str, *, translate: Callable[[str], str] = lambda text: text, candidates: int = 4
    ) -> Note | None:
        """The note ``text`` is about. Among the notes it names, the one whose text names most of the others
        (S-LoRA's text names vLLM and LoRA: "vLLM … many LoRAs … S-LoRA?"), then the better match of the
        whole question and of the words left once the names are blanked out ("paged" in "a paged optimizer
        in QLoRA"), the first mention helped. A note the question does not name wins when its text names
        every named note and it matches both better ("bits per weight" of a "4-bit" model, "bytes per
        param" with "Adam", merging LoRA adapters "when serving"): a note whose sections answer the
        question beats one that only shares a name. ``translate`` turns a Chinese question into the notes'
        English (the caller's glossary)."""
        named = self.named(text)
        whole = {
            hit.note.slug: hit.score for hit in self.search(translate(text), limit=len(named) + candidates)
        }
        rest = self.without_names(text)
        left = {hit.note.slug: hit.score for hit in self.search(translate(rest), limit=len(self.notes))}

        def fit(note: Note) -> float:
            return whole.get(note.slug, 0.0) + _SPECIFIC_WEIGHT * left.get(note.slug, 0.0)

        slugs = {note.slug for _, note in named}
        own = {note.slug for _, note in named if self._named_by_own_name(text, note)}
        best: Note | None = None
        if named:

            def rank(item: tuple[int, Note]) -> float:
                start, note = item
                first = _FIRST_MENTION if start == named[0][0] else 0.0
                # the note named by its own name whose text names the other named ones relates them
                covers = len(self._mentioned_by(note) & slugs) if note.slug in own else 0
                return fit(note) + first + _FIRST_MENTION * covers

            best = max(named, key=rank)[1]
        top = max((fit(note) for _, note in named), default=0.0)
        top_left = max((left.get(note.slug, 0.0) for _, note in named), default=0.0)
        # A note the question does not name must relate every one it does (QLoRA's NF4 in the quantisation
        # note), and the named ones must be named by an alias ("4-bit", "Adam") or by a word of its own title
        # ("LoRA" of "S-LoRA: serving … LoRA adapters"): "ViT" asks about ViT whatever else matches.
        others = [
            self._by_slug[slug]
            for slug in whole
            if slug not in slugs
            and slugs <= self._mentioned_by(self._by_slug[slug])
            and not own - set(self._titled(text, self._by_slug[slug], slugs))
            and left.get(slug, 0.0) >= max(_CLEAR_LEFT, 2 * top_left)
        ]
        challenger = max(others, key=fit, default=None)
        if challenger is not None and (best is None or fit(challenger) > top):
            return challenger
        return best

    def _named_by_own_name(self, text: str, note: Note) -> bool:
        """Whether ``text`` mentions ``note`` by its own name (slug, title) rather than only by an alias."""
        own = self._own_terms(note)
        return any(
            found.slug == note.slug and set(terms(text[start:end])) & own
            for start, end, found in self._mentions(text, False)
        )

    def _titled(self, text: str, note: Note, slugs: set[str]) -> list[str]:
        """The named notes (of ``slugs``) whose mentions in ``text`` are words of ``note``'s title."""
        title = set(terms(note.title))
        return [
            found.slug
            for start, end, found in self._mentions(text, False)
            if found.slug in slugs and set(terms(text[start:end])) <= title
        ]

    def with_initials(self, text: str) -> str:
        """``text`` and the initials of its runs of two or three content words that the notes write as a
        term of their own: "learning rate" is also "lr", "batch norm" "bn", "weight decay" "wd"."""
        content = [w.lower() for w in _LATIN_WORD.findall(text) if w.lower() not in STOP_WORDS]
        found = {
            "".join(word[0] for word in content[i : i + n])
            for n in (2, 3)
            for i in range(len(content) - n + 1)
        }
        known = sorted(term for term in found if term in self._section_idf)
        return f"{text}\n{' '.join(known)}" if known else text

    def term_weight(self, note: Note, term: str) -> float:
        """How much sharing ``term`` says about which section of ``note`` answers: its rarity over all
        sections of all notes ("bubble" over "model"), times its rarity among this note's sections (the
        note's own name, which most of its sections use, says almost nothing)."""
        spread = self._note_spread.get(note.slug)
        count = spread.get(term, 0) if spread else 0
        if not count or term in self._own_terms(note):
            return 0.0  # "Where CLIP is used" is not about CLIP more than the other sections are
        sections = len(self._sections[note.slug])
        local = math.log(1 + (sections - count + 0.5) / (count + 0.5)) / math.log(1 + (sections - 0.5) / 1.5)
        return self._section_idf[term] * local

    def _own_terms(self, note: Note) -> frozenset[str]:
        """The terms naming the note itself: its slug, its English title when that names one thing
        ("Parameter-efficient fine-tuning", not "Over- and under-fitting"), and each part of its Chinese
        title that titles no section ("梯度爆炸"; not the "张量并行" of "张量并行与流水线并行")."""
        own = self._own.get(note.slug)
        if own is None:
            named = set(terms(note.slug))
            headings = {term for row in self._sections.get(note.slug, []) for term in row.heading}
            head = note.title.split("(")[0].split(":")[0]
            if not re.search(r",|/|&|\band\b|\bvs\b", head):  # "MobileNet V1, V2, V3" names three
                named |= set(terms(head))
            for part in re.split(r"[与和及、：:,，]", note.chinese_title):
                if not set(terms(part)) <= headings:
                    named |= set(terms(part))
            own = self._own[note.slug] = frozenset(named | {term + "s" for term in named})  # "GANs"
        return own

    def rank_sections(self, note: Note, text: str, hints: Iterable[str] = ()) -> list[tuple[float, Section]]:
        """The sections of ``note`` that answer ``text``, best first, each with its score (> 0): BM25 over the
        section's text (words weighed by :meth:`term_weight`), the question's words in its heading counting
        most, and a small bonus for a heading the question's kind points at (``hints``: "why" → motivation,
        problem …). Linear in the length of ``text``."""
        weights = {term: self.term_weight(note, term) for term in terms(text)}
        query = [(term, weight) for term, weight in weights.items() if weight > 0]
        wanted = {fold(word) for word in hints}
        ranked: list[tuple[float, Section]] = []
        for row in self._sections.get(note.slug, []):
            scale = _K1 * (1 - _SECTION_B + _SECTION_B * row.length / self._section_length)
            score = 0.0
            for term, idf in query:
                count = row.body.get(term, 0)
                score += idf * count * (_K1 + 1) / (count + scale)
                if term in row.heading:
                    score += _HEADING_WEIGHT * idf
                elif term in row.defined:
                    score += _DEFINED_WEIGHT * idf
            if wanted & row.heading_words:
                score += _HINT_BONUS
            if score > 0:
                ranked.append((score, row.section))
        ranked.sort(key=lambda item: -item[0])
        return ranked

    def best_section(self, note: Note, text: str, hints: Iterable[str] = ()) -> Section | None:
        """The section of ``note`` that best answers ``text`` (see :meth:`rank_sections`); the first section
        — the note's opening — when nothing points anywhere."""
        ranked = self.rank_sections(note, text, hints)
        if ranked:
            return ranked[0][1]
        sections = self._sections.get(note.slug, [])
        return sections[0].section if sections else None


@dataclass(frozen=True)
class _IndexedSection:
    section: Section
    body: Counter[str]
    """Term counts of the section's text."""
    heading: frozenset[str]
    """Terms of its heading."""
    heading_words: frozenset[str]
    """Its heading's English words, plural folded (what question kinds point at)."""
    defined: frozenset[str]
    """Terms it sets in bold: what the notes define there ("**FPN** (特征金字塔网络) adds …")."""

    @property
    def length(self) -> int:
        return self.body.total()


def _sections(markdown: str) -> tuple[Section, ...]:
    sections: list[tuple[str, list[str]]] = []
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif sections:
            sections[-1][1].append(line)
    return tuple(Section(heading, "\n".join(body).strip()) for heading, body in sections)


@cache
def note_index() -> NoteIndex:
    """The index of the project's notes, built once per process from :mod:`tools.knowledge`."""
    from tools import knowledge

    notes = []
    for topic in knowledge.list_topics().topics:
        markdown = knowledge.read_note(topic.slug)
        notes.append(
            Note(
                slug=topic.slug,
                title=topic.title,
                summary=topic.summary,
                names=knowledge.topic_names(topic.slug),
                sections=_sections(markdown),
            )
        )
    return NoteIndex(notes)
