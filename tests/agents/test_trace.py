"""The trace writer: one JSONL event per protocol message, safe across threads, readable as a timeline."""

from __future__ import annotations

import json
import threading

import pytest

from agents.trace import (
    TraceWriter,
    format_timeline,
    list_traces,
    read_trace,
    safe_session_name,
    watch_traces,
)


def test_events_have_the_shared_format(tmp_path):
    writer = TraceWriter(tmp_path / "traces")
    writer.record("a2a", "out", "specialist", "SendMessage", {"text": "hi"}, None, "demo")
    writer.record(
        "a2a", "in", "specialist", "SendMessage", {"state": "TASK_STATE_COMPLETED"}, 12.34567, "demo"
    )
    writer.close()
    lines = (tmp_path / "traces" / "demo.jsonl").read_text().splitlines()
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {
        "ts",
        "protocol",
        "direction",
        "peer",
        "method",
        "payload",
        "duration_ms",
        "session",
    }
    assert first["protocol"] == "a2a" and first["duration_ms"] is None and second["duration_ms"] == 12.346
    assert first["ts"].endswith("+00:00")


def test_concurrent_writers_never_interleave_lines(tmp_path):
    writer = TraceWriter(tmp_path / "traces")
    payload = {"blob": "x" * 5000}

    def spam(n: int) -> None:
        for i in range(200):
            writer.record("mcp", "out", f"peer{n}", "tools/call", {**payload, "i": i}, None, "busy")

    threads = [threading.Thread(target=spam, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    events = list(read_trace("busy", home=tmp_path))
    assert len(events) == 1600 and all(e.payload["blob"] == payload["blob"] for e in events)


def test_a_torn_last_line_is_skipped(tmp_path):
    writer = TraceWriter(tmp_path / "traces")
    writer.record("llm", "out", "m", "chat.completions", {}, None, "torn")
    writer.close()
    with (tmp_path / "traces" / "torn.jsonl").open("a") as handle:
        handle.write('{"ts": "2026-')  # a process killed mid-write
    assert len(list(read_trace("torn", home=tmp_path))) == 1


def test_timeline_and_listing(tmp_path):
    writer = TraceWriter(tmp_path / "traces")
    writer.record("llm", "out", "protoplay-offline", "chat.completions", {"summary": "2 messages"}, None, "s")
    writer.record("mcp", "in", "protoplay-mcp", "tools/call", {"name": "entropy"}, 3.5, "s")
    writer.close()
    lines = format_timeline(list(read_trace("s", home=tmp_path)))
    assert lines[0].startswith("+   0.000s  llm → protoplay-offline  chat.completions\n    2 messages")
    assert "mcp ← protoplay-mcp  tools/call (3.5 ms)" in lines[1] and '{"name":"entropy"}' in lines[1]
    assert [(name, count) for name, count, _ in list_traces(home=tmp_path)] == [("s", 2)]


def test_session_names_become_safe_file_names():
    assert safe_session_name("../../etc/passwd") == "etc_passwd"
    assert safe_session_name("chat 2026/11") == "chat_2026_11"


def _event(**overrides):
    event = {
        "ts": "2026-01-01T00:00:00.000+00:00",
        "protocol": "llm",
        "direction": "out",
        "peer": "m",
        "method": "chat.completions",
        "payload": {"summary": "ok"},
        "duration_ms": None,
        "session": "s",
    }
    return json.dumps(event | overrides).encode()


@pytest.mark.parametrize(
    "bad",
    [
        b"[1, 2]",  # valid JSON, wrong shape
        b'"just a string"',
        b"null",
        _event(ts=12345),  # ts must be a string
        _event(protocol=None),
        _event(duration_ms="12"),  # a number as text is not a duration
        _event(duration_ms=True),
        b'{"ts": "2026-01-01T00:00:00+00:00", "protocol": "llm", "direction": "in", "duration_ms": NaN}',
        b"\xff\xfe\x00 not utf-8",
        b"{not json",
        b"[" * 100_000,  # deeper than the JSON decoder recurses
    ],
)
def test_lines_that_are_not_events_are_skipped_and_counted(tmp_path, bad):
    traces = tmp_path / "traces"
    traces.mkdir()
    (traces / "s.jsonl").write_bytes(b"\n".join([_event(method="first"), bad, _event(method="last")]) + b"\n")
    events = read_trace("s", home=tmp_path)
    assert [event.method for event in events] == ["first", "last"]
    assert events.skipped == 1
    assert len(format_timeline(events)) == 2


def test_blank_lines_and_a_torn_last_line_are_not_counted_as_skipped(tmp_path):
    traces = tmp_path / "traces"
    traces.mkdir()
    (traces / "s.jsonl").write_bytes(_event() + b"\n\n   \n" + _event() + b'\n{"ts": "2026-')
    events = read_trace("s", home=tmp_path)
    assert len(events) == 2 and events.skipped == 0


def test_extra_fields_are_ignored_and_missing_optional_ones_defaulted(tmp_path):
    traces = tmp_path / "traces"
    traces.mkdir()
    line = b'{"ts": "2026-01-01T00:00:00+00:00", "protocol": "a2a", "direction": "in", "extra": 1}\n'
    (traces / "fallback.jsonl").write_bytes(line)
    (event,) = read_trace("fallback", home=tmp_path)
    assert (event.peer, event.method, event.payload, event.duration_ms) == ("", "", None, None)
    assert event.session == "fallback"  # the file's session when the line names none


def test_a_missing_trace_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_trace("nobody", home=tmp_path)


def test_a_writer_that_knows_its_agent_names_it_in_every_event(tmp_path):
    writer = TraceWriter(tmp_path / "traces", agent="protoplay-ml-specialist")
    writer.record("llm", "out", "protoplay-offline", "chat.completions", {}, None, "shared")
    TraceWriter(tmp_path / "traces").record("a2a", "out", "specialist", "SendMessage", {}, None, "shared")
    writer.close()
    first, second = read_trace("shared", home=tmp_path)
    assert first.agent == "protoplay-ml-specialist"
    assert second.agent == ""  # a writer not told whom it records for writes no agent field
    lines = (tmp_path / "traces" / "shared.jsonl").read_text().splitlines()
    assert "agent" not in json.loads(lines[1])


def test_watchers_see_every_writers_events_in_order_until_they_stop(tmp_path):
    seen = []
    stop = watch_traces(seen.append)
    one, two = TraceWriter(tmp_path / "a", agent="one"), TraceWriter(tmp_path / "b", agent="two")
    one.record("mcp", "out", "server", "tools/call", {"summary": "first"}, None, "s1")
    two.record("mcp", "in", "server", "tools/call", {"summary": "second"}, 3.0, "s2")
    stop()
    one.record("mcp", "out", "server", "tools/call", {"summary": "unseen"}, None, "s1")
    one.close(), two.close()
    assert [(e.agent, e.session, e.payload["summary"]) for e in seen] == [
        ("one", "s1", "first"),
        ("two", "s2", "second"),
    ]
    assert seen[1].duration_ms == 3.0 and seen[0].ts.endswith("+00:00")


def test_a_failing_watcher_never_breaks_the_recording(tmp_path, caplog):
    def broken(event):
        raise RuntimeError("watcher bug")

    stop = watch_traces(broken)
    try:
        writer = TraceWriter(tmp_path / "traces")
        writer.record("llm", "out", "m", "chat.completions", {}, None, "safe")
        writer.close()
    finally:
        stop()
    assert len(read_trace("safe", home=tmp_path)) == 1
    assert "a trace observer failed" in caplog.text


# ------------------------------------------------------------------ a writer in the background (A2A servers)


def test_a_background_writer_keeps_each_sessions_order_and_loses_nothing_when_closed(tmp_path):
    writer = TraceWriter(tmp_path / "traces", background=True)

    def spam(n: int) -> None:
        for i in range(150):
            writer.record("a2a", "in", f"client{n}", "SendMessage", {"i": i}, None, f"ctx-{n % 3}")

    threads = [threading.Thread(target=spam, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    for session in range(3):
        events = list(read_trace(f"ctx-{session}", home=tmp_path))
        assert len(events) == 300
        for peer in {e.peer for e in events}:  # each recording thread's events stay in the order recorded
            assert [e.payload["i"] for e in events if e.peer == peer] == list(range(150))


def test_a_background_writer_is_read_back_without_being_closed_and_reopens_after_close(tmp_path):
    writer = TraceWriter(tmp_path / "traces", background=True)
    writer.record("a2a", "in", "client", "SendMessage", {"n": 1}, None, "open")
    assert [e.payload for e in read_trace("open", home=tmp_path)] == [{"n": 1}]  # reading flushes first
    writer.record("a2a", "out", "client", "SendMessage", {"n": 2}, 1.0, "open")
    writer.flush()
    assert len((tmp_path / "traces" / "open.jsonl").read_text().splitlines()) == 2
    writer.close()
    writer.record("a2a", "in", "client", "SendMessage", {"n": 3}, None, "open")  # a closed writer reopens
    writer.close()
    assert [e.payload["n"] for e in read_trace("open", home=tmp_path)] == [1, 2, 3]


def test_watchers_see_a_background_writers_events_as_they_are_recorded(tmp_path):
    seen = []
    stop = watch_traces(seen.append)
    try:
        writer = TraceWriter(tmp_path / "traces", background=True, agent="bg")
        writer.record("a2a", "in", "client", "SendMessage", {"summary": "now"}, None, "live")
        assert [(e.agent, e.payload["summary"]) for e in seen] == [("bg", "now")]  # before any flush
    finally:
        stop()
        writer.close()


def test_a_background_writer_that_cannot_write_turns_tracing_off_with_one_warning(tmp_path, caplog):
    blocked = tmp_path / "traces"
    blocked.write_text("a file where the folder should be")
    writer = TraceWriter(blocked, background=True)
    writer.record("a2a", "in", "client", "SendMessage", {}, None, "one")
    writer.record("a2a", "in", "client", "SendMessage", {}, None, "two")
    writer.close()
    assert not writer.enabled
    warnings = [r for r in caplog.records if "tracing is off" in r.getMessage()]
    assert len(warnings) == 1 and "is not a directory" in warnings[0].getMessage()
