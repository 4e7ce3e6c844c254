"""The GPU a student names and how many: counts written onto the card ("4x4090", "8xH100", "2*A100"), a memory
size between the count and the card ("two 48gb cards"), the card in the fine-tuning tool's ``gpu`` slot, and
a GPU alone for the roofline — in English and Chinese."""

from __future__ import annotations

import pytest

from agents.models.offline.language import prepare
from agents.models.offline.mentions import read_mentions
from agents.models.offline.reading import enum_words, known_names, read
from agents.models.offline.slots import fill


def filled(views, tool: str, text: str):
    offered = list(views.values())
    return fill(views[tool], read(prepare(text), known_names(offered), enum_words(offered)))


@pytest.mark.parametrize(
    ("text", "count", "gpu"),
    [
        ("does llama-3.1-70b in int4 fit on 4x4090?", 4, "rtx-4090"),
        ("llama-3.1-405b fp8 on 8xH100", 8, "h100"),
        ("2*A100 for llama-3.1-70b bf16", 2, "a100"),
        ("双卡 4090 跑 qwen2.5-32b int4", 2, "rtx-4090"),
        ("四卡 3090 跑 llama-2-13b", 4, "rtx-3090"),
    ],
)
def test_a_count_written_onto_the_card_is_the_gpu_count(views, text, count, gpu):
    found = filled(views, "llm_inference_memory", text)
    assert found.arguments["num_gpus"] == count and found.arguments["gpu"] == gpu


def test_a_memory_size_between_the_count_and_the_cards_leaves_the_count_to_the_cards(views):
    found = filled(views, "llm_inference_memory", "can I serve llama-3.1-70b in fp16 on two 48gb cards?")
    assert found.arguments["num_gpus"] == 2 and found.arguments["gpu_memory_gb"] == 48
    for written in ("2 x 24GB GPUs", "2x24GB cards"):  # a count times a memory size is no size
        ft = filled(views, "finetune_memory", f"lora on llama-2-13b with {written}")
        assert ft.arguments["num_gpus"] == 2 and ft.arguments["gpu_memory_gb"] == 24, written


def test_a_counted_card_is_no_size_but_a_real_size_still_is():
    offered = frozenset({"rtx4090", "rtx3090", "a100"})
    counted = read_mentions("fit on 4x4090?", offered)
    assert counted.sizes == [] and [n.value for n in counted.numbers] == [4]
    matrix = read_mentions("a 4x4096 matmul", offered)  # 4096 is no card's model number
    assert [size.parts for size in matrix.sizes] == [(4, 4096)]
    image = read_mentions("224x224 images", offered)
    assert [size.parts for size in image.sizes] == [(224, 224)]


@pytest.mark.parametrize(
    ("text", "gpu", "method"),
    [
        ("can i full finetune llama-2-7b with adamw in bf16 on a single 4090?", "rtx-4090", "full"),
        ("Will LoRA on llama-3-8b fit on my RTX 3090?", "rtx-3090", "lora"),
        ("3090 上 qlora 微调 llama-2-13b 显存够吗", "rtx-3090", "qlora"),
        ("A100 40GB 上 llama-3-8b 全参微调放得下吗", "a100-40gb", "full"),
    ],
)
def test_the_fine_tuning_tool_takes_the_card_by_name(views, text, gpu, method):
    found = filled(views, "finetune_memory", text)
    assert found.arguments["gpu"] == gpu and found.arguments["method"] == method
    assert found.missing == []


def test_a_gpu_alone_is_a_complete_roofline_request(views):
    found = filled(views, "roofline", "ridge point of an L4 gpu (bf16)?")
    assert found.arguments == {"gpu": "l4", "dtype": "bf16"} and found.missing == []
    assert filled(views, "roofline", "H200 的屋脊点是多少").missing == []
