"""Command line for protocol traces: ``protoplay trace list|show``."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from agents.text import printable
from servers.serving import fail

__all__ = ["register"]

trace_app = typer.Typer(
    help="Show protocol traces: every model, MCP and A2A message of a session.", no_args_is_help=True
)


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    """Add ``trace`` to ``app``."""
    app.add_typer(trace_app, name="trace")


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
        typer.echo(printable(f"{session:<40} {count:>5} events  {when}"))


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
        raise fail(printable(f"no trace for session {session!r}; known sessions: {known}")) from None
    except SetupError as error:
        raise fail(str(error)) from None
    if found.skipped:
        lines = "1 line that is" if found.skipped == 1 else f"{found.skipped} lines that are"
        typer.echo(f"note: skipped {lines} not trace events (damaged, or not written by protoplay)", err=True)
    events = [e for e in found if protocol is None or e.protocol == protocol]
    if as_json:
        for event in events:
            typer.echo(printable(json.dumps(asdict(event), ensure_ascii=False)))
        return
    for line in format_timeline(events, width=width):
        typer.echo(line)
