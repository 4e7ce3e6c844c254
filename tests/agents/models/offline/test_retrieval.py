"""Retrieval: which note a question is about (BM25 over names, titles, headings and text, both languages),
which section answers it, and which offered tool a request is about."""

from __future__ import annotations

import pytest

from agents.models.offline.language import prepare
from agents.models.offline.notes import note_index, terms
from agents.models.offline.reading import known_names, read
from agents.models.offline.retrieval import rank_tools


def test_terms_are_stemmed_words_identifiers_and_chinese_bigrams():
    assert terms("ResNet-50 initialised the training") == ["resnet", "50", "resnet50", "initial", "train"]
    assert terms("梯度消失") == ["梯度", "度消", "消失"]


@pytest.mark.parametrize(
    ("question", "slug"),
    [
        ("How does CLIP learn to match images with captions?", "clip"),
        ("What makes something an 'agent' rather than just an LLM call?", "agent"),
        ("Why does my validation loss go up while the training loss keeps going down?", "overfitting"),
        ("为什么会梯度消失", "vanishing-exploding-gradients"),
        ("什么是过拟合，怎么解决", "overfitting"),
        ("explain the inception module", "googlenet"),
        ("what is the energy score for OOD detection", "ood"),
    ],
)
def test_the_best_note_for_a_question(question, slug):
    assert note_index().search(question)[0].note.slug == slug


def test_notes_a_question_names_in_order_and_longer_names_first():
    named = [note.slug for _, note in note_index().named("BLIP vs CLIP, and the LoRA paper, and QLoRA")]
    assert named == ["blip", "clip", "lora", "qlora"]
    assert [n.slug for _, n in note_index().named("Adam 和 AdamW 有什么区别")] == ["optimizers"]
    assert [n.slug for _, n in note_index().named("Why do LSTMs forget?")] == ["lstm"]  # plural


def test_a_word_most_notes_use_does_not_name_a_note():
    assert note_index().named("how many parameters does it have") == []
    assert [n.slug for _, n in note_index().named("parameters", generic_too=True)] == ["model-complexity"]


@pytest.mark.parametrize(
    ("slug", "question", "heading"),
    [
        ("clip", "How does CLIP learn to match images with captions?", "Training"),
        ("protocols", "how do MCP and A2A differ?", "How they differ"),
        ("gan", "What is mode collapse in GANs?", "Failure modes"),
        ("lora", "Why is B initialised to zero in LoRA?", "The method"),
        ("losses", "What is focal loss good for?", "Classification (分类)"),
        ("vanishing-exploding-gradients", "梯度爆炸怎么办", "Remedies"),
    ],
)
def test_the_section_that_answers(slug, question, heading):
    from agents.models.offline.intent import read_cues
    from agents.models.offline.notes_answers import answer_from_notes

    note = note_index().get(slug)
    hints = read_cues(question).hints
    ranked = [section.heading for _, section in note_index().rank_sections(note, question, hints)]
    assert heading in ranked[:2]  # the best, or a close second shown beside it
    assert f"**{heading}**" in answer_from_notes([note], question, "en", hints)


def test_a_question_pointing_nowhere_in_a_note_gets_its_opening():
    from agents.models.offline.notes_answers import answer_from_notes

    note = note_index().get("clip")
    assert note_index().rank_sections(note, "tell me about clip") == []
    assert note_index().best_section(note, "tell me about clip").heading == "Training"
    assert "**Training**" in answer_from_notes([note], "tell me about clip", "en")


def test_a_section_is_chosen_by_its_words_not_by_the_notes_name():
    note = note_index().get("clip")
    # "CLIP" is in the heading "Where CLIP is used", but every section is about CLIP
    assert note_index().term_weight(note, "clip") == 0.0
    assert note_index().best_section(note, "what is CLIP bad at", ("limitations",)).heading == "Limitations"
    # a Chinese term of the title that titles a section of its own still points at it
    parallelism = note_index().get("parallelism")
    best = note_index().best_section(parallelism, "张量并行为什么需要 NVLink")
    assert best.heading.startswith("Tensor parallelism")


@pytest.mark.parametrize(
    ("request_text", "tool"),
    [
        ("KL divergence between p=[0.5, 0.5] and q=[0.9, 0.1]", "kl_divergence"),
        ("How many parameters does a conv2d layer with a 3x3 kernel have?", "conv2d_params"),
        ("googlenet parameters and flops", "model_complexity"),
        ("resnet34 vs resnet50: which has more parameters?", "compare_models"),
        ("How much GPU memory to fine-tune llama-7b with QLoRA?", "finetune_memory"),
        ("计算分布 [0.5, 0.5] 的信息熵", "entropy"),
        ("用低秩适配微调 bert-base 要训练多少参数？", "peft_trainable_params"),
        ("推荐一个优化器：transformer 模型，NLP 任务", "recommend_optimizer"),
        ("llama-3-70b 推理要多少显存？", "llm_inference_memory"),  # 推理 is inference, not fine-tuning
        ("两张 A100 跑 llama-3-70b 推理，每张卡显存多少？", "llm_inference_memory"),
    ],
)
def test_the_best_tool_for_a_request(views, request_text, tool):
    offered = list(views.values())
    reading = read(prepare(request_text), known_names(offered))
    assert rank_tools(reading, offered)[0].tool.name == tool
