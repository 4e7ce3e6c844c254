"""`protoplay ask`, `chat`, `memory` and `trace` as a new user runs them: real subprocesses, the offline
model, the default MCP server spawned over stdio."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import time
from types import SimpleNamespace

import pytest
from rich.console import Console

from agents.errors import ModelAPIError
from agents.loop import Agent
from agents.mcp.client import connect_mcp
from agents.memory.sessions import Session
from agents.models.testing import ScriptedModel, call
from servers.cli.chat_repl import run_turn


def run(exe: str, env: dict[str, str], *args: str, stdin: str | None = None, timeout: int = 120):
    return subprocess.run([exe, *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout)


def test_ask_answers_one_question_and_reports_the_tool_call(protoplay_exe, subprocess_env):
    result = run(
        protoplay_exe, subprocess_env, "ask", "What is the entropy of p = [0.5, 0.25, 0.25] in bits?"
    )
    assert result.returncode == 0, result.stderr
    assert "using the built-in offline model" in result.stderr
    assert '⚙ entropy(p=[0.5, 0.25, 0.25], base="2")' in result.stderr
    # H = ½·1 + 2·¼·2 = 1.5 bits (hand derivation)
    assert "**entropy**: 1.5" in result.stdout and "bits" in result.stdout


def test_ask_json_then_memory_and_trace_commands(protoplay_exe, subprocess_env):
    asked = run(
        protoplay_exe,
        subprocess_env,
        "ask",
        "--json",
        "--session",
        "scripted",
        "remember that my GPU has 24 GB of memory",
    )
    assert asked.returncode == 0, asked.stderr
    report = json.loads(asked.stdout)
    (call,) = report["tool_calls"]
    # the fact as said; tagged "user" since issue #10 (so "what do you remember about me?" finds it)
    assert call["name"] == "remember" and call["arguments"]["text"] == "my GPU has 24 GB of memory"
    assert call["arguments"]["kind"] == "fact" and call["arguments"]["tags"] == ["user"]
    assert report["session"] == "scripted" and report["model"] == "protoplay-offline" and report["answer"]

    listed = run(protoplay_exe, subprocess_env, "memory", "list", "--json")
    (memory,) = json.loads(listed.stdout)
    assert memory["text"] == "my GPU has 24 GB of memory" and memory["session"] == "scripted"
    searched = run(protoplay_exe, subprocess_env, "memory", "search", "GPU memory")
    assert "my GPU has 24 GB of memory" in searched.stdout
    exported = run(protoplay_exe, subprocess_env, "memory", "export")
    assert [m["id"] for m in json.loads(exported.stdout)] == [memory["id"]]
    sessions = run(protoplay_exe, subprocess_env, "memory", "sessions")
    assert sessions.stdout.split()[:3] == ["scripted", "1", "turn"]

    traces = run(protoplay_exe, subprocess_env, "trace", "list")
    assert "scripted" in traces.stdout
    shown = run(protoplay_exe, subprocess_env, "trace", "show", "scripted")
    assert "llm → protoplay-offline  chat.completions" in shown.stdout
    assert "llm ← protoplay-offline  chat.completions" in shown.stdout
    assert "mcp → protoplay-mcp  tools/list" in shown.stdout
    missing = run(protoplay_exe, subprocess_env, "trace", "show", "no-such-session")
    assert missing.returncode == 2 and "no trace for session 'no-such-session'" in missing.stderr

    forgot = run(protoplay_exe, subprocess_env, "memory", "forget", str(memory["id"]))
    assert forgot.returncode == 0 and f"forgot memory {memory['id']}" in forgot.stdout
    again = run(protoplay_exe, subprocess_env, "memory", "forget", str(memory["id"]))
    assert again.returncode == 2 and "no memory has id" in again.stderr


def test_chat_driven_through_stdin_then_resumed(protoplay_exe, subprocess_env):
    lines = [
        "hello",
        "/tools",
        "conv2d params with a 3x3 kernel, 64 input channels and 128 output channels",
        "compute the entropy please",
        "[0.5, 0.5]",
        "remember that I prefer AdamW",
        "/memory",
        "/trace",
        "/help",
        "/exit",
    ]
    result = run(protoplay_exe, subprocess_env, "chat", "--session", "repl", stdin="\n".join(lines) + "\n")
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "model:   protoplay-offline (built-in offline model" in out
    assert "MCP:     protoplay serve mcp (stdio subprocess)" in out and "session: repl" in out
    assert "Hi! I'm protoplay's built-in offline model" in out  # hello (issue #10: examples, no tool list)
    assert "kl_divergence" in out and "recall" in out  # /tools
    # (3·3·64 + 1)·128 = 73,856 parameters (hand derivation)
    assert "⚙ conv2d_params" in out and "73,856" in out
    assert "To run `entropy` I need" in out  # asked for the missing argument ...
    assert "⚙ entropy(p=[0.5, 0.5])" in out  # ... and used the answer
    assert "(fact) I prefer AdamW" in out  # /memory
    assert "tools/call" in out  # /trace
    assert "/clear" in out  # /help

    resumed = run(protoplay_exe, subprocess_env, "chat", "--session", "repl", stdin="/exit\n")
    assert resumed.returncode == 0 and "session: repl (5 earlier turns)" in resumed.stdout


@pytest.mark.timeout(120)
def test_an_unreachable_model_endpoint_is_a_clear_error(protoplay_exe, subprocess_env):
    result = run(protoplay_exe, subprocess_env, "ask", "--base-url", "http://127.0.0.1:9/v1", "hi")
    assert result.returncode == 1
    assert "error: Could not reach the model endpoint at http://127.0.0.1:9/v1" in result.stderr
    assert "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ask_uses_a_streamable_http_mcp_server_given_by_url(protoplay_exe, subprocess_env):
    port = _free_port()
    server = subprocess.Popen(
        [protoplay_exe, "serve", "mcp", "--transport", "http", "--port", str(port)],
        env=subprocess_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/mcp"
        result = run(
            protoplay_exe,
            subprocess_env,
            "ask",
            "--json",
            "--mcp",
            url,
            "linear layer, 512 input features, 10 output features",
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert result.returncode == 0, result.stderr
    (call,) = json.loads(result.stdout)["tool_calls"]
    # 512·10 + 10 = 5,130 parameters (hand derivation)
    assert call["name"] == "linear_params" and call["result"]["params"] == 5130


async def test_a_turn_renders_tool_calls_and_the_streamed_answer_on_a_terminal(mcp_server):
    console = Console(file=io.StringIO(), force_terminal=True, width=100, color_system=None)
    model = ScriptedModel([call("entropy", {"p": [0.5, 0.5], "base": "2"}), "A fair coin carries **1 bit**."])
    async with connect_mcp(mcp_server) as toolbox:
        runtime = SimpleNamespace(agent=Agent(model, toolbox), session=Session.ephemeral())
        await run_turn(runtime, "entropy of a fair coin in bits", console, live=True)
    out = console.file.getvalue()
    assert '⚙ entropy(p=[0.5, 0.5], base="2")' in out
    assert "✓ entropy" in out and "entropy=1, unit=bits" in out
    assert "A fair coin carries 1 bit." in out  # rendered markdown: the ** markers are gone


async def test_a_failed_turn_prints_the_error_and_keeps_the_conversation():
    console = Console(file=io.StringIO(), width=200, color_system=None)
    session = Session.ephemeral()
    model = ScriptedModel(
        [ModelAPIError("The model endpoint at http://x/v1 answered 500 after 3 attempts: boom")]
    )
    await run_turn(SimpleNamespace(agent=Agent(model), session=session), "hi", console, live=False)
    assert "answered 500 after 3 attempts: boom" in console.file.getvalue()
    assert session.history == []
