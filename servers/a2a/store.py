"""Where an A2A server keeps its tasks: the SDK's SQL task store (default: SQLite in
``$PROTOPLAY_HOME/tasks.db``), the in-memory one, or PostgreSQL for several replicas.

:func:`open_task_store` returns a :class:`TaskStorage`: the task store, the cross-replica event stream when
the store is shared (PostgreSQL), and the replica registry that :mod:`servers.a2a.recovery` uses to find
tasks a dead server left in flight (none for the in-memory store: nothing of it survives a restart).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servers.a2a.replicas import IN_FLIGHT, REPLICAS_TABLE, RUNNER_KEY, Replica, ReplicaRegistry, ReplicaRow

if TYPE_CHECKING:
    from a2a.server.cluster import TaskEventStream, VersionedTaskStore
    from a2a.server.id_generator import IDGenerator
    from a2a.server.tasks import DatabaseTaskStore, PushNotificationConfigStore, TaskStore
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncEngine

    from servers.a2a.push import PushConfigs

__all__ = ["StoreError", "TaskStorage", "default_store_url", "describe_store", "open_task_store"]


class StoreError(Exception):
    """The task store URL is unusable (bad URL, missing driver, unreachable database)."""


@dataclass
class TaskStorage:
    """An open task store and what comes with it (closed by :func:`open_task_store`)."""

    store: TaskStore | VersionedTaskStore
    """Where tasks are saved (owner-scoped: each caller sees only its principal's tasks)."""
    events: TaskEventStream | None = None
    """Lets one replica follow a task another replica runs; ``None`` when the store is not shared."""
    replicas: ReplicaRegistry | None = None
    """Heartbeats and in-flight tasks per replica; ``None`` when tasks do not outlive the process."""
    task_ids: IDGenerator | None = None
    """Makes new tasks' ids, when the store wants to know them (``None``: the SDK's random UUIDs)."""
    push_configs: PushNotificationConfigStore | None = None
    """Webhook configs in the same database, when the store is not one the SDK's push config store reads
    by itself (``None``: :func:`servers.a2a.push.push_config_store` finds where they live)."""

    def push_config_store(self) -> PushConfigs:
        """Where this store's webhook configs live: beside the tasks when the store is a database (every
        replica sees them, they survive restarts), else in memory."""
        from servers.a2a.push import PushConfigs, push_config_store

        return (
            PushConfigs(self.push_configs) if self.push_configs is not None else push_config_store(self.store)
        )


def default_store_url() -> str:
    """SQLite at ``$PROTOPLAY_HOME/tasks.db``."""
    from agents.config import protoplay_home

    return f"sqlite+aiosqlite:///{protoplay_home() / 'tasks.db'}"


def describe_store(url: str | None) -> str:
    """The store for a banner, without the password."""
    if url is None:
        return "SQLite in $PROTOPLAY_HOME/tasks.db"
    if url == "memory":
        return "in memory (lost on exit)"
    with contextlib.suppress(Exception):
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    return "(unparsable URL)"


@contextlib.asynccontextmanager
async def open_task_store(url: str | None, *, table: str) -> AsyncIterator[TaskStorage]:
    """The task store on ``url``, in table ``table``.

    ``None`` means :func:`default_store_url`; ``memory`` the SDK's in-memory store (lost on exit);
    ``postgresql://`` (or ``postgresql+asyncpg://``) the versioned
    :class:`~servers.a2a.postgres.PostgresTaskStore` on asyncpg, for replicas sharing one database; any other
    async SQLAlchemy URL the SDK's :class:`DatabaseTaskStore` (plain ``sqlite://`` gets aiosqlite, in WAL mode
    so readers do not wait for writers). Raises :class:`StoreError` with a readable reason.
    """
    from a2a.server.tasks import InMemoryTaskStore

    if url == "memory":
        yield TaskStorage(InMemoryTaskStore())
        return
    parsed = _parse(url or default_store_url())
    if parsed.get_backend_name() == "postgresql":
        async with _open_postgres(parsed, table) as storage:
            yield storage
        return
    engine = _engine(parsed)
    try:
        from a2a.server.tasks import DatabaseTaskStore

        store = DatabaseTaskStore(engine)
        store.task_model = _task_model(table)  # one mapped class per table for the whole process
        registry = SqlReplicaRegistry(engine, store)
        try:
            await store.initialize()
            await registry.initialize()
        except Exception as exc:
            raise StoreError(f"cannot open the task store {describe_store(str(url))}: {exc}") from exc
        yield TaskStorage(store, replicas=registry)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def _open_postgres(url: URL, table: str) -> AsyncIterator[TaskStorage]:
    try:
        from servers.a2a.postgres import (
            PostgresReplicaRegistry,
            PostgresTaskEvents,
            PostgresTaskStore,
            connect,
            prepare_schema,
        )

        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        pool = await connect(dsn)
    except ImportError as exc:
        raise StoreError(
            "no PostgreSQL driver: install asyncpg (`pip install 'protoplay[postgresql]'`)"
        ) from exc
    except Exception as exc:
        raise StoreError(f"cannot open the task store {describe_store(str(url))}: {exc}") from exc
    try:
        try:
            await prepare_schema(pool, table)
        except Exception as exc:
            raise StoreError(f"cannot open the task store {describe_store(str(url))}: {exc}") from exc
        store = PostgresTaskStore(pool, table)
        registry = PostgresReplicaRegistry(pool, table)
        # The SDK's SQL push config store, on a SQLAlchemy engine of its own, keeps webhook configs beside
        # the tasks: every replica delivers to a webhook registered through any of them.
        from servers.a2a.push import database_push_configs

        configs_engine = _engine(url.set(drivername="postgresql+asyncpg"))
        try:
            configs = database_push_configs(configs_engine, table)
            try:
                await _create_push_configs_table(configs_engine, configs)
            except Exception as exc:
                raise StoreError(f"cannot open the task store {describe_store(str(url))}: {exc}") from exc
            yield TaskStorage(store, PostgresTaskEvents(store), registry, store.new_task_ids(), configs)
        finally:
            await configs_engine.dispose()
    finally:
        await pool.close()


async def _create_push_configs_table(engine: AsyncEngine, configs: Any) -> None:
    """Create the push config table now, under a lock: the SDK's store would create it lazily, from every
    replica at once on its first update, and concurrent ``CREATE TABLE`` of one name fails in PostgreSQL."""
    from sqlalchemy import text

    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('protoplay push config schema'))"))
        await conn.run_sync(lambda sync: configs.config_model.__table__.create(sync, checkfirst=True))
    await configs.initialize()  # the table exists: this only marks the store ready


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


def _parse(url: str) -> URL:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"--task-store {url!r} is not a SQLAlchemy URL (e.g. sqlite+aiosqlite:///tasks.db)"
        ) from exc
    driver = {"sqlite": "sqlite+aiosqlite", "mysql": "mysql+aiomysql"}
    if parsed.drivername in driver:
        parsed = parsed.set(drivername=driver[parsed.drivername])
    return parsed


def _engine(parsed: URL) -> AsyncEngine:
    from sqlalchemy import event
    from sqlalchemy.exc import NoSuchModuleError
    from sqlalchemy.ext.asyncio import create_async_engine

    # SQLite has one writer at a time: a single pooled connection queues writers in the pool, instead of
    # letting several connections collide and back off in SQLite's busy handler (seconds of p99 latency).
    options = {"pool_size": 1, "max_overflow": 0} if parsed.get_backend_name() == "sqlite" else {}
    try:
        engine = create_async_engine(parsed, **options)
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        raise StoreError(f"no async driver for {parsed.drivername!r}: install it") from exc
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


class SqlReplicaRegistry:
    """The replicas of one SDK task table, in ``protoplay_replicas`` beside it (SQLAlchemy Core, any
    dialect); in-flight tasks are found by their state and the replica their metadata names."""

    def __init__(self, engine: AsyncEngine, store: DatabaseTaskStore) -> None:
        from sqlalchemy import Column, Float, MetaData, String, Table

        self.engine = engine
        self.model = store.task_model
        self.name = str(self.model.__tablename__)
        self.table = Table(
            REPLICAS_TABLE,
            MetaData(),
            Column("id", String(64), primary_key=True),
            Column("task_table", String(255), nullable=False),
            Column("address", String(255)),
            Column("heartbeat", Float, nullable=False),
        )

    async def initialize(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(self.table.metadata.create_all)

    async def beat(self, replica: Replica, now: float) -> None:
        from sqlalchemy import insert, update

        async with self.engine.begin() as conn:
            changed = await conn.execute(
                update(self.table).where(self.table.c.id == replica.id).values(heartbeat=now)
            )
            if not changed.rowcount:
                row = {
                    "id": replica.id,
                    "task_table": self.name,
                    "address": replica.address,
                    "heartbeat": now,
                }
                await conn.execute(insert(self.table).values(row))

    async def replicas(self) -> Sequence[ReplicaRow]:
        from sqlalchemy import select

        columns = self.table.c
        query = select(columns.id, columns.address, columns.heartbeat).where(columns.task_table == self.name)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [ReplicaRow(row[0], row[1], float(row[2])) for row in rows]

    async def orphans(self, replica_id: str) -> list[tuple[str, str]]:
        from sqlalchemy import select

        model = self.model
        query = select(model.id, model.owner).where(
            model.status["state"].as_string().in_(IN_FLIGHT),
            model.task_metadata[RUNNER_KEY].as_string() == replica_id,
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [(str(row[0]), str(row[1] or "")) for row in rows]

    async def forget(self, replica_id: str) -> None:
        from sqlalchemy import delete

        async with self.engine.begin() as conn:
            await conn.execute(delete(self.table).where(self.table.c.id == replica_id))
