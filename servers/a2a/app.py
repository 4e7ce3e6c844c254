"""What every protoplay A2A server shares: the agent card, bearer-token checks, the task store, the app.

- :func:`skills_from_tools` groups an MCP tool list (name, description, input schema, ``protoplay/theme``)
  into A2A skills, one per theme: the specialist's card derives from the MCP catalogue, never kept by hand;
- :func:`agent_card` assembles a card: JSON-RPC interface, streaming, and a bearer scheme when a token is set;
- :class:`BearerAuth` is the ASGI middleware that checks the token (the SDK declares schemes but checks
  nothing): every request but ``GET`` of the card needs ``Authorization: Bearer <token>``, else 401 before the
  request reaches the SDK (so nothing is created);
- :func:`open_task_store` opens the SDK's database task store on any SQLAlchemy URL (default: SQLite in
  ``$PROTOPLAY_HOME/tasks.db``);
- :func:`build_app` wires card, JSON-RPC routes, executor and store into a Starlette app;
  :func:`serve` runs it under uvicorn in the current event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import logging
import re
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from a2a.server.agent_execution import AgentExecutor
    from a2a.server.request_handlers import DefaultRequestHandler
    from a2a.server.tasks import TaskStore
    from a2a.types import AgentCard, AgentSkill
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.applications import Starlette

__all__ = [
    "CARD_PATH",
    "TOKEN_ENV",
    "A2AApp",
    "BearerAuth",
    "StoreError",
    "agent_card",
    "build_app",
    "default_store_url",
    "free_port",
    "listen",
    "open_task_store",
    "protoplay_version",
    "public_url",
    "run_server",
    "serve",
    "skills_from_tools",
]

log = logging.getLogger(__name__)

CARD_PATH = "/.well-known/agent-card.json"
TOKEN_ENV = "PROTOPLAY_A2A_TOKEN"
"""Environment variable read when ``--token`` is not given."""

#: One or two requests per theme that a model (or the offline model) can send as they are; the tests check
#: that each reaches a tool of its theme. Themes come from the MCP tools' ``protoplay/theme``; a theme
#: without an entry gets examples made from its tools' summaries.
THEME_EXAMPLES: dict[str, tuple[str, ...]] = {
    "information theory": (
        "Entropy of [0.5, 0.25, 0.25] in bits",
        "KL divergence between p = [0.9, 0.1] and q = [0.5, 0.5]",
    ),
    "model complexity": (
        'Compare the backbones ["ResNet-18", "MobileNetV2", "EfficientNet-B0"] by parameters and MACs',
        "Parameters of a conv2d layer with kernel size 3, 64 input channels and 128 output channels",
    ),
    "fine-tuning": (
        "GPU memory to fine-tune llama-7b with qlora on a 24 GB GPU",
        "Trainable parameters of lora on llama-7b",
    ),
    "optimizers": (
        "Recommend an optimizer for llm_finetuning of a transformer",
        "Compare optimizers on rosenbrock",
    ),
    "training diagnostics": (
        "Diagnose training: train loss [2.0, 1.2, 0.8, 0.5, 0.3] and val loss [2.1, 1.4, 1.1, 1.2, 1.5]",
    ),
    "out-of-distribution detection": (
        "Detect out-of-distribution samples from logits [[5.0, 0.1, 0.2], [0.4, 0.5, 0.45]]",
    ),
    "notes": ("Explain LoRA", "List the knowledge notes"),
}

_TEXT_MODES = ["text/plain", "text/markdown"]
_OUTPUT_MODES = ["text/markdown", "application/json", "image/png"]


class StoreError(Exception):
    """The task store URL is unusable (bad URL, missing driver, unreachable database)."""


# ------------------------------------------------------------------------------------------------- card


def skills_from_tools(tools: Sequence[Any], *, theme_order: Sequence[str] = ()) -> list[AgentSkill]:
    """One skill per theme of an MCP tool list (``tools/list`` result items).

    A skill's description lists its tools with their parameters (optional ones marked ``?``) and summaries;
    its tags are the theme and the tool names; its examples are :data:`THEME_EXAMPLES` for the theme.
    """
    from a2a.types import AgentSkill

    groups: dict[str, list[Any]] = {}
    for tool in tools:
        meta = getattr(tool, "meta", None) or {}
        groups.setdefault(str(meta.get("protoplay/theme") or "other"), []).append(tool)
    order = {theme: i for i, theme in enumerate(theme_order)}
    skills = []
    for theme in sorted(groups, key=lambda t: (order.get(t, len(order)), list(groups).index(t))):
        members = groups[theme]
        lines = "; ".join(f"{_signature(tool)} — {_summary(tool.description or '')}" for tool in members)
        examples = THEME_EXAMPLES.get(theme) or tuple(
            _summary(tool.description or "") for tool in members[:2]
        )
        skills.append(
            AgentSkill(
                id=_slug(theme),
                name=theme.capitalize(),
                description=f"{theme.capitalize()} with {len(members)} tools: {lines}.",
                tags=[theme, *(tool.name for tool in members)],
                examples=list(examples),
                input_modes=_TEXT_MODES,
                output_modes=_OUTPUT_MODES,
            )
        )
    return skills


def agent_card(
    *,
    name: str,
    description: str,
    url: str,
    skills: Sequence[AgentSkill],
    token_required: bool,
    streaming: bool = True,
) -> AgentCard:
    """A card with one JSON-RPC interface at ``url`` (A2A 1.0); a bearer scheme when a token is required."""
    from a2a.types import (
        AgentCapabilities,
        AgentCard,
        AgentInterface,
        AgentProvider,
        HTTPAuthSecurityScheme,
        SecurityRequirement,
        SecurityScheme,
        StringList,
    )

    card = AgentCard(
        name=name,
        description=description,
        version=protoplay_version(),
        supported_interfaces=[AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version="1.0")],
        provider=AgentProvider(organization="protoplay", url="https://github.com/protoplay/protoplay"),
        capabilities=AgentCapabilities(streaming=streaming, push_notifications=False),
        default_input_modes=_TEXT_MODES,
        default_output_modes=_OUTPUT_MODES,
        skills=list(skills),
    )
    if token_required:
        card.security_schemes["bearer"].CopyFrom(
            SecurityScheme(
                http_auth_security_scheme=HTTPAuthSecurityScheme(
                    scheme="Bearer", description=f"A static token (--token or {TOKEN_ENV})."
                )
            )
        )
        card.security_requirements.append(SecurityRequirement(schemes={"bearer": StringList()}))
    return card


def _signature(tool: Any) -> str:
    schema = getattr(tool, "input_schema", None) or {}
    required = set(schema.get("required") or ())
    params = [name if name in required else f"{name}?" for name in (schema.get("properties") or {})]
    return f"{tool.name}({', '.join(params)})"


def _summary(description: str) -> str:
    line = description.strip().split("\n", 1)[0]
    return line.rstrip(". ")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "skill"


def protoplay_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("protoplay")
    except PackageNotFoundError:
        return "0+unknown"


# ------------------------------------------------------------------------------------------------- auth


class BearerAuth:
    """ASGI middleware: ``Authorization: Bearer <token>`` on every request except ``GET`` of the card.

    A request without the right token is answered 401 (with ``WWW-Authenticate: Bearer``) and never reaches
    the A2A handler, so it creates nothing. The token is compared in constant time.
    """

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self._public(scope) or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "error": "unauthorized",
                "message": "This A2A server requires 'Authorization: Bearer <token>' (see its agent card).",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="protoplay"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _public(scope: dict[str, Any]) -> bool:
        return scope.get("method") in ("GET", "HEAD") and scope.get("path") == CARD_PATH

    def _authorized(self, scope: dict[str, Any]) -> bool:
        for key, value in scope.get("headers") or ():
            if key == b"authorization":
                return hmac.compare_digest(value, self._expected)
        return False


# ------------------------------------------------------------------------------------------------- store


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


# ------------------------------------------------------------------------------------------------- app


@dataclass
class A2AApp:
    """An A2A server's ASGI app and the request handler behind it (close it with :meth:`aclose`)."""

    app: Starlette
    handler: DefaultRequestHandler
    card: AgentCard

    async def aclose(self) -> None:
        await self.handler.aclose()


def build_app(
    *, card: AgentCard, executor: AgentExecutor, store: TaskStore, token: str | None = None
) -> A2AApp:
    """Card route + JSON-RPC at ``/`` (all A2A 1.0 methods), wrapped in :class:`BearerAuth` when ``token``."""
    from a2a.server.request_handlers import DefaultRequestHandler
    from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
    from starlette.applications import Starlette
    from starlette.middleware import Middleware

    handler = DefaultRequestHandler(agent_executor=executor, task_store=store, agent_card=card)
    routes = create_agent_card_routes(card) + create_jsonrpc_routes(handler, "/")
    middleware = [Middleware(BearerAuth, token=token)] if token else []
    return A2AApp(Starlette(routes=routes, middleware=middleware), handler, card)


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
    app: Any, sock: socket.socket, *, log_level: str = "warning", ready: asyncio.Event | None = None
) -> None:
    """Serve ``app`` on ``sock`` under uvicorn until cancelled (then shut down gracefully, bounded to 5 s).

    ``ready`` is set once the server accepts connections.
    """
    import uvicorn

    config = uvicorn.Config(
        app, log_level=log_level.lower(), lifespan="off", timeout_graceful_shutdown=5, access_log=False
    )
    server = uvicorn.Server(config)
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
    **options: Any,
) -> None:
    """Listen on ``host:port``, open the app with ``open_app(url=..., **options)``, serve it until cancelled.

    ``url`` is what the card advertises (``advertised_url``, else ``http://host:port/``); ``on_ready(url)`` is
    called and ``ready`` set once the server accepts connections.
    """
    sock = listen(host, port)
    try:
        url = advertised_url or public_url(host, sock.getsockname()[1])
        async with open_app(url=url, **options) as a2a:
            started = ready or asyncio.Event()
            waiter = asyncio.create_task(_announce(started, on_ready, url))
            try:
                await serve(a2a.app, sock, log_level=log_level, ready=started)
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
