"""What OpenTelemetry export costs an agent run, against the same run with export off, in the same process.

One agent run (model → one tool call → model → answer) on the openai client with a mock transport and an
in-process MCP server (the setup of ``benchmarks/agent.py``, part 1):

- off: the agent as every command builds it without ``--otlp-endpoint`` — the model and the toolbox
  unwrapped (off is free by construction: nothing is wrapped, nothing imported);
- on: the model and the toolbox in protoplay's span wrappers (``chat`` and ``execute_tool`` spans, the span
  made current around each awaited call), on an SDK tracer provider whose batching OTLP/HTTP exporter posts
  protobuf to a real receiver on loopback, in its background thread, as ``--otlp-endpoint`` sets it up.

The two run interleaved (drift on a shared machine hits both alike). The provider is the benchmark's own,
not the process-wide one, so the mcp SDK's own per-message spans stay no-ops in both: they are the SDK's
cost, paid by any mcp 2.3 process with a provider. Goal: on ≤ 1.25× off (a turn against a real model takes
seconds; this one milliseconds, so the ratio here is the worst case).

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
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402

from agents.loop import Agent  # noqa: E402
from agents.mcp.client import MCPToolbox  # noqa: E402
from agents.memory.sessions import Session  # noqa: E402
from agents.models.openai import OpenAIModel  # noqa: E402
from agents.spans import SpanModel, SpanToolbox  # noqa: E402
from benchmarks.agent import build_server, make_client  # noqa: E402
from tests.otlp import otlp_receiver  # noqa: E402

GOAL = 1.25


async def bench(iterations: int, warmup: int, provider: TracerProvider) -> dict[str, list[float]]:
    tracer = provider.get_tracer("protoplay")
    async with Client(build_server()) as mcp:
        agents = {
            "off": Agent(OpenAIModel(make_client(), "bench", stream=True), MCPToolbox(mcp)),
            "on": Agent(
                SpanModel(OpenAIModel(make_client(), "bench", stream=True), tracer=tracer),
                SpanToolbox(MCPToolbox(mcp), tracer=tracer),
            ),
        }
        for agent in agents.values():  # warm up: imports, caches, first connections
            for _ in range(warmup):
                await agent.run("What is 1 + 2?", session=Session.ephemeral("bench"))
        samples: dict[str, list[float]] = {name: [] for name in agents}
        for _ in range(iterations):
            for name, agent in agents.items():
                started = time.perf_counter()
                await agent.run("What is 1 + 2?", session=Session.ephemeral("bench"))
                samples[name].append((time.perf_counter() - started) * 1e3)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    iterations, warmup = (300, 30) if args.quick else (2000, 100)
    with otlp_receiver() as receiver:
        provider = TracerProvider()
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{receiver.url}/v1/traces"))
        )
        samples = asyncio.run(bench(iterations, warmup, provider))
        provider.shutdown()  # exports what is left
        exported = len(receiver.spans)
    off, on = statistics.median(samples["off"]), statistics.median(samples["on"])
    p90 = {name: statistics.quantiles(values, n=10)[-1] for name, values in samples.items()}
    print(f"One agent run, OpenTelemetry export off vs on (interleaved, median of {iterations}, ms)")
    print(f"   {'export off (no --otlp-endpoint)':<50} {off:7.3f} ms   p90 {p90['off']:7.3f} ms")
    label = "export on (spans batched to a loopback receiver)"
    print(
        f"   {label:<50} {on:7.3f} ms   p90 {p90['on']:7.3f} ms   {on / off:5.2f}× off (goal ≤ {GOAL:.2f}×)"
    )
    print(
        f"   spans received by the OTLP receiver: {exported} ({exported / (iterations + warmup):.1f} per run)"
    )


if __name__ == "__main__":
    main()
