"""The Tools, Memory, Timeline, Agents and Demos panels' API, in-process over the in-process MCP server."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from servers.ui.runtime import UIOptions
from tests.servers.ui.support import EventStream, serve


@pytest.fixture
def options(mcp_server) -> UIOptions:
    return UIOptions(mcp=mcp_server)


# ----------------------------------------------------------------------------------------------- tools


async def test_the_catalogue_lists_every_tool_by_theme_with_its_schema_resources_and_prompts(
    options, mcp_server
):
    from tools.catalog import TOOLS

    async with serve(options) as (client, _):
        catalogue = (await client.get("/api/catalogue")).json()
    tools = {tool["name"]: tool for tool in catalogue["tools"]}
    assert set(tools) == {spec.name for spec in TOOLS}
    for spec in TOOLS:
        assert tools[spec.name]["theme"] == str(spec.theme)
    assert tools["entropy"]["input_schema"]["required"] == ["p"]
    assert tools["entropy"]["input_schema"]["properties"]["base"]["enum"] == ["e", "2", "10"]
    assert any(r["uri"] == "notes://lora" for r in catalogue["resources"])
    assert {t["uriTemplate"] for t in catalogue["resource_templates"]} >= {"notes://{topic}", "arch://{name}"}
    served = {prompt.name for prompt in await mcp_server.list_prompts()}
    assert {p["name"] for p in catalogue["prompts"]} == served >= {"diagnose-training", "plan-finetune"}


async def test_a_tool_call_shows_the_mcp_request_and_response(options):
    async with serve(options) as (client, _):
        call = (await client.post("/api/tools/call", json={"name": "linear_params", "arguments": {
            "in_features": 784, "out_features": 10}})).json()  # fmt: skip
    assert call["request"] == {
        "jsonrpc": "2.0",
        "method": "tools/call",
        "params": {"name": "linear_params", "arguments": {"in_features": 784, "out_features": 10}},
    }
    assert call["is_error"] is False and call["duration_ms"] > 0
    result = call["response"]["result"]
    assert result["structuredContent"]["params"] == 7850  # 784·10 weights + 10 biases
    assert json.loads(result["content"][0]["text"])["params"] == 7850


async def test_a_bad_argument_comes_back_from_the_server_as_an_error_naming_the_field(options):
    async with serve(options) as (client, _):
        call = (
            await client.post("/api/tools/call", json={"name": "entropy", "arguments": {"p": [0.5, 0.6]}})
        ).json()
    assert call["is_error"] is True
    assert "p" in call["response"]["result"]["content"][0]["text"]
    assert "sum to 1" in call["response"]["result"]["content"][0]["text"]


async def test_a_plot_travels_as_image_content(options):
    arguments = {"train_loss": [2.1, 1.5, 1.1, 0.8, 0.6], "val_loss": [2.2, 1.7, 1.4, 1.5, 1.7]}
    async with serve(options) as (client, _):
        call = (
            await client.post("/api/tools/call", json={"name": "diagnose_training", "arguments": arguments})
        ).json()
    images = [block for block in call["response"]["result"]["content"] if block["type"] == "image"]
    assert (
        images and images[0]["mimeType"] == "image/png" and images[0]["data"].startswith("iVBOR")
    )  # PNG magic


async def test_resources_are_read_and_prompts_filled_in(options):
    async with serve(options) as (client, _):
        note = (await client.post("/api/resources/read", json={"uri": "notes://lora"})).json()
        (content,) = note["response"]["result"]["contents"]
        assert content["uri"] == "notes://lora" and "LoRA" in content["text"]
        missing = await client.post("/api/resources/read", json={"uri": "notes://no-such-topic"})
        assert missing.status_code == 400 and missing.json()["error"].startswith("uri: ")
        prompt = (await client.post("/api/prompts/get", json={"name": "plan-finetune", "arguments": {
            "params_billion": "7", "gpu_memory_gb": "24"}})).json()  # fmt: skip
        text = prompt["response"]["result"]["messages"][0]["content"]["text"]
        assert "24" in text and prompt["request"]["method"] == "prompts/get"


# ----------------------------------------------------------------------------------------- memory, traces


async def test_memories_are_listed_searched_forgotten_and_exported(options):
    from agents.memory.long_term import LongTermMemory

    memory = LongTermMemory()
    kept = await memory.remember("Use a learning rate of 3e-4 for AdamW", kind="fact")
    gone = await memory.remember("The GPU has 24 GB of memory", kind="fact")
    memory.close()
    async with serve(options) as (client, _):
        listed = (await client.get("/api/memory")).json()["memories"]
        assert [m["id"] for m in listed] == [gone.id, kept.id]  # newest first
        found = (await client.get("/api/memory", params={"query": "learning rate"})).json()["memories"]
        assert [m["id"] for m in found] == [kept.id] and "score" in found[0]
        assert (await client.post("/api/memory/forget", json={"id": gone.id})).json() == {
            "forgotten": gone.id
        }
        again = await client.post("/api/memory/forget", json={"id": gone.id})
        assert again.status_code == 404 and again.json()["error"] == f"not found: memory {gone.id}"
        exported = await client.get("/api/memory/export")
        assert "attachment" in exported.headers["content-disposition"]
        assert [m["text"] for m in exported.json()] == ["Use a learning rate of 3e-4 for AdamW"]
        bad = await client.get("/api/memory", params={"limit": "lots"})
        assert bad.status_code == 400 and bad.json()["error"] == "limit: must be a whole number"


async def test_a_saved_trace_is_listed_read_as_rows_and_one_event_in_full(options):
    from agents.trace import TraceWriter

    writer = TraceWriter(agent="protoplay-agent")
    writer.record(
        "mcp", "out", "protoplay", "tools/call", {"summary": "entropy {}", "arguments": {}}, None, "t"
    )
    writer.record(
        "mcp", "in", "protoplay", "tools/call", {"summary": "entropy ok", "structured": {"h": 1}}, 4.5, "t"
    )
    writer.close()
    async with serve(options) as (client, _):
        listed = (await client.get("/api/traces")).json()["traces"]
        assert [(t["session"], t["events"]) for t in listed] == [("t", 2)]
        rows = (await client.get("/api/traces/t")).json()
        assert [(r["direction"], r["summary"], r["duration_ms"]) for r in rows["events"]] == [
            ("out", "entropy {}", None), ("in", "entropy ok", 4.5)
        ]  # fmt: skip
        assert "payload" not in rows["events"][0] and rows["skipped"] == 0
        full = (await client.get("/api/traces/t/1")).json()
        assert full["payload"]["structured"] == {"h": 1} and full["agent"] == "protoplay-agent"
        assert (await client.get("/api/traces/t/2")).status_code == 404
        assert (await client.get("/api/traces/nothing")).status_code == 404


@pytest.mark.parametrize("name", ["..%2Fmemory.db", "secret.png", ".hidden.png"])
async def test_only_saved_plots_are_served_as_images(options, name):
    from agents.config import protoplay_home

    (protoplay_home() / "memory.db").write_bytes(b"private")
    async with serve(options) as (client, _):
        assert (await client.get(f"/api/images/{name}")).status_code == 404


# ----------------------------------------------------------------------------------------------- agents


@contextlib.asynccontextmanager
async def specialist(mcp_server):
    from servers.a2a.specialist import run_specialist

    urls: list[str] = []
    ready = asyncio.Event()
    task = asyncio.create_task(
        run_specialist(port=0, mcp=mcp_server, task_store="memory", ready=ready, on_ready=urls.append)
    )
    await asyncio.wait_for(ready.wait(), 30)
    await asyncio.sleep(0)
    try:
        yield urls[0]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_an_a2a_agent_card_a_message_its_task_and_the_task_list(options, mcp_server):
    async with specialist(mcp_server) as url, serve(options) as (client, _), EventStream(client) as stream:
        card = (await client.post("/api/a2a/card", json={"url": url})).json()
        assert card["name"] == "protoplay-ml-specialist" and card["capabilities"]["streaming"] is True
        assert "information-theory" in {skill["id"] for skill in card["skills"]}
        sent = (
            await client.post("/api/a2a/send", json={"url": url, "text": "entropy of [0.5, 0.5] in bits"})
        ).json()
        assert sent["session"] == f"a2a-{sent['context_id']}"
        result = await stream.wait_for(
            lambda e: e["type"] == "a2a" and e["run"] == sent["run"] and e["kind"] == "result"
        )
        assert (
            result["state"] == "completed" and "**entropy**: 1" in result["text"]
        )  # H of a fair coin = 1 bit
        assert {a["name"] for a in result["artifacts"]} >= {"answer", "tool-results"}
        states = [e["state"] for e in stream.of("a2a", run=sent["run"], kind="update")]
        assert states[0] == "working"
        tasks = (await client.post("/api/a2a/tasks", json={"url": url})).json()["tasks"]
        assert [(t["id"], t["state"]) for t in tasks] == [(result["task_id"], "completed")]
        refused = await client.post("/api/a2a/cancel", json={"url": url, "task_id": result["task_id"]})
        assert refused.status_code == 400 and "could not cancel" in refused.json()["error"]
        traced = [e["event"] for e in stream.of("trace") if e["event"]["session"] == sent["session"]]
        assert {(e["agent"], e["direction"]) for e in traced} >= {
            ("protoplay-ui", "out"), ("protoplay-ml-specialist", "in")
        }  # fmt: skip


async def test_a_bad_or_unreachable_agent_url_is_one_sentence(options, unused_url):
    async with serve(options) as (client, _):
        bad = await client.post("/api/a2a/card", json={"url": "ftp://example"})
        assert bad.status_code == 400 and bad.json()["error"].startswith(
            "url: 'ftp://example' is not an http(s) URL"
        )
        down = await client.post("/api/a2a/card", json={"url": unused_url})
        assert down.status_code == 502
        assert down.json()["error"].startswith(f"Could not read the agent card of {unused_url.rstrip('/')}")


@pytest.fixture
def unused_url() -> str:
    from servers.a2a.app import free_port

    return f"http://127.0.0.1:{free_port()}/"


# ----------------------------------------------------------------------------------------------- demos


async def test_demos_are_listed_and_a_wrong_name_or_a_stray_answer_is_refused(options):
    async with serve(options) as (client, _):
        demos = (await client.get("/api/demos")).json()["demos"]
        assert [d["name"] for d in demos][:2] == ["backbone-for-phone", "diagnose-training"]
        assert demos[1]["steps"][0]["expect"] == "input-required"
        unknown = await client.post("/api/demos/run", json={"name": "nope"})
        assert unknown.status_code == 400 and unknown.json()["error"].startswith("no demo named 'nope'")
        stray = await client.post("/api/demos/answer", json={"run": "d1", "text": "hello"})
        assert stray.status_code == 400 and stray.json()["error"] == "run: no demo is waiting for an answer"


async def test_a_demo_asks_the_page_and_plays_on_with_the_answer(options):
    async with serve(options) as (client, _), EventStream(client) as stream:
        run = (await client.post("/api/demos/run", json={"name": "diagnose-training"})).json()
        busy = await client.post("/api/demos/run", json={"name": "diagnose-training"})
        assert busy.status_code == 409
        question = await stream.wait_for(
            lambda e: e["type"] == "demo" and e["kind"] == "question", timeout=120
        )
        assert "train_loss" in question["question"] and question["suggestion"].startswith("train loss [")
        train, val = "[2.0, 1.4, 1.0, 0.7, 0.5, 0.4, 0.3, 0.25]", "[2.1, 1.6, 1.3, 1.2, 1.3, 1.5, 1.7, 1.9]"
        answer = f"train loss {train} and val loss {val}"
        assert (
            await client.post("/api/demos/answer", json={"run": run["run"], "text": answer})
        ).status_code == 200
        end = await stream.wait_for(
            lambda e: e["type"] == "demo" and e["kind"] in ("finished", "failed"), timeout=120
        )
        assert end["kind"] == "finished" and end["problems"] == []
        said = [e for e in stream.of("demo", run=run["run"]) if e["kind"] == "user_said"]
        assert (
            said[1]["text"] == answer and said[1]["answering"] is True
        )  # the page's words, not the script's
        replies = [
            e["result"] for e in stream.of("demo", run=run["run"]) if e["kind"] == "coordinator_replied"
        ]
        assert [r["state"] for r in replies] == ["input-required", "completed"] and "overfitting" in replies[
            1
        ]["text"]
        known = (await client.get("/api/a2a/known")).json()["agents"]
        assert [a["label"] for a in known] == [
            "demo coordinator",
            "demo specialist",
        ]  # still up for the panel
        assert any(e["event"]["session"] == run["session"] for e in stream.of("trace"))
