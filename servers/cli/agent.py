"""Command line for the agent: ``chat`` and ``ask``.

The interactive chat REPL itself lives in :mod:`servers.cli.chat_repl`. Imports nothing heavy at module level;
each command imports what it runs.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated, Any

import typer

from agents.config import DEFAULTS, Env
from agents.errors import unwrap
from servers.cli.options import (
    ApiKeyOpt,
    ApiOpt,
    BaseUrlOpt,
    ContextTokensOpt,
    MaxStepsOpt,
    McpOpt,
    McpTokenOpt,
    ModelOpt,
    OtlpEndpointOpt,
    SessionOpt,
    SummarizeOpt,
    model_options,
    start_telemetry,
    user_message,
)
from servers.formatting import format_arguments
from servers.serving import fail

__all__ = ["register"]


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    """Add ``chat`` and ``ask`` to ``app``."""
    app.command("chat")(chat_command)
    app.command("ask")(ask_command)


async def _surfacing_errors(events: Any) -> Any:
    """Pass events through; an agent error is re-raised as :class:`_TurnFailed` (not an exception group) so
    the MCP client's task group does not wrap it on the way out."""
    from agents.errors import AgentError

    try:
        async for event in events:
            yield event
    except AgentError as error:
        raise _TurnFailed(user_message(error)) from error


class _TurnFailed(Exception):
    """An agent error, carried out of the runtime's task groups."""


def _refuse_setup_error(error: BaseException) -> None:
    """An unusable data directory or memory.db: one line naming it, exit 2 (the user must fix it)."""
    from agents.config import SetupError

    for cause in (error, error.__cause__):  # a _TurnFailed carries the agent error as its cause
        if isinstance(cause, SetupError):
            raise fail(str(cause)) from None


def _offline_notice(model: str | None, base_url: str | None, api_key: str | None) -> None:
    from agents.config import resolve_model_config

    config = resolve_model_config(model=model, base_url=base_url, api_key=api_key)
    if config.offline:
        typer.echo(
            f"note: using the built-in offline model (no {Env.OPENAI_API_KEY} or {Env.OPENAI_BASE_URL} set).",
            err=True,
        )


def chat_command(
    session: SessionOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    api: ApiOpt = None,
    mcp: McpOpt = None,
    mcp_token: McpTokenOpt = None,
    max_steps: MaxStepsOpt = DEFAULTS.max_steps,
    context_tokens: ContextTokensOpt = DEFAULTS.context_tokens,
    summarize: SummarizeOpt = False,
    otlp_endpoint: OtlpEndpointOpt = None,
) -> None:
    """Chat with the agent in the terminal (streamed answers, tool calls shown, memory kept)."""
    from agents.errors import AgentError
    from agents.runtime import AGENT_NAME
    from servers.cli.chat_repl import run_chat

    start_telemetry(otlp_endpoint, service=AGENT_NAME)
    options = model_options(
        model,
        base_url,
        api_key,
        mcp,
        max_steps,
        mcp_token=mcp_token,
        context_tokens=context_tokens,
        summarize=summarize,
        api=api,
    )
    _offline_notice(model, base_url, api_key)
    try:
        asyncio.run(run_chat(options, session))
    except KeyboardInterrupt:
        typer.echo("", err=True)
    except Exception as error:
        leaf = unwrap(error)
        _refuse_setup_error(leaf)
        if isinstance(leaf, AgentError):
            raise fail(user_message(leaf), code=1) from None
        raise


async def _ask(question: str, options: dict[str, Any], session: str | None, as_json: bool) -> dict[str, Any]:
    from agents.loop import RunFinished, ToolCallFinished, ToolCallStarted
    from agents.messages import TextDelta
    from agents.runtime import AGENT_NAME, default_session_name, open_agent
    from agents.telemetry import agent_span

    name = session or default_session_name("ask")
    async with open_agent(**options, session_name=name, persist=session is not None) as runtime:
        result = None
        with agent_span(AGENT_NAME, conversation=runtime.session.name):  # a span only while export is on
            async for event in _surfacing_errors(runtime.agent.stream(question, session=runtime.session)):
                if isinstance(event, TextDelta) and not as_json:
                    sys.stdout.write(event.text)
                    sys.stdout.flush()
                elif isinstance(event, ToolCallStarted) and not as_json:
                    typer.echo(f"⚙ {event.name}({format_arguments(event.arguments)})", err=True)
                elif isinstance(event, ToolCallFinished) and not as_json:
                    for path in event.record.outcome.images:
                        typer.echo(f"image saved to {path}", err=True)
                elif isinstance(event, RunFinished):
                    result = event.result
        assert result is not None
        if not as_json:
            sys.stdout.write(("" if result.text else result.needs_input or "") + "\n")
        return {
            "answer": result.text,
            "needs_input": result.needs_input,
            "tool_calls": [
                {
                    "name": record.name,
                    "arguments": record.arguments,
                    "is_error": record.outcome.is_error,
                    "result": record.outcome.structured
                    if record.outcome.structured is not None
                    else record.outcome.content,
                    "images": [str(path) for path in record.outcome.images],
                }
                for record in result.tool_calls
            ],
            "model": runtime.config.model,
            "session": runtime.session.name,
            "steps": result.steps,
        }


def ask_command(
    question: Annotated[str, typer.Argument(help="The question (quote it).")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the answer and the tool calls as JSON.")
    ] = False,
    session: SessionOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    api: ApiOpt = None,
    mcp: McpOpt = None,
    mcp_token: McpTokenOpt = None,
    max_steps: MaxStepsOpt = DEFAULTS.max_steps,
    context_tokens: ContextTokensOpt = DEFAULTS.context_tokens,
    summarize: SummarizeOpt = False,
    otlp_endpoint: OtlpEndpointOpt = None,
) -> None:
    """Ask one question (one turn) and print the answer: for scripts."""
    from agents.errors import AgentError
    from agents.runtime import AGENT_NAME

    start_telemetry(otlp_endpoint, service=AGENT_NAME)
    options = model_options(
        model,
        base_url,
        api_key,
        mcp,
        max_steps,
        mcp_token=mcp_token,
        context_tokens=context_tokens,
        summarize=summarize,
        api=api,
    )
    _offline_notice(model, base_url, api_key)
    try:
        report = asyncio.run(_ask(question, options, session, as_json))
    except Exception as error:
        leaf = unwrap(error)
        _refuse_setup_error(leaf)
        if isinstance(leaf, AgentError):
            raise fail(user_message(leaf), code=1) from None
        if isinstance(leaf, _TurnFailed):
            raise fail(str(leaf), code=1) from None
        raise
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False, default=str))
