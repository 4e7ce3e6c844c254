"""Issue #14: every text path of the offline model is linear and bounded. Understanding reads at most
``MAX_CHARS`` characters of a message (proved here as a property: what follows cannot change the answer);
the constraint reader, the mention reader and answer composition take pathological and long inputs — a
quadratic pattern would not finish within the suite's timeout. (Speed itself is measured in
``benchmarks/eval.py``, never asserted here.)"""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.models.offline.answers import render_result, render_results
from agents.models.offline.constraints import conclude, parse_constraints
from agents.models.offline.engine import OfflineBrain
from agents.models.offline.language import MAX_CHARS, prepare
from agents.models.offline.mentions import read_mentions
from agents.models.offline.notes import note_index
from agents.models.offline.notes_answers import answer_from_notes

PATHOLOGICAL = [
    "a" * 64_000,  # one long word (the old `_EN_BEFORE` took 15 s on 16k of these)
    "参" * 64_000,  # one long Chinese run
    "1" * 64_000,
    "a" + " " * 64_000 + "b",
    "a<" * 32_000,
    "小于" * 32_000,
    "under 5 " * 8_000,
    "[" * 64_000,
    "[1, " * 16_000,
    "x1," * 21_000,
    "ResNet-50 " * 6_000,
    "remember that " * 4_000,
    "- " * 32_000,
]
TEXT = st.text(alphabet=st.sampled_from(list("ab1 ,.<[]()-参数量小于xM亿ResNet=")), max_size=600)


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda t: f"{t[:6]!r}×{len(t)}")
def test_the_text_readers_take_pathological_inputs(text):
    parse_constraints(text)
    read_mentions(text[:MAX_CHARS])
    note_index().search(text[:MAX_CHARS])


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda t: f"{t[:6]!r}×{len(t)}")
def test_understanding_answers_a_pathological_message(catalogue_specs, text):
    reply = OfflineBrain().respond([{"role": "user", "content": text}], catalogue_specs)
    assert reply.text or reply.tool_calls


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(head=TEXT, tail=TEXT)
def test_nothing_after_max_chars_changes_the_answer(catalogue_specs, head, tail):
    message = (head * (MAX_CHARS // max(len(head), 1) + 1))[:MAX_CHARS] if head else "x" * MAX_CHARS
    brain = OfflineBrain()
    alone = brain.respond([{"role": "user", "content": message}], catalogue_specs)
    longer = brain.respond([{"role": "user", "content": message + tail * 50}], catalogue_specs)
    assert alone == longer


@settings(max_examples=40, deadline=None)
@given(text=TEXT)
def test_constraints_and_mentions_never_fail_on_any_text(text):
    for constraint in parse_constraints(text):
        assert constraint.op in ("<", "<=", ">", ">=") and constraint.text
    found = read_mentions(prepare(text))
    spans = sorted((m.start, m.end) for m in (*found.numbers, *found.sizes, *found.vectors, *found.names))
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def test_answer_composition_with_a_long_request_and_a_large_result():
    request = "under 5 M parameters " * 4_000
    rows = [{"name": f"m{i}", "params": i * 1000, "macs": i * 10**6} for i in range(20_000)]
    answer = render_result("compare_models", json.dumps({"models": rows}), request=prepare(request))
    assert answer.startswith("**compare_models**") and len(answer) < 5_000
    several = [("entropy", {"p": [0.5, 0.5]}, json.dumps({"entropy": 0.69, "unit": "nats"}))] * 8
    assert render_results(several, request=request).startswith("**entropy**, 8 calls")
    assert conclude(request, {"models": rows[:50]}, chinese=False) is not None


def test_a_note_answer_to_a_long_question_stays_short():
    answer = answer_from_notes([note_index().get("lora")], "how does lora work " * 10_000, "en")
    assert len(answer) < 3_000
