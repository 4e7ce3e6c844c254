"""What the offline model reads and where it works: an over-long request is answered with a message, earlier
requests it re-reads are cut to the limit, and the in-process transport computes off the event loop."""

from __future__ import annotations

import asyncio
import threading

import httpx2

from agents.config import OFFLINE_MODEL_NAME
from agents.models.offline.bounds import MAX_REQUEST_CHARS, BoundedBrain, too_long_reply
from agents.models.offline.engine import OfflineBrain, OfflineReply
from agents.models.offline.transport import OfflineTransport


class _Recording(OfflineBrain):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[list[dict]] = []

    def respond(self, messages, tools, *, tool_choice=None):
        self.seen.append(messages)
        return OfflineReply(text="understood")


def test_a_request_over_the_limit_is_answered_without_being_read():
    inner = _Recording()
    text = "a" * (MAX_REQUEST_CHARS + 1)
    reply = BoundedBrain(inner).respond([{"role": "user", "content": text}], [])
    assert reply.text == too_long_reply(MAX_REQUEST_CHARS + 1) and not reply.tool_calls
    assert "8,001 characters" in reply.text and "up to 8,000 characters" in reply.text
    assert inner.seen == []


def test_content_parts_count_like_plain_text():
    inner = _Recording()
    parts = [{"type": "text", "text": "b" * MAX_REQUEST_CHARS}, {"type": "text", "text": "c"}]
    reply = BoundedBrain(inner).respond([{"role": "user", "content": parts}], [])
    assert "up to 8,000 characters" in (reply.text or "") and inner.seen == []


def test_a_request_at_the_limit_reaches_the_model_unchanged():
    inner = _Recording()
    messages = [{"role": "user", "content": "d" * MAX_REQUEST_CHARS}]
    assert BoundedBrain(inner).respond(messages, []).text == "understood"
    assert inner.seen == [messages]


def test_earlier_requests_the_model_re_reads_are_cut_to_the_limit():
    inner = _Recording()
    messages = [
        {"role": "user", "content": "e" * 50_000},
        {"role": "assistant", "content": "To run `entropy` I need: p"},
        {"role": "tool", "tool_call_id": "x", "content": "f" * 50_000},  # results are not requests: kept
        {"role": "user", "content": "p = [0.5, 0.5]"},
    ]
    BoundedBrain(inner).respond(messages, [])
    (seen,) = inner.seen
    assert [len(message["content"]) for message in seen] == [MAX_REQUEST_CHARS, 26, 50_000, 14]
    assert seen[-1] == messages[-1]


def test_a_long_chinese_request_is_answered_in_chinese():
    reply = BoundedBrain().respond([{"role": "user", "content": "参数" * MAX_REQUEST_CHARS}], [])
    assert "离线模型最多读取 8,000 个字符" in (reply.text or "")


async def test_the_transport_computes_in_a_worker_thread_while_the_loop_runs_on():
    started, finish = threading.Event(), threading.Event()

    class Slow(OfflineBrain):
        def respond(self, messages, tools, *, tool_choice=None):
            started.set()
            assert finish.wait(timeout=30)
            return OfflineReply(text="late")

    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while not finish.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    body = {"model": OFFLINE_MODEL_NAME, "messages": [{"role": "user", "content": "hi"}]}
    async with httpx2.AsyncClient(
        transport=OfflineTransport(Slow()), base_url="http://offline.invalid"
    ) as client:
        request = asyncio.create_task(client.post("/v1/chat/completions", json=body))
        ticker = asyncio.create_task(tick())
        assert await asyncio.to_thread(started.wait, 30)
        before = ticks
        while ticks < before + 3:  # the loop keeps running while the model works
            await asyncio.sleep(0.01)
        assert not request.done()
        finish.set()
        response = await request
        await ticker
    assert response.json()["choices"][0]["message"]["content"] == "late"
