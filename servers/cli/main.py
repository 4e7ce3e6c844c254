"""The ``protoplay`` command line (the script enters through ``servers.__main__``).

Each capability registers its commands from its own module (``servers.cli_*``), so this file stays a table
of contents. Heavy libraries are imported inside commands, never at module import.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from agents.errors import unwrap
from servers.serving import fail

__all__ = ["app", "crash_log_path", "main"]

app = typer.Typer(
    name="protoplay",
    help="An agent protocol playground: ML utilities over MCP, function calling and A2A.",
    invoke_without_command=True,  # no command: the first-run guide (see _guide)
    add_completion=False,
    pretty_exceptions_enable=False,
)
serve_app = typer.Typer(
    help="Start a server (MCP, A2A, or the offline model's OpenAI-compatible endpoint).", no_args_is_help=True
)
app.add_typer(serve_app, name="serve")


@app.callback()
def _guide(ctx: typer.Context) -> None:
    """With no command, print five things to try instead of only the usage."""
    if ctx.invoked_subcommand is None:
        from agents.config import resolve_model_config
        from servers.cli.guide import first_run_guide

        typer.echo(first_run_guide(resolve_model_config().describe()), nl=False)


@app.command("tools")
def list_tools_command(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print name, theme and description as JSON.")
    ] = False,
) -> None:
    """List the tool catalogue: name and one-line description."""
    from tools.catalog import TOOLS

    if as_json:
        rows = [{"name": s.name, "theme": str(s.theme), "description": s.summary} for s in TOOLS]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max(len(s.name) for s in TOOLS)
    theme = None
    for spec in TOOLS:
        if spec.theme != theme:
            theme = spec.theme
            typer.echo(f"\n{str(theme).capitalize()}")
        typer.echo(f"  {spec.name.ljust(width)}  {spec.summary}")


@app.command("call")
def call_command(
    tool: Annotated[str, typer.Argument(help="Tool name, as listed by `protoplay tools`.")],
    json_args: Annotated[
        str | None, typer.Argument(metavar="[JSON]", help="Arguments as one JSON object (or use --args).")
    ] = None,
    args: Annotated[
        str | None, typer.Option("--args", "-a", show_default=False, help="Arguments as one JSON object.")
    ] = None,
    save_plot: Annotated[
        Path | None, typer.Option("--save-plot", help="Where to write the PNG, for tools that draw.")
    ] = None,
    schema: Annotated[bool, typer.Option("--schema", help="Print the tool's input schema instead.")] = False,
) -> None:
    """Validate JSON arguments against a tool's schema, run it and print the structured result as JSON."""
    from tools.catalog import arguments_model, call_tool, get_tool
    from tools.errors import ToolInputError

    if json_args is not None and args is not None:
        raise fail("--args: the arguments were also given as the JSON argument; give them once, either way")
    try:
        spec = get_tool(tool)
        if schema:
            typer.echo(json.dumps(arguments_model(spec.name).model_json_schema(), indent=2))
            return
        try:
            arguments = json.loads(json_args if json_args is not None else args or "{}")
        except json.JSONDecodeError as exc:
            raise ToolInputError("--args", f"not valid JSON ({exc.msg} at position {exc.pos})") from None
        if not isinstance(arguments, dict):
            raise ToolInputError("--args", f"must be a JSON object, got {type(arguments).__name__}")
        result = call_tool(spec.name, arguments)
    except ToolInputError as exc:
        raise fail(str(exc)) from None
    # Anything else is a crash: main() logs its traceback to the crash log and prints one line.
    typer.echo(result.model_dump_json(indent=2))
    png = getattr(result, "png", None)
    if png and save_plot is not None:
        save_plot.write_bytes(png)
        typer.echo(f"plot saved to {save_plot}", err=True)
    elif png:
        typer.echo("this tool also drew a plot: pass --save-plot FILE.png to keep it", err=True)


def _register_capabilities() -> None:
    """Let each capability module add its commands (they import nothing heavy at module level)."""
    import importlib

    for module in (
        "servers.cli.mcp",
        "servers.cli.agent",
        "servers.cli.memory",
        "servers.cli.trace",
        "servers.cli.llm",
        "servers.cli.a2a",
        "servers.cli.a2a_client",
        "servers.cli.doctor",
        "servers.cli.ui",
        "servers.cli.eval",
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue  # capability not built into this checkout
            raise
        mod.register(app, serve_app)


_register_capabilities()


def main() -> None:
    """Run the CLI. The last line of defence: no traceback reaches the user.

    A setup problem (an unusable ``PROTOPLAY_HOME``, a damaged ``memory.db``) is one ``error:`` line, exit 2;
    another expected agent failure (an unreachable or refusing server) is one line, exit 1. Any other
    exception (an exception group is unwrapped to its first leaf) is logged with its traceback to the crash
    log and shown as one line, exit 1; Ctrl+C exits 130 quietly.
    """
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except BaseException as exc:  # reported below as one line; the traceback goes to the crash log
        leaf = unwrap(exc)
        if isinstance(leaf, KeyboardInterrupt):
            sys.exit(130)
        if isinstance(leaf, SystemExit):
            raise leaf from None
        from agents.config import SetupError
        from agents.errors import AgentError

        if isinstance(leaf, AgentError):  # expected failures: their message is written for the user
            typer.echo(f"error: {leaf}", err=True)
            sys.exit(2 if isinstance(leaf, SetupError) else 1)
        where = _log_crash(exc)
        details = f"details in {where}" if where is not None else "the traceback could not be saved"
        typer.echo(f"error: internal error ({type(leaf).__name__}); {details}", err=True)
        sys.exit(1)


def crash_log_path() -> Path:
    """``$PROTOPLAY_HOME/logs/crash.log``, or ``<temp dir>/protoplay-crash.log`` when the home is unusable."""
    try:
        from agents.config import protoplay_home

        logs = protoplay_home() / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        return logs / "crash.log"
    except Exception:  # any trouble with the home: fall back to the temp dir
        import tempfile

        return Path(tempfile.gettempdir()) / "protoplay-crash.log"


def _log_crash(exc: BaseException) -> Path | None:
    """Append the command line and the traceback to the crash log; its path (``None``: nowhere writable)."""
    import tempfile
    import traceback
    from datetime import datetime

    text = "".join(traceback.format_exception(exc))
    entry = f"--- {datetime.now().isoformat(timespec='seconds')} protoplay {' '.join(sys.argv[1:])}\n{text}\n"
    for path in (crash_log_path(), Path(tempfile.gettempdir()) / "protoplay-crash.log"):
        try:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(entry)
        except OSError:
            continue
        return path
    return None


if __name__ == "__main__":
    main()
