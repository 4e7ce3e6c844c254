"""A2A requests as OpenTelemetry spans, at the HTTP seam: one CLIENT span per request the peer client sends,
with W3C trace context in its headers so the peer's SERVER span (:mod:`servers.telemetry`) joins the trace.

a2a-sdk 1.3's own telemetry (``a2a.utils.telemetry``) decorates its internal methods — about a hundred spans
per request, all of kind SERVER or CLIENT — and propagates no context, so protoplay switches it off while it
exports (:func:`agents.telemetry.configure`) and describes each JSON-RPC request here instead, after the RPC
and JSON-RPC semantic conventions: span name the method (``SendStreamingMessage``), ``rpc.system.name``,
``rpc.method``, ``jsonrpc.request.id``, ``server.address``/``server.port``; a message send is also
``gen_ai.operation.name=invoke_agent`` with the A2A context as ``gen_ai.conversation.id``. A JSON-RPC error
in a plain JSON answer sets ``rpc.response.status_code``, ``error.type`` and the ERROR status.

:class:`PeerClient <agents.a2a.client.PeerClient>` wraps its transport in :class:`SpanTransport` only when
export is on.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

__all__ = ["SEND_METHODS", "SpanTransport", "jsonrpc_attributes", "request_attributes"]

SEND_METHODS = frozenset({"SendMessage", "SendStreamingMessage", "message/send", "message/stream"})
"""The methods that hand a peer agent work (a GenAI ``invoke_agent`` operation)."""
_ERROR_BODY_LIMIT = 64 * 1024
"""A JSON answer longer than this is not read for an error (errors are short)."""


def jsonrpc_attributes(body: bytes) -> tuple[str, dict[str, Any]] | None:
    """The span name and attributes of a JSON-RPC request body; ``None`` when it is not one."""
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(request, dict) or not isinstance(request.get("method"), str):
        return None
    method = request["method"]
    attributes: dict[str, Any] = {"rpc.system.name": "jsonrpc", "rpc.method": method}
    if isinstance(request.get("jsonrpc"), str):
        attributes["jsonrpc.protocol.version"] = request["jsonrpc"]
    if request.get("id") is not None:
        attributes["jsonrpc.request.id"] = str(request["id"])
    if method in SEND_METHODS:
        attributes["gen_ai.operation.name"] = "invoke_agent"
        params = request.get("params")
        message = params.get("message") if isinstance(params, dict) else None
        if isinstance(message, dict) and message.get("contextId"):
            attributes["gen_ai.conversation.id"] = str(message["contextId"])
    return method, attributes


def request_attributes(request: httpx.Request) -> tuple[str, dict[str, Any]]:
    """A request's span name and attributes: its JSON-RPC method, else ``GET``/``POST`` and the URL."""
    url = request.url
    described = jsonrpc_attributes(request.content) if request.method == "POST" else None
    name, attributes = described or (request.method, {"http.request.method": request.method})
    attributes = {**attributes, "url.full": str(url.copy_with(query=None)), "server.address": url.host}
    attributes["server.port"] = url.port or (443 if url.scheme == "https" else 80)
    return name, attributes


class SpanTransport(httpx.AsyncBaseTransport):
    """An httpx transport that makes each request it sends one CLIENT span (ended when the answer — a whole
    event stream, for a streamed method — has been read or closed) and injects its context as
    ``traceparent``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, tracer: Any = None) -> None:
        self.inner = inner
        self._tracer = tracer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from opentelemetry import trace
        from opentelemetry.trace import SpanKind, StatusCode

        from agents.telemetry import inject_headers, tracer

        name, attributes = request_attributes(request)
        span = (self._tracer or tracer()).start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        inject_headers(request.headers, context=trace.set_span_in_context(span))
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__qualname__)
            span.set_status(StatusCode.ERROR, str(exc))
            span.end()
            raise
        span.set_attribute("http.response.status_code", response.status_code)
        if response.status_code >= 400:
            span.set_attribute("error.type", str(response.status_code))
            span.set_status(StatusCode.ERROR)
        plain_json = response.headers.get("content-type", "").startswith("application/json")
        watched = "rpc.method" in attributes and plain_json
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_EndsSpan(response.stream, span, read_error=watched),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class _EndsSpan(httpx.AsyncByteStream):
    """A response body that ends its request's span when it is closed (reading a JSON-RPC error first)."""

    def __init__(self, inner: Any, span: Any, *, read_error: bool) -> None:
        self.inner = inner
        self.span = span
        self.body: bytearray | None = bytearray() if read_error else None
        self.ended = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            if self.body is not None:
                self.body += chunk
                if len(self.body) > _ERROR_BODY_LIMIT:
                    self.body = None
            yield chunk

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            self._end()

    def _end(self) -> None:
        if self.ended:
            return
        self.ended = True
        code = _error_code(bytes(self.body)) if self.body else None
        if code is not None:
            from opentelemetry.trace import StatusCode

            self.span.set_attributes({"rpc.response.status_code": code, "error.type": code})
            self.span.set_status(StatusCode.ERROR)
        self.span.end()


def _error_code(body: bytes) -> str | None:
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    error = answer.get("error") if isinstance(answer, dict) else None
    return str(error.get("code")) if isinstance(error, dict) and "code" in error else None
