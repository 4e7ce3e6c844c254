"""Dialogue state, read from the messages of one request (the offline model keeps nothing between requests):
the user's newest message and its language, the calls of the previous turn (what a follow-up changes), a
question this model asked that the message may answer, and what the user said about themselves — their name
and preferences — in this conversation or in the long-term memories the agent put into the context.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from agents.models.offline.language import Language, language_of, prepare
from agents.models.offline.phrases import all_phrases

__all__ = [
    "ASK_USER",
    "MEMORY_TOOLS",
    "DialogueState",
    "PastCall",
    "Pending",
    "call_arguments",
    "content_of",
    "read_state",
]

ASK_USER = "ask_user"
MEMORY_TOOLS = frozenset({"remember", "recall", "forget"})
_PENDING = re.compile(r"(?:To run|要运行) `([A-Za-z0-9_.\-]+)`")
_MEMORY_LINE = re.compile(r"^- \[memory (\d+), ([\w\-]+)\] (.+)$", re.MULTILINE)
_NOT_NAMES = frozenset(
    [
        *("chinese", "english", "sorry", "fine", "good", "new", "back", "here", "ok", "okay", "done"),
        *("ready", "stuck", "confused", "sure", "not", "just", "also"),
    ]
)
_UNIT_WORDS = {"bit": "bits", "bits": "bits", "比特": "bits", "nat": "nats", "nats": "nats", "纳特": "nats"}
_LANGUAGE_WORDS = {"chinese": "zh", "中文": "zh", "english": "en", "英文": "en"}


@dataclass(frozen=True)
class PastCall:
    """A tool call of an earlier turn and what it returned."""

    name: str
    arguments: dict[str, Any]
    result: str
    request: str
    """The user message that led to it."""


@dataclass(frozen=True)
class Pending:
    """This model asked for missing arguments; the next user message may answer."""

    tool: str
    request: str
    """The request that lacked them."""


@dataclass
class DialogueState:
    request: str
    """The newest user message, prepared (bounded, normalised)."""
    language: Language
    """The language to answer in: the message's, unless the user asked for another."""
    history: list[str] = field(default_factory=list)
    """Earlier user messages, oldest first."""
    last_calls: list[PastCall] = field(default_factory=list)
    """The calls of the most recent earlier turn that ran tools (memory and ask_user calls aside)."""
    pending: Pending | None = None
    name: str | None = None
    """The user's name, as told in this conversation or found in the memories in context."""
    preferences: dict[str, str] = field(default_factory=dict)
    """``unit`` (bits, nats) and ``language`` (en, zh), as told or remembered."""
    memories: list[tuple[int, str, str]] = field(default_factory=list)
    """Long-term memories in the context: ``(id, kind, text)``."""


def content_of(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def read_state(messages: list[dict[str, Any]]) -> DialogueState:
    """The state of the conversation whose newest message is a user message."""
    request = prepare(content_of(messages[-1])) if messages else ""
    state = DialogueState(request=request, language=language_of(request))
    turn_calls: list[PastCall] = []
    current_request = ""
    calls_by_id: dict[str, tuple[str, dict[str, Any]]] = {}
    for message in messages[:-1]:
        role = message.get("role")
        if role == "system":
            for memory_id, kind, text in _MEMORY_LINE.findall(content_of(message)[:20_000]):
                state.memories.append((int(memory_id), kind, text.strip()))
        elif role == "user":
            if turn_calls:
                state.last_calls, turn_calls = turn_calls, []
            current_request = prepare(content_of(message))
            state.history.append(current_request)
        elif role == "assistant":
            for call in message.get("tool_calls") or ():
                function = call.get("function") or {}
                calls_by_id[str(call.get("id"))] = (str(function.get("name")), call_arguments(function))
        elif role == "tool":
            name, arguments = calls_by_id.get(str(message.get("tool_call_id")), ("", {}))
            if name and name != ASK_USER and name not in MEMORY_TOOLS:
                turn_calls.append(PastCall(name, arguments, content_of(message), current_request))
    if turn_calls:
        state.last_calls = turn_calls
    state.pending = _pending(messages[:-1])
    _about_user(state)
    return state


def call_arguments(function: dict[str, Any]) -> dict[str, Any]:
    """A tool call's JSON arguments as a dict (``{}`` when they are not a JSON object)."""
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except (TypeError, ValueError):
        return {}
    return arguments if isinstance(arguments, dict) else {}


def _pending(messages: list[dict[str, Any]]) -> Pending | None:
    """When the conversation ends with this model asking for a missing argument: the tool and the request."""
    index = len(messages) - 1
    while index >= 0 and messages[index].get("role") == "tool":
        index -= 1
    if index < 0 or messages[index].get("role") != "assistant":
        return None
    assistant = messages[index]
    question = content_of(assistant)
    for call in assistant.get("tool_calls") or ():
        function = call.get("function") or {}
        if function.get("name") == ASK_USER:
            question = str(call_arguments(function).get("question", ""))
    match = _PENDING.search(question)
    if match is None:
        return None
    original = next(
        (prepare(content_of(m)) for m in reversed(messages[:index]) if m.get("role") == "user"), ""
    )
    return Pending(match.group(1), original)


def _about_user(state: DialogueState) -> None:
    """Name and preferences: remembered ones first, then what this conversation says (newer wins)."""
    sources = [text for _, _, text in state.memories] + state.history + [state.request]
    for text in sources:
        for table in all_phrases():
            match = table.cue("name_intro", text)
            if match:
                name = next((g for g in match.groups() if g), None)
                if name and re.search(r"什么|谁|啥|what", name, re.IGNORECASE):
                    continue  # "我叫什么名字？" asks for the name
                # "I am …", "I'm …", "im …": a capitalised name
                casual = match.group(0)[:3].lower() in ("i a", "i'm", "i’m", "im ")
                if name and (not casual or (name[:1].isupper() and name.lower() not in _NOT_NAMES)):
                    state.name = name.strip().capitalize() if name.isascii() else name.strip()
            preference = table.cue("preference", text)
            if preference:
                value = next((g for g in preference.groups() if g), "").lower()
                if value in _UNIT_WORDS:
                    state.preferences["unit"] = _UNIT_WORDS[value]
                elif value in _LANGUAGE_WORDS:
                    state.preferences["language"] = _LANGUAGE_WORDS[value]
    if "language" in state.preferences:
        state.language = state.preferences["language"]  # type: ignore[assignment]
