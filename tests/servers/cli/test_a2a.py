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
    env.pop("PROTOPLAY_A2A_TOKENS", None)
    return env


def refused(protoplay_exe: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``protoplay serve a2a ARGS`` expected to stop at once (a bad flag or file): its result."""
    return subprocess.run(
        [protoplay_exe, "serve", "a2a", *args],
        env=offline_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )


@contextmanager
def serving(protoplay_exe: str, args: list[str], env: dict[str, str]) -> Iterator[str]:
    """Start ``protoplay serve a2a ...``; yield its URL once it says it listens; stop it with SIGINT."""
    with serving_process(protoplay_exe, args, env) as (url, _):
        yield url


@contextmanager
def serving_process(
    protoplay_exe: str, args: list[str], env: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """:func:`serving`, also yielding the process (to kill it as a crash would)."""
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
        yield url[0], process
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
    result = refused(protoplay_exe, tmp_path, "specialist", "--host", "0.0.0.0")
    assert result.returncode == 2
    assert "0.0.0.0 is reachable from other machines; pass --allow-remote" in result.stderr


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("not a url", "is not a SQLAlchemy URL"),
        (
            "postgresql://user:pw@127.0.0.1:1/tasks",
            "cannot open the task store postgresql://user:***@127.0.0.1:1",
        ),
    ],
)
def test_an_unusable_task_store_is_reported_in_words(protoplay_exe, tmp_path, store, message):
    result = refused(protoplay_exe, tmp_path, "specialist", "--port", "0", "--task-store", store)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_the_coordinator_needs_a_peer(protoplay_exe, tmp_path):
    result = refused(protoplay_exe, tmp_path, "coordinator")
    assert result.returncode == 2 and "--peer" in result.stderr


async def test_plain_json_rpc_without_the_sdk_against_a_served_specialist(protoplay_exe, tmp_path):
    with serving(protoplay_exe, ["specialist", "--port", "0"], offline_env(tmp_path)) as specialist:
        async with httpx.AsyncClient(base_url=specialist, timeout=60) as http:
            rpc = JsonRpc(http)
            events = await rpc.stream("SendStreamingMessage", {"message": user_message(ENTROPY_REQUEST)})
    states = [e["statusUpdate"]["status"]["state"] for e in events if "statusUpdate" in e]
    assert states[-1] == "TASK_STATE_COMPLETED" and "TASK_STATE_WORKING" in states


# ------------------------------------------------------------------------------------------------- restarts


@contextmanager
def hanging_model_endpoint() -> Iterator[str]:
    """An OpenAI-compatible base URL whose every request hangs (a model that never answers): a task sent
    to a specialist using it stays in flight until the specialist dies."""
    import socketserver

    release = threading.Event()

    class Hang(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            release.wait(60)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Hang)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def _rpc(url: str, method: str, params: dict) -> dict:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    return httpx.post(f"{url}/", json=body, headers={"A2A-Version": "1.0"}, timeout=30).json()


def test_a_task_in_flight_when_the_specialist_is_killed_fails_on_restart_and_a_follow_up_says_why(
    protoplay_exe, tmp_path
):
    """Issue 14, item 5: the task stayed ``working`` forever and a follow-up got a confusing error."""
    from servers.a2a.app import free_port

    port = free_port()
    store = f"sqlite:///{tmp_path / 'tasks.db'}"
    args = ["specialist", "--port", str(port), "--task-store", store]
    with hanging_model_endpoint() as llm:
        env = offline_env(tmp_path) | {"OPENAI_BASE_URL": llm, "OPENAI_API_KEY": "test-key"}
        with serving_process(protoplay_exe, args, env) as (url, process):
            params = {"message": user_message(ENTROPY_REQUEST), "configuration": {"returnImmediately": True}}
            started = _rpc(url, "SendMessage", params)["result"]["task"]
            os.kill(process.pid, 9)  # as a crash or the OOM killer would: no clean shutdown
            process.wait(10)
        with serving(protoplay_exe, args, env) as url:  # the same address: this is the server restarted
            after = _rpc(url, "GetTask", {"id": started["id"]})["result"]
            follow_up = _rpc(
                url,
                "SendMessage",
                {
                    "message": user_message(
                        "and in nats?", task_id=started["id"], context_id=started["contextId"]
                    )
                },
            )
    assert started["status"]["state"] == "TASK_STATE_WORKING"
    assert after["status"]["state"] == "TASK_STATE_FAILED"
    reason = after["status"]["message"]["parts"][0]["text"]
    assert reason.startswith("interrupted: server restarted.")
    assert follow_up["error"]["message"] == f"Task {started['id']} has ended: {reason}"


# ------------------------------------------------------------------------------------------------- principals


def test_tokens_file_gives_each_caller_its_own_tasks(protoplay_exe, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("alice-0123456789 alice\nbob-0123456789 bob\n")
    with serving(
        protoplay_exe, ["specialist", "--port", "0", "--tokens", str(tokens)], offline_env(tmp_path)
    ) as url:

        def rpc(token: str, method: str, params: dict) -> dict:
            headers = {"A2A-Version": "1.0", "Authorization": f"Bearer {token}"}
            body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            return httpx.post(f"{url}/", json=body, headers=headers, timeout=60).json()

        task = rpc("alice-0123456789", "SendMessage", {"message": user_message(ENTROPY_REQUEST)})["result"][
            "task"
        ]
        alice = rpc("alice-0123456789", "ListTasks", {})["result"]
        bob = rpc("bob-0123456789", "ListTasks", {})["result"]
        stolen = rpc("bob-0123456789", "GetTask", {"id": task["id"]})
    assert [t["id"] for t in alice["tasks"]] == [task["id"]]
    assert bob["tasks"] == [] and stolen["error"]["code"] == -32001


@pytest.mark.parametrize(
    ("extra", "content", "message"),
    [
        ([], "just-a-token\n", "line 1: expected 'TOKEN NAME', got 1 field(s)"),
        (
            ["--token", "shared"],
            "t1 alice\n",
            "give --token (one shared token, or PROTOPLAY_A2A_TOKEN) or --tokens",
        ),
    ],
)
def test_an_unusable_tokens_file_is_one_line(protoplay_exe, tmp_path, extra, content, message):
    tokens = tmp_path / "tokens"
    tokens.write_text(content)
    result = refused(protoplay_exe, tmp_path, "specialist", "--port", "0", "--tokens", str(tokens), *extra)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
