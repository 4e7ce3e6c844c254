"""The OpenAI Agents SDK (openai-agents, in a venv of its own: its import package is also called `agents`)
running an agent with one function tool against `protoplay serve llm`, over each wire and each way of running.

    .venv/bin/python run_agent.py http://127.0.0.1:PORT/v1

Prints one JSON object for tests/servers/llm/test_openai_agents.py to judge (this script decides nothing):
per run, the final output, the tool calls the SDK ran with their arguments, and the kinds of items produced.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
from typing import Literal

from openai import AsyncOpenAI

# openai-agents' package, not protoplay's: this script runs in the SDK's own venv.
from agents import (
    Agent,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    Runner,
    function_tool,
    set_tracing_disabled,
)

QUESTION = "What is the entropy of the distribution [0.5, 0.25, 0.25] in bits?"
CALLS: list[dict] = []


@function_tool
def entropy(p: list[float], base: Literal["e", "2", "10"] = "e") -> dict:
    """Shannon entropy H(p) = -sum p_i log p_i of a discrete probability distribution p.

    Args:
        p: Probabilities p_i of a discrete distribution.
        base: Log base: e → nats, 2 → bits, 10 → hartleys.
    """
    CALLS.append({"p": p, "base": base})
    log = {"e": math.log, "2": math.log2, "10": math.log10}[base]
    unit = {"e": "nats", "2": "bits", "10": "hartleys"}[base]
    return {"entropy": -sum(x * log(x) for x in p if x > 0), "unit": unit}


async def run(model, *, streamed: bool) -> dict:
    CALLS.clear()
    agent = Agent(name="ml", instructions="Answer with the tools.", tools=[entropy], model=model)
    if streamed:
        result = Runner.run_streamed(agent, QUESTION, max_turns=4)
        # The wire's own events, as the SDK received them (raw_response_event carries them unchanged).
        events = [event async for event in result.stream_events()]
        wire = [event.data.type for event in events if event.type == "raw_response_event"]
    else:
        result = await Runner.run(agent, QUESTION, max_turns=4)
        wire = []
    return {
        "final_output": result.final_output,
        "calls": list(CALLS),
        "items": [item.type for item in result.new_items],
        "wire_events": sorted(set(wire)),
    }


async def main(base_url: str) -> None:
    set_tracing_disabled(True)  # the SDK would send traces to OpenAI
    client = AsyncOpenAI(base_url=base_url, api_key="not-needed", max_retries=0)
    responses = OpenAIResponsesModel(model="protoplay-offline", openai_client=client)
    chat = OpenAIChatCompletionsModel(model="protoplay-offline", openai_client=client)
    report = {
        "responses": await run(responses, streamed=False),
        "responses_streamed": await run(responses, streamed=True),
        "chat_completions": await run(chat, streamed=False),
    }
    await client.close()
    print(json.dumps(report))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
