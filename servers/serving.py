"""Start-up rules every ``protoplay serve …`` command shares: where it may bind, and how it logs; and
:func:`fail`, which every command module uses to end with one ``error:`` line.

Light on purpose (no server library is imported): the command modules import it at module level.
"""

from __future__ import annotations

import ipaddress
import logging
import sys

import typer

__all__ = ["check_bind", "configure_logging", "fail", "is_loopback"]

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
