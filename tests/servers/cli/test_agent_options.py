"""`ask` / `chat` options for short-term memory (`--context-tokens`, `--summarize`) and for an MCP server that
requires a bearer token (`--mcp-token`, also on `serve a2a specialist`)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import asynccontextmanager

import pytest
from typer.testing import CliRunner

import agents.runtime as runtime_module
from agents.errors import ToolServerError
from agents.models.testing import ScriptedModel
from agents.runtime import open_agent
from servers.cli.main import app
from tests.servers.processes import free_port, serving, stop

TOKEN = "cli-s3cret"


def run(exe: str, env: dict[str, str], *args: str, stdin: str | None = None, timeout: int = 120):
    return subprocess.run([exe, *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture
def clean_env(subprocess_env) -> dict[str, str]:
    """The test's environment without a token inherited from the developer's shell."""
    return {key: value for key, value in subprocess_env.items() if key != "PROTOPLAY_MCP_TOKEN"}


# ------------------------------------------------------------------------------------ short-term memory


@pytest.mark.parametrize(
    ("command", "value"), [("ask", "100"), ("chat", "2000000")], ids=["ask-too-small", "chat-too-large"]
)
def test_an_out_of_range_context_budget_is_a_one_line_error(protoplay_exe, clean_env, command, value):
    args = [command, "--context-tokens", value] + (["hi"] if command == "ask" else [])
    result = run(protoplay_exe, clean_env, *args, stdin="/exit\n")
    assert result.returncode == 2
    shown = f"{int(value):,}"
    assert result.stderr == f"error: --context-tokens must be between 512 and 1,000,000 (got {shown})\n"
    assert result.stdout == ""


@pytest.fixture
def recorded_runtime(monkeypatch, mcp_server) -> dict:
    """Replaces ``open_agent`` for the CLI: records the options it gets and the session it opens, and connects
    the real catalogue in-process instead of whatever ``--mcp`` says."""
    seen: dict = {}
    real = runtime_module.open_agent

    @asynccontextmanager
    async def recording(**options):
        seen["options"] = dict(options)
        async with real(**{**options, "mcp": mcp_server}) as runtime:
            seen["window"] = runtime.session.window
            yield runtime

    monkeypatch.setattr(runtime_module, "open_agent", recording)
    return seen


@pytest.mark.parametrize("command", ["ask", "chat"])
def test_the_memory_and_token_flags_reach_the_session(recorded_runtime, command):
    flags = [
        "--context-tokens",
        "600",
        "--summarize",
        "--mcp",
        "http://127.0.0.1:9/mcp",
        "--mcp-token",
        TOKEN,
    ]
    args = [command, *flags] + (["entropy of [0.5, 0.5] in bits"] if command == "ask" else [])
    result = CliRunner().invoke(app, args, input="/exit\n")
    assert result.exit_code == 0, result.output
    assert recorded_runtime["options"]["mcp_token"] == TOKEN
    window = recorded_runtime["window"]
    assert window.budget_tokens == 600 and window.summarize is True


@pytest.mark.parametrize("command", ["ask", "chat"])
def test_without_flags_the_window_drops_old_turns_within_8000_tokens(recorded_runtime, command):
    args = [command] + (["entropy of [0.5, 0.5] in bits"] if command == "ask" else [])
    result = CliRunner().invoke(app, args, input="/exit\n")
    assert result.exit_code == 0, result.output
    assert recorded_runtime["options"]["mcp_token"] is None
    window = recorded_runtime["window"]
    assert window.budget_tokens == 8000 and window.summarize is False


@pytest.mark.parametrize("summarize", [True, False], ids=["summarize", "no-summarize"])
async def test_open_agent_folds_or_drops_turns_that_overflow_the_budget(mcp_server, summarize):
    # Each answer is 2,000 ASCII characters ≈ 500 tokens (the estimator's 4 characters per token), so a
    # 600-token window cannot keep an earlier turn next to the newest one.
    answers = [f"answer {n}: " + "x" * 2000 for n in range(3)]
    model = ScriptedModel(answers)
    async with open_agent(
        mcp=mcp_server, model_override=model, persist=False, budget_tokens=600, summarize=summarize
    ) as runtime:
        for n in range(3):
            await runtime.agent.run(f"question {n}", session=runtime.session)
        window = runtime.session.window
    last_request = model.requests[-1].messages
    summaries = [m for m in last_request if "Summary of the earlier conversation" in str(m.get("content"))]
    assert [m["content"] for m in last_request if m["role"] == "user"][-1] == "question 2"
    assert "question 0" not in [m.get("content") for m in last_request if m["role"] == "user"]
    if summarize:
        assert window.summary is not None and "- user: question 0" in window.summary
        assert len(summaries) == 1 and "question 0" in summaries[0]["content"]
    else:
        assert window.summary is None and summaries == []


# ------------------------------------------------------------------------------------ MCP bearer token


@pytest.fixture(scope="module")
def token_mcp_url(protoplay_exe, tmp_path_factory) -> Iterator[str]:
    """`protoplay serve mcp --transport http --token ...` on a free loopback port."""
    import os

    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OPENAI_", "PROTOPLAY_"))}
    env["PROTOPLAY_HOME"] = str(tmp_path_factory.mktemp("mcp_server_home"))
    argv = [protoplay_exe, "serve", "mcp", "--transport", "http", "--port", str(port), "--token", TOKEN]
    with serving(argv, port, env=env):
        yield f"http://127.0.0.1:{port}/mcp"


QUESTION = "linear layer, 512 input features, 10 output features"


def _linear_params(result: subprocess.CompletedProcess) -> int:
    assert result.returncode == 0, result.stderr
    (call,) = json.loads(result.stdout)["tool_calls"]
    assert call["name"] == "linear_params"
    return call["result"]["params"]


def test_ask_sends_the_mcp_token_flag(protoplay_exe, clean_env, token_mcp_url):
    result = run(
        protoplay_exe, clean_env, "ask", "--json", "--mcp", token_mcp_url, "--mcp-token", TOKEN, QUESTION
    )
    # 512·10 + 10 = 5,130 parameters (hand derivation)
    assert _linear_params(result) == 5130


def test_ask_falls_back_to_the_token_in_the_environment(protoplay_exe, clean_env, token_mcp_url):
    env = {**clean_env, "PROTOPLAY_MCP_TOKEN": TOKEN}
    result = run(protoplay_exe, env, "ask", "--json", "--mcp", token_mcp_url, QUESTION)
    # 512·10 + 10 = 5,130 parameters (hand derivation)
    assert _linear_params(result) == 5130


@pytest.mark.parametrize("token_args", [[], ["--mcp-token", "wrong"]], ids=["missing", "wrong"])
def test_ask_with_a_missing_or_wrong_token_says_so_in_one_line(
    protoplay_exe, clean_env, token_mcp_url, token_args
):
    result = run(protoplay_exe, clean_env, "ask", "--mcp", token_mcp_url, *token_args, QUESTION)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"error: The MCP server at {token_mcp_url} rejected the token (HTTP 401): the bearer token is "
        "missing or wrong; pass it with --mcp-token or PROTOPLAY_MCP_TOKEN."
    )


def test_serve_a2a_specialist_uses_the_mcp_token(protoplay_exe, clean_env, token_mcp_url):
    command = [protoplay_exe, "serve", "a2a", "specialist", "--port", "0", "--task-store", "memory"]
    process = subprocess.Popen(
        [*command, "--mcp", token_mcp_url, "--mcp-token", TOKEN],
        env=clean_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stderr.readline()  # the ready line comes only after the MCP tools were listed
    finally:
        stop(process)
    assert first.startswith("protoplay ML specialist (A2A 1.0 and 0.3) on http://127.0.0.1:"), first


async def test_open_specialist_refuses_to_start_without_the_token(token_mcp_url):
    from servers.a2a.specialist import open_specialist

    with pytest.raises(ToolServerError, match=r"rejected the token \(HTTP 401\)"):
        async with open_specialist(url="http://127.0.0.1:1/", mcp=token_mcp_url, task_store="memory"):
            pass  # pragma: no cover - the MCP connection is refused


def test_an_agent_error_naming_a_setting_gets_the_flag_that_fixes_it():
    from agents.errors import MaxStepsExceeded, ToolServerError
    from servers.cli.options import user_message

    stopped = user_message(MaxStepsExceeded(3, ["entropy"]))
    assert stopped.endswith("allow more steps; raise the limit with --max-steps N.")
    refused = user_message(ToolServerError("The server refused the token.", setting="mcp_token"))
    assert refused == "The server refused the token; pass it with --mcp-token or PROTOPLAY_MCP_TOKEN."
    plain = ToolServerError("Could not connect.")
    assert user_message(plain) == "Could not connect."
