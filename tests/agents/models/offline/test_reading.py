"""Reading a message: normalisation, language, and the values it writes down (mentions), in both languages."""

from __future__ import annotations

import pytest

from agents.models.offline.language import MAX_CHARS, language_of, prepare
from agents.models.offline.mentions import read_mentions


def test_full_width_and_cjk_punctuation_become_ascii():
    assert prepare("计算［０.５，０.５］、单位：比特。") == "计算[0.5,0.5],单位:比特. "
    assert prepare("−1.0") == "-1.0"


def test_prepare_keeps_only_the_first_max_chars():
    assert len(prepare("a" * (MAX_CHARS * 3))) == MAX_CHARS


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("What is 信息熵?", "en"),  # an English question about a Chinese term
        ("用 QLoRA 微调 7B 模型需要多少显存？", "zh"),
        ("explain LoRA", "en"),
        ("解释一下过拟合", "zh"),
    ],
)
def test_the_language_is_the_one_most_of_the_message_is_in(text, language):
    assert language_of(text) == language


def values(text: str) -> dict:
    found = read_mentions(prepare(text))
    return {
        "numbers": [(n.value, n.scale, n.unit) for n in found.numbers],
        "sizes": [s.parts for s in found.sizes],
        "vectors": [v.values for v in found.vectors],
        "structures": [s.value for s in found.structures],
        "names": [n.text for n in found.names],
    }


def test_unbracketed_runs_are_lists_however_they_are_separated():
    assert values("train loss 2.1, 1.5, 1.0 and val 1.0 0.6 0.4")["vectors"] == [
        (2.1, 1.5, 1.0),
        (1.0, 0.6, 0.4),
    ]
    assert values("训练损失 1.2、0.8、0.5")["vectors"] == [(1.2, 0.8, 0.5)]
    assert values("loss 1.0, 0.5, nan, inf")["vectors"] == [(1.0, 0.5, None, float("inf"))]


def test_two_numbers_are_a_list_only_when_a_comma_joins_them():
    assert values("val loss 2.2, 1.7")["vectors"] == [(2.2, 1.7)]
    assert values("kernel 5 and stride 1")["vectors"] == []


def test_brackets_hold_lists_matrices_and_objects():
    found = values('logits [[1, 2], [3, 4]] and layers [{"type": "relu"}] and p=[0.5, 0.5]')
    assert found["vectors"] == [(0.5, 0.5)]
    assert found["structures"] == [[[1, 2], [3, 4]], [{"type": "relu"}]]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("a 7B model", (7.0, "b", "model")),
        ("on a 24 GB GPU", (24.0, "", "gb")),
        ("24G 的卡", (24.0, "g", "的卡")),
        ("参数量小于 3 亿", (3.0, "亿", "")),
        ("under 5M", (5.0, "m", "")),
        ("a 20-layer MLP", (20.0, "", "layer")),
        ("1,000,000 parameters", (1_000_000.0, "", "parameters")),
    ],
)
def test_a_number_keeps_its_scale_and_the_word_after_it(text, number):
    assert values(text)["numbers"] == [number]


def test_sizes_and_shapes():
    assert values("a 5×5 kernel on 224x224 images, input 3x224x224")["sizes"] == [
        (5, 5),
        (224, 224),
        (3, 224, 224),
    ]


def test_names_however_they_are_spelled_and_never_quantities():
    found = values(
        "VGG16's FLOPs vs resnet50, ViT-B/16, mobilenet_v2 and llama-2-7b on a 7B, 24GB, 3x3 budget"
    )
    assert found["names"] == ["VGG16", "resnet50", "ViT-B/16", "mobilenet_v2", "llama-2-7b"]
    assert read_mentions("googlenet params", frozenset({"googlenet"})).names[0].text == "googlenet"


def test_a_name_is_not_read_as_a_number():
    assert values("ResNet-50 and vgg-16")["numbers"] == []
