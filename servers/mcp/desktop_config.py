"""Claude Desktop configuration: the ``mcpServers`` entry that starts this installation's MCP server.

Claude Desktop reads ``claude_desktop_config.json`` (macOS ``~/Library/Application Support/Claude/``, Windows
``%APPDATA%\\Claude\\``, Linux ``~/.config/Claude/``) and spawns each server's ``command`` with ``args`` and
``env``, talking MCP over its stdin/stdout. :func:`install_entry` merges one entry into that file: every other
key and server is kept, the previous file is backed up first, and a file that is not a JSON object with an
object ``mcpServers`` is refused untouched — so is anything that is not plainly such a config: not a regular
file, over :data:`MAX_CONFIG_BYTES`, a key twice in one object, NaN or Infinity, nesting deeper than Python
can read. A config that is a symbolic link (dotfile managers keep it elsewhere) is written through the link.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "MAX_CONFIG_BYTES",
    "ConfigError",
    "InstallOutcome",
    "desktop_config_path",
    "install_entry",
    "server_entry",
]

SERVER_ARGS = ("serve", "mcp")
MAX_CONFIG_BYTES = 1024 * 1024
"""A Claude config is a few kilobytes; a larger file is not one (and is not read into memory)."""


class ConfigError(Exception):
    """The config file cannot be merged safely; it was left as it was."""


@dataclass(frozen=True)
class InstallOutcome:
    """What :func:`install_entry` did."""

    path: Path
    """The config file written (or left alone)."""
    action: Literal["created", "added", "updated", "unchanged"]
    """created: a new file; added: a new server in the file; updated: the entry replaced; unchanged: same."""
    backup: Path | None
    """Copy of the previous file, when one was overwritten."""


def desktop_config_path(
    *, platform: str = sys.platform, environ: Mapping[str, str] = os.environ, home: Path | None = None
) -> Path:
    """Where Claude Desktop keeps its config on ``platform`` (``sys.platform`` values)."""
    home = home if home is not None else Path.home()
    if platform == "darwin":
        return home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
    if platform.startswith("win"):
        appdata = environ.get("APPDATA") or str(home / "AppData" / "Roaming")
        return Path(appdata) / "Claude" / "claude_desktop_config.json"
    config_home = environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    return Path(config_home) / "Claude" / "claude_desktop_config.json"


def server_entry(*, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``mcpServers`` value that starts ``protoplay serve mcp`` of this installation over stdio.

    The command is absolute (Claude Desktop does not use your shell's PATH or virtual environment): the
    ``protoplay`` script installed beside this interpreter, or else this interpreter with ``-m servers``.
    """
    scripts = Path(sys.executable).parent
    script = shutil.which("protoplay", path=str(scripts))
    if script is not None:
        command, args = str(Path(script).absolute()), list(SERVER_ARGS)
    else:
        command, args = str(Path(sys.executable).absolute()), ["-m", "servers", *SERVER_ARGS]
    return {"command": command, "args": args, "env": dict(env or {})}


def install_entry(path: Path, name: str, entry: Mapping[str, Any]) -> InstallOutcome:
    """Merge ``{"mcpServers": {name: entry}}`` into the config file at ``path``.

    Raises :class:`ConfigError` (and changes nothing) when the file is not plainly a Claude config (see the
    module docstring): not a regular file, too large, not UTF-8, not strict JSON, not an object, or its
    ``mcpServers`` is not an object. A symbolic link is followed: the file it points to is updated.
    """
    target = _target(path)
    existed = target.exists()
    config: dict[str, Any] = {}
    if existed:
        config = _read_config(path, target)
    servers = config.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConfigError(f"'mcpServers' in {path} is not a JSON object; nothing was changed")
    if servers.get(name) == dict(entry):
        return InstallOutcome(path=path, action="unchanged", backup=None)
    action: Literal["created", "added", "updated"] = (
        "created" if not existed else "updated" if name in servers else "added"
    )
    servers[name] = dict(entry)

    backup = None
    if existed:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        backup = path.with_name(f"{path.name}.{stamp}.bak")
        shutil.copy2(target, backup)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(config, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    _write_atomically(target, text, like=backup)
    return InstallOutcome(path=path, action=action, backup=backup)


def _target(path: Path) -> Path:
    """The file to read and replace: ``path``, or the file its symbolic link(s) lead to."""
    if not path.is_symlink():
        return path
    target = path.resolve()
    if not target.exists():
        raise ConfigError(f"{path} is a link to {target}, which does not exist; nothing was changed")
    return target


def _read_config(path: Path, target: Path) -> dict[str, Any]:
    info = target.stat()
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path} is not a regular file (a device, a pipe or a folder); nothing was changed")
    with target.open("rb") as handle:
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path} is larger than {MAX_CONFIG_BYTES // 1024} KiB, too large for a Claude config; "
            "nothing was changed"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 text (byte {exc.start}: {exc.reason}); fix it or move it away — "
            "nothing was changed"
        ) from None
    if not text.strip():
        return {}
    try:
        config = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants, parse_float=_finite
        )
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "fix it or move it away — nothing was changed"
        ) from None
    except _Refused as exc:
        raise ConfigError(f"{path} {exc}; fix it or move it away — nothing was changed") from None
    except RecursionError:
        raise ConfigError(f"{path} is nested too deeply to be a Claude config; nothing was changed") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path} does not hold a JSON object; nothing was changed")
    return config


class _Refused(Exception):
    """JSON that Python would read but that cannot be written back as the file meant it."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:  # readers disagree on which one counts: merging would silently drop one
            raise _Refused(f"has the key {key!r} twice in one object")
        seen[key] = value
    return seen


def _no_constants(name: str) -> Any:
    raise _Refused(f"holds {name}, which is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Refused(f"holds the number {text}, too large to be written back")
    return value


def _write_atomically(path: Path, text: str, *, like: Path | None) -> None:
    """Write via a temporary file in the same folder, so a crash never leaves half a config behind.

    ``path`` must be the file itself (not a link to it): the rename replaces whatever is at ``path``.
    """
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if like is not None:
            shutil.copymode(like, temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
