"""Tokens identify principals (``--tokens FILE``): each caller sees only its own tasks, conversations and
memories — one test per path a caller could reach another's data by."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

import pytest

from agents.a2a.client import PeerClient
from agents.models.testing import FunctionModel, ScriptedModel
from servers.a2a.auth import TokensFileError, load_tokens
from servers.a2a.coordinator import run_coordinator
from servers.a2a.specialist import open_specialist, run_specialist
from tests.servers.a2a.support import JsonRpc, asgi_client, running, user_message

TOKENS = {"alice-token-0123456789": "alice", "bob-token-0123456789": "bob"}


@asynccontextmanager
async def specialist(mcp_server, model):
    async with (
        open_specialist(url="http://specialist/", mcp=mcp_server, model_override=model, tokens=TOKENS) as a2a,
        asgi_client(a2a.app) as client,
    ):
        yield JsonRpc(client, token="alice-token-0123456789"), JsonRpc(client, token="bob-token-0123456789")


# ------------------------------------------------------------------------------------------------- the file


def test_a_tokens_file_maps_each_token_to_its_principal(tmp_path):
    path = tmp_path / "tokens"
    path.write_text("# who may call\nalice-token alice\n\nbob-old bob  # rotating\nbob-new bob\n")
    assert load_tokens(path) == {"alice-token": "alice", "bob-old": "bob", "bob-new": "bob"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("alice-token\n", "line 1: expected 'TOKEN NAME', got 1 field(s)"),
        ("t1 alice\nt2 alice smith\n", "line 2: expected 'TOKEN NAME', got 3 field(s)"),
        ("t1 ../etc\n", "line 1: the name '../etc' must be 1-64 letters, digits"),
        ("t1 alice\nt1 bob\n", "line 2: this token already names 'alice'"),
        ("# nothing but a comment\n", "no 'TOKEN NAME' line in it"),
    ],
)
def test_a_bad_tokens_file_is_refused_naming_the_line(tmp_path, content, message):
    path = tmp_path / "tokens"
    path.write_text(content)
    with pytest.raises(TokensFileError) as caught:
        load_tokens(path)
    assert str(caught.value).startswith(f"--tokens {path}") and message in str(caught.value)


def test_a_missing_tokens_file_is_named(tmp_path):
    with pytest.raises(TokensFileError, match=r"tokens .*nowhere: cannot read it \(No such file"):
        load_tokens(tmp_path / "nowhere")


# ------------------------------------------------------------------------------------------------- tasks


async def test_list_tasks_shows_only_the_callers_own(mcp_server):
    async with specialist(mcp_server, ScriptedModel(["for alice", "for bob"])) as (alice, bob):
        mine = await alice.send("alice's question")
        theirs = await bob.send("bob's question")
        alice_list = await alice.call("ListTasks", {})
        bob_list = await bob.call("ListTasks", {})
    assert [task["id"] for task in alice_list["tasks"]] == [mine["id"]] and alice_list["totalSize"] == 1
    assert [task["id"] for task in bob_list["tasks"]] == [theirs["id"]] and bob_list["totalSize"] == 1


async def test_another_principals_task_cannot_be_read_continued_or_cancelled(mcp_server):
    async with specialist(mcp_server, ScriptedModel(["done"])) as (alice, bob):
        task = await alice.send("alice's question", context_id="alice-ctx")
        read = await bob.error("GetTask", {"id": task["id"]})
        cancel = await bob.error("CancelTask", {"id": task["id"]})
        follow_up = await bob.error(
            "SendMessage", {"message": user_message("show me", task_id=task["id"], context_id="alice-ctx")}
        )
        by_context = await bob.call("ListTasks", {"contextId": "alice-ctx"})
        still = await alice.call("GetTask", {"id": task["id"]})
    for error in (read, cancel, follow_up):
        assert error["code"] == -32001  # TaskNotFoundError: not even its existence is revealed
    assert by_context["tasks"] == []
    assert still["status"]["state"] == "TASK_STATE_COMPLETED"
    assert "show me" not in json.dumps(still)  # bob's message never reached the task


async def test_with_one_shared_token_every_caller_is_the_same_principal(mcp_server):
    async with (
        open_specialist(
            url="http://specialist/", mcp=mcp_server, model_override=ScriptedModel(["ok"]), token="shared"
        ) as a2a,
        asgi_client(a2a.app) as client,
    ):
        first, second = JsonRpc(client, token="shared"), JsonRpc(client, token="shared")
        task = await first.send("hello")
        fetched = await second.call("GetTask", {"id": task["id"]})
    assert fetched["id"] == task["id"]


# ------------------------------------------------------------------------------------------------- memory


async def test_the_coordinator_never_recalls_a_pin_told_in_another_context_or_by_another_caller(mcp_server):
    """The issue's leak, end to end on the offline model: a PIN told to the coordinator in one context came
    back through ``recall`` in another."""
    async with (
        running(run_specialist, mcp=mcp_server) as peer,
        running(run_coordinator, peers=[peer], tokens=TOKENS) as coordinator,
        PeerClient(coordinator, token="alice-token-0123456789") as alice,
        PeerClient(coordinator, token="bob-token-0123456789") as bob,
    ):
        told = await alice.send("Remember that my PIN is 4711", context_id="ctx-pin")
        same_context = await alice.send("What did I tell you about my PIN?", context_id="ctx-pin")
        other_context = await alice.send("What did I tell you about my PIN?", context_id="ctx-other")
        other_caller = await bob.send("What did I tell you about my PIN?", context_id="ctx-pin")
    assert told.state == "completed" and "4711" in told.text
    assert "4711" in same_context.text  # recall works where the PIN was told
    for answer in (other_context, other_caller):
        # The offline model's answer to a recall that found nothing (phrases.en: recalled_none).
        assert answer.state == "completed" and "don't remember anything" in answer.text
        assert "4711" not in answer.text


async def test_the_same_context_id_from_two_callers_is_two_conversations(mcp_server):
    model = FunctionModel(
        lambda messages, tools: f"seen {sum(m['role'] == 'user' for m in messages)} message(s)"
    )
    async with (
        running(run_specialist, mcp=mcp_server) as peer,
        running(run_coordinator, peers=[peer], tokens=TOKENS, model_override=model) as coordinator,
        PeerClient(coordinator, token="alice-token-0123456789") as alice,
        PeerClient(coordinator, token="bob-token-0123456789") as bob,
    ):
        await alice.send("alice's secret plan", context_id="shared-id")
        answered = await bob.send("what was said here before?", context_id="shared-id")
    bob_request = model.requests[-1].messages
    assert answered.text == "seen 1 message(s)"
    assert all("alice's secret plan" not in str(message.get("content")) for message in bob_request)
