"""Tasks in PostgreSQL, for replicas that share one database (``--task-store postgresql://...``).

:class:`PostgresTaskStore` is a versioned task store on asyncpg: every write is one statement in autocommit
(one round trip, durable when it returns), compare-and-swap on a version column so two replicas never
overwrite each other's progress (a cancel through another replica wins over the runner's next update). The
task itself is kept as its protobuf encoding beside plain columns for what is queried: owner, context, state,
update time, version and the replica running it. :class:`PostgresTaskEvents` lets a replica follow a task
another replica runs (``SubscribeToTask``), and :class:`PostgresReplicaRegistry` records heartbeats.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import OrderedDict
from collections.abc import AsyncGenerator, Sequence
from typing import TYPE_CHECKING, Any

from a2a.server.cluster import (
    ConcurrentTaskModificationError,
    StoredTask,
    TaskEventStream,
    TaskVersion,
    VersionedEvent,
    VersionedTaskStore,
)
from a2a.server.id_generator import IDGenerator, IDGeneratorContext
from a2a.server.owner_resolver import OwnerResolver, resolve_user_scope
from a2a.types import ListTasksRequest, ListTasksResponse, Task, TaskState

from servers.a2a.replicas import IN_FLIGHT, REPLICAS_TABLE, RUNNER_KEY, Replica, ReplicaRow

if TYPE_CHECKING:
    import asyncpg
    from a2a.server.context import ServerCallContext
    from a2a.server.events.event_queue import Event

__all__ = [
    "PostgresReplicaRegistry",
    "PostgresTaskEvents",
    "PostgresTaskStore",
    "connect",
    "keep_session",
    "prepare_schema",
]

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_TERMINAL = [
    TaskState.Name(state)
    for state in (
        TaskState.TASK_STATE_COMPLETED,
        TaskState.TASK_STATE_CANCELED,
        TaskState.TASK_STATE_FAILED,
        TaskState.TASK_STATE_REJECTED,
    )
]
_COLUMNS = "id, owner, context_id, state, updated_ns, runner, task"
_UNSAVED_KEPT = 10_000


async def connect(dsn: str, *, pool_size: int = 10) -> asyncpg.Pool:
    """An asyncpg pool on ``dsn`` (a ``postgresql://`` URL; ``?host=/dir`` selects a Unix socket)."""
    import asyncpg

    return await asyncpg.create_pool(
        dsn, min_size=1, max_size=pool_size, command_timeout=60, reset=keep_session
    )


async def keep_session(connection: asyncpg.Connection) -> None:
    """Returning a connection to the pool changes nothing: no statement here leaves session state behind (no
    SET, LISTEN, cursor or session advisory lock), so asyncpg's default ``RESET ALL`` — one more round trip
    per statement — is not needed. (An open transaction is still rolled back by asyncpg itself.)"""


async def prepare_schema(pool: asyncpg.Pool, table: str) -> None:
    """Create the task table and the replicas table if missing (under a lock: replicas may start together).

    Raises ``RuntimeError`` when ``table`` exists with another layout (e.g. made by the SDK's SQL store).
    """
    name = _identifier(table)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('protoplay task schema'))")
        await conn.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {name} (
                id text PRIMARY KEY,
                owner text NOT NULL,
                context_id text NOT NULL,
                state text NOT NULL,
                updated_ns bigint,
                version bigint NOT NULL,
                runner text,
                task bytea NOT NULL
            );
            CREATE TABLE IF NOT EXISTS {REPLICAS_TABLE} (
                id text PRIMARY KEY,
                task_table text NOT NULL,
                address text,
                heartbeat double precision NOT NULL
            );
            """
        )
        columns = {
            row["column_name"]
            for row in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = $1", table
            )
        }
        if not {"owner", "updated_ns", "task", "version", "runner"} <= columns:
            raise RuntimeError(
                f"table {table!r} exists with another layout (not made by this protoplay); "
                "use another database or drop the table"
            )
        await conn.execute(
            f"""
            CREATE INDEX IF NOT EXISTS {name}_owner_updated ON {name} (owner, updated_ns DESC, id DESC);
            CREATE INDEX IF NOT EXISTS {name}_runner ON {name} (runner) WHERE runner IS NOT NULL;
            """
        )


def _identifier(table: str) -> str:
    if not _IDENTIFIER.fullmatch(table):
        raise ValueError(f"table name {table!r}: use lower-case letters, digits and '_'")
    return table


def _state(task: Task) -> str:
    return TaskState.Name(task.status.state)


def _runner(task: Task) -> str | None:
    """The replica running the task while it is in flight (``None`` once it waits or has ended)."""
    if _state(task) not in IN_FLIGHT:
        return None
    value = task.metadata.fields.get(RUNNER_KEY)
    return value.string_value or None if value is not None else None


def _updated_ns(task: Task) -> int | None:
    return task.status.timestamp.ToNanoseconds() if task.status.HasField("timestamp") else None


class PostgresTaskStore(VersionedTaskStore):
    """Tasks of one table, owner-scoped like the SDK's stores (``owner_resolver`` of the call context).

    Concurrency: any number of replicas; each write is a compare-and-swap on ``version`` and raises
    :class:`ConcurrentTaskModificationError` when another writer got there first (the SDK then reloads).
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        table: str,
        *,
        owner_resolver: OwnerResolver = resolve_user_scope,
        batches_in_flight: int = 2,
    ) -> None:
        self.pool = pool
        self.table = _identifier(table)
        self.owner_resolver = owner_resolver
        self._unsaved: OrderedDict[str, None] = OrderedDict()
        """Ids this process generated for new tasks and has not saved yet: no one else can have stored them,
        so reading them is skipped (the SDK reads a new task three times before its first write)."""
        self._writes = _Batches(pool, self.table, in_flight=batches_in_flight)
        assign = "context_id = $3, state = $4, updated_ns = $5, runner = $6, task = $7, version = version + 1"
        self._cancel = (
            f"UPDATE {self.table} SET {assign} WHERE id = $1 AND owner = $2 AND state <> ALL($8::text[]) "
            "RETURNING version"
        )

    async def save(
        self,
        task: Task,
        *,
        event: Event | None = None,
        prev: Task | None = None,
        prev_version: TaskVersion,
        context: ServerCallContext,
    ) -> TaskVersion:
        owner = self.owner_resolver(context)
        row = (task.id, owner, task.context_id, _state(task), _updated_ns(task), _runner(task))
        encoded = task.SerializeToString()
        if task.status.state == TaskState.TASK_STATE_CANCELED:
            # A cancel overrides whatever the runner wrote last, but never a task that already ended.
            version = await self.pool.fetchval(self._cancel, *row, encoded, _TERMINAL)
        else:
            expected = None if prev_version.is_missing else _version(prev_version)
            version = await self._writes.write((*row, encoded), expected)
        if version is None:
            raise ConcurrentTaskModificationError(task.id)
        self._unsaved.pop(task.id, None)
        return TaskVersion(int(version))

    def new_task_ids(self) -> IDGenerator:
        """The generator of new tasks' ids for the request handler: random UUIDs this store knows are new."""
        store = self

        class _NewTaskIds(IDGenerator):
            def generate(self, context: IDGeneratorContext) -> str:
                task_id = str(uuid.uuid4())
                store._unsaved[task_id] = None
                while len(store._unsaved) > _UNSAVED_KEPT:  # requests that failed before any write
                    store._unsaved.popitem(last=False)
                return task_id

        return _NewTaskIds()

    async def get(self, task_id: str, context: ServerCallContext) -> StoredTask | None:
        if task_id in self._unsaved:
            return None
        row = await self.pool.fetchrow(
            f"SELECT version, task FROM {self.table} WHERE id = $1 AND owner = $2",
            task_id,
            self.owner_resolver(context),
        )
        return _stored(row) if row is not None else None

    async def read(self, task_id: str, *, newer_than: int) -> StoredTask | bool:
        """The task if its version is above ``newer_than``; ``True`` if it is not, ``False`` if it is gone
        (any owner: for following a task whose access was checked already)."""
        version = await self.pool.fetchval(f"SELECT version FROM {self.table} WHERE id = $1", task_id)
        if version is None:
            return False
        if version <= newer_than:
            return True
        row = await self.pool.fetchrow(f"SELECT version, task FROM {self.table} WHERE id = $1", task_id)
        return _stored(row) if row is not None else False

    async def list(self, params: ListTasksRequest, context: ServerCallContext) -> ListTasksResponse:
        from a2a.utils.constants import DEFAULT_LIST_TASKS_PAGE_SIZE
        from a2a.utils.errors import InvalidParamsError
        from a2a.utils.task import ListTasksCursor, decode_list_tasks_cursor, encode_list_tasks_cursor

        args: list[Any] = [self.owner_resolver(context)]
        where = ["owner = $1"]

        def arg(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        if params.context_id:
            where.append(f"context_id = {arg(params.context_id)}")
        if params.status:
            where.append(f"state = {arg(TaskState.Name(params.status))}")
        if params.HasField("status_timestamp_after"):
            where.append(f"updated_ns >= {arg(params.status_timestamp_after.ToNanoseconds())}")
        total = await self.pool.fetchval(
            f"SELECT count(*) FROM {self.table} WHERE {' AND '.join(where)}", *args
        )
        if params.page_token:
            cursor = decode_list_tasks_cursor(params.page_token)
            if cursor is None:
                raise InvalidParamsError("Invalid page token")
            if cursor.timestamp_ns is None:
                where.append(f"(updated_ns IS NULL AND id < {arg(cursor.task_id)})")
            else:
                at, task_id = arg(cursor.timestamp_ns), arg(cursor.task_id)
                where.append(
                    f"(updated_ns < {at} OR (updated_ns = {at} AND id < {task_id}) OR updated_ns IS NULL)"
                )
        size = params.page_size or DEFAULT_LIST_TASKS_PAGE_SIZE
        rows = await self.pool.fetch(
            f"SELECT id, updated_ns, task FROM {self.table} WHERE {' AND '.join(where)} "
            f"ORDER BY updated_ns DESC NULLS LAST, id DESC LIMIT {arg(size + 1)}",
            *args,
        )
        page = rows[:size]
        token = None
        if len(rows) > size:
            token = encode_list_tasks_cursor(ListTasksCursor(page[-1]["updated_ns"], page[-1]["id"]))
        return ListTasksResponse(
            tasks=[Task.FromString(row["task"]) for row in page],
            total_size=int(total),
            next_page_token=token,
            page_size=size,
        )

    async def delete(self, task_id: str, context: ServerCallContext) -> None:
        await self.pool.execute(
            f"DELETE FROM {self.table} WHERE id = $1 AND owner = $2", task_id, self.owner_resolver(context)
        )


class _Batches:
    """Task writes in batches: one statement (one round trip, one commit) for every write queued while the
    previous batches were in flight. Under light load a write goes alone at once; under load the batches
    grow instead of the round trips, like a database's group commit on the client side.

    A write creates the task (``expected`` is ``None``) or replaces it if its version is still ``expected``;
    its result is the new version, ``None`` when the task exists already or moved on.
    """

    def __init__(self, pool: asyncpg.Pool, table: str, *, in_flight: int = 2) -> None:
        self.pool = pool
        self.in_flight = in_flight
        self._queue: list[tuple[tuple[Any, ...], int | None, asyncio.Future[int | None]]] = []
        self._draining: set[asyncio.Task[None]] = set()
        self._active = 0
        """Drains running or about to run; counted down in the same step a drain finds the queue empty, so a
        write queued after that step always starts a new one."""
        columns = "id, owner, context_id, state, updated_ns, runner, task"
        self._statement = f"""
            WITH w AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[],
                                     $6::text[], $7::bytea[], $8::bigint[])
                    AS w(id, owner, context_id, state, updated_ns, runner, task, expected)
            ), inserted AS (
                INSERT INTO {table} ({columns}, version)
                SELECT {columns}, 1 FROM w WHERE expected IS NULL
                ON CONFLICT (id) DO NOTHING RETURNING id, version
            ), updated AS (
                UPDATE {table} t SET context_id = w.context_id, state = w.state, updated_ns = w.updated_ns,
                    runner = w.runner, task = w.task, version = t.version + 1
                FROM w WHERE w.expected IS NOT NULL AND t.id = w.id AND t.owner = w.owner
                    AND t.version = w.expected
                RETURNING t.id, t.version
            )
            SELECT id, version FROM inserted UNION ALL SELECT id, version FROM updated
        """

    async def write(self, row: tuple[Any, ...], expected: int | None) -> int | None:
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._queue.append((row, expected, future))
        if self._active < self.in_flight:
            self._active += 1
            drain = asyncio.create_task(self._drain())
            self._draining.add(drain)  # a reference, so the task is not collected while it runs
            drain.add_done_callback(self._draining.discard)
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                await self._write(batch)
        finally:
            self._active -= 1

    async def _write(
        self, batch: list[tuple[tuple[Any, ...], int | None, asyncio.Future[int | None]]]
    ) -> None:
        columns = list(zip(*((*row, expected) for row, expected, _ in batch), strict=True))
        try:
            written = dict(await self.pool.fetch(self._statement, *columns))
        except asyncio.CancelledError:  # shutting down: the batch's writers stop with it
            for _, _, future in batch:
                future.cancel()
            raise
        except Exception as exc:  # every writer of the batch learns why
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for row, _, future in batch:
            if not future.done():  # its caller may have been cancelled meanwhile
                future.set_result(written.get(row[0]))


def _stored(row: Any) -> StoredTask:
    return StoredTask(Task.FromString(row["task"]), TaskVersion(int(row["version"])))


def _version(version: TaskVersion) -> int:
    return int(version._value)


class PostgresTaskEvents(TaskEventStream):
    """Follows a task that another replica runs: a new snapshot of the task each time its version moves.

    Writes need no publishing (the store is the log); a follower reads the task's version every
    ``poll_s`` seconds, so following costs nothing while nobody follows.
    """

    def __init__(self, store: PostgresTaskStore, *, poll_s: float = 0.25) -> None:
        self.store = store
        self.poll_s = poll_s

    async def publish(self, task_id: str, event: VersionedEvent) -> None:
        return None

    async def subscribe(self, task_id: str, *, after: TaskVersion) -> AsyncGenerator[VersionedEvent, None]:
        seen = 0 if after.is_missing else _version(after)
        while True:
            found = await self.store.read(task_id, newer_than=seen)
            if found is False:
                return  # deleted: nothing more will come
            if isinstance(found, StoredTask):
                seen = _version(found.version)
                yield VersionedEvent(event=found.task, version=found.version)
            else:
                await asyncio.sleep(self.poll_s)

    async def destroy(self, task_id: str) -> None:
        return None


class PostgresReplicaRegistry:
    """The replicas of one task table, in ``protoplay_replicas`` (a
    :class:`~servers.a2a.replicas.ReplicaRegistry`)."""

    def __init__(self, pool: asyncpg.Pool, table: str) -> None:
        self.pool = pool
        self.table = _identifier(table)

    async def beat(self, replica: Replica, now: float) -> None:
        await self.pool.execute(
            f"INSERT INTO {REPLICAS_TABLE} (id, task_table, address, heartbeat) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (id) DO UPDATE SET heartbeat = excluded.heartbeat",
            replica.id,
            self.table,
            replica.address,
            now,
        )

    async def replicas(self) -> Sequence[ReplicaRow]:
        rows = await self.pool.fetch(
            f"SELECT id, address, heartbeat FROM {REPLICAS_TABLE} WHERE task_table = $1", self.table
        )
        return [ReplicaRow(row["id"], row["address"], float(row["heartbeat"])) for row in rows]

    async def orphans(self, replica_id: str) -> list[tuple[str, str]]:
        rows = await self.pool.fetch(f"SELECT id, owner FROM {self.table} WHERE runner = $1", replica_id)
        return [(row["id"], row["owner"]) for row in rows]

    async def forget(self, replica_id: str) -> None:
        await self.pool.execute(f"DELETE FROM {REPLICAS_TABLE} WHERE id = $1", replica_id)
