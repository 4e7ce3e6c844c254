"""The ML specialist over A2A, in-process (httpx ASGITransport), driven by scripted models.

Every A2A 1.0 method the issue names is exercised with a plain JSON-RPC client (no SDK), and again with the
SDK's own client.
"""

from __future__ import annotations

import asyncio
import base64
import time

import httpx
from a2a.client import ClientConfig, ClientFactory
from a2a.types import (
    CancelTaskRequest,
    GetTaskRequest,
    ListTasksRequest,
    Message,
    Part,
    Role,
    SendMessageRequest,
    TaskState,
)

from agents.errors import ModelAPIError
from agents.models.testing import FunctionModel, ScriptedModel, call
from agents.trace import TraceWriter, read_trace
from servers.a2a.specialist import open_specialist
from tests.servers.a2a.support import (
    JsonRpc,
    artifacts_by_name,
    status_texts,
    text_of,
    user_message,
)
from tests.servers.a2a.support import (
    specialist_rpc as specialist,
)

FAIR_COIN = {"p": [0.5, 0.5], "base": "2"}
# Hand derivation: H([½, ½]) = −2·½·log2 ½ = 1 bit.
FAIR_COIN_BITS = 1.0


def answer_text(task: dict) -> str:
    return text_of(artifacts_by_name(task)["answer"])


def status_text(task: dict) -> str:
    return "\n".join(part.get("text", "") for part in task["status"].get("message", {}).get("parts", []))


async def wait_for_state(rpc: JsonRpc, task_id: str, states: set[str], timeout: float = 10.0) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            task = await rpc.call("GetTask", {"id": task_id})
            if task["status"]["state"] in states:
                return task
            await asyncio.sleep(0.02)


# ------------------------------------------------------------------------------------------------- messages


async def test_send_message_returns_a_completed_task_with_the_answer_and_the_tool_results(mcp_server):
    model = ScriptedModel([call("entropy", FAIR_COIN), "H = 1 bit."])
    async with specialist(mcp_server, model) as rpc:
        task = await rpc.send("entropy of a fair coin in bits")
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert status_text(task) == "H = 1 bit."
    artifacts = artifacts_by_name(task)
    assert text_of(artifacts["answer"]) == "H = 1 bit."
    (data,) = artifacts["tool-results"]["parts"]
    (record,) = data["data"]["tool_calls"]
    assert record["tool"] == "entropy" and record["arguments"] == FAIR_COIN and record["is_error"] is False
    assert record["result"]["entropy"] == FAIR_COIN_BITS
    assert task["history"][0]["parts"][0]["text"] == "entropy of a fair coin in bits"
    assert (
        model.requests[0].tool_names.count("entropy") == 1
    )  # the MCP catalogue is what the model is offered


async def test_streaming_names_each_tool_call_while_it_runs(mcp_server):
    model = ScriptedModel([call("entropy", FAIR_COIN), "H = 1 bit."])
    async with specialist(mcp_server, model) as rpc:
        events = await rpc.stream("SendStreamingMessage", {"message": user_message("entropy of a fair coin")})
    assert events[0]["task"]["status"]["state"] == "TASK_STATE_WORKING"  # created already working
    texts = status_texts(events)
    assert texts[0] == 'running entropy(p=[0.5, 0.5], base="2")'
    assert texts[1].startswith("entropy done (")
    progress = events[1]["statusUpdate"]["status"]["message"]["metadata"]
    assert progress == {"protoplay/kind": "progress", "tool": "entropy", "event": "started"}
    kinds = [next(iter(event)) for event in events]
    assert kinds == [
        "task",
        "statusUpdate",
        "statusUpdate",
        "artifactUpdate",
        "artifactUpdate",
        "statusUpdate",
    ]
    assert events[-1]["statusUpdate"]["status"]["state"] == "TASK_STATE_COMPLETED"


async def test_a_plot_comes_back_as_a_png_part(mcp_server):
    curves = {"train_loss": [1.0, 0.6, 0.4, 0.3], "val_loss": [1.1, 0.8, 0.9, 1.1], "plot": True}
    model = ScriptedModel([call("diagnose_training", curves), "Overfitting."])
    async with specialist(mcp_server, model) as rpc:
        task = await rpc.send("diagnose these curves")
    (part,) = artifacts_by_name(task)["diagnose_training-plot"]["parts"]
    assert part["mediaType"] == "image/png" and part["filename"] == "diagnose_training.png"
    assert base64.b64decode(part["raw"]).startswith(b"\x89PNG\r\n\x1a\n")


async def test_get_task_and_list_tasks(mcp_server):
    model = FunctionModel(lambda messages, tools: f"echo: {messages[-1]['content']}")
    async with specialist(mcp_server, model) as rpc:
        first = await rpc.send("one", context_id="ctx-a")
        await rpc.send("two", context_id="ctx-a")
        await rpc.send("three", context_id="ctx-b")
        fetched = await rpc.call("GetTask", {"id": first["id"]})
        everything = await rpc.call("ListTasks", {"includeArtifacts": True})
        in_a = await rpc.call("ListTasks", {"contextId": "ctx-a"})
        missing = await rpc.error("GetTask", {"id": "no-such-task"})
    assert fetched["status"]["state"] == "TASK_STATE_COMPLETED"
    assert answer_text(fetched) == "echo: one"
    assert everything["totalSize"] == 3 and all("artifacts" in task for task in everything["tasks"])
    assert in_a["totalSize"] == 2 and {task["contextId"] for task in in_a["tasks"]} == {"ctx-a"}
    assert all("artifacts" not in task for task in in_a["tasks"])  # only when asked for
    assert missing["code"] == -32001  # TaskNotFoundError


# ------------------------------------------------------------------------------------------ input-required


async def test_missing_information_asks_and_the_next_message_resumes_the_same_task(mcp_server):
    question = "Which log base: 2 (bits) or e (nats)?"
    model = ScriptedModel([call("ask_user", {"question": question}), call("entropy", FAIR_COIN), "1 bit."])
    async with specialist(mcp_server, model) as rpc:
        asked = await rpc.send("entropy of [0.5, 0.5]")
        assert asked["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
        assert status_text(asked) == question
        assert "artifacts" not in asked
        answered = await rpc.send("base 2", task_id=asked["id"], context_id=asked["contextId"])
    assert answered["id"] == asked["id"]
    assert answered["status"]["state"] == "TASK_STATE_COMPLETED"
    assert answer_text(answered) == "1 bit."
    resumed = model.requests[1].messages  # the second turn continues the first one's conversation
    assert [m["role"] for m in resumed[1:]] == ["user", "assistant", "tool", "user"]
    assert resumed[-1]["content"] == "base 2"
    texts = [part["text"] for message in answered["history"] for part in message["parts"]]
    assert texts[0] == "entropy of [0.5, 0.5]" and question in texts and "base 2" in texts


# ------------------------------------------------------------------------------------------------- cancel


async def test_cancel_stops_a_running_turn_promptly(mcp_server):
    started, stopped = asyncio.Event(), asyncio.Event()

    async def stuck(messages, tools):
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()

    async with specialist(mcp_server, FunctionModel(stuck)) as rpc:
        params = {"message": user_message("think forever"), "configuration": {"returnImmediately": True}}
        task = (await rpc.call("SendMessage", params))["task"]
        await asyncio.wait_for(started.wait(), 5)
        begun = time.perf_counter()
        cancelled = await rpc.call("CancelTask", {"id": task["id"]})
        took = time.perf_counter() - begun
        stored = await wait_for_state(rpc, task["id"], {"TASK_STATE_CANCELED"})
        again = await rpc.error("CancelTask", {"id": task["id"]})
    assert cancelled["status"]["state"] == "TASK_STATE_CANCELED"
    assert stopped.is_set()  # the model request itself was cancelled, not abandoned
    assert took < 2.0
    assert status_text(stored) == "Cancelled at the client's request."
    assert again["code"] == -32002  # TaskNotCancelableError: it is already terminal


async def test_cancel_a_task_that_waits_for_input(mcp_server):
    model = ScriptedModel([call("ask_user", {"question": "Which base?"})])
    async with specialist(mcp_server, model) as rpc:
        asked = await rpc.send("entropy of [0.5, 0.5]")
        cancelled = await rpc.call("CancelTask", {"id": asked["id"]})
    assert cancelled["status"]["state"] == "TASK_STATE_CANCELED"


# ------------------------------------------------------------------------------------------------- failures


async def test_a_model_failure_fails_the_task_with_its_message(mcp_server):
    failure = ModelAPIError("The model endpoint at http://llm.test/v1 answered 503 after 3 attempts: busy")
    async with specialist(mcp_server, ScriptedModel([failure])) as rpc:
        task = await rpc.send("anything")
    assert task["status"]["state"] == "TASK_STATE_FAILED"
    assert status_text(task) == str(failure)


async def test_a_crash_fails_the_task_with_a_short_message_and_no_traceback(mcp_server, caplog):
    async with specialist(mcp_server, ScriptedModel([RuntimeError("boom at line 3")])) as rpc:
        task = await rpc.send("anything")
    assert task["status"]["state"] == "TASK_STATE_FAILED"
    message = status_text(task)
    assert "internal error" in message and "boom" not in message and "Traceback" not in message
    assert "boom at line 3" in caplog.text  # the traceback went to the server log


# ------------------------------------------------------------------------------------------------- SDK client


async def test_the_sdks_own_client_works_against_the_specialist(mcp_server):
    model = ScriptedModel(
        [call("entropy", FAIR_COIN), "H = 1 bit.", call("ask_user", {"question": "Which?"})]
    )
    async with open_specialist(url="http://specialist/", mcp=mcp_server, model_override=model) as a2a:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(a2a.app))
        client = await ClientFactory(ClientConfig(httpx_client=http)).create_from_url("http://specialist")
        try:
            message = Message(
                message_id="m-1", role=Role.ROLE_USER, parts=[Part(text="entropy of a fair coin")]
            )
            events = [event async for event in client.send_message(SendMessageRequest(message=message))]
            task_id = events[0].task.id
            task = await client.get_task(GetTaskRequest(id=task_id))
            listing = await client.list_tasks(ListTasksRequest())
            follow_up = Message(message_id="m-2", role=Role.ROLE_USER, parts=[Part(text="and then?")])
            waiting = [event async for event in client.send_message(SendMessageRequest(message=follow_up))]
            cancelled = await client.cancel_task(CancelTaskRequest(id=waiting[-1].status_update.task_id))
        finally:
            await client.close()
            await http.aclose()
    assert events[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED
    assert {artifact.name for artifact in task.artifacts} == {"answer", "tool-results"}
    assert listing.total_size == 1 and listing.tasks[0].id == task_id
    assert waiting[-1].status_update.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
    assert cancelled.status.state == TaskState.TASK_STATE_CANCELED


# ------------------------------------------------------------------------------------------------- storage


async def test_tasks_completed_before_a_restart_are_still_there(mcp_server, tmp_path):
    store = f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"
    async with specialist(mcp_server, ScriptedModel(["first answer"]), task_store=store) as rpc:
        done = await rpc.send("first question")
    async with specialist(mcp_server, ScriptedModel(), task_store=store) as rpc:  # a new process, in effect
        fetched = await rpc.call("GetTask", {"id": done["id"]})
        listing = await rpc.call("ListTasks", {})
    assert fetched["status"]["state"] == "TASK_STATE_COMPLETED"
    assert answer_text(fetched) == "first answer"
    assert listing["totalSize"] == 1


async def test_a_waiting_task_resumes_after_a_restart(mcp_server, tmp_path):
    store = f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"
    question = "Which log base?"
    async with specialist(
        mcp_server, ScriptedModel([call("ask_user", {"question": question})]), task_store=store
    ) as rpc:
        asked = await rpc.send("entropy of [0.5, 0.5]")
    model = ScriptedModel(["1 bit."])
    async with specialist(mcp_server, model, task_store=store) as rpc:
        answered = await rpc.send("base 2", task_id=asked["id"], context_id=asked["contextId"])
    assert answered["status"]["state"] == "TASK_STATE_COMPLETED"
    # the conversation was rebuilt from the task's A2A history: the question, then the answer
    messages = model.requests[0].messages
    assert [(m["role"], m["content"]) for m in messages[1:]] == [
        ("user", "entropy of [0.5, 0.5]"),
        ("assistant", question),
        ("user", "base 2"),
    ]


async def test_the_trace_joins_a2a_model_and_mcp_events_of_a_context(mcp_server):
    model = ScriptedModel([call("entropy", FAIR_COIN), "H = 1 bit."])
    async with specialist(mcp_server, model) as rpc:
        await rpc.send("entropy of a fair coin", context_id="ctx-trace")
    events = list(read_trace("a2a-ctx-trace"))
    assert (events[0].protocol, events[0].direction) == ("a2a", "in")
    assert (events[-1].protocol, events[-1].direction) == ("a2a", "out")
    assert {e.protocol for e in events} == {"a2a", "llm", "mcp"}
    assert [e.method for e in events if e.protocol == "mcp"][-2:] == ["tools/call", "tools/call"]


def test_a_server_recording_many_conversations_keeps_few_trace_files_open(tmp_path):
    """Each A2A context has its own trace file; the writer closes the least recently used ones."""
    writer = TraceWriter(tmp_path / "traces", max_open=2)
    for number in range(5):
        writer.record("a2a", "in", "client", "SendMessage", {"n": number}, None, f"a2a-ctx-{number}")
    writer.record("a2a", "out", "client", "SendMessage", {"n": 0}, 1.0, "a2a-ctx-0")  # reopened, appended
    assert len(writer._files) == 2
    writer.close()
    assert [len(list(read_trace(f"a2a-ctx-{n}", tmp_path))) for n in range(5)] == [2, 1, 1, 1, 1]
