"""How much an A2A server reads: a body over the limit gets 413 before it is read, a message with a part over
its limit is refused before a task exists, and a card fetch is never held up by either."""

from __future__ import annotations

import asyncio
import base64
import uuid
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest

from agents.models.testing import ScriptedModel
from servers.a2a.coordinator import run_coordinator
from servers.a2a.limits import MessageLimits
from servers.a2a.specialist import open_specialist, run_specialist
from tests.servers.a2a.support import JsonRpc, asgi_client, running, user_message


@asynccontextmanager
async def specialist(mcp_server, **options):
    model = ScriptedModel(["fine"] * 5)
    async with (
        open_specialist(url="http://specialist/", mcp=mcp_server, model_override=model, **options) as a2a,
        asgi_client(a2a.app) as client,
    ):
        yield JsonRpc(client), model


def message(*parts: dict) -> dict:
    return {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": list(parts)}


async def test_a_body_over_the_limit_gets_413_with_a_json_rpc_error_and_creates_nothing(mcp_server):
    async with specialist(mcp_server, max_body_bytes=64 * 1024) as (rpc, model):
        response = await rpc.raw("SendMessage", {"message": user_message("x" * 100_000)})
        assert response.status_code == 413
        body = response.json()
        assert body["error"]["code"] == -32600 and body["id"] is None
        assert "at most 64 KiB (--max-body-size raises the limit)" in body["error"]["message"]
        assert (await rpc.call("ListTasks", {}))["tasks"] == []
    assert model.requests == []


def _base64(size: int) -> str:
    return base64.b64encode(b"\0" * size).decode()


@pytest.mark.parametrize(
    ("parts", "error"),
    [
        (
            [{"text": "x" * 100_001}],
            "message.parts[0].text: 100,001 characters; this agent reads at most 100,000 characters per text "
            "part",
        ),
        ([{"text": "hi"}] * 33, "message.parts: 33 parts; this agent reads at most 32 per message"),
        (
            [{"text": "hi"}, {"raw": _base64(2 * 1024 * 1024 + 1), "mediaType": "application/octet-stream"}],
            "message.parts[1].raw: 2,097,153 bytes; this agent reads at most 2,097,152 bytes per raw part",
        ),
        ([{"url": "https://example.org/" + "a" * 3000}], "message.parts[0].url: 3,020 characters"),
        ([{"data": {"values": list(range(300_000))}}], "message.parts[0].data: "),
    ],
    ids=["long-text", "many-parts", "big-file", "long-url", "big-data"],
)
async def test_a_part_over_its_limit_is_refused_naming_it_and_nothing_is_created(mcp_server, parts, error):
    async with specialist(mcp_server) as (rpc, model):
        refused = await rpc.error("SendMessage", {"message": message(*parts)})
        streamed = await rpc.raw("SendStreamingMessage", {"message": message(*parts)})
        assert (await rpc.call("ListTasks", {}))["tasks"] == []
    assert refused["code"] == -32602 and error in refused["message"]
    assert error in streamed.json()["error"]["message"]
    assert model.requests == []


async def test_parts_within_their_limits_are_served(mcp_server):
    limits = MessageLimits()
    parts = [{"text": "y" * limits.max_text_chars}, {"data": {"k": 1}}, {"url": "https://example.org/a.png"}]
    async with specialist(mcp_server) as (rpc, model):
        task = (await rpc.call("SendMessage", {"message": message(*parts)}))["task"]
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert len(model.requests) == 1


@pytest.mark.parametrize("role", ["specialist", "coordinator"])
async def test_a_megabyte_message_is_refused_at_once_while_card_fetches_carry_on(mcp_server, role):
    """Over a real socket: a 1 MB text part is refused, and card fetches made meanwhile all succeed."""
    async with AsyncExitStack() as stack:
        target = await stack.enter_async_context(
            running(run_specialist, mcp=mcp_server, model_override=ScriptedModel(), task_store="memory")
        )
        if role == "coordinator":
            target = await stack.enter_async_context(
                running(run_coordinator, peers=[target], model_override=ScriptedModel(), task_store="memory")
            )
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=target, timeout=30))
        rpc = JsonRpc(client)
        sent, *cards = await asyncio.gather(
            rpc.raw("SendMessage", {"message": user_message("z" * 1_000_000)}),
            *(client.get("/.well-known/agent-card.json") for _ in range(10)),
        )
        listed = await rpc.call("ListTasks", {})
    assert "100,000 characters per text part" in sent.json()["error"]["message"]
    assert all(card.status_code == 200 for card in cards)
    assert listed["tasks"] == []
