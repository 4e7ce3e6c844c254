"""The agent loop with scripted models and an in-process MCP server."""

from __future__ import annotations

import asyncio
import json

import pytest

from agents.errors import MaxStepsExceeded
from agents.loop import Agent, RunFinished, ToolCallFinished, ToolCallStarted
from agents.mcp.client import connect_mcp
from agents.memory.sessions import Session
from agents.models.openai import TextDelta
from agents.models.testing import FunctionModel, ScriptedModel, call, reply


def tool_messages(messages):
    return [m for m in messages if m["role"] == "tool"]


async def test_multi_step_tool_chain_feeds_each_result_to_the_next_step(test_server):
    model = ScriptedModel(
        [
            call("add", {"a": 1, "b": 2}),
            call("add", {"a": 3, "b": 4}),
            "1 + 2 = 3 and 3 + 4 = 7.",
        ]
    )
    session = Session.ephemeral()
    async with connect_mcp(test_server) as toolbox:
        result = await Agent(model, toolbox).run("add things", session=session)
    assert result.text == "1 + 2 = 3 and 3 + 4 = 7."
    assert result.steps == 3
    assert [(r.name, r.arguments) for r in result.tool_calls] == [
        ("add", {"a": 1, "b": 2}),
        ("add", {"a": 3, "b": 4}),
    ]
    assert json.loads(tool_messages(model.requests[1].messages)[-1]["content"]) == {"total": 3.0}
    assert json.loads(tool_messages(model.requests[2].messages)[-1]["content"]) == {"total": 7.0}
    # the turn is kept whole: user, (assistant tool_calls, tool) × 2, final answer
    assert [m["role"] for m in session.history] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
    ]


async def test_the_tools_offered_are_the_mcp_tools_plus_the_agents_own(test_server):
    model = ScriptedModel(["hi"])
    async with connect_mcp(test_server) as toolbox:
        await Agent(model, toolbox).run("hello", session=Session.ephemeral())
    names = model.requests[0].tool_names
    assert {"add", "meet", "block", "fail", "plot", "ask_user"} <= set(names)
    add = next(t for t in model.requests[0].tools if t["function"]["name"] == "add")
    # the MCP input schema is passed through unchanged
    assert add["function"]["parameters"]["required"] == ["a", "b"]
    assert add["function"]["parameters"]["properties"]["a"]["description"] == "First addend."


async def test_two_tool_calls_in_one_reply_run_concurrently(test_server, rendezvous):
    model = ScriptedModel([reply(call("meet", {"label": "x"}), call("meet", {"label": "y"})), "both met"])
    async with connect_mcp(test_server) as toolbox:
        result = await Agent(model, toolbox).run("meet", session=Session.ephemeral())
    # each call waits for the other to start: sequential execution would time out with an error
    assert [r.outcome.is_error for r in result.tool_calls] == [False, False]
    assert sorted(rendezvous.started) == ["x", "y"]
    results = tool_messages(model.requests[1].messages)
    assert [m["tool_call_id"] for m in results] == [c.id for c in result.tool_calls]  # in the order asked


async def test_malformed_arguments_are_reported_and_repaired_on_the_next_step(test_server):
    model = ScriptedModel([call("add", '{"a": 1, "b": }'), call("add", {"a": 1, "b": 1}), "2"])
    async with connect_mcp(test_server) as toolbox:
        result = await Agent(model, toolbox).run("1+1", session=Session.ephemeral())
    feedback = tool_messages(model.requests[1].messages)[-1]["content"]
    assert feedback.startswith("Error: the arguments are not valid JSON")
    assert result.tool_calls[0].outcome.is_error and not result.tool_calls[1].outcome.is_error
    assert result.text == "2"


async def test_arguments_that_are_not_an_object_are_reported(test_server):
    model = ScriptedModel([call("add", "[1, 2]"), "ok"])
    async with connect_mcp(test_server) as toolbox:
        await Agent(model, toolbox).run("x", session=Session.ephemeral())
    assert "must be a JSON object, got list" in tool_messages(model.requests[1].messages)[-1]["content"]


async def test_unknown_tool_is_reported_with_close_names(test_server):
    model = ScriptedModel([call("ad", {"a": 1, "b": 2}), "sorry"])
    async with connect_mcp(test_server) as toolbox:
        result = await Agent(model, toolbox).run("x", session=Session.ephemeral())
    content = tool_messages(model.requests[1].messages)[-1]["content"]
    assert content.startswith("Error: there is no tool named 'ad'. Did you mean add")
    assert result.tool_calls[0].outcome.is_error


async def test_tool_is_error_is_fed_back_to_the_model(test_server):
    model = ScriptedModel([call("fail", {"reason": "no GPU"}), "the tool failed"])
    async with connect_mcp(test_server) as toolbox:
        result = await Agent(model, toolbox).run("x", session=Session.ephemeral())
    content = tool_messages(model.requests[1].messages)[-1]["content"]
    assert content.startswith("Error:") and "reason: no GPU" in content
    assert result.tool_calls[0].outcome.is_error and result.text == "the tool failed"


async def test_schema_violations_come_back_as_tool_errors(test_server):
    model = ScriptedModel([call("add", {"a": "one", "b": 2}), "fixed"])
    async with connect_mcp(test_server) as toolbox:
        await Agent(model, toolbox).run("x", session=Session.ephemeral())
    content = tool_messages(model.requests[1].messages)[-1]["content"]
    assert content.startswith("Error:") and "a" in content


async def test_max_steps_stops_an_endless_tool_loop_and_keeps_the_conversation(test_server):
    model = FunctionModel(lambda messages, tools: call("add", {"a": 1, "b": 1}))
    session = Session.ephemeral()
    session.window.add_turn([{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "yes"}])
    async with connect_mcp(test_server) as toolbox:
        with pytest.raises(MaxStepsExceeded) as caught:
            await Agent(model, toolbox, max_steps=3).run("loop forever", session=session)
    assert len(model.requests) == 3
    assert "Stopped after 3 model steps" in str(caught.value) and "add" in str(caught.value)
    assert [m["content"] for m in session.history] == ["earlier", "yes"]  # rolled back
    assert session.current is None


async def test_events_stream_text_deltas_and_tool_calls_in_order(test_server):
    model = ScriptedModel([call("add", {"a": 2, "b": 2}), "the answer is 4"])
    async with connect_mcp(test_server) as toolbox:
        events = [e async for e in Agent(model, toolbox).stream("2+2", session=Session.ephemeral())]
    kinds = [type(e).__name__ for e in events]
    assert kinds[:2] == ["ToolCallStarted", "ToolCallFinished"]
    assert isinstance(events[-1], RunFinished)
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) == 4 and "".join(deltas) == "the answer is 4"
    assert events[-1].result.text == "the answer is 4"


async def test_cancelling_a_run_stops_it_and_leaves_the_session_consistent(test_server, rendezvous):
    model = ScriptedModel([call("block")])
    session = Session.ephemeral()
    async with connect_mcp(test_server) as toolbox:
        agent = Agent(model, toolbox)
        task = asyncio.create_task(agent.run("block please", session=session))
        await asyncio.wait_for(rendezvous.blocked.wait(), timeout=5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)
        assert session.current is None and session.history == []
        model.add(call("add", {"a": 1, "b": 2}), "3")  # the session is usable again
        result = await agent.run("1+2", session=session)
    assert result.text == "3"
    assert [m["role"] for m in session.history] == ["user", "assistant", "tool", "assistant"]


async def test_ask_user_without_a_hook_ends_the_turn_needing_input(test_server):
    model = ScriptedModel([call("ask_user", {"question": "Which distribution?"})])
    session = Session.ephemeral()
    async with connect_mcp(test_server) as toolbox:
        result = await Agent(model, toolbox).run("entropy please", session=session)
    assert result.needs_input == "Which distribution?" and result.text == ""
    # the turn is kept (the answer arrives as the next user message) and is well formed
    assert [m["role"] for m in session.history] == ["user", "assistant", "tool"]


async def test_ask_user_with_a_hook_continues_with_the_answer(test_server):
    asked = []

    async def hook(question: str) -> str:
        asked.append(question)
        return "[0.5, 0.5]"

    model = ScriptedModel([call("ask_user", {"question": "Which p?"}), "thanks"])
    async with connect_mcp(test_server) as toolbox:
        result = await Agent(model, toolbox, ask_user=hook).run("entropy", session=Session.ephemeral())
    assert asked == ["Which p?"] and result.needs_input is None and result.text == "thanks"
    assert json.loads(tool_messages(model.requests[1].messages)[-1]["content"]) == {"answer": "[0.5, 0.5]"}


async def test_images_are_saved_to_files_and_kept_out_of_the_model_context(
    test_server, tmp_path, monkeypatch
):
    monkeypatch.setenv("PROTOPLAY_HOME", str(tmp_path))
    model = ScriptedModel([call("plot"), "drawn"])
    async with connect_mcp(test_server) as toolbox:
        result = await Agent(model, toolbox).run("draw", session=Session.ephemeral("pics"))
    (path,) = result.images
    assert path.parent == tmp_path / "images" and path.read_bytes().startswith(b"\x89PNG")
    content = tool_messages(model.requests[1].messages)[-1]["content"]
    assert str(path) in content and "iVBOR" not in content  # no base64 reaches the model


async def test_events_carry_the_parsed_arguments(test_server):
    model = ScriptedModel([call("add", {"a": 5, "b": 6}), "11"])
    async with connect_mcp(test_server) as toolbox:
        events = [e async for e in Agent(model, toolbox).stream("5+6", session=Session.ephemeral())]
    started = next(e for e in events if isinstance(e, ToolCallStarted))
    finished = next(e for e in events if isinstance(e, ToolCallFinished))
    assert started.arguments == {"a": 5, "b": 6}
    assert finished.record.outcome.structured == {"total": 11.0}
