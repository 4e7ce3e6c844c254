"""The servers' SERVER spans (:mod:`servers.telemetry`): each HTTP request continues the trace its
``traceparent`` header names, is described by the app (JSON-RPC method, model), and still reaches the app
with its body intact. Apps run in process; spans are recorded in memory."""

from __future__ import annotations

import json

import httpx
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from servers.telemetry import ServerSpans, describe_llm

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"  # the W3C trace-context spec's example


def _app(describe, tracer) -> ServerSpans:
    async def echo(request: Request) -> Response:
        return JSONResponse({"body": (await request.body()).decode()})

    async def broken(request: Request) -> Response:
        return Response("boom", status_code=500)

    routes = [Route("/v1/chat/completions", echo, methods=["POST"]), Route("/broken", broken)]
    return ServerSpans(Starlette(routes=routes), describe=describe, tracer=tracer)


async def _post(app, path: str, body: dict, headers: dict | None = None) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://127.0.0.1:8000"
    ) as client:
        return await client.post(path, content=json.dumps(body), headers=headers)


async def test_a_request_continues_the_callers_trace_and_reaches_the_app_intact(span_recorder):
    tracer, exporter = span_recorder
    body = {"model": "protoplay-offline", "messages": [{"role": "user", "content": "hi"}]}
    response = await _post(
        _app(describe_llm, tracer), "/v1/chat/completions", body, headers={"traceparent": TRACEPARENT}
    )
    assert json.loads(response.json()["body"]) == body
    (span,) = exporter.get_finished_spans()
    assert (span.name, span.kind, span.status.status_code) == (
        "chat protoplay-offline",
        SpanKind.SERVER,
        StatusCode.UNSET,
    )
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID and span.parent.is_remote
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "protoplay",
        "gen_ai.request.model": "protoplay-offline",
        "http.request.method": "POST",
        "url.path": "/v1/chat/completions",
        "server.address": "127.0.0.1",
        "server.port": 8000,
        "client.address": "127.0.0.1",
        "http.response.status_code": 200,
    }


async def test_without_trace_context_a_request_starts_a_trace_and_a_5xx_is_an_error(span_recorder):
    tracer, exporter = span_recorder
    async with httpx.AsyncClient(transport=httpx.ASGITransport(_app(describe_llm, tracer))) as client:
        response = await client.get("http://127.0.0.1:8000/broken")
    assert response.status_code == 500
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET /broken" and span.parent is None
    assert span.status.status_code == StatusCode.ERROR and span.attributes["error.type"] == "500"


def test_a_model_request_is_named_by_its_model_on_either_wire():
    body = json.dumps({"model": "protoplay-offline", "input": "hi"}).encode()
    assert describe_llm("POST", "/v1/responses", body)[0] == "chat protoplay-offline"
    assert describe_llm("POST", "/v1/chat/completions", b"{not json")[0] == "POST /v1/chat/completions"
    assert describe_llm("GET", "/v1/models", b"") == ("GET /v1/models", {})
