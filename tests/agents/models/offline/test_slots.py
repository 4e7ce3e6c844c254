"""Slot filling against a tool's JSON schema, one kind of value at a time, in English and Chinese."""

from __future__ import annotations

import pytest

from agents.models.offline.language import prepare
from agents.models.offline.reading import enum_words, known_names, read
from agents.models.offline.slots import fill


def filled(views, tool: str, text: str):
    offered = list(views.values())
    return fill(views[tool], read(prepare(text), known_names(offered), enum_words(offered)))


def test_bracketed_lists_go_to_the_slot_their_words_name(views):
    found = filled(views, "kl_divergence", "KL with q=[0.9, 0.1] against the reference p [0.5, 0.5]")
    assert found.arguments == {"p": [0.5, 0.5], "q": [0.9, 0.1]}


def test_unbracketed_runs_fill_lists(views):
    found = filled(views, "diagnose_training", "train loss is 1.0 0.6 0.4 0.3 and val loss 1.1 0.9 0.95 1.2")
    assert found.arguments == {"train_loss": [1, 0.6, 0.4, 0.3], "val_loss": [1.1, 0.9, 0.95, 1.2]}
    chinese = filled(views, "diagnose_training", "训练损失 1.2、0.8、0.5，验证损失 1.3、1.0、0.9")
    assert chinese.arguments == {"train_loss": [1.2, 0.8, 0.5], "val_loss": [1.3, 1, 0.9]}


def test_several_lists_for_a_matrix_are_its_rows(views):
    found = filled(
        views, "ood_detect", "logits [8.0, 0.5, 0.2] for one image and [1.1, 1.0, 0.9] for another"
    )
    assert found.arguments == {"logits": [[8, 0.5, 0.2], [1.1, 1, 0.9]]}


def test_several_lists_for_one_vector_are_one_call_each(views):
    found = filled(views, "entropy", "entropy in bits of [0.5, 0.5] and of [0.9, 0.1]")
    assert found.arguments == {"p": [0.5, 0.5], "base": "2"}
    assert found.samples == [{"p": [0.9, 0.1], "base": "2"}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("conv with a 5×5 kernel, 3 input channels and 32 output channels", {"kernel_size": 5}),
        ("3x3 kernels, 16 input channels and 32 filters", {"kernel_size": 3, "out_channels": 32}),
        ("卷积核5×5、输入通道3、输出通道32", {"kernel_size": 5, "in_channels": 3, "out_channels": 32}),
        ("a 1x1 convolution from 256 to 64 channels without bias", {"in_channels": 256, "out_channels": 64}),
        ("Conv2d(3, 64, kernel_size=3)", {"in_channels": 3, "out_channels": 64, "kernel_size": 3}),
        ("1x1 conv 256→64, no bias", {"kernel_size": 1, "bias": False}),
    ],
)
def test_sizes_channels_and_call_syntax(views, text, expected):
    arguments = filled(views, "conv2d_params", text).arguments
    assert {key: arguments.get(key) for key in expected} == expected


def test_an_image_size_is_an_input_size_not_a_batch(views):
    found = filled(
        views, "model_complexity", "What are VGG16's parameter count and FLOPs for a 224x224 image?"
    )
    assert found.arguments == {"model": "VGG16", "input_size": 224}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a 7B model on a 24 GB GPU, batch size 4",
            {"params_billion": 7, "gpu_memory_gb": 24, "batch_size": 4},
        ),
        ("24G 的卡能用 QLoRA 微调 llama-7b 吗", {"gpu_memory_gb": 24, "method": "qlora", "base": "llama-7b"}),
        ("Can I fully fine-tune llama-7b on a 16 GB card?", {"method": "full", "gpu_memory_gb": 16}),
    ],
)
def test_units_scales_and_inflected_choices(views, text, expected):
    arguments = filled(views, "finetune_memory", text).arguments
    assert {key: arguments.get(key) for key in expected} == expected


def test_a_choice_named_the_way_the_notes_name_it(views):
    assert filled(views, "peft_trainable_params", "用低秩适配微调 bert-base").arguments == {
        "method": "lora",
        "base": "bert-base",
    }
    assert (
        filled(views, "peft_trainable_params", "low-rank adaptation of gpt2-small").arguments["method"]
        == "lora"
    )


def test_words_the_description_ties_to_a_choice(views):
    assert filled(views, "entropy", "entropy of [0.5, 0.5] in bits").arguments["base"] == "2"
    assert filled(views, "entropy", "[0.5, 0.5] 的信息熵，单位比特").arguments["base"] == "2"


def test_booleans_with_and_without_a_negation(views):
    assert filled(views, "rnn_params", "a bidirectional LSTM, input 10, hidden 20").arguments["bidirectional"]
    assert filled(views, "linear_params", "784 to 10 without bias").arguments["bias"] is False
    # a hyphen inside the word is no break in it
    assert filled(views, "rnn_params", "bi-directional LSTM, input 300, hidden 128").arguments[
        "bidirectional"
    ]


def test_a_layer_count_is_a_depth(views):
    found = filled(views, "gradient_flow", "a 20-layer MLP, 64 units wide, sigmoid")
    assert found.arguments == {"depth": 20, "width": 64, "activation": "sigmoid"}


def test_names_in_any_spelling_and_a_list_of_them(views):
    assert filled(views, "model_complexity", "googlenet parameters").arguments == {"model": "googlenet"}
    assert filled(views, "compare_models", "resnet34 vs resnet50").arguments == {
        "models": ["resnet34", "resnet50"]
    }


def test_a_choice_is_not_a_model_name(views):
    assert "models" not in filled(views, "compare_models", "how many params does IA3 train?").arguments


def test_a_missing_value_is_reported_never_invented(views):
    found = filled(views, "gradient_flow", "a 20-layer MLP with sigmoid activation")
    assert [slot.name for slot in found.missing] == ["width"]
    # "Model size in billions, instead of base": one of the two is needed though the schema requires neither
    assert [slot.name for slot in filled(views, "finetune_memory", "QLoRA please").missing] == ["base"]


def test_a_lone_number_for_a_list_of_labels(views):
    found = filled(views, "classification_loss", "loss of logits [1.0, 2.0, 3.0] if the true class is 2")
    assert found.arguments == {"logits": [[1, 2, 3]], "labels": [2]}


def test_a_family_written_apart_from_its_version_is_one_name(views):
    assert filled(views, "model_complexity", "resnet 101 params").arguments == {"model": "resnet 101"}
    assert filled(views, "model_complexity", "vit b16 flops?").arguments == {"model": "vit b16"}
    assert filled(views, "model_complexity", "mobilenet v3 small 参数量").arguments == {
        "model": "mobilenet v3 small"
    }
    # a layer type or a number format is no family: "conv2d 3" is a layer and a number
    assert filled(views, "conv2d_params", "conv2d 3 to 64 channels kernel 3").arguments == {
        "kernel_size": 3,
        "in_channels": 3,
        "out_channels": 64,
    }


def test_a_boolean_said_with_its_value_and_a_chinese_negation(views):
    assert (
        filled(views, "conv2d_params", "3 -> 64 channels, 3x3 kernel, bias=False").arguments["bias"] is False
    )
    assert filled(views, "linear_params", "输入 256 输出 10，不要 bias").arguments["bias"] is False


def test_units_written_as_the_logarithm_and_its_base(views):
    assert filled(views, "entropy", "[0.6,0.4]的熵，用log2算").arguments["base"] == "2"
    assert filled(views, "entropy", "熵 [0.5,0.5] 底数为2").arguments["base"] == "2"


def test_chinese_counts_and_hidden_size(views):
    found = filled(views, "rnn_params", "两层的 GRU，输入 32 维，隐藏层 64")
    assert found.arguments == {"kind": "gru", "input_size": 32, "hidden_size": 64, "num_layers": 2}


def test_a_list_of_four_numbers_is_a_box(views):
    found = filled(views, "detection_metrics", "IoU between box [0, 0, 10, 10] and box [5, 5, 15, 15]")
    assert found.arguments == {
        "predictions": [{"box": [0, 0, 10, 10]}],
        "ground_truth": [{"box": [5, 5, 15, 15]}],
    }


def test_scientific_notation_is_a_number_not_a_name(views):
    found = filled(views, "learning_rate_sweep", "sweep lr 1e-4, 1e-3 and 1e-2 for sgd")
    assert found.arguments == {"optimizer": "sgd", "lrs": [0.0001, 0.001, 0.01]}


@pytest.mark.parametrize(
    ("text", "budget"),
    [
        ("Compare MobileNetV2 and ResNet-18 with at most 5 million params", {"max_params_millions": 5.0}),
        ("compare resnet18 and mobilenet_v2 under 5M parameters", {"max_params_millions": 5.0}),
        ("比较 resnet18 和 mobilenet_v2，参数量小于5M", {"max_params_millions": 5.0}),
        ("compare resnet18, vgg16 and mobilenet_v2 under 2 GMACs", {"max_gmacs": 2.0}),
        ("compare resnet18 and vgg16 under 300M MACs", {"max_gmacs": 0.3}),
    ],
)
def test_a_stated_bound_fills_the_budget_slot_of_its_quantity_in_the_slots_unit(views, text, budget):
    found = filled(views, "compare_models", text)
    assert {name: found.arguments.get(name) for name in budget} == budget  # hand: 5e6 / 1e6; 3e8 / 1e9
    assert "input_size" not in found.arguments  # the bound's number is not read as another value


def test_a_lower_bound_is_no_budget_and_a_tool_without_one_gets_none(views):
    found = filled(views, "compare_models", "compare resnet18 and vgg16, more than 5M params")
    assert "max_params_millions" not in found.arguments
    plain = filled(views, "conv2d_params", "conv2d params with 64 in and 128 out channels, under 5M params")
    assert not any(name.startswith(("max_", "min_")) for name in plain.arguments)


# ------------------------------------------------------- numbers, counts and named items (numbers set)


def test_a_count_in_words_is_the_gpu_count_and_a_plural_gpu_is_the_gpu(views):
    found = filled(views, "llm_inference_memory", "will llama-3.1-70b in 4bit fit on two 3090s?")
    assert found.arguments["num_gpus"] == 2 and found.arguments["gpu"] == "rtx-3090"
    pair = filled(views, "llm_inference_memory", "a pair of H100s for llama-3.1-70b with 32k context")
    assert pair.arguments["num_gpus"] == 2 and pair.arguments["context_len"] == 32768
    times = filled(views, "llm_inference_memory", "llama-3.1-70b int4 on 2x 3090")
    assert times.arguments["num_gpus"] == 2


def test_concurrency_is_the_batch_and_tokens_each_the_context(views):
    found = filled(views, "llm_inference_memory", "32 concurrent users at 2k tokens each on llama-3-8b")
    assert found.arguments["batch_size"] == 32 and found.arguments["context_len"] == 2048
    chinese = filled(views, "llm_inference_memory", "并发 16 路，每路 2k 上下文，llama-2-7b 的 KV cache 多大")
    assert chinese.arguments["batch_size"] == 16 and chinese.arguments["context_len"] == 2048


def test_a_uniform_distribution_is_built_from_its_count(views):
    assert filled(views, "entropy", "entropy of 8 equally likely classes").arguments["p"] == [0.125] * 8
    assert filled(views, "entropy", "10 个类别等概率，熵是多少").arguments["p"] == [0.1] * 10
    assert len(filled(views, "entropy", "一个公平骰子的熵是多少比特？").arguments["p"]) == 6
    assert filled(views, "entropy", "entropy of the sum of two fair dice").missing  # not uniform: asked for


def test_two_outcomes_with_one_probability_are_that_and_its_complement(views):
    assert filled(views, "entropy", "entropy of a coin with p=0.9 in bits").arguments["p"] == [0.9, 0.1]
    assert filled(views, "entropy", "entropy of bernoulli(0.3)?").arguments["p"] == [0.3, 0.7]
    assert filled(views, "entropy", "正面概率 80% 的硬币，熵是多少").arguments["p"] == [0.8, 0.2]


def test_the_correct_class_probability_is_a_one_hot_cross_entropy(views):
    found = filled(views, "cross_entropy", "cross entropy if the model gives 0.7 to the right class")
    assert found.arguments == {"p": [1, 0], "q": [0.7, 0.3]}
    chinese = filled(views, "cross_entropy", "正确类别概率 80%，交叉熵损失多少")
    assert chinese.arguments == {"p": [1, 0], "q": [0.8, 0.2]}


def test_percent_runs_and_space_separated_named_pairs_are_lists(views):
    found = filled(views, "kl_divergence", "p 是 20% 和 80%，q 是 50% 和 50%")
    assert found.arguments == {"p": [0.2, 0.8], "q": [0.5, 0.5]}
    spaced = filled(views, "kl_divergence", "KL with p = 0.2, 0.8 and q = 0.5 0.5")
    assert spaced.arguments == {"p": [0.2, 0.8], "q": [0.5, 0.5]}


def test_versions_after_one_family_name_are_each_a_model(views):
    found = filled(views, "compare_models", "params of resnet18/34/50?")
    assert found.arguments["models"] == ["resnet18", "resnet34", "resnet50"]
    chinese = filled(views, "compare_models", "resnet 18、34、50 的参数量分别是多少")
    assert chinese.arguments["models"][1:] == ["resnet34", "resnet50"]
    assert filled(views, "model_complexity", "resnet50 MACs with 8 images").arguments["model"] == "resnet50"


def test_budgets_in_chinese_numerals_and_gmacs_after_the_quantity(views):
    found = filled(views, "compare_models", "参数量不到一千万的有哪些：resnet18、mobilenet_v2")
    assert found.arguments["max_params_millions"] == 10
    macs = filled(views, "compare_models", "计算量不超过 2 GMACs，比较 resnet18 和 densenet121")
    assert macs.arguments["max_gmacs"] == 2


def test_rank_names_r_and_lists_joined_by_and_are_learning_rates(views):
    assert filled(views, "peft_trainable_params", "rank 4 lora on bert-base").arguments["r"] == 4
    found = filled(views, "learning_rate_sweep", "try momentum sgd with lr 0.5 and 2e-1 on beale")
    assert found.arguments["lrs"] == [0.5, 0.2]


def test_a_slot_required_unless_a_flag_is_asked_for_only_without_the_flag(views):
    # conv2d_params: "C_out …; required unless depthwise"
    depthwise = filled(views, "conv2d_params", "depthwise conv 3x3 on 32 channels")
    assert depthwise.arguments == {"kernel_size": 3, "in_channels": 32, "depthwise": True}
    assert depthwise.missing == []
    plain = filled(views, "conv2d_params", "3x3 conv on 32 input channels")
    assert [slot.name for slot in plain.missing] == ["out_channels"]
    assert filled(views, "conv2d_params", "深度可分离卷积的 depthwise 部分，3x3，32 通道").missing == []
    assert filled(views, "conv2d_params", "3x3 深度卷积，32 通道，参数量").arguments["depthwise"] is True


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("二十四张 H100 跑 llama-3.1-405b 推理", 24),
        ("十六张 A100 部署 llama-3-70b", 16),
        ("16张 A100 部署 llama-3-70b", 16),
        ("两张 A100 跑 llama-3-70b 推理", 2),
    ],
)
def test_a_chinese_count_of_cards_is_read_whole(views, text, count):
    assert filled(views, "llm_inference_memory", text).arguments["num_gpus"] == count


def test_a_bare_run_of_numbers_goes_to_the_one_list_slot_that_takes_it(views):
    for text in (
        "lr sweep for plain sgd on the quadratic: 0.001, 0.01, 0.1",
        "学习率扫 1e-3、1e-2、1e-1，adam",
    ):
        assert filled(views, "learning_rate_sweep", text).arguments["lrs"] == [0.001, 0.01, 0.1]
