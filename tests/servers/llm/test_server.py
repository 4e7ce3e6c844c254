"""`protoplay serve llm`: the offline model as an OpenAI-compatible HTTP endpoint, in-process and as a real
server."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import httpx
import pytest
from openai import AsyncOpenAI
from typer.testing import CliRunner

from agents.config import OFFLINE_MODEL_NAME, resolve_model_config
from agents.loop import Agent
from agents.mcp.client import connect_mcp
from agents.memory.sessions import Session
from agents.models.openai import build_model
from servers.cli.main import app
from servers.llm.server import build_app

ENTROPY_TOOL = {
    "type": "function",
    "function": {
        "name": "entropy",
        "description": "Shannon entropy of a discrete distribution (信息熵).",
        "parameters": {
            "type": "object",
            "properties": {
                "p": {"type": "array", "items": {"type": "number"}, "description": "Probabilities."}
            },
            "required": ["p"],
        },
    },
}


def asgi_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app()), base_url="http://test")


async def test_models_lists_the_offline_model():
    async with asgi_client() as client:
        response = await client.get("/v1/models")
    assert response.status_code == 200 and response.json()["data"][0]["id"] == OFFLINE_MODEL_NAME


async def test_chat_completion_with_tools_returns_a_tool_call():
    body = {
        "model": OFFLINE_MODEL_NAME,
        "messages": [{"role": "user", "content": "entropy of [0.5, 0.5]"}],
        "tools": [ENTROPY_TOOL],
    }
    async with asgi_client() as client:
        response = await client.post("/v1/chat/completions", json=body)
    message = response.json()["choices"][0]["message"]
    assert message["tool_calls"][0]["function"] == {"name": "entropy", "arguments": '{"p": [0.5, 0.5]}'}


async def test_streaming_is_server_sent_events_ending_with_done():
    body = {"messages": [{"role": "user", "content": "hello"}], "stream": True}
    async with asgi_client() as client:
        response = await client.post("/v1/chat/completions", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line.removeprefix("data: ") for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    text = "".join(json.loads(e)["choices"][0]["delta"].get("content") or "" for e in events[:-1])
    assert text.startswith("Hi! I'm protoplay's built-in offline model")


async def test_bad_requests_get_openai_style_errors():
    async with asgi_client() as client:
        bad_json = await client.post("/v1/chat/completions", content=b"{not json")
        no_messages = await client.post("/v1/chat/completions", json={"model": OFFLINE_MODEL_NAME})
        unknown = await client.get("/v2/nothing")
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["error"]["message"]
    assert no_messages.status_code == 400 and no_messages.json()["error"]["param"] == "messages"
    assert unknown.status_code == 404 and "POST /v1/chat/completions" in unknown.json()["error"]["message"]


def test_a_wide_bind_needs_allow_remote():
    result = CliRunner().invoke(app, ["serve", "llm", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--allow-remote" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def llm_server(protoplay_exe, subprocess_env):
    port = _free_port()
    process = subprocess.Popen(
        [protoplay_exe, "serve", "llm", "--port", str(port)],
        env=subprocess_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
            assert process.poll() is None, process.stderr.read()
        else:
            pytest.fail("protoplay serve llm did not start within 60 s")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_any_openai_client_can_use_the_served_model(llm_server):
    client = AsyncOpenAI(base_url=llm_server, api_key="anything", max_retries=0)
    stream = await client.chat.completions.create(
        model=OFFLINE_MODEL_NAME,
        messages=[{"role": "user", "content": "entropy of [0.9, 0.1]"}],
        tools=[ENTROPY_TOOL],
        stream=True,
    )
    fragments = [
        c.choices[0].delta.tool_calls[0] async for c in stream if c.choices and c.choices[0].delta.tool_calls
    ]
    assert fragments[0].function.name == "entropy"
    assert json.loads("".join(f.function.arguments or "" for f in fragments)) == {"p": [0.9, 0.1]}
    await client.close()


async def test_the_agent_runs_against_the_served_model_over_http(llm_server, mcp_server):
    config = resolve_model_config(base_url=llm_server, model=OFFLINE_MODEL_NAME)
    assert not config.offline  # a base URL means a real endpoint, here the served offline model
    model = build_model(config)
    async with connect_mcp(mcp_server) as toolbox:
        result = await Agent(model, toolbox).run(
            "KL divergence between p=[0.5, 0.5] and q=[0.9, 0.1]", session=Session.ephemeral()
        )
    await model.aclose()
    (record,) = result.tool_calls
    assert record.name == "kl_divergence" and not record.outcome.is_error
    # KL(p‖q) = ½ln(0.5/0.9) + ½ln(0.5/0.1) = 0.5108 nats (hand derivation)
    assert record.outcome.structured["kl_pq"] == pytest.approx(0.5108256, abs=1e-6)
    assert result.text.startswith("**kl_divergence**: kl_pq = 0.5108 nats")


# ---------------------------------------------------------------------------------------------- issue #13
# The same behaviours, seen by the real openai client against the served endpoint.

USER = [{"role": "user", "content": "entropy of [0.5, 0.5]"}]
CONV_TOOL = {
    "type": "function",
    "function": {
        "name": "conv2d_params",
        "description": "Parameters of a 2-D convolution layer.",
        "parameters": {
            "type": "object",
            "properties": {"kernel_size": {"type": "integer", "description": "Kernel size k."}},
            "required": ["kernel_size"],
        },
    },
}


async def test_a_forced_tool_choice_calls_that_tool(llm_server):
    client = AsyncOpenAI(base_url=llm_server, api_key="anything", max_retries=0)
    forced = {"type": "function", "function": {"name": "conv2d_params"}}
    completion = await client.chat.completions.create(
        model=OFFLINE_MODEL_NAME, messages=USER, tools=[ENTROPY_TOOL, CONV_TOOL], tool_choice=forced
    )
    (call,) = completion.choices[0].message.tool_calls
    assert call.function.name == "conv2d_params"  # not entropy, which the words point at
    await client.close()


async def test_required_forces_a_call_and_none_forbids_one(llm_server):
    client = AsyncOpenAI(base_url=llm_server, api_key="anything", max_retries=0)
    hello = [{"role": "user", "content": "hello"}]
    required = await client.chat.completions.create(
        model=OFFLINE_MODEL_NAME, messages=hello, tools=[ENTROPY_TOOL], tool_choice="required"
    )
    assert required.choices[0].message.tool_calls[0].function.name == "entropy"
    none = await client.chat.completions.create(
        model=OFFLINE_MODEL_NAME, messages=USER, tools=[ENTROPY_TOOL], tool_choice="none"
    )
    assert none.choices[0].message.tool_calls is None and none.choices[0].message.content
    await client.close()


async def test_ids_are_unique_across_requests(llm_server):
    client = AsyncOpenAI(base_url=llm_server, api_key="anything", max_retries=0)
    replies = [
        await client.chat.completions.create(model=OFFLINE_MODEL_NAME, messages=USER, tools=[ENTROPY_TOOL])
        for _ in range(3)
    ]
    assert len({reply.id for reply in replies}) == 3
    assert len({reply.choices[0].message.tool_calls[0].id for reply in replies}) == 3
    await client.close()


async def test_an_unknown_model_is_a_404_model_not_found(llm_server):
    import openai

    client = AsyncOpenAI(base_url=llm_server, api_key="anything", max_retries=0)
    with pytest.raises(openai.NotFoundError) as raised:
        await client.chat.completions.create(model="gpt-4o", messages=USER)
    assert raised.value.status_code == 404 and raised.value.body["code"] == "model_not_found"
    await client.close()


def test_a_stream_is_sent_chunk_by_chunk_without_a_content_length(llm_server):
    body = {"model": OFFLINE_MODEL_NAME, "messages": [{"role": "user", "content": "hello"}], "stream": True}
    with httpx.stream("POST", f"{llm_server}/chat/completions", json=body, timeout=30) as response:
        assert "content-length" not in response.headers
        assert response.headers.get("transfer-encoding") == "chunked"
        events = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert len(events) > 5 and events[-1] == "data: [DONE]"
