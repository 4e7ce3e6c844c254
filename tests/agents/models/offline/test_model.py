"""The offline model as a `Model` in Python, with no HTTP hop (like pydantic-ai's FunctionModel)."""

from __future__ import annotations

import json

from agents.config import OFFLINE_MODEL_NAME
from agents.loop import Agent
from agents.memory.sessions import Session
from agents.messages import ModelResponse, TextDelta
from agents.models.base import Model
from agents.models.offline import OfflineModel
from agents.models.testing import ScriptedModel  # noqa: F401  (the test models ship beside it)


async def test_it_is_a_model_that_streams_text_then_one_reply():
    model = OfflineModel()
    assert isinstance(model, Model) and model.name == OFFLINE_MODEL_NAME
    events = [event async for event in model.stream([{"role": "user", "content": "hello"}], [])]
    *deltas, reply = events
    assert all(isinstance(d, TextDelta) for d in deltas) and isinstance(reply, ModelResponse)
    assert "".join(d.text for d in deltas) == reply.text and reply.finish_reason == "stop"
    assert reply.usage["total_tokens"] == reply.usage["prompt_tokens"] + reply.usage["completion_tokens"]


async def test_tool_calls_have_unique_ids_and_json_arguments(catalogue_specs):
    model = OfflineModel()
    messages = [{"role": "user", "content": "entropy of [0.5, 0.5] in bits"}]
    first = [e async for e in model.stream(messages, catalogue_specs)][-1]
    second = [e async for e in model.stream(messages, catalogue_specs)][-1]
    (call,) = first.tool_calls
    assert call.name == "entropy" and json.loads(call.arguments) == {"p": [0.5, 0.5], "base": "2"}
    assert first.finish_reason == "tool_calls" and call.id != second.tool_calls[0].id


async def test_an_agent_runs_on_it_with_local_tools_only(tmp_path):
    from agents.memory.long_term import LongTermMemory

    memory = LongTermMemory(path=tmp_path / "memory.db")
    try:
        agent = Agent(OfflineModel(), memory=memory)
        result = await agent.run("remember that my GPU is a 3090", session=Session.ephemeral())
    finally:
        memory.close()
    assert [r.name for r in result.tool_calls] == ["remember"]
    assert result.text == "Noted — I'll remember that: “my GPU is a 3090” (memory 1)."


async def test_a_forced_tool_choice(catalogue_specs):
    model = OfflineModel(tool_choice={"type": "function", "function": {"name": "linear_params"}})
    reply = [e async for e in model.stream([{"role": "user", "content": "784 to 10"}], catalogue_specs)][-1]
    (call,) = reply.tool_calls
    assert call.name == "linear_params" and json.loads(call.arguments) == {
        "in_features": 784,
        "out_features": 10,
    }
