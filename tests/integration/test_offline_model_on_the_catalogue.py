"""The offline model against the real catalogue: for every tool, one English and one Chinese request reaches
the right tool with the right arguments, and those arguments pass the tool's own validation.

The tool specs come from the MCP server (``servers.mcp.server.build_server``) through the agent's MCP client,
exactly as the offline model receives them; nothing here lists the tools' parameters by hand except the
expected values, which are read off each request.
"""

from __future__ import annotations

import asyncio

import pytest

from agents.config import resolve_model_config
from agents.local_tools import AskUserArguments, ForgetArguments, RecallArguments, RememberArguments
from agents.loop import Agent
from agents.mcp.client import connect_mcp
from agents.memory.long_term import LongTermMemory
from agents.memory.sessions import Session
from agents.models.offline.engine import OfflineBrain
from agents.models.openai import build_model
from agents.models.testing import ScriptedModel
from agents.toolbox import TurnContext
from servers.mcp.server import build_server
from tools.catalog import TOOLS, validate_arguments

CASES = [  # (tool, request, arguments that must be read from it: read by hand from the request text)
    (
        "entropy",
        "What is the entropy of p = [0.5, 0.25, 0.25] in bits?",
        {"p": [0.5, 0.25, 0.25], "base": "2"},
    ),
    ("entropy", "计算分布 [0.5, 0.25, 0.25] 的信息熵，单位比特", {"p": [0.5, 0.25, 0.25], "base": "2"}),
    (
        "cross_entropy",
        "cross-entropy between p=[1, 0, 0] and q=[0.7, 0.2, 0.1]",
        {"p": [1, 0, 0], "q": [0.7, 0.2, 0.1]},
    ),
    (
        "cross_entropy",
        "p=[1,0,0] 和 q=[0.7,0.2,0.1] 的交叉熵是多少？",
        {"p": [1, 0, 0], "q": [0.7, 0.2, 0.1]},
    ),
    (
        "kl_divergence",
        "KL divergence between p=[0.5, 0.5] and q=[0.9, 0.1]",
        {"p": [0.5, 0.5], "q": [0.9, 0.1]},
    ),
    ("kl_divergence", "求 p=[0.5,0.5] 与 q=[0.9,0.1] 之间的KL散度", {"p": [0.5, 0.5], "q": [0.9, 0.1]}),
    (
        "gaussian_kl",
        "KL divergence between N(0, 1) and N(1, 1)?",
        {"p_mean": 0.0, "p_var": 1.0, "q_mean": 1.0, "q_var": 1.0},
    ),
    ("gaussian_kl", "VAE 隐变量 N(0.5, 0.8²) 相对标准正态的 KL 散度", {"p_mean": 0.5, "p_std": 0.8}),
    (
        "classification_loss",
        "classification loss for logits [[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]] with labels [0, 2]",
        {"logits": [[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], "labels": [0, 2]},
    ),
    (
        "classification_loss",
        "logits [[2.0, 0.5, -1.0]] 和标签 [0] 的分类损失",
        {"logits": [[2.0, 0.5, -1.0]], "labels": [0]},
    ),
    (
        "distillation_loss",
        "knowledge distillation loss: student logits [[1.0, 2.0, 0.5]], teacher logits [[1.2, 2.5, "
        "0.1]], temperature 4",
        {"student_logits": [[1.0, 2.0, 0.5]], "teacher_logits": [[1.2, 2.5, 0.1]], "temperature": 4},
    ),
    (
        "distillation_loss",
        "知识蒸馏损失：学生 logits [[1.0, 2.0, 0.5]]，教师 logits [[1.2, 2.5, 0.1]]，温度 4",
        {"student_logits": [[1.0, 2.0, 0.5]], "teacher_logits": [[1.2, 2.5, 0.1]], "temperature": 4},
    ),
    (
        "conv2d_params",
        "How many parameters does a conv2d layer with a 3x3 kernel, 64 input channels and 128 output "
        "channels have?",
        {"kernel_size": 3, "in_channels": 64, "out_channels": 128},
    ),
    (
        "conv2d_params",
        "卷积层的参数量：卷积核 3x3，输入通道 64，输出通道 128",
        {"kernel_size": 3, "in_channels": 64, "out_channels": 128},
    ),
    (
        "linear_params",
        "parameters of a linear layer with 512 input features and 10 output features",
        {"in_features": 512, "out_features": 10},
    ),
    (
        "linear_params",
        "全连接层的参数量，输入特征 512，输出特征 10",
        {"in_features": 512, "out_features": 10},
    ),
    (
        "rnn_params",
        "parameters of a bidirectional LSTM with input size 128, hidden size 256 and 2 layers",
        {"kind": "lstm", "input_size": 128, "hidden_size": 256, "num_layers": 2, "bidirectional": True},
    ),
    (
        "rnn_params",
        "双向 LSTM 的参数量：输入维度 128，隐藏大小 256，层数 2",
        {"kind": "lstm", "input_size": 128, "hidden_size": 256, "num_layers": 2, "bidirectional": True},
    ),
    (
        "transformer_params",
        "parameters of a transformer with d_model=768, 12 layers, 12 heads, d_ff=3072, vocab size 50257 "
        "and 1024 positions",
        {
            "d_model": 768,
            "n_layers": 12,
            "n_heads": 12,
            "d_ff": 3072,
            "vocab_size": 50257,
            "max_positions": 1024,
        },
    ),
    (
        "transformer_params",
        "Transformer 的参数量：d_model=768，层数 12，头数 12，d_ff=3072，词表 50257，位置 1024",
        {
            "d_model": 768,
            "n_layers": 12,
            "n_heads": 12,
            "d_ff": 3072,
            "vocab_size": 50257,
            "max_positions": 1024,
        },
    ),
    ("list_architectures", "list the available backbone architectures", {}),
    ("list_architectures", "列出所有经典骨干网络", {}),
    ("model_complexity", "How many parameters and FLOPs does ResNet-50 have?", {"model": "ResNet-50"}),
    ("model_complexity", "ResNet-50 的参数量与计算量是多少？", {"model": "ResNet-50"}),
    (
        "compare_models",
        "compare the models resnet18, mobilenet_v2 and efficientnet_b0",
        {"models": ["resnet18", "mobilenet_v2", "efficientnet_b0"]},
    ),
    (
        "compare_models",
        "模型对比：resnet18、mobilenet_v2 和 efficientnet_b0",
        {"models": ["resnet18", "mobilenet_v2", "efficientnet_b0"]},
    ),
    (
        "custom_network_complexity",
        'complexity of my custom network with input_shape [3, 32, 32] and layers [{"type": "conv2d", '
        '"out_channels": 16, "kernel_size": 3}, {"type": "relu"}, {"type": "flatten"}, {"type": '
        '"linear", "out_features": 10}]',
        {
            "input_shape": [3, 32, 32],
            "layers": [
                {"type": "conv2d", "out_channels": 16, "kernel_size": 3},
                {"type": "relu"},
                {"type": "flatten"},
                {"type": "linear", "out_features": 10},
            ],
        },
    ),
    (
        "custom_network_complexity",
        '自定义网络的复杂度：input_shape=[3, 32, 32]，layers=[{"type": "conv2d", "out_channels": 16, '
        '"kernel_size": 3}, {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out_features": 10}]',
        {
            "input_shape": [3, 32, 32],
            "layers": [
                {"type": "conv2d", "out_channels": 16, "kernel_size": 3},
                {"type": "relu"},
                {"type": "flatten"},
                {"type": "linear", "out_features": 10},
            ],
        },
    ),
    (
        "peft_trainable_params",
        "trainable parameters of LoRA with rank 8 on llama-7b",
        {"method": "lora", "base": "llama-7b", "r": 8},
    ),
    (
        "peft_trainable_params",
        "参数高效微调：在 llama-7b 上用 LoRA，秩 8，可训练参数有多少？",
        {"method": "lora", "base": "llama-7b", "r": 8},
    ),
    (
        "finetune_memory",
        "How much GPU memory to fine-tune a 7B model with QLoRA, batch size 4, on a 24 GB GPU?",
        {"params_billion": 7, "method": "qlora", "batch_size": 4, "gpu_memory_gb": 24},
    ),
    (
        "finetune_memory",
        "用 QLoRA 微调 7B 模型需要多少显存？批大小 4，显卡 24 GB",
        {"params_billion": 7, "method": "qlora", "batch_size": 4, "gpu_memory_gb": 24},
    ),
    (
        "llm_inference_memory",
        "Can a 70B model with 4-bit weights run on 2 GPUs of 48 GB each with 32k context?",
        # "32k" context is 32,768 tokens: context lengths are powers of two (LLaMA's "4k" is 4,096)
        {"params_billion": 70, "weight_bits": 4, "num_gpus": 2, "gpu_memory_gb": 48, "context_len": 32768},
    ),
    (
        "llm_inference_memory",
        "llama-3.1-70b 4-bit 量化，48 GB 显卡，显存够吗？",
        {"model": "llama-3.1-70b", "weight_bits": 4, "gpu_memory_gb": 48},
    ),
    (
        "roofline",
        "Roofline of llama-2-7b on an A100: is decoding memory-bound?",
        {"model": "llama-2-7b", "gpu": "a100"},
    ),
    (
        "roofline",
        "llama-2-7b 在 A100 上的屋顶线模型：解码是带宽受限吗？",
        {"model": "llama-2-7b", "gpu": "a100"},
    ),
    (
        "llm_throughput",
        "How many tokens per second can an H100 give llama-2-7b at batch size 8?",
        {"model": "llama-2-7b", "gpu": "h100", "batch_size": 8},
    ),
    (
        "llm_throughput",
        "llama-2-7b 在 H100 上的吞吐量是多少 tokens/s？",
        {"model": "llama-2-7b", "gpu": "h100"},
    ),
    (
        "recommend_optimizer",
        "which optimizer do you recommend for NLP with a transformer when low memory matters?",
        {"task": "nlp", "model_family": "transformer", "priority": "low_memory"},
    ),
    (
        "recommend_optimizer",
        "推荐一个优化器：transformer 模型，NLP 任务",
        {"task": "nlp", "model_family": "transformer"},
    ),
    (
        "compare_optimizers",
        "compare the optimizers adam, sgd and adamw on the rosenbrock problem",
        {"optimizers": ["adam", "sgd", "adamw"], "problem": "rosenbrock"},
    ),
    (
        "compare_optimizers",
        "在 rosenbrock 上比较优化器 adam、sgd 和 adamw",
        {"optimizers": ["adam", "sgd", "adamw"], "problem": "rosenbrock"},
    ),
    (
        "learning_rate_sweep",
        "learning rate sweep for adam with lrs [0.001, 0.01, 0.1]",
        {"optimizer": "adam", "lrs": [0.001, 0.01, 0.1]},
    ),
    (
        "learning_rate_sweep",
        "对 adam 做学习率扫描，lrs=[0.001, 0.01, 0.1]",
        {"optimizer": "adam", "lrs": [0.001, 0.01, 0.1]},
    ),
    (
        "diagnose_training",
        "diagnose my training: train loss [2.0, 1.5, 1.0, 0.6, 0.3, 0.1] and validation loss [2.1, 1.7, "
        "1.4, 1.5, 1.8, 2.2]",
        {"train_loss": [2.0, 1.5, 1.0, 0.6, 0.3, 0.1], "val_loss": [2.1, 1.7, 1.4, 1.5, 1.8, 2.2]},
    ),
    (
        "diagnose_training",
        "诊断训练：训练损失 [2.0, 1.5, 1.0, 0.6, 0.3, 0.1]，验证损失 [2.1, 1.7, 1.4, 1.5, 1.8, 2.2]，"
        "是不是过拟合？",
        {"train_loss": [2.0, 1.5, 1.0, 0.6, 0.3, 0.1], "val_loss": [2.1, 1.7, 1.4, 1.5, 1.8, 2.2]},
    ),
    (
        "gradient_flow",
        "check the gradient flow of an MLP with depth 20, width 64 and sigmoid activation",
        {"depth": 20, "width": 64, "activation": "sigmoid"},
    ),
    (
        "gradient_flow",
        "检查梯度消失：深度 20，宽度 64，激活函数 sigmoid",
        {"depth": 20, "width": 64, "activation": "sigmoid"},
    ),
    (
        "detection_metrics",
        'Compute the mAP of predictions [{"box": [0, 0, 10, 10], "score": 0.9, "label": "cat"}] against '
        'ground truth [{"box": [0, 0, 10, 10], "label": "cat"}]',
        {
            "predictions": [{"box": [0, 0, 10, 10], "score": 0.9, "label": "cat"}],
            "ground_truth": [{"box": [0, 0, 10, 10], "label": "cat"}],
        },
    ),
    (
        "detection_metrics",
        '目标检测评估：预测框 predictions=[{"box": [0, 0, 10, 10], "score": 0.9}]，'
        '真实框 ground_truth=[{"box": [0, 0, 10, 10]}]，计算 mAP',
        {"predictions": [{"box": [0, 0, 10, 10], "score": 0.9}], "ground_truth": [{"box": [0, 0, 10, 10]}]},
    ),
    (
        "ood_detect",
        "detect out-of-distribution samples from logits [[5.0, 0.1, 0.2], [0.3, 0.4, 0.35]] with the "
        "energy score",
        {"logits": [[5.0, 0.1, 0.2], [0.3, 0.4, 0.35]], "method": "energy"},
    ),
    (
        "ood_detect",
        "分布外检测：logits [[5.0, 0.1, 0.2], [0.3, 0.4, 0.35]]",
        {"logits": [[5.0, 0.1, 0.2], [0.3, 0.4, 0.35]]},
    ),
    ("list_topics", "list the knowledge topics", {}),
    ("list_topics", "列出所有知识笔记的主题", {}),
    # Issue #10: concept questions go to the note retrieval ranks first, named by its slug.
    ("explain", "explain LoRA", {"topic": "lora"}),
    ("explain", "解释一下过拟合", {"topic": "overfitting"}),
    ("remember", "remember that I train on 4 A100 GPUs", {"text": "I train on 4 A100 GPUs"}),
    ("remember", "记住我的显卡是 A100", {"text": "我的显卡是 A100"}),
    ("recall", "what do you remember about my GPUs?", {"query": "my GPUs"}),
    ("recall", "你记得我的显卡吗？", {"query": "我的显卡"}),
]


LOCAL = {
    "remember": RememberArguments,
    "recall": RecallArguments,
    "forget": ForgetArguments,
    "ask_user": AskUserArguments,
}


@pytest.fixture(scope="module")
def offered_tools(tmp_path_factory) -> list[dict]:
    """What the agent offers the model: the MCP server's tools, then its own."""

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


def test_every_catalogue_tool_has_an_english_and_a_chinese_case():
    names = [spec.name for spec in TOOLS] + ["remember", "recall"]
    for name in names:
        requests = [request for tool, request, _ in CASES if tool == name]
        assert len(requests) == 2, name
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in requests[0]), (
            f"{name}: first case must be English"
        )
        assert any("\u4e00" <= ch <= "\u9fff" for ch in requests[1]), f"{name}: second case must be Chinese"


@pytest.mark.parametrize(
    ("tool", "request_text", "expected"),
    CASES,
    ids=[f"{t}-{(i % 2 and 'zh') or 'en'}" for i, (t, _, _) in enumerate(CASES)],
)
def test_request_reaches_the_right_tool_with_the_right_arguments(offered_tools, tool, request_text, expected):
    reply = OfflineBrain().respond([{"role": "user", "content": request_text}], offered_tools)
    assert reply.tool_calls, reply.text
    ((name, arguments),) = reply.tool_calls
    assert name == tool
    for key, value in expected.items():
        assert arguments.get(key) == value, (key, arguments)
    if name in LOCAL:
        LOCAL[name].model_validate(arguments)
    else:
        validate_arguments(name, arguments)  # the tool's own schema accepts them


@pytest.mark.parametrize(
    ("request_text", "needle"),
    [
        (
            "What is the entropy of p = [0.5, 0.25, 0.25] in bits?",
            "1.5",
        ),  # H = ½·1 + 2·¼·2 = 1.5 bits (hand derivation)
        (
            "计算分布 [0.5, 0.5] 的信息熵，单位比特",
            "**entropy**：熵 = 1 bit",
        ),  # a fair coin carries 1 bit (hand derivation); the quantity asked for leads the answer
        (
            "How many parameters does a conv2d layer with a 3x3 kernel, 64 input channels and 128 "
            "output channels have?",
            "73,856",
        ),  # (3·3·64 + 1)·128 = 73,856 (hand derivation)
        (
            "Roofline of llama-2-7b on an A100: is decoding memory-bound?",
            "decode 1.0 FLOPs/byte → memory-bound",
        ),  # one multiply-add (2 FLOPs) per 2-byte weight per token (hand derivation)
    ],
)
async def test_end_to_end_offline_answers_come_from_the_tool_results(request_text, needle, tmp_path):
    memory = LongTermMemory(path=tmp_path / "memory.db")
    try:
        async with connect_mcp(build_server()) as toolbox:
            agent = Agent(build_model(resolve_model_config()), toolbox, memory=memory)
            result = await agent.run(request_text, session=Session.ephemeral())
    finally:
        memory.close()
    assert len(result.tool_calls) == 1 and not result.tool_calls[0].outcome.is_error
    assert needle in result.text
