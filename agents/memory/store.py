"""The SQLite file behind long-term memory and saved sessions: ``$PROTOPLAY_HOME/memory.db``.

WAL journal, ``synchronous=FULL``: a write is on disk (fsync'd) before its ``await`` returns, so an
acknowledged memory survives ``kill -9`` and power loss alike. The FTS5 index over the memories is derived
data and lags behind: a durable write commits only the memory row, and :func:`index_pending` adds the rows
the index lacks in one batch (before every recall, on open, and every few hundred writes), so no recall
misses an acknowledged memory and a crash between the two costs only a re-index on the next open.

Statements run on the calling thread, one at a time under a lock. A recall costs about 0.1 ms and a durable
write one fsync (about 0.2 ms on an SSD): less than handing either to a worker thread costs, so the event loop
is held for about as long as a thread hop would take. On a slow disk, ``offload=True`` runs them on one worker
thread instead and the loop never waits for the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from agents.config import SetupError, protoplay_home

__all__ = ["SQLiteStore", "StoreError", "default_db_path", "index_pending"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS memories (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'fact',
    tags TEXT NOT NULL DEFAULT '',
    session TEXT,
    created REAL NOT NULL,
    search TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    context TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    name TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY,
    session TEXT NOT NULL,
    messages TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_session ON turns(session, id);
"""

#: Columns added since the first ``memory.db``: a file made before them gets them, with these definitions
#: (existing memories become the local user's global ones, which is what they were).
_ADDED_COLUMNS = {"owner": "TEXT NOT NULL DEFAULT ''", "context": "TEXT"}

_FTS_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts USING fts5(
    search, content='memories', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS memories_vocab USING fts5vocab(memories_fts, 'row');
"""


class StoreError(SetupError):
    """``memory.db`` exists but is not a usable SQLite database (it is left as it is)."""


def default_db_path() -> Path:
    return protoplay_home() / "memory.db"


def _unreadable(path: Path, exc: sqlite3.DatabaseError) -> StoreError:
    reason = str(exc)
    if reason == "file is not a database":
        reason = "is not a SQLite database"
    else:
        reason = f"cannot be read as a SQLite database ({reason})"
    return StoreError(f"{path} {reason}; move it away to start fresh")


class SQLiteStore:
    """One ``memory.db`` connection, used by one statement batch at a time.

    ``await store.run(fn, *args)`` runs ``fn(connection, *args)`` and returns its result; batches never
    interleave, whichever threads or tasks submit them. ``fts`` says whether SQLite's FTS5 is available
    (``use_fts=False`` forces the fallback, for tests). Close with :meth:`close` (idempotent).
    """

    def __init__(
        self, path: Path | str | None = None, *, use_fts: bool = True, offload: bool = False
    ) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self._want_fts = use_fts
        self.fts = False
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="protoplay-memory") if offload else None
        self._closed = False

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=10.0, check_same_thread=False)
            try:
                # A file that is not a database fails here, on reading its header, before anything is written;
                # a damaged page further in fails below, when the schema or the index is first read.
                conn.execute("PRAGMA schema_version").fetchone()
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.executescript(_SCHEMA)
                _add_columns(conn)
                self._open_index(conn)
            except sqlite3.DatabaseError as exc:
                conn.close()
                if _is_corruption(exc):
                    raise _unreadable(self.path, exc) from None
                raise
            self._conn = conn
        return self._conn

    def _open_index(self, conn: sqlite3.Connection) -> None:
        if self._want_fts:
            try:
                conn.executescript(_FTS_SCHEMA)
                self.fts = True
            except sqlite3.OperationalError:  # this SQLite was built without FTS5
                self.fts = False
        if self.fts:  # index rows a crash (or an FTS-less SQLite) left out; if busy, the next recall will
            with contextlib.suppress(sqlite3.OperationalError):
                index_pending(conn)

    def run_sync(self, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn(connection, *args)`` now, on this thread (for synchronous callers)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the memory store is closed")
            try:
                return fn(self._connection(), *args)
            except sqlite3.DatabaseError as exc:
                if _is_corruption(exc):
                    raise _unreadable(self.path, exc) from None
                raise

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn(connection, *args)`` and return its result (on the worker thread when offloading)."""
        if self._executor is None:
            return self.run_sync(fn, *args)
        return await asyncio.wrap_future(self._executor.submit(self.run_sync, fn, *args))

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)


def _add_columns(conn: sqlite3.Connection) -> None:
    present = {row[1] for row in conn.execute("PRAGMA table_info(memories)")}
    for name, definition in _ADDED_COLUMNS.items():
        if name not in present:
            with contextlib.suppress(sqlite3.OperationalError):  # another process added it meanwhile
                conn.execute(f"ALTER TABLE memories ADD COLUMN {name} {definition}")


_PENDING = (
    "SELECT id, search FROM memories "
    "WHERE id > (SELECT coalesce(max(id), 0) FROM memories_fts_docsize) ORDER BY id"
)


def index_pending(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """Add every memory row the FTS index lacks to it; return those rows as ``(id, search)``.

    The index holds exactly the rows up to its highest id (FTS5 keeps one ``memories_fts_docsize`` row
    per indexed document): rows are indexed in id order, and a new row's id is above every id in
    ``memories``, hence above every indexed one. Inside an open transaction the rows join it; otherwise
    they are indexed in a transaction of their own, committed without waiting for the disk (it is derived
    data: if power loss drops it, the next open indexes the rows again; the next durable write syncs it).
    """
    if conn.in_transaction:
        rows = conn.execute(_PENDING).fetchall()
        conn.executemany("INSERT INTO memories_fts(rowid, search) VALUES (?, ?)", rows)
        return rows
    if not conn.execute(_PENDING + " LIMIT 1").fetchone():
        return []
    synchronous = conn.execute("PRAGMA synchronous").fetchone()[0]
    conn.execute("PRAGMA synchronous=NORMAL")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows = index_pending(conn)  # again, now under the write lock: another process may have done it
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute(f"PRAGMA synchronous={int(synchronous)}")
    return rows


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    """A damaged or foreign file (not a busy database, a constraint or a bad statement)."""
    return type(exc) is sqlite3.DatabaseError or getattr(exc, "sqlite_errorcode", None) in (
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_NOTADB,
    )
