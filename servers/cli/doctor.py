"""``protoplay doctor``: check this install and say what to fix.

Each check returns one :class:`Finding`: what was looked at and what was found, and for anything not fine the
step that fixes it. The required parts (Python, the packages, torch, a writable data directory, memory.db,
loopback ports, the configured model) decide the exit code; the optional parts (Node for the MCP Inspector
and the conformance suite, chromium for tests in a real browser, Claude Desktop's config) are reported with
what they enable and never fail the run. Nothing heavy is imported until the command runs.
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import typer

from agents.config import DEFAULTS, Env

__all__ = ["Finding", "check_imports", "check_ports", "register", "run_checks"]

Status = Literal["ok", "warn", "fail", "absent"]
_MARKS: dict[Status, str] = {"ok": "✓", "warn": "!", "fail": "✗", "absent": "○"}


@dataclass(frozen=True)
class Finding:
    """The outcome of one check."""

    status: Status
    """``ok``; ``warn`` (works, with a caveat); ``fail`` (a required part is broken); ``absent`` (an optional
    part is not installed)."""
    text: str
    """What was checked and what was found, in one line."""
    fix: str | None = None
    """What to do about it (for anything but ``ok``)."""


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    """Add ``doctor`` to ``app``."""
    app.command("doctor")(doctor_command)


def doctor_command() -> None:
    """Check the install (Python, torch, data, ports, model; Node, chromium) and say what to fix."""
    typer.echo("protoplay doctor: checking this install\n")
    required, optional = run_checks()
    for finding in required:
        _show(finding)
    typer.echo("\noptional parts:")
    for finding in optional:
        _show(finding)
    broken = sum(finding.status == "fail" for finding in required)
    if broken:
        typer.echo(f"\n{broken} problem{'s' if broken > 1 else ''} to fix (✗ above).")
        raise typer.Exit(1)
    typer.echo("\nAll required checks passed. Next: run `protoplay` for five things to try.")


def run_checks() -> tuple[list[Finding], list[Finding]]:
    """The required findings, then the optional ones."""
    ports = {
        "coordinator": DEFAULTS.coordinator_port,
        "specialist": DEFAULTS.specialist_port,
        "serve mcp --transport http": DEFAULTS.mcp_http_port,
        "serve llm": DEFAULTS.llm_port,
    }
    home = _check_home()
    required = [
        _check_python(),
        check_imports(("tools.catalog", "agents.runtime", "servers.mcp.server"), label=_protoplay_label()),
        check_imports(("torch", "torchvision", "matplotlib"), label="torch, torchvision and matplotlib"),
        home,
        *([_check_memory_db()] if home.status == "ok" else []),  # memory.db lives in the home
        check_ports(ports),
        _check_model(),
    ]
    optional = [_check_node(), _check_chromium(), _check_claude_desktop()]
    return required, optional


def _show(finding: Finding) -> None:
    typer.echo(f"{_MARKS[finding.status]} {finding.text}")
    if finding.fix and finding.status != "ok":
        typer.echo(f"    → {finding.fix}")


# ------------------------------------------------------------------------------------------------ required


def _check_python() -> Finding:
    # pip refuses to install protoplay below Python 3.11, so running at all means the version is fine
    return Finding("ok", f"Python {'.'.join(map(str, sys.version_info[:3]))} at {sys.executable}")


def _protoplay_label() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"protoplay {version('protoplay')}"
    except PackageNotFoundError:  # run from a checkout that is not installed
        return "protoplay (not installed: run from a checkout)"


def check_imports(modules: tuple[str, ...], *, label: str) -> Finding:
    """Import ``modules``; the first that fails is named with its error and the reinstall that fixes it."""
    started = time.perf_counter()
    for name in modules:
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # any import failure is the finding: shown, never raised
            reinstall = f"{sys.executable} -m pip install --force-reinstall {name.split('.')[0]}"
            if name.split(".")[0] in ("tools", "agents", "servers"):
                reinstall = f"reinstall protoplay in this environment ({sys.executable} -m pip install -e .)"
            problem = f"{label}: importing {name} failed ({type(exc).__name__}: {exc})"
            return Finding("fail", problem, reinstall)
        del module
    versions = [_version(name) for name in modules if "." not in name]
    found = ", ".join(v for v in versions if v) or "import"
    return Finding("ok", f"{label}: {found} ({time.perf_counter() - started:.1f} s to import)")


def _version(name: str) -> str | None:
    version = getattr(sys.modules.get(name), "__version__", None)
    return f"{name} {version}" if version else None


def _check_home() -> Finding:
    from agents.config import SetupError, protoplay_home

    try:
        home = protoplay_home()
        probe = home / f".doctor-{os.getpid()}"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except SetupError as exc:
        return Finding("fail", f"data directory: {exc}", f"set {Env.HOME} to a directory you can write")
    except OSError as exc:
        return Finding(
            "fail",
            f"data directory {home} is not writable ({exc.strerror or exc})",
            f"fix its permissions, or set {Env.HOME} to a directory you can write",
        )
    source = f"${Env.HOME}" if os.environ.get(Env.HOME) else f"default; set {Env.HOME} to move it"
    return Finding("ok", f"data directory {home} is writable ({source})")


def _check_memory_db() -> Finding:
    from agents.config import SetupError
    from agents.memory.store import SQLiteStore, default_db_path

    try:
        SQLiteStore().close()
    except SetupError as exc:  # the store's own sentence says which file and what to do
        fix = "move the file away to start fresh (it is never modified)"
        return Finding("fail", f"memory.db: {exc}", fix)
    return Finding("ok", f"memory.db opens ({default_db_path()})")


def check_ports(ports: Mapping[str, int], *, host: str = "127.0.0.1") -> Finding:
    """A listener can be opened on ``host`` at all (required), and which default ``ports`` are taken."""
    try:
        with socket.socket() as probe:
            probe.bind((host, 0))
            probe.listen()
    except OSError as exc:
        return Finding(
            "fail",
            f"cannot listen on {host} ({exc.strerror or exc}): no server or demo can start",
            "check that the loopback interface is up and that sockets are allowed (container or sandbox)",
        )
    taken = [f"{port} ({what})" for what, port in ports.items() if not _free(host, port)]
    if taken:
        return Finding(
            "warn",
            f"loopback works; default port{'s' if len(taken) > 1 else ''} in use: {', '.join(taken)}",
            "stop what holds them, or pass --port to those servers (`protoplay demo` takes free ports)",
        )
    listed = ", ".join(f"{port} ({what})" for what, port in ports.items())
    return Finding("ok", f"loopback works; default ports free: {listed}")


def _free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _check_model() -> Finding:
    from agents.config import SetupError, resolve_model_config

    try:
        config = resolve_model_config()
    except SetupError as exc:
        return Finding("fail", f"model: {exc}", f"fix {Env.API}, or unset it for chat completions")
    if config.offline:
        return Finding("ok", f"model: {config.describe()}")
    url = (config.base_url or "https://api.openai.com/v1").rstrip("/") + "/models"
    problem = _reachable(url, config.api_key)
    if problem is None:
        return Finding("ok", f"model: {config.describe()} (GET {url} answers)")
    return Finding(
        "fail",
        f"model: {config.describe()}: GET {url} {problem}",
        f"start that server or correct {Env.OPENAI_BASE_URL} / {Env.OPENAI_API_KEY}; unset both to use the "
        "built-in offline model",
    )


def _reachable(url: str, key: str | None) -> str | None:
    """``None`` when ``url`` answers 200; otherwise what went wrong, in words."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=5):  # the endpoint the user configured
            return None
    except urllib.error.HTTPError as exc:
        return f"answered HTTP {exc.code}" + (" (the key was refused)" if exc.code in (401, 403) else "")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"failed ({getattr(reason, 'strerror', None) or reason})"


# ------------------------------------------------------------------------------------------------ optional


def _check_node() -> Finding:
    node = shutil.which("node")
    what = "the MCP Inspector (npx) and, on Node 22 or newer, the MCP conformance suite"
    if node is None:
        return Finding("absent", f"Node.js not found: only {what} need it", "install Node.js 22 or newer")
    version = _output([node, "--version"]) or "unknown version"
    major = int(version.lstrip("v").split(".")[0]) if version[1:2].isdigit() else 0
    if major < 22:
        return Finding(
            "warn",
            f"Node.js {version} at {node}: npx runs the MCP Inspector 0.15; Inspector 2.x and the "
            "conformance suite need Node 22",
            "install Node.js 22 or newer for those (`make test` fetches one from npm for its own tests)",
        )
    return Finding("ok", f"Node.js {version} at {node}: {what}")


def _check_chromium() -> Finding:
    found = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    if found is None:
        return Finding(
            "absent",
            "chromium not found: only tests that drive a real browser need it",
            "apt-get install chromium (as root)",
        )
    return Finding("ok", f"chromium at {found}: tests can drive a real browser")


def _check_claude_desktop() -> Finding:
    import json

    from servers.mcp.desktop_config import desktop_config_path

    path = desktop_config_path()
    install = "protoplay mcp-config --install, then restart Claude Desktop"
    if not path.is_file():
        return Finding("absent", f"Claude Desktop config not found ({path})", install)
    try:
        servers = json.loads(path.read_text(encoding="utf-8")).get("mcpServers") or {}
    except (OSError, ValueError, AttributeError):
        return Finding("warn", f"Claude Desktop config {path} cannot be read as JSON", "fix or move the file")
    ours = [entry for entry in servers.values() if isinstance(entry, dict) and _serves_mcp(entry)]
    if not ours:
        return Finding("absent", f"Claude Desktop config {path} has no protoplay server", install)
    return Finding("ok", f"Claude Desktop config {path} starts protoplay serve mcp")


def _serves_mcp(entry: dict[str, object]) -> bool:
    """Whether a Claude Desktop server entry is the one ``mcp-config`` writes (``… serve mcp``)."""
    args = entry.get("args")
    return isinstance(args, list) and args[-2:] == ["serve", "mcp"]


def _output(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
