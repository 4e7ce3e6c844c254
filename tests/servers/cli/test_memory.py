"""`protoplay memory sessions` as a user runs it: the sessions `ask --session` and `chat --session` keep."""

from __future__ import annotations

import json
import subprocess


def run(exe: str, env: dict[str, str], *args: str, stdin: str | None = None):
    return subprocess.run([exe, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)


def test_sessions_lists_what_ask_session_kept_most_recent_first(protoplay_exe, subprocess_env):
    empty = run(protoplay_exe, subprocess_env, "memory", "sessions")
    assert empty.returncode == 0
    assert empty.stdout.startswith("(no saved sessions: `protoplay chat --session NAME` or `protoplay ask")

    for session, question in [
        ("thesis", "entropy of [0.5, 0.5] in bits"),
        ("thesis", "KL divergence between p=[0.5,0.5] and q=[0.9,0.1]"),
        ("phone", "explain mobilenet"),
    ]:
        asked = run(protoplay_exe, subprocess_env, "ask", "--session", session, question)
        assert asked.returncode == 0, asked.stderr
    unnamed = run(protoplay_exe, subprocess_env, "ask", "entropy of [0.25, 0.75]")  # one turn, not kept
    assert unnamed.returncode == 0, unnamed.stderr

    listed = run(protoplay_exe, subprocess_env, "memory", "sessions", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(row["name"], row["turns"]) for row in json.loads(listed.stdout)] == [("phone", 1), ("thesis", 2)]
    text = run(protoplay_exe, subprocess_env, "memory", "sessions").stdout.splitlines()
    assert [line.split()[:3] for line in text] == [["phone", "1", "turn"], ["thesis", "2", "turns"]]

    resumed = run(protoplay_exe, subprocess_env, "chat", "--session", "thesis", stdin="/exit\n")
    assert resumed.returncode == 0 and "session: thesis (2 earlier turns)" in resumed.stdout
