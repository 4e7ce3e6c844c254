"""`protoplay serve a2a specialist|coordinator` as a user runs them: real subprocesses on loopback."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.servers.a2a.support import JsonRpc, user_message

ENTROPY_REQUEST = "Entropy of [0.5, 0.25, 0.25] in bits"
# Hand derivation: H = ½·log2 2 + 2·¼·log2 4 = 1.5 bits.
ENTROPY_BITS = "1.5"
READY = re.compile(r"on (http://127\.0\.0\.1:\d+)/")


def offline_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "PROTOPLAY_MODEL"}
    env["PROTOPLAY_HOME"] = str(home)
    env.pop("PROTOPLAY_A2A_TOKEN", None)
    env.pop("PROTOPLAY_A2A_PEER_TOKEN", None)
    return env


@contextmanager
def serving(protoplay_exe: str, args: list[str], env: dict[str, str]) -> Iterator[str]:
    """Start ``protoplay serve a2a ...``; yield its URL once it says it listens; stop it with SIGINT."""
    process = subprocess.Popen(
        [protoplay_exe, "serve", "a2a", *args],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            match = READY.search(line)
            if match and not url:
                url.append(match.group(1))
                found.set()
        found.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert found.wait(60) and url, f"the server did not start:\n{''.join(lines)}"
        yield url[0]
    finally:
        process.send_signal(2)  # Ctrl+C, as a user stops it
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        reader.join(5)


def test_specialist_and_coordinator_as_commands_with_tokens_and_a_restart(protoplay_exe, tmp_path):
    env = offline_env(tmp_path)
    store = f"sqlite:///{tmp_path / 'specialist-tasks.db'}"
    specialist_args = ["specialist", "--port", "0", "--token", "spec-secret", "--task-store", store]
    with serving(protoplay_exe, specialist_args, env) as specialist:
        card = httpx.get(f"{specialist}/.well-known/agent-card.json", timeout=10)
        anonymous = httpx.post(
            f"{specialist}/",
            json={"jsonrpc": "2.0", "id": 1, "method": "ListTasks", "params": {}},
            timeout=10,
        )
        coordinator_args = ["coordinator", "--port", "0", "--peer", specialist, "--peer-token", "spec-secret"]
        with serving(protoplay_exe, coordinator_args, env) as coordinator:
            body = {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "SendMessage",
                "params": {"message": user_message(ENTROPY_REQUEST)},
            }
            reply = httpx.post(
                f"{coordinator}/", json=body, headers={"A2A-Version": "1.0"}, timeout=60
            ).json()
        headers = {"A2A-Version": "1.0", "Authorization": "Bearer spec-secret"}
        listing = {"jsonrpc": "2.0", "id": 3, "method": "ListTasks", "params": {}}
        delegated = httpx.post(f"{specialist}/", json=listing, headers=headers, timeout=10).json()["result"]
    assert card.status_code == 200 and card.json()["name"] == "protoplay-ml-specialist"
    assert anonymous.status_code == 401
    task = reply["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert f"**entropy**: {ENTROPY_BITS}" in task["status"]["message"]["parts"][0]["text"]
    (done,) = delegated["tasks"]
    assert done["status"]["state"] == "TASK_STATE_COMPLETED"

    with serving(protoplay_exe, specialist_args, env) as specialist:  # a restart, same store
        get = {"jsonrpc": "2.0", "id": 4, "method": "GetTask", "params": {"id": done["id"]}}
        again = httpx.post(f"{specialist}/", json=get, headers=headers, timeout=10).json()["result"]
    assert again["status"]["state"] == "TASK_STATE_COMPLETED"
    assert [artifact["name"] for artifact in again["artifacts"]] == ["answer", "tool-results"]


def test_a_wider_bind_needs_allow_remote(protoplay_exe, tmp_path):
    result = subprocess.run(
        [protoplay_exe, "serve", "a2a", "specialist", "--host", "0.0.0.0"],
        env=offline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "0.0.0.0 is reachable from other machines; pass --allow-remote" in result.stderr


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("not a url", "is not a SQLAlchemy URL"),
        ("postgresql://user:pw@127.0.0.1:1/tasks", "cannot open the task store postgresql://user:***@127.0.0.1:1"),
    ],
)
def test_an_unusable_task_store_is_reported_in_words(protoplay_exe, tmp_path, store, message):
    result = subprocess.run(
        [protoplay_exe, "serve", "a2a", "specialist", "--port", "0", "--task-store", store],
        env=offline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_the_coordinator_needs_a_peer(protoplay_exe, tmp_path):
    result = subprocess.run(
        [protoplay_exe, "serve", "a2a", "coordinator"],
        env=offline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--peer" in result.stderr


async def test_plain_json_rpc_without_the_sdk_against_a_served_specialist(protoplay_exe, tmp_path):
    with serving(protoplay_exe, ["specialist", "--port", "0"], offline_env(tmp_path)) as specialist:
        async with httpx.AsyncClient(base_url=specialist, timeout=60) as http:
            rpc = JsonRpc(http)
            events = await rpc.stream("SendStreamingMessage", {"message": user_message(ENTROPY_REQUEST)})
    states = [e["statusUpdate"]["status"]["state"] for e in events if "statusUpdate" in e]
    assert states[-1] == "TASK_STATE_COMPLETED" and "TASK_STATE_WORKING" in states
