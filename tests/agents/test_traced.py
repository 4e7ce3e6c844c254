"""Tracing as wrappers (`agents.traced`): the loop and the MCP client record nothing themselves; a traced
model and a traced toolbox record every protocol message in the turn's session."""

from __future__ import annotations

import pytest

from agents.loop import Agent
from agents.mcp.client import connect_mcp
from agents.memory.sessions import Session
from agents.models.testing import ScriptedModel, call
from agents.runtime import traced
from agents.toolbox import TurnContext
from agents.trace import TraceWriter, read_trace
from agents.traced import TracedModel, TracedToolbox


async def test_every_model_request_and_mcp_call_is_traced(test_server, tmp_path):
    trace = TraceWriter(tmp_path / "traces")
    model = ScriptedModel([call("add", {"a": 1, "b": 2}), "3"])
    async with connect_mcp(test_server) as toolbox:
        agent = Agent(TracedModel(model, trace), TracedToolbox(toolbox, trace, peer="test-tools"))
        await agent.run("1+2", session=Session.ephemeral("traced"))
    trace.close()
    events = list(read_trace("traced", home=tmp_path))
    flow = [(e.protocol, e.direction, e.method) for e in events]
    assert flow == [
        ("mcp", "out", "tools/list"),
        ("mcp", "in", "tools/list"),
        ("llm", "out", "chat.completions"),
        ("llm", "in", "chat.completions"),
        ("mcp", "out", "tools/call"),
        ("mcp", "in", "tools/call"),
        ("llm", "out", "chat.completions"),
        ("llm", "in", "chat.completions"),
    ]
    assert events[5].payload["structured"] == {"total": 3.0} and events[5].duration_ms is not None
    assert events[3].payload["tool_calls"][0]["name"] == "add"
    assert {e.session for e in events} == {"traced"}
    assert {e.peer for e in events if e.protocol == "mcp"} == {"test-tools"}


async def test_an_untraced_agent_writes_no_trace(test_server, tmp_path):
    model = ScriptedModel([call("add", {"a": 1, "b": 2}), "3"])
    async with connect_mcp(test_server) as toolbox:
        result = await Agent(model, toolbox).run("1+2", session=Session.ephemeral("plain"))
    assert result.text == "3"
    assert not (tmp_path / "traces").exists()


async def test_a_traced_toolbox_lists_once_like_the_toolbox_it_wraps(test_server, tmp_path):
    trace = TraceWriter(tmp_path / "traces")
    async with connect_mcp(test_server) as toolbox:
        wrapped = TracedToolbox(toolbox, trace, peer="test-tools")
        first = await wrapped.tool_specs(TurnContext.of("s"))
        second = await wrapped.tool_specs(TurnContext.of("s"))
    trace.close()
    assert first == second
    assert [e.method for e in read_trace("s", home=tmp_path)] == ["tools/list", "tools/list"]  # out, in


async def test_a_failing_model_is_recorded_only_as_the_request_and_the_error_propagates(tmp_path):
    trace = TraceWriter(tmp_path / "traces")
    model = TracedModel(ScriptedModel([RuntimeError("endpoint down")]), trace)
    with pytest.raises(RuntimeError, match="endpoint down"):
        async for _ in model.stream([{"role": "user", "content": "hi"}], [], context=TurnContext.of("f")):
            pass
    trace.close()
    assert [(e.direction, e.method) for e in read_trace("f", home=tmp_path)] == [("out", "chat.completions")]


def test_a_disabled_trace_leaves_model_and_toolbox_unwrapped(tmp_path):
    model, toolbox = ScriptedModel(), object()
    assert traced(model, toolbox, TraceWriter(tmp_path, enabled=False), peer="p") == (model, toolbox)  # type: ignore[arg-type]
    wrapped_model, wrapped_tools = traced(model, toolbox, TraceWriter(tmp_path), peer="p")  # type: ignore[arg-type]
    assert isinstance(wrapped_model, TracedModel) and isinstance(wrapped_tools, TracedToolbox)
