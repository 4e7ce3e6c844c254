"""Where tools come from, what a call returns, and the turn a call belongs to.

A :class:`Toolbox` is anything that lists tool specs and runs calls: the MCP client
(:class:`agents.mcp.client.MCPToolbox`), the coordinator's delegation tools
(:class:`agents.a2a.coordinator.PeerToolbox`), or a traced wrapper of either (:mod:`agents.tracing`). Every
call carries the :class:`TurnContext` explicitly: which session it serves, what the user said, for whom, and
who is watching — no hidden context variables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agents.messages import ToolSpec

__all__ = ["Observer", "ToolOutcome", "Toolbox", "TurnContext", "error_outcome"]

Observer = Callable[[Any], Awaitable[None]]
"""Receives progress updates of work a tool started elsewhere (e.g. each update of a delegated A2A task)."""


@dataclass(frozen=True)
class TurnContext:
    """What a tool call (and the model request around it) knows about the turn in progress.

    The agent loop builds one per turn and passes it down; toolboxes, local tools and traced wrappers read
    it, none of them stores it.
    """

    session: str
    """The session the turn belongs to (its trace file, its memories, its pending questions)."""
    user_text: str = ""
    """The user's message of this turn (a delegation tool forwards it when no request is given)."""
    context_id: str | None = None
    """The A2A context the turn runs in, when it was started over A2A (peers' tasks join the same context)."""
    observer: Observer | None = None
    """Called with progress updates of work the turn's tools started elsewhere; ``None`` when nobody
    watches."""
    principal: str = ""
    """Who the turn works for, as the server authenticated them (``""``: the local user, or any caller of
    a server without per-caller tokens). Memories and conversations belong to a principal."""

    @classmethod
    def of(cls, session: str) -> TurnContext:
        """A context that only names its session (listing tools, tests, one-off calls)."""
        return cls(session=session)


@dataclass(frozen=True)
class ToolOutcome:
    """What one tool call produced, for the model and for the person watching."""

    content: str
    """The ``role=tool`` message text: structured content as JSON, else the text content, else an error."""
    structured: Any = None
    """The structured result (``structuredContent``), when the tool returned one."""
    is_error: bool = False
    """True when the tool failed or was refused; ``content`` then says why, for the model to correct
    itself."""
    images: tuple[Path, ...] = ()
    """Files the call's image content was saved to."""
    duration_ms: float = 0.0
    """Wall time of the call."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Anything a tool wants the caller to see (the question of ``ask_user``, a peer's artifacts)."""


def error_outcome(message: str, *, duration_ms: float = 0.0) -> ToolOutcome:
    """A failed call whose message the model reads to correct itself."""
    return ToolOutcome(content=f"Error: {message}", is_error=True, duration_ms=duration_ms)


class Toolbox(Protocol):
    """A source of tools. ``tool_specs`` may be called once per agent and cached; ``call`` may be awaited
    concurrently (one turn runs a reply's calls in parallel) and reports every failure as an error outcome
    rather than raising, so the model can correct itself."""

    async def tool_specs(self, context: TurnContext) -> list[ToolSpec]: ...

    async def call(self, name: str, arguments: dict[str, Any], context: TurnContext) -> ToolOutcome: ...
