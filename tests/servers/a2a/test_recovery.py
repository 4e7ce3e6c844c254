"""Tasks a dead server left in flight are failed with the reason (issue 14, item 5; the kill -9 restart
itself runs as a user would in ``tests/servers/cli/test_a2a.py``, and a replica killed under load in
``tests/integration/test_replicas_on_postgresql.py``)."""

from __future__ import annotations

import asyncio
import time

import pytest
from a2a.server.cluster import TaskVersion, VersionedTaskStore
from a2a.types import Task, TaskState, TaskStatus

from agents.models.testing import FunctionModel
from servers.a2a.recovery import Recovery, owner_context
from servers.a2a.replicas import RUNNER_KEY, Replica
from servers.a2a.specialist import open_specialist
from servers.a2a.store import open_task_store
from tests.servers.a2a.support import JsonRpc, asgi_client, user_message


@pytest.fixture(params=["sqlite", "postgresql"])
async def storage(request, tmp_path):
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'tasks.db'}"
    async with open_task_store(url, table="specialist_tasks") as opened:
        yield opened


async def _put(storage, task_id: str, state: TaskState, runner: str, owner: str = "") -> None:
    status = TaskStatus(state=state)
    status.timestamp.GetCurrentTime()
    task = Task(id=task_id, context_id=f"ctx-{task_id}", status=status)
    task.metadata.update({RUNNER_KEY: runner})
    if isinstance(storage.store, VersionedTaskStore):
        await storage.store.save(task, prev_version=TaskVersion.MISSING, context=owner_context(owner))
    else:
        await storage.store.save(task, owner_context(owner))


async def _state(storage, task_id: str, owner: str = "") -> tuple[str, str]:
    found = await storage.store.get(task_id, owner_context(owner))
    task = found if isinstance(found, Task) else found.task
    text = "".join(part.text for part in task.status.message.parts)
    return TaskState.Name(task.status.state), text


async def test_a_survivor_fails_the_tasks_of_a_replica_whose_heartbeat_stopped(storage):
    registry = storage.replicas
    dead, alive = Replica(address="host-a:9101"), Replica(address="host-b:9101")
    await registry.beat(dead, time.time() - 60)
    await registry.beat(alive, time.time())
    await _put(storage, "running-on-dead", TaskState.TASK_STATE_WORKING, dead.id, owner="alice")
    await _put(storage, "waiting-on-dead", TaskState.TASK_STATE_INPUT_REQUIRED, dead.id)
    await _put(storage, "running-on-alive", TaskState.TASK_STATE_WORKING, alive.id)

    survivor = Recovery(storage, Replica(address="host-c:9101"), timeout_s=30)
    assert await survivor.sweep() == 1
    state, reason = await _state(storage, "running-on-dead", owner="alice")
    assert state == "TASK_STATE_FAILED"
    assert reason.startswith("interrupted: the server running it stopped answering (no heartbeat for 30 s).")
    assert (await _state(storage, "waiting-on-dead"))[0] == "TASK_STATE_INPUT_REQUIRED"  # waits, resumable
    assert (await _state(storage, "running-on-alive"))[0] == "TASK_STATE_WORKING"
    assert {row.id for row in await registry.replicas()} == {alive.id}  # the dead one is dealt with
    assert await survivor.sweep() == 0


async def test_a_server_starting_on_a_dead_servers_address_fails_its_tasks_at_once(storage):
    before = Replica(address="host-a:9101")
    await storage.replicas.beat(before, time.time())  # its heartbeat is fresh: it died a moment ago
    await _put(storage, "interrupted", TaskState.TASK_STATE_WORKING, before.id)
    async with Recovery(storage, Replica(address="host-a:9101")):
        state, reason = await _state(storage, "interrupted")
    assert state == "TASK_STATE_FAILED" and reason.startswith("interrupted: server restarted.")


async def test_a_server_stopping_fails_the_tasks_it_was_running(mcp_server, tmp_path):
    store = f"sqlite:///{tmp_path / 'tasks.db'}"
    started = asyncio.Event()

    async def never_answers(messages, tools):
        started.set()
        await asyncio.Event().wait()

    async with (
        open_specialist(
            url="http://specialist/",
            mcp=mcp_server,
            model_override=FunctionModel(never_answers),
            task_store=store,
        ) as a2a,
        asgi_client(a2a.app) as client,
    ):
        params = {"message": user_message("slow question"), "configuration": {"returnImmediately": True}}
        task = (await JsonRpc(client).call("SendMessage", params))["task"]
        async with asyncio.timeout(10):
            await started.wait()
    async with open_task_store(store, table="specialist_tasks") as storage:
        state, reason = await _state(storage, task["id"])
    assert state == "TASK_STATE_FAILED" and reason.startswith("interrupted: server stopped.")
