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
    MaxBodyOpt,
    MaxStepsOpt,
    McpTokenOpt,
    MemoryStoreOpt,
    ModelOpt,
    OtlpEndpointOpt,
    offline_responses_model,
    start_telemetry,
    user_message,
)
from servers.serving import DEFAULT_MAX_BODY, check_bind, configure_logging, fail, http_url_problem

__all__ = ["check_http_url", "register"]

TOKEN_ENV = Env.A2A_TOKEN.value
TOKENS_ENV = Env.A2A_TOKENS.value
PEER_TOKEN_ENV = Env.A2A_PEER_TOKEN.value
#: The ``service.name`` of each command's OpenTelemetry spans (the servers' agent names; the demo runs both
#: agents in one process). Named here, not imported: telemetry starts before a2a-sdk is imported.
SPECIALIST_SERVICE = "protoplay-ml-specialist"
COORDINATOR_SERVICE = "protoplay-coordinator"
DEMO_SERVICE = "protoplay-demo"

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
PrivateWebhooksOpt = Annotated[
    bool,
    typer.Option(
        "--allow-private-webhooks",
        help="Deliver push notifications to loopback and private addresses too (webhooks on this machine or "
        "LAN); by default only public http(s) addresses are called.",
    ),
]


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
    max_body_size: MaxBodyOpt = DEFAULT_MAX_BODY,
    allow_private_webhooks: PrivateWebhooksOpt = False,
    log_level: LogLevelOpt = "warning",
    otlp_endpoint: OtlpEndpointOpt = None,
) -> None:
    """Serve the ML specialist over A2A: the function-calling agent with the MCP tools (card at
    /.well-known/agent-card.json, JSON-RPC at /)."""
    start_telemetry(otlp_endpoint, service=SPECIALIST_SERVICE)
    configure_logging(log_level)
    accepted = _tokens(token, tokens)
    _check_bind(host, allow_remote, token or accepted)
    from servers.a2a.specialist import run_specialist

    options = _model_options(model, base_url, api_key, api) | {
        "mcp": mcp,
        "mcp_token": mcp_token,
        "max_steps": max_steps,
        "max_body_bytes": max_body_size,
        "tokens": accepted,
        "allow_private_webhooks": allow_private_webhooks,
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
    max_body_size: MaxBodyOpt = DEFAULT_MAX_BODY,
    allow_private_webhooks: PrivateWebhooksOpt = False,
    log_level: LogLevelOpt = "warning",
    otlp_endpoint: OtlpEndpointOpt = None,
) -> None:
    """Serve the coordinator over A2A: an agent with memory that delegates to its peers' skills."""
    for value in peer:
        check_http_url(value, what="--peer")
    start_telemetry(otlp_endpoint, service=COORDINATOR_SERVICE)
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
        max_body_bytes=max_body_size,
        tokens=accepted,
        memory_store=memory_store,
        allow_private_webhooks=allow_private_webhooks,
        **_model_options(model, base_url, api_key, api),
    )


def demo_command(
    name: Annotated[str | None, typer.Argument(help="The scenario to play; leave out to list them.")] = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    trace: Annotated[
        bool,
        typer.Option(
            "--trace", help="Print the trace timeline (llm, mcp and a2a messages) after the transcript."
        ),
    ] = False,
    ports: Annotated[
        str | None,
        typer.Option(
            "--ports",
            "--port",
            metavar="COORDINATOR[,SPECIALIST]",
            show_default=False,
            help="Loopback ports to listen on, e.g. 9100,9101; one port P means P and P+1 (default: any free "
            "ports).",
        ),
    ] = None,
    otlp_endpoint: OtlpEndpointOpt = None,
) -> None:
    """Play a scripted multi-agent demo: user ↔ coordinator ↔ ML specialist, over A2A on loopback."""
    from agents.telemetry import span

    start_telemetry(otlp_endpoint, service=DEMO_SERVICE)  # before a2a-sdk is imported
    from servers.a2a.demo import DemoError, list_scenarios, load_scenario
    from servers.a2a.demo_transcript import run_demo

    if name is None:
        typer.echo("Demos (protoplay demo NAME):")
        for scenario in list_scenarios():
            typer.echo(f"  {scenario.order}. {scenario.name:<20} {scenario.title}")
        return
    chosen = _demo_ports(ports) if ports is not None else None
    try:
        scenario = load_scenario(name)
    except DemoError as exc:
        raise fail(str(exc)) from None
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(logging.ERROR)  # main() configured WARNING already; the demo shows no noise
    try:
        with span(f"demo {scenario.name}"):  # the root of the demo's one trace (when exported)
            ok = asyncio.run(
                run_demo(
                    scenario, model=model, base_url=base_url, api_key=api_key, show_trace=trace, ports=chosen
                )
            )
    except OSError as exc:
        hint = "; choose others with --ports" if chosen else ""
        raise fail(f"could not start the demo servers: {exc.strerror or exc}{hint}") from None
    except KeyboardInterrupt:
        # asyncio.run cancelled the demo at the first Ctrl+C; both servers were stopped on the way out (the
        # servers leave signals to it). A second Ctrl+C lands here too, sooner.
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
    webhooks = (
        "to any http(s) webhook, private addresses included"
        if options.get("allow_private_webhooks")
        else "to public http(s) webhooks (--allow-private-webhooks for local ones)"
    )

    def ready(url: str) -> None:
        typer.echo(
            f"protoplay {label} (A2A 1.0 and 0.3) on {url} — card at "
            f"{url.rstrip('/')}/.well-known/agent-card.json{auth}\n"
            f"  model: {config.describe()}\n  tasks: {describe_store(task_store)}\n"
            f"  push notifications: {webhooks}\n  Ctrl+C stops it",
            err=True,
        )

    try:
        asyncio.run(
            runner(host=host, port=port, token=token, task_store=task_store, on_ready=ready, **options)
        )
    except OSError as exc:
        raise fail(str(exc)) from None
    except StoreError as exc:  # the first line: SQLAlchemy appends its statement and a link below
        raise fail(str(exc).splitlines()[0]) from None
    except SetupError as exc:
        raise fail(user_message(exc)) from None
    except KeyboardInterrupt:  # pragma: no cover - interactive stop
        pass


def _demo_ports(value: str) -> tuple[int, int]:
    """``--ports C,S`` or ``--ports P`` (P and P+1) as (coordinator, specialist)."""
    parts = [part.strip() for part in value.split(",")]
    example = "give COORDINATOR,SPECIALIST such as 9100,9101, or one port P for P and P+1"
    if len(parts) > 2 or not all(part.isdigit() for part in parts):
        raise fail(f"--ports: {value!r} is not one or two port numbers; {example}")
    ports = [int(part) for part in parts]
    coordinator, specialist = ports if len(ports) == 2 else (ports[0], ports[0] + 1)
    for port in (coordinator, specialist):
        if not 1 <= port <= 65535:
            raise fail(f"--ports: {port} is not a port (1-65535); {example}")
    if coordinator == specialist:
        raise fail(f"--ports: the coordinator and the specialist need two different ports; {example}")
    return coordinator, specialist


def check_http_url(value: str, *, what: str) -> None:
    """Exit with one ``error:`` line (code 2) unless ``value`` is an http(s) URL with a host; ``what`` names
    the flag or argument that gave it."""
    if http_url_problem(value) is not None:
        raise fail(
            f"{what}: {value!r} is not an http(s) URL; give the agent's base URL, e.g. http://127.0.0.1:9101/"
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
