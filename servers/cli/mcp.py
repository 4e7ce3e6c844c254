"""Command line for the MCP server: ``protoplay serve mcp`` and ``protoplay mcp-config``.

Imports nothing heavy at module level: the server (mcp, the catalogue) is imported when a command runs.
"""

from __future__ import annotations

import contextlib
import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from agents.config import Env
from servers.cli.options import OtlpEndpointOpt, start_telemetry
from servers.serving import check_bind, configure_logging, fail

__all__ = ["register"]

TOKEN_ENV = Env.MCP_TOKEN.value


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    """Add ``serve mcp`` to ``serve_app`` and ``mcp-config`` to ``app``."""
    serve_app.command("mcp")(serve_mcp)
    app.command("mcp-config")(mcp_config)


def serve_mcp(
    ctx: typer.Context,
    transport: Annotated[
        Transport,
        typer.Option(
            "--transport", "-t", help="stdio (for Claude Desktop and other spawning clients) or http."
        ),
    ] = Transport.stdio,
    host: Annotated[str, typer.Option(help="HTTP: address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="HTTP: port to listen on.")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(
            envvar=TOKEN_ENV,
            show_default=False,
            help=f"HTTP: require 'Authorization: Bearer TOKEN' on every request (or set {TOKEN_ENV}).",
        ),
    ] = None,
    allow_remote: Annotated[
        bool,
        typer.Option("--allow-remote", help="HTTP: allow binding an address other machines can reach."),
    ] = False,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="HTTP: another Host header name to accept (repeatable); loopback and --host always are.",
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="Server log level (logs go to stderr).")] = "warning",
    otlp_endpoint: OtlpEndpointOpt = None,
) -> None:
    """Serve the tool catalogue, the notes and the prompts over MCP (stdio by default, or streamable HTTP)."""
    if transport is Transport.stdio:
        _refuse_http_options(ctx)
    level = configure_logging(log_level)
    from servers.mcp.server import (
        MCP_PATH,
        SERVICE_NAME,
        build_server,
        serve_http,
        serve_stdio,
        spawned_server,
    )

    start_telemetry(otlp_endpoint, service=SERVICE_NAME)

    if transport is Transport.stdio:
        serve_stdio(spawned_server(log_level=level))
        return
    check_bind(
        host,
        allow_remote=allow_remote,
        server="the MCP server",
        token_env=TOKEN_ENV,
        has_token=bool(token),
        note="; clients must use a Host header of --host or --allowed-host",
    )
    display = f"[{host}]" if ":" in host else host
    typer.echo(
        f"protoplay MCP server on http://{display}:{port}{MCP_PATH}"
        f"{' (bearer token required)' if token else ''}; Ctrl+C stops it",
        err=True,
    )
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how an HTTP server is stopped
        serve_http(
            build_server(token=token, log_level=level),
            host=host,
            port=port,
            allowed_hosts=allowed_host or (),
            log_level=log_level,
        )


def mcp_config(
    install: Annotated[
        bool, typer.Option("--install", help="Merge the entry into Claude Desktop's config file.")
    ] = False,
    config_path: Annotated[
        Path | None,
        typer.Option(help="Config file to install into (default: Claude Desktop's, for this platform)."),
    ] = None,
    name: Annotated[str, typer.Option(help="Server name in the config's mcpServers.")] = "protoplay",
    env: Annotated[
        list[str] | None,
        typer.Option("--env", help="KEY=VALUE to set in the server's environment (repeatable)."),
    ] = None,
) -> None:
    """Print (or --install) the claude_desktop_config.json entry that starts this installation's server."""
    from servers.mcp.desktop_config import ConfigError, desktop_config_path, install_entry, server_entry

    if not name.strip():
        raise fail("--name must not be empty: it is the server's key in mcpServers (default: protoplay)")
    variables = {}
    if os.environ.get(Env.HOME):
        variables[Env.HOME.value] = os.environ[Env.HOME]
    for item in env or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise fail(f"--env must look like KEY=VALUE (got {item!r})")
        variables[key] = value
    entry = server_entry(env=variables)
    path = config_path if config_path is not None else desktop_config_path()
    if not install:
        typer.echo(json.dumps({"mcpServers": {name: entry}}, indent=2, ensure_ascii=False))
        typer.echo(f"Add it to {path}, or run `protoplay mcp-config --install`.", err=True)
        return
    try:
        outcome = install_entry(path, name, entry)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror or exc}") from None
    if outcome.action == "unchanged":
        typer.echo(f"{path} already has this '{name}' entry; nothing to do.")
        return
    typer.echo(f"{outcome.action.capitalize()} '{name}' in {path}.")
    if outcome.backup is not None:
        typer.echo(f"Previous version saved as {outcome.backup}.")
    typer.echo("Restart Claude Desktop to load it.")


#: The options of ``serve mcp`` that mean something over HTTP only.
_HTTP_ONLY = {
    "token": "--token",
    "host": "--host",
    "port": "--port",
    "allow_remote": "--allow-remote",
    "allowed_host": "--allowed-host",
}


def _refuse_http_options(ctx: typer.Context) -> None:
    """Over stdio nothing listens: an HTTP option given on the command line is refused, not ignored.

    ``$PROTOPLAY_MCP_TOKEN`` set in the environment only draws a warning (it may be meant for another use).
    """
    given = [flag for key, flag in _HTTP_ONLY.items() if _source(ctx, key) == "COMMANDLINE"]
    if given:
        verb, pronoun = ("applies", "it") if len(given) == 1 else ("apply", "them")
        raise fail(
            f"{', '.join(given)} {verb} to --transport http only; over stdio the client that spawns the "
            f"server is its only peer (drop {pronoun}, or add --transport http)"
        )
    if _source(ctx, "token") == "ENVIRONMENT":
        typer.echo(f"warning: {TOKEN_ENV} is ignored over stdio (it applies to --transport http)", err=True)


def _source(ctx: typer.Context, name: str) -> str | None:
    """Where a parameter's value came from (``COMMANDLINE``, ``ENVIRONMENT``, ``DEFAULT``...), by name: typer
    vendors click, so its ``ParameterSource`` enum is not click's."""
    source = ctx.get_parameter_source(name)
    return source.name if source is not None else None
