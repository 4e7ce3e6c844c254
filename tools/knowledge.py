"""The knowledge notes: short markdown explanations of the ideas behind the other tools.

Each topic is one file ``tools/notes/<slug>.md`` whose first line is ``# Title (中文术语)`` and whose first
paragraph is a one-line summary; those two lines are the topic's metadata. :mod:`tools.topics` adds the two
things a file cannot say about itself: which group it belongs to and the extra names people use for it
(aliases, Chinese terms, model variants such as "ResNet-50"). Markdown links between notes
(``[LoRA](lora.md)``) are the related topics.

The tools are :func:`list_topics` and :func:`explain`; :func:`topic_slugs` and :func:`read_note` are plain
functions for the MCP server's ``notes://{topic}`` resources. Files are read once, through
``importlib.resources`` so they are found inside an installed package too.
"""

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated

from pydantic import Field

from tools._common import ResultModel
from tools.errors import ToolInputError
from tools.topics import ALIASES, GROUPS, NoteGroup

__all__ = [
    "ExplainResult",
    "NoteGroup",
    "TopicLink",
    "TopicSummary",
    "TopicsResult",
    "explain",
    "list_topics",
    "read_note",
    "topic_names",
    "topic_slugs",
]

_URI_SCHEME = "notes://"
_CJK_SPLIT = re.compile(r"[与和及、/,，;；:：\s]+")
_LINK = re.compile(r"\[[^\]]+\]\(([a-z0-9-]+)\.md\)")


@dataclass(frozen=True)
class _Note:
    """One parsed note file."""

    slug: str
    """File name without ``.md``; the stable identifier."""
    group: str
    """The group it is listed under in ``GROUPS``."""
    title: str
    """The ``#`` line without the hashes: English title plus the Chinese term in parentheses."""
    summary: str
    """The first paragraph after the title."""
    markdown: str
    """The whole file."""
    sections: tuple[tuple[str, str], ...]
    """``(heading, markdown of the section including its heading line)`` for each ``##`` section."""
    related: tuple[str, ...]
    """Slugs of the other notes this one links to, in order of first mention."""


@dataclass(frozen=True)
class _Library:
    notes: dict[str, _Note]
    """slug → note, in group order."""
    index: dict[str, str]
    """Normalised name (slug, title, alias, Chinese term) → slug."""


# --------------------------------------------------------------------------------------------------- results


class TopicLink(ResultModel):
    """A pointer to another note."""

    slug: str = Field(description="Topic identifier; pass it to explain(topic=...).")
    title: str = Field(description="The note's title, English with the Chinese term.")
    uri: str = Field(description="The MCP resource holding the note's markdown.")


class TopicSummary(ResultModel):
    """One row of the topic listing."""

    slug: str = Field(description="Topic identifier; pass it to explain(topic=...).")
    title: str = Field(description="The note's title, English with the Chinese term in parentheses.")
    summary: str = Field(description="One-line summary of the note.")
    group: str = Field(description="The group the topic belongs to.")


class TopicsResult(ResultModel):
    """The notes available to explain()."""

    count: int = Field(description="Number of topics listed.")
    groups: list[str] = Field(description="The groups, in reading order.")
    topics: list[TopicSummary] = Field(description="Every topic (of the requested group), in reading order.")


class ExplainResult(ResultModel):
    """A note (or one section of it) with its metadata."""

    slug: str = Field(description="Topic identifier the query resolved to.")
    title: str = Field(description="The note's title, English with the Chinese term in parentheses.")
    group: str = Field(description="The group the topic belongs to.")
    summary: str = Field(description="One-line summary of the note.")
    section: str | None = Field(description="Heading of the section returned, or null for the whole note.")
    sections: list[str] = Field(description="Headings of all '##' sections of the note, in order.")
    markdown: str = Field(description="The note in markdown (or only the requested section).")
    related: list[TopicLink] = Field(description="Other notes this one links to.")


# ---------------------------------------------------------------------------------------------------- tools


def list_topics(
    group: Annotated[
        NoteGroup | None,
        Field(description="Only list topics of this group; omit for all topics."),
    ] = None,
) -> TopicsResult:
    """List the knowledge notes (知识笔记): every topic's slug, title, one-line summary and group.

    Groups: protocols & agents (MCP, function calling, A2A, 智能体), information theory (交叉熵, KL散度,
    losses), backbones (LeNet … ViT), complexity (参数量 vs FLOPs), fine-tuning (PEFT: LoRA, QLoRA, …),
    LLM inference (大模型推理: KV缓存, FlashAttention, 连续批处理, 量化, 投机解码, 并行, 屋顶线),
    architectures (Transformer, BERT, GPT, CLIP, BLIP, diffusion, GAN, LSTM), training (optimizers,
    过拟合/欠拟合, 梯度消失/梯度爆炸), detection (目标检测: anchors, IoU, NMS, mAP) and OOD (分布外检测). Read
    one with explain(topic).
    """
    library = _library()
    topics = [
        TopicSummary(slug=n.slug, title=n.title, summary=n.summary, group=n.group)
        for n in library.notes.values()
        if group is None or n.group == group
    ]
    return TopicsResult(count=len(topics), groups=list(GROUPS), topics=topics)


def explain(
    topic: Annotated[
        str,
        Field(
            min_length=1,
            max_length=200,
            description="Topic to explain: a slug from list_topics, a title, an alias or a Chinese term, "
            "e.g. 'lora', 'KL散度', 'ResNet-50', 'low-rank adaptation', '过拟合'. Case and punctuation "
            "are ignored.",
        ),
    ],
    section: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=200,
            description="Return only the '##' section with this heading (or a unique part of it); "
            "omit for the whole note.",
        ),
    ] = None,
) -> ExplainResult:
    """Explain an ML or agent-protocol topic from the project's notes (知识笔记), as markdown.

    Covers MCP / function calling / A2A, agents (智能体), cross-entropy vs KL (交叉熵 vs KL散度),
    losses, each backbone, model complexity, each PEFT method (LoRA 低秩适配, QLoRA, DoRA …), LLM
    inference (KV cache, FlashAttention, continuous batching, GPTQ/AWQ, speculative decoding, parallelism,
    roofline 屋顶线), Transformer/BERT/GPT/CLIP/BLIP/diffusion/GAN/LSTM, optimizers (优化器),
    over-/under-fitting (过拟合/欠拟合), vanishing/exploding gradients (梯度消失/梯度爆炸), object detection
    (目标检测) and OOD detection (分布外检测).
    Returns the note (or one section), its title, summary, section headings and related topics.
    An unknown topic is an error listing the closest matches.
    """
    note = _library().notes[_resolve(topic)]
    heading: str | None = None
    markdown = note.markdown
    if section is not None:
        heading, markdown = _find_section(note, section)
    return ExplainResult(
        slug=note.slug,
        title=note.title,
        group=note.group,
        summary=note.summary,
        section=heading,
        sections=[h for h, _ in note.sections],
        markdown=markdown,
        related=[_link(slug) for slug in note.related],
    )


# ----------------------------------------------------------------------------------- functions for resources


def topic_slugs() -> list[str]:
    """Every topic's slug, in reading order (the MCP server's ``notes://{topic}`` resources)."""
    return list(_library().notes)


def read_note(slug: str) -> str:
    """The markdown of one note; accepts the same names as :func:`explain`, unknown → ``ToolInputError``."""
    return _library().notes[_resolve(slug)].markdown


def topic_names(slug: str) -> tuple[str, ...]:
    """Every name :func:`explain` accepts for a topic, as written: the slug, the title, its English and
    Chinese parts, and the aliases (what a reader may call it; the offline model searches them)."""
    note = _library().notes[_resolve(slug)]
    names = (note.slug, *_title_names(note.title), *ALIASES.get(note.slug, "").split(";"))
    return tuple(dict.fromkeys(name.strip() for name in names if name.strip()))


# ------------------------------------------------------------------------------------------------- internals


def _norm(name: str) -> str:
    """Case-, width- and punctuation-insensitive form of a name: 'ResNet-50' → 'resnet50', '(IA)³' → 'ia3'."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", name).casefold() if ch.isalnum())


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _title_names(title: str) -> list[str]:
    """The names a title offers: itself, its English part, its Chinese part and each Chinese term in it."""
    names = [title]
    match = re.fullmatch(r"(?P<en>.*?)\s*\((?P<zh>[^()]*)\)", title)
    if match:
        names.append(match["en"])
        names.append(match["zh"])
        names.extend(part for part in _CJK_SPLIT.split(match["zh"]) if part.strip())
    return names


def _parse(slug: str, group: str, markdown: str) -> _Note:
    lines = markdown.splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"note {slug}.md must start with '# Title (中文术语)'")
    title = lines[0][2:].strip()
    summary_lines: list[str] = []
    for line in lines[1:]:
        if line.strip():
            if line.startswith("#"):
                break
            summary_lines.append(line.strip())
        elif summary_lines:
            break
    sections: list[tuple[str, list[str]]] = []
    in_code = False
    for line in lines[1:]:
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("## "):
            sections.append((line[3:].strip(), [line]))
        elif sections:
            sections[-1][1].append(line)
    related = dict.fromkeys(target for target in _LINK.findall(markdown) if target != slug)
    return _Note(
        slug=slug,
        group=group,
        title=title,
        summary=" ".join(summary_lines),
        markdown=markdown,
        sections=tuple((h, "\n".join(body).strip() + "\n") for h, body in sections),
        related=tuple(related),
    )


@cache
def _library() -> _Library:
    folder = resources.files("tools").joinpath("notes")
    notes: dict[str, _Note] = {}
    for group, slugs in GROUPS.items():
        for slug in slugs:
            text = folder.joinpath(f"{slug}.md").read_text(encoding="utf-8")
            notes[slug] = _parse(slug, group, text)
    index: dict[str, str] = {}
    for slug, note in notes.items():
        for name in (slug, *_title_names(note.title), *ALIASES.get(slug, "").split(";")):
            key = _norm(name)
            if not key:
                continue
            if index.setdefault(key, slug) != slug:
                raise ValueError(f"name {name!r} would mean both {index[key]!r} and {slug!r}")
    return _Library(notes=notes, index=index)


def _resolve(topic: str) -> str:
    library = _library()
    slug = library.index.get(_norm(topic))
    if slug is not None:
        return slug
    closest = _closest(topic)
    if closest:
        hint = "closest: " + ", ".join(closest)
    else:
        hint = f"no close match; call list_topics for all {len(library.notes)} topics"
    raise ToolInputError("topic", f"unknown topic {topic!r}; {hint}")


def _closest(topic: str, n: int = 3) -> list[str]:
    """The slugs most like ``topic``: by name similarity (difflib), then by notes that mention it."""
    library = _library()
    key = _norm(topic)
    scores: dict[str, float] = {}
    if key:
        for name, slug in library.index.items():
            score = difflib.SequenceMatcher(None, key, name).ratio()
            if len(key) >= 3 and len(name) >= 3 and (key in name or name in key):
                score = max(score, 0.8)
            scores[slug] = max(scores.get(slug, 0.0), score)
    needle = unicodedata.normalize("NFKC", topic).casefold().strip()
    if len(needle) >= 3 or (_has_cjk(needle) and len(needle) >= 2):
        for slug, note in library.notes.items():
            mentions = note.markdown.casefold().count(needle)
            if mentions:
                scores[slug] = max(scores.get(slug, 0.0), min(0.79, 0.6 + 0.03 * mentions))
    ranked = sorted((s for s in scores.items() if s[1] >= 0.55), key=lambda item: -item[1])
    return [slug for slug, _ in ranked[:n]]


def _find_section(note: _Note, wanted: str) -> tuple[str, str]:
    key = _norm(wanted)
    exact = [(h, body) for h, body in note.sections if _norm(h) == key]
    partial = [(h, body) for h, body in note.sections if key and key in _norm(h)]
    found = exact or partial
    if len(found) == 1:
        return found[0]
    headings = ", ".join(repr(h) for h, _ in note.sections)
    if found:
        raise ToolInputError("section", f"{wanted!r} matches several sections of '{note.slug}': {headings}")
    raise ToolInputError("section", f"no section {wanted!r} in '{note.slug}'; sections: {headings}")


def _link(slug: str) -> TopicLink:
    return TopicLink(slug=slug, title=_library().notes[slug].title, uri=f"{_URI_SCHEME}{slug}")
