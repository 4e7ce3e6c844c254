"""Intent: what kind of message it is, from the language tables' cues, in English and Chinese."""

from __future__ import annotations

import pytest

from agents.models.offline.intent import Intent, classify, read_cues, wants_explanation
from agents.models.offline.state import read_state


def intent(text: str, *history: str):
    messages = [{"role": "user", "content": h} for h in history] + [{"role": "user", "content": text}]
    return classify(read_state(messages))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello!", Intent.SMALL_TALK),
        ("thanks a lot!", Intent.SMALL_TALK),
        ("你好", Intent.SMALL_TALK),
        ("谢谢你！", Intent.SMALL_TALK),
        ("What can you do?", Intent.CAPABILITIES),
        ("你能做什么？", Intent.CAPABILITIES),
        ("Hi! My name is Mei and I prefer answers in bits", Intent.INTRODUCTION),
        ("我叫小明", Intent.INTRODUCTION),
        ("What's my name?", Intent.RECALL),
        ("我叫什么名字？", Intent.RECALL),
        ("What do you remember about me?", Intent.RECALL),
        ("forget memory 7", Intent.FORGET),
        ("entropy of [0.5, 0.5]", Intent.REQUEST),
        ("What makes something an 'agent' rather than just an LLM call?", Intent.REQUEST),
    ],
)
def test_conversational_intents(text, expected):
    assert intent(text).intent is expected


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("remember that I train on 4 A100 GPUs", "I train on 4 A100 GPUs"),
        ("please remember: my GPU is a 3090", "my GPU is a 3090"),
        ("My GPU is a 3090, remember that.", "My GPU is a 3090"),
        ("记住我的显卡是 A100", "我的显卡是 A100"),
    ],
)
def test_remember_only_on_an_explicit_request_and_the_fact_is_kept(text, fact):
    message = intent(text)
    assert message.intent is Intent.REMEMBER and message.detail == fact


def test_stating_a_fact_is_not_a_request_to_remember_it():
    assert intent("I train on 4 A100 GPUs and my loss is stuck").intent is not Intent.REMEMBER


def test_a_recall_about_a_topic_keeps_the_topic():
    assert intent("what do you remember about my GPUs?").detail == "my GPUs"
    assert intent("你记得我的显卡吗？").detail == "我的显卡"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("which framework do I use?", "framework"),
        ("what GPU do i have", "GPU"),
        ("我用的什么显卡", "显卡"),
        ("我的框架是什么？", "框架"),
    ],
)
def test_a_fact_about_the_user_asked_back_is_a_recall(text, topic):
    message = intent(text)
    assert message.intent is Intent.RECALL and message.detail == topic


def test_names_in_any_latin_script_are_kept():
    assert read_state([{"role": "user", "content": "hey i'm Tomás, nice to meet u"}]).name == "Tomás"
    assert read_state([{"role": "user", "content": "my name is Zoë"}]).name == "Zoë"


@pytest.mark.parametrize(
    ("text", "concept", "quantity", "comparison", "follow_up"),
    [
        ("Why does VGG use 3x3 kernels?", True, False, False, False),
        ("How many parameters does ResNet-50 have?", False, True, False, False),
        ("BLIP vs CLIP", False, False, True, False),
        ("now give that in bits", False, False, False, True),
        ("为什么会梯度消失？", True, False, False, False),
        ("用 QLoRA 需要多少显存？", False, True, False, False),
        ("Adam 和 AdamW 有什么区别？", True, False, True, False),
        ("那 QLoRA 呢？", False, False, False, True),
    ],
)
def test_cues_of_either_language(text, concept, quantity, comparison, follow_up):
    cues = read_cues(text)
    assert (cues.concept, cues.quantity, cues.comparison, cues.follow_up) == (
        concept,
        quantity,
        comparison,
        follow_up,
    )


def test_question_words_point_at_kinds_of_sections():
    assert "why" in read_cues("Why is attention scaled?").hints
    assert "remedies" in read_cues("梯度爆炸怎么办").hints
    assert "differ" in read_cues("What is the difference between them?").hints


def test_an_idea_unless_the_request_gives_data_or_asks_a_quantity():
    cues = read_cues("What is ResNet-50?")
    assert wants_explanation(cues, computable=True, has_data=False, quantity_words=False)
    assert not wants_explanation(cues, computable=True, has_data=False, quantity_words=True)
    assert not wants_explanation(cues, computable=True, has_data=True, quantity_words=False)
    assert wants_explanation(
        read_cues("entropy please"), computable=False, has_data=False, quantity_words=True
    )
