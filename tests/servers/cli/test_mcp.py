"""`protoplay serve mcp` and `protoplay mcp-config` as a user or Claude Desktop runs them: subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from typer.testing import CliRunner

from servers.cli.main import app
from servers.mcp.desktop_config import ConfigError, desktop_config_path, install_entry, server_entry
from tests.servers.processes import free_port, serving
from tools.catalog import TOOLS

LEGACY_VERSION = "2025-11-25"
CATALOGUE = sorted(spec.name for spec in TOOLS)


def _mcp_config_entry(protoplay_exe: str, env: dict[str, str]) -> dict:
    out = subprocess.run(
        [protoplay_exe, "mcp-config"], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    return json.loads(out.stdout)["mcpServers"]["protoplay"]


# ------------------------------------------------------------------------------------------------- stdio


class _RawSession:
    """JSON-RPC over a spawned server's pipes, one line per message, as Claude Desktop speaks it."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._next_id = 0

    def request(self, method: str, params: dict) -> dict:
        self._next_id += 1
        self.notify(method, params, id=self._next_id)
        while True:
            line = self.process.stdout.readline()
            assert line, f"server closed stdout; stderr:\n{self.process.stderr.read()}"
            self.lines.append(line)
            message = json.loads(line)
            if message.get("id") == self._next_id:
                return message

    def notify(self, method: str, params: dict | None = None, **extra) -> None:
        message = {"jsonrpc": "2.0", "method": method, **extra, **({"params": params} if params else {})}
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()


def _claude_desktop_session(entry: dict) -> None:
    """Start the server from its config entry, list and call over raw JSON-RPC lines, quit; check stdout."""
    # Claude Desktop runs `command` with `args`, its own small environment plus `env` — not your shell's PATH.
    process = subprocess.Popen(
        [entry["command"], *entry["args"]],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env={"PATH": "/usr/bin:/bin", **entry["env"]},
    )
    session = _RawSession(process)
    try:
        client_info = {"name": "test", "version": "0"}
        hello = session.request(
            "initialize", {"protocolVersion": LEGACY_VERSION, "capabilities": {}, "clientInfo": client_info}
        )
        assert hello["result"]["serverInfo"]["name"] == "protoplay"
        session.notify("notifications/initialized")
        listed = session.request("tools/list", {})["result"]["tools"]
        assert sorted(tool["name"] for tool in listed) == CATALOGUE
        coin = {"name": "entropy", "arguments": {"p": [0.5, 0.5], "base": "2"}}
        answer = session.request("tools/call", coin)["result"]
        assert answer["structuredContent"]["entropy"] == pytest.approx(1.0)  # hand: a fair coin is 1 bit
        bad = session.request("tools/call", {"name": "entropy", "arguments": {"p": [0.5, 0.4]}})["result"]
        assert bad["isError"] is True and "p:" in bad["content"][0]["text"]
        unknown = session.request("tools/call", {"name": "no_such_tool", "arguments": {}})["result"]
        assert unknown["isError"] is True
        process.stdin.close()  # Claude Desktop quitting
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # Nothing but protocol on stdout: every line is one JSON-RPC message.
    for line in session.lines + process.stdout.read().splitlines():
        assert json.loads(line)["jsonrpc"] == "2.0"
    assert "Traceback" not in process.stderr.read()


def test_serve_mcp_over_stdio_as_claude_desktop_starts_it(protoplay_exe, subprocess_env):
    entry = _mcp_config_entry(protoplay_exe, subprocess_env)
    _claude_desktop_session(entry)  # first start: builds the catalogue, saves its listing
    _claude_desktop_session(entry)  # later starts: list from the saved copy, build on the first call


async def test_serve_mcp_over_stdio_with_the_sdk_client(protoplay_exe, subprocess_env):
    parameters = StdioServerParameters(command=protoplay_exe, args=["serve", "mcp"], env=subprocess_env)
    async with Client(parameters) as client:  # auto: negotiates the newest protocol over stdio
        assert sorted(tool.name for tool in (await client.list_tools()).tools) == CATALOGUE
        result = await client.call_tool("linear_params", {"in_features": 784, "out_features": 10})
        assert result.structured_content["params"] == 7850  # hand: 784·10 weights + 10 biases


# -------------------------------------------------------------------------------------------------- HTTP


@pytest.fixture
def http_server(protoplay_exe, subprocess_env):
    port = free_port()
    env = {**subprocess_env, "PROTOPLAY_MCP_TOKEN": "s3cret"}  # the token through the environment variable
    with serving([protoplay_exe, "serve", "mcp", "--transport", "http", "--port", str(port)], port, env=env):
        yield f"http://127.0.0.1:{port}/mcp"


def _initialize() -> dict:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": LEGACY_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"},
        },
    }


def _post(url: str, headers: dict[str, str]) -> httpx.Response:
    base = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    return httpx.post(url, json=_initialize(), headers={**base, **headers}, timeout=10)


def test_http_requires_the_bearer_token(http_server):
    missing = _post(http_server, {})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert _post(http_server, {"Authorization": "Bearer wrong"}).status_code == 401
    assert _post(http_server, {"Authorization": "Bearer s3cret"}).status_code == 200


def test_http_rejects_a_foreign_host_header(http_server):
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends its own Host header.
    foreign = _post(http_server, {"Authorization": "Bearer s3cret", "Host": "evil.example:8765"})
    assert foreign.status_code == 421
    origin = _post(http_server, {"Authorization": "Bearer s3cret", "Origin": "http://evil.example"})
    assert origin.status_code == 403


async def test_http_lists_and_calls_with_the_sdk_client(http_server):
    async with (
        httpx2.AsyncClient(headers={"Authorization": "Bearer s3cret"}, timeout=30) as http,
        Client(streamable_http_client(http_server, http_client=http)) as client,
    ):
        assert sorted(tool.name for tool in (await client.list_tools()).tools) == CATALOGUE
        result = await client.call_tool("kl_divergence", {"p": [0.5, 0.5], "q": [0.5, 0.5]})
        assert result.structured_content["kl_pq"] == 0.0  # KL(p‖p) = 0


def test_a_non_loopback_bind_needs_allow_remote(protoplay_exe, subprocess_env):
    refused = subprocess.run(
        [protoplay_exe, "serve", "mcp", "--transport", "http", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env=subprocess_env,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "--allow-remote" in refused.stderr


def test_allow_remote_warns_before_binding(protoplay_exe, subprocess_env):
    # 192.0.2.1 (TEST-NET-1) is never a local address: the bind fails after the warning, exposing nothing.
    result = subprocess.run(
        [
            protoplay_exe,
            "serve",
            "mcp",
            "--transport",
            "http",
            "--host",
            "192.0.2.1",
            "--allow-remote",
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        env=subprocess_env,
        timeout=60,
    )
    assert result.returncode != 0
    assert "warning: binding 192.0.2.1" in result.stderr
    assert "NO token" in result.stderr


# ----------------------------------------------------------------------------------------- mcp-config


def test_mcp_config_prints_an_absolute_command_for_this_installation(protoplay_exe, subprocess_env):
    entry = _mcp_config_entry(protoplay_exe, subprocess_env)
    assert Path(entry["command"]).is_absolute() and os.access(entry["command"], os.X_OK)
    assert Path(entry["command"]).parent == Path(sys.executable).parent
    assert entry["args"] == ["serve", "mcp"]
    assert entry["env"] == {"PROTOPLAY_HOME": os.environ["PROTOPLAY_HOME"]}


def test_mcp_config_install_keeps_other_servers_and_backs_up(tmp_path, protoplay_exe, subprocess_env):
    config = tmp_path / "claude_desktop_config.json"
    original = {"globalShortcut": "Ctrl+Space", "mcpServers": {"files": {"command": "npx", "args": ["fs"]}}}
    config.write_text(json.dumps(original))
    command = [protoplay_exe, "mcp-config", "--install", "--config-path", str(config), "--env", "A=1"]
    first = subprocess.run(command, capture_output=True, text=True, env=subprocess_env, timeout=60)
    assert first.returncode == 0, first.stderr
    merged = json.loads(config.read_text())
    assert merged["globalShortcut"] == "Ctrl+Space"
    assert merged["mcpServers"]["files"] == original["mcpServers"]["files"]
    assert merged["mcpServers"]["protoplay"]["args"] == ["serve", "mcp"]
    assert merged["mcpServers"]["protoplay"]["env"]["A"] == "1"
    (backup,) = tmp_path.glob("claude_desktop_config.json.*.bak")
    assert json.loads(backup.read_text()) == original
    again = subprocess.run(command, capture_output=True, text=True, env=subprocess_env, timeout=60)
    assert "nothing to do" in again.stdout
    assert len(list(tmp_path.glob("*.bak"))) == 1


def test_mcp_config_install_refuses_a_file_it_cannot_parse(tmp_path):
    config = tmp_path / "claude_desktop_config.json"
    config.write_text('{"mcpServers": {"files": ')  # truncated
    result = CliRunner().invoke(app, ["mcp-config", "--install", "--config-path", str(config)])
    assert result.exit_code == 2
    assert "not valid JSON" in result.output
    assert config.read_text() == '{"mcpServers": {"files": '
    assert list(tmp_path.iterdir()) == [config]  # no backup, no temporary file


@pytest.mark.parametrize("content", ['["a list"]', '{"mcpServers": ["not", "an", "object"]}'])
def test_install_refuses_a_config_of_the_wrong_shape(tmp_path, content):
    config = tmp_path / "claude_desktop_config.json"
    config.write_text(content)
    with pytest.raises(ConfigError, match="nothing was changed"):
        install_entry(config, "protoplay", server_entry())
    assert config.read_text() == content


def test_install_creates_a_missing_file_and_updates_a_changed_entry(tmp_path):
    config = tmp_path / "Claude" / "claude_desktop_config.json"
    created = install_entry(config, "protoplay", {"command": "/old", "args": [], "env": {}})
    assert (created.action, created.backup) == ("created", None)
    updated = install_entry(config, "protoplay", server_entry())
    assert updated.action == "updated"
    assert json.loads(updated.backup.read_text())["mcpServers"]["protoplay"]["command"] == "/old"
    assert json.loads(config.read_text())["mcpServers"]["protoplay"] == server_entry()


def test_mcp_config_without_install_writes_nothing(tmp_path):
    config = tmp_path / "claude_desktop_config.json"
    result = CliRunner().invoke(app, ["mcp-config", "--config-path", str(config)])
    assert result.exit_code == 0
    assert '"mcpServers"' in result.stdout
    assert not config.exists()


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("darwin", {}, "/home/u/Library/Application Support/Claude/claude_desktop_config.json"),
        (
            "win32",
            {"APPDATA": "/c/Users/u/AppData/Roaming"},
            "/c/Users/u/AppData/Roaming/Claude/claude_desktop_config.json",
        ),
        ("linux", {}, "/home/u/.config/Claude/claude_desktop_config.json"),
        ("linux", {"XDG_CONFIG_HOME": "/x"}, "/x/Claude/claude_desktop_config.json"),
    ],
)
def test_claude_desktop_config_path_per_platform(platform, environ, expected):
    assert desktop_config_path(platform=platform, environ=environ, home=Path("/home/u")) == Path(expected)
