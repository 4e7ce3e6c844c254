"""The servers' side of OpenTelemetry: a SERVER span per HTTP request, continuing the trace its
``traceparent`` header carries, and the spans each server adds inside it. Installed only while export is on
(:func:`agents.telemetry.enabled`); each function returns nothing to install otherwise.

- :func:`span_middleware` — the ASGI middleware (:class:`ServerSpans`) an app describes its requests to; the
  A2A servers name them by JSON-RPC method (:mod:`servers.a2a.spans`);
- :func:`llm_server_spans` — ``serve llm``: a model request is ``chat {model}`` with the ``gen_ai.*``
  request attributes;
- :func:`mcp_session_spans` — the MCP server: the mcp SDK already opens a SERVER span per message (method,
  tool name, trace context from ``params._meta``); this adds ``mcp.session.id`` to it over HTTP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from agents import telemetry
from agents.spans import OFFLINE_PROVIDER

if TYPE_CHECKING:
    from starlette.middleware import Middleware

__all__ = [
    "Describe",
    "ServerSpans",
    "describe_llm",
    "llm_server_spans",
    "mcp_session_spans",
    "span_middleware",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
MCP_SESSION_ID_HEADER = "mcp-session-id"
Describe = Callable[[str, str, bytes], tuple[str, dict[str, Any]]]
"""``(HTTP method, path, body) → (span name, attributes)``."""


class ServerSpans:
    """ASGI middleware: each HTTP request is one SERVER span, the child of the context its headers carry,
    current while the app answers (the whole event stream, for a streamed answer). The request body is read
    first (these servers take small JSON bodies) so ``describe`` can name the span, then handed on as it
    came."""

    def __init__(self, app: Any, *, describe: Describe, tracer: Any = None) -> None:
        self.app = app
        self.describe = describe
        self._tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from opentelemetry.trace import SpanKind, StatusCode

        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        parent = telemetry.extract_context(headers)
        body, receive = await _read_body(receive)
        name, attributes = self.describe(scope["method"], scope["path"], body)
        attributes = {**attributes, **_addresses(scope)}
        tracer = self._tracer or telemetry.tracer()
        with tracer.start_as_current_span(
            name, context=parent, kind=SpanKind.SERVER, attributes=attributes
        ) as span:

            async def answer(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_attribute("error.type", str(status))
                        span.set_status(StatusCode.ERROR)
                await send(message)

            await self.app(scope, receive, answer)


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a ``receive`` that hands it on as one message, then what follows."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: hand that on as it came
            first: Message | None = message
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            first = None
            break
    body = b"".join(chunks)
    pending: list[Message] = [first] if first is not None else []
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return pending.pop() if pending else await receive()

    return body, replay


def _addresses(scope: Scope) -> dict[str, Any]:
    attributes: dict[str, Any] = {"http.request.method": scope["method"], "url.path": scope["path"]}
    if scope.get("server"):
        attributes["server.address"], attributes["server.port"] = scope["server"][0], scope["server"][1]
    if scope.get("client"):
        attributes["client.address"] = scope["client"][0]
    return attributes


def describe_llm(method: str, path: str, body: bytes) -> tuple[str, dict[str, Any]]:
    """A model request (chat completions or the Responses API): ``chat {model}`` and the ``gen_ai.*``
    request attributes; anything else (``/v1/models``) ``GET /path``."""
    import json

    model = None
    if method == "POST" and path.rstrip("/").endswith(("/chat/completions", "/responses")):
        try:
            request = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            request = None
        model = request.get("model") if isinstance(request, dict) else None
    if not isinstance(model, str):
        return f"{method} {path}", {}
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": OFFLINE_PROVIDER,
        "gen_ai.request.model": model,
    }
    return f"chat {model}", attributes


def llm_server_spans() -> list[Middleware]:
    """The ``serve llm`` app's span middleware; none while export is off."""
    return span_middleware(describe_llm)


def span_middleware(describe: Describe) -> list[Middleware]:
    """:class:`ServerSpans` as Starlette middleware naming spans with ``describe``; none while export is
    off."""
    if not telemetry.enabled():
        return []
    from starlette.middleware import Middleware

    return [Middleware(ServerSpans, describe=describe)]


class _McpSessionId:
    """MCP server middleware: the streamable-HTTP session id (the ``Mcp-Session-Id`` header the client sends
    after the handshake) on the SDK's span of each message."""

    async def __call__(self, ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        headers = getattr(getattr(ctx, "request", None), "headers", None)  # None over stdio
        session = headers.get(MCP_SESSION_ID_HEADER) if headers is not None else None
        if session:
            from opentelemetry import trace

            trace.get_current_span().set_attribute("mcp.session.id", session)
        return await call_next(ctx)


def mcp_session_spans(server: Any) -> None:
    """Add ``mcp.session.id`` to the mcp SDK's spans of ``server`` (its middleware runs inside the SDK's
    span); nothing while export is off, or when already added."""
    if telemetry.enabled() and not any(isinstance(item, _McpSessionId) for item in server.middleware):
        server.middleware.append(_McpSessionId())
