"""Faults of the file system end in one clear line, never a traceback or "internal error": an unwritable
home, a traces or images folder that cannot be written, an unwritable --save-plot path, a damaged page inside
memory.db or tasks.db. Where the work itself succeeded (a trace or a plot could not be saved), it still
succeeds and says what was not saved."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.servers.cli.test_robustness import assert_one_error_line, run

QUESTION = "What is the entropy of p = [0.5, 0.5] in bits?"
PLOTTING_QUESTION = "diagnose my training: train loss [1.0, 0.6, 0.4, 0.3], val loss [1.0, 0.7, 0.8, 0.9]"


def _unwritable_dir(tmp_path: Path) -> Path:
    """A directory in which no file can be created (root ignores permissions: then a sysfs folder)."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    for candidate in (Path("/sys/kernel"), Path("/proc/self")):
        try:
            (candidate / "protoplay-probe").write_bytes(b"")
        except OSError:
            return candidate
    pytest.skip("no directory here refuses new files to this user")


def _damage_pages(db: Path, *, first_page: int = 2) -> None:
    """Overwrite every page of a SQLite file from ``first_page`` on (the header page stays readable)."""
    size = db.stat().st_size
    with db.open("r+b") as handle:
        for page in range(first_page, size // 4096):
            handle.seek(page * 4096)
            handle.write(b"\xde\xad\xbe\xef" * 1024)


# ------------------------------------------------------------------------------------------ home


@pytest.mark.parametrize("args", [["ask", QUESTION], ["memory", "list"]], ids=["ask", "memory-list"])
def test_a_home_where_no_file_can_be_created_is_named_in_one_line(
    protoplay_exe, subprocess_env, tmp_path, args
):
    home = _unwritable_dir(tmp_path)
    result = run(protoplay_exe, subprocess_env | {"PROTOPLAY_HOME": str(home)}, *args)
    assert_one_error_line(result, 2, "PROTOPLAY_HOME", f"cannot write in {home}", "a directory you can write")


# ------------------------------------------------------------------------------------------ traces, images


def test_a_traces_folder_that_cannot_be_written_warns_once_and_the_answer_comes(
    protoplay_exe, subprocess_env
):
    home = Path(subprocess_env["PROTOPLAY_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "traces").write_text("a file where the folder should be\n")
    result = run(protoplay_exe, subprocess_env, "ask", QUESTION)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "error:" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "cannot write the trace" in line]
    assert len(warnings) == 1 and f"{home / 'traces'} is not a directory" in warnings[0]
    assert "tracing is off from here on" in warnings[0]
    assert "entropy" in result.stdout


def test_an_images_folder_that_cannot_be_written_keeps_the_result_and_says_so(protoplay_exe, subprocess_env):
    home = Path(subprocess_env["PROTOPLAY_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "images").write_text("a file where the folder should be\n")
    result = run(protoplay_exe, subprocess_env, "ask", PLOTTING_QUESTION, "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    (call,) = report["tool_calls"]
    assert call["name"] == "diagnose_training" and not call["is_error"]  # the tool ran: no "crash"
    assert call["images"] == [] and call["result"]["verdict"]
    assert "the plot could not be saved under $PROTOPLAY_HOME/images (a file stands where" in result.stderr


async def test_the_toolbox_reports_an_unsaved_plot_as_a_note_beside_the_result(mcp_server, tmp_path):
    from agents.mcp.client import connect_mcp
    from agents.toolbox import TurnContext

    blocked = tmp_path / "images"
    blocked.write_text("not a folder")
    async with connect_mcp(mcp_server, images_dir=blocked) as toolbox:
        toolbox.images_dir = blocked
        arguments = {"train_loss": [1.0, 0.6, 0.4], "val_loss": [1.0, 0.7, 0.9]}
        outcome = await toolbox.call("diagnose_training", arguments, TurnContext.of("s"))
    assert not outcome.is_error and outcome.images == ()
    payload = json.loads(outcome.content)
    assert payload["verdict"] and "saved_images" not in payload
    assert payload["images_not_saved"].startswith(f"the plot could not be saved under {blocked}")


# ------------------------------------------------------------------------------------------ --save-plot


def test_save_plot_to_a_path_that_cannot_be_written_names_it_in_one_line(
    protoplay_exe, subprocess_env, tmp_path
):
    target = tmp_path / "missing-folder" / "plot.png"
    arguments = json.dumps({"train_loss": [1.0, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.5]})
    result = run(
        protoplay_exe, subprocess_env, "call", "diagnose_training", arguments, "--save-plot", str(target)
    )
    assert_one_error_line(result, 2, f"--save-plot: cannot write {target}", "No such file or directory")
    assert json.loads(result.stdout)["verdict"]  # the result was printed before the plot failed to save


# ------------------------------------------------------------------------------------------ memory.db


def _memories(home: Path, count: int = 300) -> Path:
    from agents.memory.long_term import LongTermMemory
    from agents.memory.store import SQLiteStore

    store = SQLiteStore(home / "memory.db")
    memory = LongTermMemory(store)

    async def fill() -> None:
        for index in range(count):
            await memory.remember(f"fact {index} about learning rates and LoRA ranks " + "x" * 200)

    asyncio.run(fill())
    store.close()
    # The index lags behind the rows: it is read (and fails) when the file is opened next.
    conn = sqlite3.connect(home / "memory.db")
    conn.execute("DELETE FROM memories_fts_docsize WHERE id > 100")
    conn.commit()
    conn.close()  # the last connection out folds the WAL back into the file
    assert not (home / "memory.db-wal").exists()
    return home / "memory.db"


@pytest.mark.parametrize("args", [["memory", "list"], ["ask", QUESTION]], ids=["memory-list", "ask"])
def test_a_damaged_page_inside_memory_db_gets_the_move_it_away_line(protoplay_exe, subprocess_env, args):
    home = Path(subprocess_env["PROTOPLAY_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    db = _memories(home)
    _damage_pages(db)
    damaged = db.read_bytes()
    result = run(protoplay_exe, subprocess_env, *args)
    assert_one_error_line(
        result, 2, str(db), "database disk image is malformed", "move it away to start fresh"
    )
    assert db.read_bytes() == damaged


# ------------------------------------------------------------------------------------------ tasks.db


async def test_a_damaged_tasks_db_answers_with_a_sentence_not_sql(mcp_server, tmp_path):
    from agents.models.testing import ScriptedModel
    from servers.a2a.specialist import open_specialist
    from tests.servers.a2a.support import JsonRpc, asgi_client, user_message

    store = f"sqlite:///{tmp_path / 'tasks.db'}"
    model = ScriptedModel(["fine"] * 100)
    async with (
        open_specialist(url="http://s/", mcp=mcp_server, model_override=model, task_store=store) as a2a,
        asgi_client(a2a.app) as client,
    ):
        ids = [(await JsonRpc(client).send("private request " + "x" * 2000))["id"] for _ in range(40)]
    _damage_pages(tmp_path / "tasks.db")
    async with (
        open_specialist(url="http://s/", mcp=mcp_server, model_override=model, task_store=store) as a2a,
        asgi_client(a2a.app) as client,
    ):
        rpc = JsonRpc(client)
        errors = [
            await rpc.error("GetTask", {"id": ids[3]}),
            await rpc.error("ListTasks", {}),
            await rpc.error("SendMessage", {"message": user_message("hello")}),
        ]
    for error in errors:
        assert error["code"] == -32603
        assert error["message"].startswith(f"the task store {tmp_path / 'tasks.db'} is damaged (")
        assert "move the file away and restart the server" in error["message"]
        assert "SELECT" not in error["message"] and "private request" not in error["message"]
        assert not any(task_id in error["message"] for task_id in ids)


def test_a_tasks_db_that_is_not_a_database_stops_the_server_with_one_line(protoplay_exe, subprocess_env):
    home = Path(subprocess_env["PROTOPLAY_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "tasks.db").write_bytes(b"garbage\n")
    result = subprocess.run(
        [protoplay_exe, "serve", "a2a", "specialist", "--port", "0"],
        capture_output=True,
        text=True,
        env=subprocess_env,
        timeout=120,
    )
    assert_one_error_line(result, 2, "cannot open the task store", "file is not a database")
