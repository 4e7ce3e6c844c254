"""Benchmark: A2A SendMessage through the protoplay specialist against a bare a2a-sdk echo agent.

Both servers run as separate processes under the same settings (one uvicorn worker on 127.0.0.1, no token),
measured twice: with the in-memory task store (32 clients × 500 requests by default: the throughput figure and
the 0-lost/0-duplicated check at full load) and with the SDK's DatabaseTaskStore on SQLite in WAL mode, the
servers' default (32 × 50 by default, since that store itself serves only ~60-80 req/s here; raise it with
--sqlite-requests). The specialist runs its whole stack — executor, agent loop, in-process MCP connection,
trace — with a trivial model that answers at once, so the figure is the A2A adapter's cost, not a model's. The
echo agent is the minimal task-producing executor: it creates the task, adds one text artifact, completes.

Each server gets CLIENTS concurrent JSON-RPC clients (plain httpx, one shared pool) sending REQUESTS messages
each, after a warm-up; the two servers take turns so background load hits both alike. Printed: throughput
(req/s), p50/p99 latency, the ratio specialist/echo (goal ≥ 0.85), and for each server that every sent message
produced exactly one distinct task and that ``ListTasks`` counts exactly that many (0 lost, 0 duplicated).
Exit 1 if a goal is missed.

Run: .venv/bin/python benchmarks/a2a.py [--clients 32] [--requests 500] [--sqlite-requests 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

# This file is named like the SDK's package: keep its folder off the import path, and find the checkout.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

GOAL_RATIO = 0.85
WARM_UP = 100
ROUND = 25
"""Requests per client per round (the servers take turns)."""
HEADERS = {"A2A-Version": "1.0"}


# ------------------------------------------------------------------------------------------------- servers


class TrivialModel:
    """Answers every request at once with a fixed text and no tool call (no copies, no I/O)."""

    name = "trivial"

    async def stream(self, messages, tools, *, context=None):  # type: ignore[no-untyped-def]
        from agents.messages import ModelResponse

        yield ModelResponse(text="ok", finish_reason="stop")


def echo_executor():  # type: ignore[no-untyped-def]
    from a2a.server.agent_execution import AgentExecutor
    from a2a.server.tasks import TaskUpdater
    from a2a.types import Part, Task, TaskState, TaskStatus

    class Echo(AgentExecutor):
        async def execute(self, context, event_queue):  # type: ignore[no-untyped-def]
            status = TaskStatus(state=TaskState.TASK_STATE_WORKING)
            task = Task(
                id=context.task_id, context_id=context.context_id, status=status, history=[context.message]
            )
            await event_queue.enqueue_event(task)
            updater = TaskUpdater(event_queue, context.task_id, context.context_id)
            await updater.add_artifact([Part(text=context.get_user_input())], name="echo")
            await updater.complete()

        async def cancel(self, context, event_queue):  # type: ignore[no-untyped-def]
            await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()

    return Echo()


async def serve(kind: str, port: int, store_url: str) -> None:
    from servers.a2a.app import build_app, listen, public_url
    from servers.a2a.app import serve as serve_app
    from servers.a2a.card import agent_card
    from servers.a2a.store import open_task_store

    sock = listen("127.0.0.1", port)
    url = public_url("127.0.0.1", port)
    if kind == "specialist":
        from servers.a2a.specialist import open_specialist

        async with open_specialist(url=url, task_store=store_url, model_override=TrivialModel()) as a2a:
            await serve_app(a2a.app, sock)
        return
    from a2a.types import AgentSkill

    skill = AgentSkill(id="echo", name="Echo", description="Returns the message.", tags=["echo"])
    card = agent_card(
        name="echo", description="Echoes the message.", url=url, skills=[skill], token_required=False
    )
    async with open_task_store(store_url, table="echo_tasks") as store:
        a2a = build_app(card=card, executor=echo_executor(), store=store)
        try:
            await serve_app(a2a.app, sock)
        finally:
            await a2a.aclose()


@contextlib.contextmanager
def server_process(kind: str, home: Path, store_kind: str):  # type: ignore[no-untyped-def]
    from servers.a2a.app import free_port

    port = free_port()
    store = "memory" if store_kind == "memory" else f"sqlite+aiosqlite:///{home / f'{kind}.db'}"
    env = {**os.environ, "PROTOPLAY_HOME": str(home)}
    env = {k: v for k, v in env.items() if not k.startswith("OPENAI_")}
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--port", str(port), "--store", store], env=env
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(20)


# ------------------------------------------------------------------------------------------------- clients


def message(text: str) -> dict:
    return {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"text": text}]}


async def wait_ready(http, url: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(600):
        with contextlib.suppress(Exception):
            if (await http.get(f"{url}/.well-known/agent-card.json")).status_code == 200:
                return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not start")


async def send(http, url: str, text: str) -> tuple[float, str, str]:  # type: ignore[no-untyped-def]
    body = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": message(text)}}
    started = time.perf_counter()
    reply = (await http.post(f"{url}/", json=body, headers=HEADERS)).json()
    took = time.perf_counter() - started
    task = reply["result"]["task"]
    return took, task["id"], task["status"]["state"]


async def load(http, url: str, clients: int, requests: int, run: dict) -> None:  # type: ignore[no-untyped-def]
    """``clients`` concurrent clients each sending ``requests`` messages; adds to ``run``'s totals."""

    async def client(number: int) -> None:
        for i in range(requests):
            took, task_id, state = await send(http, url, f"client {number} request {i}")
            run["latencies"].append(took)
            run["ids"].append(task_id)
            run["states"][state] = run["states"].get(state, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    run["elapsed"] += time.perf_counter() - started
    run["sent"] += clients * requests


def summary(run: dict) -> None:
    latencies = sorted(run["latencies"])
    run["rps"] = run["sent"] / run["elapsed"]
    run["p50_ms"] = statistics.median(latencies) * 1e3
    run["p99_ms"] = latencies[int(0.99 * (len(latencies) - 1))] * 1e3


async def stored_ids(http, url: str) -> tuple[int, set[str], int]:  # type: ignore[no-untyped-def]
    """(totalSize, every task id listed, how many listed) by paging through ListTasks."""
    seen: set[str] = set()
    listed = 0
    token = ""
    total = -1
    while True:
        params = {"pageSize": 100, **({"pageToken": token} if token else {})}
        body = {"jsonrpc": "2.0", "id": 1, "method": "ListTasks", "params": params}
        page = (await http.post(f"{url}/", json=body, headers=HEADERS)).json()["result"]
        total = page["totalSize"] if total < 0 else total
        listed += len(page["tasks"])
        seen.update(task["id"] for task in page["tasks"])
        token = page.get("nextPageToken", "")
        if not token:
            return total, seen, listed


@contextlib.asynccontextmanager
async def http_client() -> AsyncIterator:  # type: ignore[type-arg]
    import httpx

    # Idle connections are dropped client-side before uvicorn's 5 s keep-alive timeout closes them, so a
    # request never races the server's close of a connection it is about to reuse (a ReadError, not a loss).
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=128, keepalive_expiry=2.0)
    async with httpx.AsyncClient(timeout=httpx.Timeout(120), limits=limits) as http:
        yield http


async def compare(store: str, clients: int, requests: int) -> list[str]:
    """Both servers on ``store`` (``memory`` or ``sqlite``) under one load; prints a table, returns misses."""
    with tempfile.TemporaryDirectory(prefix="protoplay-bench-a2a-") as tmp:
        home = Path(tmp)
        with (
            server_process("echo", home, store) as echo,
            server_process("specialist", home, store) as specialist,
        ):
            async with http_client() as http:
                for url in (echo, specialist):
                    await wait_ready(http, url)
                    await asyncio.gather(*(send(http, url, "warm-up") for _ in range(WARM_UP)))
                servers = {"bare a2a-sdk echo": echo, "protoplay specialist": specialist}
                results = {
                    name: {"sent": 0, "elapsed": 0.0, "latencies": [], "ids": [], "states": {}}
                    for name in servers
                }
                # Alternate the servers in rounds, so a busy machine slows both alike.
                rounds = [ROUND] * (requests // ROUND) + ([requests % ROUND] if requests % ROUND else [])
                for size in rounds:
                    for name, url in servers.items():
                        await load(http, url, clients, size, results[name])
                for name, url in servers.items():
                    run = results[name]
                    summary(run)
                    total, seen, listed = await stored_ids(http, url)
                    sent_ids = set(run["ids"])
                    run["duplicated"] = len(run["ids"]) - len(sent_ids)
                    run["lost"] = len(sent_ids - seen)
                    run["stored"] = total - WARM_UP
                    run["listed_twice"] = listed - len(seen)
    label = "in-memory task store" if store == "memory" else "SQLite task store (the default, WAL)"
    print(
        f"\n{label}: {clients} concurrent clients × {requests} requests per server, after {WARM_UP} warm-up"
    )
    print(
        f"  {'server':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}   sent / distinct / ListTasks, lost, dup"
    )
    for name, run in results.items():
        distinct = run["sent"] - run["duplicated"]
        print(
            f"  {name:<22} {run['rps']:8.1f} {run['p50_ms']:8.2f} {run['p99_ms']:8.2f}   "
            f"{run['sent']} / {distinct} / {run['stored']}, {run['lost']}, {run['duplicated']}"
        )
    ratio = results["protoplay specialist"]["rps"] / results["bare a2a-sdk echo"]["rps"]
    print(f"  throughput ratio specialist / echo: {ratio:.2f}  (goal ≥ {GOAL_RATIO})")
    misses = [f"{label}: throughput ratio {ratio:.2f} < {GOAL_RATIO}"] if ratio < GOAL_RATIO else []
    for name, run in results.items():
        if run["lost"] or run["duplicated"] or run["stored"] != run["sent"] or run["listed_twice"]:
            misses.append(
                f"{label}, {name}: lost {run['lost']}, duplicated {run['duplicated']}, stored {run['stored']}"
            )
        if run["states"] != {"TASK_STATE_COMPLETED": run["sent"]}:
            misses.append(f"{label}, {name}: final states {run['states']}")
    return misses


async def bench(clients: int, requests: int, sqlite_requests: int) -> int:
    print("A2A SendMessage (JSON-RPC, one uvicorn worker per server, plain httpx clients on loopback)")
    misses = await compare("memory", clients, requests)
    misses += await compare("sqlite", clients, sqlite_requests)
    for miss in misses:
        print(f"MISSED: {miss}")
    return 1 if misses else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=500, help="per client, in-memory store")
    parser.add_argument("--sqlite-requests", type=int, default=50, help="per client, SQLite store")
    parser.add_argument("--serve", choices=["echo", "specialist"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        import logging

        logging.basicConfig(level=logging.ERROR)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(args.serve, args.port, args.store))
        return 0
    return asyncio.run(bench(args.clients, args.requests, args.sqlite_requests))


if __name__ == "__main__":
    sys.exit(main())
