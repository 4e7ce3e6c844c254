"""`protoplay` with no arguments, as a newcomer runs it: five things to try, each command of which works."""

from __future__ import annotations

import json
import shlex
import subprocess

from servers.a2a.demo import list_scenarios
from servers.cli.guide import GUIDE_COMMANDS


def run(exe: str, env: dict[str, str], *args: str, stdin: str | None = None):
    return subprocess.run([exe, *args], input=stdin, capture_output=True, text=True, env=env, timeout=180)


def shown(command: str) -> list[str]:
    """A guide command's arguments after ``protoplay``, split as a shell splits them."""
    words = shlex.split(command)
    assert words[0] == "protoplay"
    return words[1:]


def test_no_arguments_prints_five_things_to_try(protoplay_exe, subprocess_env):
    result = run(protoplay_exe, subprocess_env)
    assert result.returncode == 0 and result.stderr == ""
    out = result.stdout
    assert "model: protoplay-offline (built-in offline model" in out
    assert [line.split(".")[0].strip() for line in out.splitlines() if line[:4].strip()[:1].isdigit()] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    for command in GUIDE_COMMANDS:
        assert f"       {command}\n" in out, command
    assert "protoplay doctor" in out and "protoplay --help" in out
    assert "Usage:" not in out  # the guide replaces the bare usage


def test_the_guides_ask_tools_call_and_chat_commands_run(protoplay_exe, subprocess_env):
    ask, chat, tools, call, _, _ = GUIDE_COMMANDS
    asked = run(protoplay_exe, subprocess_env, *shown(ask))
    assert asked.returncode == 0, asked.stderr
    assert "**entropy**: 1.5" in asked.stdout  # H = ½·1 + 2·¼·2 = 1.5 bits (hand derivation)
    listed = run(protoplay_exe, subprocess_env, *shown(tools))
    assert listed.returncode == 0 and "kl_divergence" in listed.stdout
    called = run(protoplay_exe, subprocess_env, *shown(call))
    assert called.returncode == 0, called.stderr
    # KL([½,½] ‖ [0.9,0.1]) = ½·ln(½/0.9) + ½·ln(½/0.1) = 0.5108… nats (hand derivation)
    assert abs(json.loads(called.stdout)["kl_pq"] - 0.5108256237659907) < 1e-12
    chatted = run(protoplay_exe, subprocess_env, *shown(chat), stdin="/exit\n")
    assert chatted.returncode == 0 and "model:   protoplay-offline" in chatted.stdout


def test_the_guides_demo_exists_and_its_claude_desktop_line_installs(protoplay_exe, subprocess_env, tmp_path):
    *_, demo, claude = GUIDE_COMMANDS
    assert shown(demo)[1] in [scenario.name for scenario in list_scenarios()]  # played by test_demo.py
    env = subprocess_env | {"XDG_CONFIG_HOME": str(tmp_path)}  # where Claude Desktop's config lives on Linux
    installed = run(protoplay_exe, env, *shown(claude))
    assert installed.returncode == 0, installed.stderr
    config = json.loads((tmp_path / "Claude" / "claude_desktop_config.json").read_text())
    assert config["mcpServers"]["protoplay"]["args"] == ["serve", "mcp"]
    doctor = run(protoplay_exe, env, "doctor")
    assert "✓ Claude Desktop config" in doctor.stdout and "starts protoplay serve mcp" in doctor.stdout
