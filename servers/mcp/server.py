"""protoplay's MCP server: the tool catalogue as tools, the notes and the zoo as resources, guided prompts.

A thin adapter over :mod:`tools.catalog` (no ML logic here): :func:`build_server` registers every catalogue
tool generically (:mod:`servers.mcp.tools`), the resources (:mod:`servers.mcp.resources`) and the prompts
(:mod:`servers.mcp.prompts`). :func:`spawned_server` is the same server for a process a client has just
spawned: it answers the handshake and the listings from a saved copy (:mod:`servers.mcp.listing`) and imports
the catalogue on the first call. :func:`serve_spawned`, :func:`serve_stdio` and :func:`serve_http` run a
server; :func:`http_app` is the streamable-HTTP ASGI app (``/mcp``) with DNS-rebinding protection and
optional bearer-token auth.

Torch, torchvision and matplotlib are never imported to list anything: the first tool (or resource) that
needs them imports them.
"""

from __future__ import annotations

import hmac
import logging
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
import mcp_types
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INTERNAL_ERROR,
    Completion,
    CompletionArgument,
    InputRequiredResult,
    PromptReference,
    ResourceTemplateReference,
)

from agents.config import Env
from servers.mcp import listing as mcp_listing
from servers.mcp.elicitation import complete_arguments
from servers.mcp.server_logs import add_logging, send_log
from servers.mcp.workers import PoolSettings, ToolWorkerPool

if TYPE_CHECKING:
    from tools.catalog import ToolSpec

__all__ = [
    "MCP_PATH",
    "SERVER_NAME",
    "SERVICE_NAME",
    "TOKEN_ENV",
    "build_server",
    "http_app",
    "serve_http",
    "serve_spawned",
    "serve_stdio",
    "spawned_server",
]

SERVER_NAME = "protoplay"
SERVICE_NAME = "protoplay-mcp"
"""The ``service.name`` of the server's OpenTelemetry spans."""
MCP_PATH = "/mcp"
TOKEN_ENV = Env.MCP_TOKEN.value
_MAX_COMPLETIONS = 100
log = logging.getLogger(__name__)


def build_server(
    *,
    tools: Sequence[ToolSpec] | None = None,
    token: str | None = None,
    log_level: str = "WARNING",
    workers: PoolSettings | ToolWorkerPool | None = PoolSettings(),
) -> MCPServer:
    """The MCP server for ``tools`` (default: the whole catalogue), with the notes, the zoo and the prompts.

    ``token`` makes the HTTP app require ``Authorization: Bearer <token>`` (stdio has no use for it). The
    server object is transport-neutral: pass it to :func:`serve_stdio`, :func:`http_app` or ``mcp.Client``.
    Long-running tools run in worker processes under ``workers`` (:mod:`servers.mcp.workers`: settings, or a
    pool to share); ``None`` runs them in threads of this process like the other tools.
    """
    # Imported here, not at module level: a pre-listed server (spawned_server) starts without the catalogue.
    from servers.mcp.prompts import add_prompts
    from servers.mcp.resources import add_resources
    from servers.mcp.tools import catalogue_tool
    from tools.catalog import TOOLS

    specs = TOOLS if tools is None else tuple(tools)
    pool = ToolWorkerPool(workers) if isinstance(workers, PoolSettings) else workers
    auth: dict[str, Any] = {}
    if token:
        # Only the token verifier matters: no resource_server_url, so no OAuth metadata is advertised.
        auth = {
            "token_verifier": _StaticTokenVerifier(token),
            "auth": AuthSettings(issuer_url="http://127.0.0.1", resource_server_url=None),
        }
    mcp_tools = [catalogue_tool(spec, pool=pool) for spec in specs]
    server = _CatalogueServer(
        SERVER_NAME,
        title=_TITLE,
        version=_version(),
        instructions=_instructions(specs),
        tools=mcp_tools,
        log_level=log_level.upper(),
        **auth,
    )
    server.input_schemas = {tool.name: tool.parameters for tool in mcp_tools}
    server.long_running = frozenset(spec.name for spec in specs if spec.long_running)
    add_resources(server)
    add_prompts(server)
    server.completion()(_complete)
    return server


def spawned_server(
    *, log_level: str = "WARNING", workers: PoolSettings | ToolWorkerPool | None = PoolSettings()
) -> MCPServer:
    """The whole-catalogue server for a process a client has just spawned (stdio), ready as soon as possible.

    With a saved listing that matches the code, the handshake and every ``*/list`` are answered from it, and
    the catalogue is imported and registered on the first request that needs it (a call, a read, a prompt).
    Otherwise the server is built now and its listing saved for the next start. Call it before the event
    loop runs (it runs one briefly to read the listing it saves).
    """
    stamp = mcp_listing.fingerprint()  # before building: an edit meanwhile must not be saved as this code's
    listing = mcp_listing.load(stamp)
    if listing is not None:
        return _PreListedServer(listing, log_level=log_level, workers=workers)
    server = build_server(log_level=log_level, workers=workers)
    mcp_listing.save(anyio.run(mcp_listing.capture, server), stamp)
    return server


def serve_stdio(server: MCPServer) -> None:
    """Serve over stdin/stdout until the client closes stdin (fd 1 carries nothing but protocol; a message
    too large for any tool is refused as it is read: :mod:`servers.mcp.stdio`)."""
    from servers.mcp.stdio import serve_stdio_bounded

    anyio.run(serve_stdio_bounded, server)


def serve_spawned(*, log_level: str = "WARNING") -> int:
    """``protoplay serve mcp`` (stdio): log to stderr, serve :func:`spawned_server` until stdin closes.
    Spans are exported when the environment names an OTLP endpoint (a client that exports passes its own
    on)."""
    from agents.telemetry import configure

    level = log_level.upper()
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)
    configure(service=SERVICE_NAME)
    if sys.stdin.isatty():
        print(
            "protoplay MCP server: speaking MCP on stdin/stdout, for an MCP client to start "
            "(`protoplay mcp-config` prints Claude Desktop's entry). Ctrl+C stops it.",
            file=sys.stderr,
        )
    try:
        serve_stdio(spawned_server(log_level=log_level))
    except KeyboardInterrupt:
        return 130
    return 0


def http_app(server: MCPServer, *, host: str = "127.0.0.1", allowed_hosts: Iterable[str] = ()) -> Any:
    """The streamable-HTTP ASGI app, serving MCP at ``/mcp``.

    DNS-rebinding protection is always on: the Host header must name a loopback address, the bind address or
    one of ``allowed_hosts`` (any port) — anything else gets 421 — and a browser Origin must name one of them
    too (403). With OpenTelemetry export on, the SDK's span of each message also names the session.
    """
    from servers.telemetry import mcp_session_spans

    mcp_session_spans(server)
    from servers.serving import transport_security  # here: it imports typer, which stdio start-up skips

    return server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        host=host,
        transport_security=transport_security(host, allowed_hosts),
    )


def serve_http(
    server: MCPServer,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    allowed_hosts: Iterable[str] = (),
    log_level: str = "warning",
) -> None:
    """Serve streamable HTTP on ``host:port`` until interrupted."""
    import uvicorn

    from servers.serving import settle_heap

    app = http_app(server, host=host, allowed_hosts=allowed_hosts)
    settle_heap()
    uvicorn.run(app, host=host, port=port, log_level=log_level.lower(), lifespan="on")


# --------------------------------------------------------------------------------------------- internals

_TITLE = "protoplay ML utilities"


class _CatalogueServer(MCPServer):
    """The catalogue's server: the SDK's, plus what a client's mistake or a missing argument deserves.

    - ``resources/read`` outside ``notes://`` and ``arch://`` says which resources exist (``-32602``, the
      resource-not-found code of SEP-2164).
    - ``prompts/get`` for an unknown prompt, an unknown or a missing argument is a ``-32602`` naming it (the
      SDK answers a bare ValueError: code 0 and a traceback in the log); a prompt that crashes is logged with
      its traceback and answered with a short ``-32603``.
    - ``tools/call`` without a required argument asks the user for it when the client supports elicitation
      (:mod:`servers.mcp.elicitation`).
    - Long tools log their start and end to the client (:mod:`servers.mcp.server_logs`; their progress
      messages are logged by the tool adapter); ``logging/setLevel`` is served.
    """

    input_schemas: Mapping[str, Mapping[str, Any]] = {}
    """Each tool's input schema (for the arguments a call leaves out)."""
    long_running: frozenset[str] = frozenset()
    """Tools whose calls may take seconds (their start and end are logged to the client)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_logging(self)

    async def get_prompt(self, name: str, arguments: dict[str, Any] | None = None, context: Any = None):
        from servers.mcp.prompts import check_prompt_request

        check_prompt_request(await self.list_prompts(), name, arguments)
        try:
            return await super().get_prompt(name, arguments, context)
        except MCPError:
            raise
        except Exception as exc:
            log.error("prompt %r failed", name, exc_info=exc.__cause__ or exc)
            message = f"internal error rendering the prompt {name!r} (see the server log)"
            raise MCPError(code=INTERNAL_ERROR, message=message) from None

    async def read_resource(self, uri: Any, context: Any = None) -> Any:
        from servers.mcp.resources import check_resource_uri

        check_resource_uri(str(uri))
        return await super().read_resource(uri, context)

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        schema = self.input_schemas.get(name)
        if schema is not None and context is not None:
            completed = await complete_arguments(context, name, schema, arguments)
            if isinstance(completed, InputRequiredResult):
                return completed
            arguments = completed
        if name not in self.long_running or context is None or not _runs(name, arguments):
            return await super().call_tool(name, arguments, context)
        await send_log(context, "info", f"{name}: started", logger=f"protoplay.{name}")
        started = time.perf_counter()
        try:
            result = await super().call_tool(name, arguments, context)
        except Exception as exc:
            # The SDK wraps the tool's own error ("Error executing tool X: …"); the log says it once.
            reason = exc.__cause__ if isinstance(exc.__cause__, ToolError) else exc
            await send_log(context, "warning", f"{name}: stopped: {reason}", logger=f"protoplay.{name}")
            raise
        elapsed = time.perf_counter() - started
        await send_log(context, "info", f"{name}: finished in {elapsed:.2f} s", logger=f"protoplay.{name}")
        return result


def _runs(tool: str, arguments: Mapping[str, Any]) -> bool:
    """Whether the arguments pass the tool's validation, so the call runs the tool (only a call that runs
    is logged as started: a rejected one is answered at once, and its error says why)."""
    from tools.catalog import validate_arguments
    from tools.errors import ToolInputError

    try:
        validate_arguments(tool, arguments)
    except ToolInputError:
        return False
    return True


class _PreListedServer(MCPServer):
    """Answers the handshake and the list methods from a saved :class:`~servers.mcp.listing.Listing`.

    The first request that needs the catalogue itself (a call, a read, a prompt) builds :func:`build_server`'s
    server — once, in a worker thread — and from then on every request is delegated to it. For stdio only: the
    HTTP app reads tool schemas before any list call.
    """

    def __init__(
        self,
        listing: mcp_listing.Listing,
        *,
        log_level: str,
        workers: PoolSettings | ToolWorkerPool | None = PoolSettings(),
    ) -> None:
        super().__init__(
            SERVER_NAME,
            title=_TITLE,
            version=listing.version,
            instructions=listing.instructions,
            log_level=log_level.upper(),  # type: ignore[arg-type]
        )
        add_logging(self)
        self._listing = listing
        self._log_level = log_level
        self._workers = workers
        self._full: MCPServer | None = None
        self._building: anyio.Lock | None = None
        self.completion()(_complete)

    async def _catalogue(self) -> MCPServer:
        if self._full is None:
            self._building = self._building or anyio.Lock()
            async with self._building:
                if self._full is None:
                    self._full = await anyio.to_thread.run_sync(
                        lambda: build_server(log_level=self._log_level, workers=self._workers)
                    )
        return self._full

    async def list_tools(self) -> list[mcp_types.Tool]:
        return list(self._listing.tools) if self._full is None else await self._full.list_tools()

    async def list_resources(self) -> list[mcp_types.Resource]:
        return list(self._listing.resources) if self._full is None else await self._full.list_resources()

    async def list_resource_templates(self) -> list[mcp_types.ResourceTemplate]:
        if self._full is None:
            return list(self._listing.resource_templates)
        return await self._full.list_resource_templates()

    async def list_prompts(self) -> list[mcp_types.Prompt]:
        return list(self._listing.prompts) if self._full is None else await self._full.list_prompts()

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        return await (await self._catalogue()).call_tool(name, arguments, context)

    async def read_resource(self, uri: Any, context: Any = None) -> Any:
        return await (await self._catalogue()).read_resource(uri, context)

    async def get_prompt(self, name: str, arguments: dict[str, Any] | None = None, context: Any = None):
        return await (await self._catalogue()).get_prompt(name, arguments, context)


class _StaticTokenVerifier:
    """Accepts exactly one bearer token (compared in constant time)."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self._token):
            return AccessToken(token=token, client_id="protoplay-token", scopes=[])
        return None


async def _complete(
    ref: PromptReference | ResourceTemplateReference, argument: CompletionArgument, context: Any
) -> Completion | None:
    """Complete resource template arguments (topics, architectures) and enum-valued prompt arguments."""
    from servers.mcp.prompts import prompt_argument_choices
    from servers.mcp.resources import template_choices

    if isinstance(ref, ResourceTemplateReference):
        choices = template_choices(ref.uri, argument.name)
    else:
        choices = prompt_argument_choices(ref.name, argument.name)
    if choices is None:
        return None
    typed = argument.value.lower()
    matches = [choice for choice in choices if choice.lower().startswith(typed)]
    return Completion(
        values=matches[:_MAX_COMPLETIONS], total=len(matches), has_more=len(matches) > _MAX_COMPLETIONS
    )


def _instructions(specs: Sequence[ToolSpec]) -> str:
    themes: dict[str, list[str]] = {}
    for spec in specs:
        themes.setdefault(str(spec.theme), []).append(spec.name)
    lines = [
        "protoplay: ML utilities as pure, deterministic calculations (nothing is downloaded or written).",
        "Tools by theme:",
        *(f"- {theme}: {', '.join(names)}" for theme, names in themes.items()),
        "Resources: notes://{topic} (markdown notes; list them with resources/list) and arch://{name} "
        "(a zoo architecture's layer table).",
        "Prompts: diagnose-training, choose-backbone, plan-finetune, pick-optimizer, plan-deployment.",
        "Errors name the argument to fix; tools that draw also return the plot as an image.",
    ]
    return "\n".join(lines)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("protoplay")
    except PackageNotFoundError:
        return "0+unknown"
