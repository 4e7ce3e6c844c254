"""Start-up rules every ``protoplay serve …`` command shares: where it may bind, which Host and Origin
headers its HTTP servers accept, and how it logs; and :func:`fail`, which every command module uses to end
with one ``error:`` line.

Light on purpose (no server library is imported at module level): the command modules import it.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from mcp.server.transport_security import TransportSecuritySettings

__all__ = [
    "allowed_names",
    "check_bind",
    "configure_logging",
    "fail",
    "http_url_problem",
    "is_loopback",
    "transport_security",
]

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def fail(message: str, *, code: int = 2) -> typer.Exit:
    """Print a one-line error to stderr and return the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


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
