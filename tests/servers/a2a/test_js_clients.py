"""Clients nobody here wrote: @a2a-js/sdk 0.3 and 1.x (npm), run by node against a specialist served on
loopback with a bearer token and a webhook receiver beside it.

The scripts in ``js/`` do what an application on each SDK does — read the card, send, stream, get, cancel,
list, manage push configs — and print what they saw as JSON; the assertions are here. ``make test`` installs
the packages (``make a2a-js``: ``npm ci`` in ``js/``); without them the tests skip, naming the command, and
fail under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from servers.a2a.push import RetryPolicy
from servers.a2a.specialist import run_specialist
from tests.servers.a2a.support import WebhookReceiver, running
from tools.catalog import Theme

JS = Path(__file__).parent / "js"
TOKEN = "js-clients-secret"
# Hand derivation: H([½, ¼, ¼]) = ½·log2 2 + 2·¼·log2 4 = 1.5 bits.
ENTROPY_LINE = "**entropy**: 1.5"


@pytest.fixture(scope="module")
def node() -> str:
    exe = shutil.which("node")
    missing = [pkg for pkg in ("a2a-js-0.3", "a2a-js-1") if not (JS / "node_modules" / pkg).is_dir()]
    reason = "node is not installed" if exe is None else None
    if missing:
        reason = "the @a2a-js/sdk packages are not installed: run `make a2a-js`"
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (make test installs them)")
        pytest.skip(reason)
    assert exe is not None
    return exe


async def run_client(node: str, script: str, url: str, webhook: str) -> dict:
    env = {**os.environ, "A2A_TOKEN": TOKEN}
    process = await asyncio.create_subprocess_exec(
        node,
        script,
        url,
        webhook,
        cwd=JS,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 120)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


def settled(hook: WebhookReceiver, token: str, done) -> bool:
    return any(
        r["headers"].get("x-a2a-notification-token") == token and done(r["body"]) for r in hook.received
    )


async def serve_and_run(node: str, script: str, token: str, done) -> tuple[dict, str, WebhookReceiver]:
    fast = RetryPolicy(attempts=3, backoff_s=0.05)
    async with (
        WebhookReceiver().serving() as hook,
        running(
            run_specialist, task_store="memory", token=TOKEN, allow_private_webhooks=True, push_retry=fast
        ) as url,
    ):
        report = await run_client(node, script, url, hook.url)
        await hook.wait_for(lambda h: settled(h, token, done), timeout=20)
    return report, url, hook


async def test_a2a_js_sdk_0_3_client(node):
    report, url, hook = await serve_and_run(
        node,
        "client_0_3.mjs",
        "js-0.3-token",
        lambda body: body.get("status", {}).get("state") == "completed",
    )
    assert report["card"] == {
        "name": "protoplay-ml-specialist",
        "url": f"{url}/",
        "protocolVersion": "0.3",
        "preferredTransport": "JSONRPC",
        "streaming": True,
        "pushNotifications": True,
        "skills": len(Theme),
    }
    sent = report["send"]
    assert (sent["kind"], sent["state"]) == ("task", "completed") and ENTROPY_LINE in sent["status"]
    assert sent["artifacts"] == [
        {"name": "answer", "kinds": ["text"]},
        {"name": "tool-results", "kinds": ["data"]},
    ]
    assert (report["get"]["id"], report["get"]["state"]) == (sent["id"], "completed")
    stream = report["stream"]
    assert stream["kinds"][0] == "task" and stream["final"] == "completed"
    assert "status-update:working" in stream["kinds"] and "artifact-update" in stream["kinds"]
    assert report["cancel_completed"] == {"error": "Task cannot be canceled"}
    assert report["get_unknown"] == {"error": "Task not found"}

    pushed = report["push_send"]
    assert pushed["state"] == "completed"
    assert report["push_get"] == {"taskId": pushed["id"], "id": "hook-1", "url": hook.url}
    assert report["push_set"] == {"taskId": pushed["id"], "id": "hook-2"}
    assert report["push_list"] == ["hook-1", "hook-2"]
    assert report["push_delete"] == ["hook-1"]
    assert (
        "only http and https webhooks are called, not ftp (Code: -32602)" in report["push_refused"]["error"]
    )
    # The 0.3 webhook got the task itself, as 0.3 defines it, with the client's token.
    bodies = [
        r["body"] for r in hook.received if r["headers"].get("x-a2a-notification-token") == "js-0.3-token"
    ]
    assert {body["kind"] for body in bodies} == {"task"} and {body["id"] for body in bodies} == {pushed["id"]}
    assert bodies[-1]["status"]["state"] == "completed"
    assert [a["name"] for a in bodies[-1]["artifacts"]] == ["answer", "tool-results"]


async def test_a2a_js_sdk_1_client(node):
    def done(body: dict) -> bool:
        return body.get("statusUpdate", {}).get("status", {}).get("state") == "TASK_STATE_COMPLETED"

    report, url, hook = await serve_and_run(node, "client_1.mjs", "js-1-token", done)
    assert report["card"] == {
        "name": "protoplay-ml-specialist",
        "interfaces": [f"JSONRPC 1.0 {url}/", f"JSONRPC 0.3 {url}/"],
        "streaming": True,
        "pushNotifications": True,
        "skills": len(Theme),
    }
    sent = report["send"]
    assert sent["state"] == "TASK_STATE_COMPLETED" and ENTROPY_LINE in sent["status"]
    assert sent["artifacts"] == [
        {"name": "answer", "kinds": ["text"]},
        {"name": "tool-results", "kinds": ["data"]},
    ]
    assert (report["get"]["id"], report["get"]["state"]) == (sent["id"], "TASK_STATE_COMPLETED")
    assert sent["id"] in report["list_completed"]["ids"]
    assert report["list_completed"]["states"] == ["TASK_STATE_COMPLETED"]
    # ts-proto writes an unknown enum number as "UNRECOGNIZED"; the server names the field and valid states.
    assert report["list_bad_status"]["error"].startswith("params.status: 'UNRECOGNIZED' is not a task state")
    stream = report["stream"]
    assert stream["kinds"][0] == "task" and stream["final"] == "TASK_STATE_COMPLETED"
    assert "statusUpdate:TASK_STATE_WORKING" in stream["kinds"] and "artifactUpdate" in stream["kinds"]
    assert report["cancel_completed"] == {"error": "Task cannot be canceled"}
    assert report["get_unknown"] == {"error": "Task not found"}

    pushed = report["push_send"]
    assert pushed["state"] == "TASK_STATE_COMPLETED"
    assert report["push_get"] == {"taskId": pushed["id"], "id": "hook-1", "url": hook.url}
    assert report["push_create"] == {"taskId": pushed["id"], "id": "hook-2"}
    assert report["push_list"] == ["hook-1", "hook-2"]
    assert report["push_delete"] == ["hook-1"]
    assert "169.254.169.254 is a link-local address" in report["push_refused"]["error"]
    bodies = [
        r["body"] for r in hook.received if r["headers"].get("x-a2a-notification-token") == "js-1-token"
    ]
    assert list(bodies[0]) == ["task"] and done(bodies[-1])
    assert {next(iter(b.values())).get("taskId", pushed["id"]) for b in bodies} == {pushed["id"]}
