"""No traceback reaches a user: bad environments, bad files and bad flags end in one `error:` line.

Each case runs the installed `protoplay` script in a subprocess, as a new user would (the conftest gives every
test a fresh PROTOPLAY_HOME and no OPENAI_* variables); flag checks that exit before doing any work use
typer's CliRunner on the same app.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from servers.cli.main import app

runner = CliRunner()


def run(exe: str, env: dict[str, str], *args: str, stdin: str | None = None, timeout: int = 120):
    return subprocess.run([exe, *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout)


def assert_one_error_line(result: subprocess.CompletedProcess[str], code: int, *fragments: str) -> str:
    """Exit ``code``, no traceback, and exactly one ``error:`` line holding every fragment; returns it."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


# ------------------------------------------------------------------------------- 1. PROTOPLAY_HOME is a file


@pytest.mark.parametrize(
    "args",
    [
        ["ask", "What is the entropy of p = [0.5, 0.5] in bits?"],
        ["chat"],
        ["memory", "list"],
        ["trace", "list"],
    ],
    ids=["ask", "chat", "memory-list", "trace-list"],
)
def test_a_home_that_is_a_regular_file_is_named_in_one_line(protoplay_exe, subprocess_env, tmp_path, args):
    home = tmp_path / "not-a-dir"
    home.write_text("I am a file\n")
    env = subprocess_env | {"PROTOPLAY_HOME": str(home)}
    result = run(protoplay_exe, env, *args, stdin="hello\n")
    assert_one_error_line(result, 2, "PROTOPLAY_HOME", str(home), "is not a directory")
    assert home.read_text() == "I am a file\n"


# ------------------------------------------------------------------------------- 2. memory.db is not SQLite


@pytest.mark.parametrize(
    "args",
    [["memory", "list"], ["ask", "What is the entropy of p = [0.5, 0.5] in bits?"], ["chat"]],
    ids=["memory-list", "ask", "chat"],
)
def test_a_corrupt_memory_db_is_named_and_left_untouched(protoplay_exe, subprocess_env, args):
    home = Path(subprocess_env["PROTOPLAY_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    db = home / "memory.db"
    db.write_bytes(b"garbage\n")
    result = run(protoplay_exe, subprocess_env, *args, stdin="hello\n")
    assert_one_error_line(result, 2, str(db), "is not a SQLite database", "move it away to start fresh")
    assert db.read_bytes() == b"garbage\n"
    assert not (home / "memory.db-wal").exists() and not (home / "memory.db-shm").exists()


def test_the_store_raises_a_setup_error_for_a_foreign_file(tmp_path):
    from agents.config import SetupError
    from agents.memory.store import SQLiteStore

    db = tmp_path / "memory.db"
    db.write_bytes(b"x" * 4096)
    store = SQLiteStore(db)
    with pytest.raises(SetupError, match="is not a SQLite database; move it away"):
        store.run_sync(lambda conn: conn.execute("SELECT 1").fetchone())
    store.close()
    assert db.read_bytes() == b"x" * 4096


# ------------------------------------------------------------------------------- 3. export to a bad path


def test_memory_export_to_a_missing_folder_names_the_path_and_the_reason(
    protoplay_exe, subprocess_env, tmp_path
):
    target = tmp_path / "nonexistent" / "x.json"
    result = run(protoplay_exe, subprocess_env, "memory", "export", "-o", str(target))
    assert_one_error_line(result, 2, str(target), "No such file or directory")
    assert not target.parent.exists()


# ------------------------------------------------------------------------------- 4. config that is not UTF-8


def test_mcp_config_install_refuses_a_non_utf8_file_untouched(protoplay_exe, subprocess_env, tmp_path):
    config = tmp_path / "claude_desktop_config.json"
    original = b'{"mcpServers": {"other": {"command": "\xff\xfe"}}}'
    config.write_bytes(original)
    result = run(protoplay_exe, subprocess_env, "mcp-config", "--install", "--config-path", str(config))
    assert_one_error_line(result, 2, str(config), "not UTF-8", "nothing was changed")
    assert config.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == [config.name]  # no backup, no temp file


# ------------------------------------------------------------------------------- 5. damaged trace lines


def test_trace_show_skips_lines_that_are_not_events_and_says_how_many(protoplay_exe, subprocess_env):
    traces = Path(subprocess_env["PROTOPLAY_HOME"]) / "traces"
    traces.mkdir(parents=True)
    good = {
        "ts": "2026-01-01T00:00:00.000+00:00",
        "protocol": "mcp",
        "direction": "out",
        "peer": "protoplay-mcp",
        "method": "tools/call",
        "payload": {"name": "entropy"},
        "duration_ms": None,
        "session": "damaged",
    }
    lines = [
        b"[1, 2]",  # valid JSON, not an object
        json.dumps(good | {"ts": 12345}).encode(),  # ts not a string
        b"\xff\xfe not utf-8",
        json.dumps(good).encode(),
    ]
    (traces / "damaged.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    result = run(protoplay_exe, subprocess_env, "trace", "show", "damaged")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "skipped 3 lines that are not trace events" in result.stderr
    assert "mcp → protoplay-mcp  tools/call" in result.stdout
    as_json = run(protoplay_exe, subprocess_env, "trace", "show", "damaged", "--json")
    assert [json.loads(line)["method"] for line in as_json.stdout.splitlines()] == ["tools/call"]


# ------------------------------------------------------------------------------- 6. the last line of defence

_CRASHER = textwrap.dedent(
    """
    import sys
    import servers.cli.main as cli

    @cli.app.command("boom")
    def boom(kind: str) -> None:
        if kind == "group":
            raise ExceptionGroup("task group", [ZeroDivisionError("deep inside"), ValueError("second")])
        if kind == "interrupt":
            raise BaseExceptionGroup("task group", [KeyboardInterrupt()])
        if kind == "exit":
            raise SystemExit(7)
        raise LookupError("plain crash")

    sys.argv = ["protoplay", "boom", sys.argv[1]]
    cli.main()
    """
)


def crash(kind: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CRASHER, kind], capture_output=True, text=True, env=env, timeout=60
    )


def test_a_crash_is_one_line_with_the_leaf_type_and_the_traceback_goes_to_the_crash_log(subprocess_env):
    home = Path(subprocess_env["PROTOPLAY_HOME"])
    result = crash("group", subprocess_env)
    log = home / "logs" / "crash.log"
    line = assert_one_error_line(result, 1, "internal error (ZeroDivisionError)", f"details in {log}")
    assert line == f"error: internal error (ZeroDivisionError); details in {log}"
    text = log.read_text()
    assert "Traceback" in text and "ZeroDivisionError: deep inside" in text and "protoplay boom group" in text

    plain = crash("plain", subprocess_env)
    assert_one_error_line(plain, 1, "internal error (LookupError)")
    assert "LookupError: plain crash" in log.read_text() and "deep inside" in log.read_text()  # appended


def test_a_crash_with_an_unusable_home_logs_to_the_temp_dir(subprocess_env, tmp_path):
    home = tmp_path / "file-home"
    home.write_text("")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = subprocess_env | {"PROTOPLAY_HOME": str(home), "TMPDIR": str(temp)}
    result = crash("plain", env)
    log = temp / "protoplay-crash.log"
    assert_one_error_line(result, 1, "internal error (LookupError)", f"details in {log}")
    assert "LookupError: plain crash" in log.read_text()


def test_keyboard_interrupt_exits_130_quietly_and_system_exit_passes_through(subprocess_env):
    interrupted = crash("interrupt", subprocess_env)
    assert interrupted.returncode == 130 and "Traceback" not in interrupted.stderr
    assert "error:" not in interrupted.stderr
    exited = crash("exit", subprocess_env)
    assert exited.returncode == 7 and exited.stderr == ""
    assert not (Path(subprocess_env["PROTOPLAY_HOME"]) / "logs" / "crash.log").exists()


# ------------------------------------------------------------------------------- 7.-8. ignored flags


def test_call_refuses_json_given_twice():
    result = runner.invoke(app, ["call", "entropy", '{"p": [0.5, 0.5]}', "--args", '{"p": [1]}'])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: --args:") and "once" in line
    assert result.stdout == ""


def test_call_still_accepts_either_form_alone():
    positional = runner.invoke(app, ["call", "entropy", '{"p": [0.5, 0.5], "base": "2"}'])
    flagged = runner.invoke(app, ["call", "entropy", "--args", '{"p": [0.5, 0.5], "base": "2"}'])
    # H([½, ½]) = 1 bit (hand derivation)
    assert json.loads(positional.stdout)["entropy"] == json.loads(flagged.stdout)["entropy"] == 1.0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["serve", "mcp", "--token", "x"], "--token applies to --transport http only"),
        (
            ["serve", "mcp", "--transport", "stdio", "--port", "9000"],
            "--port applies to --transport http only",
        ),
        (["serve", "a2a", "coordinator", "--peer", "notaurl"], "--peer: 'notaurl' is not an http(s) URL"),
        (
            ["serve", "a2a", "coordinator", "--peer", "http://127.0.0.1:9101", "--peer", "ftp://h/"],
            "--peer: 'ftp://h/' is not an http(s) URL",
        ),
        (["serve", "a2a", "coordinator", "--peer", "http://"], "--peer: 'http://' is not an http(s) URL"),
        (["mcp-config", "--name", ""], "--name must not be empty"),
        (["mcp-config", "--name", "   "], "--name must not be empty"),
    ],
)
def test_ignored_or_meaningless_flags_are_refused(args, fragment):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and fragment in line, line


def test_the_stdio_token_refusal_as_a_new_user_sees_it(protoplay_exe, subprocess_env):
    result = run(protoplay_exe, subprocess_env, "serve", "mcp", "--token", "secret", timeout=60)
    assert_one_error_line(result, 2, "--token", "--transport http")


def test_mcp_config_with_an_empty_name_writes_nothing(protoplay_exe, subprocess_env, tmp_path):
    config = tmp_path / "claude_desktop_config.json"
    result = run(
        protoplay_exe, subprocess_env, "mcp-config", "--install", "--config-path", str(config), "--name", ""
    )
    assert_one_error_line(result, 2, "--name")
    assert not config.exists()


def test_the_coordinator_peer_check_runs_before_anything_starts(protoplay_exe, subprocess_env):
    result = run(
        protoplay_exe,
        subprocess_env,
        "serve",
        "a2a",
        "coordinator",
        "--peer",
        "notaurl",
        "--port",
        "0",
        timeout=60,
    )
    assert_one_error_line(result, 2, "--peer", "notaurl")
    assert "protoplay coordinator" not in result.stderr  # the server never announced itself
