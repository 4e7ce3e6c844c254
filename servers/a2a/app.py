"""The A2A server app: card route and JSON-RPC routes around an executor and a task store, behind bearer auth
when a token is set, served by uvicorn in the current event loop.

- :func:`build_app` wires card, JSON-RPC routes (A2A 1.0 and 0.3), executor, task store and push notifications
  into a Starlette app, behind the body limit and the per-part limits of :mod:`servers.a2a.limits`;
- :func:`serve` runs it under uvicorn on a socket from :func:`listen`; :func:`run_server` does both and
  announces the URL.

The card (:mod:`servers.a2a.card`), the endpoint (:mod:`servers.a2a.jsonrpc`), the token check
(:mod:`servers.a2a.auth`), the task store (:mod:`servers.a2a.store`) and webhook delivery
(:mod:`servers.a2a.push`) live beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servers.a2a.auth import ANONYMOUS, BearerAuth
from servers.a2a.replicas import Replica
from servers.a2a.store import TaskStorage
from servers.serving import DEFAULT_MAX_BODY, BodyLimit, settle_heap

if TYPE_CHECKING:
    import httpx
    from a2a.server.agent_execution import AgentExecutor
    from a2a.server.request_handlers import DefaultRequestHandler
    from a2a.server.tasks import TaskStore
    from a2a.types import AgentCard
    from starlette.applications import Starlette

    from servers.a2a.limits import MessageLimits
    from servers.a2a.push import RetryPolicy, WebhookSender

__all__ = ["A2AApp", "build_app", "free_port", "listen", "public_url", "run_server", "serve"]

log = logging.getLogger(__name__)


@dataclass
class A2AApp:
    """An A2A server's ASGI app, the request handler and the webhook sender behind it (close it with
    :meth:`aclose`)."""

    app: Starlette
    handler: DefaultRequestHandler
    card: AgentCard
    push: WebhookSender

    async def aclose(self) -> None:
        await self.handler.aclose()  # running tasks end first: their last updates still go to the webhooks
        await self.push.aclose()


def build_app(
    *,
    card: AgentCard,
    executor: AgentExecutor,
    store: TaskStore | TaskStorage,
    token: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    limits: MessageLimits | None = None,
    tokens: Mapping[str, str] | None = None,
    allow_private_webhooks: bool = False,
    push_retry: RetryPolicy | None = None,
    push_transport: httpx.AsyncBaseTransport | None = None,
) -> A2AApp:
    """Card route + JSON-RPC at ``/`` (every A2A 1.0 method, and the 0.3 ones), push notifications to the
    webhooks clients register (see :mod:`servers.a2a.push`), wrapped in :class:`BearerAuth` when ``token``
    (one shared token) or ``tokens`` (token → principal) is given.

    A body over ``max_body_bytes`` gets 413 before it is read (after the token check: an anonymous client
    cannot make the server read anything); a message with a part over ``limits`` is refused before a task
    exists. A failing SQLite task store answers with a sentence, never with SQL
    (:mod:`servers.a2a.store_faults`). ``store`` is an SDK task store, or a
    :class:`~servers.a2a.store.TaskStorage` (its store and, when it has them, its cross-replica event stream
    and push config store). ``allow_private_webhooks`` lets webhooks on loopback and private addresses be
    called.
    """
    from a2a.server.cluster import VersionedTaskStore
    from a2a.server.routes import create_agent_card_routes
    from starlette.applications import Starlette
    from starlette.middleware import Middleware

    from servers.a2a.handler import ProtoplayRequestHandler
    from servers.a2a.jsonrpc import TaskContextBuilder, jsonrpc_routes
    from servers.a2a.limits import jsonrpc_error_body
    from servers.a2a.push import WebhookPolicy, WebhookSender
    from servers.a2a.spans import a2a_server_spans, agent_spans
    from servers.a2a.store_faults import FaultTolerantStore

    storage = store if isinstance(store, TaskStorage) else TaskStorage(store)
    configs = storage.push_config_store()
    policy = WebhookPolicy(allow_private=allow_private_webhooks)
    push = WebhookSender(
        configs, policy=policy, retry=push_retry, transport=push_transport, user_agent=f"{card.name}-push"
    )
    # The SDK's own stores (SQLite, in memory) report failures through FaultTolerantStore; the PostgreSQL
    # store (a versioned one) words its own errors.
    tasks = (
        storage.store if isinstance(storage.store, VersionedTaskStore) else FaultTolerantStore(storage.store)
    )
    handler = ProtoplayRequestHandler(
        agent_executor=agent_spans(executor, agent=card.name),  # unchanged while OpenTelemetry export is off
        task_store=tasks,
        agent_card=card,
        event_stream=storage.events,
        push_config_store=configs,
        push_sender=push,
        push_url_validator=policy.validate,
        request_context_builder=TaskContextBuilder(tasks, task_ids=configs.new_task_ids(storage.task_ids)),
        limits=limits,
    )
    routes = create_agent_card_routes(card) + jsonrpc_routes(handler, "/")
    accepted = dict(tokens or {}) | ({token: ANONYMOUS} if token else {})
    middleware = a2a_server_spans() + ([Middleware(BearerAuth, tokens=accepted)] if accepted else [])
    middleware.append(Middleware(BodyLimit, max_bytes=max_body_bytes, error_body=jsonrpc_error_body))
    return A2AApp(Starlette(routes=routes, middleware=middleware), handler, card, push)


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: the OS picks one; read it from ``getsockname()``).

    Raises ``OSError`` with a readable message when the address is taken or not local.
    """
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


async def serve(
    app: Any,
    sock: socket.socket,
    *,
    log_level: str = "warning",
    ready: asyncio.Event | None = None,
    handle_signals: bool = True,
) -> None:
    """Serve ``app`` on ``sock`` under uvicorn until cancelled (then shut down gracefully, bounded to 5 s).

    ``ready`` is set once the server accepts connections. ``handle_signals=False`` leaves Ctrl+C and SIGTERM
    to whoever runs the event loop: a program running several servers (``protoplay demo``) must stop them all
    its own way, not find them shutting down one by one under it.
    """
    import uvicorn

    config = uvicorn.Config(
        app, log_level=log_level.lower(), lifespan="off", timeout_graceful_shutdown=5, access_log=False
    )
    server = uvicorn.Server(config)
    if not handle_signals:
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                await task
                raise OSError("the server stopped while starting")
            await asyncio.sleep(0.01)
        if ready is not None:
            ready.set()
        await asyncio.shield(task)
    except asyncio.CancelledError:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise
    finally:
        sock.close()


async def run_server(
    open_app: Any,
    *,
    host: str,
    port: int,
    advertised_url: str | None = None,
    log_level: str = "warning",
    on_ready: Any = None,
    ready: asyncio.Event | None = None,
    handle_signals: bool = True,
    **options: Any,
) -> None:
    """Listen on ``host:port``, open the app with ``open_app(url=..., **options)``, serve it until cancelled.

    ``url`` is what the card advertises (``advertised_url``, else ``http://host:port/``); ``replica`` names
    this server by its host and port (a later server there is this one restarted); ``on_ready(url)`` is
    called and ``ready`` set once the server accepts connections; ``handle_signals``: see :func:`serve`. What
    opening the app built is moved out of the garbage collector's reach first
    (:func:`servers.serving.settle_heap`).
    """
    sock = listen(host, port)
    try:
        url = advertised_url or public_url(host, sock.getsockname()[1])
        replica = Replica.listening_on(sock.getsockname()[1])
        async with open_app(url=url, replica=replica, **options) as a2a:
            settle_heap()
            started = ready or asyncio.Event()
            waiter = asyncio.create_task(_announce(started, on_ready, url))
            try:
                await serve(a2a.app, sock, log_level=log_level, ready=started, handle_signals=handle_signals)
            finally:
                waiter.cancel()
    finally:
        sock.close()


async def _announce(ready: asyncio.Event, on_ready: Any, url: str) -> None:
    await ready.wait()
    if on_ready is not None:
        on_ready(url)


def public_url(host: str, port: int) -> str:
    """``http://host:port/`` as peers should reach the server (wildcard binds advertise 127.0.0.1)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (for a peer URL that must refuse connections)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
