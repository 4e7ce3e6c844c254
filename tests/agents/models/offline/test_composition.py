"""Answer composition: the quantity asked for first, in the user's language; notes answered from the section
that answers; memories told back as sentences; replies without a tool."""

from __future__ import annotations

import json

from agents.models.offline.headline import headline, headline_fields, quantity
from agents.models.offline.memory_answers import memory_answer, second_person
from agents.models.offline.notes import note_index
from agents.models.offline.notes_answers import answer_from_notes, excerpt
from agents.models.offline.phrases import phrases_for
from agents.models.offline.replies import cannot, greeting, question
from agents.models.offline.state import read_state
from tools.catalog import call_tool

EN, ZH = phrases_for("en"), phrases_for("zh")


def result(tool: str, arguments: dict) -> dict:
    return json.loads(call_tool(tool, arguments).model_dump_json())


def test_the_fields_asked_for_come_first():
    vgg = result("model_complexity", {"model": "vgg16"})
    assert headline_fields("model_complexity", vgg, "VGG16 parameter count and FLOPs?") == ["params", "flops"]
    kl = result("kl_divergence", {"p": [0.5, 0.5], "q": [0.9, 0.1]})
    assert headline_fields("kl_divergence", kl, "KL divergence of p and q")[:2] == ["kl_pq", "kl_qp"]


def test_counts_are_exact_and_short_in_each_language():
    # torchvision VGG16_Weights.meta: 138,357,544 parameters
    assert quantity("params", 138_357_544, {}, EN) == "138,357,544 (138.4 M)"
    assert quantity("params", 138_357_544, {}, ZH) == "138,357,544 (约 1.38 亿)"
    assert quantity("total_gib", 17.00611, {}, EN) == "17.01 GiB"
    assert quantity("entropy", 1.0, {"unit": "bits"}, EN) == "1 bit"


def test_an_outcome_flag_is_said_with_the_bound_it_was_checked_against():
    data = {"total_gib": 17.0, "gpu_memory_gb": 16.0, "fits": False}
    line = headline("finetune_memory", data, request="can I?", arguments={"gpu_memory_gb": 16.0}, table=EN)
    assert line == "**finetune_memory**: total_gib = 17 GiB; **does not fit (gpu_memory_gb = 16)**"
    zh = headline(
        "finetune_memory", {**data, "fits": True}, request="", arguments={"gpu_memory_gb": 16.0}, table=ZH
    )
    assert zh == "**finetune_memory**：总显存 = 17 GiB；**放得下 (显存 = 16 GB)**"


def test_a_preferred_unit_is_said_when_the_request_did_not_ask_for_it():
    state = read_state(
        [{"role": "user", "content": "I prefer bits"}, {"role": "user", "content": "entropy of it"}]
    )
    data = {"entropy": 1.0, "unit": "bits"}
    line = headline("entropy", data, request="entropy of it", arguments={}, table=EN, state=state)
    assert line == "**entropy**: 1 bit — in bits, as you prefer"
    asked = headline("entropy", data, request="entropy in bits", arguments={}, table=EN, state=state)
    assert "as you prefer" not in asked


def test_a_note_answer_leads_with_the_summary_then_the_section_that_answers():
    clip = note_index().get("clip")
    answer = answer_from_notes([clip], "How does CLIP learn to match images with captions?", "en")
    blocks = answer.split("\n\n")
    assert blocks[0] == "**CLIP: contrastive language-image pre-training (图文对比预训练)**"
    assert blocks[1] == clip.summary and blocks[2].startswith("**Training**")
    assert "Full note: `notes://clip`" in answer and len(answer) < 2500


def test_a_comparison_answer_has_both_notes():
    notes = [note_index().get("blip"), note_index().get("clip")]
    answer = answer_from_notes(notes, "BLIP vs CLIP", "zh")
    assert "**BLIP and BLIP-2" in answer and "**CLIP:" in answer and answer.count("完整笔记：") == 2


def test_an_excerpt_keeps_the_blocks_that_share_words_with_the_question():
    text = "Alpha beta.\n\n- gamma delta\n\n- the answer is epsilon\n\n| a | b |\n|---|---|\n| epsilon | 1 |"
    shown = excerpt(text, "what about epsilon?", budget=64)  # room for the two matching blocks, then more
    assert shown == "- the answer is epsilon\n\n| a | b |\n|---|---|\n| epsilon | 1 |"
    assert excerpt(text, "nothing matches", budget=30) == "Alpha beta.\n\n- gamma delta"  # from the start


def test_memories_are_told_back_in_the_second_person():
    assert second_person("My name is Mei and I'm a student") == "your name is Mei and you're a student"
    content = json.dumps(
        {"query": "user", "count": 1, "memories": [{"id": 1, "text": "I train on 4 A100 GPUs"}]}
    )
    assert memory_answer("recall", {"query": "user name prefer"}, content, EN) == (
        "Here is what I remember: you train on 4 A100 GPUs."
    )
    assert memory_answer("recall", {"query": "显卡"}, json.dumps({"memories": []}), ZH).startswith(
        "我还没有记住关于“显卡”"
    )
    assert memory_answer("remember", {"text": "x"}, json.dumps({"id": 7, "text": "x"}), EN) == (
        "Noted — I'll remember that: “x” (memory 7)."
    )


def test_replies_without_a_tool(views):
    offered = list(views.values())
    hello = greeting(ZH, offered, name="小明", text="你好")
    assert hello.startswith("你好，小明！") and hello.count("\n- ") == 3
    assert greeting(EN, offered, name=None, text="thanks!") == EN.thanks
    assert cannot(EN, offered).count("“") == 2 and "\n" not in cannot(EN, offered)
    asked = question(ZH, views["entropy"], [views["entropy"].slot("p")])
    assert asked.startswith("要运行 `entropy`，我还需要：\n- **p** — 概率分布 p")  # said in Chinese
