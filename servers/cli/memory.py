"""Command line for long-term memory: ``protoplay memory list|search|forget|export|sessions``."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from servers.cli.options import JsonOpt
from servers.serving import fail

__all__ = ["register"]

memory_app = typer.Typer(
    help="Manage long-term memory (list, search, forget, export) and list saved sessions.",
    no_args_is_help=True,
)


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    """Add ``memory`` to ``app``."""
    app.add_typer(memory_app, name="memory")


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


@memory_app.command("list")
def memory_list(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many, newest first.")] = 20,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind (fact, preference...).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the newest memories."""
    found = _memory_run(lambda memory: memory.newest(limit=limit, kind=kind))
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
def memory_sessions(as_json: JsonOpt = False) -> None:
    """List saved sessions, most recent first: those `chat --session NAME` and `ask --session NAME` keep
    (resume one with the same flag)."""
    from agents.config import SetupError
    from agents.memory.sessions import SessionStore
    from agents.memory.store import SQLiteStore

    try:
        store = SQLiteStore()
        try:
            rows = asyncio.run(SessionStore(store).saved())
        finally:
            store.close()
    except SetupError as error:
        raise fail(str(error)) from None
    if as_json:
        stamp = "%Y-%m-%dT%H:%M:%S"
        listed = [
            {
                "name": row.name,
                "turns": row.turns,
                "created": time.strftime(stamp, time.localtime(row.created)),
                "updated": time.strftime(stamp, time.localtime(row.updated)),
            }
            for row in rows
        ]
        typer.echo(json.dumps(listed, indent=2, ensure_ascii=False))
        return
    if not rows:
        keeps = '`protoplay chat --session NAME` or `protoplay ask --session NAME "…"` keeps one'
        typer.echo(f"(no saved sessions: {keeps})")
    for row in rows:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(row.updated))
        turns = f"{row.turns} turn" + ("" if row.turns == 1 else "s")
        typer.echo(f"{row.name:<32} {turns:>10}  last used {when}")
