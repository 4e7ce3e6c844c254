"""`--api chat|responses` as a user runs it: `ask` over the Responses API offline (the `serve llm` app in
process) and against a served endpoint, and a wire that does not exist refused in one line."""

from __future__ import annotations

import json
import subprocess

from tests.servers.processes import free_port, serving

QUESTION = "What is the entropy of p = [0.5, 0.25, 0.25] in bits?"


def _ask_json(exe: str, env: dict[str, str], *flags: str) -> dict:
    run = subprocess.run(
        [exe, "ask", *flags, "--json", "--session", "wire", QUESTION],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def _trace_methods(exe: str, env: dict[str, str]) -> set[str]:
    shown = subprocess.run(
        [exe, "trace", "show", "wire", "--protocol", "llm"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    words = (word for line in shown.stdout.splitlines() for word in line.split())
    return {word for word in words if word in ("responses", "chat.completions")}


def _entropy(report: dict) -> float:
    (record,) = report["tool_calls"]
    assert record["name"] == "entropy" and not record["is_error"]
    return record["result"]["entropy"]


def test_ask_over_the_responses_api_offline(protoplay_exe, subprocess_env):
    report = _ask_json(protoplay_exe, subprocess_env, "--api", "responses")
    assert _entropy(report) == 1.5  # hand: ½·1 + 2·¼·2 = 1.5 bits
    assert _trace_methods(protoplay_exe, subprocess_env) == {"responses"}


def test_ask_over_the_responses_api_of_a_served_endpoint(protoplay_exe, subprocess_env):
    port = free_port()
    with serving([protoplay_exe, "serve", "llm", "--port", str(port)], port, env=subprocess_env):
        env = {**subprocess_env, "PROTOPLAY_API": "responses"}  # the wire through the environment
        base_url = f"http://127.0.0.1:{port}/v1"
        report = _ask_json(protoplay_exe, env, "--base-url", base_url, "--model", "protoplay-offline")
    assert _entropy(report) == 1.5
    assert _trace_methods(protoplay_exe, subprocess_env) == {"responses"}


def test_the_chat_wire_stays_the_default(protoplay_exe, subprocess_env):
    _ask_json(protoplay_exe, subprocess_env)
    assert _trace_methods(protoplay_exe, subprocess_env) == {"chat.completions"}


def test_an_unknown_wire_in_the_environment_is_one_line(protoplay_exe, subprocess_env):
    env = {**subprocess_env, "PROTOPLAY_API": "completions"}
    run = subprocess.run(
        [protoplay_exe, "ask", QUESTION], capture_output=True, text=True, env=env, timeout=60
    )
    assert run.returncode == 2
    expected = "error: PROTOPLAY_API: 'completions' is not a model API; use one of chat, responses"
    assert run.stderr.strip() == expected
