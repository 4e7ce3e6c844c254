"""Conversations as sessions: the short-term window of one conversation, saved turn by turn in ``memory.db``.

A turn is staged while the agent works on it and becomes part of the conversation only when it completes
(:meth:`Session.commit`). A failed or cancelled turn is rolled back, so the saved conversation is always
well formed: every assistant ``tool_calls`` message is followed by its tool results.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from agents.memory.backend import SessionBackend, SessionInfo
from agents.memory.short_term import ShortTermMemory
from agents.memory.store import SQLiteStore
from agents.models.openai import Message

__all__ = ["Session", "SessionInfo", "SessionStore"]


class SessionStore:
    """Saved sessions in ``memory.db`` (tables ``sessions`` and ``turns``): the SQLite
    :class:`~agents.memory.backend.SessionBackend`."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    async def load(self, name: str) -> tuple[list[list[Message]], str | None]:
        """The saved turns of ``name`` (oldest first) and its running summary; ``([], None)`` if new."""
        return await self.store.run(self._load, name)

    @staticmethod
    def _load(conn: sqlite3.Connection, name: str) -> tuple[list[list[Message]], str | None]:
        row = conn.execute("SELECT summary FROM sessions WHERE name = ?", (name,)).fetchone()
        turns = [
            json.loads(raw)
            for (raw,) in conn.execute("SELECT messages FROM turns WHERE session = ? ORDER BY id", (name,))
        ]
        return turns, (row[0] if row else None)

    async def append_turn(self, name: str, messages: list[Message], summary: str | None) -> int:
        return await self.store.run(self._append, name, json.dumps(messages, ensure_ascii=False), summary)

    @staticmethod
    def _append(conn: sqlite3.Connection, name: str, encoded: str, summary: str | None) -> int:
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "INSERT INTO sessions(name, created, updated, summary) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET updated = excluded.updated, summary = excluded.summary",
                (name, now, now, summary),
            )
            cursor = conn.execute(
                "INSERT INTO turns(session, messages, created) VALUES (?, ?, ?)", (name, encoded, now)
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(cursor.lastrowid or 0)

    async def clear(self, name: str) -> None:
        """Forget the session's turns (the session itself stays listed)."""

        def _clear(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM turns WHERE session = ?", (name,))
            conn.execute(
                "UPDATE sessions SET summary = NULL, updated = ? WHERE name = ?", (time.time(), name)
            )
            conn.execute("COMMIT")

        await self.store.run(_clear)

    async def last_turn(self, name: str) -> int:
        return await self.store.run(
            lambda conn: int(
                conn.execute("SELECT coalesce(max(id), 0) FROM turns WHERE session = ?", (name,)).fetchone()[
                    0
                ]
            )
        )

    async def saved(self) -> list[SessionInfo]:
        """Every saved session, most recently used first."""

        def _list(conn: sqlite3.Connection) -> list[SessionInfo]:
            rows = conn.execute(
                "SELECT s.name, count(t.id), s.created, s.updated FROM sessions s "
                "LEFT JOIN turns t ON t.session = s.name GROUP BY s.name ORDER BY s.updated DESC"
            ).fetchall()
            return [
                SessionInfo(name, int(count), float(created), float(updated))
                for name, count, created, updated in rows
            ]

        return await self.store.run(_list)


@dataclass
class Session:
    """One conversation: its window, the turn in progress, and where it is saved (if anywhere).

    Lifecycle per turn: :meth:`begin` (the user message) → :meth:`add` (assistant and tool messages) →
    :meth:`commit` (the turn joins the window and is saved) or :meth:`rollback` (it vanishes). One turn at a
    time: a session is not meant to be driven by two runs at once.
    """

    name: str
    """The session's name; also the name of its trace file."""
    window: ShortTermMemory = field(default_factory=ShortTermMemory)
    """The short-term memory."""
    store: SessionBackend | None = None
    """Where completed turns are saved; ``None`` for an ephemeral session."""
    current: list[Message] | None = None
    """The turn in progress, if any."""
    saved_turn: int = 0
    """The store's :meth:`~agents.memory.backend.SessionBackend.last_turn` as this window last saw it."""

    @classmethod
    def ephemeral(
        cls, name: str = "ephemeral", *, budget_tokens: int = 8000, summarize: bool = False
    ) -> Session:
        """A session kept in memory only."""
        return cls(name, ShortTermMemory(budget_tokens=budget_tokens, summarize=summarize))

    @classmethod
    async def open(
        cls, name: str, store: SessionBackend, *, budget_tokens: int = 8000, summarize: bool = False
    ) -> Session:
        """Resume the saved session ``name`` (or start it); older turns are trimmed on the next render."""
        saved_turn = await store.last_turn(name)  # first: a turn saved meanwhile only makes it look stale
        turns, summary = await store.load(name)
        window = ShortTermMemory(budget_tokens=budget_tokens, summarize=summarize, summary=summary)
        for messages in turns:
            window.add_turn(messages)
        return cls(name, window, store, saved_turn=saved_turn)

    async def is_current(self) -> bool:
        """Whether the window still holds every saved turn (another process, e.g. another replica serving
        the same conversation, may have added some since)."""
        return self.store is None or await self.store.last_turn(self.name) == self.saved_turn

    @property
    def history(self) -> list[Message]:
        """Completed turns still in the window, flattened."""
        return [message for turn in self.window.turns for message in turn.messages]

    def begin(self, user_message: Message) -> None:
        if self.current is not None:
            raise RuntimeError(f"session {self.name!r} already has a turn in progress")
        self.current = [user_message]

    def add(self, message: Message) -> None:
        if self.current is None:
            raise RuntimeError("no turn in progress: call begin() first")
        self.current.append(message)

    def render(self, system: Sequence[Message], *, context: Sequence[Message] = ()) -> list[Message]:
        """The messages for the next model request (see :meth:`ShortTermMemory.render`)."""
        return self.window.render(system, self.current or [], context=context)

    async def commit(self) -> None:
        """Close the turn in progress: it joins the window and, for a saved session, is written to disk."""
        if self.current is None:
            return
        turn, self.current = self.current, None
        self.window.add_turn(turn)
        if self.store is not None:
            self.saved_turn = await self.store.append_turn(self.name, turn, self.window.summary)

    def rollback(self) -> None:
        """Drop the turn in progress as if it never started."""
        self.current = None

    async def clear(self) -> None:
        self.window.clear()
        self.current = None
        if self.store is not None:
            await self.store.clear(self.name)
            self.saved_turn = 0
