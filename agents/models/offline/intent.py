"""Intent: what kind of message this is, from the language tables' cues alone.

The conversational intents (small talk, what can you do, the user introducing themselves, remember, recall,
forget, a follow-up to the previous request) are told by cues. Whether a question asks for an idea (explain,
from the notes) or a number (compute, with a tool) also needs the evidence of retrieval and slot filling;
:func:`wants_explanation` makes that call from the cues plus that evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from agents.models.offline.language import words
from agents.models.offline.phrases import all_phrases
from agents.models.offline.state import DialogueState

__all__ = ["Cues", "Intent", "Message", "asks_about_idea", "classify", "read_cues", "wants_explanation"]


class Intent(StrEnum):
    SMALL_TALK = "small_talk"
    CAPABILITIES = "capabilities"
    INTRODUCTION = "introduction"
    REMEMBER = "remember"
    RECALL = "recall"
    FORGET = "forget"
    REQUEST = "request"
    """A question or task: explain, compute, compare, diagnose — decided with retrieval's evidence."""


@dataclass(frozen=True)
class Cues:
    """Which cues of any language the message carries."""

    concept: bool
    explanatory: bool
    """A reason or a mechanism is asked for ("why", "how does it work")."""
    quantity: bool
    comparison: bool
    follow_up: bool
    hints: tuple[str, ...]
    """Heading words the question's kind points at ("why" → problem, motivation …)."""


@dataclass(frozen=True)
class Message:
    """A message classified."""

    intent: Intent
    cues: Cues
    detail: str = ""
    """The fact to remember, the recall query, the memory id to forget, or the name told."""


def _first(name: str, text: str) -> re.Match[str] | None:
    for table in all_phrases():
        match = table.cue(name, text)
        if match:
            return match
    return None


def read_cues(text: str) -> Cues:
    hints: list[str] = []
    for table in all_phrases():
        for pattern, headings in table.hints:
            if pattern.search(text):
                hints.extend(headings)
    return Cues(
        concept=_first("concept", text) is not None,
        explanatory=_first("explanatory", text) is not None,
        quantity=_first("quantity", text) is not None,
        comparison=_first("comparison", text) is not None,
        follow_up=_first("follow_up", text) is not None,
        hints=tuple(dict.fromkeys(hints)),
    )


def classify(state: DialogueState) -> Message:
    """The intent of the newest message."""
    text = state.request
    cues = read_cues(text)
    stripped = text.strip()
    if not stripped or _first("small_talk", stripped):
        return Message(Intent.SMALL_TALK, cues)
    remember = _first("remember", stripped) or _remember_after(stripped)
    if remember is not None:
        fact = (remember.groupdict().get("fact") or "").strip(" .。!！")
        if not fact and remember.start() > 0:
            fact = stripped[: remember.start()].strip(" ,，.。;；")
        if fact:
            return Message(Intent.REMEMBER, cues, fact)
    forget = _first("forget", stripped)
    if forget is not None:
        return Message(Intent.FORGET, cues, forget.group("id"))
    if _first("recall_self", stripped) or _first("name_question", stripped):
        return Message(Intent.RECALL, cues, "")
    recall = _first("recall_topic", stripped)
    if recall is not None and not cues.quantity:
        topic = next(value for key, value in recall.groupdict().items() if key.startswith("topic") and value)
        return Message(Intent.RECALL, cues, topic.strip())
    if _first("capabilities", stripped):
        return Message(Intent.CAPABILITIES, cues)
    intro = _first("name_intro", stripped) or _first("preference", stripped)
    if intro is not None and _is_only_about_user(stripped):
        return Message(Intent.INTRODUCTION, cues)
    return Message(Intent.REQUEST, cues)


_REMEMBER_AFTER = re.compile(
    r"[,.;!，。；！]\s*(?:please\s+|请)?(?:remember (?:that|this|it)|记住(?:这个|这点|它)?)\W*$",
    re.IGNORECASE,
)


def _remember_after(text: str) -> re.Match[str] | None:
    """ "My GPU is a 3090, remember that." — the fact comes first."""
    return _REMEMBER_AFTER.search(text)


_ABOUT_USER = re.compile(
    r"^(?:hi|hello|hey|你好|您好|嗨|哈喽)?\W*"
    r"(?:(?:my name(?:'s| is)|call me|i am|i'm|我叫|我的名字是|我是)\s*[\w\-]+"
    r"|i (?:would |'d )?(?:prefer|like|want)[^.!?;]*|(?:please )?(?:always )?(?:answer|reply) in [\w\-]+"
    r"|我(?:更)?(?:喜欢|习惯|希望)[^。!！?？]*|请用[^。!！?？]*)(?:\W+(?:and|但|和|,)?\W*|$)",
    re.IGNORECASE,
)


def _is_only_about_user(text: str) -> bool:
    """The message only says who the user is or how they like answers (no question or task besides)."""
    rest = text
    for _ in range(4):
        match = _ABOUT_USER.match(rest)
        if match is None or match.end() == 0:
            break
        rest = rest[match.end() :]
    return len(words(rest)) <= 1 and not re.search(r"[\u3400-\u9fff]{3,}", rest)


def wants_explanation(cues: Cues, *, computable: bool, has_data: bool, quantity_words: bool) -> bool:
    """An idea rather than a number: a concept cue ("what is", "why", "区别") with nothing to compute
    with, or no tool that can run on what the request gives.

    ``computable``: the best tool's required arguments are all in the request; ``has_data``: the request
    writes values (lists, numbers, sizes) the tool used; ``quantity_words``: it names what the tool computes
    ("parameters", "FLOPs") or asks how many / how much.
    """
    if not computable:
        return True
    if has_data:
        return False
    return cues.concept and not (quantity_words or cues.quantity)


_QUESTION_MARK = re.compile(r"[?？]\s*$")


def asks_about_idea(cues: Cues, text: str) -> bool:
    """A question, not an order: a concept or reason cue, a kind of answer asked for (tips, causes, the
    architecture …), or a question mark ("wrong argument order?")."""
    return cues.concept or cues.explanatory or bool(cues.hints) or _QUESTION_MARK.search(text) is not None
