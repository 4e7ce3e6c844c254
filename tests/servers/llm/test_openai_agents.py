"""The OpenAI Agents SDK (openai-agents, pinned in openai_agents/requirements.txt, in a venv of its own
because its import package is also named `agents`) completes runs against `protoplay serve llm`: on the
Responses API (its default), streamed and not, and on chat completions."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

SDK = Path(__file__).parent / "openai_agents"
RUNS = ["responses", "responses_streamed", "chat_completions"]


@pytest.fixture(scope="module")
def sdk_python() -> Path:
    """The SDK venv's interpreter, or a one-line skip when it could not be installed (a failure under
    CI=true, where `make test` installs it)."""
    python = SDK / ".venv" / "bin" / "python"
    if not (SDK / ".venv" / ".installed").exists():
        message = "openai-agents not installed: `make openai-agents` installs it from PyPI"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return python


@pytest.fixture(scope="module")
def report(sdk_python, llm_url) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENAI_")}
    # -I: nothing from this project's environment (PYTHONPATH, the working directory) can shadow the SDK's
    # `agents` package with protoplay's.
    run = subprocess.run(
        [sdk_python, "-I", SDK / "run_agent.py", llm_url],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


@pytest.mark.parametrize("run", RUNS)
def test_the_sdk_runs_the_tool_the_offline_model_asked_for_and_finishes(report, run):
    outcome = report[run]
    assert outcome["calls"] == [{"p": [0.5, 0.25, 0.25], "base": "2"}]
    assert outcome["items"] == ["tool_call_item", "tool_call_output_item", "message_output_item"]
    # The tool's own result in the final answer; hand derivation: H = 0.5·1 + 0.25·2 + 0.25·2 = 1.5 bits.
    assert "'entropy': 1.5" in outcome["final_output"]


def test_a_streamed_run_sees_the_responses_events(report):
    events = set(report["responses_streamed"]["wire_events"])
    assert {
        "response.created",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.output_text.delta",
        "response.completed",
    } <= events
