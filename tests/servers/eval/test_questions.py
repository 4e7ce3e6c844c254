"""The question-set format: what a line must hold, and one clear line for each mistake."""

from __future__ import annotations

import json

import pytest

from servers.eval.questions import Question, QuestionSetError, load_questions


def write(tmp_path, *lines: object):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines), "utf-8")
    return path


def test_a_question_or_a_conversation_with_comments_and_blank_lines(tmp_path):
    path = write(
        tmp_path,
        "// a comment",
        {
            "id": "a",
            "language": "en",
            "kind": "compute",
            "question": "entropy of [0.5, 0.5]",
            "tool": "entropy",
        },
        "",
        {"id": "b", "language": "zh", "kind": "follow_up", "turns": ["你好", "我叫什么？"], "facts": ["x"]},
    )
    first, second = load_questions(path)
    assert first.messages == ["entropy of [0.5, 0.5]"] and first.tools == ["entropy"]
    assert second.messages == ["你好", "我叫什么？"] and second.tools == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "set.jsonl:1: not valid JSON"),
        (
            {"id": "a", "language": "fr", "kind": "x", "question": "q"},
            "set.jsonl:1: language: Input should be",
        ),
        ({"id": "a", "language": "en", "kind": "x"}, "give exactly one of question"),
        (
            {"id": "a", "language": "en", "kind": "x", "question": "q", "facts": ["("]},
            "facts: Value error, '('",
        ),
        ({"id": "a", "language": "en", "kind": "x", "question": "q", "extra": 1}, "set.jsonl:1: extra:"),
    ],
)
def test_a_bad_line_is_one_error_naming_the_line_and_the_field(tmp_path, line, message):
    with pytest.raises(QuestionSetError, match=message.replace("(", r"\(").replace("'", ".")):
        load_questions(write(tmp_path, line))


def test_ids_are_unique_and_a_set_is_not_empty(tmp_path):
    line = {"id": "a", "language": "en", "kind": "x", "question": "q"}
    with pytest.raises(QuestionSetError, match=r"set\.jsonl:2: id: 'a' is used twice"):
        load_questions(write(tmp_path, line, line))
    with pytest.raises(QuestionSetError, match="no questions"):
        load_questions(write(tmp_path, "// nothing"))


def test_a_question_is_frozen():
    question = Question(id="a", language="en", kind="x", question="q")
    with pytest.raises(ValueError, match="frozen"):
        question.id = "b"  # type: ignore[misc]
