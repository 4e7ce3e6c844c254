"""The Chat panel's server side: turns of the function-calling agent, streamed to the page as events.

A turn runs as a task of the playground's loop; what the agent yields (:mod:`agents.loop`) is published as
``{"type": "chat", "session", "turn", "kind", ...}`` events:

- ``started`` (the user's text), ``memories`` (long-term memories put into the turn's context),
- ``delta`` (answer text as it streams), ``tool_started`` / ``tool_finished`` (a tool card: name,
  arguments, status, duration, structured result, plot URLs),
- then exactly one of ``finished`` (the answer, or ``needs_input``: the question the agent asks),
  ``failed`` (a sentence for the person) or ``stopped`` (the person stopped it).

Sessions are the agent's saved conversations (``memory.db``): listed, resumed by name, one turn at a time
each.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING, Any

from agents.errors import AgentError, unwrap

if TYPE_CHECKING:
    from pathlib import Path

    from agents.loop import AgentEvent
    from agents.memory.sessions import Session
    from servers.ui.hub import EventHub
    from servers.ui.runtime import RuntimeHolder

__all__ = ["Busy", "ChatDesk", "image_url"]

log = logging.getLogger(__name__)

_MAX_OPEN_SESSIONS = 64


class Busy(Exception):
    """A turn is already running in that session."""


def image_url(path: Path) -> str:
    """Where the page fetches a plot the MCP client saved (``GET /api/images/NAME``)."""
    return f"/api/images/{path.name}"


class ChatDesk:
    """Runs chat turns for the pages; several sessions may run at once, one turn each."""

    def __init__(self, holder: RuntimeHolder, hub: EventHub) -> None:
        self.holder = holder
        self.hub = hub
        self._sessions: dict[str, Session] = {}
        self._turns: dict[str, asyncio.Task[None]] = {}
        self._numbers = itertools.count(1)

    async def saved_sessions(self) -> list[dict[str, Any]]:
        """Saved conversations, most recently used first."""
        runtime = await self.holder.runtime()
        return [
            {"name": row.name, "turns": row.turns, "updated": row.updated}
            for row in await runtime.sessions.saved()
        ]

    async def history(self, name: str) -> list[dict[str, Any]]:
        """The messages of a session's turns still in its window (what the agent remembers of it)."""
        session = await self._session(name)
        return [dict(message) for message in session.history]

    def running(self, name: str) -> bool:
        task = self._turns.get(name)
        return task is not None and not task.done()

    async def send(self, name: str, text: str) -> str:
        """Start a turn in session ``name`` (created when new); returns the turn's id. Raises :class:`Busy`
        when the session already runs one, and the runtime's failure when it cannot be opened."""
        if self.running(name):
            raise Busy(f"session {name!r} is still answering; wait for it or stop it")
        await self.holder.runtime()
        turn = f"t{next(self._numbers)}"
        self._turns[name] = asyncio.create_task(self._turn(name, turn, text), name=f"chat-{name}-{turn}")
        return turn

    async def stop(self, name: str) -> bool:
        """Stop the turn running in ``name`` (it is rolled back, its tool calls cancelled)."""
        task = self._turns.get(name)
        if task is None or task.done():
            return False
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return True

    async def stop_all(self) -> None:
        for name in list(self._turns):
            await self.stop(name)

    async def _session(self, name: str) -> Session:
        from agents.memory.sessions import Session

        session = self._sessions.get(name)
        if session is None:
            runtime = await self.holder.runtime()
            options = self.holder.options
            session = await Session.open(
                name, runtime.sessions, budget_tokens=options.budget_tokens, summarize=options.summarize
            )
            while len(self._sessions) >= _MAX_OPEN_SESSIONS:
                oldest = next(name for name in self._sessions if not self.running(name))
                del self._sessions[oldest]
            self._sessions[name] = session
        return session

    async def _turn(self, name: str, turn: str, text: str) -> None:
        def publish(kind: str, **fields: Any) -> None:
            self.hub.publish({"type": "chat", "session": name, "turn": turn, "kind": kind, **fields})

        publish("started", text=text)
        try:
            runtime = await self.holder.runtime()
            session = await self._session(name)
            async for event in runtime.agent.stream(text, session=session):
                kind, fields = _describe(event)
                publish(kind, **fields)
        except asyncio.CancelledError:
            publish("stopped", message="Stopped; this turn was not kept.")
            raise
        except Exception as error:
            publish("failed", message=_failure_message(error))


def _describe(event: AgentEvent) -> tuple[str, dict[str, Any]]:
    """The chat event's kind and fields for one agent event."""
    from agents.loop import MemoriesRecalled, RunFinished, ToolCallFinished, ToolCallStarted
    from agents.messages import TextDelta

    if isinstance(event, TextDelta):
        return "delta", {"text": event.text}
    if isinstance(event, MemoriesRecalled):
        return "memories", {"memories": [memory.to_dict() for memory in event.memories]}
    if isinstance(event, ToolCallStarted):
        return "tool_started", {"id": event.id, "name": event.name, "arguments": event.arguments}
    if isinstance(event, ToolCallFinished):
        record = event.record
        outcome = record.outcome
        return "tool_finished", {
            "id": record.id,
            "name": record.name,
            "arguments": record.arguments,
            "is_error": outcome.is_error,
            "duration_ms": round(outcome.duration_ms, 1),
            "result": outcome.structured if outcome.structured is not None else outcome.content,
            "images": [image_url(path) for path in outcome.images],
        }
    assert isinstance(event, RunFinished)
    result = event.result
    return "finished", {"text": result.text, "needs_input": result.needs_input, "steps": result.steps}


def _failure_message(error: BaseException) -> str:
    from servers.cli.options import user_message

    leaf = unwrap(error)
    if isinstance(leaf, AgentError):
        return user_message(leaf)
    log.error("a chat turn crashed", exc_info=error)
    return f"internal error ({type(leaf).__name__}); details in the playground's log. Try again."
