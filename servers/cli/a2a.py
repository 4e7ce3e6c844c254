"""Command line for A2A: ``protoplay serve a2a specialist|coordinator`` and ``protoplay demo [NAME]``.

Imports nothing heavy at module level: the servers (a2a-sdk, mcp, the catalogue) load when a command runs.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from agents.config import DEFAULTS, Env
from servers.cli.options import (
    AllowRemoteOpt,
    ApiKeyOpt,
    ApiOpt,
    BaseUrlOpt,
    MaxStepsOpt,
    McpTokenOpt,
    MemoryStoreOpt,
    ModelOpt,
    offline_responses_model,
    user_message,
)
from servers.serving import check_bind, configure_logging, fail

__all__ = ["register"]

TOKEN_ENV = Env.A2A_TOKEN.value
TOKENS_ENV = Env.A2A_TOKENS.value
PEER_TOKEN_ENV = Env.A2A_PEER_TOKEN.value

a2a_app = typer.Typer(help="Serve an A2A agent: the ML specialist or the coordinator.", no_args_is_help=True)

HostOpt = Annotated[str, typer.Option(help="Address to bind (loopback unless --allow-remote).")]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        envvar=TOKEN_ENV,
        show_default=False,
        help=f"Require 'Authorization: Bearer TOKEN' on every request but the card (or set {TOKEN_ENV}).",
    ),
]
TokensOpt = Annotated[
    Path | None,
    typer.Option(
        "--tokens",
        envvar=TOKENS_ENV,
        metavar="FILE",
        show_default=False,
        help="File of 'TOKEN NAME' lines: each token identifies a caller (principal), who sees only the "
        f"tasks, conversations and memories they created (or set {TOKENS_ENV}). Instead of --token.",
    ),
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--task-store",
        help="URL of the task store (default: SQLite in $PROTOPLAY_HOME/tasks.db; 'memory' keeps none; "
        "postgresql://USER@HOST/DB for several replicas sharing one database).",
    ),
]
UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url", help="The URL the card advertises (default http://HOST:PORT/; set it behind a proxy)."
    ),
]
LogLevelOpt = Annotated[str, typer.Option(help="Server log level (logs go to stderr).")]


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    """Add ``serve a2a specialist|coordinator`` to ``serve_app`` and ``demo`` to ``app``."""
    serve_app.add_typer(a2a_app, name="a2a")
    app.command("demo")(demo_command)


@a2a_app.command("specialist")
def serve_specialist(
    host: HostOpt = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free port).")
    ] = DEFAULTS.specialist_port,
    token: TokenOpt = None,
    tokens: TokensOpt = None,
    task_store: StoreOpt = None,
    allow_remote: AllowRemoteOpt = False,
    url: UrlOpt = None,
    mcp: Annotated[
        str | None,
        typer.Option("--mcp", help="Streamable-HTTP MCP server URL; default: the tool catalogue in-process."),
    ] = None,
    mcp_token: McpTokenOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    api: ApiOpt = None,
    max_steps: MaxStepsOpt = DEFAULTS.max_steps,
    log_level: LogLevelOpt = "warning",
) -> None:
    """Serve the ML specialist over A2A: the function-calling agent with the MCP tools (card at
    /.well-known/agent-card.json, JSON-RPC at /)."""
    configure_logging(log_level)
    accepted = _tokens(token, tokens)
    _check_bind(host, allow_remote, token or accepted)
    from servers.a2a.specialist import run_specialist

    options = _model_options(model, base_url, api_key, api) | {
        "mcp": mcp,
        "mcp_token": mcp_token,
        "max_steps": max_steps,
        "tokens": accepted,
    }
    _serve(
        "ML specialist",
        run_specialist,
        host=host,
        port=port,
        advertised_url=url,
        token=token,
        task_store=task_store,
        log_level=log_level,
        **options,
    )


@a2a_app.command("coordinator")
def serve_coordinator(
    peer: Annotated[
        list[str],
        typer.Option("--peer", help="Base URL of a peer agent whose card to read (repeatable)."),
    ],
    host: HostOpt = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free port).")
    ] = DEFAULTS.coordinator_port,
    token: TokenOpt = None,
    peer_token: Annotated[
        str | None,
        typer.Option(
            envvar=PEER_TOKEN_ENV,
            show_default=False,
            help=f"Bearer token sent to the peers (or set {PEER_TOKEN_ENV}).",
        ),
    ] = None,
    peer_timeout: Annotated[
        float, typer.Option(min=1, max=3600, help="Seconds one delegation may take before it is cancelled.")
    ] = 120.0,
    tokens: TokensOpt = None,
    task_store: StoreOpt = None,
    memory_store: MemoryStoreOpt = None,
    allow_remote: AllowRemoteOpt = False,
    url: UrlOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    api: ApiOpt = None,
    max_steps: MaxStepsOpt = DEFAULTS.max_steps,
    log_level: LogLevelOpt = "warning",
) -> None:
    """Serve the coordinator over A2A: an agent with memory that delegates to its peers' skills."""
    for value in peer:
        _check_peer_url(value)
    configure_logging(log_level)
    accepted = _tokens(token, tokens)
    _check_bind(host, allow_remote, token or accepted)
    from servers.a2a.coordinator import run_coordinator

    _serve(
        "coordinator",
        run_coordinator,
        host=host,
        port=port,
        advertised_url=url,
        token=token,
        task_store=task_store,
        log_level=log_level,
        peers=peer,
        peer_token=peer_token,
        peer_timeout_s=peer_timeout,
        max_steps=max_steps,
        tokens=accepted,
        memory_store=memory_store,
        **_model_options(model, base_url, api_key, api),
    )


def demo_command(
    name: Annotated[str | None, typer.Argument(help="The scenario to play; leave out to list them.")] = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    no_trace: Annotated[
        bool, typer.Option("--no-trace", help="Do not print the trace timeline at the end.")
    ] = False,
) -> None:
    """Play a scripted multi-agent demo: user ↔ coordinator ↔ ML specialist, over A2A on loopback."""
    from servers.a2a.demo import DemoError, list_scenarios, load_scenario, run_demo

    if name is None:
        typer.echo("Demos (protoplay demo NAME):")
        for scenario in list_scenarios():
            typer.echo(f"  {scenario.order}. {scenario.name:<20} {scenario.title}")
        return
    try:
        scenario = load_scenario(name)
    except DemoError as exc:
        raise fail(str(exc)) from None
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        ok = asyncio.run(
            run_demo(scenario, model=model, base_url=base_url, api_key=api_key, show_trace=not no_trace)
        )
    except OSError as exc:
        raise fail(f"could not start the demo servers: {exc}") from None
    except KeyboardInterrupt:  # pragma: no cover - interactive stop
        raise typer.Exit(130) from None
    if not ok:
        raise typer.Exit(1)


# ------------------------------------------------------------------------------------------------- helpers


def _serve(
    label: str,
    runner: Any,
    *,
    host: str,
    port: int,
    token: str | None,
    task_store: str | None,
    **options: Any,
) -> None:
    from agents.config import SetupError, resolve_model_config
    from servers.a2a.store import StoreError, describe_store

    config = resolve_model_config(
        model=options.get("model"),
        base_url=options.get("base_url"),
        api_key=options.get("api_key"),
        api=options.get("api"),
    )
    principals = sorted(set((options.get("tokens") or {}).values()))
    auth = f"; bearer token of {len(principals)} principal(s) required" if principals else ""
    auth = auth or ("; bearer token required" if token else "")

    def ready(url: str) -> None:
        typer.echo(
            f"protoplay {label} (A2A 1.0) on {url} — card at {url.rstrip('/')}/.well-known/agent-card.json"
            f"{auth}\n  model: {config.describe()}\n  tasks: {describe_store(task_store)}\n"
            "  Ctrl+C stops it",
            err=True,
        )

    try:
        asyncio.run(
            runner(host=host, port=port, token=token, task_store=task_store, on_ready=ready, **options)
        )
    except OSError as exc:
        raise fail(str(exc)) from None
    except StoreError as exc:
        raise fail(str(exc)) from None
    except SetupError as exc:
        raise fail(user_message(exc)) from None
    except KeyboardInterrupt:  # pragma: no cover - interactive stop
        pass


def _check_peer_url(value: str) -> None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
    except ValueError:
        ok = False
    if not ok:
        raise fail(
            f"--peer: {value!r} is not an http(s) URL; give the peer's base URL, e.g. http://127.0.0.1:9101/"
        )


def _check_bind(host: str, allow_remote: bool, token: object) -> None:
    check_bind(
        host, allow_remote=allow_remote, server="the A2A server", token_env=TOKEN_ENV, has_token=bool(token)
    )


def _tokens(token: str | None, tokens: Path | None) -> dict[str, str] | None:
    """The ``--tokens`` file read (token → principal); one line naming the problem if it is unusable."""
    if tokens is None:
        return None
    if token:
        raise fail(f"give --token (one shared token, or {TOKEN_ENV}) or --tokens FILE, not both")
    from servers.a2a.auth import TokensFileError, load_tokens

    try:
        return load_tokens(tokens)
    except TokensFileError as exc:
        raise fail(str(exc)) from None


def _model_options(
    model: str | None, base_url: str | None, api_key: str | None, api: str | None
) -> dict[str, Any]:
    override = offline_responses_model(model, base_url, api_key, api)
    return {"model": model, "base_url": base_url, "api_key": api_key, "api": api, "model_override": override}
