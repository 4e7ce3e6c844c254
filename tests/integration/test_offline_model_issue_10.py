"""Every failure issue #10 quotes, answered correctly: the offline model through the whole agent, with the
real MCP tools in process. Expected values are derived by hand or read from torchvision's weight metadata."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from agents.loop import Agent, RunResult
from agents.mcp.client import connect_mcp
from agents.memory.long_term import LongTermMemory
from agents.memory.sessions import Session
from agents.models.offline import OfflineModel
from agents.toolbox import TurnContext
from servers.mcp.server import build_server


@pytest.fixture
def memory(tmp_path) -> Iterator[LongTermMemory]:
    store = LongTermMemory(path=tmp_path / "memory.db")
    yield store
    store.close()


@pytest.fixture
def toolbox() -> object:
    return build_server()  # the MCP server; each conversation connects to it in its own task


async def conversation(server: object, memory: LongTermMemory, *turns: str) -> list[RunResult]:
    async with connect_mcp(server) as toolbox:
        agent = Agent(OfflineModel(), toolbox, memory=memory)
        session = Session.ephemeral()
        return [await agent.run(turn, session=session) for turn in turns]


def calls(result: RunResult) -> list[tuple[str, dict]]:
    return [(r.name, r.arguments if isinstance(r.arguments, dict) else {}) for r in result.tool_calls]


async def test_clip_is_explained_from_its_note_not_by_a_learning_rate_sweep(toolbox, memory):
    (result,) = await conversation(toolbox, memory, "How does CLIP learn to match images with captions?")
    assert calls(result) == [("explain", {"topic": "clip"})]
    assert "contrastive" in result.text and "Training" in result.text  # the note's section on training


async def test_the_three_protocols_are_compared_from_the_protocols_note(toolbox, memory):
    question = "In plain terms, how do MCP, function calling and A2A differ?"
    (result,) = await conversation(toolbox, memory, question)
    assert calls(result) == [("explain", {"topic": "protocols"})]
    assert "How they differ" in result.text and "A2A" in result.text


async def test_what_an_agent_is_goes_to_the_note_and_remembers_nothing(toolbox, memory):
    question = "What makes something an 'agent' rather than just an LLM call?"
    (result,) = await conversation(toolbox, memory, question)
    assert calls(result) == [("explain", {"topic": "agent"})]
    assert await memory.count() == 0


@pytest.mark.parametrize(
    ("request_text", "train", "val"),
    [
        (
            "My train loss per epoch is 2.1, 1.5, 1.0, 0.6, 0.4, 0.3 and val loss is "
            "2.2, 1.7, 1.5, 1.6, 1.9, 2.3",
            [2.1, 1.5, 1.0, 0.6, 0.4, 0.3],
            [2.2, 1.7, 1.5, 1.6, 1.9, 2.3],
        ),
        (
            "train loss is 1.0 0.6 0.4 0.3 and val loss 1.1 0.9 0.95 1.2",
            [1.0, 0.6, 0.4, 0.3],
            [1.1, 0.9, 0.95, 1.2],
        ),
    ],
)
async def test_unbracketed_loss_curves_reach_the_diagnosis(toolbox, memory, request_text, train, val):
    (result,) = await conversation(toolbox, memory, request_text)
    ((name, arguments),) = calls(result)
    assert name == "diagnose_training" and arguments["train_loss"] == train and arguments["val_loss"] == val
    # validation rises from its minimum while training keeps falling (tools/notes/overfitting.md)
    assert result.text.startswith("**diagnose_training**: verdict = overfitting")


async def test_two_logit_vectors_are_both_evaluated(toolbox, memory):
    request = "logits [8.0, 0.5, 0.2] for one image and [1.1, 1.0, 0.9] for another"
    (result,) = await conversation(toolbox, memory, request)
    assert calls(result) == [("ood_detect", {"logits": [[8, 0.5, 0.2], [1.1, 1, 0.9]]})]
    # max softmax: e⁸/(e⁸+e^0.5+e^0.2) = 0.99904; e^1.1/(e^1.1+e^1+e^0.9) = 0.36717 < 0.8: flagged (hand)
    assert "0.999" in result.text and "0.3672" in result.text


async def test_vgg16s_possessive_and_image_size(toolbox, memory):
    question = "What are VGG16's parameter count and FLOPs for a 224x224 image?"
    (result,) = await conversation(toolbox, memory, question)
    assert calls(result) == [("model_complexity", {"model": "VGG16", "input_size": 224})]
    # torchvision VGG16_Weights.meta: 138,357,544 parameters, 15.47 GMACs = 30.94 GFLOPs
    assert result.text.startswith("**model_complexity** (VGG16): params = 138,357,544")
    assert "flops = 30,940,528,640 (30.94 G)" in result.text


async def test_a_chinese_question_about_mcp_is_not_a_topic_name(toolbox, memory):
    (result,) = await conversation(toolbox, memory, "什么是MCP?它和function calling有什么区别?")
    assert calls(result) == [("explain", {"topic": "protocols"})]
    assert "unknown topic" not in result.text and "智能体协议" in result.text


async def test_an_unknown_topic_follows_the_closest_match(toolbox, memory):
    model = OfflineModel()
    async with connect_mcp(toolbox) as box:
        specs = await Agent(model, box, memory=memory).tool_specs(TurnContext.of("t"))
    messages = [
        {"role": "user", "content": "explain it"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "explain", "arguments": '{"topic": "x"}'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "c1",
            "content": "Error: topic: unknown topic 'MCP?'; closest: protocols",
        },
    ]
    reply = model.brain.respond(messages, [dict(spec) for spec in specs])
    assert reply.tool_calls == [("explain", {"topic": "protocols"})]


async def test_chinese_conv_quantities_fill_every_channel(toolbox, memory):
    (result,) = await conversation(toolbox, memory, "卷积核5×5、输入通道3、输出通道32，参数量是多少？")
    assert calls(result) == [("conv2d_params", {"kernel_size": 5, "in_channels": 3, "out_channels": 32})]
    assert "2,432" in result.text  # (5·5·3 + 1)·32 = 2,432 (hand derivation)


async def test_chinese_logits_are_not_a_model_name(toolbox, memory):
    (result,) = await conversation(
        toolbox, memory, "模型输出的logits是 [2.0, 1.9, 1.8]，这个样本是分布外的吗？"
    )
    assert calls(result) == [("ood_detect", {"logits": [[2, 1.9, 1.8]]})]
    assert "0.3672" in result.text  # e²/(e² + e^1.9 + e^1.8) = 0.36717 (hand derivation)


async def test_the_memory_answer_leads_with_the_total_and_the_fit(toolbox, memory):
    (result,) = await conversation(toolbox, memory, "Can I LoRA fine-tune Mistral-7B on a 16 GB GPU?")
    assert calls(result) == [
        ("finetune_memory", {"base": "mistral-7b", "method": "lora", "gpu_memory_gb": 16.0})
    ]
    structured = result.tool_calls[0].outcome.structured
    verdict = "fits (gpu_memory_gb = 16)" if structured["fits"] else "does not fit (gpu_memory_gb = 16)"
    # the first line: the total and whether it fits (the complaint was that both were left out)
    total = f"total_gib = {structured['total_gib']:.4g} GiB"
    assert result.text.splitlines()[0] == f"**finetune_memory** (mistral-7b, lora): {total}; **{verdict}**"


async def test_a_chat_with_a_name_a_preference_and_follow_ups(toolbox, memory):
    results = await conversation(
        toolbox,
        memory,
        "Hi! My name is Mei and I prefer answers in bits",
        "What's my name?",
        "entropy of [0.5, 0.5]",
        "and what about [0.9, 0.1]?",
    )
    hello, name, entropy, follow = results
    assert not hello.tool_calls and hello.text.startswith("Nice to meet you, Mei!") and "bits" in hello.text
    assert "`entropy` —" not in hello.text  # never the tool dump
    assert not name.tool_calls and "Mei" in name.text
    # the stated preference picks the unit, and the answer says so: H([0.5, 0.5]) = 1 bit (hand)
    assert calls(entropy) == [("entropy", {"p": [0.5, 0.5], "base": "2"})]
    assert "**entropy**: 1 bit" in entropy.text and "as you prefer" in entropy.text
    # the follow-up reuses the call with the new vector: −0.9 log2 0.9 − 0.1 log2 0.1 = 0.469 bits (hand)
    assert calls(follow) == [("entropy", {"p": [0.9, 0.1], "base": "2"})] and "0.469 bits" in follow.text


async def test_now_in_bits_changes_only_the_unit(toolbox, memory):
    _, bits = await conversation(toolbox, memory, "entropy of [0.5, 0.5]", "now give that in bits")
    assert calls(bits) == [("entropy", {"p": [0.5, 0.5], "base": "2"})] and "1 bit" in bits.text


async def test_what_do_you_remember_about_me_is_a_sentence(toolbox, memory):
    _, recalled = await conversation(
        toolbox, memory, "Remember that I train on 4 A100 GPUs", "What do you remember about me?"
    )
    assert [name for name, _ in calls(recalled)] == ["recall"]
    assert recalled.text == "Here is what I remember: you train on 4 A100 GPUs."
    assert "score" not in recalled.text


async def test_the_coordinator_routes_resnet50_like_resnet_dash_50():
    from agents.models.offline.engine import OfflineBrain

    skill = (
        "Delegate to the agent protoplay-ml-specialist over A2A — Model complexity: Model complexity with 2 "
        "tools: model_complexity(model, input_size?, batch_size?, per_layer?) — Parameters, MACs/FLOPs and "
        "weight memory of a zoo backbone; compare_models(models, input_size?, plot?) — Compare zoo backbones."
    )
    other = (
        "Delegate to the agent protoplay-ml-specialist over A2A — Notes: explain(topic, section?) — Explain."
    )
    schema = {"type": "object", "properties": {"request": {"type": "string"}, "task_id": {"type": "string"}}}
    tools = [
        {"type": "function", "function": {"name": "ask_notes", "description": other, "parameters": schema}},
        {
            "type": "function",
            "function": {"name": "ask_model_complexity", "description": skill, "parameters": schema},
        },
    ]
    for spelling in ("resnet50", "ResNet-50"):
        reply = OfflineBrain().respond(
            [{"role": "user", "content": f"How many parameters does {spelling} have?"}], tools
        )
        assert [name for name, _ in reply.tool_calls] == ["ask_model_complexity"], spelling


def test_no_answer_says_sorry_with_a_tool_list():
    from agents.models.offline.engine import OfflineBrain
    from agents.models.offline.phrases import en

    reply = OfflineBrain().respond([{"role": "user", "content": "book me a flight"}], [])
    assert re.fullmatch(r"I can't help with that offline: .*\.", reply.text) and en.PHRASES.cannot


async def test_a_remembered_preference_is_applied_in_a_later_conversation(toolbox, memory):
    await conversation(toolbox, memory, "Please remember that I prefer answers in bits")
    (later,) = await conversation(toolbox, memory, "entropy of [0.5, 0.5]")  # a new session, same memory
    assert calls(later) == [("entropy", {"p": [0.5, 0.5], "base": "2"})]
    assert "**entropy**: 1 bit — in bits, as you prefer" in later.text  # H = log2 2 = 1 bit (hand derivation)
