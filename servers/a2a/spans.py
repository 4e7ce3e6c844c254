"""The A2A servers' spans (installed only while OpenTelemetry export is on): a SERVER span per request,
named by its JSON-RPC method and continuing the caller's trace (:func:`a2a_server_spans`; the client side is
:mod:`agents.a2a.spans`), and inside it an ``invoke_agent {agent}`` span per turn (:func:`agent_spans`, GenAI
semantic conventions) under which the turn's model requests and tool calls nest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue

from agents import telemetry
from agents.a2a.spans import jsonrpc_attributes
from servers.telemetry import span_middleware

if TYPE_CHECKING:
    from starlette.middleware import Middleware

__all__ = ["AgentSpans", "a2a_server_spans", "agent_spans", "describe_a2a"]


def describe_a2a(method: str, path: str, body: bytes) -> tuple[str, dict[str, Any]]:
    """An A2A request: its JSON-RPC method and attributes; anything else (the card) ``GET /path``."""
    described = jsonrpc_attributes(body) if method == "POST" else None
    return described or (f"{method} {path}", {})


def a2a_server_spans() -> list[Middleware]:
    """The app's span middleware (put it outermost: a refused token is a request too); none while export
    is off."""
    return span_middleware(describe_a2a)


def agent_spans(executor: AgentExecutor, *, agent: str) -> AgentExecutor:
    """``executor`` with every turn an ``invoke_agent {agent}`` span; ``executor`` itself while export is
    off."""
    return AgentSpans(executor, agent=agent) if telemetry.enabled() else executor


class AgentSpans(AgentExecutor):
    """Runs each request of the wrapped executor inside an ``invoke_agent`` span (the A2A context as
    ``gen_ai.conversation.id``, the task as ``a2a.task.id``); cancelling is passed on as it is."""

    def __init__(self, inner: AgentExecutor, *, agent: str, tracer: Any = None) -> None:
        self.inner = inner
        self.agent = agent
        self._tracer = tracer

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": self.agent}
        if context.context_id:
            attributes["gen_ai.conversation.id"] = context.context_id
        if context.task_id:
            attributes["a2a.task.id"] = context.task_id
        tracer = self._tracer or telemetry.tracer()
        with tracer.start_as_current_span(f"invoke_agent {self.agent}", attributes=attributes):
            await self.inner.execute(context, event_queue)

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        await self.inner.cancel(context, event_queue)
