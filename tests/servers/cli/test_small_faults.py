"""The smaller faults of issue 14, as a user meets them in a terminal: trace payloads with escape codes or a
broken timestamp, a memory id too large for SQLite, a reader of stdout that goes away."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.servers.cli.test_robustness import assert_one_error_line, run

GOOD = {
    "ts": "2026-01-01T00:00:00.000+00:00",
    "protocol": "mcp",
    "direction": "out",
    "peer": "protoplay-mcp",
    "method": "tools/call",
    "payload": {"summary": "entropy"},
    "duration_ms": 1.5,
    "session": "hostile",
}


def test_trace_show_prints_escape_codes_and_a_broken_ts_as_text(protoplay_exe, subprocess_env):
    traces = Path(subprocess_env["PROTOPLAY_HOME"]) / "traces"
    traces.mkdir(parents=True)
    events = [
        GOOD,
        GOOD | {"peer": "evil\x1b]0;owned\x07", "payload": {"summary": "\x1b[2J\x1b[31mRED \x9b31m"}},
        GOOD | {"ts": "2026-01-01T00:00:01\ud800\x1b[2J"},  # a lone surrogate: printing it used to crash
    ]
    lines = [json.dumps(event) for event in events]  # JSON escapes: the file itself is plain ASCII
    (traces / "hostile.jsonl").write_text("\n".join(lines) + "\n")
    shown = run(protoplay_exe, subprocess_env, "trace", "show", "hostile")
    as_json = run(protoplay_exe, subprocess_env, "trace", "show", "hostile", "--json")
    for result in (shown, as_json):
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and "error:" not in result.stderr
        assert not any(char in result.stdout for char in "\x1b\x07\x9b\ud800")
    assert (
        "evil\\u001b]0;owned\\u0007" in shown.stdout and "\\u001b[2J\\u001b[31mRED \\u009b31m" in shown.stdout
    )
    assert "2026-01-01T00:00:01\\ud800\\u001b[2J  mcp" in shown.stdout  # unparseable: shown as it is
    assert [json.loads(line)["peer"] for line in as_json.stdout.splitlines()] == [
        "protoplay-mcp",
        "evil\x1b]0;owned\x07",
        "protoplay-mcp",
    ]


def test_forgetting_an_id_beyond_any_row_says_there_is_none(protoplay_exe, subprocess_env):
    result = run(protoplay_exe, subprocess_env, "memory", "forget", "99999999999999999999")
    assert_one_error_line(result, 2, "no memory has id 99999999999999999999")


async def test_long_term_memory_answers_no_for_ids_sqlite_cannot_hold():
    from agents.memory.long_term import LongTermMemory

    memory = LongTermMemory()
    try:
        saved = await memory.remember("the learning rate was 3e-4")
        assert not await memory.forget(2**63) and not await memory.forget(-(2**63) - 1)
        assert await memory.forget(saved.id)
    finally:
        memory.close()


def test_a_reader_that_goes_away_ends_ask_quietly(protoplay_exe, subprocess_env):
    ask = subprocess.Popen(
        [protoplay_exe, "ask", "list the architectures you know"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env,
    )
    assert ask.stdout is not None and ask.stderr is not None
    ask.stdout.close()  # like `| head` that has read enough before anything came
    errors = ask.stderr.read().decode()
    ask.wait(timeout=120)
    assert ask.returncode == 1
    assert "error:" not in errors and "Traceback" not in errors and "BrokenPipe" not in errors, errors
