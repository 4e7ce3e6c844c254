"""`POST /v1/responses` of `protoplay serve llm`, through the real `openai` client (in process over the ASGI
app, and against the served endpoint): function tools, the streaming events, the errors OpenAI answers."""

from __future__ import annotations

import json

import httpx
import httpx2
import openai
import pytest
from openai import AsyncOpenAI

from agents.config import OFFLINE_MODEL_NAME
from servers.llm.responses import chat_request, response_events
from servers.llm.server import build_app

ENTROPY = {
    "type": "function",
    "name": "entropy",
    "description": "Shannon entropy of a discrete distribution p (信息熵).",
    "parameters": {
        "type": "object",
        "properties": {
            "p": {"type": "array", "items": {"type": "number"}, "description": "Probabilities p_i."},
            "base": {"type": "string", "enum": ["e", "2", "10"], "description": "Log base: 2 → bits."},
        },
        "required": ["p"],
    },
    "strict": False,
}
QUESTION = "entropy of [0.5, 0.25, 0.25] in bits"


def offline_client() -> AsyncOpenAI:
    transport = httpx2.ASGITransport(app=build_app())
    return AsyncOpenAI(
        api_key="offline",
        base_url="http://offline.test/v1",
        http_client=httpx2.AsyncClient(transport=transport),
    )


async def _ask(client: AsyncOpenAI, **request):
    return await client.responses.create(model=OFFLINE_MODEL_NAME, tools=[ENTROPY], **request)


async def test_a_request_that_needs_a_tool_answers_a_function_call():
    async with offline_client() as client:
        response = await _ask(client, input=QUESTION)
    assert response.object == "response" and response.status == "completed"
    [call] = response.output
    assert call.type == "function_call" and call.name == "entropy"
    assert json.loads(call.arguments) == {"p": [0.5, 0.25, 0.25], "base": "2"}
    assert call.call_id.startswith("call_") and call.id.startswith("fc_")
    assert response.usage.input_tokens > 0 and response.usage.total_tokens > response.usage.input_tokens


async def test_the_function_output_sent_back_gets_the_answer():
    async with offline_client() as client:
        first = await _ask(client, input=QUESTION)
        call = first.output[0]
        # Hand derivation: H = 0.5·1 + 0.25·2 + 0.25·2 = 1.5 bits.
        output = {"type": "function_call_output", "call_id": call.call_id, "output": '{"entropy": 1.5}'}
        second = await _ask(client, input=[{"role": "user", "content": QUESTION}, call.model_dump(), output])
    assert [item.type for item in second.output] == ["message"]
    assert "1.5" in second.output_text


async def test_streaming_sends_the_events_openai_sends_in_order():
    async with offline_client() as client:
        stream = await _ask(client, input=QUESTION, stream=True)
        events = [event async for event in stream]
    kinds = [event.type for event in events]
    assert kinds[:2] == ["response.created", "response.in_progress"] and kinds[-1] == "response.completed"
    assert kinds[2:5] == [
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
    ]
    assert kinds[-3:-1] == ["response.function_call_arguments.done", "response.output_item.done"]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    deltas = "".join(
        event.delta for event in events if event.type == "response.function_call_arguments.delta"
    )
    final = events[-1].response.output[0]
    assert deltas == final.arguments and json.loads(deltas)["p"] == [0.5, 0.25, 0.25]


async def test_streamed_text_deltas_join_to_the_final_text():
    async with offline_client() as client:
        call = (await _ask(client, input=QUESTION)).output[0]
        output = {"type": "function_call_output", "call_id": call.call_id, "output": '{"entropy": 1.5}'}
        stream = await _ask(
            client, input=[{"role": "user", "content": QUESTION}, call.model_dump(), output], stream=True
        )
        events = [event async for event in stream]
    deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
    done = next(event for event in events if event.type == "response.output_text.done")
    assert len(deltas) > 1 and "".join(deltas) == done.text == events[-1].response.output_text


async def test_ids_are_new_for_every_response():
    async with offline_client() as client:
        one, two = await _ask(client, input=QUESTION), await _ask(client, input=QUESTION)
    assert one.id != two.id and one.output[0].call_id != two.output[0].call_id


@pytest.mark.parametrize(
    ("request_fields", "status", "says"),
    [
        ({"model": "gpt-9"}, 404, "The model `gpt-9` does not exist"),
        ({"previous_response_id": "resp_1"}, 400, "previous_response_id: this endpoint stores no responses"),
        ({"tools": [{"type": "web_search"}]}, 400, "tools[0]: only function tools are served here"),
        ({"input": [{"type": "item_reference", "id": "x"}]}, 400, "input[0].type: 'item_reference'"),
        ({"input": []}, 400, "input: must be a non-empty string or list of items"),
        ({"tool_choice": "sometimes"}, 400, "tool_choice: must be auto, none, required"),
    ],
)
async def test_a_request_the_endpoint_cannot_serve_is_answered_like_openai(request_fields, status, says):
    request = {"model": OFFLINE_MODEL_NAME, "input": QUESTION, **request_fields}
    async with offline_client() as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.responses.create(**request)
    assert caught.value.status_code == status
    assert caught.value.body["message"].startswith(says)
    if status == 404:
        assert caught.value.body["code"] == "model_not_found"


def test_the_translation_to_chat_keeps_instructions_calls_and_outputs_in_order():
    body = {
        "model": OFFLINE_MODEL_NAME,
        "instructions": "Be brief.",
        "input": [
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "Use tools."}],
            },
            {"role": "user", "content": "entropy and kl"},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Calling."}],
            },
            {"type": "function_call", "call_id": "a", "name": "entropy", "arguments": "{}"},
            {"type": "function_call", "call_id": "b", "name": "kl_divergence", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "a", "output": "1"},
            {"type": "function_call_output", "call_id": "b", "output": [{"type": "input_text", "text": "2"}]},
            {"type": "reasoning", "id": "rs_1", "summary": []},
        ],
        "tools": [ENTROPY],
        "tool_choice": {"type": "function", "name": "entropy"},
    }
    request = chat_request(body)
    assert [message["role"] for message in request["messages"]] == [
        "system",
        "system",
        "user",
        "assistant",
        "tool",
        "tool",
    ]
    assistant = request["messages"][3]
    assert assistant["content"] == "Calling."
    assert [call["id"] for call in assistant["tool_calls"]] == ["a", "b"]
    assert request["messages"][5] == {"role": "tool", "tool_call_id": "b", "content": "2"}
    assert request["tools"][0]["function"]["name"] == "entropy"
    assert request["tool_choice"] == {"type": "function", "function": {"name": "entropy"}}


def test_a_message_is_streamed_word_by_word_inside_its_content_part():
    response = {
        "id": "resp_x",
        "model": OFFLINE_MODEL_NAME,
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": "H is 1.5 bits.", "annotations": []}],
            }
        ],
    }
    kinds = [event["type"] for event in response_events(response)]
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * 4,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]


# --------------------------------------------------------------------------------- the served endpoint


async def test_the_served_endpoint_answers_the_openai_client(llm_url):
    async with AsyncOpenAI(base_url=llm_url, api_key="not-needed", max_retries=0) as client:
        response = await _ask(client, input=QUESTION)
    assert response.output[0].name == "entropy"


def test_the_served_stream_is_not_buffered(llm_url):
    body = {"model": OFFLINE_MODEL_NAME, "input": QUESTION, "tools": [ENTROPY], "stream": True}
    with httpx.stream("POST", f"{llm_url}/responses", json=body, timeout=60) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        # Sent as it is produced (chunked), not framed as one body of known length.
        assert "content-length" not in response.headers
        assert response.headers["transfer-encoding"] == "chunked"
        text = b"".join(response.iter_raw()).decode()
    events = [line for line in text.splitlines() if line.startswith("event: ")]
    assert events[0] == "event: response.created" and events[-1] == "event: response.completed"
