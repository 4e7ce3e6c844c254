"""The built-in offline model: decisions (call, ask, answer, decline), the follow-up after a question, the
wire format, and the in-process transport under the openai client."""

from __future__ import annotations

import json

import httpx2
import pytest
from openai import AsyncOpenAI, BadRequestError

from agents.config import OFFLINE_MODEL_NAME
from agents.models.offline.answers import format_value, render_result
from agents.models.offline.engine import OfflineBrain
from agents.models.offline.transport import OfflineTransport
from agents.models.offline.wire import chat_completion, chat_completion_chunks

ENTROPY = {
    "type": "function",
    "function": {
        "name": "entropy",
        "description": "Shannon entropy H(p) of a discrete distribution (信息熵).\n\nReturns H in bits.",
        "parameters": {
            "type": "object",
            "properties": {
                "p": {"type": "array", "items": {"type": "number"}, "description": "Probabilities p_i."},
                "base": {
                    "type": "string",
                    "enum": ["e", "2"],
                    "default": "e",
                    "description": "e → nats, 2 → bits.",
                },
            },
            "required": ["p"],
        },
    },
}
CONV = {
    "type": "function",
    "function": {
        "name": "conv2d_params",
        "description": "Parameters of a 2-D convolution layer.",
        "parameters": {
            "type": "object",
            "properties": {
                "kernel_size": {"type": "integer", "minimum": 1, "description": "Kernel size k."},
                "in_channels": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "C_in, channels of the input.",
                },
                "out_channels": {"type": "integer", "minimum": 1, "description": "C_out, number of filters."},
            },
            "required": ["kernel_size", "in_channels", "out_channels"],
        },
    },
}
ASK_USER = {
    "type": "function",
    "function": {
        "name": "ask_user",
        "description": "Ask the user for information you need.",
        "parameters": {
            "type": "object",
            "properties": {"question": {"type": "string"}},
            "required": ["question"],
        },
    },
}
TOOLS = [ENTROPY, CONV]


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def test_a_request_becomes_a_tool_call_with_arguments_from_the_text():
    reply = OfflineBrain().respond([user("entropy of [0.25, 0.75] in bits")], TOOLS)
    assert reply.tool_calls == [("entropy", {"p": [0.25, 0.75], "base": "2"})]


def test_numbers_go_to_the_parameter_the_words_around_them_name():
    reply = OfflineBrain().respond(
        [user("conv with 32 output channels, 3 input channels and kernel size 5")], TOOLS
    )
    assert reply.tool_calls == [("conv2d_params", {"kernel_size": 5, "in_channels": 3, "out_channels": 32})]


def test_the_same_request_always_gets_the_same_answer():
    messages = [user("卷积层 kernel_size=3 in_channels=16 out_channels=8")]
    first, second = OfflineBrain().respond(messages, TOOLS), OfflineBrain().respond(messages, TOOLS)
    assert first == second and first.tool_calls == [
        ("conv2d_params", {"kernel_size": 3, "in_channels": 16, "out_channels": 8})
    ]


def test_a_missing_argument_is_asked_for_through_ask_user_when_offered():
    reply = OfflineBrain().respond([user("what is the entropy please")], [*TOOLS, ASK_USER])
    ((name, arguments),) = reply.tool_calls
    assert name == "ask_user"
    assert arguments["question"].startswith("To run `entropy` I need:") and "**p**" in arguments["question"]


def test_a_missing_argument_is_asked_for_in_text_otherwise():
    reply = OfflineBrain().respond([user("信息熵")], TOOLS)
    assert not reply.tool_calls and reply.text.startswith("要运行 `entropy`，我还需要")


def test_the_answer_to_a_question_is_merged_with_the_original_request():
    brain = OfflineBrain()
    question = brain.respond([user("entropy in bits please")], TOOLS).text
    messages = [
        user("entropy in bits please"),
        {"role": "assistant", "content": question},
        user("[0.5, 0.5]"),
    ]
    assert brain.respond(messages, TOOLS).tool_calls == [("entropy", {"p": [0.5, 0.5], "base": "2"})]


def test_the_answer_to_an_ask_user_call_is_merged_too():
    brain = OfflineBrain()
    tools = [*TOOLS, ASK_USER]
    ((_, asked),) = brain.respond([user("conv2d params, kernel size 3")], tools).tool_calls
    messages = [
        user("conv2d params, kernel size 3"),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "ask_user", "arguments": json.dumps(asked)},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "The question was shown to the user."},
        user("in_channels=3, out_channels=16"),
    ]
    assert brain.respond(messages, tools).tool_calls == [
        ("conv2d_params", {"kernel_size": 3, "in_channels": 3, "out_channels": 16})
    ]


def test_a_new_request_after_a_question_is_taken_as_new():
    brain = OfflineBrain()
    question = brain.respond([user("entropy please")], TOOLS).text
    messages = [
        user("entropy please"),
        {"role": "assistant", "content": question},
        user("actually: conv2d_params with kernel size 3, 8 input channels, 4 output channels"),
    ]
    ((name, _),) = brain.respond(messages, TOOLS).tool_calls
    assert name == "conv2d_params"


# Issue #10 changed these two: what it cannot do is one sentence with examples, and a greeting is a short
# reply with example requests — neither lists every tool any more.
def test_what_it_cannot_do_it_says_in_one_sentence_with_examples():
    reply = OfflineBrain().respond([user("book me a flight to Paris")], TOOLS)
    assert reply.text.startswith("I can't help with that offline") and "\n" not in reply.text
    assert "“Entropy of [0.5, 0.25, 0.25] in bits”" in reply.text  # an example for an offered tool
    assert "`conv2d_params` —" not in reply.text


def test_a_greeting_gets_a_short_reply_with_example_requests():
    lines = OfflineBrain().respond([user("hello")], TOOLS).text.splitlines()
    assert lines[0].startswith("Hi! I'm protoplay's built-in offline model")
    examples = [line for line in lines if line.startswith("- ")]
    assert examples == ["- Entropy of [0.5, 0.25, 0.25] in bits", "- Parameters of a 2-D convolution layer"]


def test_after_the_tool_result_it_writes_an_answer_from_the_structured_content():
    call = {"id": "c1", "type": "function", "function": {"name": "entropy", "arguments": '{"p": [0.5, 0.5]}'}}
    messages = [
        user("计算 [0.5, 0.5] 的信息熵"),
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {
            "role": "tool",
            "tool_call_id": "c1",
            "content": json.dumps(
                {"entropy": 0.6931471805599453, "unit": "nats", "note": "H = ln 2 for a fair coin."}
            ),
        },
    ]
    reply = OfflineBrain().respond(messages, TOOLS)
    assert reply.text.startswith("**entropy**：熵 = 0.6931 nats")  # the quantity asked for leads, labelled
    assert "H = ln 2 for a fair coin." in reply.text


def test_a_tool_error_is_explained_not_retried():
    text = render_result("entropy", "Error: p: must sum to 1 (got 0.9); pass normalize=true to rescale")
    assert text == (
        "`entropy` could not run: p: must sum to 1 (got 0.9); pass normalize=true to rescale\n"
        "Correct the request and ask again."
    )


def test_result_rendering_formats_tables_numbers_and_images():
    content = json.dumps(
        {
            "total": 25557032,
            "rows": [{"name": "a", "params": 1.5}, {"name": "b", "params": 2}],
            "saved_images": ["/tmp/x.png"],
        }
    )
    text = render_result("compare", content)
    assert text.startswith("**compare**: total = 25,557,032 (25.56 M)")
    assert "| a | 1.5 |" in text and "Plot saved to: /tmp/x.png" in text
    assert [format_value(v) for v in (None, True, 0.000012345, 3.14159265)] == [
        "n/a",
        "yes",
        "1.234e-05",
        "3.1416",
    ]


# Issue #13 changed this one: ids are unique across requests (they used to repeat for the same messages).
def test_wire_completion_ids_and_tool_call_ids_are_unique_across_requests():
    body = {"model": OFFLINE_MODEL_NAME, "messages": [user("entropy of [0.5, 0.5]")], "tools": TOOLS}
    first, second = chat_completion(OfflineBrain(), body), chat_completion(OfflineBrain(), body)
    choice = first["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    (call,) = choice["message"]["tool_calls"]
    assert call["id"].startswith("call_") and json.loads(call["function"]["arguments"]) == {"p": [0.5, 0.5]}
    (again,) = second["choices"][0]["message"]["tool_calls"]
    assert first["id"] != second["id"] and call["id"] != again["id"]
    assert first["usage"]["total_tokens"] > 0 and first["model"] == OFFLINE_MODEL_NAME


def test_wire_chunks_send_the_id_and_name_once_then_argument_fragments():
    body = {
        "messages": [user("entropy of [0.5, 0.5]")],
        "tools": TOOLS,
        "stream_options": {"include_usage": True},
    }
    chunks = list(chat_completion_chunks(OfflineBrain(), body))
    fragments = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    assert fragments[0]["id"].startswith("call_") and fragments[0]["function"]["name"] == "entropy"
    assert all("id" not in f for f in fragments[1:]) and all(f["index"] == 0 for f in fragments)
    assert json.loads("".join(f["function"]["arguments"] for f in fragments)) == {"p": [0.5, 0.5]}
    assert (
        chunks[-2]["choices"][0]["finish_reason"] == "tool_calls" and chunks[-1]["usage"]["total_tokens"] > 0
    )


def offline_client() -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key="offline",
        base_url="http://offline.protoplay.invalid/v1",
        http_client=httpx2.AsyncClient(transport=OfflineTransport()),
        max_retries=0,
    )


async def test_the_transport_serves_the_openai_client_streaming_and_not():
    client = offline_client()
    messages = [user("entropy of [0.5, 0.5] in bits")]
    completion = await client.chat.completions.create(
        model=OFFLINE_MODEL_NAME, messages=messages, tools=TOOLS
    )
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "entropy" and json.loads(call.function.arguments) == {
        "p": [0.5, 0.5],
        "base": "2",
    }
    stream = await client.chat.completions.create(
        model=OFFLINE_MODEL_NAME, messages=[user("hello")], stream=True
    )
    pieces = [
        chunk.choices[0].delta.content
        async for chunk in stream
        if chunk.choices and chunk.choices[0].delta.content
    ]
    assert len(pieces) > 5 and "".join(pieces).startswith("Hi! I'm protoplay's built-in offline model")
    models = await client.models.list()
    assert [m.id for m in models.data] == [OFFLINE_MODEL_NAME]


async def test_the_transport_rejects_a_malformed_request_with_an_openai_style_error():
    client = offline_client()
    with pytest.raises(BadRequestError, match="messages: must be a non-empty list"):
        await client.chat.completions.create(model=OFFLINE_MODEL_NAME, messages=[])


async def test_tool_choice_none_gets_text():
    client = offline_client()
    completion = await client.chat.completions.create(
        model=OFFLINE_MODEL_NAME, messages=[user("entropy of [0.5, 0.5]")], tools=TOOLS, tool_choice="none"
    )
    assert completion.choices[0].message.tool_calls is None and completion.choices[0].message.content
