"""Test models that ship with the package, so anyone can test an agent without a real model.

- :class:`ScriptedModel` answers from a queue (replies, or exceptions to raise) and records every request.
- :class:`FunctionModel` answers with ``fn(messages, tools)``, for tests that branch on the conversation.
- :mod:`agents.models.testing.http` mocks ``/v1/chat/completions`` at the HTTP seam with respx (openai's
  httpx2 included) and guards against a test reaching a real endpoint.

Example::

    model = ScriptedModel([reply(call("entropy", {"p": [0.5, 0.5]})), "H = 1 bit."])
    agent = Agent(model, toolbox)
    result = await agent.run("entropy of a fair coin?", session=Session.ephemeral())
    assert model.requests[1].messages[-1]["role"] == "tool"
"""

from __future__ import annotations

import copy
import inspect
import itertools
import json
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from agents.messages import Message, ModelResponse, TextDelta, ToolCall, ToolSpec, tool_name
from agents.toolbox import TurnContext

__all__ = ["FunctionModel", "RecordedRequest", "ScriptedModel", "call", "reply"]

_ids = itertools.count(1)

Reply = ModelResponse | ToolCall | str | BaseException
"""What a test model may answer: a full reply, one tool call, plain text, or an exception to raise."""


def call(name: str, arguments: dict[str, Any] | str | None = None, *, id: str | None = None) -> ToolCall:
    """A tool call; ``arguments`` as a dict (encoded to JSON) or a raw string (sent as is, e.g. malformed)."""
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
    return ToolCall(id=id or f"call_test_{next(_ids)}", name=name, arguments=raw)


def reply(*calls: ToolCall, text: str | None = None) -> ModelResponse:
    """A model reply with optional text and any number of tool calls (run concurrently by the agent)."""
    return ModelResponse(text=text, tool_calls=tuple(calls), finish_reason="tool_calls" if calls else "stop")


@dataclass(frozen=True)
class RecordedRequest:
    """One request a test model received (deep copies, so later changes to the conversation do not show)."""

    messages: list[Message]
    """The messages sent, in order."""
    tools: list[ToolSpec]
    """The tool specs offered."""

    @property
    def tool_names(self) -> list[str]:
        return [tool_name(tool) for tool in self.tools]


def _as_response(answer: Reply) -> ModelResponse:
    if isinstance(answer, BaseException):
        raise answer
    if isinstance(answer, ModelResponse):
        return answer
    if isinstance(answer, ToolCall):
        return reply(answer)
    if isinstance(answer, str):
        return ModelResponse(text=answer, finish_reason="stop")
    if isinstance(answer, list | tuple) and all(isinstance(item, ToolCall) for item in answer):
        return reply(*answer)
    raise TypeError(f"a test model cannot answer with {type(answer).__name__}")


async def _stream(response: ModelResponse) -> AsyncIterator[TextDelta | ModelResponse]:
    if response.text:
        # word by word, like a real stream, so consumers of TextDelta are exercised
        for piece in response.text.split(" ")[:-1]:
            yield TextDelta(piece + " ")
        yield TextDelta(response.text.split(" ")[-1])
    yield response


class ScriptedModel:
    """Answers each request with the next queued reply; raises queued exceptions; records every request.

    Running out of replies fails the test with an ``AssertionError`` naming the request that had no answer.
    """

    def __init__(self, replies: Iterable[Reply] = (), *, name: str = "scripted") -> None:
        self.name = name
        self.replies: deque[Reply] = deque(replies)
        self.requests: list[RecordedRequest] = []

    def add(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec],
        *,
        context: TurnContext | None = None,
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        self.requests.append(RecordedRequest(copy.deepcopy(list(messages)), copy.deepcopy(list(tools))))
        if not self.replies:
            raise AssertionError(
                f"ScriptedModel has no reply queued for request #{len(self.requests)} "
                f"(last message: {messages[-1] if messages else None!r})"
            )
        async for event in _stream(_as_response(self.replies.popleft())):
            yield event


FunctionReply = Callable[[list[Message], list[ToolSpec]], Reply | Awaitable[Reply]]


class FunctionModel:
    """Answers with ``fn(messages, tools)`` (sync or async); records every request like
    :class:`ScriptedModel`."""

    def __init__(self, fn: FunctionReply, *, name: str = "function") -> None:
        self.name = name
        self.fn = fn
        self.requests: list[RecordedRequest] = []

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec],
        *,
        context: TurnContext | None = None,
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        recorded = RecordedRequest(copy.deepcopy(list(messages)), copy.deepcopy(list(tools)))
        self.requests.append(recorded)
        answer = self.fn(recorded.messages, recorded.tools)
        if inspect.isawaitable(answer):
            answer = await answer
        async for event in _stream(_as_response(answer)):
            yield event
