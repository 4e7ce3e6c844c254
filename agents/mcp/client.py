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
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.config import MCP_TOKEN_ENV, protoplay_home
from agents.errors import ToolServerError, unwrap
from agents.models.openai import ToolSpec

if TYPE_CHECKING:
    import httpx2
    from mcp import Client

    from agents.trace import TraceWriter

__all__ = ["MCPToolbox", "ToolOutcome", "connect_mcp", "default_server_command", "describe_target"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ToolOutcome:
    """What one tool call produced, for the model and for the person watching."""

    content: str
    """The ``role=tool`` message text: structured content as JSON, else the text content, else an error."""
    structured: Any = None
    """The structured result (``structuredContent``), when the tool returned one."""
    is_error: bool = False
    """True when the tool failed or was refused; ``content`` then says why, for the model to correct
    itself."""
    images: tuple[Path, ...] = ()
    """Files the call's image content was saved to."""
    duration_ms: float = 0.0
    """Wall time of the call."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Anything a local tool wants the caller to see (e.g. the question of ``ask_user``)."""


def error_outcome(message: str, *, duration_ms: float = 0.0) -> ToolOutcome:
    return ToolOutcome(content=f"Error: {message}", is_error=True, duration_ms=duration_ms)


def mcp_tool_to_spec(tool: Any) -> ToolSpec:
    """An MCP ``Tool`` as an OpenAI function spec; the input schema passes through unchanged."""
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description or "",
            "parameters": tool.input_schema or {"type": "object", "properties": {}},
        },
    }


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
        trace: TraceWriter | None = None,
        call_timeout_s: float = 300.0,
        http_auth: _HttpAuth | None = None,
    ) -> None:
        self.client = client
        self.peer = peer
        self.images_dir = images_dir
        self.trace = trace
        self.call_timeout_s = call_timeout_s
        self._http_auth = http_auth
        self._specs: list[ToolSpec] | None = None
        self._image_count = 0

    async def tool_specs(self, *, session: str = "default") -> list[ToolSpec]:
        if self._specs is None:
            started = time.perf_counter()
            if self.trace:
                self.trace.record("mcp", "out", self.peer, "tools/list", {}, None, session)
            listing = await self.client.list_tools()
            tools = list(listing.tools)
            cursor = listing.next_cursor
            while cursor:
                page = await self.client.list_tools(cursor=cursor)
                tools.extend(page.tools)
                cursor = page.next_cursor
            self._specs = [mcp_tool_to_spec(tool) for tool in tools]
            if self.trace:
                names = [tool.name for tool in tools]
                digest = {"summary": f"{len(names)} tools: {', '.join(names)}", "tools": names}
                self.trace.record(
                    "mcp",
                    "in",
                    self.peer,
                    "tools/list",
                    digest,
                    (time.perf_counter() - started) * 1e3,
                    session,
                )
        return self._specs

    async def call(self, name: str, arguments: dict[str, Any], *, session: str = "default") -> ToolOutcome:
        from mcp import MCPError

        started = time.perf_counter()
        if self.trace:
            request = {"summary": f"{name} {_compact(arguments)}", "name": name, "arguments": arguments}
            self.trace.record("mcp", "out", self.peer, "tools/call", request, None, session)
        try:
            result = await self.client.call_tool(name, arguments, read_timeout_seconds=self.call_timeout_s)
        except MCPError as exc:
            if self._http_auth is not None and self._http_auth.rejected:
                outcome = error_outcome(self._http_auth.message())
            else:
                outcome = error_outcome(f"the tool server refused the call: {exc}")
        else:
            outcome = self._outcome(name, result, session)
        elapsed = (time.perf_counter() - started) * 1e3
        outcome = replace(outcome, duration_ms=elapsed)
        if self.trace:
            self.trace.record(
                "mcp", "in", self.peer, "tools/call", _outcome_digest(name, outcome), elapsed, session
            )
        return outcome

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
        directory = self.images_dir or protoplay_home() / "images"
        directory.mkdir(parents=True, exist_ok=True)
        self._image_count += 1
        extension = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}.get(mime_type, "bin")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        stem = f"{_UNSAFE.sub('_', session)}-{tool}-{stamp}-{os.getpid()}-{self._image_count}"
        path = directory / f"{stem}.{extension}"
        path.write_bytes(base64.b64decode(data))
        return path


def _compact(value: Any, width: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def _outcome_digest(name: str, outcome: ToolOutcome) -> dict[str, Any]:
    status = "error" if outcome.is_error else "ok"
    digest: dict[str, Any] = {
        "summary": f"{name} {status}: {_compact(outcome.content, 200)}",
        "is_error": outcome.is_error,
    }
    if outcome.structured is not None:
        digest["structured"] = outcome.structured
    elif outcome.is_error:
        digest["error"] = outcome.content
    if outcome.images:
        digest["images"] = [str(path) for path in outcome.images]
    return digest


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
            f"The MCP server at {self.url} rejected the token (HTTP 401): missing or wrong --mcp-token / "
            f"{MCP_TOKEN_ENV}."
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


def default_server_command() -> tuple[str, list[str]]:
    """How the default MCP server is started: ``protoplay serve mcp`` under the running interpreter."""
    return sys.executable, ["-m", "servers", "serve", "mcp"]


def describe_target(target: Any) -> str:
    """One line naming the MCP server in use, for banners."""
    if target is None:
        return "protoplay serve mcp (stdio subprocess)"
    if isinstance(target, str):
        return f"{target} (streamable HTTP)"
    name = getattr(target, "name", None) or type(target).__name__
    return f"{name} (in-process)"


@asynccontextmanager
async def connect_mcp(
    target: Any = None,
    *,
    trace: TraceWriter | None = None,
    images_dir: Path | None = None,
    server_log: Path | None = None,
    token: str | None = None,
) -> AsyncIterator[MCPToolbox]:
    """Connect to an MCP server and yield its toolbox; the connection closes with the block.

    ``target``: ``None`` spawns ``protoplay serve mcp`` over stdio (its stderr goes to ``server_log``, default
    ``$PROTOPLAY_HOME/logs/mcp-server.log``); a URL string uses streamable HTTP, sending ``token`` (if any)
    as ``Authorization: Bearer``; a server object (``MCPServer``) connects in-process (tests); any MCP
    ``Transport`` is used as is. ``token`` is used as given (the caller resolves flags and environment:
    :func:`agents.config.resolve_mcp_token`) and only for a URL.

    Raises :class:`ToolServerError` when the server cannot be reached or refuses the connection; a 401
    says the token is missing or wrong.
    """
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.client.streamable_http import streamable_http_client

    peer = describe_target(target).split(" (", 1)[0]
    http_auth: _HttpAuth | None = None
    async with AsyncExitStack() as stack:
        server: Any = target
        if isinstance(target, str):
            http_auth = _HttpAuth(target, token)
            http = await stack.enter_async_context(http_auth.http_client())
            server = streamable_http_client(target, http_client=http)
        elif target is None:
            log_path = server_log or protoplay_home() / "logs" / "mcp-server.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            errlog = stack.enter_context(log_path.open("a", encoding="utf-8"))
            command, args = default_server_command()
            params = StdioServerParameters(command=command, args=args, env=dict(os.environ))
            server = stdio_client(params, errlog=errlog)
            peer = "protoplay-mcp"
        try:
            client = await stack.enter_async_context(Client(server))
        except Exception as exc:
            log.debug("MCP connection failed", exc_info=True)
            if http_auth is not None and http_auth.rejected:
                raise ToolServerError(http_auth.message()) from None
            reason = _leaf_message(exc)
            if target is None:
                reason += f" (see the server's log: {log_path})"
            raise ToolServerError(
                f"Could not connect to the MCP server {describe_target(target)}: {reason}"
            ) from exc
        yield MCPToolbox(client, peer=peer, images_dir=images_dir, trace=trace, http_auth=http_auth)
