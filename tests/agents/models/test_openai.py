"""The OpenAI-compatible model at the HTTP seam: respx routes on openai 3.x's httpx2, through the whole
agent."""

from __future__ import annotations

import json

import httpx
import pytest
from openai import AsyncOpenAI

from agents.errors import ModelAPIError
from agents.loop import Agent
from agents.mcp.client import connect_mcp
from agents.memory.sessions import Session
from agents.models.openai import OpenAIModel
from agents.models.testing.http import TEST_BASE_URL, RealEndpointError, completion, mock_openai, stream

# retry-after-ms makes the client's built-in backoff wait 1 ms instead of ~0.5-8 s (openai
# _calculate_retry_timeout)
FAST_RETRY = {"retry-after-ms": "1"}


def openai_model(*, streaming: bool = True, max_retries: int = 2) -> OpenAIModel:
    client = AsyncOpenAI(api_key="test-key", base_url=TEST_BASE_URL, max_retries=max_retries)
    return OpenAIModel(client, "gpt-test", stream=streaming)


def sent(route, index: int) -> dict:
    return json.loads(route.calls[index].request.content)


async def test_tool_call_round_trip(test_server):
    with mock_openai() as router:
        route = router.post("/chat/completions").mock(
            side_effect=[completion(tool_calls=[("add", {"a": 1, "b": 2})]), completion("1 + 2 = 3")]
        )
        async with connect_mcp(test_server) as toolbox:
            result = await Agent(openai_model(streaming=False), toolbox).run(
                "1+2?", session=Session.ephemeral()
            )
    assert result.text == "1 + 2 = 3"
    first, second = sent(route, 0), sent(route, 1)
    assert first["model"] == "gpt-test" and "add" in [t["function"]["name"] for t in first["tools"]]
    assert route.calls[0].request.headers["authorization"] == "Bearer test-key"
    assistant, tool = second["messages"][-2:]
    assert assistant["tool_calls"][0]["function"] == {"name": "add", "arguments": '{"a": 1, "b": 2}'}
    assert tool == {"role": "tool", "tool_call_id": "call_0", "content": '{"total": 3.0}'}


async def test_streamed_reply_with_tool_call_deltas_is_assembled(test_server, rendezvous):
    calls = [("meet", {"label": "left"}), ("meet", {"label": "right"})]
    with mock_openai() as router:
        route = router.post("/chat/completions").mock(
            side_effect=[stream(tool_calls=calls, fragments=4), stream("both met")]
        )
        async with connect_mcp(test_server) as toolbox:
            result = await Agent(openai_model(), toolbox).run("meet", session=Session.ephemeral())
    assert sent(route, 0)["stream"] is True
    assert [(r.name, r.arguments) for r in result.tool_calls] == [(n, a) for n, a in calls]
    assert not any(r.outcome.is_error for r in result.tool_calls)  # and they ran concurrently (rendezvous)
    assert result.text.strip() == "both met"


async def test_streamed_text_arrives_as_deltas():
    with mock_openai() as router:
        router.post("/chat/completions").mock(return_value=stream("one two three"))
        events = [event async for event in openai_model().stream([{"role": "user", "content": "count"}], [])]
    assert [e.text for e in events[:-1]] == ["one ", "two ", "three "]
    assert events[-1].text == "one two three " and events[-1].finish_reason == "stop"


async def test_429_then_success_is_retried_by_the_client():
    limited = httpx.Response(429, headers=FAST_RETRY, json={"error": {"message": "slow down"}})
    with mock_openai() as router:
        route = router.post("/chat/completions").mock(side_effect=[limited, stream("fine")])
        result = await Agent(openai_model()).run("hi", session=Session.ephemeral())
    assert route.call_count == 2 and result.text.strip() == "fine"


async def test_500_until_retries_are_exhausted_ends_the_turn_with_a_clear_message():
    failing = httpx.Response(500, headers=FAST_RETRY, json={"error": {"message": "upstream exploded"}})
    session = Session.ephemeral()
    with mock_openai() as router:
        route = router.post("/chat/completions").mock(return_value=failing)
        with pytest.raises(ModelAPIError) as caught:
            await Agent(openai_model(max_retries=2)).run("hi", session=session)
        assert route.call_count == 3  # the first try and two retries
        message = str(caught.value)
        assert "answered 500 after 3 attempts" in message and "upstream exploded" in message
        assert caught.value.status_code == 500
        assert session.history == [] and session.current is None  # the conversation is intact
        route.mock(return_value=stream("recovered"))
        assert (await Agent(openai_model()).run("again", session=session)).text.strip() == "recovered"


async def test_a_refused_key_is_reported_without_retrying():
    with mock_openai() as router:
        route = router.post("/chat/completions").mock(
            return_value=httpx.Response(401, json={"error": {"message": "bad key"}})
        )
        with pytest.raises(ModelAPIError, match=r"refused the API key \(401\): bad key"):
            await Agent(openai_model()).run("hi", session=Session.ephemeral())
    assert route.call_count == 1


async def test_an_empty_stream_is_an_error_not_a_silent_empty_answer():
    with mock_openai() as router:
        router.post("/chat/completions").mock(return_value=completion("json, not SSE"))
        with pytest.raises(ModelAPIError, match="empty stream"):
            await Agent(openai_model()).run("hi", session=Session.ephemeral())


async def test_an_unmocked_route_fails_the_test():
    with mock_openai() as router:
        router.post("/chat/completions").mock(return_value=stream("x"))
        client = AsyncOpenAI(api_key="k", base_url=TEST_BASE_URL, max_retries=0)
        with pytest.raises(Exception, match="not mocked"):
            await client.models.list()


async def test_the_guard_fails_a_request_to_a_real_endpoint():
    client = AsyncOpenAI(api_key="k", base_url="https://api.openai.com/v1", max_retries=0)
    with pytest.raises(RealEndpointError, match=r"POST https://api\.openai\.com/v1/chat/completions"):
        await client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}])


async def test_timeouts_are_retried_then_reported():
    with mock_openai() as router:
        route = router.post("/chat/completions").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(ModelAPIError, match=r"timed out \(tried 2 times\)"):
            await Agent(openai_model(max_retries=1)).run("hi", session=Session.ephemeral())
    assert route.call_count == 2
