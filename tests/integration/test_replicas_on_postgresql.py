"""Replicas behind a load balancer on one real PostgreSQL database (issue 14, "Scale out on PostgreSQL"):
two specialists and two coordinators share tasks, conversations and memory; any replica answers for any
task; a replica killed with -9 under load loses no acknowledged task, and a survivor fails what it left in
flight."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import httpx
import pytest
from a2a.types import TaskState

from agents.a2a.client import PeerClient
from servers.a2a.app import free_port
from servers.a2a.coordinator import run_coordinator
from servers.a2a.specialist import run_specialist
from tests.integration.replicas import HOLD, replica_process, round_robin, wait_until_serving
from tests.servers.a2a.support import running

ENTROPY_REQUEST = "Entropy of [0.5, 0.25, 0.25] in bits"
CURVES = (
    "train loss [2.1, 1.5, 1.1, 0.8, 0.6, 0.45, 0.35, 0.3] and "
    "val loss [2.2, 1.7, 1.4, 1.3, 1.35, 1.45, 1.6, 1.8]"
)
HEADERS = {"A2A-Version": "1.0"}


@pytest.fixture(scope="module")
def mcp_server():
    from servers.mcp.server import build_server

    return build_server()


async def test_two_specialists_and_two_coordinators_share_one_database(mcp_server, postgres_url):
    ports = [free_port(), free_port()]
    first, second = (f"http://127.0.0.1:{port}" for port in ports)
    async with round_robin() as balancer:
        # the cards advertise the balancer, as `--url` makes them do behind a real one
        shared = {"task_store": postgres_url, "advertised_url": balancer.url, "mcp": mcp_server}
        async with (
            running(run_specialist, port=ports[0], **shared),
            running(run_specialist, port=ports[1], **shared),
        ):
            balancer.upstreams += [first, second]
            await _two_coordinators(balancer, first, second, postgres_url)


async def _two_coordinators(balancer, first: str, second: str, postgres_url: str) -> None:
    shared = {"task_store": postgres_url}
    async with (
        running(run_coordinator, peers=[balancer.url], memory_store=postgres_url, **shared) as one,
        running(run_coordinator, peers=[balancer.url], memory_store=postgres_url, **shared) as other,
        PeerClient(one) as via_one,
        PeerClient(other) as via_other,
        PeerClient(first) as on_first,
        PeerClient(second) as on_second,
    ):
        done = await on_first.send(ENTROPY_REQUEST, context_id="direct")
        fetched = await on_second.get_task(done.task_id)  # any replica answers for any task
        listed = (await on_second.list_tasks(context_id="direct")).tasks

        asked = await via_one.send("Diagnose my training run from its loss curves.", context_id="lb")
        answered = await via_other.send(CURVES, context_id="lb", task_id=asked.task_id)
        delegated = (await on_first.list_tasks(context_id="lb")).tasks
        seen_by_other = (await via_other.list_tasks(context_id="lb")).tasks

    assert done.state == "completed" and fetched.status.state == TaskState.TASK_STATE_COMPLETED
    assert [task.id for task in listed] == [done.task_id]
    # the question was asked through one coordinator, answered through the other
    assert asked.state == "input-required" and "train_loss" in asked.text
    assert answered.state == "completed" and answered.task_id == asked.task_id
    assert "overfitting" in answered.text  # val loss bottoms at epoch 4 and rises while train loss falls
    assert [task.id for task in seen_by_other] == [asked.task_id]
    # and the specialist's waiting task resumed on the other specialist replica
    (peer_task,) = delegated
    assert peer_task.status.state == TaskState.TASK_STATE_COMPLETED
    sends = [
        (method, task_id, upstream) for method, task_id, upstream in balancer.routes if "Message" in method
    ]
    created = next(upstream for _, task_id, upstream in sends if not task_id)
    resumed = next(upstream for _, task_id, upstream in sends if task_id == peer_task.id)
    assert created != resumed


async def _send(http: httpx.AsyncClient, url: str, text: str, *, at_once: bool = False) -> dict:
    message = {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"text": text}]}
    params = {"message": message, **({"configuration": {"returnImmediately": True}} if at_once else {})}
    body = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": params}
    return (await http.post(f"{url}/", json=body, headers=HEADERS)).json()["result"]["task"]


async def _all_tasks(http: httpx.AsyncClient, url: str) -> list[dict]:
    tasks, token = [], ""
    for _ in range(100):  # bounded: 100 pages of 100
        params = {"pageSize": 100, **({"pageToken": token} if token else {})}
        body = {"jsonrpc": "2.0", "id": 1, "method": "ListTasks", "params": params}
        page = (await http.post(f"{url}/", json=body, headers=HEADERS)).json()["result"]
        tasks += page["tasks"]
        token = page.get("nextPageToken", "")
        if not token:
            break
    return tasks


async def test_a_replica_killed_under_load_loses_no_acknowledged_task(postgres_url, tmp_path):
    timeout_s = 3.0
    ports = [free_port(), free_port()]
    victim, survivor = (f"http://127.0.0.1:{port}" for port in ports)
    with (
        replica_process(ports[0], postgres_url, tmp_path, delay=0.3, timeout=timeout_s) as doomed,
        replica_process(ports[1], postgres_url, tmp_path, delay=0.3, timeout=timeout_s) as alive,
    ):
        await asyncio.gather(wait_until_serving(victim, doomed), wait_until_serving(survivor, alive))
        acknowledged: dict[str, str] = {}
        dead: set[str] = set()
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as http:

            async def client(number: int) -> None:
                for turn in range(12):  # bounded
                    url = (victim, survivor)[(number + turn) % 2]
                    url = survivor if url in dead else url
                    with contextlib.suppress(httpx.TransportError):
                        task = await _send(http, url, f"client {number} request {turn}")
                        acknowledged[task["id"]] = task["status"]["state"]

            load = asyncio.gather(*(client(number) for number in range(16)))
            await asyncio.sleep(1.5)  # the load is running on both replicas
            in_flight = [
                await _send(http, victim, f"{HOLD} left running {n}", at_once=True) for n in range(3)
            ]
            acknowledged |= {task["id"]: task["status"]["state"] for task in in_flight}
            dead.add(victim)
            doomed.kill()  # SIGKILL: no shutdown, no heartbeat, tasks left in flight
            doomed.wait(10)
            await load

            async with asyncio.timeout(8 * timeout_s):  # the survivor notices within timeout + one beat
                while True:
                    stored = await _all_tasks(http, survivor)
                    states = {task["id"]: task["status"]["state"] for task in stored}
                    if all(
                        state not in ("TASK_STATE_WORKING", "TASK_STATE_SUBMITTED")
                        for state in states.values()
                    ):
                        break
                    await asyncio.sleep(0.5)

    assert len(stored) == len(states)  # no task listed twice
    lost = [task_id for task_id in acknowledged if task_id not in states]
    assert lost == [], f"{len(lost)} acknowledged task(s) missing"
    for task_id, state in acknowledged.items():
        if state == "TASK_STATE_COMPLETED":
            assert states[task_id] == "TASK_STATE_COMPLETED"  # nothing acknowledged as done is undone
    assert sum(state == "TASK_STATE_COMPLETED" for state in acknowledged.values()) >= 16
    by_id = {task["id"]: task for task in stored}
    for task in in_flight:
        status = by_id[task["id"]]["status"]
        assert status["state"] == "TASK_STATE_FAILED"
        assert status["message"]["parts"][0]["text"].startswith(
            "interrupted: the server running it stopped answering (no heartbeat for 3 s)."
        )
