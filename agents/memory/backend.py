"""The small memory protocol: what long-term memory and saved sessions offer, whatever stores them.

Two backends implement it: SQLite in ``$PROTOPLAY_HOME/memory.db`` (the default;
:mod:`agents.memory.long_term`, :mod:`agents.memory.sessions`) and PostgreSQL (:mod:`agents.memory.postgres`),
which several coordinator replicas can share. :func:`agents.memory.open_memory` opens either from a URL.

Memories belong to a principal (who the server authenticated; ``""`` for the local user) and, unless saved as
global, to one A2A context: a :class:`MemoryScope` says whose memories a call may see.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from agents.messages import Message
    from agents.toolbox import TurnContext

__all__ = ["LongTermBackend", "Memory", "MemoryScope", "SessionBackend", "SessionInfo"]


@dataclass(frozen=True)
class MemoryScope:
    """Whose memories a call sees, and where a memory it saves goes."""

    owner: str = ""
    """The principal (``""``: the local user, or every caller of a server without per-caller tokens)."""
    context: str | None = None
    """The A2A context: a call sees the owner's global memories plus this context's; ``None`` sees (and
    saves) only global ones."""

    @classmethod
    def of(cls, turn: TurnContext) -> MemoryScope:
        """The scope of an agent turn: its principal and A2A context."""
        return cls(turn.principal, turn.context_id)

    def everywhere(self) -> MemoryScope:
        """The same owner, saving for all of their contexts."""
        return MemoryScope(self.owner, None)


@dataclass(frozen=True)
class Memory:
    """One remembered fact."""

    id: int
    """Stable id (use it to forget)."""
    text: str
    """The fact, as remembered."""
    kind: str
    """What sort of memory: ``fact``, ``preference``, ``result``, ``note``..."""
    tags: tuple[str, ...]
    """Free-form labels."""
    session: str | None
    """The session it was remembered in."""
    created: float
    """When (Unix time)."""
    score: float | None = None
    """Relevance for a recall (higher is better); ``None`` outside a recall."""
    owner: str = ""
    """The principal it belongs to."""
    context: str | None = None
    """The A2A context it belongs to; ``None`` for a global memory."""

    def to_dict(self) -> dict[str, object]:
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.created))
        row: dict[str, object] = {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "tags": list(self.tags),
            "session": self.session,
            "created": created,
            "scope": "global" if self.context is None else "conversation",
        }
        if self.score is not None:
            row["score"] = round(self.score, 4)
        return row


class LongTermBackend(Protocol):
    """Long-term memory: durable facts recalled by relevance.

    ``remember`` returns once the fact is durably committed; ``recall`` returns the best ``limit`` matches,
    best first (``[]`` when nothing matches). ``scope=None`` means every memory (the operator's commands);
    the agent always passes its turn's scope. Several instances (or processes) may share one store.
    """

    async def remember(
        self,
        text: str,
        *,
        kind: str = "fact",
        tags: Iterable[str] = (),
        session: str | None = None,
        scope: MemoryScope | None = None,
    ) -> Memory: ...

    async def remember_many(
        self, texts: Iterable[str], *, kind: str = "fact", session: str | None = None
    ) -> int: ...

    async def recall(
        self, query: str, *, limit: int = 5, kind: str | None = None, scope: MemoryScope | None = None
    ) -> list[Memory]: ...

    async def forget(self, memory_id: int, *, scope: MemoryScope | None = None) -> bool: ...

    async def get(self, memory_id: int) -> Memory | None: ...

    async def newest(
        self, *, limit: int | None = 50, kind: str | None = None, scope: MemoryScope | None = None
    ) -> list[Memory]: ...

    async def count(self) -> int: ...

    async def export(self) -> list[Memory]: ...


@dataclass(frozen=True)
class SessionInfo:
    """A saved session, as listed."""

    name: str
    """The session's name (``protoplay chat --session NAME``)."""
    turns: int
    """How many completed turns it holds."""
    created: float
    """When it started (Unix time)."""
    updated: float
    """When its last turn completed (Unix time)."""


class SessionBackend(Protocol):
    """Saved conversations: each a list of turns (lists of chat messages) and a running summary."""

    async def load(self, name: str) -> tuple[list[list[Message]], str | None]:
        """The saved turns of ``name`` (oldest first) and its summary; ``([], None)`` if new."""

    async def append_turn(self, name: str, messages: list[Message], summary: str | None) -> int:
        """Save a completed turn (and the summary as it now stands); returns its :meth:`last_turn` id."""

    async def clear(self, name: str) -> None:
        """Forget the session's turns (the session itself stays listed)."""

    async def saved(self) -> list[SessionInfo]:
        """Every saved session, most recently used first."""

    async def last_turn(self, name: str) -> int:
        """An id that changes whenever a turn is added to or cleared from ``name`` (0 when it has none): a
        replica compares it to decide whether the conversation it holds is still current."""
