"""The GPU-fit set through the whole agent on the built-in offline model: the suite fails below its floor.

``tests/eval/gpufit.jsonl`` asks whether fine-tuning fits on a GPU named the way students name it ("a single
4090", "A100 40GB", "3090"), for the roofline of a GPU alone ("ridge point of an L4 (bf16)?") and gives card
counts as students write them ("two 48gb cards", "4x4090", "8xH100", "2*A100", "双卡 4090", "四卡 3090").
It was written before the tools and the model learned them; its values come from GPU datasheets and hand
arithmetic.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from servers.eval.questions import load_questions
from servers.eval.report import report_text

GPUFIT = Path(__file__).with_name("gpufit.jsonl")
FLOOR = 0.9  # 23/23 when written; a little under it


def test_the_gpufit_set_is_bilingual_computation_with_sources():
    questions = load_questions(GPUFIT)
    assert len(questions) >= 20
    languages = Counter(q.language for q in questions)
    assert languages["en"] >= 10 and languages["zh"] >= 10
    assert all(q.kind == "compute" and q.source for q in questions)
    assert {"finetune_memory", "roofline", "llm_inference_memory"} <= {
        tool for q in questions for tool in q.tools
    }


def test_the_offline_model_passes_the_gpufit_set(offline_report):
    report = offline_report(GPUFIT)
    assert report.score >= FLOOR, report_text(report)
