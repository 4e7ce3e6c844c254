"""The inference, deployment and fine-tuning question set through the whole agent on the built-in offline
model: the suite fails below 95 %.

The set (``tests/eval/inference.jsonl``) was written from what students ask about serving and fine-tuning
LLMs (English, Chinese and both mixed), before looking at how the model reads it; its expected values come
from model configs, GPU datasheets, peft's formulas and hand arithmetic. ``protoplay eval --set
tests/eval/inference.jsonl`` prints the same report.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from agents.mcp.client import connect_mcp
from agents.models.offline import OfflineModel
from servers.eval.questions import load_questions
from servers.eval.report import report_text
from servers.eval.runner import run_questions
from servers.mcp.server import build_server

INFERENCE_SET = Path(__file__).with_name("inference.jsonl")
PASS_MARK = 0.95


def test_the_inference_set_covers_both_languages_and_enough_computation():
    questions = load_questions(INFERENCE_SET)
    assert len(questions) >= 60
    languages = Counter(q.language for q in questions)
    assert languages["en"] >= 0.4 * len(questions) and languages["zh"] >= 0.4 * len(questions)
    computing = [q for q in questions if q.kind == "compute"]
    assert len(computing) >= 0.4 * len(questions)
    assert {
        "llm_inference_memory",
        "roofline",
        "llm_throughput",
        "finetune_memory",
        "peft_trainable_params",
    } <= {tool for q in questions for tool in q.tools}
    assert all(q.source for q in questions)  # every expected value names where it comes from


def test_the_offline_model_passes_the_inference_set():
    async def run():
        async with connect_mcp(build_server()) as toolbox:
            return await run_questions(load_questions(INFERENCE_SET), model=OfflineModel(), toolbox=toolbox)

    report = asyncio.run(run())
    assert report.score >= PASS_MARK, report_text(report)
