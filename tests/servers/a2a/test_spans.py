"""The A2A servers' spans (:mod:`servers.a2a.spans`): requests named by JSON-RPC method, and each agent turn
an ``invoke_agent`` span; recorded in memory."""

from __future__ import annotations

import json

from a2a.server.agent_execution import AgentExecutor

from servers.a2a.spans import AgentSpans, describe_a2a


async def test_an_a2a_request_is_named_by_its_method_and_each_turn_is_an_agent_span(span_recorder):
    tracer, exporter = span_recorder
    body = {"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "t1"}}
    name, attributes = describe_a2a("POST", "/", json.dumps(body).encode())
    assert (name, attributes["rpc.method"], attributes["jsonrpc.request.id"]) == ("GetTask", "GetTask", "1")
    assert describe_a2a("GET", "/.well-known/agent-card.json", b"") == (
        "GET /.well-known/agent-card.json",
        {},
    )

    class Context:
        context_id, task_id = "ctx-9", "task-3"

    ran = []

    class Inner(AgentExecutor):
        async def execute(self, context, event_queue):
            ran.append(event_queue)

        async def cancel(self, context, event_queue):
            ran.append("cancelled")

    wrapped = AgentSpans(Inner(), agent="protoplay-ml-specialist", tracer=tracer)
    await wrapped.execute(Context(), "queue")
    await wrapped.cancel(Context(), "queue")
    assert ran == ["queue", "cancelled"]
    (span,) = exporter.get_finished_spans()  # cancelling opens none
    assert span.name == "invoke_agent protoplay-ml-specialist"
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "protoplay-ml-specialist",
        "gen_ai.conversation.id": "ctx-9",
        "a2a.task.id": "task-3",
    }
