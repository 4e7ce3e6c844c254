"""Dialogue state read from the messages: the newest request, the previous turn's calls, a pending question,
and what the user said about themselves (in this conversation or in recalled memories)."""

from __future__ import annotations

import json

from agents.models.offline.state import read_state


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def called(call_id: str, name: str, arguments: dict, result: dict) -> list[dict]:
    function = {"name": name, "arguments": json.dumps(arguments)}
    return [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": call_id, "type": "function", "function": function}],
        },
        {"role": "tool", "tool_call_id": call_id, "content": json.dumps(result)},
        {"role": "assistant", "content": "answer"},
    ]


def test_the_previous_turns_calls_without_memory_or_questions():
    messages = [
        user("entropy of [0.5, 0.5]"),
        *called("a", "entropy", {"p": [0.5, 0.5]}, {"entropy": 0.69}),
        *called("b", "remember", {"text": "x"}, {"id": 1}),
        user("now in bits"),
    ]
    state = read_state(messages)
    assert state.request == "now in bits" and state.history == ["entropy of [0.5, 0.5]"]
    assert [(c.name, c.arguments, c.request) for c in state.last_calls] == [
        ("entropy", {"p": [0.5, 0.5]}, "entropy of [0.5, 0.5]")
    ]


def test_a_question_this_model_asked_is_pending():
    messages = [
        user("entropy please"),
        {"role": "assistant", "content": "To run `entropy` I need: p"},
        user("[0.5, 0.5]"),
    ]
    pending = read_state(messages).pending
    assert pending is not None and (pending.tool, pending.request) == ("entropy", "entropy please")
    assert read_state([user("hello"), {"role": "assistant", "content": "Hi!"}, user("x")]).pending is None


def test_name_and_preferences_from_the_conversation_newer_wins():
    state = read_state(
        [user("Hi! My name is Mei and I prefer answers in bits"), user("call me May"), user("hi")]
    )
    assert state.name == "May" and state.preferences == {"unit": "bits"}


def test_a_question_about_the_name_is_not_a_name():
    assert read_state([user("我叫什么名字？")]).name is None
    assert read_state([user("I am training a model")]).name is None


def test_name_and_preferences_from_recalled_memories():
    system = {
        "role": "system",
        "content": "Possibly relevant long-term memories (may be outdated):\n"
        "- [memory 3, preference] I prefer nats\n- [memory 4, fact] my name is Ada",
    }
    state = read_state([system, user("entropy of [0.5, 0.5]")])
    assert state.memories == [(3, "preference", "I prefer nats"), (4, "fact", "my name is Ada")]
    assert state.name == "Ada" and state.preferences == {"unit": "nats"}


def test_the_language_follows_the_message_unless_the_user_asked_for_one():
    assert read_state([user("什么是 LoRA？")]).language == "zh"
    assert read_state([user("please always answer in chinese"), user("what is LoRA?")]).language == "zh"
