"""The agent on the Responses API end to end: its client (agents/models/openai_responses.py) against
`serve llm`'s `/v1/responses` (servers/llm/responses.py), with the real MCP catalogue; the same turns as on
chat completions, and the A2A specialist on that wire."""

from __future__ import annotations

import re

import httpx2
import pytest

from agents.config import ModelAPI, resolve_model_config
from agents.loop import Agent
from agents.mcp.client import connect_mcp
from agents.memory.sessions import Session
from agents.messages import Message
from agents.models.openai import build_model
from agents.models.openai_responses import OpenAIResponsesModel, response_input
from servers.a2a.specialist import open_specialist
from servers.cli.options import offline_responses_model
from servers.llm.responses import chat_request
from servers.llm.server import build_app
from tests.servers.a2a.support import JsonRpc, artifacts_by_name, asgi_client


@pytest.fixture(scope="module")
def mcp_server():
    """The real server over the whole catalogue (stateless: one serves the module)."""
    from servers.mcp.server import build_server

    return build_server()


QUESTIONS = [
    "KL divergence between p=[0.5, 0.5] and q=[0.9, 0.1]",
    "entropy of [0.5, 0.25, 0.25] in bits",
    "How many parameters does a Linear layer with 784 inputs and 10 outputs have?",
    "Compare full fine-tuning, LoRA and QLoRA memory for llama-7b on a 24 GB GPU",
]


def test_chat_messages_survive_the_trip_through_responses_items():
    conversation: list[Message] = [
        {"role": "system", "content": "You are protoplay."},
        {"role": "user", "content": "entropy and KL, please"},
        {
            "role": "assistant",
            "content": "Calling both.",
            "tool_calls": [
                {"id": "call_a", "type": "function", "function": {"name": "entropy", "arguments": "{}"}},
                {
                    "id": "call_b",
                    "type": "function",
                    "function": {"name": "kl_divergence", "arguments": "{}"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_a", "content": '{"entropy": 1.0}'},
        {"role": "tool", "tool_call_id": "call_b", "content": '{"kl_pq": 0.5}'},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_c", "type": "function", "function": {"name": "entropy", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_c", "content": "{}"},
        {"role": "assistant", "content": "H = 1 bit."},
    ]
    translated = chat_request({"model": "protoplay-offline", "input": response_input(conversation)})
    assert translated["messages"] == conversation


def _model(api: ModelAPI):
    config = resolve_model_config(api=api.value)
    return build_model(config, offline_transport=httpx2.ASGITransport(app=build_app()))


@pytest.mark.parametrize("question", QUESTIONS)
async def test_a_turn_over_the_responses_api_is_the_turn_over_chat_completions(mcp_server, question):
    results = {}
    for api in ModelAPI:
        model = _model(api)
        async with connect_mcp(mcp_server) as toolbox:
            results[api] = await Agent(model, toolbox).run(question, session=Session.ephemeral())
        await model.aclose()
    chat, responses = results[ModelAPI.CHAT], results[ModelAPI.RESPONSES]
    assert isinstance(_model(ModelAPI.RESPONSES), OpenAIResponsesModel)
    assert [(r.name, r.arguments) for r in responses.tool_calls] == [
        (r.name, r.arguments) for r in chat.tool_calls
    ]
    assert responses.tool_calls and not any(record.outcome.is_error for record in responses.tool_calls)
    assert _without_plot_paths(responses.text) == _without_plot_paths(chat.text)


def _without_plot_paths(text: str | None) -> str:
    """The answer with its saved plots' file names (a timestamp each) left out."""
    return re.sub(r"\S+\.png", "<plot>", text or "")


async def test_the_streamed_and_the_whole_reply_are_the_same(mcp_server):
    streamed = _model(ModelAPI.RESPONSES)
    whole = OpenAIResponsesModel(streamed.client, streamed.name, stream=False)
    messages: list[Message] = [{"role": "user", "content": QUESTIONS[1]}]
    replies = []
    for model in (streamed, whole):
        events = [event async for event in model.stream(messages, [])]
        replies.append(events[-1])
    await streamed.aclose()
    assert replies[0].text == replies[1].text and replies[0].text


async def test_the_specialist_answers_over_a2a_with_its_model_on_the_responses_api(mcp_server):
    model = offline_responses_model(None, None, None, "responses")
    assert isinstance(model, OpenAIResponsesModel)
    async with (
        open_specialist(
            url="http://specialist/", mcp=mcp_server, model_override=model, api="responses"
        ) as a2a,
        asgi_client(a2a.app) as client,
    ):
        task = await JsonRpc(client).send("entropy of [0.5, 0.5] in bits")
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    (data,) = artifacts_by_name(task)["tool-results"]["parts"]
    (record,) = data["data"]["tool_calls"]
    # Hand derivation: H([½, ½]) = −2·½·log2 ½ = 1 bit.
    assert record["tool"] == "entropy" and record["result"]["entropy"] == 1.0
