"""Push notifications: which webhooks a server may call, and delivery of task updates to them.

A client registers a webhook for a task (``CreateTaskPushNotificationConfig``, 0.3
``tasks/pushNotificationConfig/set``, or inside ``SendMessage``'s configuration); the SDK's request handler
keeps the configs in a store and hands every task event to :class:`WebhookSender`, which

- posts it to each webhook of the task with the client's token (``X-A2A-Notification-Token``) and, when the
  config carries one, its ``Authorization`` — as A2A 1.0 a ``StreamResponse``, to a webhook registered through
  a 0.3 method the whole task in 0.3 JSON (what a 0.3 client's receiver expects);
- keeps each webhook's notifications in order and off the request path: one queue and one worker per webhook;
- retries a connection failure, a timeout, 408, 429 and 5xx with exponential backoff (honouring a short
  ``Retry-After``), and gives up on any other answer at once;
- never follows redirects, and calls only what :class:`WebhookPolicy` accepts: http(s) URLs whose host
  resolves to public addresses — loopback and private ones only with ``--allow-private-webhooks``; link-local
  (cloud metadata), multicast, reserved and unspecified ones never.

The policy is checked when a config is registered (the client gets ``-32602`` with the reason) and again
before each delivery, since a name may resolve elsewhere later.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import socket
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from a2a.server.id_generator import IDGenerator, IDGeneratorContext, UUIDGenerator
from a2a.server.tasks import (
    DatabaseTaskStore,
    InMemoryPushNotificationConfigStore,
    PushNotificationConfigStore,
    PushNotificationSender,
)
from a2a.types import Task, TaskArtifactUpdateEvent, TaskStatusUpdateEvent

if TYPE_CHECKING:
    import httpx
    from a2a.server.cluster import VersionedTaskStore
    from a2a.server.context import ServerCallContext
    from a2a.server.tasks import TaskStore
    from a2a.types import TaskPushNotificationConfig
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = [
    "TOKEN_HEADER",
    "PushConfigs",
    "RetryPolicy",
    "WebhookPolicy",
    "WebhookSender",
    "database_push_configs",
    "push_config_store",
]

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-A2A-Notification-Token"
_RETRIED_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class WebhookPolicy:
    """Which webhook URLs a server may call."""

    allow_private: bool = False
    """Also loopback and private addresses (``--allow-private-webhooks``: webhooks on this host or LAN)."""

    async def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be called (``None``: it may). Resolves the host without blocking the loop."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return "it is not a valid URL"
        if parts.scheme not in ("http", "https"):
            return f"only http and https webhooks are called, not {parts.scheme or 'a URL without scheme'}"
        if not parts.hostname:
            return "it names no host"
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                parts.hostname, port, type=socket.SOCK_STREAM
            )
        except OSError:
            return f"its host {parts.hostname} cannot be resolved"
        for info in infos:
            kind = _address_kind(str(info[4][0]))
            if kind is None or (self.allow_private and kind in ("loopback", "private")):
                continue
            hint = " (start the server with --allow-private-webhooks to allow it)"
            allowed = kind in ("loopback", "private")
            article = "an" if kind[0] in "aeiou" else "a"
            return f"{parts.hostname} is {article} {kind} address{hint if allowed else ''}"
        return None

    async def validate(self, url: str) -> bool:
        """The request handler's check: raises ``InvalidParamsError`` (``-32602``) naming the reason."""
        from a2a.utils.errors import InvalidParamsError

        reason = await self.refusal(url)
        if reason is not None:
            raise InvalidParamsError(message=f"push notification url {url!r} refused: {reason}")
        return True


def _address_kind(address: str) -> str | None:
    """``None`` for a public address, else what it is (``loopback``, ``private``, ``link-local``...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_link_local:
        return "link-local"
    if ip.is_loopback:
        return "loopback"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "private"  # RFC 1918, unique-local, shared (100.64/10), documentation ranges
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a webhook is tried."""

    attempts: int = 5
    """Tries per notification (the first included)."""
    backoff_s: float = 0.5
    """Wait before the second try; doubled before each next one."""
    max_backoff_s: float = 8.0
    """Cap of one wait (also of a ``Retry-After`` the webhook asks for)."""
    timeout_s: float = 10.0
    """Per request: connecting, sending, reading the answer."""
    max_pending: int = 256
    """Notifications queued per webhook; beyond it the oldest is dropped (with a warning)."""

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """The wait after failed try number ``attempt`` (1-based)."""
        if retry_after is not None and retry_after.strip().isdigit():
            return min(float(retry_after), self.max_backoff_s)
        return min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s)


class PushConfigs(PushNotificationConfigStore):
    """The push config store the request handler and :class:`WebhookSender` share, around the SDK's store.

    - It remembers which configs were registered through A2A 0.3 methods (the SDK's stores keep no protocol
      version): their webhooks get 0.3 payloads. Kept in memory, so after a restart a 0.3 client's webhook
      receives 1.0 notifications (the configs themselves persist when the store is a database).
    - The sender asks for a task's webhooks at every update; answers are reused for ``ttl_s`` seconds, and
      dropped at once when this process registers or deletes one for the task. A config registered on another
      replica is therefore used from the running task's next update at most ``ttl_s`` later, and a busy task
      costs the database one lookup per ``ttl_s`` instead of one per update.
    - A task this server has just created (:meth:`new_task_ids`) has no webhook but those registered through
      this process: its first ``ttl_s`` need no lookup at all (the same bound holds for one registered on
      another replica, which can only happen after the task exists).
    """

    def __init__(
        self, inner: PushNotificationConfigStore, *, ttl_s: float = 1.0, remember: int = 10_000
    ) -> None:
        self.inner = inner
        self.ttl_s = ttl_s
        self._remember = remember
        self._legacy: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._recent: OrderedDict[str, tuple[float, list[TaskPushNotificationConfig]]] = OrderedDict()

    def new_task_ids(self, ids: IDGenerator | None = None) -> IDGenerator:
        """``ids`` (default: random UUIDs), telling this store of each new task it names (see above)."""
        return _NewTasks(self, ids or UUIDGenerator())

    def task_created(self, task_id: str) -> None:
        """``task_id`` was just made here: no config for it yet but what :meth:`set_info` adds."""
        _remember(self._recent, task_id, (time.monotonic(), []), self._remember)

    def is_legacy(self, config: TaskPushNotificationConfig) -> bool:
        return (config.task_id, config.id) in self._legacy

    async def set_info(
        self, task_id: str, notification_config: TaskPushNotificationConfig, context: ServerCallContext
    ) -> TaskPushNotificationConfig | None:
        stored = await self.inner.set_info(task_id, notification_config, context)
        self._recent.pop(task_id, None)
        key = (task_id, (stored or notification_config).id or task_id)
        if "/" in str(context.state.get("method") or ""):  # 0.3 names its methods like tasks/get
            _remember(self._legacy, key, None, self._remember)
        else:
            self._legacy.pop(key, None)
        return stored

    async def get_info(self, task_id: str, context: ServerCallContext) -> list[TaskPushNotificationConfig]:
        return await self.inner.get_info(task_id, context)

    async def get_info_for_dispatch(self, task_id: str) -> list[TaskPushNotificationConfig]:
        now = time.monotonic()
        recent = self._recent.get(task_id)
        if recent is not None and now - recent[0] < self.ttl_s:
            return recent[1]
        configs = await self.inner.get_info_for_dispatch(task_id)
        _remember(self._recent, task_id, (now, configs), self._remember)
        return configs

    async def delete_info(
        self, task_id: str, context: ServerCallContext, config_id: str | None = None
    ) -> None:
        await self.inner.delete_info(task_id, context, config_id)
        self._recent.pop(task_id, None)
        for key in [key for key in self._legacy if key[0] == task_id and config_id in (None, key[1])]:
            self._legacy.pop(key, None)


class _NewTasks(IDGenerator):
    def __init__(self, configs: PushConfigs, ids: IDGenerator) -> None:
        self.configs = configs
        self.ids = ids

    def generate(self, context: IDGeneratorContext) -> str:
        task_id = self.ids.generate(context)
        self.configs.task_created(task_id)
        return task_id


def _remember(table: OrderedDict[Any, Any], key: Any, value: Any, limit: int) -> None:
    table[key] = value
    table.move_to_end(key)
    while len(table) > limit:
        table.popitem(last=False)


def push_config_store(task_store: TaskStore | VersionedTaskStore) -> PushConfigs:
    """Where push configs live: beside the tasks in the same database (table ``<task table>_push_configs``,
    so every replica sees them and they survive restarts), or in memory with an in-memory task store. (The
    PostgreSQL task store brings its own: :attr:`servers.a2a.store.TaskStorage.push_configs`.)"""
    if isinstance(task_store, DatabaseTaskStore):
        return PushConfigs(database_push_configs(task_store.engine, task_store.task_model.__tablename__))
    return PushConfigs(InMemoryPushNotificationConfigStore())


def database_push_configs(engine: AsyncEngine, task_table: str) -> PushNotificationConfigStore:
    """The SDK's SQL push config store on ``engine``, in table ``<task_table>_push_configs``."""
    from a2a.server.tasks import DatabasePushNotificationConfigStore

    store = DatabasePushNotificationConfigStore(engine, create_table=True)
    store.config_model = _config_model(f"{task_table}_push_configs")
    return store


@functools.cache
def _config_model(table: str) -> Any:
    """One mapped class per table for the whole process."""
    import warnings

    from a2a.server.models import create_push_notification_config_model
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():  # every SDK table class is first named alike; the registry only notes it
        warnings.simplefilter("ignore", SAWarning)
        return create_push_notification_config_model(table)


@dataclass
class _Webhook:
    """One webhook's queue of notification bodies and the worker draining it."""

    config: TaskPushNotificationConfig
    pending: deque[dict[str, Any]] = field(default_factory=deque)
    worker: asyncio.Task[None] | None = None


class WebhookSender(PushNotificationSender):
    """Delivers task events to the task's webhooks (see the module docstring for the rules).

    :meth:`send_notification` only queues: the task's work never waits for a webhook. Close with
    :meth:`aclose`, which lets queued notifications go out for a short grace period, then stops.
    """

    def __init__(
        self,
        configs: PushConfigs,
        *,
        policy: WebhookPolicy,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str = "protoplay-push",
    ) -> None:
        import httpx

        self.configs = configs
        self.policy = policy
        self.retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(
            timeout=self.retry.timeout_s,
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": user_agent},
        )
        self._webhooks: dict[tuple[str, str, str], _Webhook] = {}
        self._tasks: OrderedDict[str, Task] = OrderedDict()  # latest state of tasks with a 0.3 webhook
        self._closed = False

    async def send_notification(self, task_id: str, event: Any) -> None:
        if self._closed:
            return
        try:
            configs = await self.configs.get_info_for_dispatch(task_id)
        except Exception:  # a store that cannot say must not stall the task: its webhooks miss this update
            log.exception("push: could not read the webhooks of task %s; this update is not sent", task_id)
            return
        if not configs:
            return
        legacy = {config.id for config in configs if self.configs.is_legacy(config)}
        task = self._fold(task_id, event) if legacy else None
        for config in configs:
            body = _legacy_body(task) if task is not None and config.id in legacy else _body(event)
            self._enqueue(task_id, config, body)

    async def aclose(self, *, grace_s: float = 2.0) -> None:
        """Stop accepting notifications, give queued ones ``grace_s`` to go out, then cancel the rest."""
        self._closed = True
        workers = [hook.worker for hook in self._webhooks.values() if hook.worker is not None]
        if workers:
            _done, late = await asyncio.wait(workers, timeout=grace_s)
            for worker in late:
                worker.cancel()
            for worker in late:
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
        await self._http.aclose()

    # ------------------------------------------------------------------------------------------ queueing

    def _enqueue(self, task_id: str, config: TaskPushNotificationConfig, body: dict[str, Any]) -> None:
        key = (task_id, config.id, config.url)
        hook = self._webhooks.get(key)
        if hook is None:
            hook = self._webhooks[key] = _Webhook(config)
        hook.config = config  # the latest token and authentication
        if len(hook.pending) >= self.retry.max_pending:
            hook.pending.popleft()
            log.warning(
                "push: webhook %s of task %s is behind; dropped its oldest update", config.url, task_id
            )
        hook.pending.append(body)
        if hook.worker is None:
            hook.worker = asyncio.create_task(self._drain(key, hook), name=f"push:{task_id}:{config.id}")

    async def _drain(self, key: tuple[str, str, str], hook: _Webhook) -> None:
        try:
            while hook.pending:
                try:
                    await self._deliver(key[0], hook.config, hook.pending.popleft())
                except Exception:  # a bug here must not stop the webhook's later updates
                    log.exception("push: delivery to %s for task %s crashed", hook.config.url, key[0])
        finally:
            # No await between the last check and this removal: a new notification starts a new worker.
            hook.worker = None
            if not hook.pending:
                self._webhooks.pop(key, None)

    # ------------------------------------------------------------------------------------------ delivery

    async def _deliver(self, task_id: str, config: TaskPushNotificationConfig, body: dict[str, Any]) -> bool:
        """Post ``body`` to the webhook, retrying what may pass later; whether it was accepted."""
        import httpx

        headers = {TOKEN_HEADER: config.token} if config.token else {}
        if config.HasField("authentication") and config.authentication.credentials:
            headers["Authorization"] = f"{config.authentication.scheme} {config.authentication.credentials}"
        reason = ""
        for attempt in range(1, self.retry.attempts + 1):
            # Checked each try, since a name may resolve elsewhere by now. httpx resolves it once more to
            # connect, so a resolver that answers differently within that instant is not stopped here.
            refusal = await self.policy.refusal(config.url)
            if refusal is not None:
                log.warning("push: not calling %s for task %s: %s", config.url, task_id, refusal)
                return False
            retry_after = None
            try:
                response = await self._http.post(config.url, json=body, headers=headers)
            except httpx.HTTPError as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                if response.is_success:
                    return True
                reason = f"HTTP {response.status_code}"
                if response.status_code not in _RETRIED_STATUSES:
                    log.warning(
                        "push: %s refused task %s's update (%s); not retried", config.url, task_id, reason
                    )
                    return False
                retry_after = response.headers.get("retry-after")
            if attempt < self.retry.attempts:
                await asyncio.sleep(self.retry.delay(attempt, retry_after))
        log.warning(
            "push: gave up on %s for task %s after %d tries (%s)",
            config.url,
            task_id,
            self.retry.attempts,
            reason,
        )
        return False

    def _fold(self, task_id: str, event: Any) -> Task:
        """The task as it stands after ``event`` (kept for the 0.3 webhooks, which receive whole tasks)."""
        task = self._tasks.get(task_id)
        if isinstance(event, Task):
            task = Task()
            task.CopyFrom(event)
        else:
            if task is None:  # registered mid-way (or after a restart): start from what the event says
                task = Task(id=task_id, context_id=getattr(event, "context_id", ""))
            if isinstance(event, TaskStatusUpdateEvent):
                task.status.CopyFrom(event.status)
            elif isinstance(event, TaskArtifactUpdateEvent):
                _merge_artifact(task, event)
        _remember(self._tasks, task_id, task, 1024)
        return task


def _merge_artifact(task: Task, event: TaskArtifactUpdateEvent) -> None:
    for artifact in task.artifacts:
        if artifact.artifact_id == event.artifact.artifact_id:
            if event.append:
                artifact.parts.extend(event.artifact.parts)
            else:
                artifact.CopyFrom(event.artifact)
            return
    task.artifacts.append(event.artifact)


def _body(event: Any) -> dict[str, Any]:
    """A2A 1.0: the event as a ``StreamResponse``."""
    from a2a.utils.proto_utils import to_stream_response
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(to_stream_response(event))


def _legacy_body(task: Task) -> dict[str, Any]:
    """A2A 0.3: the whole task, in 0.3 JSON."""
    from a2a.compat.v0_3.conversions import to_compat_task

    return to_compat_task(task).model_dump(mode="json", by_alias=True, exclude_none=True)
