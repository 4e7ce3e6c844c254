"""The Responses-API model at the HTTP seam: respx routes on openai 3.x's httpx2 answering `POST /responses`
the way OpenAI does (one response object, or its server-sent events)."""

from __future__ import annotations

import json

import httpx
import pytest
from openai import AsyncOpenAI

from agents.config import Env, ModelAPI, SetupError, resolve_model_config
from agents.errors import ModelAPIError
from agents.messages import ModelResponse, TextDelta, ToolCall
from agents.models.openai import OpenAIModel, build_model
from agents.models.openai_responses import OpenAIResponsesModel, response_input, response_tools
from agents.models.testing.http import TEST_BASE_URL, mock_openai

TOOL = {
    "type": "function",
    "function": {"name": "entropy", "description": "Entropy.", "parameters": {"type": "object"}},
}


def responses_model(*, streaming: bool = True) -> OpenAIResponsesModel:
    client = AsyncOpenAI(api_key="test-key", base_url=TEST_BASE_URL, max_retries=0)
    return OpenAIResponsesModel(client, "gpt-test", stream=streaming)


def _response(output: list[dict], *, status: str = "completed") -> dict:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 0,
        "model": "gpt-test",
        "status": status,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 12,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 5,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 17,
        },
    }


TEXT = {
    "type": "message",
    "id": "msg_1",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "H = 1 bit.", "annotations": []}],
}
CALL = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_1",
    "name": "entropy",
    "arguments": '{"p": [1]}',
}


def _events(*events: dict) -> httpx.Response:
    body = "".join(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n" for event in events)
    return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})


async def _run(model: OpenAIResponsesModel, messages=None, tools=(TOOL,)) -> list:
    messages = messages or [{"role": "user", "content": "entropy of [1]"}]
    return [event async for event in model.stream(messages, list(tools))]


async def test_a_whole_response_becomes_one_reply_with_its_calls_and_usage():
    with mock_openai() as router:
        route = router.post("/responses").mock(return_value=httpx.Response(200, json=_response([TEXT, CALL])))
        events = await _run(responses_model(streaming=False))
    assert events == [
        TextDelta("H = 1 bit."),
        ModelResponse(
            text="H = 1 bit.",
            tool_calls=(ToolCall("call_1", "entropy", '{"p": [1]}'),),
            finish_reason="tool_calls",
            usage={"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
        ),
    ]
    sent = json.loads(route.calls[0].request.content)
    assert sent["store"] is False and sent["input"] == [{"role": "user", "content": "entropy of [1]"}]
    assert sent["tools"] == [
        {
            "type": "function",
            "name": "entropy",
            "parameters": {"type": "object"},
            "strict": False,
            "description": "Entropy.",
        }
    ]


async def test_streamed_text_arrives_as_deltas_and_the_reply_comes_from_the_completed_event():
    deltas = [
        {
            "type": "response.output_text.delta",
            "delta": piece,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "logprobs": [],
            "sequence_number": i,
        }
        for i, piece in enumerate(["H = ", "1 bit."])
    ]
    done = {"type": "response.completed", "response": _response([TEXT]), "sequence_number": 9}
    with mock_openai() as router:
        router.post("/responses").mock(return_value=_events(*deltas, done))
        events = await _run(responses_model())
    assert events[:2] == [TextDelta("H = "), TextDelta("1 bit.")]
    assert events[-1].text == "H = 1 bit." and events[-1].finish_reason == "stop"


async def test_a_failed_response_is_a_model_api_error_naming_the_reason():
    failed = _response([], status="failed") | {"error": {"code": "server_error", "message": "overloaded"}}
    with mock_openai() as router:
        router.post("/responses").mock(
            return_value=_events({"type": "response.failed", "response": failed, "sequence_number": 0})
        )
        with pytest.raises(ModelAPIError, match="failed the response: overloaded"):
            await _run(responses_model())


async def test_a_stream_that_ends_without_a_response_is_an_error():
    with mock_openai() as router:
        router.post("/responses").mock(return_value=_events())
        with pytest.raises(ModelAPIError, match="ended the stream without a response"):
            await _run(responses_model())


async def test_an_http_error_is_the_same_sentence_as_on_chat_completions():
    body = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
    with mock_openai() as router:
        router.post("/responses").mock(return_value=httpx.Response(401, json=body))
        with pytest.raises(ModelAPIError) as caught:
            await _run(responses_model())
    assert str(caught.value) == (
        f"The model endpoint at {TEST_BASE_URL} refused the API key (401): Incorrect API key provided"
    )


def test_tool_results_and_calls_become_function_items_with_the_chat_ids():
    items = response_input(
        [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_9", "type": "function", "function": {"name": "entropy", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "call_9", "content": '{"entropy": 0}'},
        ]
    )
    assert items == [
        {"type": "function_call", "call_id": "call_9", "name": "entropy", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_9", "output": '{"entropy": 0}'},
    ]
    assert response_tools([TOOL])[0]["strict"] is False  # strict mode would reject optional parameters


def test_the_api_comes_from_the_flag_then_the_environment(monkeypatch):
    assert resolve_model_config().api == ModelAPI.CHAT
    monkeypatch.setenv(Env.API, "responses")
    assert resolve_model_config().api == ModelAPI.RESPONSES
    assert resolve_model_config(api="chat").api == ModelAPI.CHAT
    assert "over the Responses API" in resolve_model_config(base_url="http://127.0.0.1:8000/v1").describe()
    monkeypatch.setenv(Env.API, "completions")
    with pytest.raises(
        SetupError, match="PROTOPLAY_API: 'completions' is not a model API; use one of chat, responses"
    ):
        resolve_model_config()


async def test_build_model_picks_the_wire_and_refuses_an_offline_model_without_its_endpoint():
    remote = build_model(resolve_model_config(base_url="http://127.0.0.1:8000/v1", api="responses"))
    assert isinstance(remote, OpenAIResponsesModel)
    await remote.aclose()
    chat = build_model(resolve_model_config(base_url="http://127.0.0.1:8000/v1"))
    assert isinstance(chat, OpenAIModel)
    await chat.aclose()
    with pytest.raises(SetupError, match="run `protoplay serve llm` and point --base-url at it"):
        build_model(resolve_model_config(api="responses"))
