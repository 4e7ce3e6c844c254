"""Command line for the agent: ``chat``, ``ask``, ``memory``, ``trace`` and ``serve llm``.

The interactive chat REPL itself lives in :mod:`servers.cli.chat_repl`. Imports nothing heavy at module level;
each command imports what it runs.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from agents.errors import unwrap
from servers.formatting import format_arguments
from servers.serving import check_bind, fail

__all__ = ["register"]

memory_app = typer.Typer(help="Manage long-term memory: list, search, forget, export.", no_args_is_help=True)
trace_app = typer.Typer(
    help="Show protocol traces: every model, MCP and A2A message of a session.", no_args_is_help=True
)

ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Model name (or PROTOPLAY_MODEL).")]
BaseUrlOpt = Annotated[
    str | None, typer.Option("--base-url", help="OpenAI-compatible base URL (or OPENAI_BASE_URL).")
]
ApiKeyOpt = Annotated[
    str | None, typer.Option("--api-key", help="API key (or OPENAI_API_KEY).", show_default=False)
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
        "(or PROTOPLAY_MCP_TOKEN).",
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


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    """Add ``chat``, ``ask``, ``memory`` and ``trace`` to ``app`` and ``llm`` to ``serve_app``."""
    app.command("chat")(chat_command)
    app.command("ask")(ask_command)
    app.add_typer(memory_app, name="memory")
    app.add_typer(trace_app, name="trace")
    serve_app.command("llm")(serve_llm_command)


def _model_options(
    model: str | None,
    base_url: str | None,
    api_key: str | None,
    mcp: str | None,
    max_steps: int,
    *,
    mcp_token: str | None,
    context_tokens: int,
    summarize: bool,
) -> dict[str, Any]:
    """The ``open_agent`` options of ``chat`` and ``ask``; a bad value exits with a one-line error."""
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
        "mcp": mcp,
        "mcp_token": mcp_token,
        "max_steps": max_steps,
        "budget_tokens": context_tokens,
        "summarize": summarize,
    }


async def _surfacing_errors(events: Any) -> Any:
    """Pass events through; an agent error is re-raised as :class:`_TurnFailed` (not an exception group) so
    the MCP client's task group does not wrap it on the way out."""
    from agents.errors import AgentError

    try:
        async for event in events:
            yield event
    except AgentError as error:
        raise _TurnFailed(str(error)) from error


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
            "note: using the built-in offline model (no OPENAI_API_KEY or OPENAI_BASE_URL set).", err=True
        )


def chat_command(
    session: SessionOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    mcp: McpOpt = None,
    mcp_token: McpTokenOpt = None,
    max_steps: MaxStepsOpt = 8,
    context_tokens: ContextTokensOpt = 8000,
    summarize: SummarizeOpt = False,
) -> None:
    """Chat with the agent in the terminal (streamed answers, tool calls shown, memory kept)."""
    from agents.errors import AgentError
    from servers.cli.chat_repl import run_chat

    options = _model_options(
        model,
        base_url,
        api_key,
        mcp,
        max_steps,
        mcp_token=mcp_token,
        context_tokens=context_tokens,
        summarize=summarize,
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
            raise fail(str(leaf), code=1) from None
        raise


async def _ask(question: str, options: dict[str, Any], session: str | None, as_json: bool) -> dict[str, Any]:
    from agents.loop import RunFinished, ToolCallFinished, ToolCallStarted
    from agents.models.openai import TextDelta
    from agents.runtime import default_session_name, open_agent

    name = session or default_session_name("ask")
    async with open_agent(**options, session_name=name, persist=session is not None) as runtime:
        result = None
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
    mcp: McpOpt = None,
    mcp_token: McpTokenOpt = None,
    max_steps: MaxStepsOpt = 8,
    context_tokens: ContextTokensOpt = 8000,
    summarize: SummarizeOpt = False,
) -> None:
    """Ask one question (one turn) and print the answer: for scripts."""
    from agents.errors import AgentError

    options = _model_options(
        model,
        base_url,
        api_key,
        mcp,
        max_steps,
        mcp_token=mcp_token,
        context_tokens=context_tokens,
        summarize=summarize,
    )
    _offline_notice(model, base_url, api_key)
    try:
        report = asyncio.run(_ask(question, options, session, as_json))
    except Exception as error:
        leaf = unwrap(error)
        _refuse_setup_error(leaf)
        if isinstance(leaf, AgentError | _TurnFailed):
            raise fail(str(leaf), code=1) from None
        raise
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False, default=str))


# ---------------------------------------------------------------------------------------------- memory


def _memory_run(work: Any) -> Any:
    from agents.config import SetupError
    from agents.memory.long_term import LongTermMemory

    try:
        memory = LongTermMemory()
        try:
            return asyncio.run(work(memory))
        finally:
            memory.close()
    except SetupError as error:
        raise fail(str(error)) from None


def _print_memories(found: list[Any], as_json: bool, empty: str) -> None:
    if as_json:
        typer.echo(json.dumps([memory.to_dict() for memory in found], indent=2, ensure_ascii=False))
        return
    if not found:
        typer.echo(empty)
    for memory in found:
        row = memory.to_dict()
        tags = f" [{', '.join(memory.tags)}]" if memory.tags else ""
        typer.echo(f"{memory.id:>6}  {row['created']}  {memory.kind:<10} {memory.text}{tags}")


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@memory_app.command("list")
def memory_list(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many, newest first.")] = 20,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind (fact, preference...).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the newest memories."""
    found = _memory_run(lambda memory: memory.list(limit=limit, kind=kind))
    _print_memories(found, as_json, "(no memories yet)")


@memory_app.command("search")
def memory_search(
    query: Annotated[str, typer.Argument(help="Words to look for.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="How many matches.")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Search memories (BM25 relevance, best first)."""
    found = _memory_run(lambda memory: memory.recall(query, limit=limit))
    _print_memories(found, as_json, f"(nothing matches {query!r})")


@memory_app.command("forget")
def memory_forget(
    memory_id: Annotated[int, typer.Argument(help="The memory's id (see `memory list`).")],
) -> None:
    """Delete one memory."""
    if not _memory_run(lambda memory: memory.forget(memory_id)):
        raise fail(f"no memory has id {memory_id}; `protoplay memory list` shows the ids")
    typer.echo(f"forgot memory {memory_id}")


@memory_app.command("export")
def memory_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Export every memory as JSON (oldest first)."""
    found = _memory_run(lambda memory: memory.export())
    text = json.dumps([memory.to_dict() for memory in found], indent=2, ensure_ascii=False)
    if output is None:
        typer.echo(text)
    else:
        try:
            output.write_text(text + "\n", encoding="utf-8")
        except OSError as error:
            raise fail(f"cannot write {output}: {error.strerror or error}") from None
        typer.echo(f"exported {len(found)} memories to {output}", err=True)


@memory_app.command("sessions")
def memory_sessions() -> None:
    """List saved chat sessions (resume one with `protoplay chat --session NAME`)."""
    from agents.config import SetupError
    from agents.memory.sessions import SessionStore
    from agents.memory.store import SQLiteStore

    try:
        store = SQLiteStore()
        try:
            rows = asyncio.run(SessionStore(store).list())
        finally:
            store.close()
    except SetupError as error:
        raise fail(str(error)) from None
    if not rows:
        typer.echo("(no saved sessions)")
    for row in rows:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(row.updated))
        typer.echo(f"{row.name:<32} {row.turns:>4} turns  last used {when}")


# ---------------------------------------------------------------------------------------------- trace


@trace_app.command("list")
def trace_list() -> None:
    """List the sessions that have a trace, newest first."""
    from agents.config import SetupError
    from agents.trace import list_traces

    try:
        rows = list_traces()
    except SetupError as error:
        raise fail(str(error)) from None
    if not rows:
        typer.echo("(no traces yet: run `protoplay ask` or `protoplay chat` first)")
    for session, count, mtime in rows:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(mtime))
        typer.echo(f"{session:<40} {count:>5} events  {when}")


@trace_app.command("show")
def trace_show(
    session: Annotated[str, typer.Argument(help="Session name, as `protoplay trace list` shows it.")],
    protocol: Annotated[str | None, typer.Option("--protocol", "-p", help="Only llm, mcp or a2a.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSONL events.")] = False,
    width: Annotated[int, typer.Option(min=40, max=1000, help="Digest width.")] = 100,
) -> None:
    """Show a session's timeline: every model request/response and MCP call, in order, with durations."""
    from dataclasses import asdict

    from agents.config import SetupError
    from agents.trace import format_timeline, list_traces, read_trace

    try:
        found = read_trace(session)
    except FileNotFoundError:
        known = ", ".join(name for name, _, _ in list_traces()[:10]) or "none yet"
        raise fail(f"no trace for session {session!r}; known sessions: {known}") from None
    except SetupError as error:
        raise fail(str(error)) from None
    if found.skipped:
        lines = "1 line that is" if found.skipped == 1 else f"{found.skipped} lines that are"
        typer.echo(f"note: skipped {lines} not trace events (damaged, or not written by protoplay)", err=True)
    events = [e for e in found if protocol is None or e.protocol == protocol]
    if as_json:
        for event in events:
            typer.echo(json.dumps(asdict(event), ensure_ascii=False))
        return
    for line in format_timeline(events, width=width):
        typer.echo(line)


# ---------------------------------------------------------------------------------------------- serve llm


def serve_llm_command(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow binding an address other machines can reach.")
    ] = False,
) -> None:
    """Serve the built-in offline model as an OpenAI-compatible endpoint (/v1/models,
    /v1/chat/completions)."""
    check_bind(host, allow_remote=allow_remote, server="the offline model endpoint")
    from servers.llm.server import serve

    typer.echo(
        f"offline model endpoint: http://{host}:{port}/v1 (model protoplay-offline); Ctrl-C stops", err=True
    )
    serve(host, port)
