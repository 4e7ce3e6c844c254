"""Opening a memory store from a URL: SQLite (the default, ``$PROTOPLAY_HOME/memory.db``) or PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from agents.config import SetupError
from agents.memory.backend import LongTermBackend, SessionBackend

__all__ = ["MemoryStoreError", "MemoryStores", "open_memory"]


class MemoryStoreError(SetupError):
    """The memory store URL is unusable (unknown scheme, missing driver, unreachable database)."""

    setting = "memory_store"


@dataclass(frozen=True)
class MemoryStores:
    """Long-term memory and saved sessions on one store."""

    long_term: LongTermBackend
    sessions: SessionBackend
    where: str
    """The store, for banners (no password)."""


@contextlib.asynccontextmanager
async def open_memory(url: str | None = None) -> AsyncIterator[MemoryStores]:
    """The memory store at ``url``, closed on exit.

    ``None``: SQLite in ``$PROTOPLAY_HOME/memory.db``; ``sqlite:///PATH``: SQLite at ``PATH`` (relative;
    four slashes for an absolute path, as SQLAlchemy writes it);
    ``postgresql://...`` (also ``postgres://``, ``postgresql+asyncpg://``; ``?host=/dir`` for a Unix
    socket): PostgreSQL, with the tables created on first use. Raises :class:`MemoryStoreError`.
    """
    if url is None or url.startswith("sqlite:///"):
        from agents.memory.long_term import LongTermMemory
        from agents.memory.sessions import SessionStore
        from agents.memory.store import SQLiteStore, default_db_path

        path = Path(url.removeprefix("sqlite:///")).expanduser() if url else default_db_path()
        store = SQLiteStore(path)
        try:
            yield MemoryStores(LongTermMemory(store), SessionStore(store), f"SQLite {path}")
        finally:
            store.close()
        return
    scheme, _, rest = url.partition("://")
    if scheme not in ("postgresql", "postgres", "postgresql+asyncpg") or not rest:
        raise MemoryStoreError(
            f"memory store {url[:80]!r}: expected postgresql://USER@HOST/DB or sqlite:///PATH/memory.db"
        )
    dsn = f"postgresql://{rest}"
    try:
        from agents.memory.postgres import PostgresMemory, PostgresSessions, connect_memory

        pool = await connect_memory(dsn)
    except ImportError:
        raise MemoryStoreError(
            "the PostgreSQL memory store needs asyncpg: pip install 'protoplay[postgresql]'"
        ) from None
    except Exception as exc:
        raise MemoryStoreError(f"cannot open the memory store {_redacted(dsn)}: {exc}") from None
    try:
        yield MemoryStores(PostgresMemory(pool), PostgresSessions(pool), f"PostgreSQL {_redacted(dsn)}")
    finally:
        await pool.close()


def _redacted(dsn: str) -> str:
    scheme, _, rest = dsn.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return dsn
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"
