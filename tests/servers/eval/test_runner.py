"""Scoring answers, running a set through the agent, the report, and cassettes recorded and replayed."""

from __future__ import annotations

import asyncio
import json

import pytest

from agents.mcp.client import connect_mcp
from agents.models.cassettes import CassetteError, RecordingModel, ReplayModel
from agents.models.offline import OfflineModel
from agents.models.testing import ScriptedModel
from servers.eval.questions import Question
from servers.eval.report import report_json, report_text
from servers.eval.runner import run_questions, score
from servers.mcp.server import build_server

KL = Question(
    id="kl",
    language="en",
    kind="compute",
    question="KL divergence between p=[0.5, 0.5] and q=[0.9, 0.1]",
    tool="kl_divergence",
    arguments={"p": [0.5, 0.5]},
    facts=["0\\.5108"],  # ½ln(5/9) + ½ln 5 = 0.5108 nats (hand derivation)
    forbidden=["sorry"],
)
CHAT = Question(
    id="chat", language="en", kind="recall", turns=["my name is Ada", "what's my name?"], facts=["Ada"]
)


def test_score_lists_every_problem():
    assert score(KL, "KL = 0.5108 nats", [("kl_divergence", {"p": [0.5, 0.5], "q": [0.9, 0.1]})]) == []
    problems = score(KL, "Sorry, no idea", [("entropy", {"p": [0.5, 0.5]})])
    assert problems == [
        "expected a call to kl_divergence, got ['entropy']",
        'kl_divergence arguments should hold {"p": [0.5, 0.5]}, got []',
        "missing fact /0\\.5108/",
        "forbidden /sorry/ present",
    ]


def test_an_expected_note_is_the_topic_explained():
    question = Question(id="n", language="en", kind="explain", question="q", note="lora")
    assert score(question, "", [("explain", {"topic": "lora"})]) == []
    assert score(question, "", [("explain", {"topic": "qlora"})]) == [
        "expected the note 'lora', got ['qlora']"
    ]


def test_a_comparison_expects_every_note_it_lists():
    question = Question(id="c", language="en", kind="compare", question="q", note=["lora", "prefix-tuning"])
    assert question.notes == ["lora", "prefix-tuning"]
    both = [("explain", {"topic": "lora"}), ("explain", {"topic": "prefix-tuning"})]
    assert score(question, "", both) == []
    assert score(question, "", both[:1]) == ["expected the note 'prefix-tuning', got ['lora']"]


def run(questions, model):
    async def go():
        async with connect_mcp(build_server()) as toolbox:
            return await run_questions(questions, model=model, toolbox=toolbox)

    return asyncio.run(go())


def test_a_set_runs_through_the_agent_and_the_report_says_how_it_went():
    report = run([KL, CHAT], OfflineModel())
    assert report.score == 1.0 and [o.passed for o in report.outcomes] == [True, True]
    assert report.outcomes[0].calls[0][0] == "kl_divergence" and "Ada" in report.outcomes[1].answer
    text = report_text(report)
    assert text.startswith("model protoplay-offline: 2/2 (100.0%)") and "time per question:" in text
    data = report_json(report)
    assert data["by_language"] == {"en": {"passed": 2, "total": 2}} and data["questions"][0]["id"] == "kl"


def test_a_failing_model_fails_its_question_with_the_reason():
    report = run([KL], ScriptedModel(["I don't know."]))
    (outcome,) = report.failures
    assert (
        outcome.answer == "I don't know." and "expected a call to kl_divergence, got none" in outcome.problems
    )
    assert "failures (1):" in report_text(report) and "I don't know." in report_text(report)


def test_a_recorded_run_replays_with_no_model_and_the_same_answers(tmp_path):
    recorded = run([KL, CHAT], RecordingModel(OfflineModel(), tmp_path))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["chat.json", "kl.json"]
    tape = json.loads((tmp_path / "kl.json").read_text())
    assert tape["model"] == "protoplay-offline" and len(tape["steps"]) == 2  # a tool call, then the answer
    replayed = run([KL, CHAT], ReplayModel(tmp_path))
    assert [o.answer for o in replayed.outcomes] == [o.answer for o in recorded.outcomes]
    assert replayed.score == 1.0


def test_a_replay_that_drifts_from_its_recording_fails_clearly(tmp_path):
    run([KL], RecordingModel(OfflineModel(), tmp_path))
    changed = KL.model_copy(update={"question": "KL divergence between p=[0.2, 0.8] and q=[0.5, 0.5]"})
    (outcome,) = run([changed], ReplayModel(tmp_path)).outcomes
    assert not outcome.passed and "was recorded for another request" in outcome.problems[0]
    with pytest.raises(CassetteError, match="no cassette for 'missing'"):
        ReplayModel(tmp_path).start("missing")
