"""Tasks a dead server left in flight: found, failed with the reason, and explained to whoever follows up.

A task in ``working`` names the replica running it in its metadata (:data:`~servers.a2a.replicas.RUNNER_KEY`),
and every replica heartbeats into the task store (:class:`Recovery`). A replica's tasks are *orphans* when:

- a new server starts on the same ``host:port`` (the old process is gone: nothing else could bind it) →
  ``failed``, "interrupted: server restarted", at start-up, before the first request;
- its heartbeat is older than ``timeout_s`` (killed, its machine lost) → ``failed`` by whichever replica
  notices first (every replica sweeps each ``interval_s``);
- the server stops gracefully while tasks run → it fails them itself, "interrupted: server stopped".

Tasks waiting for input are not in flight and resume normally on any replica. A message to an interrupted
task is answered with the reason and what to do (:class:`servers.a2a.handler.ProtoplayRequestHandler`), not
with a bare "terminal state" error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import TYPE_CHECKING

from a2a.server.cluster import ConcurrentTaskModificationError, StoredTask, VersionedTaskStore
from a2a.types import Message, Part, Role, TaskState, TaskStatus, TaskStatusUpdateEvent

from agents.config import DEFAULTS
from servers.a2a.auth import Principal
from servers.a2a.executor import KIND
from servers.a2a.replicas import IN_FLIGHT, RUNNER_KEY, Replica, ReplicaRow
from servers.a2a.store import TaskStorage

if TYPE_CHECKING:
    from a2a.server.context import ServerCallContext

__all__ = [
    "INTERRUPTED",
    "Recovery",
    "fail_interrupted",
    "owner_context",
    "recovery_for",
]

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted"
"""``protoplay/kind`` of the status message of a task failed because its server went away."""
_AGAIN = (
    "The task was in progress when that happened; send the request again, without its taskId, to start over."
)
RESTARTED = f"interrupted: server restarted. {_AGAIN}"
STOPPED = f"interrupted: server stopped. {_AGAIN}"


def _silent(timeout_s: float) -> str:
    return (
        f"interrupted: the server running it stopped answering (no heartbeat for {timeout_s:.0f} s). {_AGAIN}"
    )


def owner_context(owner: str) -> ServerCallContext:
    """A call context acting as ``owner`` (for work no request asked for)."""
    from a2a.server.context import ServerCallContext
    from a2a.server.routes.common import StarletteUser

    return ServerCallContext(user=StarletteUser(Principal(owner)))  # as a request with that token would


async def fail_interrupted(storage: TaskStorage, task_id: str, owner: str, reason: str) -> bool:
    """Fail the task if it is still in flight, with ``reason`` as its status message; ``True`` if it was.

    On a versioned store the write is a compare-and-swap: a task that moved meanwhile (another replica
    failed it first, or its runner was alive after all) is left as it is.
    """
    context = owner_context(owner)
    store = storage.store
    if isinstance(store, VersionedTaskStore):
        stored = await store.get(task_id, context)
    else:
        found = await store.get(task_id, context)
        stored = StoredTask(found, None) if found is not None else None  # type: ignore[arg-type]
    if stored is None or TaskState.Name(stored.task.status.state) not in IN_FLIGHT:
        return False
    task = stored.task
    message = Message(
        message_id=str(uuid.uuid4()),
        role=Role.ROLE_AGENT,
        parts=[Part(text=reason)],
        task_id=task.id,
        context_id=task.context_id,
    )
    message.metadata.update({KIND: INTERRUPTED})
    status = TaskStatus(state=TaskState.TASK_STATE_FAILED, message=message)
    status.timestamp.GetCurrentTime()
    if task.status.HasField("message"):  # as the SDK does: the previous status message joins the history
        task.history.append(task.status.message)
    task.status.CopyFrom(status)
    if isinstance(store, VersionedTaskStore):
        event = TaskStatusUpdateEvent(task_id=task.id, context_id=task.context_id, status=status)
        try:
            await store.save(task, event=event, prev=None, prev_version=stored.version, context=context)
        except ConcurrentTaskModificationError:
            return False
    else:
        await store.save(task, context)
    return True


class Recovery:
    """Heartbeats for this replica and the sweep for others' orphans; ``async with`` runs it.

    Entering registers the replica and sweeps once (so a restarted server has failed its previous run's
    tasks before it serves); a background task then beats and sweeps every ``interval_s``. Leaving fails
    this replica's own tasks still in flight (call it after the request handler has stopped them) and
    removes its row. Database errors in the background are logged and retried on the next beat.
    """

    def __init__(
        self,
        storage: TaskStorage,
        replica: Replica,
        *,
        interval_s: float = DEFAULTS.replica_heartbeat_s,
        timeout_s: float = DEFAULTS.replica_timeout_s,
    ) -> None:
        self.storage = storage
        self.replica = replica
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self._beating: asyncio.Task[None] | None = None

    @property
    def stamp(self) -> dict[str, str]:
        """The metadata a task carries while this replica works on it."""
        return {RUNNER_KEY: self.replica.id}

    async def __aenter__(self) -> Recovery:
        registry = self.storage.replicas
        if registry is not None:
            # Serving matters more than either step: a store that fails here (a damaged tasks.db) still
            # answers each request with what is wrong, and the next beat tries both again.
            try:
                await registry.beat(self.replica, time.time())
            except Exception:
                log.exception("could not register this server in the task store")
            else:
                try:
                    await self.sweep()
                except Exception:
                    log.exception("could not fail the tasks a previous server left in flight")
            self._beating = asyncio.create_task(self._beat(), name=f"replica-{self.replica.id}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        registry = self.storage.replicas
        if registry is None:
            return
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating
        try:
            await self._fail_orphans(self.replica.id, STOPPED)
            await registry.forget(self.replica.id)
        except Exception:
            log.warning("could not fail this server's interrupted tasks; the next start will", exc_info=True)

    async def sweep(self) -> int:
        """Fail the in-flight tasks of every replica that is gone; return how many were failed."""
        registry = self.storage.replicas
        if registry is None:
            return 0
        failed = 0
        now = time.time()
        for row in await registry.replicas():
            reason = self._gone(row, now)
            if reason is None:
                continue
            failed += await self._fail_orphans(row.id, reason)
            await registry.forget(row.id)  # only once its tasks are dealt with: a crash here retries them
        return failed

    def _gone(self, row: ReplicaRow, now: float) -> str | None:
        if row.id == self.replica.id:
            return None
        if self.replica.address is not None and row.address == self.replica.address:
            return RESTARTED
        if now - row.heartbeat > self.timeout_s:
            return _silent(self.timeout_s)
        return None

    async def _fail_orphans(self, replica_id: str, reason: str) -> int:
        assert self.storage.replicas is not None
        failed = 0
        for task_id, owner in await self.storage.replicas.orphans(replica_id):
            if await fail_interrupted(self.storage, task_id, owner, reason):
                log.warning("task %s %s", task_id, reason.split(".", 1)[0])
                failed += 1
        return failed

    async def _beat(self) -> None:
        assert self.storage.replicas is not None
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.storage.replicas.beat(self.replica, time.time())
                await self.sweep()
            except Exception:
                log.warning("replica heartbeat failed (retrying in %.0f s)", self.interval_s, exc_info=True)


def recovery_for(storage: TaskStorage, replica: Replica | None, timeout_s: float | None = None) -> Recovery:
    """The :class:`Recovery` of a server on ``storage`` (a fresh replica id when ``replica`` is ``None``);
    with ``timeout_s``, heartbeats come three times per timeout."""
    if timeout_s is None:
        return Recovery(storage, replica or Replica())
    interval = min(DEFAULTS.replica_heartbeat_s, timeout_s / 3)
    return Recovery(storage, replica or Replica(), interval_s=interval, timeout_s=timeout_s)
