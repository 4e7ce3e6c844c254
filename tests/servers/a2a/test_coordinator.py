"""Coordinator ↔ specialist end to end, both real A2A servers on loopback (uvicorn on free ports)."""

from __future__ import annotations

import asyncio
import time

import httpx
from a2a.types import TaskState

from agents.a2a.client import PeerClient
from agents.models.testing import FunctionModel, ScriptedModel, call
from agents.trace import read_trace
from servers.a2a.app import free_port
from servers.a2a.coordinator import run_coordinator
from servers.a2a.specialist import run_specialist
from tests.servers.a2a.support import JsonRpc, running, user_message

ENTROPY_REQUEST = "Entropy of [0.5, 0.25, 0.25] in bits"
# Hand derivation: H = ½·log2 2 + 2·¼·log2 4 = 0.5 + 1 = 1.5 bits.
ENTROPY_BITS = "1.5"


async def test_a_goal_goes_user_to_coordinator_to_specialist_and_back(mcp_server):
    async with (
        running(run_specialist, mcp=mcp_server) as specialist,
        running(run_coordinator, peers=[specialist]) as coordinator,
        PeerClient(coordinator, user_agent="protoplay-test-user") as user,
    ):
        updates = []

        async def keep(update):
            updates.append(update)

        result = await user.send(ENTROPY_REQUEST, context_id="e2e-1", on_update=keep)
        async with PeerClient(specialist) as direct:
            delegated = (await direct.list_tasks(context_id="e2e-1")).tasks
    assert result.state == "completed"
    assert f"**entropy**: {ENTROPY_BITS}" in result.text
    names = [artifact.name for artifact in result.artifacts]
    assert names == ["answer", "protoplay-ml-specialist/tool-results"]  # the specialist's results forwarded
    relayed = [u for u in updates if u.metadata.get("source") == "protoplay-ml-specialist"]
    assert any(u.text.startswith("protoplay-ml-specialist: running entropy(") for u in relayed)
    assert [task.status.state for task in delegated] == [TaskState.TASK_STATE_COMPLETED]
    events = list(read_trace("a2a-e2e-1"))  # one timeline for the whole conversation, both agents
    assert {event.protocol for event in events} == {"a2a", "llm", "mcp"}
    a2a_peers = {event.peer for event in events if event.protocol == "a2a"}
    assert {"protoplay-coordinator", "protoplay-ml-specialist"} <= a2a_peers


async def test_an_input_required_round_trip_through_both_agents(mcp_server):
    async with (
        running(run_specialist, mcp=mcp_server) as specialist,
        running(run_coordinator, peers=[specialist]) as coordinator,
        PeerClient(coordinator) as user,
        PeerClient(specialist) as direct,
    ):
        asked = await user.send("Diagnose my training run from its loss curves.", context_id="e2e-2")
        waiting = (await direct.list_tasks(context_id="e2e-2")).tasks
        curves = (
            "train loss [2.1, 1.5, 1.1, 0.8, 0.6, 0.45, 0.35, 0.3] and "
            "val loss [2.2, 1.7, 1.4, 1.3, 1.35, 1.45, 1.6, 1.8]"
        )
        answered = await user.send(curves, context_id="e2e-2", task_id=asked.task_id)
        after = (await direct.list_tasks(context_id="e2e-2")).tasks
    assert asked.state == "input-required"
    assert "train_loss" in asked.text  # the specialist's question, relayed
    assert [task.status.state for task in waiting] == [TaskState.TASK_STATE_INPUT_REQUIRED]
    assert answered.state == "completed" and answered.task_id == asked.task_id
    assert "overfitting" in answered.text  # val loss bottoms at epoch 4 and rises while train loss falls
    assert [task.id for task in after] == [waiting[0].id]  # the answer resumed the waiting task
    assert after[0].status.state == TaskState.TASK_STATE_COMPLETED


async def test_cancelling_the_coordinator_task_cancels_the_specialist_task(mcp_server):
    started = asyncio.Event()

    async def stuck(messages, tools):
        started.set()
        await asyncio.Event().wait()

    async with (
        running(run_specialist, mcp=mcp_server, model_override=FunctionModel(stuck)) as specialist,
        running(run_coordinator, peers=[specialist]) as coordinator,
        PeerClient(coordinator) as user,
        PeerClient(specialist) as direct,
    ):
        ids: list[str] = []

        async def cancel_once_delegated(update):
            if update.metadata.get("source") and not ids:
                ids.append(update.task_id)
                await started.wait()
                await user.cancel(update.task_id)

        begun = time.perf_counter()
        result = await user.send(ENTROPY_REQUEST, context_id="e2e-3", on_update=cancel_once_delegated)
        took = time.perf_counter() - begun
        for _ in range(50):
            delegated = (await direct.list_tasks(context_id="e2e-3")).tasks
            if delegated and delegated[0].status.state != TaskState.TASK_STATE_WORKING:
                break
            await asyncio.sleep(0.05)
    assert result.state == "canceled"
    assert [task.status.state for task in delegated] == [TaskState.TASK_STATE_CANCELED]
    assert took < 10


async def test_no_reachable_peer_fails_at_once_with_a_clear_message():
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with running(run_coordinator, peers=[nowhere]) as coordinator, PeerClient(coordinator) as user:
        begun = time.perf_counter()
        result = await user.send(ENTROPY_REQUEST)
        took = time.perf_counter() - begun
    assert result.state == "failed"
    assert "No specialist agent is reachable" in result.text and nowhere in result.text
    assert took < 5


async def test_a_slow_specialist_is_given_up_on_with_a_clear_message(mcp_server):
    async def slow(messages, tools):
        await asyncio.sleep(60)

    async with (
        running(run_specialist, mcp=mcp_server, model_override=FunctionModel(slow)) as specialist,
        running(run_coordinator, peers=[specialist], peer_timeout_s=1.0) as coordinator,
        PeerClient(coordinator) as user,
        PeerClient(specialist) as direct,
    ):
        begun = time.perf_counter()
        result = await user.send(ENTROPY_REQUEST, context_id="e2e-5")
        took = time.perf_counter() - begun
        delegated = (await direct.list_tasks(context_id="e2e-5")).tasks
    assert result.state == "failed"
    assert "did not finish within 1 s" in result.text and "was cancelled" in result.text
    assert [task.status.state for task in delegated] == [TaskState.TASK_STATE_CANCELED]
    assert took < 6


async def test_tokens_on_both_hops(mcp_server):
    async with (
        running(run_specialist, mcp=mcp_server, token="spec-token") as specialist,
        running(
            run_coordinator, peers=[specialist], token="coord-token", peer_token="spec-token"
        ) as coordinator,
        httpx.AsyncClient(base_url=coordinator) as http,
    ):
        card = await http.get("/.well-known/agent-card.json")
        refused = await JsonRpc(http).raw("SendMessage", {"message": user_message(ENTROPY_REQUEST)})
        task = await JsonRpc(http, token="coord-token").send(ENTROPY_REQUEST)
    assert card.status_code == 200 and "bearer" in card.json()["securitySchemes"]
    assert refused.status_code == 401
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"  # the coordinator sent the specialist's token


async def test_the_coordinator_card_offers_the_skills_it_can_delegate(mcp_server):
    async with (
        running(run_specialist, mcp=mcp_server) as specialist,
        running(run_coordinator, peers=[specialist]) as coordinator,
        httpx.AsyncClient(base_url=coordinator) as http,
    ):
        card = (await http.get("/.well-known/agent-card.json")).json()
    ids = [skill["id"] for skill in card["skills"]]
    assert ids[0] == "coordinate"
    assert "protoplay-ml-specialist/model-complexity" in ids
    assert card["supportedInterfaces"][0]["url"] == coordinator + "/"


async def test_when_the_model_asks_its_user_the_coordinator_task_waits_for_input(mcp_server):
    question = "Which GPU do you have?"
    model = ScriptedModel([call("ask_user", {"question": question}), "Then LoRA fits."])
    async with (
        running(run_specialist, mcp=mcp_server) as specialist,
        running(run_coordinator, peers=[specialist], model_override=model) as coordinator,
        PeerClient(coordinator) as user,
    ):
        asked = await user.send("Can I fine-tune a 7B model?")
        answered = await user.send("A 24 GB one.", task_id=asked.task_id, context_id=asked.context_id)
    assert (asked.state, asked.text) == ("input-required", question)
    assert (answered.state, answered.text, answered.task_id) == (
        "completed",
        "Then LoRA fits.",
        asked.task_id,
    )
    assert model.requests[1].messages[-1] == {"role": "user", "content": "A 24 GB one."}


async def test_a_relayed_question_survives_a_coordinator_restart(mcp_server, tmp_path):
    store = f"sqlite+aiosqlite:///{tmp_path / 'coordinator.db'}"
    curves = (
        "train loss [2.1, 1.5, 1.1, 0.8, 0.6, 0.45, 0.35, 0.3] and "
        "val loss [2.2, 1.7, 1.4, 1.3, 1.35, 1.45, 1.6, 1.8]"
    )
    async with running(run_specialist, mcp=mcp_server) as specialist, PeerClient(specialist) as direct:
        async with (
            running(run_coordinator, peers=[specialist], task_store=store) as coordinator,
            PeerClient(coordinator) as user,
        ):
            asked = await user.send("Diagnose my training run from its loss curves.", context_id="e2e-r")
        async with (
            running(run_coordinator, peers=[specialist], task_store=store) as coordinator,  # a new process
            PeerClient(coordinator) as user,
        ):
            answered = await user.send(curves, context_id="e2e-r", task_id=asked.task_id)
        delegated = (await direct.list_tasks(context_id="e2e-r")).tasks
    assert asked.state == "input-required" and answered.state == "completed"
    assert len(delegated) == 1  # the answer went to the specialist's waiting task, not to a new one
    assert delegated[0].status.state == TaskState.TASK_STATE_COMPLETED
