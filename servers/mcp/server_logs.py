"""Server logs for the client: the MCP logging capability (``logging/setLevel``, ``notifications/message``).

Long tools say what they are doing ("compare_optimizers: running adam on rosenbrock") as log notifications, so
the MCP Inspector and Claude Desktop show the server's activity beside the progress bar.

Two protocol generations, one rule — a message below the level the client asked for is not sent:

- 2025-11-25 and earlier (Inspector, Claude Desktop, the TypeScript SDK): the client sets a connection-wide
  level with ``logging/setLevel``; until it does, :data:`DEFAULT_LEVEL` applies.
- 2026-07-28 removed ``logging/setLevel`` (SEP-2577): each request opts in through its ``_meta`` and the SDK
  itself drops what was not asked for, so no level of ours is applied on top.

Sending a log never fails the request it belongs to: a closed stream or a crash while sending is logged here
(at debug) and forgotten.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, Final, get_args

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types import EmptyResult, LoggingLevel, SetLevelRequestParams
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

__all__ = ["DEFAULT_LEVEL", "LEVELS", "add_logging", "client_log_level", "send_log"]

log = logging.getLogger(__name__)

#: The RFC 5424 severities MCP uses, least severe first.
LEVELS: Final[tuple[LoggingLevel, ...]] = get_args(LoggingLevel)
#: What a 2025-11-25 client that never sent ``logging/setLevel`` receives: info and above.
DEFAULT_LEVEL: Final[LoggingLevel] = "info"
_STATE_KEY = "protoplay/logLevel"

# Serving the logging capability to 2025-11-25 clients is deliberate: the SDK warns on every message because
# the capability is gone from 2026-07-28, where the SDK itself stops delivery unless a request opts in.
warnings.filterwarnings(
    "ignore", message="The logging capability is deprecated", category=MCPDeprecationWarning
)


def add_logging(server: MCPServer) -> None:
    """Serve ``logging/setLevel`` on ``server``, which also declares the ``logging`` capability."""
    # The SDK's documented way to re-provide a method the 2026 revision removed (mcp.server.extension,
    # MethodBinding): a lowlevel handler. MCPServer keeps its lowlevel server private; there is no other door.
    server._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, _set_level)


def client_log_level(request: ServerRequestContext[Any, Any]) -> LoggingLevel:
    """The level the client on ``request``'s connection asked for (``DEFAULT_LEVEL`` until it asks)."""
    state = _connection_state(request)
    level = state.get(_STATE_KEY) if state is not None else None
    return level if level in LEVELS else DEFAULT_LEVEL


async def send_log(context: Context, level: LoggingLevel, message: str, *, logger: str = "protoplay") -> None:
    """Send ``message`` to the client as a ``notifications/message`` on the stream of ``context``'s request,
    unless the client asked for a higher level. Never raises (except cancellation)."""
    try:
        request = context.request_context
    except ValueError:  # no request: a direct call to the server object outside MCP
        return
    if request.protocol_version not in MODERN_PROTOCOL_VERSIONS and not _at_least(
        level, client_log_level(request)
    ):
        return
    try:
        await request.session.send_log_message(
            level, message, logger=logger, related_request_id=request.request_id
        )
    except Exception:
        log.debug("could not send a log message to the client", exc_info=True)


async def _set_level(request: ServerRequestContext[Any, Any], params: SetLevelRequestParams) -> EmptyResult:
    state = _connection_state(request)
    if state is not None:
        state[_STATE_KEY] = params.level
    return EmptyResult()


def _at_least(level: LoggingLevel, threshold: LoggingLevel) -> bool:
    return LEVELS.index(level) >= LEVELS.index(threshold)


def _connection_state(request: ServerRequestContext[Any, Any]) -> dict[str, Any] | None:
    """The per-connection state dict of the SDK's ``Connection`` (lives exactly as long as the client's
    connection), reached through the request's session: the SDK exposes no public accessor for it."""
    connection = getattr(request.session, "_connection", None)
    state = getattr(connection, "state", None)
    return state if isinstance(state, dict) else None
