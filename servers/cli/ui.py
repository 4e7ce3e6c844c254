"""Command line for the web playground: ``protoplay ui``.

Imports nothing heavy at module level: the server (Starlette, the agent runtime) loads when the command runs.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from agents.config import DEFAULTS
from servers.cli.options import (
    AllowRemoteOpt,
    ApiKeyOpt,
    ApiOpt,
    BaseUrlOpt,
    ContextTokensOpt,
    MaxStepsOpt,
    McpOpt,
    McpTokenOpt,
    ModelOpt,
    model_options,
)
from servers.serving import check_bind, fail

if TYPE_CHECKING:
    from servers.ui.runtime import UIOptions

__all__ = ["register"]

_PORT = 8321  # servers.ui.server.DEFAULT_PORT, repeated so --help needs no server import


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    """Add ``ui`` to ``app``."""
    app.command("ui")(ui_command)


def ui_command(
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free port).")
    ] = _PORT,
    host: Annotated[
        str, typer.Option(help="Address to bind (loopback unless --allow-remote).")
    ] = "127.0.0.1",
    mcp: McpOpt = None,
    mcp_token: McpTokenOpt = None,
    peer: Annotated[
        list[str] | None,
        typer.Option("--peer", help="An A2A agent's base URL to offer in the Agents panel (repeatable)."),
    ] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
    token: Annotated[
        str | None,
        typer.Option(
            help="The access token the URL carries (default: a new random one).", show_default=False
        ),
    ] = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    api: ApiOpt = None,
    max_steps: MaxStepsOpt = DEFAULTS.max_steps,
    context_tokens: ContextTokensOpt = DEFAULTS.context_tokens,
    allow_remote: AllowRemoteOpt = False,
) -> None:
    """Open the web playground: chat with the agent and watch the model, MCP and A2A traffic of each request
    on one timeline; run tools from generated forms, talk to A2A agents, play the demos, manage memory."""
    from servers.cli.a2a import check_http_url

    peers = peer or []
    for value in peers:
        check_http_url(value, what="--peer")
    if token is not None and len(token) < 8:
        raise fail("--token: use at least 8 characters (anyone who can reach the port can guess a short one)")
    check_bind(host, allow_remote=allow_remote, server="the playground", note="; its token is required")
    from servers.ui.runtime import UIOptions
    from servers.ui.server import new_token, run_playground

    settings = model_options(
        model, base_url, api_key, mcp, max_steps, mcp_token=mcp_token, context_tokens=context_tokens, api=api
    )
    options = UIOptions(**settings, peers=tuple(peers))
    access = token or new_token()

    def ready(url: str) -> None:
        typer.echo(f"protoplay playground: {url}")  # first: the browser may go there at once
        if not no_browser:
            _open_browser(url)
        typer.echo(f"{_describe(options)}\n  Ctrl+C stops it")

    try:
        asyncio.run(run_playground(options, host=host, port=port, token=access, on_ready=ready))
    except OSError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)


def _describe(options: UIOptions) -> str:
    from agents.config import resolve_model_config
    from agents.mcp.client import describe_target

    config = resolve_model_config(
        model=options.model, base_url=options.base_url, api_key=options.api_key, api=options.api
    )
    return f"  model: {config.describe()}\n  MCP: {describe_target(options.mcp)}"


def _open_browser(url: str) -> None:
    """Open ``url`` where a graphical browser can show it; on a machine without a display, say so instead
    (a console browser would take over the terminal)."""
    has_display = sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if not has_display:
        typer.echo("  (no display here: open the URL in a browser yourself)", err=True)
        return
    import webbrowser

    if not webbrowser.open(url):
        typer.echo("  (could not start a browser: open the URL yourself)", err=True)
