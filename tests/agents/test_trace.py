"""The trace writer: one JSONL event per protocol message, safe across threads, readable as a timeline."""

from __future__ import annotations

import json
import threading

from agents.trace import TraceWriter, format_timeline, list_traces, read_trace, safe_session_name


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
