"""The Chinese student set through the whole agent on the built-in offline model: below 85 % fails the suite;
the 95 % mark is an expected failure until the model reaches it.

``tests/eval/students_zh.jsonl`` asks every theme the way Chinese ML students write — 口语, 中英混写
with English model and method names, full-width punctuation, numbers such as 7B / 4bit / 2k / 1e-4 —
follow-ups as conversations, and requests the agent should decline; it was written before the model was run
on it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from servers.eval.questions import load_questions
from servers.eval.report import report_text

STUDENTS_ZH = Path(__file__).with_name("students_zh.jsonl")
PASS_MARK = 0.95
FLOOR = 0.93
"""What it scores today (93/97, 95.9 %) less a question or two, so a regression still fails."""


def test_the_chinese_student_set_covers_every_theme_and_is_mostly_computation():
    questions = load_questions(STUDENTS_ZH)
    assert len(questions) >= 70
    assert all(q.language == "zh" for q in questions)
    computing = [q for q in questions if q.kind in ("compute", "diagnose")]
    assert len(computing) >= 0.4 * len(questions)
    assert all(q.source for q in questions)
    tools = {tool for q in questions for tool in q.tools}
    themes = {
        "entropy",
        "model_complexity",
        "peft_trainable_params",
        "finetune_memory",
        "llm_inference_memory",
        "roofline",
        "llm_throughput",
        "recommend_optimizer",
        "diagnose_training",
        "gradient_flow",
        "ood_detect",
        "detection_metrics",
        "explain",
        "remember",
        "recall",
    }
    assert themes <= tools, sorted(themes - tools)
    kinds = Counter(q.kind for q in questions)
    assert kinds["follow_up"] and kinds["small_talk"] and kinds["out_of_scope"]


def test_the_offline_model_holds_its_score_on_the_chinese_student_set(offline_report):
    report = offline_report(STUDENTS_ZH)
    assert report.score >= FLOOR, report_text(report)


def test_the_offline_model_passes_the_chinese_student_set(offline_report):
    report = offline_report(STUDENTS_ZH)
    assert report.score >= PASS_MARK, report_text(report)
