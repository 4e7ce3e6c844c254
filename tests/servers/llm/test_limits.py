"""`protoplay serve llm` under hostile input: bodies over the limit get 413 before they are read, an over-long
message is answered with a message instead of being understood, and the model's work never holds up other
requests."""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time

import httpx
import pytest

from agents.models.offline.bounds import MAX_REQUEST_CHARS
from agents.models.offline.engine import OfflineBrain, OfflineReply
from servers.a2a.app import free_port
from servers.llm.server import build_app
from tests.servers.cli.test_robustness import run


def asgi_client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def chat(text: str) -> dict:
    return {"model": "protoplay-offline", "messages": [{"role": "user", "content": text}]}


async def test_a_body_over_the_limit_gets_an_openai_style_413():
    async with asgi_client(build_app(max_body_bytes=64 * 1024)) as client:
        response = await client.post("/v1/chat/completions", json=chat("x" * 100_000))
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "too_large"
    assert "at most 64 KiB (--max-body-size raises the limit)" in error["message"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("word " * 50_000, "the offline model reads requests of up to 8,000 characters"),
        ("参数" * 10_000, "离线模型最多读取"),
    ],
    ids=["english", "chinese"],
)
async def test_a_message_over_the_models_limit_is_answered_with_a_message(text, fragment):
    async with asgi_client(build_app()) as client:
        response = await client.post("/v1/chat/completions", json=chat(text))
    assert response.status_code == 200
    answer = response.json()["choices"][0]["message"]["content"]
    assert fragment in answer and f"{len(text):,}" in answer


async def test_a_message_at_the_limit_is_still_understood():
    text = "entropy of [0.5, 0.5] in bits " + " " * (MAX_REQUEST_CHARS - 30)
    assert len(text) == MAX_REQUEST_CHARS
    tool = {
        "type": "function",
        "function": {
            "name": "entropy",
            "description": "Shannon entropy of a discrete distribution.",
            "parameters": {"type": "object", "properties": {"p": {"type": "array"}}, "required": ["p"]},
        },
    }
    async with asgi_client(build_app()) as client:
        response = await client.post("/v1/chat/completions", json=chat(text) | {"tools": [tool]})
    assert response.json()["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "entropy"


class _SlowBrain(OfflineBrain):
    """A model that works until the test lets it finish (what a long computation looks like from outside)."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.finish = threading.Event()

    def respond(self, messages, tools, *, tool_choice=None):
        self.started.set()
        assert self.finish.wait(timeout=30)
        return OfflineReply(text="done")


async def test_other_requests_are_served_while_the_model_works():
    brain = _SlowBrain()
    async with asgi_client(build_app(brain)) as client:
        slow = asyncio.create_task(client.post("/v1/chat/completions", json=chat("hello")))
        assert await asyncio.to_thread(brain.started.wait, 30)
        models = await client.get("/v1/models")  # answered while the completion is still being computed
        assert models.status_code == 200 and not slow.done()
        brain.finish.set()
        assert (await slow).json()["choices"][0]["message"]["content"] == "done"


def test_the_served_endpoint_refuses_a_megabyte_with_413_and_keeps_serving(protoplay_exe, subprocess_env):
    port = free_port()
    command = [protoplay_exe, "serve", "llm", "--port", str(port), "--max-body-size", "64k"]
    process = subprocess.Popen(command, env=subprocess_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(600):  # up to 60 s to start
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
        # The whole body is sent over a real socket: the client must read the 413, not a reset connection.
        response = httpx.post(f"{base}/chat/completions", json=chat("x" * 1_000_000), timeout=30)
        assert response.status_code == 413 and "at most 64 KiB" in response.json()["error"]["message"]
        assert httpx.get(f"{base}/models", timeout=5).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_body_limit_option_refuses_a_size_that_is_not_one(protoplay_exe, subprocess_env):
    result = run(protoplay_exe, subprocess_env, "serve", "llm", "--max-body-size", "lots")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "'lots' is not a size" in result.stderr
