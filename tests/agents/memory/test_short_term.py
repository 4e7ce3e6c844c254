"""Short-term memory invariants, property-tested: whole turns trimmed oldest first, the system prompt and the
newest turn always kept, tool calls never separated from their results, the budget respected."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.memory.short_term import ShortTermMemory, Turn, extractive_summary
from agents.messages import estimate_tokens

SYSTEM = [{"role": "system", "content": "You are a test."}]

text = st.text(
    alphabet=st.sampled_from(list("abcdefgh ijkl,.0123") + list("信息熵交叉")), min_size=0, max_size=120
)


@st.composite
def turns(draw, *, min_steps: int = 0) -> list[dict]:
    """One turn: a user message, some tool-call steps (each with all its results), a final answer."""
    messages = [{"role": "user", "content": draw(text)}]
    for step in range(draw(st.integers(min_steps, 3))):
        ids = [f"call_{step}_{i}" for i in range(draw(st.integers(1, 3)))]
        calls = [
            {"id": i, "type": "function", "function": {"name": "tool", "arguments": draw(text)}} for i in ids
        ]
        messages.append({"role": "assistant", "content": None, "tool_calls": calls})
        messages += [{"role": "tool", "tool_call_id": i, "content": draw(text)} for i in ids]
    messages.append({"role": "assistant", "content": draw(text)})
    return messages


def assert_tool_calls_answered(messages: list[dict]) -> None:
    for index, message in enumerate(messages):
        if message.get("tool_calls"):
            ids = [call["id"] for call in message["tool_calls"]]
            following = messages[index + 1 : index + 1 + len(ids)]
            assert [m.get("tool_call_id") for m in following] == ids
        if message["role"] == "tool":
            assert index > 0 and (
                messages[index - 1]["role"] == "tool" or messages[index - 1].get("tool_calls")
            )


def total(messages: list[dict]) -> int:
    return sum(estimate_tokens(m) for m in messages)


@settings(max_examples=150, deadline=None)
@given(
    history=st.lists(turns(), max_size=12),
    current=turns(),
    budget=st.integers(20, 1500),
    summarize=st.booleans(),
)
def test_window_invariants(history, current, budget, summarize):
    window = ShortTermMemory(budget_tokens=budget, summarize=summarize)
    for messages in history:
        window.add_turn(messages)
    rendered = window.render(SYSTEM, current)

    assert rendered[: len(SYSTEM)] == SYSTEM  # the system prompt is always first
    assert rendered[len(rendered) - len(current) :] == current  # the newest turn is always kept whole
    kept = [m for turn in window.turns for m in turn.messages]
    assert kept == [
        m for turn in history[len(history) - len(window.turns) :] for m in turn
    ]  # oldest dropped first
    assert_tool_calls_answered(rendered)
    if window.turns or window.summary:  # anything optional kept must fit the budget
        assert total(rendered) <= budget
    if summarize:
        dropped = len(history) - len(window.turns)
        lines = window.summary.splitlines() if window.summary else []
        assert len(lines) <= dropped  # one line per dropped turn at most (lines that do not fit are trimmed)
    else:
        assert window.summary is None


@settings(max_examples=50, deadline=None)
@given(history=st.lists(turns(min_steps=1), min_size=1, max_size=8), budget=st.integers(50, 800))
def test_rendering_is_stable_once_trimmed(history, budget):
    window = ShortTermMemory(budget_tokens=budget, summarize=True)
    for messages in history:
        window.add_turn(messages)
    current = [{"role": "user", "content": "next"}]
    assert window.render(SYSTEM, current) == window.render(SYSTEM, current)


def test_a_big_budget_keeps_everything_in_order():
    window = ShortTermMemory(budget_tokens=100_000)
    turns_ = [
        [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}] for i in range(5)
    ]
    for messages in turns_:
        window.add_turn(messages)
    current = [{"role": "user", "content": "now"}]
    assert window.render(SYSTEM, current) == SYSTEM + [m for t in turns_ for m in t] + current


def test_dropped_turns_are_folded_into_a_summary_message():
    window = ShortTermMemory(budget_tokens=85, summarize=True)
    window.add_turn(
        [
            {"role": "user", "content": "What is the entropy of a fair coin? " * 6},
            {"role": "assistant", "content": "One bit."},
        ]
    )
    window.add_turn([{"role": "user", "content": "thanks"}, {"role": "assistant", "content": "welcome"}])
    rendered = window.render(SYSTEM, [{"role": "user", "content": "and a die?"}])
    assert rendered[1]["role"] == "system" and rendered[1]["content"].startswith(
        "Summary of the earlier conversation"
    )
    assert "user: What is the entropy of a fair coin?" in rendered[1]["content"]
    assert "answer: One bit." in rendered[1]["content"]
    assert rendered[2:] == [
        {"role": "user", "content": "thanks"},
        {"role": "assistant", "content": "welcome"},
        {"role": "user", "content": "and a die?"},
    ]


def test_context_messages_are_placed_after_the_summary_and_counted():
    window = ShortTermMemory(budget_tokens=10_000)
    context = [{"role": "system", "content": "memory: likes AdamW"}]
    rendered = window.render(SYSTEM, [{"role": "user", "content": "hi"}], context=context)
    assert rendered == SYSTEM + context + [{"role": "user", "content": "hi"}]


def test_token_estimate_counts_latin_by_four_characters_and_cjk_per_character():
    # hand derivation: 4 framing + ceil(16/4) = 8; 4 framing + 3 CJK characters = 7
    assert estimate_tokens({"role": "user", "content": "abcdefghijklmnop"}) == 8
    assert estimate_tokens({"role": "user", "content": "信息熵"}) == 7
    call = {"id": "c", "type": "function", "function": {"name": "entropy", "arguments": '{"p": [1]}'}}
    # 4 framing + 3 per call + ceil(7/4)=2 for the name + ceil(10/4)=3 for the arguments
    assert estimate_tokens({"role": "assistant", "content": None, "tool_calls": [call]}) == 12


def test_extractive_summary_keeps_the_newest_lines():
    dropped = [Turn([{"role": "user", "content": f"question {i}"}]) for i in range(30)]
    summary = extractive_summary(None, dropped, max_lines=5)
    assert summary.splitlines() == [f"- user: question {i}" for i in range(25, 30)]
