"""Live events to the page: one Server-Sent-Events stream per open page, fed by an :class:`EventHub`.

Everything that happens while the playground runs — answer deltas and tool calls of a chat turn, a demo's
transcript, an A2A task's updates, and every trace event any agent of this process records — is published
once as a JSON object with a ``type`` (``chat``, ``demo``, ``a2a``, ``trace``) and reaches every page that
listens. Trace events arrive from :func:`agents.trace.watch_traces` in whatever thread recorded them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.trace import TraceEvent

__all__ = ["EventHub"]

log = logging.getLogger(__name__)

_KEEP_ALIVE_S = 15.0
_OVERFLOW = 'data: {"type": "overflow"}\n\n'


class EventHub:
    """Fans events out to every subscriber, in the order they were published.

    Create it inside the event loop it serves. :meth:`publish` is for that loop; :meth:`watch_traces`
    forwards trace events recorded in any thread. A subscriber that falls ``backlog`` events behind (a page
    that stopped reading) gets an ``overflow`` event and is dropped; the page reconnects and reloads.
    """

    def __init__(self, *, backlog: int = 10_000) -> None:
        self.backlog = backlog
        self._loop = asyncio.get_running_loop()
        self._queues: set[asyncio.Queue[str]] = set()
        self._stop_watching: Callable[[], None] | None = None

    @property
    def listeners(self) -> int:
        """How many pages are connected."""
        return len(self._queues)

    def publish(self, event: dict[str, Any]) -> None:
        """Send ``event`` (JSON-serialisable; ``type`` says what it is) to every connected page."""
        self._send(_encode(event))

    def watch_traces(self) -> None:
        """Forward every trace event of this process as ``{"type": "trace", "event": ...}`` until
        :meth:`close`."""
        from agents.trace import watch_traces

        def forward(event: TraceEvent) -> None:
            # Encoded here, in the recording thread: the payload is never read after record() returns.
            line = _encode({"type": "trace", "event": asdict(event)})
            self._loop.call_soon_threadsafe(self._send, line)

        if self._stop_watching is None:
            self._stop_watching = watch_traces(forward)

    def close(self) -> None:
        if self._stop_watching is not None:
            self._stop_watching()
            self._stop_watching = None

    async def stream(self) -> AsyncIterator[str]:
        """One subscriber's SSE text: a ``ready`` event, then every event published, with a comment every
        15 s so proxies and the browser keep the connection open."""
        queue: asyncio.Queue[str] = asyncio.Queue(self.backlog + 1)
        self._queues.add(queue)
        try:
            yield _encode({"type": "ready"})
            while True:
                try:
                    line = await asyncio.wait_for(queue.get(), _KEEP_ALIVE_S)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield line
                if line is _OVERFLOW:
                    return
        finally:
            self._queues.discard(queue)

    def _send(self, line: str) -> None:
        for queue in tuple(self._queues):
            if queue.qsize() >= self.backlog:
                log.warning("a page fell %d events behind; dropping its stream", self.backlog)
                self._queues.discard(queue)
                queue.put_nowait(_OVERFLOW)
            else:
                queue.put_nowait(line)


def _encode(event: dict[str, Any]) -> str:
    return f"data: {json.dumps(event, ensure_ascii=False, default=str)}\n\n"
