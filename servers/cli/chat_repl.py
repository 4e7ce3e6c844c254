"""The interactive ``protoplay chat`` REPL: prompt_toolkit input, rich rendering, slash commands.

The typer command and its options live in :mod:`servers.cli.agent`. Imports nothing heavy at module level;
rich, prompt_toolkit and the agent are imported inside the functions.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

from agents.text import one_line
from agents.toolbox import TurnContext
from servers.formatting import format_arguments

if TYPE_CHECKING:
    from rich.console import Console

    from agents.loop import ToolCallRecord
    from agents.runtime import AgentRuntime

__all__ = ["HELP", "compact_result", "run_chat", "run_turn"]

HELP = """Commands:
  /help            this help
  /tools           the tools the model is offered
  /memory [query]  recent long-term memories, or the ones matching a query
  /trace           this session's protocol timeline
  /clear           forget this session's conversation (long-term memory stays)
  /exit            leave (Ctrl-D works too)
Enter sends; Alt+Enter (or Esc, Enter) inserts a newline. Ctrl-C stops a running answer."""


def compact_result(record: ToolCallRecord, width: int = 140) -> str:
    """One line for a finished tool call: its scalar result fields (or its error), clipped to ``width``."""
    outcome = record.outcome
    if outcome.is_error:
        return one_line(outcome.content, width)
    data = outcome.structured
    if isinstance(data, dict):
        scalars = [
            f"{k}={_short(v)}"
            for k, v in data.items()
            if isinstance(v, int | float | str | bool) or v is None
        ]
        return one_line(", ".join(scalars) or outcome.content, width)
    return one_line(outcome.content, width)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return one_line(str(value), 40)


async def run_turn(runtime: AgentRuntime, text: str, console: Console, *, live: bool) -> None:
    """Run one turn, streaming the answer and showing each tool call with a compact result."""
    from agents.runtime import AGENT_NAME
    from agents.telemetry import agent_span

    with agent_span(AGENT_NAME, conversation=runtime.session.name):  # a span only while export is on
        await _show_turn(runtime, text, console, live=live)


async def _show_turn(runtime: AgentRuntime, text: str, console: Console, *, live: bool) -> None:
    from rich.live import Live
    from rich.markdown import Markdown

    from agents.errors import AgentError
    from agents.loop import RunFinished, ToolCallFinished, ToolCallStarted
    from agents.messages import TextDelta

    buffer: list[str] = []
    display: Live | None = None

    def close_display() -> None:
        nonlocal display
        if display is not None:
            display.stop()
            display = None
        elif buffer:
            sys.stdout.write("\n")
            sys.stdout.flush()
        buffer.clear()

    try:
        async for event in runtime.agent.stream(text, session=runtime.session):
            if isinstance(event, TextDelta):
                buffer.append(event.text)
                if live:
                    if display is None:
                        display = Live(console=console, refresh_per_second=12, vertical_overflow="visible")
                        display.start()
                    display.update(Markdown("".join(buffer)))
                else:
                    sys.stdout.write(event.text)
                    sys.stdout.flush()
            elif isinstance(event, ToolCallStarted):
                close_display()
                console.print(
                    f"[cyan]⚙ {event.name}[/]({format_arguments(event.arguments)})", highlight=False
                )
            elif isinstance(event, ToolCallFinished):
                record = event.record
                mark = "[red]✗[/]" if record.outcome.is_error else "[green]✓[/]"
                took = f"{record.outcome.duration_ms:.0f} ms"
                console.print(f"  {mark} {record.name} ({took}): {compact_result(record)}", highlight=False)
                for path in record.outcome.images:
                    console.print(f"  🖼  image saved to {path}", highlight=False)
            elif isinstance(event, RunFinished) and event.result.needs_input:
                close_display()
                console.print(Markdown(event.result.needs_input) if live else event.result.needs_input)
        close_display()
    except AgentError as error:
        close_display()
        console.print(f"[red]{error}[/]", highlight=False)
    except asyncio.CancelledError:
        close_display()
        task = asyncio.current_task()
        if task is not None and task.uncancel() > 0:
            raise
        console.print("[yellow](stopped; this turn was not kept)[/]")


def _banner(runtime: AgentRuntime) -> str:
    lines = [
        "[bold]protoplay chat[/]",
        f"  model:   {runtime.config.describe()}",
        f"  MCP:     {runtime.mcp_description}",
        f"  session: {runtime.session.name} ({len(runtime.session.window.turns)} earlier turns)",
        "  /help for commands, /exit to leave",
    ]
    return "\n".join(lines)


async def _slash(runtime: AgentRuntime, line: str, console: Console) -> bool:
    """Handle a slash command; ``False`` means leave the REPL."""
    command, _, rest = line.strip().partition(" ")
    command = command.lower()
    if command in ("/exit", "/quit", "/q"):
        return False
    if command == "/help":
        console.print(HELP, highlight=False, markup=False)
    elif command == "/tools":
        for spec in await runtime.agent.tool_specs(TurnContext.of(runtime.session.name)):
            function = spec["function"]
            summary = (function.get("description") or "").strip().split("\n", 1)[0]
            console.print(f"  [cyan]{function['name']}[/]  {one_line(summary, 100)}", highlight=False)
    elif command == "/memory":
        found = await (
            runtime.memory.recall(rest, limit=10) if rest.strip() else runtime.memory.newest(limit=10)
        )
        if not found:
            console.print("  (no memories)" if not rest.strip() else f"  (nothing matches {rest.strip()!r})")
        for memory in found:
            console.print(f"  [{memory.id}] ({memory.kind}) {memory.text}", highlight=False, markup=False)
    elif command == "/trace":
        from agents.trace import format_timeline, read_trace

        try:
            events = list(read_trace(runtime.session.name))
        except FileNotFoundError:
            events = []
        for entry in format_timeline(events[-30:]):
            console.print(entry, highlight=False, markup=False)
        if not events:
            console.print("  (no events yet)")
    elif command == "/clear":
        await runtime.session.clear()
        console.print("  (conversation cleared; long-term memories kept)")
    else:
        console.print(f"  unknown command {command}; /help lists them", markup=False)
    return True


async def _reader(interactive: bool) -> Any:
    from agents.config import protoplay_home

    if interactive:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory
        from prompt_toolkit.key_binding import KeyBindings

        bindings = KeyBindings()

        @bindings.add("escape", "enter")  # Alt+Enter arrives as Esc, Enter
        def _newline(event: Any) -> None:
            event.current_buffer.insert_text("\n")

        prompt: PromptSession[str] = PromptSession(
            history=FileHistory(str(protoplay_home() / "chat_history")),
            key_bindings=bindings,
            multiline=False,
        )

        async def read() -> str | None:
            try:
                return await prompt.prompt_async("you › ")
            except EOFError:
                return None

        return read

    async def read_line() -> str | None:
        lines: list[str] = []
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                return "\n".join(lines) if lines else None
            line = line.rstrip("\n")
            if line.endswith("\\"):  # a trailing backslash continues the message on the next line
                lines.append(line[:-1])
                continue
            lines.append(line)
            return "\n".join(lines)

    return read_line


async def run_chat(options: dict[str, Any], session: str | None) -> None:
    """The chat REPL: open the agent with ``options``, then read lines until /exit or end of input."""
    from rich.console import Console

    from agents.runtime import open_agent

    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    console = Console(highlight=False, soft_wrap=not interactive)
    async with open_agent(**options, session_name=session) as runtime:
        console.print(_banner(runtime))
        read = await _reader(interactive)
        while True:
            line = await read()
            if line is None:
                break
            if not line.strip():
                continue
            if line.strip().startswith("/"):
                if not await _slash(runtime, line, console):
                    break
                continue
            await run_turn(runtime, line, console, live=interactive)
