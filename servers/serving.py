"""Rules every ``protoplay serve …`` command shares: where it may bind, which Host and Origin headers its HTTP
servers accept, how it logs, and how large a request it reads (:class:`BodyLimit`, sized by :func:`parse_size`
from ``--max-body-size``); and :func:`fail`, which every command module uses to end with one ``error:`` line.

Light on purpose (no server library is imported at module level): the command modules import it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import sys
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from mcp.server.transport_security import TransportSecuritySettings

__all__ = [
    "DEFAULT_MAX_BODY",
    "BodyLimit",
    "allowed_names",
    "check_bind",
    "configure_logging",
    "fail",
    "format_size",
    "http_url_problem",
    "is_loopback",
    "parse_size",
    "settle_heap",
    "transport_security",
]

#: The request body size A2A servers and ``serve llm`` read by default: a conversation with large tool
#: results fits many times over, while a body that would take seconds to parse is refused before it is read.
DEFAULT_MAX_BODY = 4 * 1024 * 1024

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def fail(message: str, *, code: int = 2) -> typer.Exit:
    """Print a one-line error to stderr and return the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def settle_heap() -> None:
    """Call once a server has started, before it serves: what starting it built (the tool catalogue, schemas,
    the SDKs' classes, the model) lives as long as the process, so it leaves the garbage collector's reach.

    Without this, every full collection while serving walks those hundreds of thousands of objects again:
    on the A2A specialist that made collection a large share of each request's CPU time, and its pauses the
    p99 latency (``benchmarks/a2a.py``). Garbage left from starting is collected first, so none is kept.
    """
    import gc

    gc.collect()
    gc.freeze()


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def http_url_problem(value: str) -> str | None:
    """Why ``value`` is not an http(s) URL with a host (and a valid port, if any); ``None`` when it is."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
    except ValueError as exc:
        return f"{value!r} is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{value!r} is not an http(s) URL"
    return None


def check_bind(
    host: str,
    *,
    allow_remote: bool,
    server: str,
    token_env: str | None = None,
    has_token: bool = False,
    note: str = "",
) -> None:
    """Refuse (exit code 2) a non-loopback ``host`` unless ``allow_remote``; when allowed, warn on stderr.

    ``server`` names what becomes reachable ("the MCP server"). Servers that take a bearer token pass the
    variable that sets it as ``token_env``: the warning then says whether a token is required. ``note`` is
    appended to the warning.
    """
    if is_loopback(host):
        return
    if not allow_remote:
        raise fail(f"{host} is reachable from other machines; pass --allow-remote to bind it anyway")
    warning = f"warning: binding {host}: {server} is reachable from other machines"
    if token_env is not None:
        required = "a bearer token is required"
        missing = f"NO token is required (set --token or {token_env})"
        warning += f" and {required if has_token else missing}"
    typer.echo(warning + note, err=True)


def configure_logging(level: str) -> str:
    """Send logs to stderr at ``level`` (a name, any case); return the name upper-cased. An unknown name
    exits with code 2."""
    name = level.upper()
    if name not in _LOG_LEVELS:
        raise fail(f"--log-level must be one of debug, info, warning, error, critical (got {level!r})")
    logging.basicConfig(level=name, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(name)
    return name


_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def allowed_names(host: str, allowed_hosts: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """DNS-rebinding protection for an HTTP server bound to ``host`` (the MCP server's and the web
    playground's), as ``(hosts, origins)``: the Host header must name a loopback address, the bind address or
    one of ``allowed_hosts``, and a browser's Origin must name one of them too. An entry ending in ``:*``
    allows any port."""
    names = list(_LOOPBACK_NAMES)
    bind = f"[{host.strip('[]')}]" if ":" in host else host
    if bind not in names and host.strip("[]") not in ("0.0.0.0", "::", ""):
        names.append(bind)
    names += [name for name in allowed_hosts if name not in names]
    hosts = [f"{name}:*" for name in names] + names
    origins = [f"{scheme}://{name}:*" for name in names for scheme in ("http", "https")]
    return hosts, origins


def transport_security(host: str, allowed_hosts: Iterable[str] = ()) -> TransportSecuritySettings:
    """:func:`allowed_names` as the MCP SDK's transport-security settings."""
    from mcp.server.transport_security import TransportSecuritySettings

    hosts, origins = allowed_names(host, allowed_hosts)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


# ------------------------------------------------------------------------------------------ body size

_SIZE = re.compile(r"\s*(\d+)\s*([kmg]?)(?:i?b)?\s*", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(text: str | int) -> int:
    """``"4M"`` → 4,194,304: a byte count with an optional binary unit (k, M, G; also spelt KiB or MB); an
    ``int`` (an option's default) is taken as it is.

    Raises :class:`ValueError` with a readable reason (typer shows it as the option's error).
    """
    if isinstance(text, int):
        return text
    match = _SIZE.fullmatch(text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a size; give bytes, or a number with k, M or G (e.g. 4M)")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def format_size(size: int) -> str:
    """``4194304`` → ``"4 MiB"``; sizes that are not whole units are shown in bytes."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size:,} bytes"


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_DRAIN_FACTOR = 16
"""A refused body is read and thrown away up to this many times the limit (so the client, still sending, can
read the 413 instead of a reset connection); beyond that the connection is closed."""


class BodyLimit:
    """ASGI middleware: a request body larger than ``max_bytes`` is answered ``413`` before the app sees it.

    A declared ``Content-Length`` over the limit is refused without reading the body; a body of unknown length
    is read up to the limit first and handed to the app only when it fits (the app would read it all anyway).
    The 413 carries ``error_body(message)`` as JSON — each server answers in its own protocol's error shape —
    where the message names the size, the limit and ``flag``, the option that raises it.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        flag: str = "--max-body-size",
        error_body: Callable[[str], Any] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.flag = flag
        self.error_body = error_body or (lambda message: {"error": {"message": message}})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send, receive, f"{declared:,} bytes", already=0)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send, receive, f"more than {self.max_bytes:,} bytes", already=size)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, send: Send, receive: Receive, size: str, *, already: int) -> None:
        message = (
            f"request body too large: {size}; this server reads at most {format_size(self.max_bytes)} "
            f"({self.flag} raises the limit)"
        )
        await _drain(receive, budget=self.max_bytes * _DRAIN_FACTOR - already)
        body = json.dumps(self.error_body(message), ensure_ascii=False).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _drain(receive: Receive, *, budget: int) -> None:
    """Read and discard the rest of a refused body, at most ``budget`` bytes."""
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over the buffered body once, then whatever the client sends next
    (``http.disconnect``)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
