"""The decisions the stages add up to: explain or compute, ask or call, follow up or start again, in both
languages; plus delegation to a coordinator's skills and the tool_choice a caller may force."""

from __future__ import annotations

import json

import pytest

from agents.models.offline.engine import OfflineBrain


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def turn_with(name: str, arguments: dict, request: str) -> list[dict]:
    call = {"id": "c1", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
    return [
        user(request),
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "{}"},
        {"role": "assistant", "content": "…"},
    ]


def reply(specs, *messages):
    return OfflineBrain().respond(list(messages), specs)


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What is ResNet-50?", "resnet"),
        ("What is entropy, intuitively?", "cross-entropy-vs-kl"),
        ("Why does VGG use stacked 3x3 convolutions instead of big kernels?", "vgg"),
        ("GoogLeNet 里的 1×1 卷积有什么作用？", "googlenet"),
        ("QLoRA 是怎么省显存的？", "qlora"),
        ("What does QLoRA add on top of LoRA?", "qlora"),
        ("How does LoRA reduce the number of trainable parameters?", "lora"),
    ],
)
def test_a_question_about_an_idea_goes_to_its_note(catalogue_specs, question, topic):
    assert reply(catalogue_specs, user(question)).tool_calls == [("explain", {"topic": topic})]


def test_a_comparison_of_two_ideas_explains_both(catalogue_specs):
    assert reply(catalogue_specs, user("BLIP vs CLIP")).tool_calls == [
        ("explain", {"topic": "blip"}),
        ("explain", {"topic": "clip"}),
    ]
    assert reply(catalogue_specs, user("Adam 和 AdamW 有什么区别？")).tool_calls == [
        ("explain", {"topic": "optimizers"})
    ]


def test_vs_is_no_evidence_for_a_tool_that_says_it(catalogue_specs):
    # the roofline tool's description says "compute vs bandwidth"; two ideas compared are explained
    assert reply(catalogue_specs, user("tensor parallel vs pipeline parallel?")).tool_calls == [
        ("explain", {"topic": "parallelism"})
    ]


def test_logits_with_labels_are_a_classification_loss_in_chinese(catalogue_specs):
    calls = reply(
        catalogue_specs, user("logits是[0.5, 2.0, -1.0]和[1,1,1]，标签分别是1和2，交叉熵损失多少")
    ).tool_calls
    assert calls == [("classification_loss", {"logits": [[0.5, 2, -1], [1, 1, 1]], "labels": [1, 2]})]


@pytest.mark.parametrize(
    ("question", "tool"),
    [
        ("What are VGG16's parameter count and FLOPs for a 224x224 image?", "model_complexity"),
        ("How many parameters does resnet50 have?", "model_complexity"),
        ("What is the entropy of [0.5, 0.25, 0.25]?", "entropy"),
        (
            "which optimizer do you recommend for NLP with a transformer when low memory matters?",
            "recommend_optimizer",
        ),
        ("list the available backbone architectures", "list_architectures"),
        ("ResNet-18 的参数量与计算量是多少？", "model_complexity"),
    ],
)
def test_a_request_for_a_number_goes_to_the_tool(catalogue_specs, question, tool):
    assert [name for name, _ in reply(catalogue_specs, user(question)).tool_calls] == [tool]


def test_a_missing_value_is_asked_for(catalogue_specs):
    ((name, arguments),) = reply(
        catalogue_specs, user("a 20-layer MLP with sigmoid: will gradients vanish?")
    ).tool_calls
    assert name == "ask_user" and arguments["question"].startswith("To run `gradient_flow` I need:")
    assert "**width**" in arguments["question"] and "**depth**" not in arguments["question"]


FOLLOW_UPS = [  # (tool, its previous arguments, the previous request, the follow-up, the new arguments)
    (
        "entropy",
        {"p": [0.5, 0.5]},
        "entropy of [0.5, 0.5]",
        "now give that in bits",
        {"p": [0.5, 0.5], "base": "2"},
    ),
    (
        "entropy",
        {"p": [0.5, 0.5], "base": "2"},
        "entropy in bits",
        "and [0.9, 0.1]?",
        {"p": [0.9, 0.1], "base": "2"},
    ),
    (
        "kl_divergence",
        {"p": [0.5], "q": [0.9]},
        "KL of p and q",
        "and for q=[0.6, 0.4]?",
        {"p": [0.5], "q": [0.6, 0.4]},
    ),
    (
        "model_complexity",
        {"model": "ResNet-50"},
        "params of ResNet-50",
        "what about resnet34?",
        {"model": "resnet34"},
    ),
    (
        "finetune_memory",
        {"base": "llama-7b", "method": "lora"},
        "LoRA",
        "那 QLoRA 呢？",
        {"base": "llama-7b", "method": "qlora"},
    ),
    # a variant of the previous model's family, named by what differs
    (
        "model_complexity",
        {"model": "resnet50"},
        "params of resnet50",
        "what about 34?",
        {"model": "resnet34"},
    ),
    (
        "model_complexity",
        {"model": "mobilenet_v3_small"},
        "params of mobilenet_v3_small",
        "and the large one?",
        {"model": "mobilenet_v3_large"},
    ),
    (
        "model_complexity",
        {"model": "efficientnet_b0"},
        "efficientnet_b0 参数量",
        "b4 呢",
        {"model": "efficientnet_b4"},
    ),
    (
        "model_complexity",
        {"model": "mobilenet_v2"},
        "mobilenet_v2 的计算量",
        "那 v3 small 呢",
        {"model": "mobilenet_v3_small"},
    ),
]


@pytest.mark.parametrize(("name", "arguments", "request_text", "follow_up", "expected"), FOLLOW_UPS)
def test_a_follow_up_reuses_the_last_call_with_what_changed(
    catalogue_specs, name, arguments, request_text, follow_up, expected
):
    request = request_text
    made = reply(catalogue_specs, *turn_with(name, arguments, request), user(follow_up))
    assert made.tool_calls == [(name, expected)]


def test_a_complete_new_request_after_a_call_is_not_a_follow_up(catalogue_specs):
    made = reply(
        catalogue_specs,
        *turn_with("entropy", {"p": [0.5, 0.5]}, "entropy"),
        user("KL divergence between p=[0.5, 0.5] and q=[0.9, 0.1]"),
    )
    assert [name for name, _ in made.tool_calls] == ["kl_divergence"]


def test_a_stored_preference_fills_the_unit(catalogue_specs):
    system = {"role": "system", "content": "memories:\n- [memory 1, preference] I prefer answers in bits"}
    made = reply(catalogue_specs, system, user("entropy of [0.5, 0.5]"))
    assert made.tool_calls == [("entropy", {"p": [0.5, 0.5], "base": "2"})]


def test_remember_recall_and_the_name_in_both_languages(catalogue_specs):
    assert reply(catalogue_specs, user("记住我的显卡是 A100")).tool_calls == [
        ("remember", {"text": "我的显卡是 A100", "kind": "fact", "tags": ["user"]})
    ]
    assert reply(catalogue_specs, user("What do you remember about me?")).tool_calls == [
        ("recall", {"query": "user name prefer"})
    ]
    named = reply(
        catalogue_specs,
        user("my name is Ada"),
        {"role": "assistant", "content": "Hi"},
        user("What's my name?"),
    )
    assert (
        not named.tool_calls and named.text == "Your name is Ada — you told me earlier in this conversation."
    )


def test_delegation_tools_route_by_the_catalogue_tools_they_name():
    schema = {"type": "object", "properties": {"request": {"type": "string"}}}

    def skill(name: str, description: str) -> dict:
        return {
            "type": "function",
            "function": {"name": name, "description": description, "parameters": schema},
        }

    tools = [
        skill(
            "ask_notes", "Delegate — Notes: explain(topic, section?) — Explain a topic; list_topics(group?)"
        ),
        skill("ask_information_theory", "Delegate — entropy(p, base?); kl_divergence(p, q, base?)"),
        skill("ask_training_diagnostics", "Delegate — diagnose_training(train_loss, val_loss)"),
    ]
    for text, expected in (
        ("What is LoRA?", "ask_notes"),
        ("KL between [0.5, 0.5] and [0.9, 0.1]", "ask_information_theory"),
        ("diagnose my training please", "ask_training_diagnostics"),  # the specialist asks for the curves
        ("训练损失 2.0、1.5、1.0，验证损失 2.1、1.8、1.9", "ask_training_diagnostics"),
    ):
        assert reply(tools, user(text)).tool_calls == [(expected, {})], text


def test_tool_choice_none_required_and_forced(catalogue_specs):
    brain = OfflineBrain()
    assert (
        brain.respond([user("entropy of [0.5, 0.5]")], catalogue_specs, tool_choice="none").tool_calls == []
    )
    required = brain.respond([user("hello")], catalogue_specs, tool_choice="required")
    assert required.tool_calls and required.text is None
    forced = {"type": "function", "function": {"name": "conv2d_params"}}
    ((name, _),) = brain.respond(
        [user("entropy of [0.5, 0.5]")], catalogue_specs, tool_choice=forced
    ).tool_calls
    assert name == "conv2d_params"


@pytest.mark.parametrize(
    ("question", "tool"),
    [
        ("kl(p||q) with p = [0.4, 0.6] and q = [0.5, 0.5]", "kl_divergence"),
        ("What's the relative entropy of P=[0.3, 0.7] w.r.t. Q=[0.6, 0.4]?", "kl_divergence"),
        ("IoU between box [0, 0, 10, 10] and box [5, 5, 15, 15]?", "detection_metrics"),
        ("训练 GAN 用什么优化器比较好？", "recommend_optimizer"),
    ],
)
def test_loose_wordings_reach_the_tool(catalogue_specs, question, tool):
    assert [name for name, _ in reply(catalogue_specs, user(question)).tool_calls] == [tool]


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("为什么要用warmup", "optimizers"),
        ("flops vs macs — is 1 MAC = 2 FLOPs?", "model-complexity"),
        ("why do my gradients explode and what can I do about it", "vanishing-exploding-gradients"),
    ],
)
def test_ideas_without_values_go_to_the_notes(catalogue_specs, question, topic):
    assert reply(catalogue_specs, user(question)).tool_calls == [("explain", {"topic": topic})]


@pytest.mark.parametrize(
    ("question", "tool"),
    [
        ("can you compute a cross entropy for me?", "cross_entropy"),
        ("is my model overfitting? can you check my loss curves", "diagnose_training"),
    ],
)
def test_a_request_to_run_a_tool_asks_for_its_values_though_it_names_an_idea(catalogue_specs, question, tool):
    ((name, arguments),) = reply(catalogue_specs, user(question)).tool_calls
    assert name == "ask_user" and arguments["question"].startswith(f"To run `{tool}` I need:")


def test_who_am_i_in_chinese_and_a_unit_the_user_uses(catalogue_specs):
    answer = reply(
        catalogue_specs, user("我叫小王"), {"role": "assistant", "content": "很高兴认识你"}, user("我是谁？")
    )
    assert "小王" in (answer.text or "")
    ((name, arguments),) = reply(
        catalogue_specs,
        user("I use bits"),
        {"role": "assistant", "content": "Noted"},
        user("entropy of [0.5, 0.5]"),
    ).tool_calls
    assert name == "entropy" and arguments["base"] == "2"


def test_a_chinese_question_is_searched_in_the_notes_with_its_english_words_too(catalogue_specs):
    assert reply(catalogue_specs, user("训练loss一直降，验证loss先降后升，怎么办")).tool_calls == [
        ("explain", {"topic": "overfitting"})
    ]


def test_compute_bound_is_no_request_to_compute(catalogue_specs):
    question = "explain the roofline model — why is LLM decoding memory-bound while prefill is compute-bound?"
    assert reply(catalogue_specs, user(question)).tool_calls == [("explain", {"topic": "roofline"})]


def test_every_model_of_a_comparison_is_counted(catalogue_specs):
    calls = reply(catalogue_specs, user("resnet34 vs resnet50 flops")).tool_calls
    assert calls == [("model_complexity", {"model": "resnet34"}), ("model_complexity", {"model": "resnet50"})]
    (name, arguments), *_ = reply(catalogue_specs, user("densenet121 和 resnet50 哪个参数少？")).tool_calls
    assert name == "compare_models" and arguments["models"] == ["densenet121", "resnet50"]
    assert reply(
        catalogue_specs, user("resnet50 vs resnet101: why is the deeper one better?")
    ).tool_calls == [("explain", {"topic": "resnet"})]
