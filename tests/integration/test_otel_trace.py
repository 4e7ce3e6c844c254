"""One trace across processes: what real protoplay processes export to a real OTLP/HTTP receiver on loopback
(:mod:`tests.otlp` decodes the protobuf a collector would receive; no exporter is mocked).

- ``protoplay a2a send`` → coordinator → specialist → MCP server: four processes, one user request, one trace
  id; each hop's SERVER span is the child of the CLIENT span that sent it (A2A: ``traceparent`` in the HTTP
  headers; MCP: ``params._meta``);
- ``protoplay ask`` → its stdio MCP server and ``protoplay serve llm``: the agent's model requests and tool
  calls in the GenAI conventions, the endpoint's and the MCP server's spans in the same trace;
- ``protoplay chat``: each turn one trace; ``protoplay demo``: the user, both agents and the MCP server in one
  process, one trace;
- with export off, no OpenTelemetry SDK or exporter module is ever imported.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.otlp import OTLPReceiver, ReceivedSpan, otlp_receiver
from tests.servers.processes import free_port, serving

EXE = shutil.which("protoplay", path=str(Path(sys.executable).parent))


@pytest.fixture
def receiver() -> Iterator[OTLPReceiver]:
    with otlp_receiver() as receiver:
        yield receiver


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OPENAI_", "OTEL_"))}
    env["PROTOPLAY_HOME"] = str(home)
    env["OTEL_BSP_SCHEDULE_DELAY"] = "100"  # export within 0.1 s of a span's end (the SDK's default is 5 s)
    return env | extra


@contextmanager
def _serve(stack: ExitStack, *argv: str, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    assert EXE is not None
    stack.enter_context(serving([EXE, "serve", *argv, "--port", str(port)], port, env=env))
    yield f"http://127.0.0.1:{port}"


def _one(spans: list[ReceivedSpan], service: str, name: str, kind: str) -> ReceivedSpan:
    found = [s for s in spans if s.service == service and s.name == name and s.kind == kind]
    assert found, (
        f"no {kind} span {name!r} from {service}; got {sorted({(s.service, s.name) for s in spans})}"
    )
    return found[0]


def _by_id(spans: list[ReceivedSpan]) -> dict[str, ReceivedSpan]:
    return {span.span_id: span for span in spans}


def test_a2a_send_coordinator_specialist_and_mcp_server_join_one_trace(tmp_path, receiver):
    with ExitStack() as stack:
        # The MCP server learns the collector from the standard variable, the agents from the flag.
        env = _env(tmp_path / "home")
        mcp = stack.enter_context(
            _serve(
                stack,
                "mcp",
                "--transport",
                "http",
                env=env | {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url},
            )
        )
        otlp = ("--otlp-endpoint", receiver.url)
        specialist = stack.enter_context(
            _serve(
                stack, "a2a", "specialist", "--mcp", f"{mcp}/mcp", "--task-store", "memory", *otlp, env=env
            )
        )
        coordinator = stack.enter_context(
            _serve(
                stack, "a2a", "coordinator", "--peer", specialist, "--task-store", "memory", *otlp, env=env
            )
        )

        assert EXE is not None
        options = ("--stream", "--context", "otel-one-trace", *otlp, "--json")
        sent = subprocess.run(
            [EXE, "a2a", "send", coordinator, "Explain mobilenet", *options],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert sent.returncode == 0, sent.stderr
        assert json.loads(sent.stdout)["task"]["status"]["state"] == "TASK_STATE_COMPLETED"

        async def legacy_call() -> None:  # a 2025-11-25 client: the last MCP revision with sessions
            from mcp import Client

            async with Client(f"{mcp}/mcp", mode="legacy") as client:
                await client.call_tool("entropy", {"p": [0.5, 0.5]})

        asyncio.run(legacy_call())

        def settled(spans: list[ReceivedSpan]) -> bool:  # the coordinator's span ends with the user's stream
            return any(
                s.service == "protoplay-coordinator"
                and s.name == "SendStreamingMessage"
                and s.kind == "SERVER"
                for s in spans
            ) and any(s.name == "tools/call entropy" for s in spans)

        spans = receiver.wait_for(settled)

    # `protoplay a2a send` is the root: it read the card, sent the message, read the task, in one trace.
    root = _one(spans, "protoplay-a2a-client", "a2a send", "INTERNAL")
    assert root.parent_id is None
    trace = [s for s in spans if s.trace_id == root.trace_id]
    services = {"protoplay-a2a-client", "protoplay-coordinator", "protoplay-ml-specialist", "protoplay-mcp"}
    assert {s.service for s in trace} == services
    by_id = _by_id(trace)
    client_spans = sorted(s.name for s in trace if s.service == "protoplay-a2a-client" and s.kind == "CLIENT")
    assert client_spans == ["GET", "GetTask", "SendStreamingMessage"]

    # user → coordinator: the coordinator's SERVER span is the child of the client's CLIENT span.
    received = _one(trace, "protoplay-coordinator", "SendStreamingMessage", "SERVER")
    asked = by_id[received.parent_id]
    assert (asked.service, asked.kind, asked.parent_id) == ("protoplay-a2a-client", "CLIENT", root.span_id)
    for span in (asked, received):
        assert span.attributes["rpc.system.name"] == "jsonrpc"
        assert span.attributes["rpc.method"] == "SendStreamingMessage"
        assert span.attributes["gen_ai.operation.name"] == "invoke_agent"
        assert span.attributes["gen_ai.conversation.id"] == "otel-one-trace"

    # coordinator → specialist: the specialist's SERVER span is the child of the coordinator's CLIENT span.
    hop = _one(trace, "protoplay-ml-specialist", "SendStreamingMessage", "SERVER")
    sent = by_id[hop.parent_id]
    assert (sent.service, sent.kind, sent.name) == ("protoplay-coordinator", "CLIENT", "SendStreamingMessage")
    assert sent.attributes["server.port"] == int(specialist.rsplit(":", 1)[1])
    # ... sent from the coordinator's delegation tool call, inside its agent turn, inside the root.
    tool = by_id[sent.parent_id]
    assert (
        tool.name.startswith("execute_tool ") and tool.attributes["gen_ai.operation.name"] == "execute_tool"
    )
    turn = by_id[tool.parent_id]
    assert turn.name == "invoke_agent protoplay-coordinator" and turn.parent_id == received.span_id

    # specialist → MCP server: the tool call's SERVER span is the child of the mcp SDK's CLIENT span, itself
    # inside the specialist's execute_tool span.
    call = next(s for s in trace if s.service == "protoplay-mcp" and s.name.startswith("tools/call "))
    assert call.kind == "SERVER" and call.attributes["mcp.method.name"] == "tools/call"
    assert call.attributes["gen_ai.tool.name"] == call.name.split(" ", 1)[1]
    assert call.attributes["mcp.protocol.version"] == "2026-07-28"  # sessionless: no mcp.session.id
    mcp_client = by_id[call.parent_id]
    assert (mcp_client.service, mcp_client.kind) == ("protoplay-ml-specialist", "CLIENT")
    assert mcp_client.attributes["mcp.method.name"] == "tools/call"
    executed = by_id[mcp_client.parent_id]
    assert executed.name == f"execute_tool {call.attributes['gen_ai.tool.name']}"
    specialist_turn = by_id[executed.parent_id]
    assert specialist_turn.name == "invoke_agent protoplay-ml-specialist"
    assert specialist_turn.attributes["gen_ai.conversation.id"] == "otel-one-trace"

    # Both agents' model requests, in the GenAI conventions.
    for service in ("protoplay-coordinator", "protoplay-ml-specialist"):
        chats = [s for s in trace if s.service == service and s.name == "chat protoplay-offline"]
        assert chats, f"no model request span from {service}"
        assert all(s.kind == "CLIENT" for s in chats)
        assert all(s.attributes["gen_ai.request.model"] == "protoplay-offline" for s in chats)
        assert all(s.attributes["gen_ai.provider.name"] == "protoplay" for s in chats)
        assert all(by_id[s.parent_id].name == f"invoke_agent {service}" for s in chats)
    # a2a-sdk's own method-level spans stay off (they would be ~100 per request, without context).
    assert not [s for s in spans if s.scope == "a2a-python-sdk"]

    # A client of the 2025-11-25 revision has a session: its id is on the server's span of each call.
    legacy = _one(spans, "protoplay-mcp", "tools/call entropy", "SERVER")
    assert legacy.attributes["mcp.protocol.version"] == "2025-11-25"
    assert len(legacy.attributes["mcp.session.id"]) >= 16


def test_ask_its_mcp_server_and_the_model_endpoint_join_one_trace(tmp_path, receiver):
    env = _env(tmp_path / "home")
    with ExitStack() as stack:
        llm = stack.enter_context(_serve(stack, "llm", "--otlp-endpoint", receiver.url, env=env))
        assert EXE is not None
        options = ("--base-url", f"{llm}/v1", "--model", "protoplay-offline", "--otlp-endpoint", receiver.url)
        asked = subprocess.run(
            [EXE, "ask", "entropy of [0.5, 0.5] in bits", *options],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert asked.returncode == 0, asked.stderr
        spans = receiver.wait_for(
            lambda spans: (
                sum(s.service == "protoplay-llm" for s in spans) >= 2
                and any(s.service == "protoplay-mcp" and s.name == "tools/call entropy" for s in spans)
            )
        )

    turn = _one(spans, "protoplay-agent", "invoke_agent protoplay-agent", "INTERNAL")
    assert turn.parent_id is None
    trace = [s for s in spans if s.trace_id == turn.trace_id]
    by_id = _by_id(trace)
    assert {s.service for s in trace} == {"protoplay-agent", "protoplay-llm", "protoplay-mcp"}

    # agent → model endpoint: each request a CLIENT span with the endpoint's address, answered by a SERVER
    # span of `serve llm` that is its child (traceparent in the HTTP headers).
    requests = [s for s in trace if s.service == "protoplay-agent" and s.name == "chat protoplay-offline"]
    assert len(requests) == 2  # the tool call, then the answer
    port = int(llm.rsplit(":", 1)[1])
    for request in requests:
        assert request.kind == "CLIENT" and request.parent_id == turn.span_id
        assert request.attributes["server.address"] == "127.0.0.1"
        assert request.attributes["server.port"] == port
        assert request.attributes["gen_ai.operation.name"] == "chat"
    answered = [s for s in trace if s.service == "protoplay-llm"]
    assert sorted(by_id[s.parent_id].span_id for s in answered) == sorted(r.span_id for r in requests)
    assert all(
        s.kind == "SERVER" and s.attributes["gen_ai.request.model"] == "protoplay-offline" for s in answered
    )
    reasons = sorted(r.attributes["gen_ai.response.finish_reasons"][0] for r in requests)
    assert reasons == ["stop", "tool_calls"]

    # agent → its stdio MCP server (spawned with the agent's environment, so it exports too).
    executed = _one(trace, "protoplay-agent", "execute_tool entropy", "INTERNAL")
    assert executed.parent_id == turn.span_id and executed.attributes["gen_ai.tool.name"] == "entropy"
    call = _one(trace, "protoplay-mcp", "tools/call entropy", "SERVER")
    assert by_id[call.parent_id].parent_id == executed.span_id
    assert call.attributes["gen_ai.operation.name"] == "execute_tool"


def test_each_chat_turn_is_one_trace_rooted_at_the_agent(tmp_path, receiver):
    assert EXE is not None
    chatted = subprocess.run(
        [EXE, "chat", "--otlp-endpoint", receiver.url],
        input="hello\n/exit\n",
        env=_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert chatted.returncode == 0, chatted.stderr
    spans = receiver.wait_for(lambda spans: any(s.name.startswith("invoke_agent") for s in spans))
    turn = _one(spans, "protoplay-agent", "invoke_agent protoplay-agent", "INTERNAL")
    assert turn.parent_id is None and turn.attributes["gen_ai.conversation.id"].startswith("chat-")
    request = _one(spans, "protoplay-agent", "chat protoplay-offline", "CLIENT")
    assert request.parent_id == turn.span_id
    # The tools are listed on the turn's first use: the spawned MCP server answers inside the same trace.
    listed = _one(spans, "protoplay-mcp", "tools/list", "SERVER")
    assert listed.trace_id == turn.trace_id


def test_a_demo_is_one_trace_and_a_peer_that_is_down_is_a_failed_client_span(tmp_path, receiver):
    assert EXE is not None
    played = subprocess.run(
        [EXE, "demo", "specialist-down", "--otlp-endpoint", receiver.url],
        env=_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert played.returncode == 0, played.stdout + played.stderr
    spans = receiver.wait_for(lambda spans: any(s.name == "demo specialist-down" for s in spans))

    (root,) = [s for s in spans if s.parent_id is None]
    assert (root.service, root.name) == ("protoplay-demo", "demo specialist-down")
    assert {s.trace_id for s in spans} == {root.trace_id}
    names = {s.name for s in spans}
    assert {"invoke_agent protoplay-coordinator", "invoke_agent protoplay-ml-specialist"} <= names
    assert "tools/call entropy" in names  # the second request, once the specialist is back
    # While the specialist is stopped, the coordinator's attempt to reach it fails as a CLIENT span.
    refused = [s for s in spans if s.kind == "CLIENT" and s.status == "ERROR"]
    assert refused and all(s.attributes["error.type"] == "ConnectError" for s in refused)


ZERO_COST = """
import sys
from typer.testing import CliRunner
from servers.cli.main import app
result = CliRunner().invoke(app, ["ask", "entropy of [0.5, 0.5] in bits", "--json"])
assert result.exit_code == 0, result.output
exporting = ("opentelemetry.sdk", "opentelemetry.exporter", "agents.spans", "agents.a2a.spans")
loaded = sorted(name for name in sys.modules if name.startswith(exporting))
print("loaded:", loaded)
"""


def test_with_export_off_no_sdk_or_exporter_is_imported(tmp_path):
    # A whole `ask` turn (agent, spawned MCP server, offline model) in a fresh interpreter, no OTEL_* set.
    ran = subprocess.run(
        [sys.executable, "-c", ZERO_COST], env=_env(tmp_path), capture_output=True, text=True, timeout=180
    )
    assert ran.returncode == 0, ran.stderr
    assert "loaded: []" in ran.stdout
