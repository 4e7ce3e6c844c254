"""What OpenTelemetry export costs an agent run, against the same run with export off in the same process.

One agent run (model → one tool call → model → answer) on the openai client with a mock transport and an
in-process MCP server (the setup of ``benchmarks/agent.py``, part 1), timed first with export off — as every
command runs without ``--otlp-endpoint``: no wrapper, no provider, the mcp SDK's spans are no-ops — then with
export on (:func:`agents.telemetry.configure`): the model and the toolbox wrapped (``chat``, ``execute_tool``
spans), the mcp SDK's spans recorded, all batched to a real OTLP/HTTP receiver on loopback in the exporter's
background thread. Goal: on ≤ 1.25× off (a turn against a real model takes seconds; this one takes
milliseconds, so the ratio here is the worst case).

The global tracer provider cannot be unset, so the two are measured one after the other (off first), not
interleaved; each is the median of many runs after a warm-up.

Run: ``.venv/bin/python benchmarks/telemetry.py`` (``--quick`` for a smaller run).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from mcp import Client  # noqa: E402

from agents import telemetry  # noqa: E402
from agents.loop import Agent  # noqa: E402
from agents.mcp.client import MCPToolbox  # noqa: E402
from agents.memory.sessions import Session  # noqa: E402
from agents.models.openai import OpenAIModel  # noqa: E402
from agents.runtime import spanned  # noqa: E402
from benchmarks.agent import build_server, make_client  # noqa: E402
from tests.otlp import otlp_receiver  # noqa: E402

GOAL = 1.25


async def _timed(agent: Agent, iterations: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        await agent.run("What is 1 + 2?", session=Session.ephemeral("bench"))
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        await agent.run("What is 1 + 2?", session=Session.ephemeral("bench"))
        samples.append((time.perf_counter() - started) * 1e3)
    return samples


async def bench(iterations: int, warmup: int, receiver_url: str) -> dict[str, list[float]]:
    server = build_server()
    samples: dict[str, list[float]] = {}
    async with Client(server) as mcp:
        model = OpenAIModel(make_client(), "bench", stream=True)
        samples["off"] = await _timed(Agent(model, MCPToolbox(mcp)), iterations, warmup)
        assert telemetry.configure(service="bench", endpoint=receiver_url)
        spans_model, spans_tools = spanned(OpenAIModel(make_client(), "bench", stream=True), MCPToolbox(mcp))
        samples["on"] = await _timed(Agent(spans_model, spans_tools), iterations, warmup)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    iterations, warmup = (200, 30) if args.quick else (1000, 100)
    with otlp_receiver() as receiver:
        samples = asyncio.run(bench(iterations, warmup, receiver.url))
        from opentelemetry import trace

        trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]
        exported = len(receiver.spans)
    off, on = statistics.median(samples["off"]), statistics.median(samples["on"])
    print(f"One agent run, OpenTelemetry export off vs on (median of {iterations}, ms)")
    print(f"   {'export off (no --otlp-endpoint)':<46} {off:7.3f} ms")
    print(
        f"   {'export on (spans batched to a loopback receiver)':<46} {on:7.3f} ms   {on / off:5.2f}× off "
        f"(goal ≤ {GOAL:.2f}×)"
    )
    print(
        f"   spans received by the OTLP receiver: {exported} ({exported / (iterations + warmup):.1f} per run)"
    )


if __name__ == "__main__":
    main()
