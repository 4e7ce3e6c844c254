"""The intent set through the whole agent on the built-in offline model, held to a floor under today's score.

``tests/eval/intent.jsonl`` holds the causes round 5 found: a question about an idea (why, how, what methods
there are, tips, which layers hold the weights, a model's layers one by one) that was sent to a tool which
would only ask back for a value; a comparison of two things no tool holds side by side ("GPT-3 vs GPT-2",
"ResNet v1.5 vs the original"); and requests outside ML (tickets, weather, shopping, jokes, unrelated code)
that must be declined in the user's language with what the agent can do. A number asked of a model the tools
know still goes to the tool. Written before the fixes.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from servers.eval.questions import load_questions
from servers.eval.report import report_text

INTENT = Path(__file__).with_name("intent.jsonl")
PASS_MARK = 0.85  # the offline model reaches 41/47 (0.87); 33/47 before the fixes


def test_the_intent_set_is_bilingual_and_covers_each_cause():
    questions = load_questions(INTENT)
    assert len(questions) >= 40
    languages = Counter(q.language for q in questions)
    assert languages["en"] >= 0.4 * len(questions) and languages["zh"] >= 0.4 * len(questions)
    assert {"explain", "compare", "out_of_scope", "compute", "ask"} <= {q.kind for q in questions}
    assert all(q.source and q.facts for q in questions)


def test_the_offline_model_passes_the_intent_set(offline_report):
    report = offline_report(INTENT)
    assert report.score >= PASS_MARK, report_text(report)
