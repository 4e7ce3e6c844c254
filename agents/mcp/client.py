"""The agent's side of MCP: tools discovered with ``list_tools`` become function specs, calls go back through
``call_tool``, results become what a ``role=tool`` message carries.

Structured content travels to the model as JSON; image content never does: it is saved under
``$PROTOPLAY_HOME/images/`` and only its path is reported.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.config import protoplay_home
from agents.errors import ToolServerError, unwrap
from agents.images import save_image
from agents.messages import ToolSpec
from agents.toolbox import ToolOutcome, TurnContext, error_outcome

if TYPE_CHECKING:
    import httpx2
    from mcp import Client

__all__ = ["MCPTarget", "MCPToolbox", "StdioServer", "connect_mcp", "describe_target", "mcp_tool_to_spec"]

log = logging.getLogger(__name__)


def mcp_tool_to_spec(tool: Any) -> ToolSpec:
    """An MCP ``Tool`` as an OpenAI function spec; the input schema passes through unchanged."""
    spec: ToolSpec = {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description or "",
            "parameters": tool.input_schema or {"type": "object", "properties": {}},
        },
    }
    return spec


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class MCPToolbox:
    """The tools of one connected MCP client session.

    ``tool_specs`` lists the tools once and caches them; ``call`` may be awaited concurrently from several
    tasks (the session multiplexes requests). Tool failures (``isError``, protocol errors) come back as
    error outcomes, never as exceptions, so the model can correct itself.
    """

    def __init__(
        self,
        client: Client,
        *,
        peer: str = "mcp",
        images_dir: Path | None = None,
        call_timeout_s: float = 300.0,
        http_auth: _HttpAuth | None = None,
    ) -> None:
        self.client = client
        self.peer = peer
        self.images_dir = images_dir
        self.call_timeout_s = call_timeout_s
        self._http_auth = http_auth
        self._specs: list[ToolSpec] | None = None

    async def tool_specs(self, context: TurnContext) -> list[ToolSpec]:
        if self._specs is None:
            listing = await self.client.list_tools()
            tools = list(listing.tools)
            cursor = listing.next_cursor
            while cursor:
                page = await self.client.list_tools(cursor=cursor)
                tools.extend(page.tools)
                cursor = page.next_cursor
            self._specs = [mcp_tool_to_spec(tool) for tool in tools]
        return self._specs

    async def call(self, name: str, arguments: dict[str, Any], context: TurnContext) -> ToolOutcome:
        from mcp import MCPError

        started = time.perf_counter()
        try:
            result = await self.client.call_tool(name, arguments, read_timeout_seconds=self.call_timeout_s)
        except MCPError as exc:
            if self._http_auth is not None and self._http_auth.rejected:
                outcome = error_outcome(self._http_auth.message())
            else:
                outcome = error_outcome(f"the tool server refused the call: {exc}")
        else:
            outcome = self._outcome(name, result, context.session)
        return replace(outcome, duration_ms=(time.perf_counter() - started) * 1e3)

    def _outcome(self, name: str, result: Any, session: str) -> ToolOutcome:
        texts: list[str] = []
        images: list[Path] = []
        for block in result.content:
            kind = getattr(block, "type", None)
            if kind == "text":
                texts.append(block.text)
            elif kind == "image":
                images.append(self._save_image(name, block.data, block.mime_type, session))
        text = "\n".join(texts)
        if result.is_error:
            return ToolOutcome(
                content=f"Error: {text or 'the tool failed'}", is_error=True, images=tuple(images)
            )
        structured = result.structured_content
        if structured is not None:
            payload = dict(structured) if isinstance(structured, dict) else {"result": structured}
            if images:
                payload["saved_images"] = [str(path) for path in images]
            content = json.dumps(payload, ensure_ascii=False)
        else:
            content = text + "".join(f"\nImage saved to {path}" for path in images)
        return ToolOutcome(content=content or "(no output)", structured=structured, images=tuple(images))

    def _save_image(self, tool: str, data: str, mime_type: str, session: str) -> Path:
        stem = f"{_UNSAFE.sub('_', session)}-{tool}"
        return save_image(base64.b64decode(data), stem=stem, mime_type=mime_type, directory=self.images_dir)


def _leaf_message(exc: BaseException) -> str:
    """The innermost, most specific message of an exception (groups from task groups are unwrapped)."""
    exc = unwrap(exc)
    text = str(exc) or type(exc).__name__
    return text if text != "Connection closed" else "the server closed the connection (it may have crashed)"


class _HttpAuth:
    """The bearer token sent to a streamable-HTTP server, and whether the server ever answered 401.

    The SDK turns an HTTP 401 into a generic "Server returned an error response"; a response hook on the
    HTTP client notices the status so the error can say what is wrong.
    """

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        self.token = token
        self.rejected = False

    def message(self) -> str:
        return (
            f"The MCP server at {self.url} rejected the token (HTTP 401): the bearer token is missing or "
            "wrong."
        )

    def http_client(self) -> httpx2.AsyncClient:
        """An HTTP client with the ``Authorization`` header (when there is a token), the 401 watch and the
        timeouts the MCP SDK's own default client uses (30 s, 300 s to read: a server may hold a stream
        open)."""
        import httpx2

        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        return httpx2.AsyncClient(
            headers=headers,
            timeout=httpx2.Timeout(30.0, read=300.0),
            event_hooks={"response": [self._watch]},
        )

    async def _watch(self, response: httpx2.Response) -> None:
        if response.status_code == 401:
            self.rejected = True


@dataclass(frozen=True)
class StdioServer:
    """An MCP server started as a subprocess and spoken to over stdio (the layer that knows the command —
    the CLI — builds it; this package only runs it)."""

    command: str
    """The executable."""
    args: tuple[str, ...] = ()
    """Its arguments."""
    name: str = "mcp-server"
    """The peer name in traces and banners."""
    description: str = ""
    """How a banner names it (default: the command line)."""
    log_path: Path | None = None
    """Where its stderr goes (default ``$PROTOPLAY_HOME/logs/mcp-server.log``)."""

    @property
    def label(self) -> str:
        return self.description or " ".join((Path(self.command).name, *self.args))


MCPTarget = StdioServer | str | Any
"""What :func:`connect_mcp` connects to: a :class:`StdioServer`, a streamable-HTTP URL, a server object
(in-process), or any MCP transport."""


def describe_target(target: MCPTarget) -> str:
    """One line naming the MCP server in use, for banners."""
    if isinstance(target, StdioServer):
        return f"{target.label} (stdio subprocess)"
    if isinstance(target, str):
        return f"{target} (streamable HTTP)"
    name = getattr(target, "name", None) or type(target).__name__
    return f"{name} (in-process)"


@asynccontextmanager
async def connect_mcp(
    target: MCPTarget,
    *,
    images_dir: Path | None = None,
    token: str | None = None,
) -> AsyncIterator[MCPToolbox]:
    """Connect to an MCP server and yield its toolbox; the connection closes with the block.

    ``target``: a :class:`StdioServer` is spawned (its stderr goes to its ``log_path``); a URL string uses
    streamable HTTP, sending ``token`` (if any) as ``Authorization: Bearer``; a server object (``MCPServer``)
    connects in-process (tests); any MCP ``Transport`` is used as is. ``token`` is used as given (the caller
    resolves flags and environment: :func:`agents.config.resolve_mcp_token`) and only for a URL.

    Raises :class:`ToolServerError` when the server cannot be reached or refuses the connection; a 401
    says the token is missing or wrong.
    """
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.client.streamable_http import streamable_http_client

    peer = describe_target(target).split(" (", 1)[0]
    http_auth: _HttpAuth | None = None
    log_path: Path | None = None
    async with AsyncExitStack() as stack:
        server: Any = target
        if isinstance(target, str):
            http_auth = _HttpAuth(target, token)
            http = await stack.enter_async_context(http_auth.http_client())
            server = streamable_http_client(target, http_client=http)
        elif isinstance(target, StdioServer):
            log_path = target.log_path or protoplay_home() / "logs" / "mcp-server.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            errlog = stack.enter_context(log_path.open("a", encoding="utf-8"))
            params = StdioServerParameters(
                command=target.command, args=list(target.args), env=dict(os.environ)
            )
            server = stdio_client(params, errlog=errlog)
            peer = target.name
        try:
            client = await stack.enter_async_context(Client(server))
        except Exception as exc:
            log.debug("MCP connection failed", exc_info=True)
            if http_auth is not None and http_auth.rejected:
                raise ToolServerError(http_auth.message(), setting="mcp_token") from None
            reason = _leaf_message(exc)
            if log_path is not None:
                reason += f" (see the server's log: {log_path})"
            raise ToolServerError(
                f"Could not connect to the MCP server {describe_target(target)}: {reason}"
            ) from exc
        yield MCPToolbox(client, peer=peer, images_dir=images_dir, http_auth=http_auth)
