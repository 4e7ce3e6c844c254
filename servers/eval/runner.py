"""Running a question set through the whole agent and scoring each answer.

Every question gets a fresh session and a fresh long-term memory (so "remember … / what do you remember"
conversations stand alone); all share one MCP connection. A question passes when its last turn called the
expected tools (and notes, with the expected arguments), its answer matches every fact pattern and none of
the forbidden ones. Nothing here knows which model answers: the offline model, an OpenAI-compatible endpoint,
or a cassette played back.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.errors import ModelAPIError
from agents.loop import Agent, RunResult
from agents.memory.long_term import LongTermMemory
from agents.memory.sessions import Session
from agents.models.base import Model
from agents.toolbox import Toolbox
from servers.eval.questions import Question

__all__ = ["Outcome", "Report", "run_questions", "score"]


@dataclass(frozen=True)
class Outcome:
    """One question's result."""

    question: Question
    passed: bool
    answer: str
    """The last turn's answer (its question to the user when it asked one)."""
    calls: list[tuple[str, dict[str, Any]]]
    """The last turn's tool calls: name and arguments."""
    problems: list[str]
    """Why it failed (empty when it passed)."""
    seconds: float


@dataclass
class Report:
    """A whole run."""

    model: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(o.passed for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    def by(self, key: Callable[[Question], str]) -> dict[str, tuple[int, int]]:
        """``group → (passed, total)``."""
        groups: dict[str, tuple[int, int]] = {}
        for outcome in self.outcomes:
            passed, total = groups.get(key(outcome.question), (0, 0))
            groups[key(outcome.question)] = (passed + outcome.passed, total + 1)
        return dict(sorted(groups.items()))

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    def seconds(self) -> list[float]:
        return sorted(o.seconds for o in self.outcomes)


def _subset(expected: Any, actual: Any) -> bool:
    """``expected`` holds in ``actual``: dict keys recursively, numbers within 1e-9 relative."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _subset(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(_subset(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, int | float) and isinstance(actual, int | float) and not isinstance(actual, bool):
        return abs(expected - actual) <= 1e-9 * max(1.0, abs(expected))
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.lower() == actual.lower()
    return bool(expected == actual)


def score(question: Question, answer: str, calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """What is wrong with an answer (nothing: it passes)."""
    problems = []
    names = [name for name, _ in calls]
    for tool in question.tools:
        if tool not in names:
            problems.append(f"expected a call to {tool}, got {names or 'none'}")
    topics = [str(a.get("topic", "")).lower() for name, a in calls if "topic" in a]
    for note in question.notes:
        if note.lower() not in topics:
            problems.append(f"expected the note {note!r}, got {topics or 'none'}")
    if question.arguments is not None and question.tools:
        wanted = question.tools[0]
        if not any(name == wanted and _subset(question.arguments, args) for name, args in calls):
            got = [args for name, args in calls if name == wanted]
            problems.append(f"{wanted} arguments should hold {json.dumps(question.arguments)}, got {got}")
    for pattern in question.facts:
        if not re.search(pattern, answer, re.IGNORECASE):
            problems.append(f"missing fact /{pattern}/")
    for pattern in question.forbidden:
        if re.search(pattern, answer, re.IGNORECASE):
            problems.append(f"forbidden /{pattern}/ present")
    return problems


def _calls(result: RunResult) -> list[tuple[str, dict[str, Any]]]:
    return [
        (record.name, record.arguments if isinstance(record.arguments, dict) else {})
        for record in result.tool_calls
    ]


async def run_questions(
    questions: Iterable[Question],
    *,
    model: Model,
    toolbox: Toolbox,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> Report:
    """Run every question (one after the other) and score it. A model with ``start(tape)`` (a cassette
    recorder or player) is told which question comes; a recorder's ``save()`` runs after each."""
    report = Report(model=getattr(model, "name", "model"))
    with tempfile.TemporaryDirectory(prefix="protoplay-eval-") as scratch:
        for question in questions:
            starter = getattr(model, "start", None)
            if callable(starter):
                starter(question.id)
            memory = LongTermMemory(path=Path(scratch) / f"{len(report.outcomes)}.db")
            began = time.perf_counter()
            try:
                agent = Agent(model, toolbox, memory=memory)
                session = Session.ephemeral(f"eval-{question.id}")
                result: RunResult | None = None
                for turn in question.messages:
                    result = await agent.run(turn, session=session)
                assert result is not None
                answer = result.text or result.needs_input or ""
                calls = _calls(result)
                problems = score(question, answer, calls)
            except ModelAPIError:
                raise  # an endpoint that fails fails every question: stop with its message
            except Exception as exc:  # anything else fails this question, not the run
                answer, calls, problems = "", [], [f"the run failed: {type(exc).__name__}: {exc}"]
            finally:
                memory.close()
            saver = getattr(model, "save", None)
            if callable(saver):
                saver()
            outcome = Outcome(question, not problems, answer, calls, problems, time.perf_counter() - began)
            report.outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    return report
