"""The task store: the SDK's database task store on any SQLAlchemy URL (default: SQLite in
``$PROTOPLAY_HOME/tasks.db``), or the in-memory one."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from a2a.server.tasks import TaskStore
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["StoreError", "default_store_url", "open_task_store"]


class StoreError(Exception):
    """The task store URL is unusable (bad URL, missing driver, unreachable database)."""


def default_store_url() -> str:
    """SQLite at ``$PROTOPLAY_HOME/tasks.db``."""
    from agents.config import protoplay_home

    return f"sqlite+aiosqlite:///{protoplay_home() / 'tasks.db'}"


@contextlib.asynccontextmanager
async def open_task_store(url: str | None, *, table: str) -> AsyncIterator[TaskStore]:
    """The SDK's :class:`DatabaseTaskStore` on ``url`` (any async SQLAlchemy URL), in table ``table``.

    ``None`` means :func:`default_store_url`; ``memory`` the SDK's in-memory store (lost on exit). Plain
    ``sqlite://`` and ``postgresql://`` URLs get their async drivers (aiosqlite, asyncpg). SQLite runs in WAL
    mode so readers do not wait for writers. Raises :class:`StoreError` with a readable reason.
    """
    from a2a.server.tasks import DatabaseTaskStore, InMemoryTaskStore

    if url == "memory":
        yield InMemoryTaskStore()
        return
    engine = _engine(url or default_store_url())
    try:
        store = DatabaseTaskStore(engine)
        store.task_model = _task_model(table)  # one mapped class per table for the whole process
        try:
            await store.initialize()
        except Exception as exc:
            raise StoreError(f"cannot open the task store {engine.url!r}: {exc}") from exc
        yield store
    finally:
        await engine.dispose()


@functools.cache
def _task_model(table: str) -> Any:
    import warnings

    from a2a.server.models import TaskModel, create_task_model
    from sqlalchemy.exc import SAWarning

    if table == "tasks":
        return TaskModel
    with warnings.catch_warnings():  # every SDK table class is named TaskModel; the registry only notes it
        warnings.simplefilter("ignore", SAWarning)
        return create_task_model(table)


def _engine(url: str) -> AsyncEngine:
    from sqlalchemy import event
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError
    from sqlalchemy.ext.asyncio import create_async_engine

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"--task-store {url!r} is not a SQLAlchemy URL (e.g. sqlite+aiosqlite:///tasks.db)"
        ) from exc
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "mysql": "mysql+aiomysql"}
    if parsed.drivername in driver:
        parsed = parsed.set(drivername=driver[parsed.drivername])
    # SQLite has one writer at a time: a single pooled connection queues writers in the pool, instead of
    # letting several connections collide and back off in SQLite's busy handler (seconds of p99 latency).
    options = {"pool_size": 1, "max_overflow": 0} if parsed.get_backend_name() == "sqlite" else {}
    try:
        engine = create_async_engine(parsed, **options)
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        raise StoreError(
            f"no async driver for {parsed.drivername!r}: install it (`pip install asyncpg` for PostgreSQL)"
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine
