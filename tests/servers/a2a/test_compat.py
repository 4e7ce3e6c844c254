"""A2A 0.3 beside 1.0 on one endpoint: the 0.3 card fields, 0.3 method names and JSON, a missing
``A2A-Version`` header meaning 0.3 — written by hand as a 0.3 client sends them — plus the request checks the
SDK leaves to the server (a ``ListTasks`` status filter, the context of a continued task) and the project's
own client talking to an agent that offers only 0.3."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from contextlib import asynccontextmanager

import pytest
from a2a.types import AgentSkill

from agents.a2a.client import PeerClient, PeerError
from agents.models.testing import FunctionModel, ScriptedModel, call
from servers.a2a.app import build_app, run_server
from servers.a2a.card import agent_card
from servers.a2a.jsonrpc import list_tasks_status_problem
from servers.a2a.store import open_task_store
from tests.servers.a2a.support import JsonRpc, echo_executor, running
from tests.servers.a2a.support import specialist_rpc as specialist

FAIR_COIN = {"p": [0.5, 0.5], "base": "2"}
NO_VERSION: dict[str, str] = {}  # a 0.3 client sends no A2A-Version header


def message_0_3(text: str, **ids: str) -> dict:
    """A user message as A2A 0.3 JSON: ``kind`` fields, lower-case role, parts tagged by kind."""
    return {
        "kind": "message",
        "messageId": str(uuid.uuid4()),
        "role": "user",
        "parts": [{"kind": "text", "text": text}],
        **ids,
    }


async def call_0_3(rpc: JsonRpc, method: str, params: dict, headers: dict | None = None) -> dict:
    response = await rpc.raw(method, params, headers=NO_VERSION if headers is None else headers)
    assert response.status_code == 200, response.text
    return response.json()


def texts(parts: list[dict]) -> list[str]:
    return [part["text"] for part in parts if part.get("kind") == "text"]


# ------------------------------------------------------------------------------------------------- card


async def test_the_card_carries_the_0_3_fields_beside_the_1_0_interfaces(mcp_server):
    async with specialist(mcp_server, ScriptedModel(), token="s3cret") as rpc:
        card = (await rpc.client.get("/.well-known/agent-card.json")).json()
    assert [(i["protocolVersion"], i["url"]) for i in card["supportedInterfaces"]] == [
        ("1.0", "http://specialist/"),
        ("0.3", "http://specialist/"),
    ]
    # What a 0.3 client reads: the top-level url (its absence locked @a2a-js/sdk 0.3 out), transport, version.
    assert (card["url"], card["preferredTransport"], card["protocolVersion"]) == (
        "http://specialist/",
        "JSONRPC",
        "0.3",
    )
    assert card["capabilities"] == {"streaming": True, "pushNotifications": True}
    assert card["security"] == [{"bearer": []}]  # 0.3 spelling beside 1.0's securityRequirements
    assert card["securitySchemes"]["bearer"]["type"] == "http"
    assert card["securitySchemes"]["bearer"]["httpAuthSecurityScheme"]["scheme"] == "Bearer"


# ------------------------------------------------------------------------------------------------- methods


async def test_message_send_without_a_version_header_answers_in_0_3_json(mcp_server):
    model = ScriptedModel([call("entropy", FAIR_COIN), "H = 1 bit."])
    async with specialist(mcp_server, model) as rpc:
        reply = await call_0_3(rpc, "message/send", {"message": message_0_3("entropy of a fair coin")})
    task = reply["result"]
    assert task["kind"] == "task" and task["status"]["state"] == "completed"
    assert texts(task["status"]["message"]["parts"]) == ["H = 1 bit."]
    assert task["status"]["message"]["role"] == "agent"
    answer, results = task["artifacts"]
    assert answer["name"] == "answer" and texts(answer["parts"]) == ["H = 1 bit."]
    (data,) = results["parts"]
    assert data["kind"] == "data" and data["data"]["tool_calls"][0]["result"]["entropy"] == 1.0
    assert task["history"][0]["role"] == "user" and task["history"][0]["kind"] == "message"


async def test_a_0_3_method_needs_no_header_or_the_0_3_one(mcp_server):
    model = ScriptedModel(["one", "two"])
    async with specialist(mcp_server, model) as rpc:
        stated = await call_0_3(rpc, "message/send", {"message": message_0_3("hi")}, {"A2A-Version": "0.3"})
        mixed = await call_0_3(rpc, "message/send", {"message": message_0_3("hi")}, {"A2A-Version": "1.0"})
        new_without = await call_0_3(rpc, "ListTasks", {})
    assert stated["result"]["status"]["state"] == "completed"
    # A 0.3 method under a 1.0 header is a client's mistake: "method not found", naming the 1.0 method.
    assert mixed["error"]["code"] == -32601
    assert mixed["error"]["message"] == (
        "message/send is an A2A 0.3 method; with 'A2A-Version: 1.0' call SendMessage (or leave the header "
        "out to speak 0.3)."
    )
    assert len(new_without["result"]["tasks"]) == 1  # a 1.0 method name needs no header: it means 1.0


async def test_message_stream_in_0_3_events(mcp_server):
    model = ScriptedModel([call("entropy", FAIR_COIN), "H = 1 bit."])
    async with specialist(mcp_server, model) as rpc:
        response = await rpc.raw("message/stream", {"message": message_0_3("entropy")}, headers=NO_VERSION)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [
        json.loads(line[5:])["result"] for line in response.text.splitlines() if line.startswith("data:")
    ]
    assert [event["kind"] for event in events] == [
        "task",
        "status-update",
        "status-update",
        "artifact-update",
        "artifact-update",
        "status-update",
    ]
    last = events[-1]
    assert last["status"]["state"] == "completed" and last["final"] is True
    assert [event["final"] for event in events if event["kind"] == "status-update"] == [False, False, True]


async def test_input_required_round_trip_get_and_cancel_in_0_3(mcp_server):
    question = "Which log base: 2 (bits) or e (nats)?"
    model = ScriptedModel(
        [
            call("ask_user", {"question": question}),
            call("entropy", FAIR_COIN),
            "1 bit.",
            call("ask_user", {"question": "More?"}),
        ]
    )
    async with specialist(mcp_server, model) as rpc:
        asked = (await call_0_3(rpc, "message/send", {"message": message_0_3("entropy of [0.5, 0.5]")}))[
            "result"
        ]
        ids = {"taskId": asked["id"], "contextId": asked["contextId"]}
        answered = (await call_0_3(rpc, "message/send", {"message": message_0_3("base 2", **ids)}))["result"]
        got = (await call_0_3(rpc, "tasks/get", {"id": asked["id"], "historyLength": 1}))["result"]
        missing = await call_0_3(rpc, "tasks/get", {"id": "no-such-task"})
        not_cancelable = await call_0_3(rpc, "tasks/cancel", {"id": asked["id"]})
        waiting = (await call_0_3(rpc, "message/send", {"message": message_0_3("again")}))["result"]
        cancelled = (await call_0_3(rpc, "tasks/cancel", {"id": waiting["id"]}))["result"]
    assert asked["status"]["state"] == "input-required"
    assert texts(asked["status"]["message"]["parts"]) == [question]
    assert answered["id"] == asked["id"] and answered["status"]["state"] == "completed"
    assert got["status"]["state"] == "completed" and len(got["history"]) == 1
    assert missing["error"]["code"] == -32001  # TaskNotFoundError, a code 0.3 knows
    assert not_cancelable["error"]["code"] == -32002  # TaskNotCancelableError
    assert waiting["status"]["state"] == "input-required"
    assert cancelled["status"]["state"] == "canceled"


async def test_resubscribing_in_0_3_streams_the_rest_of_a_running_task(mcp_server):
    release = asyncio.Event()

    async def slow(messages, tools):
        await release.wait()
        return "done at last."

    async with specialist(mcp_server, FunctionModel(slow)) as rpc:
        params = {"message": message_0_3("take your time"), "configuration": {"blocking": False}}
        task = (await call_0_3(rpc, "message/send", params))["result"]

        async def resubscribe() -> list[dict]:
            response = await rpc.raw("tasks/resubscribe", {"id": task["id"]}, headers=NO_VERSION)
            return [
                json.loads(line[5:])["result"]
                for line in response.text.splitlines()
                if line.startswith("data:")
            ]

        following = asyncio.create_task(resubscribe())
        await asyncio.sleep(0.2)  # the subscription is open while the turn still waits
        release.set()
        events = await asyncio.wait_for(following, 10)
    assert task["status"]["state"] in ("submitted", "working")
    assert {event["taskId"] if "taskId" in event else event["id"] for event in events} == {task["id"]}
    last = events[-1]
    assert (
        last["kind"] == "status-update" and last["status"]["state"] == "completed" and last["final"] is True
    )
    assert texts(last["status"]["message"]["parts"]) == ["done at last."]


async def test_a_plot_reaches_a_0_3_client_as_a_file_part(mcp_server):
    curves = {"train_loss": [1.0, 0.6, 0.4, 0.3], "val_loss": [1.1, 0.8, 0.9, 1.1], "plot": True}
    model = ScriptedModel([call("diagnose_training", curves), "Overfitting."])
    async with specialist(mcp_server, model) as rpc:
        task = (await call_0_3(rpc, "message/send", {"message": message_0_3("diagnose")}))["result"]
    plot = next(a for a in task["artifacts"] if a["name"] == "diagnose_training-plot")
    (part,) = plot["parts"]
    assert part["kind"] == "file"
    assert part["file"]["mimeType"] == "image/png" and part["file"]["name"] == "diagnose_training.png"
    assert base64.b64decode(part["file"]["bytes"]).startswith(b"\x89PNG\r\n\x1a\n")


# ------------------------------------------------------------------------------------------------- checks


@pytest.mark.parametrize("status", ["TASK_STATE_DONE", "completed", 42, True, ["TASK_STATE_COMPLETED"]])
async def test_list_tasks_with_a_status_that_is_no_task_state_is_invalid_params(mcp_server, status):
    async with specialist(mcp_server, ScriptedModel()) as rpc:
        error = await rpc.error("ListTasks", {"status": status})
    assert error["code"] == -32602
    assert error["message"].startswith(f"params.status: {status!r} is not a task state; use one of ")
    assert "TASK_STATE_INPUT_REQUIRED" in error["message"]


async def test_list_tasks_filters_by_a_valid_status_by_name_or_number(mcp_server):
    model = ScriptedModel(["done.", call("ask_user", {"question": "Which?"})])
    async with specialist(mcp_server, model) as rpc:
        done = await rpc.send("first")
        waiting = await rpc.send("second")
        by_name = await rpc.call("ListTasks", {"status": "TASK_STATE_INPUT_REQUIRED"})
        by_number = await rpc.call("ListTasks", {"status": 3})  # TASK_STATE_COMPLETED in a2a.proto
        unfiltered = await rpc.call("ListTasks", {"status": "TASK_STATE_UNSPECIFIED"})
    assert [task["id"] for task in by_name["tasks"]] == [waiting["id"]]
    assert [task["id"] for task in by_number["tasks"]] == [done["id"]]
    assert unfiltered["totalSize"] == 2


def test_the_status_check_leaves_absent_and_valid_filters_alone():
    assert list_tasks_status_problem({}) is None
    assert list_tasks_status_problem({"status": "TASK_STATE_AUTH_REQUIRED"}) is None
    assert list_tasks_status_problem(None) is None


async def test_a_message_naming_only_its_task_continues_that_tasks_context(mcp_server):
    model = ScriptedModel(
        [call("ask_user", {"question": "Which base?"}), call("entropy", FAIR_COIN), "1 bit."]
    )
    async with specialist(mcp_server, model) as rpc:
        asked = await rpc.send("entropy of [0.5, 0.5]")
        answered = await rpc.send("base 2", task_id=asked["id"])  # no contextId, as the spec allows
    assert answered["contextId"] == asked["contextId"]
    assert answered["status"]["message"]["contextId"] == asked["contextId"]
    assert {message["contextId"] for message in answered["history"]} == {asked["contextId"]}


# ------------------------------------------------------------------------------------------------- client


def _echo_app_0_3_only(url: str, store):
    skill = AgentSkill(id="echo", name="Echo", description="Echoes.", tags=["echo"])
    card = agent_card(
        name="legacy-echo",
        description="An agent whose card offers A2A 0.3 only.",
        url=url,
        skills=[skill],
        token_required=False,
        protocol_versions=("0.3",),
    )
    return build_app(card=card, executor=echo_executor(), store=store)


@asynccontextmanager
async def open_legacy_echo(*, url: str, replica=None):  # a replica only matters to a store that outlives it
    async with open_task_store("memory", table="t") as store:
        app = _echo_app_0_3_only(url, store)
        try:
            yield app
        finally:
            await app.aclose()


async def test_the_project_client_speaks_0_3_to_an_agent_that_offers_only_0_3():
    async def run(**options):
        await run_server(open_legacy_echo, **options)

    async with running(run) as url, PeerClient(url, timeout_s=20) as peer:
        card = await peer.discover()
        result = await peer.send("hello")
        task = await peer.get_task(result.task_id)
        with pytest.raises(PeerError, match=r"speaks A2A 0\.3, which has no way to list tasks"):
            await peer.list_tasks()
    assert [i.protocol_version for i in card.supported_interfaces] == ["0.3"]
    assert result.state == "completed" and task.id == result.task_id
    # The 1.0 methods would have refused the 0.3 header these requests carried: they went as message/send.
    assert [artifact.parts[0].text for artifact in task.artifacts] == ["echo: hello"]
