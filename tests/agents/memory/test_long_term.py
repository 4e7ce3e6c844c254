"""Long-term memory: durable facts, recall by relevance, scopes (principal, conversation), sessions — on every
backend (SQLite with FTS5 and without, PostgreSQL) — and SQLite's lazy index and kill -9 test."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from agents.loop import Agent, MemoriesRecalled
from agents.memory import long_term
from agents.memory.backend import MemoryScope
from agents.memory.backends import open_memory
from agents.memory.long_term import LongTermMemory, search_terms
from agents.memory.sessions import Session
from agents.memory.store import SQLiteStore
from agents.models.testing import ScriptedModel, call


@pytest.fixture(params=["fts5", "fallback", "postgresql"])
async def memory(request, tmp_path):
    """Each long-term backend: SQLite with FTS5, SQLite without it, PostgreSQL."""
    if request.param == "postgresql":
        async with open_memory(request.getfixturevalue("postgres_url")) as stores:
            yield stores.long_term
        return
    memory = LongTermMemory(SQLiteStore(tmp_path / "memory.db", use_fts=request.param == "fts5"))
    yield memory
    memory.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def stores(request, tmp_path):
    """Long-term memory and sessions on each store, as ``open_memory`` opens them from a URL."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    async with open_memory(url if url else f"sqlite:///{tmp_path / 'memory.db'}") as opened:
        yield opened


def _indexed_ids(path) -> list[int]:
    """The memory ids the FTS index holds (FTS5 keeps one ``_docsize`` row per indexed document)."""
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM memories_fts_docsize ORDER BY id")]


def _assert_index_matches_rows(path) -> None:
    """FTS5's integrity check with rank 1 also compares the index with the content table, row by row."""
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO memories_fts(memories_fts, rank) VALUES ('integrity-check', 1)")


def test_search_terms_fold_plurals_and_split_chinese_into_bigrams():
    assert search_terms("Learning rates for ResNet-50") == ["learning", "rate", "for", "resnet", "50"]
    assert search_terms("信息熵 KL散度") == ["信息", "息熵", "kl", "散度"]


async def test_remember_returns_the_stored_fact(memory):
    saved = await memory.remember("My GPU has 24 GB", kind="fact", tags=["Hardware", " gpu "], session="s1")
    again = await memory.get(saved.id)
    assert again is not None and again.text == "My GPU has 24 GB"
    assert again.kind == "fact" and again.tags == ("hardware", "gpu") and again.session == "s1"
    assert again.created == pytest.approx(saved.created)


async def test_recall_ranks_the_relevant_memory_first(memory):
    await memory.remember("The user prefers AdamW with weight decay 0.01")
    await memory.remember("ResNet-50 has 25.6 million parameters")
    await memory.remember("Lunch is at noon")
    found = await memory.recall("which optimizer does the user prefer? AdamW?")
    assert found[0].text.startswith("The user prefers AdamW")
    assert found[0].score is not None and found[0].score > 0
    assert await memory.recall("quantum chromodynamics") == []


async def test_recall_finds_chinese_terms(memory):
    await memory.remember("过拟合时验证损失上升而训练损失下降")
    await memory.remember("信息熵衡量分布的不确定性")
    found = await memory.recall("什么是信息熵")
    assert found and found[0].text == "信息熵衡量分布的不确定性"


async def test_forget_removes_a_memory_from_recall(memory):
    kept = await memory.remember("batch size 32 worked best")
    dropped = await memory.remember("batch size 64 diverged")
    assert await memory.forget(dropped.id) is True
    assert await memory.forget(dropped.id) is False
    assert [m.id for m in await memory.recall("batch size")] == [kept.id]


async def test_list_and_export_order(memory):
    first = await memory.remember("one")
    second = await memory.remember("two", kind="note")
    assert [m.id for m in await memory.newest()] == [second.id, first.id]
    assert [m.id for m in await memory.newest(kind="note")] == [second.id]
    assert [m.id for m in await memory.export()] == [first.id, second.id]


async def test_empty_text_is_rejected(memory):
    with pytest.raises(ValueError, match="text"):
        await memory.remember("   ")


async def test_queries_made_of_common_words_still_answer(memory):
    await memory.remember_many(
        f"the model trained with learning rate {i} and the loss fell" for i in range(300)
    )
    await memory.remember("the model of the cat")
    # every term here is common (appears in > 5% of memories): the query becomes conjunctive, not an OR scan
    found = await memory.recall("the model loss", limit=3)
    assert len(found) == 3 and all("loss" in m.text for m in found)
    rare = await memory.recall("the model of the cat", limit=1)
    assert rare[0].text == "the model of the cat"


# ------------------------------------------------------------------------------------------------- scopes

ALICE_HERE = MemoryScope("alice", "ctx-1")


async def test_a_memory_is_recalled_only_by_its_owner_in_its_conversation(memory):
    saved = await memory.remember("My bank PIN is 4711", scope=ALICE_HERE)
    assert (saved.owner, saved.context) == ("alice", "ctx-1")
    assert [m.id for m in await memory.recall("PIN", scope=ALICE_HERE)] == [saved.id]
    assert await memory.recall("PIN", scope=MemoryScope("alice", "ctx-2")) == []  # another conversation
    assert await memory.recall("PIN", scope=MemoryScope("bob", "ctx-1")) == []  # another principal
    assert await memory.recall("PIN", scope=MemoryScope()) == []  # the local user
    assert [m.id for m in await memory.recall("PIN")] == [saved.id]  # the operator (no scope) sees all


async def test_a_global_memory_follows_its_owner_into_every_conversation(memory):
    saved = await memory.remember("I prefer answers in French", scope=ALICE_HERE.everywhere())
    assert saved.context is None and saved.to_dict()["scope"] == "global"
    assert [m.id for m in await memory.recall("French", scope=MemoryScope("alice", "ctx-9"))] == [saved.id]
    assert [m.id for m in await memory.recall("French", scope=MemoryScope("alice"))] == [saved.id]
    assert await memory.recall("French", scope=MemoryScope("bob", "ctx-9")) == []


async def test_forget_reaches_only_what_the_scope_sees(memory):
    saved = await memory.remember("The staging password is hunter2", scope=ALICE_HERE)
    assert await memory.forget(saved.id, scope=MemoryScope("bob", "ctx-1")) is False
    assert await memory.forget(saved.id, scope=MemoryScope("alice", "ctx-2")) is False
    assert await memory.get(saved.id) is not None
    assert await memory.forget(saved.id, scope=ALICE_HERE) is True


async def test_a_recall_fills_its_limit_from_the_callers_memories_only(memory):
    await memory.remember_many(f"bob's note {i} about the optimizer" for i in range(30))
    mine = await memory.remember("alice's note about the optimizer", scope=ALICE_HERE)
    found = await memory.recall("optimizer note", limit=3, scope=ALICE_HERE)
    assert [m.id for m in found] == [mine.id]  # the 30 better-ranked others are not in the way


async def test_memories_persist_across_instances_and_agents(tmp_path):
    path = tmp_path / "memory.db"
    first = LongTermMemory(path=path)
    model = ScriptedModel([call("remember", {"text": "The user's favourite optimizer is AdamW"}), "Noted."])
    await Agent(model, memory=first).run("remember AdamW", session=Session.ephemeral("one"))
    first.close()

    second = LongTermMemory(path=path)
    (found,) = await second.recall("favourite optimizer")
    assert found.text == "The user's favourite optimizer is AdamW" and found.session == "one"
    model = ScriptedModel(["You like AdamW."])
    await Agent(model, memory=second).run("which optimizer do I like?", session=Session.ephemeral("two"))
    injected = [m["content"] for m in model.requests[0].messages if m["role"] == "system"][1]
    assert injected.startswith("Possibly relevant long-term memories") and "AdamW" in injected
    second.close()


async def test_memory_tools_validate_and_report(tmp_path):
    memory = LongTermMemory(path=tmp_path / "m.db")
    model = ScriptedModel([call("forget", {"id": 99}), call("recall", {"query": "x", "limit": 0}), "ok"])
    result = await Agent(model, memory=memory).run("forget 99", session=Session.ephemeral())
    forget, recall = result.tool_calls
    assert forget.outcome.is_error and "id: no memory has id 99" in forget.outcome.content
    assert recall.outcome.is_error and "limit" in recall.outcome.content
    memory.close()


async def test_sessions_persist_and_resume(stores):
    session = await Session.open("work", stores.sessions)
    await Agent(ScriptedModel(["first answer"])).run("first question", session=session)

    resumed = await Session.open("work", stores.sessions)  # as another process (or replica) would
    assert [m["content"] for m in resumed.history] == ["first question", "first answer"]
    model = ScriptedModel(["second answer"])
    await Agent(model).run("second question", session=resumed)
    assert [m.get("content") for m in model.requests[0].messages[1:]] == [
        "first question",
        "first answer",
        "second question",
    ]
    (info,) = await stores.sessions.saved()
    assert info.name == "work" and info.turns == 2


async def test_a_session_continued_elsewhere_is_no_longer_current(stores):
    here = await Session.open("shared", stores.sessions)
    there = await Session.open("shared", stores.sessions)
    await Agent(ScriptedModel(["answer there"])).run("question there", session=there)
    assert await there.is_current()
    assert not await here.is_current()  # its window lacks the turn saved through `there`
    assert [m["content"] for m in (await Session.open("shared", stores.sessions)).history] == [
        "question there",
        "answer there",
    ]
    await there.clear()
    assert await there.is_current() and await stores.sessions.last_turn("shared") == 0


async def test_a_remembered_fact_is_recalled_at_once_though_indexed_lazily(tmp_path):
    path = tmp_path / "memory.db"
    memory = LongTermMemory(SQLiteStore(path))
    saved = await memory.remember("The cluster uses InfiniBand between nodes")
    assert _indexed_ids(path) == []  # the acknowledged write committed the row alone
    assert [m.id for m in await memory.recall("infiniband")] == [saved.id]  # recall catches the index up
    assert _indexed_ids(path) == [saved.id]
    _assert_index_matches_rows(path)
    memory.close()


async def test_remember_indexes_in_batches_without_a_recall(tmp_path, monkeypatch):
    monkeypatch.setattr(long_term, "INDEX_BATCH", 4)
    path = tmp_path / "memory.db"
    memory = LongTermMemory(SQLiteStore(path))
    saved = [await memory.remember(f"fact {word}") for word in ("one", "two", "three", "four", "five")]
    assert _indexed_ids(path) == [m.id for m in saved[:4]]  # the 4th write indexed the waiting batch
    assert [m.id for m in await memory.recall("five")] == [saved[4].id]
    memory.close()


async def test_reopening_the_store_indexes_rows_left_unindexed(tmp_path):
    path = tmp_path / "memory.db"
    memory = LongTermMemory(SQLiteStore(path))
    saved = [await memory.remember(f"checkpoint {name} saved") for name in ("alpha", "beta", "gamma")]
    memory.close()  # as a crash would: the rows are durable, the index never caught up
    assert _indexed_ids(path) == []

    reopened = LongTermMemory(SQLiteStore(path))
    assert await reopened.count() == 3  # any first use opens the file, and opening catches the index up
    assert _indexed_ids(path) == [m.id for m in saved]
    _assert_index_matches_rows(path)
    assert [m.id for m in await reopened.recall("gamma")] == [saved[2].id]
    reopened.close()


async def test_forget_of_a_memory_not_indexed_yet(tmp_path):
    path = tmp_path / "memory.db"
    memory = LongTermMemory(SQLiteStore(path))
    kept = await memory.remember("AdamW suits transformers")
    await memory.recall("adamw")  # indexes `kept`
    dropped = await memory.remember("Lion suits transformers too")
    assert _indexed_ids(path) == [kept.id]
    assert await memory.forget(dropped.id) is True
    assert await memory.forget(dropped.id) is False
    assert [m.id for m in await memory.recall("transformers lion")] == [kept.id]
    _assert_index_matches_rows(path)  # no 'delete' of an entry that was never there
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT doc FROM memories_vocab WHERE term = 'transformer'").fetchall() == [(1,)]
        assert conn.execute("SELECT doc FROM memories_vocab WHERE term = 'lion'").fetchall() == []
    memory.close()


async def test_a_reused_id_after_forget_is_indexed(tmp_path):
    path = tmp_path / "memory.db"
    memory = LongTermMemory(SQLiteStore(path))
    first = await memory.remember("temporary note")
    await memory.recall("temporary")
    await memory.forget(first.id)
    second = await memory.remember("zebra stripes")
    assert second.id == first.id  # SQLite gives a new row max(rowid) + 1 (documented rowid behaviour)
    assert [m.id for m in await memory.recall("zebra")] == [second.id]
    assert await memory.recall("temporary") == []
    _assert_index_matches_rows(path)
    memory.close()


async def test_remember_many_also_indexes_rows_waiting_before_it(tmp_path):
    path = tmp_path / "memory.db"
    memory = LongTermMemory(SQLiteStore(path))
    waiting = await memory.remember("the waiting walrus")
    assert await memory.remember_many(["bulk one", "bulk two"]) == 2
    assert _indexed_ids(path) == [waiting.id, waiting.id + 1, waiting.id + 2]
    assert [m.id for m in await memory.recall("walrus")] == [waiting.id]
    memory.close()


def test_an_acknowledged_remember_survives_kill_9(tmp_path):
    path = tmp_path / "memory.db"
    script = textwrap.dedent(
        f"""
        import asyncio, sys, time
        from agents.memory.long_term import LongTermMemory

        async def main():
            memory = LongTermMemory(path={str(path)!r})
            saved = await memory.remember("survives a hard kill", kind="fact", tags=["durability"])
            print("ACK", saved.id, flush=True)
            time.sleep(60)  # killed here, before any clean shutdown

        asyncio.run(main())
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("ACK"), line
        memory_id = int(line.split()[1])
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    assert memory_id not in _indexed_ids(path)  # killed with the row durable and the index behind
    memory = LongTermMemory(path=path)
    try:
        import asyncio

        found = asyncio.run(memory.get(memory_id))
        recalled = asyncio.run(memory.recall("hard kill"))
    finally:
        memory.close()
    assert found is not None and found.text == "survives a hard kill"
    assert [m.id for m in recalled] == [memory_id]


async def test_the_memory_tools_work_for_the_turns_principal_and_conversation(tmp_path):
    memory = LongTermMemory(path=tmp_path / "m.db")
    model = ScriptedModel(
        [
            call("remember", {"text": "Reply to me in French"}),
            "Noted for this conversation.",
            call("remember", {"text": "The team chats on Slack", "scope": "global"}),
            "Noted everywhere.",
            call("recall", {"query": "French Slack"}),
            "done",
        ]
    )
    agent = Agent(model, memory=memory)
    alice = {"principal": "alice", "session": Session.ephemeral()}
    await agent.run("remember French", context_id="c1", **alice)
    await agent.run("remember Slack for good", context_id="c1", **alice)
    result = await agent.run("what do you know about French and Slack?", context_id="c2", **alice)
    (recall,) = result.tool_calls
    assert [m["text"] for m in recall.outcome.structured["memories"]] == ["The team chats on Slack"]
    injected = "\n".join(m["content"] for m in model.requests[4].messages if m["role"] == "system")
    assert "Slack" in injected and "French" not in injected  # the automatic recall is scoped too
    by_owner = {(m.owner, m.context) for m in await memory.export()}
    assert by_owner == {("alice", "c1"), ("alice", None)}
    memory.close()


async def test_the_turn_reports_the_memories_it_recalled_before_answering(tmp_path):
    memory = LongTermMemory(path=tmp_path / "m.db")
    await memory.remember("The user's favourite optimizer is AdamW", kind="fact")
    await memory.remember("The GPU has 24 GB", kind="fact")
    agent = Agent(ScriptedModel(["You like AdamW.", "Hello.", "Hi."]), memory=memory)
    events = [e async for e in agent.stream("which optimizer do I like?", session=Session.ephemeral())]
    assert isinstance(events[0], MemoriesRecalled)  # before the first text delta
    assert [m.text for m in events[0].memories] == ["The user's favourite optimizer is AdamW"]
    unrelated = [e async for e in agent.stream("zebra", session=Session.ephemeral())]
    assert not any(isinstance(e, MemoriesRecalled) for e in unrelated)  # nothing recalled, nothing said
    # A stored preference applies to every turn, whatever it is about: it is recalled (and reported) too.
    await memory.remember("Answer entropies in bits", kind="preference")
    again = [e async for e in agent.stream("zebra", session=Session.ephemeral())]
    assert isinstance(again[0], MemoriesRecalled)
    assert [m.text for m in again[0].memories] == ["Answer entropies in bits"]
    memory.close()


async def test_a_stored_preference_is_recalled_into_every_turn_only_within_its_scope(tmp_path):
    memory = LongTermMemory(path=tmp_path / "m.db")
    await memory.remember("Answer entropies in bits", kind="preference", scope=MemoryScope("alice", "c1"))
    await memory.remember("Reply in French", kind="preference", scope=MemoryScope("alice"))
    agent = Agent(ScriptedModel(["a", "b", "c"]), memory=memory)

    async def recalled(principal: str, context_id: str) -> list[str]:
        turn = agent.stream("zebra", session=Session.ephemeral(), principal=principal, context_id=context_id)
        events = [e async for e in turn]
        return sorted(m.text for e in events if isinstance(e, MemoriesRecalled) for m in e.memories)

    assert await recalled("alice", "c1") == ["Answer entropies in bits", "Reply in French"]
    assert await recalled("alice", "c2") == ["Reply in French"]  # the other one was for conversation c1
    assert await recalled("bob", "c1") == []  # another principal's preferences never
    memory.close()


async def test_a_fact_is_recalled_by_what_it_is_about(memory):
    pytorch = await memory.remember("I use PyTorch")
    gpu = await memory.remember("我的显卡是 RTX 3090")
    await memory.remember("Lunch is at noon")
    assert [m.id for m in await memory.recall("which framework do I use?")] == [pytorch.id]
    assert [m.id for m in await memory.recall("what gpu do I have")] == [gpu.id]
    assert [m.id for m in await memory.recall("我的显卡是什么？")] == [gpu.id]
    assert await memory.recall("which operating system?") == []  # no fact of that kind


async def test_recall_that_matches_nothing_returns_what_the_principal_remembers(tmp_path):
    memory = LongTermMemory(path=tmp_path / "m.db")
    await memory.remember("Bob uses JAX", scope=MemoryScope("bob", None))
    model = ScriptedModel(
        [call("remember", {"text": "I use TensorFlow"}), "ok", call("recall", {"query": "dataset"}), "done"]
    )
    agent = Agent(model, memory=memory)
    await agent.run("remember TensorFlow", principal="alice", session=Session.ephemeral())
    result = await agent.run("my dataset?", principal="alice", session=Session.ephemeral())
    recalled = result.tool_calls[0].outcome.structured
    assert recalled["count"] == 0 and recalled["matched"] is False
    assert [m["text"] for m in recalled["memories"]] == ["I use TensorFlow"]  # not Bob's
    memory.close()
