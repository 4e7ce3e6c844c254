"""The offline model makes several calls from one request: one per listed value of a single-valued enum
parameter (enum fan-out), and a second tool when the request also asks for what that tool computes.

Tool specs come from the MCP server through the agent's MCP client, as the offline model receives them.
"""

from __future__ import annotations

import asyncio

import pytest

from agents.loop import Agent
from agents.mcp.client import connect_mcp
from agents.memory.long_term import LongTermMemory
from agents.models.offline.engine import OfflineBrain
from agents.models.offline.fanout import listed_values
from agents.models.offline.schema import ToolView
from agents.models.testing import ScriptedModel
from agents.toolbox import TurnContext
from servers.mcp.server import build_server
from tools.catalog import validate_arguments

PLAN = (
    "Plan fine-tuning a 7B model on a 24 GB GPU: compare full fine-tuning, LoRA and QLoRA by GPU memory and "
    "trainable parameters."
)


@pytest.fixture(scope="module")
def offered_tools(tmp_path_factory) -> list[dict]:
    async def collect() -> list[dict]:
        memory = LongTermMemory(path=tmp_path_factory.mktemp("mem") / "memory.db")
        try:
            async with connect_mcp(build_server()) as toolbox:
                return await Agent(ScriptedModel(), toolbox, memory=memory).tool_specs(
                    TurnContext.of("default")
                )
        finally:
            memory.close()

    return asyncio.run(collect())


def calls(tools: list[dict], text: str) -> list[tuple[str, dict]]:
    reply = OfflineBrain().respond([{"role": "user", "content": text}], tools)
    assert reply.tool_calls, reply.text
    for name, arguments in reply.tool_calls:
        validate_arguments(name, arguments)  # every call passes the tool's own schema
    return reply.tool_calls


def test_the_audit_sentence_fans_out_over_the_three_methods(offered_tools):
    made = calls(offered_tools, PLAN)
    # "a 7B model" names no base preset, so peft_trainable_params (base required) cannot be filled: only the
    # memory tool runs, whose result also carries the trainable parameters.
    assert [(name, arguments["method"]) for name, arguments in made] == [
        ("finetune_memory", "full"),
        ("finetune_memory", "lora"),
        ("finetune_memory", "qlora"),
    ]
    assert all(a["params_billion"] == 7 and a["gpu_memory_gb"] == 24 for _, a in made)


def test_two_quantities_call_two_tools_each_fanned_out(offered_tools):
    text = PLAN.replace("a 7B model", "llama-7b")
    made = calls(offered_tools, text)
    assert [(name, arguments["method"]) for name, arguments in made] == [
        ("finetune_memory", "full"),
        ("finetune_memory", "lora"),
        ("finetune_memory", "qlora"),
        ("peft_trainable_params", "full"),
        ("peft_trainable_params", "lora"),
        ("peft_trainable_params", "qlora"),
    ]
    assert all(arguments["base"] == "llama-7b" for _, arguments in made)


@pytest.mark.parametrize(
    ("text", "tool", "slot", "values"),
    [
        (
            "gradient flow of an MLP with depth 20 and width 64: sigmoid vs relu",
            "gradient_flow",
            "activation",
            ["sigmoid", "relu"],
        ),
        (
            "detect out-of-distribution samples from logits [[5.0, 0.1, 0.2], [0.3, 0.4, 0.35]] with msp and "
            "energy",
            "ood_detect",
            "method",
            ["msp", "energy"],
        ),
        (
            "用 full、LoRA 和 QLoRA 微调 7B 模型各需要多少显存？显卡 24 GB",
            "finetune_memory",
            "method",
            ["full", "lora", "qlora"],
        ),
    ],
)
def test_listed_enum_values_each_get_a_call_with_the_other_arguments_shared(
    offered_tools, text, tool, slot, values
):
    made = calls(offered_tools, text)
    assert [name for name, _ in made] == [tool] * len(values)
    assert [arguments[slot] for _, arguments in made] == values
    shared = [{k: v for k, v in arguments.items() if k != slot} for _, arguments in made]
    assert all(other == shared[0] for other in shared)


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("compare the optimizers adam, sgd and adamw on the rosenbrock problem", "compare_optimizers"),
        ("compare the models resnet18, mobilenet_v2 and efficientnet_b0", "compare_models"),
        (
            "How much GPU memory to fine-tune a 7B model with QLoRA, batch size 4, on a 24 GB GPU?",
            "finetune_memory",
        ),
        ("trainable parameters of LoRA with rank 8 on llama-7b", "peft_trainable_params"),
        (
            "Transformer 的参数量：d_model=768，层数 12，头数 12，d_ff=3072，词表 50257，位置 1024",
            "transformer_params",
        ),
    ],
)
def test_list_parameters_and_single_quantity_requests_stay_one_call(offered_tools, text, tool):
    made = calls(offered_tools, text)
    assert [name for name, _ in made] == [tool]


def test_values_named_apart_are_not_a_list(offered_tools):
    spec = next(spec for spec in offered_tools if spec["function"]["name"] == "finetune_memory")
    method = ToolView.from_spec(spec).slot("method")
    assert listed_values(method, "full, lora and qlora") == ["full", "lora", "qlora"]
    assert listed_values(method, "lora vs. qlora") == ["lora", "qlora"]
    # Far apart, without a separator between them: not a comparison.
    assert listed_values(method, "I tried lora last week on a small model; now how about qlora") == []
    assert listed_values(method, "qlora") == []


def test_a_missing_argument_is_still_asked_for_before_any_fan_out(offered_tools):
    reply = OfflineBrain().respond(
        [{"role": "user", "content": "trainable parameters of lora vs qlora"}], offered_tools
    )
    assert not reply.tool_calls or reply.tool_calls[0][0] == "ask_user"
    question = reply.text or reply.tool_calls[0][1]["question"]
    assert "`peft_trainable_params`" in question and "base" in question
