"""`mcp-config --install` on files that are not plainly a Claude config: each is refused untouched, with one
line saying why; a config kept behind a symbolic link is updated through the link."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from servers.mcp.desktop_config import MAX_CONFIG_BYTES, ConfigError, install_entry
from tests.servers.cli.test_robustness import run

ENTRY = {"command": "/opt/protoplay/bin/protoplay", "args": ["serve", "mcp"], "env": {}}
OTHER = {"mcpServers": {"other": {"command": "other-server", "args": []}}}


def test_a_config_behind_a_symlink_is_updated_through_the_link(tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "claude.json"
    real.write_text(json.dumps(OTHER))
    link = tmp_path / "claude_desktop_config.json"
    link.symlink_to(real)
    outcome = install_entry(link, "protoplay", ENTRY)
    assert link.is_symlink() and link.resolve() == real  # still the user's link
    written = json.loads(real.read_text())
    assert written["mcpServers"] == OTHER["mcpServers"] | {"protoplay": ENTRY}
    assert outcome.action == "added" and outcome.backup is not None
    assert json.loads(outcome.backup.read_text()) == OTHER
    assert sorted(p.name for p in dotfiles.iterdir()) == ["claude.json"]  # no temp file left beside it


def test_a_link_to_nothing_is_refused_and_nothing_is_created(tmp_path):
    link = tmp_path / "claude_desktop_config.json"
    link.symlink_to(tmp_path / "gone.json")
    with pytest.raises(ConfigError, match=r"is a link to .*gone\.json, which does not exist; nothing was"):
        install_entry(link, "protoplay", ENTRY)
    assert link.is_symlink() and not (tmp_path / "gone.json").exists()


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    "special",
    [lambda _: Path("/dev/zero"), lambda _: Path("/dev/full"), _fifo, lambda tmp: tmp],
    ids=["dev-zero", "dev-full", "fifo", "folder"],
)
def test_anything_but_a_regular_file_is_refused_without_reading_it(tmp_path, special):
    path = special(tmp_path)
    if not path.exists():
        pytest.skip(f"{path} does not exist here")
    with pytest.raises(ConfigError, match="is not a regular file"):
        install_entry(path, "protoplay", ENTRY)


def test_a_link_to_a_device_is_refused_too(tmp_path):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    link = tmp_path / "claude_desktop_config.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="is not a regular file"):
        install_entry(link, "protoplay", ENTRY)


def test_a_file_larger_than_any_config_is_refused_untouched(tmp_path):
    config = tmp_path / "claude_desktop_config.json"
    config.write_text('{"mcpServers": {}, "padding": "' + "x" * MAX_CONFIG_BYTES + '"}')
    before = config.read_bytes()
    with pytest.raises(ConfigError, match="larger than 1024 KiB"):
        install_entry(config, "protoplay", ENTRY)
    assert config.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"mcpServers": {}, "mcpServers": {"x": {}}}', "has the key 'mcpServers' twice in one object"),
        ('{"mcpServers": {"a": {"command": "x", "command": "y"}}}', "has the key 'command' twice"),
        ('{"mcpServers": {}, "scale": NaN}', "holds NaN, which is not JSON"),
        ('{"mcpServers": {}, "limit": -Infinity}', "holds -Infinity, which is not JSON"),
        ('{"mcpServers": {}, "huge": 1e400}', "holds the number 1e400, too large to be written back"),
        ('{"mcpServers": {}, "deep": ' + "[" * 200_000 + "]" * 200_000 + "}", "is nested too deeply"),
    ],
    ids=["duplicate-top-key", "duplicate-nested-key", "nan", "infinity", "overflow", "deep-nesting"],
)
def test_json_that_would_not_survive_a_rewrite_is_refused_untouched(tmp_path, text, reason):
    config = tmp_path / "claude_desktop_config.json"
    config.write_text(text)
    with pytest.raises(ConfigError, match="nothing was changed") as refused:
        install_entry(config, "protoplay", ENTRY)
    assert reason in str(refused.value)
    assert config.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == [config.name]  # no backup, no temp file


def test_the_command_refuses_dev_zero_in_one_line_at_once(protoplay_exe, subprocess_env):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    result = run(protoplay_exe, subprocess_env, "mcp-config", "--install", "--config-path", "/dev/zero")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "error: /dev/zero is not a regular file (a device, a pipe or a folder); nothing was changed"
    )
