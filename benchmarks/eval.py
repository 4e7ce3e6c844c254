"""The offline model on the public question set, each figure beside a baseline measured in the same run.

1. Questions per second end to end (agent + in-process MCP tools + the offline model), against the same run
   replayed from cassettes recorded in this run: the replay answers instantly, so it is the floor of the agent
   and the tools alone. The ratio is what the offline model's own work costs.
2. Where the offline model's time goes: understanding (a user message → tool calls or text) and writing the
   answer (tool results → text), against the tools' time. Goal: understanding under 5 ms per question (each
   user message of it) at p95.
3. Linear and bounded: understanding a message of 1×, 4× and 16× ``MAX_CHARS`` characters of the
   pathological inputs of issue #14, as a ratio to 1× (bounded means the ratios stay near 1).

Run: ``.venv/bin/python benchmarks/eval.py`` (``--quick``: the first 60 questions).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from agents.mcp.client import connect_mcp  # noqa: E402
from agents.messages import Message, ModelResponse, TextDelta, ToolSpec  # noqa: E402
from agents.models.cassettes import RecordingModel, ReplayModel  # noqa: E402
from agents.models.offline import OfflineBrain, OfflineModel  # noqa: E402
from agents.models.offline.language import MAX_CHARS  # noqa: E402
from agents.toolbox import Toolbox, ToolOutcome, TurnContext  # noqa: E402
from servers.cli.eval import PUBLIC_SET  # noqa: E402
from servers.eval.questions import Question, load_questions  # noqa: E402
from servers.eval.runner import run_questions  # noqa: E402
from servers.mcp.server import build_server  # noqa: E402


class TimedModel:
    """The offline model, timing each request by kind: understanding a user message (one per question
    turn), or writing an answer from tool results."""

    def __init__(self) -> None:
        self.inner = OfflineModel()
        self.name = self.inner.name
        self.understanding: list[float] = []
        self.answering: list[float] = []

    async def stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], *, context: TurnContext | None = None
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        began = time.perf_counter()
        events = [event async for event in self.inner.stream(messages, tools, context=context)]
        spent = time.perf_counter() - began
        (self.understanding if messages[-1].get("role") == "user" else self.answering).append(spent)
        for event in events:
            yield event


class TimedToolbox:
    def __init__(self, inner: Toolbox) -> None:
        self.inner = inner
        self.peer = getattr(inner, "peer", "mcp")
        self.seconds = 0.0

    async def tool_specs(self, context: TurnContext) -> list[ToolSpec]:
        return await self.inner.tool_specs(context)

    async def call(self, name: str, arguments: dict[str, Any], context: TurnContext) -> ToolOutcome:
        began = time.perf_counter()
        try:
            return await self.inner.call(name, arguments, context)
        finally:
            self.seconds += time.perf_counter() - began


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def part_1_and_2(questions: list[Question]) -> None:
    server = build_server()
    async with connect_mcp(server) as warm:  # torch, torchvision and matplotlib loaded before timing
        await run_questions(questions, model=OfflineModel(), toolbox=warm)
    with tempfile.TemporaryDirectory() as tapes:
        model = TimedModel()
        async with connect_mcp(server) as inner:
            toolbox = TimedToolbox(inner)
            began = time.perf_counter()
            report = await run_questions(questions, model=RecordingModel(model, Path(tapes)), toolbox=toolbox)
            offline_seconds = time.perf_counter() - began
        async with connect_mcp(server) as inner:
            began = time.perf_counter()
            replayed = await run_questions(questions, model=ReplayModel(Path(tapes)), toolbox=inner)
            replay_seconds = time.perf_counter() - began
    n = len(questions)
    print("1. questions per second, end to end (agent + in-process MCP tools)")
    print(f"   offline model          {n / offline_seconds:8.1f} q/s   score {report.score:.1%}")
    print(f"   replayed (floor)       {n / replay_seconds:8.1f} q/s   score {replayed.score:.1%}")
    print(f"   ratio offline / floor  {replay_seconds / offline_seconds:8.2f}×")
    understanding = sum(model.understanding)
    answering = sum(model.answering)
    print("2. where the time goes (share of the offline run)")
    print(f"   understanding          {understanding:7.2f} s  {understanding / offline_seconds:6.1%}")
    print(f"   writing answers        {answering:7.2f} s  {answering / offline_seconds:6.1%}")
    print(f"   tools (MCP calls)      {toolbox.seconds:7.2f} s  {toolbox.seconds / offline_seconds:6.1%}")
    per_message = [seconds * 1000 for seconds in model.understanding]
    p50, p95 = statistics.median(per_message), percentile(per_message, 0.95)
    print(f"   understanding per message in the run: p50 {p50:.2f} ms, p95 {p95:.2f} ms")


def part_2b(questions: list[Question], tools: list[dict[str, Any]], repeats: int = 5) -> None:
    """Understanding alone, each first message best of ``repeats`` (other processes on a shared machine
    only ever add time), with the note index's per-text caches cleared before every try."""
    from agents.models.offline.notes import note_index

    brain = OfflineBrain()
    best: dict[str, float] = {}
    for _ in range(repeats):
        for question in questions:
            text = question.messages[0]
            index = note_index()
            index._named.clear()
            index._searched.clear()
            began = time.perf_counter()
            brain.respond([{"role": "user", "content": text}], tools)
            best[text] = min(best.get(text, float("inf")), (time.perf_counter() - began) * 1000)
    times = list(best.values())
    p50, p95 = statistics.median(times), percentile(times, 0.95)
    verdict = "meets" if p95 < 5 else "misses"
    print(
        f"   understanding alone (best of {repeats}): p50 {p50:.2f} ms, p95 {p95:.2f} ms, "
        f"max {max(times):.2f} ms ({verdict} the 5 ms goal)"
    )


def part_3(tools: list[dict[str, Any]]) -> None:
    brain = OfflineBrain()
    brain.respond([{"role": "user", "content": "warm up: what is LoRA?"}], tools)
    shapes = {
        "letters": "a",
        "chinese": "参",
        "digits": "1",
        "a<": "a<",
        "under 5 ": "under 5 ",
        "[1, ": "[1, ",
        "spaces": " ",
    }
    print(
        f"3. understanding a message of n characters (N = MAX_CHARS = {MAX_CHARS}): "
        "N vs N/4 is ≈ 4 when linear (16 when quadratic); 16N vs N is ≈ 1 when bounded"
    )
    for label, unit in shapes.items():
        timings = []
        for size in (MAX_CHARS // 4, MAX_CHARS, 16 * MAX_CHARS):
            text = (unit * (size // len(unit) + 1))[:size]
            began = time.perf_counter()
            brain.respond([{"role": "user", "content": text}], tools)
            timings.append(time.perf_counter() - began)
        quarter, full, sixteen = timings
        linear, bounded = full / quarter, sixteen / full
        print(f"   {label:10s} N {full * 1000:7.1f} ms   N vs N/4 {linear:5.2f}   16N vs N {bounded:5.2f}")


async def specs() -> list[dict[str, Any]]:
    from agents.loop import Agent
    from agents.memory.long_term import LongTermMemory
    from agents.models.testing import ScriptedModel

    with tempfile.TemporaryDirectory() as home:
        memory = LongTermMemory(path=Path(home) / "m.db")
        try:
            async with connect_mcp(build_server()) as toolbox:
                listed = await Agent(ScriptedModel(), toolbox, memory=memory).tool_specs(TurnContext.of("b"))
        finally:
            memory.close()
    return [dict(spec) for spec in listed]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the first 60 questions only")
    args = parser.parse_args()
    questions = load_questions(PUBLIC_SET)
    if args.quick:
        questions = questions[:60]
    print(f"public set: {len(questions)} questions ({PUBLIC_SET.relative_to(ROOT)})")
    asyncio.run(part_1_and_2(questions))
    tools = asyncio.run(specs())
    part_2b(questions, tools)
    part_3(tools)


if __name__ == "__main__":
    main()
