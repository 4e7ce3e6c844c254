"""Helpers for the multi-replica tests: a round-robin load balancer, and a specialist replica as its own
process (``python -m tests.integration.replicas --port P --store URL``) whose model takes ``--delay``
seconds per answer (much longer for a message marked :data:`HOLD`), so tasks are in flight when the process
is killed."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
HOLD, HOLD_S = "[hold]", 120.0
"""A message containing ``HOLD`` keeps the model busy for ``HOLD_S`` seconds (in flight until killed)."""


@dataclass
class Balancer:
    """A load balancer: its URL, the replicas behind it (add them once they listen), and where it sent each
    message: ``(method, taskId or "", upstream)``."""

    url: str
    upstreams: list[str] = field(default_factory=list)
    routes: list[tuple[str, str, str]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def round_robin() -> AsyncIterator[Balancer]:
    """A load balancer on loopback (streams included) with no stickiness at all: each request goes to the
    next replica, and each message of a conversation (A2A context) to another replica than the previous
    message of that conversation — the worst case for a server that keeps state in its own memory."""
    import json

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    from servers.a2a.app import listen, public_url, serve

    turn = itertools.count()
    client = httpx.AsyncClient(timeout=60)
    sock = listen("127.0.0.1", 0)
    balancer = Balancer(public_url("127.0.0.1", sock.getsockname()[1]).rstrip("/"))

    last_for_context: dict[str, str] = {}

    async def forward(request: Request) -> StreamingResponse:
        upstream = balancer.upstreams[next(turn) % len(balancer.upstreams)]
        body = await request.body()
        if request.method == "POST":
            with contextlib.suppress(ValueError, AttributeError):
                payload = json.loads(body)
                message = (payload.get("params") or {}).get("message") or {}
                context = message.get("contextId")
                if context:
                    others = [url for url in balancer.upstreams if url != last_for_context.get(context)]
                    upstream = last_for_context[context] = others[0]
                balancer.routes.append((payload["method"], message.get("taskId", ""), upstream))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        outgoing = client.build_request(
            request.method, upstream + request.url.path, headers=headers, content=body
        )
        reply = await client.send(outgoing, stream=True)
        kept = {
            k: v for k, v in reply.headers.items() if k.lower() not in ("content-length", "transfer-encoding")
        }
        return StreamingResponse(reply.aiter_raw(), status_code=reply.status_code, headers=kept)

    app = Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])])
    server = asyncio.create_task(serve(app, sock))
    try:
        yield balancer
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
        await client.aclose()


@contextlib.contextmanager
def replica_process(port: int, store: str, home: Path, *, delay: float, timeout: float) -> Iterator[Any]:
    """A specialist replica in its own process (killed at the end if still running)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENAI_")}
    env["PROTOPLAY_HOME"] = str(home)
    command = [sys.executable, "-m", "tests.integration.replicas", "--port", str(port), "--store", store]
    command += ["--delay", str(delay), "--timeout", str(timeout)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


async def wait_until_serving(url: str, process: Any, *, within_s: float = 60) -> None:
    async with httpx.AsyncClient(timeout=5) as http, asyncio.timeout(within_s):
        while True:
            assert process.poll() is None, "the replica exited while starting"
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{url}/.well-known/agent-card.json")).status_code == 200:
                    return
            await asyncio.sleep(0.1)


async def _serve_replica(port: int, store: str, delay: float, timeout: float) -> None:
    from agents.models.testing import FunctionModel
    from servers.a2a.specialist import run_specialist

    async def slow(messages: Any, tools: Any) -> str:
        asked = str(messages[-1].get("content"))
        await asyncio.sleep(HOLD_S if HOLD in asked else delay)
        return "ok"

    await run_specialist(
        host="127.0.0.1",
        port=port,
        task_store=store,
        model_override=FunctionModel(slow),
        replica_timeout_s=timeout,
        trace_enabled=False,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=3.0)
    options = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_replica(options.port, options.store, options.delay, options.timeout))
