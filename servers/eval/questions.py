"""The question-set format: JSONL, one question per line, validated at the edge.

    {"id": "clip-how", "language": "en", "kind": "explain",
     "question": "How does CLIP learn to match images with captions?",
     "tool": "explain", "note": "clip",
     "facts": ["contrastive", "image.{0,60}text|caption"], "forbidden": ["can't"],
     "source": "tools/notes/clip.md, Training"}

- ``question`` (one message) or ``turns`` (a conversation: every turn is sent, the last answer is scored);
- ``language`` ``en`` or ``zh``; ``kind`` a free label to group scores by (explain, compare, compute,
  diagnose, remember, recall, small_talk, follow_up, ask …);
- ``tool``: a tool (or a list of tools, all required) the last turn must call — ``ask_user`` for a question
  that must be answered by asking; ``note``: a note the last turn must explain (``explain(topic=note)``), or a
  list of notes (a comparison: all must be explained);
  ``arguments``: values the expected tool's arguments must hold (a subset, compared as JSON);
- ``facts``: regexes the final answer must all match; ``forbidden``: regexes it must not match (both
  case-insensitive);
- ``source``: where the expected values come from (paper, torchvision metadata, peft, a hand derivation).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = ["Question", "QuestionSetError", "load_questions"]


class QuestionSetError(Exception):
    """A question file that cannot be used: the message names the line and the field."""


class Question(BaseModel):
    """One question (or conversation) and what its answer must show."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=120)
    language: Literal["en", "zh"]
    kind: str = Field(min_length=1, max_length=40)
    question: str | None = Field(None, min_length=1, max_length=20_000)
    turns: list[str] | None = Field(None, min_length=1, max_length=20)
    tool: str | list[str] | None = None
    note: str | list[str] | None = None
    arguments: dict[str, Any] | None = None
    facts: list[str] = Field(default_factory=list)
    forbidden: list[str] = Field(default_factory=list)
    source: str | None = None

    @field_validator("facts", "forbidden")
    @classmethod
    def _regexes(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regex ({exc})") from None
        return patterns

    @model_validator(mode="after")
    def _one_form(self) -> Question:
        if (self.question is None) == (self.turns is None):
            raise ValueError("give exactly one of question (one message) or turns (a conversation)")
        return self

    @property
    def messages(self) -> list[str]:
        """The user messages, in order."""
        return list(self.turns) if self.turns is not None else [str(self.question)]

    @property
    def notes(self) -> list[str]:
        """The notes the last turn must explain (none, one, or each of a comparison)."""
        if self.note is None:
            return []
        return [self.note] if isinstance(self.note, str) else list(self.note)

    @property
    def tools(self) -> list[str]:
        if self.tool is None:
            return []
        return [self.tool] if isinstance(self.tool, str) else list(self.tool)


def load_questions(path: Path) -> list[Question]:
    """Every question of a JSONL file (blank lines and ``//`` comment lines skipped); ids must be unique."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QuestionSetError(f"{path}: cannot read the question set ({exc.strerror or exc})") from None
    questions: list[Question] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            raw = json.loads(line)
            question = Question.model_validate(raw)
        except json.JSONDecodeError as exc:
            raise QuestionSetError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            field = ".".join(str(part) for part in error["loc"]) or "question"
            raise QuestionSetError(f"{path}:{number}: {field}: {error['msg']}") from None
        if question.id in seen:
            raise QuestionSetError(f"{path}:{number}: id: {question.id!r} is used twice")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise QuestionSetError(f"{path}: no questions")
    return questions
