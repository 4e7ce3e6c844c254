"""`protoplay a2a card|send|tasks|get|cancel` as a user runs them: real subprocesses against a specialist
served on loopback (offline model)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.cli.test_a2a import ENTROPY_BITS, ENTROPY_REQUEST, offline_env, serving

CURVES = "Diagnose training: train loss [2.0, 1.2, 0.8, 0.5, 0.3] and val loss [2.1, 1.4, 1.1, 1.2, 1.5]"
ASK = "Diagnose my training run from its loss curves."
ANSWER = "train loss [2.1, 1.5, 1.1, 0.8] and val loss [2.2, 1.7, 1.9, 2.3]"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("a2a-client-home")


@pytest.fixture(scope="module")
def specialist(protoplay_exe: str, home: Path) -> Iterator[str]:
    with serving(
        protoplay_exe, ["specialist", "--port", "0", "--task-store", "memory"], offline_env(home)
    ) as url:
        yield url


def a2a(
    protoplay_exe: str, home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [protoplay_exe, "a2a", *args],
        env=env or offline_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def test_card_shows_both_protocol_versions_capabilities_and_skills(protoplay_exe, home, specialist):
    shown = a2a(protoplay_exe, home, "card", specialist)
    as_json = a2a(protoplay_exe, home, "card", specialist, "--json")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("protoplay-ml-specialist ")
    assert f"interface: JSONRPC A2A 1.0 at {specialist}/" in shown.stdout
    assert f"interface: JSONRPC A2A 0.3 at {specialist}/" in shown.stdout
    assert "streaming: yes; push notifications: yes" in shown.stdout
    assert "security: none (no token needed)" in shown.stdout
    assert "information-theory: Information theory" in shown.stdout
    assert "e.g. Entropy of [0.5, 0.25, 0.25] in bits" in shown.stdout
    card = json.loads(as_json.stdout)
    assert [i["protocolVersion"] for i in card["supportedInterfaces"]] == ["1.0", "0.3"]


def test_send_prints_the_answer_and_lists_the_artifacts(protoplay_exe, home, specialist):
    result = a2a(protoplay_exe, home, "send", specialist, ENTROPY_REQUEST)
    assert result.returncode == 0, result.stderr
    header, _, rest = result.stdout.partition("\n")
    assert re.fullmatch(r"task \S+  context \S+  \[completed\]", header)
    assert f"**entropy**: {ENTROPY_BITS}" in rest  # hand derivation: H = ½·1 + 2·¼·2 = 1.5 bits
    assert "  answer: text, " in rest and "(the message above)" in rest
    assert "  tool-results: data, " in rest


def test_send_stream_prints_each_update_and_saves_the_plot(protoplay_exe, home, specialist, tmp_path):
    result = a2a(protoplay_exe, home, "send", specialist, CURVES, "--stream", "--save-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("  [working] running diagnose_training(") for line in lines)
    assert any(re.match(r"  \[working\] diagnose_training done \(\d+ ms\)", line) for line in lines)
    assert any(line.startswith("  [completed] ") for line in lines)
    (saved,) = [line for line in lines if "diagnose_training-plot: image/png" in line]
    path = Path(saved.rsplit("saved ", 1)[1])
    assert path == (tmp_path / "diagnose_training.png").resolve()
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_question_then_the_answer_to_the_same_task(protoplay_exe, home, specialist):
    asked = a2a(protoplay_exe, home, "send", specialist, ASK)
    assert asked.returncode == 0, asked.stderr
    assert "[input-required]" in asked.stdout.splitlines()[0]
    assert "train_loss" in asked.stdout  # the question names what is missing
    hint = re.search(
        rf'answer with: protoplay a2a send {re.escape(specialist)} "\.\.\." --task (\S+)', asked.stderr
    )
    assert hint, asked.stderr
    task_id = hint.group(1)
    answered = a2a(protoplay_exe, home, "send", specialist, ANSWER, "--task", task_id, "--json")
    assert answered.returncode == 0, answered.stderr
    task = json.loads(answered.stdout)["task"]
    assert task["id"] == task_id and task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert "overfitting" in task["status"]["message"]["parts"][0]["text"]
    first_context = re.search(r"context (\S+)", asked.stdout).group(1)
    assert task["contextId"] == first_context == task["status"]["message"]["contextId"]


def test_tasks_get_and_cancel(protoplay_exe, home, specialist):
    done = json.loads(a2a(protoplay_exe, home, "send", specialist, ENTROPY_REQUEST, "--json").stdout)["task"]
    waiting = json.loads(a2a(protoplay_exe, home, "send", specialist, ASK, "--json").stdout)["task"]

    listed = a2a(protoplay_exe, home, "tasks", specialist)
    only_waiting = a2a(protoplay_exe, home, "tasks", specialist, "--status", "input-required", "--json")
    bad_status = a2a(protoplay_exe, home, "tasks", specialist, "--status", "done")
    got = a2a(protoplay_exe, home, "get", specialist, done["id"])
    cancelled = a2a(protoplay_exe, home, "cancel", specialist, waiting["id"])
    not_cancelable = a2a(protoplay_exe, home, "cancel", specialist, done["id"])
    unknown = a2a(protoplay_exe, home, "get", specialist, "no-such-task")

    assert listed.returncode == 0 and re.match(r"\d+ tasks, newest \d+:", listed.stdout)
    assert f"  completed       {done['id']}  " in listed.stdout
    assert f"  input-required  {waiting['id']}  " in listed.stdout
    assert [t["id"] for t in json.loads(only_waiting.stdout)["tasks"]] == [waiting["id"]]
    assert bad_status.returncode == 2 and "--status must be one of submitted, working" in bad_status.stderr
    assert (
        got.returncode == 0
        and got.stdout.startswith(f"task {done['id']}  context ")
        and "[completed]" in got.stdout
    )
    assert cancelled.returncode == 0 and "[canceled]" in cancelled.stdout.splitlines()[0]
    assert not_cancelable.returncode == 1
    assert not_cancelable.stderr.strip() == (
        f"error: protoplay-ml-specialist could not cancel task {done['id']}: Task cannot be canceled"
    )
    assert unknown.returncode == 1 and unknown.stderr.strip().endswith("Task not found")


def test_a_token_protected_agent(protoplay_exe, tmp_path):
    env = offline_env(tmp_path)
    args = ["specialist", "--port", "0", "--task-store", "memory", "--token", "cli-secret"]
    with serving(protoplay_exe, args, env) as url:
        card = a2a(protoplay_exe, tmp_path, "card", url)
        refused = a2a(protoplay_exe, tmp_path, "send", url, ENTROPY_REQUEST)
        with_flag = a2a(protoplay_exe, tmp_path, "tasks", url, "--token", "cli-secret")
        with_env = a2a(
            protoplay_exe,
            tmp_path,
            "send",
            url,
            ENTROPY_REQUEST,
            env=env | {"PROTOPLAY_A2A_PEER_TOKEN": "cli-secret"},
        )
    assert card.returncode == 0 and "security: bearer" in card.stdout  # the card stays public
    assert refused.returncode == 1
    assert "401 Unauthorized (missing or wrong bearer token)" in refused.stderr
    assert refused.stderr.rstrip().endswith("; pass the agent's token with --token.")
    assert with_flag.returncode == 0 and with_flag.stdout.startswith("0 tasks")
    assert with_env.returncode == 0 and "[completed]" in with_env.stdout


def test_an_unreachable_agent_and_a_bad_url_are_one_line(protoplay_exe, tmp_path):
    from servers.a2a.app import free_port

    down = a2a(protoplay_exe, tmp_path, "send", f"http://127.0.0.1:{free_port()}", "hi")
    bad = a2a(protoplay_exe, tmp_path, "card", "ftp://example/")
    assert down.returncode == 1 and down.stderr.count("\n") == 1
    assert "nothing answers at that address" in down.stderr
    assert bad.returncode == 2 and "URL: 'ftp://example/' is not an http(s) URL" in bad.stderr
