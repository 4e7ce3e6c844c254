"""Helpers for the playground tests: the playground served in the test's own loop, and its event stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from servers.ui.runtime import UIOptions
from servers.ui.server import run_playground

TOKEN = "test-token-1234"


@contextlib.asynccontextmanager
async def serve(options: UIOptions) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """The playground on a free loopback port, and a client that sends its token; stopped on exit."""
    urls: list[str] = []
    ready = asyncio.Event()
    task = asyncio.create_task(
        run_playground(options, port=0, token=TOKEN, ready=ready, on_ready=urls.append)
    )
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiter}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if not urls:
        waiter.cancel()
        await task  # raises why it did not start
    base = urls[0].split("/?token=")[0]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        try:
            yield client, urls[0]
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class EventStream:
    """The page's event stream (``GET /api/events``), read in the background while a test runs."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.events: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> EventStream:
        self._task = asyncio.create_task(self._read())
        await asyncio.wait_for(self._ready.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _read(self) -> None:
        async with self.client.stream("GET", "/api/events") as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                event = json.loads(line[6:])
                if event["type"] == "ready":
                    self._ready.set()
                    continue
                self.events.append(event)
                self._arrived.set()

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 60
    ) -> dict[str, Any]:
        """The first event (already arrived or to come) that satisfies ``predicate``."""
        async with asyncio.timeout(timeout):
            seen = 0
            while True:
                for event in self.events[seen:]:
                    if predicate(event):
                        return event
                seen = len(self.events)
                self._arrived.clear()
                await self._arrived.wait()

    def of(self, event_type: str, /, **fields: Any) -> list[dict[str, Any]]:
        """Events of type ``event_type`` whose fields equal ``fields``."""
        return [
            e
            for e in self.events
            if e["type"] == event_type and all(e.get(k) == v for k, v in fields.items())
        ]


def chat_done(session: str) -> Callable[[dict[str, Any]], bool]:
    """The end of a chat turn in ``session``."""
    return lambda e: (
        e["type"] == "chat" and e["session"] == session and e["kind"] in ("finished", "failed", "stopped")
    )
