"""`protoplay eval` as a user runs it: a set, the report, JSON, cassettes, and one-line errors."""

from __future__ import annotations

import json
import subprocess

QUESTIONS = [
    {
        "id": "entropy",
        "language": "en",
        "kind": "compute",
        "question": "entropy of [0.5, 0.25, 0.25] in bits",
        "tool": "entropy",
        "facts": ["1\\.5 bits"],  # ½·1 + 2·¼·2 = 1.5 bits (hand derivation)
        "source": "hand",
    },
    {"id": "hello", "language": "zh", "kind": "small_talk", "question": "你好", "facts": ["你好"]},
]


def eval_cli(protoplay_exe, env, *args):
    return subprocess.run(
        [protoplay_exe, "eval", *args], env=env, capture_output=True, text=True, timeout=240, check=False
    )


def test_eval_prints_scores_by_language_and_kind(protoplay_exe, subprocess_env, tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS), encoding="utf-8")
    done = eval_cli(protoplay_exe, subprocess_env, "--set", str(path), "--min-score", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("model protoplay-offline: 2/2 (100.0%)")
    assert "by language:\n  en  1/1 (100.0%)\n  zh  1/1 (100.0%)" in done.stdout
    assert "time per question:" in done.stdout


def test_eval_records_then_replays_as_json(protoplay_exe, subprocess_env, tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(QUESTIONS[0]), encoding="utf-8")
    tapes = tmp_path / "tapes"
    recorded = eval_cli(protoplay_exe, subprocess_env, "--set", str(path), "--record", str(tapes), "--json")
    assert recorded.returncode == 0 and (tapes / "entropy.json").exists()
    replayed = eval_cli(protoplay_exe, subprocess_env, "--set", str(path), "--replay", str(tapes), "--json")
    report = json.loads(replayed.stdout)
    assert (
        report["score"] == 1.0
        and report["questions"][0]["answer"] == json.loads(recorded.stdout)["questions"][0]["answer"]
    )


def test_eval_mistakes_are_one_line(protoplay_exe, subprocess_env, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}', encoding="utf-8")
    done = eval_cli(protoplay_exe, subprocess_env, "--set", str(bad))
    assert (
        done.returncode == 2 and done.stderr.startswith("error: ") and "bad.jsonl:1: language" in done.stderr
    )
    both = eval_cli(protoplay_exe, subprocess_env, "--record", "a", "--replay", "b")
    assert both.returncode == 2 and "cannot record while replaying" in both.stderr
    below = tmp_path / "below.jsonl"
    below.write_text(json.dumps({**QUESTIONS[0], "facts": ["never there"]}), encoding="utf-8")
    failing = eval_cli(protoplay_exe, subprocess_env, "--set", str(below), "--min-score", "0.5")
    assert failing.returncode == 1 and "missing fact /never there/" in failing.stdout
