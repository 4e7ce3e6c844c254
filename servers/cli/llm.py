"""Command line for the offline model's OpenAI-compatible endpoint: ``protoplay serve llm``."""

from __future__ import annotations

from typing import Annotated

import typer

from agents.config import DEFAULTS, OFFLINE_MODEL_NAME
from servers.cli.options import AllowRemoteOpt, OtlpEndpointOpt, start_telemetry
from servers.serving import check_bind

__all__ = ["SERVICE_NAME", "register"]

SERVICE_NAME = "protoplay-llm"
"""The ``service.name`` of the endpoint's OpenTelemetry spans."""


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    """Add ``llm`` to ``serve_app``."""
    serve_app.command("llm")(serve_llm_command)


def serve_llm_command(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = DEFAULTS.llm_port,
    allow_remote: AllowRemoteOpt = False,
    otlp_endpoint: OtlpEndpointOpt = None,
) -> None:
    """Serve the built-in offline model as an OpenAI-compatible endpoint (/v1/models,
    /v1/chat/completions, /v1/responses)."""
    check_bind(host, allow_remote=allow_remote, server="the offline model endpoint")
    start_telemetry(otlp_endpoint, service=SERVICE_NAME)
    from servers.llm.server import serve

    typer.echo(
        f"offline model endpoint: http://{host}:{port}/v1 (model {OFFLINE_MODEL_NAME}); Ctrl-C stops",
        err=True,
    )
    serve(host, port)
