"""The coordinator's delegation tools (PeerToolbox) against an in-process specialist (httpx ASGITransport).

The specialist here is the real A2A server with a scripted model; only the network is replaced.
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import asynccontextmanager

import httpx
import pytest
from a2a.types import TaskState

from agents.a2a.client import PeerClient
from agents.a2a.compose import compose_answers
from agents.a2a.coordinator import (
    PeerToolbox,
    split_requests,
)
from agents.errors import ModelAPIError
from agents.loop import Agent
from agents.memory.sessions import Session
from agents.models.testing import FunctionModel, ScriptedModel, call
from agents.toolbox import TurnContext
from agents.trace import TraceWriter, read_trace
from servers.a2a.app import free_port
from servers.a2a.specialist import open_specialist

FAIR_COIN = {"p": [0.5, 0.5], "base": "2"}

TURN = TurnContext.of("default")
"""A turn with no user text: calls must say what to ask."""


@pytest.fixture(scope="module")
def mcp_server():
    from servers.mcp.server import build_server

    return build_server()


@asynccontextmanager
async def peer(mcp_server, model, *, token=None, client_token=None, **client_options):
    """A specialist app in-process and a PeerClient bound to it."""
    async with open_specialist(
        url="http://specialist/", mcp=mcp_server, model_override=model, token=token
    ) as a2a:
        transport = httpx.ASGITransport(a2a.app)
        async with PeerClient(
            "http://specialist", transport=transport, token=client_token, **client_options
        ) as client:
            yield client


@asynccontextmanager
async def toolbox_for(mcp_server, model, **client_options):
    async with peer(mcp_server, model, **client_options) as client:
        toolbox = PeerToolbox([client])
        assert await toolbox.start() == []
        yield toolbox, client


# ------------------------------------------------------------------------------------------------- tools


async def test_delegation_tools_are_built_from_the_peer_card(mcp_server):
    async with toolbox_for(mcp_server, ScriptedModel()) as (toolbox, client):
        specs = await toolbox.tool_specs(TURN)
    names = [spec["function"]["name"] for spec in specs]
    assert names == [f"ask_{skill.id.replace('-', '_')}" for skill in client.card.skills]
    complexity = next(
        spec["function"] for spec in specs if spec["function"]["name"] == "ask_model_complexity"
    )
    signature = "compare_models(models, input_size?, max_params_millions?, max_gmacs?, plot?)"
    assert signature in complexity["description"]
    assert "Example requests:" in complexity["description"]
    parameters = complexity["parameters"]
    assert set(parameters["properties"]) == {"request", "task_id"}
    assert parameters.get("required", []) == [] and parameters["additionalProperties"] is False


async def test_a_call_returns_the_answer_structured_results_and_artifacts(mcp_server):
    model = ScriptedModel([call("entropy", FAIR_COIN), "H = 1 bit."])
    updates = []

    async def observe(update):
        updates.append(update)

    async with toolbox_for(mcp_server, model) as (toolbox, _):
        turn = TurnContext("default", "entropy please", context_id="ctx-1", observer=observe)
        outcome = await toolbox.call(
            "ask_information_theory", {"request": "entropy of [0.5, 0.5] in bits"}, turn
        )
    assert not outcome.is_error
    data = outcome.structured
    assert (data["state"], data["answer"]) == ("completed", "H = 1 bit.")
    (record,) = data["results"][0]["tool_calls"]
    assert record["result"]["entropy"] == 1.0  # hand derivation: H(½, ½) = 1 bit
    assert model.requests[0].messages[-1]["content"] == "entropy of [0.5, 0.5] in bits"
    assert [artifact.name for _, artifact in outcome.extra["artifacts"]] == ["answer", "tool-results"]
    assert updates[0].state == "working" and updates[-1].state == "completed"
    assert any(u.metadata.get("tool") == "entropy" for u in updates)  # the tool call in progress is named
    assert json.loads(outcome.content) == data


async def test_leaving_the_request_out_forwards_the_users_message_in_the_same_context(mcp_server):
    model = ScriptedModel(["noted"])
    async with toolbox_for(mcp_server, model) as (toolbox, client):
        turn = TurnContext("default", "the user's own words", context_id="ctx-shared")
        outcome = await toolbox.call("ask_notes", {}, turn)
        task = await client.get_task(outcome.structured["task_id"])
    assert model.requests[0].messages[-1]["content"] == "the user's own words"
    assert task.context_id == "ctx-shared"  # the peer's task joins the coordinator's context (and trace)


async def test_bad_arguments_and_unknown_tools_are_error_results(mcp_server):
    async with toolbox_for(mcp_server, ScriptedModel()) as (toolbox, _):
        extra = await toolbox.call("ask_notes", {"request": "x", "colour": "red"}, TURN)
        unknown = await toolbox.call("ask_nothing", {}, TURN)
        nothing = await toolbox.call("ask_notes", {}, TURN)  # no request and no turn to forward
    assert extra.is_error and "colour" in extra.content
    assert unknown.is_error and "ask_nothing" in unknown.content
    assert nothing.is_error and "request" in nothing.content


# ------------------------------------------------------------------------------------------------- splitting


def test_bullet_points_are_split_into_requests():
    goal = "Plan this:\n- memory of full fine-tuning\n* memory of lora\n  3. trainable params of lora\n"
    assert split_requests(goal) == [
        "memory of full fine-tuning",
        "memory of lora",
        "trainable params of lora",
    ]
    assert split_requests("one request\n- a lone bullet") == ["one request\n- a lone bullet"]
    assert split_requests("  plain  ") == ["plain"]


async def test_bullet_points_become_parallel_tasks(mcp_server):
    arrived: list[str] = []
    all_three = asyncio.Event()

    async def answer(messages, tools):
        arrived.append(messages[-1]["content"])
        if len(arrived) == 3:
            all_three.set()
        await asyncio.wait_for(all_three.wait(), 5)  # a sequential fan-out would never get here
        return f"answer to {messages[-1]['content']}"

    async with toolbox_for(mcp_server, FunctionModel(answer)) as (toolbox, _):
        outcome = await toolbox.call("ask_fine_tuning", {"request": "Compare:\n- a\n- b\n- c"}, TURN)
    assert sorted(arrived) == ["a", "b", "c"]
    assert outcome.structured["tasks"] == 3
    for letter in "abc":
        assert f"answer to {letter}" in outcome.structured["answer"]


def test_compose_answers_compares_results_of_the_same_tool_in_one_table():
    def row(request, method, total, fits):
        result = {"base": "llama-7b", "method": method, "total_gib": total, "fits": fits}
        calls = {"tool_calls": [{"tool": "finetune_memory", "is_error": False, "result": result}]}
        return {"request": request, "state": "completed", "answer": "…", "results": [calls]}

    rows = [row("full", "full", 103.9, False), row("lora", "lora", 16.3, True)]
    rows.append({"request": "explain lora", "state": "completed", "answer": "LoRA adds low-rank adapters."})
    text = compose_answers(rows)
    table = text.splitlines()
    assert table[0] == "**finetune_memory**, 2 requests compared:"
    assert table[2] == "| request | method | fits | total_gib |"  # only what differs; base is the same
    assert table[4] == "| full | full | no | 103.9 |"
    assert "### explain lora\nLoRA adds low-rank adapters." in text


# ------------------------------------------------------------------------------------------------- questions


async def test_a_question_stays_pending_and_the_next_call_answers_the_same_task(mcp_server):
    model = ScriptedModel(
        [call("ask_user", {"question": "Which base?"}), call("entropy", FAIR_COIN), "1 bit."]
    )
    async with toolbox_for(mcp_server, model) as (toolbox, _):
        asked = await toolbox.call(
            "ask_information_theory", {"request": "entropy of [0.5, 0.5]"}, TurnContext.of("s1")
        )
        assert asked.structured["state"] == "input-required"
        assert asked.structured["question"] == "Which base?"
        assert asked.extra["peer_question"] == "Which base?"
        assert toolbox.pending_question("s1") == "Which base?"
        assert toolbox.pending_question("another-session") is None
        answered = await toolbox.call("ask_information_theory", {"request": "base 2"}, TurnContext.of("s1"))
    assert answered.structured["task_id"] == asked.structured["task_id"]
    assert answered.structured["state"] == "completed"
    assert toolbox.pending_question("s1") is None


async def test_the_coordinator_answers_a_question_from_context_in_the_same_turn(mcp_server):
    specialist_model = ScriptedModel(
        [call("ask_user", {"question": "Which log base?"}), call("entropy", FAIR_COIN), "1 bit."]
    )
    coordinator_model = ScriptedModel(
        [
            call("ask_information_theory", {"request": "entropy of [0.5, 0.5]"}),
            call("ask_information_theory", {"request": "base 2, as the user said"}),  # from the conversation
            "The entropy is 1 bit.",
        ]
    )
    async with toolbox_for(mcp_server, specialist_model) as (toolbox, _):
        agent = Agent(coordinator_model, toolbox)
        session = Session.ephemeral("coordinator")
        text = "I work in bits. What is the entropy of [0.5, 0.5]?"
        result = await agent.run(text, session=session)
    assert result.needs_input is None and result.text == "The entropy is 1 bit."
    first, second = (record.outcome.structured for record in result.tool_calls)
    assert first["state"] == "input-required" and second["state"] == "completed"
    assert first["task_id"] == second["task_id"]  # the answer went to the waiting task
    # the model saw the question and the advice on what to do with it
    assert "Which log base?" in coordinator_model.requests[1].messages[-1]["content"]


# ------------------------------------------------------------------------------------------------- failures


async def test_a_peer_that_is_down_is_reported_at_once():
    url = f"http://127.0.0.1:{free_port()}"
    async with PeerClient(url, connect_timeout_s=2) as client:
        toolbox = PeerToolbox([client])
        begun = time.perf_counter()
        problems = await toolbox.start()
        assert time.perf_counter() - begun < 3
    assert len(problems) == 1 and url in problems[0] and "could not connect" in problems[0]
    assert not toolbox.reachable and await toolbox.tool_specs(TURN) == []
    assert url in toolbox.unreachable_message()


class FlakyTransport(httpx.AsyncBaseTransport):
    """Refuses connections until ``up`` is set, then hands requests to the real (ASGI) transport."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.up = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("All connection attempts failed", request=request)
        return await self.inner.handle_async_request(request)


async def test_a_peer_down_at_start_up_is_found_when_it_comes_back(mcp_server):
    async with open_specialist(
        url="http://specialist/", mcp=mcp_server, model_override=ScriptedModel(["hi"])
    ) as a2a:
        transport = FlakyTransport(httpx.ASGITransport(a2a.app))
        async with PeerClient("http://specialist", transport=transport) as client:
            toolbox = PeerToolbox([client], retry_after_s=0)
            assert len(await toolbox.start()) == 1
            transport.up = True
            specs = await toolbox.tool_specs(TURN)  # its card is read again
            outcome = await toolbox.call("ask_notes", {"request": "hello"}, TURN)
    assert specs and outcome.structured["answer"] == "hi"


async def test_a_peer_that_goes_down_after_discovery_gives_a_clear_error(mcp_server):
    async with open_specialist(
        url="http://specialist/", mcp=mcp_server, model_override=ScriptedModel()
    ) as a2a:
        transport = FlakyTransport(httpx.ASGITransport(a2a.app))
        transport.up = True
        async with PeerClient("http://specialist", transport=transport) as client:
            toolbox = PeerToolbox([client])
            await toolbox.start()
            transport.up = False
            outcome = await toolbox.call("ask_notes", {"request": "hello"}, TURN)
    assert outcome.is_error and outcome.extra["peer_failed"]
    assert (
        "protoplay-ml-specialist at http://specialist is not reachable (could not connect" in outcome.content
    )
    assert "Reading its card again failed too" in outcome.content


async def test_a_slow_peer_times_out_and_its_task_is_cancelled(mcp_server):
    async def slow(messages, tools):
        await asyncio.sleep(60)

    async with toolbox_for(mcp_server, FunctionModel(slow), timeout_s=0.5, streaming=False) as (
        toolbox,
        client,
    ):
        begun = time.perf_counter()
        outcome = await toolbox.call("ask_notes", {"request": "take your time"}, TURN)
        took = time.perf_counter() - begun
        task_id = outcome.content.split("its task ")[1].split(" ")[0]
        task = await client.get_task(task_id)
    assert took < 3
    assert outcome.is_error and "did not finish within 0.5 s" in outcome.content
    assert task.status.state == TaskState.TASK_STATE_CANCELED  # nothing is left running at the peer


async def test_a_task_the_peer_fails_is_an_error_result(mcp_server):
    failure = ModelAPIError("The model endpoint at http://llm.test/v1 refused the API key (401): bad key")
    async with toolbox_for(mcp_server, ScriptedModel([failure])) as (toolbox, _):
        outcome = await toolbox.call("ask_notes", {"request": "hello"}, TURN)
    assert outcome.is_error and outcome.extra["peer_failed"]
    assert "refused the API key" in outcome.content


async def test_a_peer_that_wants_a_token(mcp_server):
    async with toolbox_for(mcp_server, ScriptedModel(), token="s3cret") as (toolbox, _):
        outcome = await toolbox.call("ask_notes", {"request": "hello"}, TURN)
    assert outcome.is_error and "401 Unauthorized (missing or wrong bearer token)" in outcome.content
    async with toolbox_for(mcp_server, ScriptedModel(["hi"]), token="s3cret", client_token="s3cret") as (
        toolbox,
        _,
    ):
        outcome = await toolbox.call("ask_notes", {"request": "hello"}, TURN)
    assert outcome.structured["answer"] == "hi"


# ------------------------------------------------------------------------------------------------- following


async def test_without_a_stream_the_task_is_followed_by_polling(mcp_server):
    trace = TraceWriter()

    async def answer(messages, tools):
        await asyncio.sleep(0.3)
        return "done"

    async with toolbox_for(
        mcp_server, FunctionModel(answer), streaming=False, trace=trace, poll_interval_s=0.05
    ) as (
        toolbox,
        _,
    ):
        outcome = await toolbox.call("ask_notes", {"request": "hello"}, TurnContext.of("polling"))
    trace.close()
    assert outcome.structured["answer"] == "done"
    methods = [event.method for event in read_trace("polling") if event.direction == "out"]
    assert methods[:2] == ["SendMessage", "GetTask"] and methods.count("GetTask") >= 2


async def test_cancelling_the_caller_cancels_the_peer_task(mcp_server):
    started = asyncio.Event()

    async def stuck(messages, tools):
        started.set()
        await asyncio.Event().wait()

    async with toolbox_for(mcp_server, FunctionModel(stuck), streaming=False, poll_interval_s=0.05) as (
        toolbox,
        client,
    ):
        caller = asyncio.create_task(toolbox.call("ask_notes", {"request": "hello"}, TURN))
        await asyncio.wait_for(started.wait(), 5)
        await asyncio.sleep(0.1)  # let the first poll learn the task id
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        listing = await client.list_tasks()
    assert [task.status.state for task in listing.tasks] == [TaskState.TASK_STATE_CANCELED]


async def test_a_peer_lost_after_taking_the_task_is_not_sent_it_twice(mcp_server):
    async def slow(messages, tools):
        await asyncio.sleep(0.5)
        return "late"

    options = {"url": "http://specialist/", "mcp": mcp_server, "model_override": FunctionModel(slow)}
    async with open_specialist(**options) as a2a:
        transport = FlakyTransport(httpx.ASGITransport(a2a.app))
        transport.up = True
        async with PeerClient("http://specialist", transport=transport, streaming=False) as client:
            toolbox = PeerToolbox([client])
            await toolbox.start()

            async def vanish():
                await asyncio.sleep(0.1)  # after SendMessage returned the task, while polling
                transport.up = False

            outcome, _ = await asyncio.gather(toolbox.call("ask_notes", {"request": "hello"}, TURN), vanish())
            transport.up = True
            listing = await client.list_tasks()
    assert outcome.is_error and "stopped answering about its task" in outcome.content
    assert len(listing.tasks) == 1  # no second task was created by a retry
