"""A2A requests as CLIENT spans at the HTTP seam (:mod:`agents.a2a.spans`): named by JSON-RPC method, with
the RPC attributes, the span's own context sent as ``traceparent``, and errors (transport, HTTP, JSON-RPC)
marked. The peer here is an ``httpx.MockTransport``; spans are recorded in memory."""

from __future__ import annotations

import json

import httpx
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from agents.a2a.spans import SpanTransport, jsonrpc_attributes

SEND = {
    "jsonrpc": "2.0",
    "id": 7,
    "method": "SendMessage",
    "params": {"message": {"messageId": "m1", "role": "ROLE_USER", "contextId": "ctx-1", "parts": []}},
}


def _client(tracer, handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=SpanTransport(httpx.MockTransport(handler), tracer=tracer))


async def test_a_json_rpc_request_is_a_client_span_whose_context_the_peer_receives(span_recorder):
    tracer, exporter = span_recorder
    received = {}

    def peer(request: httpx.Request) -> httpx.Response:
        received.update(request.headers)
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": 7, "result": {}})

    async with _client(tracer, peer) as client:
        response = await client.post("http://127.0.0.1:9101/", json=SEND)
    assert response.json()["result"] == {}
    (span,) = exporter.get_finished_spans()
    assert (span.name, span.kind, span.status.status_code) == (
        "SendMessage",
        SpanKind.CLIENT,
        StatusCode.UNSET,
    )
    assert dict(span.attributes) == {
        "rpc.system.name": "jsonrpc",
        "rpc.method": "SendMessage",
        "jsonrpc.protocol.version": "2.0",
        "jsonrpc.request.id": "7",
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.conversation.id": "ctx-1",
        "url.full": "http://127.0.0.1:9101/",
        "server.address": "127.0.0.1",
        "server.port": 9101,
        "http.response.status_code": 200,
    }
    # W3C traceparent: version-traceid-spanid-flags, naming this very span as the peer's parent.
    _, trace_id, span_id, _ = received["traceparent"].split("-")
    assert (int(trace_id, 16), int(span_id, 16)) == (span.context.trace_id, span.context.span_id)


async def test_a_json_rpc_error_answer_marks_the_span(span_recorder):
    tracer, exporter = span_recorder
    error = {"jsonrpc": "2.0", "id": 7, "error": {"code": -32602, "message": "invalid status filter"}}
    async with _client(tracer, lambda request: httpx.Response(200, json=error)) as client:
        await client.post("http://peer/", json={**SEND, "method": "ListTasks", "params": {}})
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes["rpc.response.status_code"] == "-32602"
    assert span.attributes["error.type"] == "-32602"
    assert "gen_ai.operation.name" not in span.attributes  # listing tasks invokes no agent


async def test_an_http_error_and_a_refused_connection_mark_the_span(span_recorder):
    tracer, exporter = span_recorder
    async with _client(tracer, lambda request: httpx.Response(401)) as client:
        await client.get("http://peer/.well-known/agent-card.json")

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with _client(tracer, refused) as client:
        with pytest.raises(httpx.ConnectError):
            await client.post("http://peer/", json=SEND)
    card, send = exporter.get_finished_spans()
    assert (card.name, card.attributes["http.request.method"], card.attributes["error.type"]) == (
        "GET",
        "GET",
        "401",
    )
    assert card.status.status_code == StatusCode.ERROR
    assert send.attributes["error.type"] == "ConnectError" and send.status.status_code == StatusCode.ERROR


async def test_a_streamed_answer_ends_the_span_when_the_stream_is_closed(span_recorder):
    tracer, exporter = span_recorder
    event = b'data: {"jsonrpc": "2.0", "id": 7, "result": {}}\n\n'

    async def events():
        for _ in range(3):
            yield event

    def peer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=events(), headers={"content-type": "text/event-stream"})

    async with _client(tracer, peer) as client:
        request = client.build_request(
            "POST", "http://peer/", json={**SEND, "method": "SendStreamingMessage"}
        )
        response = await client.send(request, stream=True)
        first = await anext(response.aiter_raw())
        assert first == event
        assert not exporter.get_finished_spans()  # open while the stream is
        await response.aclose()
    (span,) = exporter.get_finished_spans()
    assert span.name == "SendStreamingMessage" and span.status.status_code == StatusCode.UNSET


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", json.dumps({"id": 1}).encode(), b""])
def test_a_body_that_is_not_a_json_rpc_request_is_not_described_as_one(body):
    assert jsonrpc_attributes(body) is None


def test_the_a2a_0_3_send_method_is_an_agent_invocation_too():
    name, attributes = jsonrpc_attributes(json.dumps({**SEND, "method": "message/send"}).encode())
    assert name == "message/send" and attributes["gen_ai.operation.name"] == "invoke_agent"
