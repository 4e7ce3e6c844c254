"""The blind set through the whole agent on the built-in offline model, held to a floor under today's score.

``tests/eval/blind.jsonl`` plays the held-out set issue 10 is judged on: 180 questions, half English and half
Chinese, over every theme of the README, the catalogue and the notes, written the way students write (terse,
typos, 中英混写, full-width punctuation, follow-ups and memory as conversations, small talk and requests to
decline) — written and committed before the offline model or the other sets were read.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from servers.eval.questions import load_questions
from servers.eval.report import report_text

BLIND = Path(__file__).with_name("blind.jsonl")
PASS_MARK = 0.92  # 170/180 (94.4 %) when written; the held-out standard is 95 %


def test_the_blind_set_is_bilingual_broad_and_mostly_computation():
    questions = load_questions(BLIND)
    assert len(questions) >= 120
    languages = Counter(q.language for q in questions)
    assert languages["en"] >= 0.4 * len(questions) and languages["zh"] >= 0.4 * len(questions)
    computing = [q for q in questions if q.kind in ("compute", "diagnose")]
    assert len(computing) >= 0.35 * len(questions)
    kinds = {q.kind for q in questions}
    assert {"explain", "compare", "follow_up", "recall", "small_talk", "out_of_scope", "ask"} <= kinds
    assert all(q.source for q in questions)


def test_the_offline_model_passes_the_blind_set(offline_report):
    report = offline_report(BLIND)
    assert report.score >= PASS_MARK, report_text(report)
