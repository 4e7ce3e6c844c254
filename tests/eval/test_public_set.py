"""The public question set through the whole agent on the built-in offline model: the suite fails below 95 %.

The set (``tests/eval/public.jsonl``) is written from the notes and from values derived without the tools;
``protoplay eval`` runs the same questions and prints the report.
"""

from __future__ import annotations

from collections import Counter

from servers.cli.eval import PUBLIC_SET
from servers.eval.questions import load_questions
from servers.eval.report import report_text

PASS_MARK = 0.95


def test_the_public_set_covers_both_languages_every_note_and_enough_computation():
    from tools.knowledge import topic_slugs

    questions = load_questions(PUBLIC_SET)
    assert len(questions) >= 200
    languages = Counter(q.language for q in questions)
    assert languages["en"] >= 60 and languages["zh"] >= 60
    assert set(topic_slugs()) <= {note for q in questions for note in q.notes}  # every note is asked about
    computing = [
        q for q in questions if q.kind in ("compute", "diagnose") or (q.turns and q.tools and q.arguments)
    ]
    assert len(computing) >= 0.35 * len(questions)
    assert sum(q.turns is not None for q in questions) >= 0.09 * len(questions)
    assert all(q.source for q in questions)  # every expected value names where it comes from


def test_the_offline_model_passes_the_public_set(offline_report):
    report = offline_report(PUBLIC_SET)
    assert report.score >= PASS_MARK, report_text(report)
