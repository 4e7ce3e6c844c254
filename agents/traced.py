"""Tracing as wrappers: a traced model and a traced toolbox record every protocol message they pass on.

The agent loop and the MCP client know nothing of tracing; :func:`agents.runtime.open_agent` wraps the model
and the toolbox when a trace is kept::

    agent = Agent(TracedModel(model, trace), TracedToolbox(toolbox, trace, peer="protoplay-mcp"))

Each request/response pair becomes two events of the JSONL trace (:mod:`agents.trace`), in the session the
:class:`~agents.toolbox.TurnContext` names, with a readable digest as payload. A wrapper behaves exactly like
what it wraps: same stream, same outcomes, same errors.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from agents.messages import Message, ModelResponse, TextDelta, ToolSpec, tool_name
from agents.models.base import Model
from agents.text import one_line
from agents.toolbox import Toolbox, ToolOutcome, TurnContext
from agents.trace import TraceWriter

__all__ = ["TracedModel", "TracedToolbox", "request_digest", "response_digest"]

_NO_SESSION = "default"


class TracedModel:
    """A :class:`~agents.models.base.Model` that records each model request and its reply (``protocol="llm"``,
    ``method`` the wire: ``chat.completions`` or ``responses``)."""

    def __init__(self, model: Model, trace: TraceWriter) -> None:
        self.inner = model
        self.trace = trace
        self.name = model.name
        self.method = getattr(model, "wire_method", "chat.completions")
        """The wire the events name: ``chat.completions``, or ``responses`` for the Responses API."""

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec],
        *,
        context: TurnContext | None = None,
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        session = context.session if context is not None else _NO_SESSION
        started = time.perf_counter()
        self.trace.record(
            "llm", "out", self.name, self.method, request_digest(messages, tools), None, session
        )
        async for event in self.inner.stream(messages, tools, context=context):
            if isinstance(event, ModelResponse):
                elapsed = (time.perf_counter() - started) * 1e3
                digest = response_digest(event)
                self.trace.record("llm", "in", self.name, self.method, digest, elapsed, session)
            yield event

    def __getattr__(self, name: str) -> Any:  # what the wrapped model offers besides the interface
        return getattr(self.inner, name)


class TracedToolbox:
    """A :class:`~agents.toolbox.Toolbox` that records ``tools/list`` and each ``tools/call`` with its
    outcome (``protocol="mcp"`` by default)."""

    def __init__(self, toolbox: Toolbox, trace: TraceWriter, *, peer: str, protocol: str = "mcp") -> None:
        self.inner = toolbox
        self.trace = trace
        self.peer = peer
        self.protocol = protocol
        self._listed = False

    async def tool_specs(self, context: TurnContext) -> list[ToolSpec]:
        if self._listed:  # toolboxes list once and cache; so does the trace
            return await self.inner.tool_specs(context)
        started = time.perf_counter()
        self.trace.record(self.protocol, "out", self.peer, "tools/list", {}, None, context.session)
        specs = await self.inner.tool_specs(context)
        names = [tool_name(spec) for spec in specs]
        digest = {"summary": f"{len(names)} tools: {', '.join(names)}", "tools": names}
        elapsed = (time.perf_counter() - started) * 1e3
        self.trace.record(self.protocol, "in", self.peer, "tools/list", digest, elapsed, context.session)
        self._listed = True
        return specs

    async def call(self, name: str, arguments: dict[str, Any], context: TurnContext) -> ToolOutcome:
        started = time.perf_counter()
        request = {"summary": f"{name} {_compact(arguments)}", "name": name, "arguments": arguments}
        self.trace.record(self.protocol, "out", self.peer, "tools/call", request, None, context.session)
        outcome = await self.inner.call(name, arguments, context)
        elapsed = (time.perf_counter() - started) * 1e3
        digest = _outcome_digest(name, outcome)
        self.trace.record(self.protocol, "in", self.peer, "tools/call", digest, elapsed, context.session)
        return outcome

    def __getattr__(self, name: str) -> Any:  # what the wrapped toolbox offers besides the interface
        return getattr(self.inner, name)


def request_digest(messages: Sequence[Message], tools: Sequence[ToolSpec]) -> dict[str, Any]:
    """What a trace keeps of a request: the messages added since the last assistant message, and counts."""
    tail: list[Message] = []
    for message in reversed(messages):
        if message.get("role") == "assistant":
            break
        tail.append(message)
    tail.reverse()
    last = tail[-1] if tail else messages[-1]
    said = one_line(last.get("content") or "", 160)
    summary = f"{len(messages)} messages, {len(tools)} tools; {last.get('role')}: {said}"
    return {
        "summary": summary,
        "message_count": len(messages),
        "tool_count": len(tools),
        "new_messages": tail,
    }


def response_digest(response: ModelResponse) -> dict[str, Any]:
    """What a trace keeps of a reply: its text or its tool calls, why it stopped, and the token usage."""
    calls = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in response.tool_calls]
    if calls:
        summary = "tool calls: " + "; ".join(f"{c['name']}({one_line(c['arguments'], 80)})" for c in calls)
    else:
        summary = f"answer: {one_line(response.text or '', 160)}"
    digest: dict[str, Any] = {"summary": summary, "text": response.text, "tool_calls": calls}
    if response.finish_reason:
        digest["finish_reason"] = response.finish_reason
    if response.usage:
        digest["usage"] = response.usage
    return digest


def _compact(value: Any, width: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def _outcome_digest(name: str, outcome: ToolOutcome) -> dict[str, Any]:
    status = "error" if outcome.is_error else "ok"
    digest: dict[str, Any] = {
        "summary": f"{name} {status}: {_compact(outcome.content, 200)}",
        "is_error": outcome.is_error,
    }
    if outcome.structured is not None:
        digest["structured"] = outcome.structured
    elif outcome.is_error:
        digest["error"] = outcome.content
    if outcome.images:
        digest["images"] = [str(path) for path in outcome.images]
    return digest
