"""The agent's costs, each beside a baseline measured in the same run.

1. One agent run (model → one tool call → model → answer) with the openai client on a mock transport and an
   in-process MCP server, against a hand-written minimal loop on the same client, transport and MCP session
   (the floor, ``chat.completions.create``). Goal: ≤ 1.4× the floor. Measured bare (no trace, no long-term
   memory) and as ``protoplay chat`` runs (trace file + a recall from a small memory store every turn),
   streaming and not. The agent posts its wire-format request through ``client.post`` (create() re-walks
   every tool schema); a hand loop doing the same is shown too, so the agent's own overhead is visible.
2. Long-term recall, top 5 of 100,000 memories, against raw SQLite FTS5 BM25 queries on the same data.
   Goal: p95 ≤ 2× raw. Queries mix rare and very common words, the case that makes OR-queries slow.
3. Durable memory writes per second (each acknowledged after an fsync'd WAL commit) against raw single-row WAL
   commits. Goal: ≥ 0.8× raw.

Run: ``.venv/bin/python benchmarks/agent.py`` (``--quick`` for a smaller run, ``--part 3`` for one part).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402
from mcp import Client  # noqa: E402
from mcp.server.mcpserver import MCPServer  # noqa: E402
from openai import AsyncOpenAI, AsyncStream  # noqa: E402
from openai.types.chat import ChatCompletion, ChatCompletionChunk  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from agents.loop import Agent  # noqa: E402
from agents.mcp.client import MCPToolbox, mcp_tool_to_spec  # noqa: E402
from agents.memory.long_term import LongTermMemory, search_terms  # noqa: E402
from agents.memory.sessions import Session  # noqa: E402
from agents.memory.store import SQLiteStore  # noqa: E402
from agents.models.openai import OpenAIModel  # noqa: E402
from agents.runtime import traced  # noqa: E402
from agents.trace import TraceWriter  # noqa: E402

# ------------------------------------------------------------------------------------------ 1. one agent run


class Sum(BaseModel):
    total: float


def build_server() -> MCPServer:
    server = MCPServer("bench", log_level="WARNING")

    @server.tool()
    def add(a: float, b: float) -> Sum:
        """Add two numbers."""
        return Sum(total=a + b)

    return server


def _completion(message: dict[str, Any]) -> bytes:
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    body = {
        "id": "c",
        "object": "chat.completion",
        "created": 0,
        "model": "bench",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
    }
    return json.dumps(body).encode()


def _stream(message: dict[str, Any]) -> bytes:
    base = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "bench"}
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    if message.get("content"):
        deltas += [{"content": word + " "} for word in message["content"].split()]
    for index, call in enumerate(message.get("tool_calls") or ()):
        deltas.append({"tool_calls": [{"index": index, **call}]})
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    events = [{**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    return ("".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n").encode()


TOOL_CALL = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}}
    ],
}
ANSWER = {"role": "assistant", "content": "The sum of 1 and 2 is 3."}


class MockTransport(httpx2.AsyncBaseTransport):
    """A model that calls ``add`` when the last message is the user's, and answers after the tool result."""

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(await request.aread())
        message = TOOL_CALL if body["messages"][-1]["role"] == "user" else ANSWER
        if body.get("stream"):
            return httpx2.Response(
                200, content=_stream(message), headers={"content-type": "text/event-stream"}
            )
        return httpx2.Response(
            200, content=_completion(message), headers={"content-type": "application/json"}
        )


def make_client() -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key="bench",
        base_url="http://bench.invalid/v1",
        http_client=httpx2.AsyncClient(transport=MockTransport()),
        max_retries=0,
    )


async def _create(client: AsyncOpenAI, raw: bool, **body: Any) -> Any:
    if not raw:
        return await client.chat.completions.create(**body)
    stream = bool(body.get("stream"))
    return await client.post(
        "/chat/completions",
        body=body,
        cast_to=ChatCompletion,
        stream=stream,
        stream_cls=AsyncStream[ChatCompletionChunk],
        options={"security": {"bearer_auth": True}},
    )


async def floor_run(
    client: AsyncOpenAI, mcp: Client, tools: list[dict], stream: bool, raw: bool = False
) -> str:
    """The minimal hand-written loop: ask, run the one tool call, send its result back, read the answer.
    ``raw`` posts the wire-format body through ``client.post`` as the agent does, skipping create()'s
    transform."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "What is 1 + 2?"}]
    while True:
        if stream:
            text, calls = [], {}
            async for chunk in await _create(
                client, raw, model="bench", messages=messages, tools=tools, stream=True
            ):
                delta = chunk.choices[0].delta if chunk.choices else None
                if delta is None:
                    continue
                if delta.content:
                    text.append(delta.content)
                for fragment in delta.tool_calls or ():
                    slot = calls.setdefault(fragment.index, {"id": fragment.id, "name": "", "arguments": ""})
                    slot["name"] += fragment.function.name or ""
                    slot["arguments"] += fragment.function.arguments or ""
            tool_calls = [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": c["name"], "arguments": c["arguments"]},
                }
                for c in calls.values()
            ]
            content = "".join(text) or None
        else:
            reply = await _create(client, raw, model="bench", messages=messages, tools=tools)
            message = reply.choices[0].message
            content = message.content
            tool_calls = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.function.name, "arguments": c.function.arguments},
                }
                for c in message.tool_calls or ()
            ]
        if not tool_calls:
            return content or ""
        messages.append({"role": "assistant", "content": content, "tool_calls": tool_calls})
        for call in tool_calls:
            result = await mcp.call_tool(call["function"]["name"], json.loads(call["function"]["arguments"]))
            messages.append(
                {"role": "tool", "tool_call_id": call["id"], "content": json.dumps(result.structured_content)}
            )


async def bench_agent_run(iterations: int, workdir: Path) -> None:
    server = build_server()
    async with Client(server) as mcp:
        tools = [mcp_tool_to_spec(tool) for tool in (await mcp.list_tools()).tools]
        client = make_client()
        trace = TraceWriter(workdir / "traces")
        memory = LongTermMemory(SQLiteStore(workdir / "memory.db"))
        await memory.remember_many(f"fact number {i} about training run {i % 17}" for i in range(200))
        variants = {}
        for stream in (False, True):
            model = OpenAIModel(client, "bench", stream=stream)
            bare = Agent(model, MCPToolbox(mcp), recall_limit=0)
            traced_model, traced_tools = traced(model, MCPToolbox(mcp), trace, peer="protoplay-mcp")
            full = Agent(traced_model, traced_tools, memory=memory)
            mode = "stream" if stream else "non-stream"
            variants[f"floor ({mode})"] = lambda s=stream: floor_run(client, mcp, tools, s)
            variants[f"floor raw ({mode})"] = lambda s=stream: floor_run(client, mcp, tools, s, raw=True)
            variants[f"agent bare ({mode})"] = lambda a=bare: a.run(
                "What is 1 + 2?", session=Session.ephemeral()
            )
            variants[f"agent + trace + memory ({mode})"] = lambda a=full: a.run(
                "What is 1 + 2?", session=Session.ephemeral("bench")
            )
        for run in variants.values():  # warm up: imports, caches, first connections
            for _ in range(20):
                await run()
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(iterations):  # interleaved, so drift hits every variant alike
            for name, run in variants.items():
                started = time.perf_counter()
                await run()
                samples[name].append((time.perf_counter() - started) * 1e3)
        trace.close()
        memory.close()
    print(f"1. One agent run: model → tool call → model → answer (median of {iterations}, ms)")
    for mode in ("non-stream", "stream"):
        floor = statistics.median(samples[f"floor ({mode})"])
        raw = statistics.median(samples[f"floor raw ({mode})"])
        print(f"   {f'floor: hand-written loop, create() ({mode})':<52} {floor:7.3f} ms")
        print(f"   {f'hand-written loop posting raw bodies ({mode})':<52} {raw:7.3f} ms")
        for label in ("agent bare", "agent + trace + memory"):
            value = statistics.median(samples[f"{label} ({mode})"])
            name = f"{label} ({mode})"
            print(
                f"   {name:<52} {value:7.3f} ms   {value / floor:5.2f}× floor (goal ≤ 1.40×), "
                f"{value / raw:5.2f}× the raw-posting loop"
            )


# ------------------------------------------------------------------------------------------ 2. recall


COMMON = "the model training learning rate loss data with for and of to a in on my".split()  # noqa: SIM905


def synthetic_memories(count: int, rng: random.Random) -> tuple[list[str], list[str]]:
    vocabulary = [
        f"{rng.choice('bcdfghklmnprstvz')}{rng.choice('aeiou')}{rng.choice('lmnrst')}{i}"
        for i in range(20000)
    ]
    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf-like
    texts = []
    for _ in range(count):
        words = rng.choices(vocabulary, weights=weights, k=rng.randint(6, 14))
        words += rng.sample(COMMON, k=rng.randint(2, 6))  # very common words in most memories
        rng.shuffle(words)
        texts.append(" ".join(words))
    return texts, vocabulary


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def raw_query(conn: sqlite3.Connection, expression: str) -> list[tuple[int, float]]:
    return conn.execute(
        "SELECT rowid, bm25(memories_fts) FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rank LIMIT 5",
        (expression,),
    ).fetchall()


async def bench_recall(count: int, queries: int, workdir: Path) -> None:
    rng = random.Random(7)
    texts, vocabulary = synthetic_memories(count, rng)
    path = workdir / "recall.db"
    memory = LongTermMemory(SQLiteStore(path))
    started = time.perf_counter()
    await memory.remember_many(texts)
    load_s = time.perf_counter() - started
    raw = sqlite3.connect(path)
    asked = []
    for _ in range(queries):
        rare = rng.sample(vocabulary[200:5000], k=rng.randint(1, 3))
        common = rng.sample(COMMON, k=rng.randint(2, 4))
        words = rare + common
        rng.shuffle(words)
        asked.append(" ".join(words))
    started = time.perf_counter()
    await memory.recall(asked[0])
    first_ms = (time.perf_counter() - started) * 1e3
    ours, raw_all, raw_same = [], [], []
    empty = 0
    for query in asked:
        terms = list(dict.fromkeys(search_terms(query)))
        t0 = time.perf_counter()
        found = await memory.recall(query, limit=5)
        t1 = time.perf_counter()
        raw_query(raw, " OR ".join(f'"{t}"' for t in terms))
        t2 = time.perf_counter()
        chosen, _ = memory._choose_terms(
            raw,
            [t for t in terms if t not in ("the", "for", "and", "of", "to", "a", "in", "on", "my", "with")],
        )
        t3 = time.perf_counter()
        raw_query(raw, " OR ".join(f'"{t}"' for t in chosen))
        t4 = time.perf_counter()
        ours.append((t1 - t0) * 1e3)
        raw_all.append((t2 - t1) * 1e3)
        raw_same.append((t4 - t3) * 1e3)
        empty += not found
    memory.close()
    raw.close()
    print(f"2. Long-term recall, top 5 of {count:,} memories, {queries} queries mixing rare and common words")
    print(
        f"   (bulk load {load_s:.1f} s; first recall, which loads the term statistics: {first_ms:.1f} ms; "
        f"{empty} queries matched nothing)"
    )
    rows = [
        ("protoplay recall (async, BM25)", ours),
        ("raw FTS5 BM25, every query word OR'ed", raw_all),
        ("raw FTS5 BM25, only the words recall keeps", raw_same),
    ]
    for label, values in rows:
        print(
            f"   {label:<45} p50 {statistics.median(values):8.3f} ms   p95 {percentile(values, 0.95):8.3f} ms"
        )
    versus_all = percentile(ours, 0.95) / percentile(raw_all, 0.95)
    versus_kept = percentile(ours, 0.95) / percentile(raw_same, 0.95)
    print(f"   p95 ratio vs raw (same query words):       {versus_all:6.3f}× (goal ≤ 2×)")
    print(
        f"   p95 ratio vs raw (the words recall keeps): {versus_kept:6.3f}× "
        "(the cost of term statistics and fetching the memory rows)"
    )


# ------------------------------------------------------------------------------------------ 3. durable writes


async def bench_writes(count: int, workdir: Path, rounds: int = 40) -> None:
    """The three writers take turns, ``count / rounds`` writes at a time, so disk drift hits each alike.
    protoplay's time includes indexing every memory it wrote (the final recall catches the index up)."""
    texts = [f"the learning rate {i} worked well for run {i % 13}" for i in range(count)]

    def raw_connection(path: Path, fts: bool) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE m(id INTEGER PRIMARY KEY, text TEXT, created REAL, search TEXT)")
        if fts:
            conn.execute("CREATE VIRTUAL TABLE f USING fts5(search, content='m', content_rowid='id')")
        return conn

    def raw_writes(conn: sqlite3.Connection, fts: bool, chunk: list[str]) -> None:
        for text in chunk:
            conn.execute("BEGIN IMMEDIATE")
            cursor = conn.execute(
                "INSERT INTO m(text, created, search) VALUES (?, ?, ?)", (text, time.time(), text)
            )
            if fts:
                conn.execute("INSERT INTO f(rowid, search) VALUES (?, ?)", (cursor.lastrowid, text))
            conn.execute("COMMIT")

    async def our_writes(chunk: list[str], last: bool) -> None:
        for text in chunk:
            await memory.remember(text, kind="fact", tags=["bench"], session="bench")
        if last:
            assert await memory.recall(texts[-1], limit=1)

    plain_conn = raw_connection(workdir / "raw-plain.db", fts=False)
    indexed_conn = raw_connection(workdir / "raw-fts.db", fts=True)
    memory = LongTermMemory(SQLiteStore(workdir / "writes.db"))
    await memory.remember("warm up")
    elapsed = {"plain": 0.0, "indexed": 0.0, "ours": 0.0}
    size = -(-count // rounds)
    for index in range(rounds):
        chunk = texts[index * size : (index + 1) * size]
        runs = {
            "plain": lambda c=chunk: raw_writes(plain_conn, False, c),
            "indexed": lambda c=chunk: raw_writes(indexed_conn, True, c),
            "ours": lambda c=chunk, i=index: our_writes(c, i == rounds - 1),
        }
        names = list(runs)
        for name in names[index % 3 :] + names[: index % 3]:  # rotate who goes first
            started = time.perf_counter()
            result = runs[name]()
            if asyncio.iscoroutine(result):
                await result
            elapsed[name] += time.perf_counter() - started
    plain_conn.close()
    indexed_conn.close()
    memory.close()
    plain, indexed, ours = (count / elapsed[name] for name in ("plain", "indexed", "ours"))
    print(
        f"3. Durable memory writes ({count} sequential, each acknowledged after an fsync'd WAL commit; "
        f"interleaved in {rounds} rounds)"
    )
    print(f"   raw single-row WAL commits (plain table):        {plain:8.0f} writes/s")
    print(f"   raw single-row WAL commits (row + FTS5 index):   {indexed:8.0f} writes/s")
    print(
        f"   protoplay remember (async, row + FTS5 index):    {ours:8.0f} writes/s   "
        f"{ours / plain:4.2f}× plain raw (goal ≥ 0.8×), {ours / indexed:4.2f}× indexed raw"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument(
        "--part", type=int, choices=(1, 2, 3), action="append", help="run only this part (repeatable)"
    )
    args = parser.parse_args()
    parts = args.part or [1, 2, 3]
    with tempfile.TemporaryDirectory(prefix="protoplay-bench-") as tmp:
        workdir = Path(tmp)
        runs = {
            1: lambda: bench_agent_run(100 if args.quick else 400, workdir),
            2: lambda: bench_recall(10_000 if args.quick else 100_000, 100 if args.quick else 400, workdir),
            3: lambda: bench_writes(200 if args.quick else 2000, workdir),
        }
        for index, part in enumerate(sorted(set(parts))):
            if index:
                print()
            await runs[part]()


if __name__ == "__main__":
    asyncio.run(main())
