"""Options and error wording shared by the command groups: one definition of each flag.

Nothing heavy is imported here; every command module imports what it runs inside the command.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from agents.config import DEFAULTS, Env, ModelAPI
from servers.serving import DEFAULT_MAX_BODY, format_size, parse_size

__all__ = [
    "CONTEXT_TOKENS_MAX",
    "CONTEXT_TOKENS_MIN",
    "AllowRemoteOpt",
    "ApiKeyOpt",
    "ApiOpt",
    "BaseUrlOpt",
    "ContextTokensOpt",
    "JsonOpt",
    "MaxBodyOpt",
    "MaxStepsOpt",
    "McpOpt",
    "McpTokenOpt",
    "MemoryStoreOpt",
    "ModelOpt",
    "OtlpEndpointOpt",
    "SessionOpt",
    "SummarizeOpt",
    "model_options",
    "offline_responses_model",
    "start_telemetry",
    "stdio_mcp_server",
    "user_message",
]

ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help=f"Model name (or {Env.MODEL}).")]
BaseUrlOpt = Annotated[
    str | None, typer.Option("--base-url", help=f"OpenAI-compatible base URL (or {Env.OPENAI_BASE_URL}).")
]
ApiKeyOpt = Annotated[
    str | None, typer.Option("--api-key", help=f"API key (or {Env.OPENAI_API_KEY}).", show_default=False)
]
ApiOpt = Annotated[
    ModelAPI | None,
    typer.Option(
        "--api",
        case_sensitive=False,
        help=f"The wire to the model: chat (chat completions) or responses (the Responses API); or {Env.API}",
        show_default="chat",
    ),
]
McpOpt = Annotated[
    str | None,
    typer.Option(
        "--mcp", help="Streamable-HTTP MCP server URL; default: spawn `protoplay serve mcp` (stdio)."
    ),
]
McpTokenOpt = Annotated[
    str | None,
    typer.Option(
        "--mcp-token",
        show_default=False,
        help="Bearer token for the --mcp server, sent as 'Authorization: Bearer TOKEN' "
        f"(or {Env.MCP_TOKEN}).",
    ),
]
MaxStepsOpt = Annotated[
    int, typer.Option("--max-steps", min=1, max=100, help="Model steps allowed per turn.")
]
#: Bounds of --context-tokens: below 512 a single tool result crowds out the conversation; 1M is the largest
#: context window any chat model offers today.
CONTEXT_TOKENS_MIN, CONTEXT_TOKENS_MAX = 512, 1_000_000
ContextTokensOpt = Annotated[
    int,
    typer.Option(
        "--context-tokens",
        metavar="N",
        help=f"Short-term memory budget: about N tokens of conversation sent per request "
        f"({CONTEXT_TOKENS_MIN:,}..{CONTEXT_TOKENS_MAX:,}); the oldest whole turns go first when it is full.",
    ),
]
SummarizeOpt = Annotated[
    bool,
    typer.Option(
        "--summarize/--no-summarize",
        help="Fold turns that no longer fit --context-tokens into a running summary the model keeps seeing; "
        "off by default: such turns are dropped (long-term memory keeps what was remembered).",
    ),
]
SessionOpt = Annotated[str | None, typer.Option("--session", "-s", help="Session name: resumes a saved one.")]
AllowRemoteOpt = Annotated[
    bool, typer.Option("--allow-remote", help="Allow binding an address other machines can reach.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
MaxBodyOpt = Annotated[
    int,
    typer.Option(
        "--max-body-size",
        metavar="SIZE",
        parser=parse_size,
        help=f"Largest request body read (bytes, or with k/M/G; default {format_size(DEFAULT_MAX_BODY)}); "
        "a larger one is answered 413 before it is read.",
    ),
]
MemoryStoreOpt = Annotated[
    str | None,
    typer.Option(
        "--memory-store",
        metavar="URL",
        help="Where long-term memory and saved conversations live: postgresql://USER@HOST/DB (shared by "
        "replicas) or sqlite:///PATH (default: SQLite in $PROTOPLAY_HOME/memory.db).",
    ),
]
OtlpEndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--otlp-endpoint",
        metavar="URL",
        show_default=False,
        help="Export OpenTelemetry spans to this OTLP/HTTP collector, e.g. http://127.0.0.1:4318 (or "
        f"{Env.OTLP_ENDPOINT}); off by default.",
    ),
]

#: How a user changes the setting an agent error names (see ``agents.errors.AgentError.setting``).
_SETTING_FLAGS = {
    "max_steps": "raise the limit with --max-steps N",
    "mcp_token": f"pass it with --mcp-token or {Env.MCP_TOKEN}",
    "memory_store": "check --memory-store",
}


def user_message(error: BaseException) -> str:
    """An agent error's sentence, plus the flag that fixes it when the error names a setting."""
    text = str(error)
    setting = getattr(error, "setting", None)
    if setting in _SETTING_FLAGS:
        text = f"{text.rstrip('.')}; {_SETTING_FLAGS[setting]}."
    return text


def start_telemetry(endpoint: str | None, *, service: str) -> None:
    """Switch OpenTelemetry export on for this process when ``--otlp-endpoint`` or the environment names a
    collector (``service`` names its spans); a flag that cannot be honoured exits with one line."""
    from agents.telemetry import TelemetryError, configure
    from servers.serving import fail

    try:
        configure(service=service, endpoint=endpoint)
    except TelemetryError as exc:
        raise fail(str(exc)) from None


def stdio_mcp_server() -> Any:
    """The default MCP server of the agent: this installation's ``protoplay serve mcp``, spawned over stdio
    under the running interpreter."""
    import sys

    from agents.mcp.client import StdioServer

    return StdioServer(
        sys.executable,
        ("-m", "servers", "serve", "mcp"),
        name="protoplay-mcp",
        description="protoplay serve mcp",
    )


def offline_responses_model(
    model: str | None, base_url: str | None, api_key: str | None, api: str | None
) -> Any:
    """The offline model over the Responses API when the flags and environment ask for exactly that: the
    ``serve llm`` app in process (its ``/v1/responses`` route), so the real wire is spoken without a socket.
    ``None`` otherwise (the agent builds its own model). A bad ``PROTOPLAY_API`` exits with one line."""
    import httpx2

    from agents.config import SetupError, resolve_model_config
    from servers.serving import fail

    try:
        config = resolve_model_config(model=model, base_url=base_url, api_key=api_key, api=api)
    except SetupError as exc:
        raise fail(str(exc)) from None
    if not (config.offline and config.api == ModelAPI.RESPONSES):
        return None
    from agents.models.openai import build_model
    from servers.llm.server import build_app

    return build_model(config, offline_transport=httpx2.ASGITransport(app=build_app()))


def model_options(
    model: str | None,
    base_url: str | None,
    api_key: str | None,
    mcp: str | None,
    max_steps: int = DEFAULTS.max_steps,
    *,
    mcp_token: str | None,
    context_tokens: int = DEFAULTS.context_tokens,
    summarize: bool = False,
    api: str | None = None,
) -> dict[str, Any]:
    """The ``open_agent`` options of ``chat`` and ``ask``; a bad value exits with a one-line error."""
    from servers.serving import fail

    if not CONTEXT_TOKENS_MIN <= context_tokens <= CONTEXT_TOKENS_MAX:
        raise fail(
            f"--context-tokens must be between {CONTEXT_TOKENS_MIN:,} and {CONTEXT_TOKENS_MAX:,} "
            f"(got {context_tokens:,})"
        )
    if mcp_token and mcp is None:
        typer.echo("note: --mcp-token is only sent to an --mcp URL; the stdio server needs none.", err=True)
    return {
        "model": model,
        "base_url": base_url,
        "api_key": api_key,
        "api": api,
        "model_override": offline_responses_model(model, base_url, api_key, api),
        "mcp": mcp if mcp is not None else stdio_mcp_server(),
        "mcp_token": mcp_token,
        "max_steps": max_steps,
        "budget_tokens": context_tokens,
        "summarize": summarize,
    }
