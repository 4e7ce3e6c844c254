"""OpenTelemetry spans as wrappers, after the GenAI semantic conventions: a model request is a CLIENT span
``chat {model}``, a tool call an INTERNAL span ``execute_tool {tool}``.

The sibling of :mod:`agents.traced` (the JSONL trace): :func:`agents.runtime.traced` adds these wrappers only
when :func:`agents.telemetry.enabled`, so with export off nothing here runs. A wrapper behaves exactly like
what it wraps — same stream, same outcomes, same errors — and makes its span current only while it awaits
the wrapped call, never across a ``yield``, so a consumer that stops early cannot leave a span current.

The trace context of a model request reaches the endpoint in its HTTP headers (the model's HTTP client
injects it, :func:`agents.telemetry.http_hooks`); a tool call's reaches the MCP server in ``params._meta``
(the mcp SDK opens its ``tools/call`` CLIENT span inside ours and injects it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from agents.config import OFFLINE_MODEL_NAME
from agents.messages import Message, ModelResponse, TextDelta, ToolSpec
from agents.models.base import Model
from agents.toolbox import Toolbox, ToolOutcome, TurnContext

__all__ = ["OFFLINE_PROVIDER", "SpanModel", "SpanToolbox", "model_attributes", "response_attributes"]

#: The ``gen_ai.provider.name`` of protoplay's own offline model (in process or behind ``serve llm``).
OFFLINE_PROVIDER = "protoplay"


class SpanModel:
    """A :class:`~agents.models.base.Model` whose every request is one CLIENT span ``chat {model}``:
    ``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.model``, ``server.address`` and
    ``server.port`` (a remote endpoint), ``gen_ai.conversation.id`` (the session); from the reply
    ``gen_ai.response.finish_reasons`` and ``gen_ai.usage.input_tokens`` / ``output_tokens``; a failure sets
    ``error.type`` and the ERROR status."""

    def __init__(self, model: Model, *, tracer: Any = None) -> None:
        self.inner = model
        self.name = model.name
        self._tracer = tracer
        self.attributes = model_attributes(model)
        """What every span of this model carries."""

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec],
        *,
        context: TurnContext | None = None,
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        from opentelemetry import context as otel_context
        from opentelemetry import trace
        from opentelemetry.trace import SpanKind, StatusCode

        from agents.telemetry import tracer

        attributes = dict(self.attributes)
        if context is not None:
            attributes["gen_ai.conversation.id"] = context.session
        spans = self._tracer or tracer()
        span = spans.start_span(f"chat {self.name}", kind=SpanKind.CLIENT, attributes=attributes)
        current = trace.set_span_in_context(span)
        events = aiter(self.inner.stream(messages, tools, context=context))
        try:
            while True:
                token = otel_context.attach(current)
                try:
                    event = await anext(events)
                except StopAsyncIteration:
                    break
                finally:
                    otel_context.detach(token)
                if isinstance(event, ModelResponse):
                    span.set_attributes(response_attributes(event))
                yield event
        except GeneratorExit:  # the consumer stopped reading: not a failure of the request
            raise
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__qualname__)
            span.set_status(StatusCode.ERROR, str(exc))
            raise
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()
            span.end()

    def __getattr__(self, name: str) -> Any:  # what the wrapped model offers besides the interface
        return getattr(self.inner, name)


class SpanToolbox:
    """A :class:`~agents.toolbox.Toolbox` whose every call is one INTERNAL span ``execute_tool {tool}``
    (``gen_ai.operation.name``, ``gen_ai.tool.name``, ``gen_ai.conversation.id``); an error outcome sets
    ``error.type=tool_error`` and the ERROR status. Listing tools opens no span of its own (the mcp SDK's
    ``tools/list`` span shows it)."""

    def __init__(self, toolbox: Toolbox, *, tracer: Any = None) -> None:
        self.inner = toolbox
        self._tracer = tracer

    async def tool_specs(self, context: TurnContext) -> list[ToolSpec]:
        return await self.inner.tool_specs(context)

    async def call(self, name: str, arguments: dict[str, Any], context: TurnContext) -> ToolOutcome:
        from opentelemetry.trace import SpanKind, StatusCode

        from agents.telemetry import tracer

        attributes = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": name,
            "gen_ai.conversation.id": context.session,
        }
        spans = self._tracer or tracer()
        with spans.start_as_current_span(
            f"execute_tool {name}", kind=SpanKind.INTERNAL, attributes=attributes
        ) as span:
            outcome = await self.inner.call(name, arguments, context)
            if outcome.is_error:
                span.set_attribute("error.type", "tool_error")
                span.set_status(StatusCode.ERROR, outcome.content[:200])
            return outcome

    def __getattr__(self, name: str) -> Any:  # what the wrapped toolbox offers besides the interface
        return getattr(self.inner, name)


def model_attributes(model: Model) -> dict[str, Any]:
    """The span attributes a model's requests share: the operation, the provider, the model, and the
    endpoint's address when the model is reached over the network."""
    attributes: dict[str, Any] = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model.name}
    client = getattr(model, "client", None)
    parts = urlsplit(str(client.base_url)) if client is not None else None
    host = parts.hostname if parts is not None else None
    remote = host is not None and not host.endswith(".invalid")  # .invalid: the in-process offline model
    offline = not remote or model.name == OFFLINE_MODEL_NAME
    attributes["gen_ai.provider.name"] = OFFLINE_PROVIDER if offline else "openai"
    if remote and parts is not None:
        attributes["server.address"] = host
        attributes["server.port"] = parts.port or (443 if parts.scheme == "https" else 80)
    return attributes


def response_attributes(response: ModelResponse) -> dict[str, Any]:
    """What a reply adds to its span: why it stopped and the tokens it used (either wire's names)."""
    attributes: dict[str, Any] = {}
    if response.finish_reason:
        attributes["gen_ai.response.finish_reasons"] = [response.finish_reason]
    usage = response.usage or {}
    for key, names in (
        ("gen_ai.usage.input_tokens", ("prompt_tokens", "input_tokens")),
        ("gen_ai.usage.output_tokens", ("completion_tokens", "output_tokens")),
    ):
        value = next((usage[name] for name in names if isinstance(usage.get(name), int)), None)
        if value is not None:
            attributes[key] = value
    return attributes
