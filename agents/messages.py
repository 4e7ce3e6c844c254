"""The agent's core types: chat messages, tool specs, tool calls, model replies, and the token estimate.

Messages and tool specs keep the OpenAI chat-completions wire shape (every backend here speaks it, so nothing
is converted twice), typed as ``TypedDict``s so a checker sees the keys; replies from a model are frozen
dataclasses. This module imports nothing else of the project: every other module of ``agents`` may import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, Required, TypedDict

__all__ = [
    "CJK_CHARS",
    "FunctionDefinition",
    "Message",
    "ModelResponse",
    "Role",
    "TextDelta",
    "ToolCall",
    "ToolSpec",
    "WireToolCall",
    "estimate_tokens",
    "has_cjk",
    "tool_name",
]

Role = Literal["system", "user", "assistant", "tool"]

#: The CJK ideograph ranges (unified, extension A, compatibility) as a regex character-class body; the one
#: definition every module that looks for Chinese text uses.
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{CJK_CHARS}]")


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds at least one CJK ideograph."""
    return _CJK.search(text) is not None


class WireFunctionCall(TypedDict):
    name: str
    arguments: str
    """A JSON *string*, as the wire carries it."""


class WireToolCall(TypedDict):
    """One entry of an assistant message's ``tool_calls``."""

    id: str
    type: Literal["function"]
    function: WireFunctionCall


class Message(TypedDict, total=False):
    """One chat message (``ChatCompletionMessageParam``): ``role`` always, the other keys by role —
    ``content`` (text, ``None`` for an assistant that only called tools, or content parts), ``tool_calls``
    (assistant), ``tool_call_id`` (tool)."""

    role: Required[Role]
    content: str | list[dict[str, Any]] | None
    tool_calls: list[WireToolCall]
    tool_call_id: str
    name: str


class FunctionDefinition(TypedDict):
    name: str
    description: NotRequired[str]
    parameters: NotRequired[dict[str, Any]]
    """The JSON schema of the arguments (an MCP tool's ``inputSchema`` passes through unchanged)."""


class ToolSpec(TypedDict):
    """One function tool offered to the model (``ChatCompletionToolParam``)."""

    type: Literal["function"]
    function: FunctionDefinition


def tool_name(spec: ToolSpec) -> str:
    """The name of the tool a spec describes."""
    return spec["function"]["name"]


@dataclass(frozen=True)
class ToolCall:
    """A function call the model asked for."""

    id: str
    """The call id; the ``role=tool`` message that answers it carries the same id."""
    name: str
    """The tool's name, as the model spelled it (it may not exist)."""
    arguments: str
    """The arguments as the model sent them: a JSON *string*, possibly malformed."""

    def to_wire(self) -> WireToolCall:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True)
class ModelResponse:
    """One complete model reply: text, tool calls, or both."""

    text: str | None
    """The assistant's text (``None`` when it only called tools)."""
    tool_calls: tuple[ToolCall, ...] = ()
    """The calls to run before asking the model again; empty for a final answer."""
    finish_reason: str | None = None
    """Why the model stopped (``stop``, ``tool_calls``, ``length``...), as reported."""
    usage: dict[str, int] = field(default_factory=dict)
    """Token counts reported by the endpoint, when it reports them."""

    def to_message(self) -> Message:
        """The assistant message to append to the conversation."""
        message: Message = {"role": "assistant", "content": self.text}
        if self.tool_calls:
            message["tool_calls"] = [call.to_wire() for call in self.tool_calls]
        return message


@dataclass(frozen=True)
class TextDelta:
    """A fragment of the assistant's text, streamed as it arrives."""

    text: str


# Wide characters (CJK ideographs, kana, hangul, full-width forms) cost about one token each.
_WIDE = re.compile("[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_MESSAGE_OVERHEAD = 4


def _text_tokens(text: str) -> int:
    if not text:
        return 0
    if text.isascii():
        return (len(text) + 3) // 4
    wide = len(_WIDE.findall(text))
    return wide + (len(text) - wide + 3) // 4


def estimate_tokens(message: Message) -> int:
    """An offline estimate of the tokens a chat message costs (content, tool calls and framing): about four
    characters per token for Latin text, one per wide (CJK) character — no tokenizer download."""
    total = _MESSAGE_OVERHEAD
    content = message.get("content")
    if isinstance(content, str):
        total += _text_tokens(content)
    elif isinstance(content, list):  # content parts
        total += sum(_text_tokens(str(part.get("text", ""))) for part in content if isinstance(part, dict))
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {"name": "", "arguments": ""}
        total += 3 + _text_tokens(function.get("name", "")) + _text_tokens(function.get("arguments", ""))
    return total
