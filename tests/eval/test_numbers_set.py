"""The numbers set through the whole agent on the built-in offline model: the suite fails below its floor.

``tests/eval/numbers.jsonl`` asks for computations whose values are written the way students write them —
counts in words ("two 3090s", "四卡", "a pair of H100s"), concurrency beside context ("32 users at 2k tokens
each"), a probability in words ("gives 0.7 to the right class", "8 类均匀分布"), several models at once
("resnet18/34/50", "vit-b/16 和 vit-l/16"), budgets in 万/亿/M and learning rates in e-notation — and was
written before the model was run on it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from servers.eval.questions import load_questions
from servers.eval.report import report_text

NUMBERS = Path(__file__).with_name("numbers.jsonl")
PASS_MARK = 0.9


def test_the_numbers_set_is_bilingual_computation_with_sources():
    questions = load_questions(NUMBERS)
    assert len(questions) >= 60
    languages = Counter(q.language for q in questions)
    assert languages["en"] >= 0.4 * len(questions) and languages["zh"] >= 0.4 * len(questions)
    assert all(q.kind == "compute" for q in questions)
    assert all(q.source for q in questions)


def test_the_offline_model_passes_the_numbers_set(offline_report):
    report = offline_report(NUMBERS)
    assert report.score >= PASS_MARK, report_text(report)
