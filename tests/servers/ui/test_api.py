"""The playground's HTTP API and event stream, in-process: the playground served on loopback in the test's
loop, over the in-process MCP server and the offline model (or a scripted one)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from agents.models.testing import FunctionModel, ScriptedModel, call
from servers.ui.runtime import UIOptions
from tests.servers.ui.support import TOKEN, EventStream, chat_done, serve


@pytest.fixture
def options(mcp_server) -> UIOptions:
    return UIOptions(mcp=mcp_server)


async def test_requests_without_the_token_get_401_and_the_printed_url_sets_a_cookie(options):
    async with serve(options) as (client, url):
        bare = httpx.AsyncClient(base_url=str(client.base_url))
        async with bare:
            refused = await bare.get("/api/status")
            assert refused.status_code == 401 and "access token" in refused.json()["error"]
            assert (await bare.get("/", headers={"Authorization": "Bearer wrong-token"})).status_code == 401
            entered = await bare.get(url.removeprefix(str(client.base_url)))
            assert entered.status_code == 303 and entered.headers["location"] == "/"
            assert (
                "HttpOnly" in entered.headers["set-cookie"]
                and "SameSite=strict" in entered.headers["set-cookie"]
            )
            page = await bare.get("/")  # the cookie now carries the token
            assert page.status_code == 200 and "<title>protoplay playground</title>" in page.text
            assert (await bare.get("/static/js/main.js")).status_code == 200


async def test_host_and_origin_are_checked_as_the_mcp_server_checks_them(options):
    async with serve(options) as (client, _):
        assert (await client.get("/api/status", headers={"Host": "evil.example"})).status_code == 421
        foreign = await client.get("/api/status", headers={"Origin": "http://evil.example"})
        assert foreign.status_code == 403
        same = await client.get("/api/status", headers={"Origin": str(client.base_url)})
        assert same.status_code == 200
        form = await client.post("/api/chat/send", content="session=x&text=y")  # what a cross-site form sends
        assert form.status_code == 400


async def test_a_chat_turn_streams_its_answer_tool_card_and_trace_to_the_page(options):
    async with serve(options) as (client, _), EventStream(client) as stream:
        sent = await client.post(
            "/api/chat/send",
            json={"session": "kl", "text": "KL divergence between p=[0.5,0.5] and q=[0.9,0.1] in bits"},
        )
        assert sent.status_code == 200
        done = await stream.wait_for(chat_done("kl"))
        assert done["kind"] == "finished", done
        kinds = [e["kind"] for e in stream.of("chat", session="kl")]
        assert kinds[0] == "started" and kinds.index("tool_started") < kinds.index("tool_finished")
        assert "delta" in kinds and kinds[-1] == "finished"
        (card,) = [e for e in stream.of("chat", session="kl") if e["kind"] == "tool_finished"]
        assert card["name"] == "kl_divergence" and card["is_error"] is False and card["duration_ms"] > 0
        # KL(p‖q) in bits = ½·log2(0.5/0.9) + ½·log2(0.5/0.1) = 0.736966 (hand derivation)
        assert card["result"]["kl_pq"] == pytest.approx(0.736966, abs=1e-6)
        answer = "".join(e["text"] for e in stream.of("chat", session="kl", kind="delta"))
        assert answer == done["text"] and "0.736966" in answer
        await stream.wait_for(
            lambda e: (
                e["type"] == "trace"
                and e["event"]["method"] == "chat.completions"
                and e["event"]["direction"] == "in"
                and "answer" in e["event"]["payload"]["summary"]
            )
        )
        trace = [e["event"] for e in stream.of("trace") if e["event"]["session"] == "kl"]
        assert {(e["protocol"], e["direction"], e["method"]) for e in trace} >= {
            ("llm", "out", "chat.completions"), ("llm", "in", "chat.completions"),
            ("mcp", "out", "tools/call"), ("mcp", "in", "tools/call"),
        }  # fmt: skip
        assert {e["agent"] for e in trace} == {"protoplay-agent"}


async def test_a_finished_session_is_listed_and_resumable(options):
    async with serve(options) as (client, _), EventStream(client) as stream:
        await client.post(
            "/api/chat/send", json={"session": "resume-me", "text": "entropy of [0.5, 0.5] in bits"}
        )
        assert (await stream.wait_for(chat_done("resume-me")))["kind"] == "finished"
        sessions = (await client.get("/api/chat/sessions")).json()
        row = next(s for s in sessions["sessions"] if s["name"] == "resume-me")
        assert row["turns"] == 1
        history = (await client.get("/api/chat/sessions/resume-me")).json()["messages"]
        assert [m["role"] for m in history] == ["user", "assistant", "tool", "assistant"]
        assert history[0]["content"] == "entropy of [0.5, 0.5] in bits"
        assert history[1]["tool_calls"][0]["function"]["name"] == "entropy"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"session": "s", "text": ""}, "text: string should have at least 1 character"),
        ({"text": "hi"}, "session: field required"),
        ({"session": "s", "text": "hi", "colour": "red"}, "colour: extra inputs are not permitted"),
        ({"session": "s", "text": "x" * 20_001}, "text: string should have at most 20000 characters"),
    ],
)
async def test_a_bad_body_gets_one_line_naming_the_field(options, body, message):
    async with serve(options) as (client, _):
        response = await client.post("/api/chat/send", json=body)
        assert response.status_code == 400 and response.json() == {"error": message}
        broken = await client.post(
            "/api/chat/send", content=b"{nope", headers={"Content-Type": "application/json"}
        )
        assert broken.status_code == 400 and broken.json()["error"].startswith("the body is not valid JSON")


async def test_a_crash_in_a_turn_is_one_line_and_the_next_turn_works(mcp_server):
    answers = iter([RuntimeError("model bug"), "Recovered."])

    def flaky(messages, tools):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async with (
        serve(UIOptions(mcp=mcp_server, model_override=FunctionModel(flaky))) as (client, _),
        EventStream(client) as stream,
    ):
        await client.post("/api/chat/send", json={"session": "c", "text": "hello"})
        failed = await stream.wait_for(chat_done("c"))
        assert failed["kind"] == "failed"
        assert failed["message"].startswith("internal error (RuntimeError); details in the playground's log")
        await client.post("/api/chat/send", json={"session": "c", "text": "hello again"})
        again = await stream.wait_for(lambda e: chat_done("c")(e) and e is not failed)
        assert again["kind"] == "finished" and again["text"] == "Recovered."


async def test_a_second_message_while_answering_is_refused_and_stop_rolls_the_turn_back(mcp_server):
    release = asyncio.Event()

    async def slow(messages, tools):
        await release.wait()
        return "late"

    async with (
        serve(UIOptions(mcp=mcp_server, model_override=FunctionModel(slow))) as (client, _),
        EventStream(client) as stream,
    ):
        assert (await client.post("/api/chat/send", json={"session": "b", "text": "one"})).status_code == 200
        busy = await client.post("/api/chat/send", json={"session": "b", "text": "two"})
        assert busy.status_code == 409 and "still answering" in busy.json()["error"]
        assert (await client.post("/api/chat/stop", json={"session": "b"})).json() == {"stopped": True}
        stopped = await stream.wait_for(chat_done("b"))
        assert stopped["kind"] == "stopped"
        assert (await client.get("/api/chat/sessions/b")).json()["messages"] == []


async def test_a_question_from_the_agent_ends_the_turn_as_a_question(mcp_server):
    model = ScriptedModel([call("ask_user", {"question": "Which base model?"})])
    async with (
        serve(UIOptions(mcp=mcp_server, model_override=model)) as (client, _),
        EventStream(client) as stream,
    ):
        await client.post("/api/chat/send", json={"session": "q", "text": "plan my fine-tuning"})
        done = await stream.wait_for(chat_done("q"))
        assert (
            done["kind"] == "finished" and done["needs_input"] == "Which base model?" and done["text"] == ""
        )


async def test_the_memories_recalled_for_a_turn_are_shown(options):
    from agents.memory.long_term import LongTermMemory

    memory = LongTermMemory()
    await memory.remember("The user's favourite optimizer is AdamW", kind="preference")
    memory.close()
    async with serve(options) as (client, _), EventStream(client) as stream:
        await client.post("/api/chat/send", json={"session": "m", "text": "which optimizer is my favourite?"})
        await stream.wait_for(chat_done("m"))
        (recalled,) = stream.of("chat", session="m", kind="memories")
        assert [m["text"] for m in recalled["memories"]] == ["The user's favourite optimizer is AdamW"]


async def test_the_runtime_failing_to_open_is_a_sentence_and_the_page_still_loads(unused_port_url):
    async with serve(UIOptions(mcp=unused_port_url)) as (client, _):
        assert (await client.get("/")).status_code == 200
        catalogue = await client.get("/api/catalogue")
        assert catalogue.status_code == 503
        assert catalogue.json()["error"].startswith(f"Could not connect to the MCP server {unused_port_url}")
        status = (await client.get("/api/status")).json()
        assert status["runtime"] == "failed" and "Could not connect" in status["error"]
        chat = await client.post("/api/chat/send", json={"session": "x", "text": "hi"})
        assert chat.status_code == 503  # tried again, failed again, said again


@pytest.fixture
def unused_port_url() -> str:
    from servers.a2a.app import free_port

    return f"http://127.0.0.1:{free_port()}/mcp"


async def test_the_token_of_the_printed_url_is_the_one_required(options):
    async with serve(options) as (_, url):
        assert url.endswith(f"/?token={TOKEN}") and url.startswith("http://127.0.0.1:")
