"""Cassettes: a model's replies recorded once against a real endpoint and played back with none.

:class:`RecordingModel` wraps any :class:`~agents.models.base.Model` and writes every reply of a *tape* (one
question, one conversation) to ``DIR/<tape>.json``; :class:`ReplayModel` answers from those files, in order,
deterministically and without a network. Each recorded step keeps a fingerprint of its request (how many
messages, the last user text, which tool results came back), so a replay that drifts from the recording fails
with a message instead of answering the wrong question.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from agents.errors import AgentError
from agents.messages import Message, ModelResponse, TextDelta, ToolCall, ToolSpec
from agents.toolbox import TurnContext

__all__ = ["CassetteError", "RecordingModel", "ReplayModel", "tape_path"]

_FORMAT = 1


class CassetteError(AgentError):
    """A cassette that is missing, unreadable, or does not match the conversation being replayed."""


def tape_path(directory: Path, tape: str) -> Path:
    """Where a tape is stored: a file name made of the tape's safe characters."""
    return directory / ((re.sub(r"[^A-Za-z0-9_.\-]+", "_", tape).strip("._") or "tape") + ".json")


def _fingerprint(messages: Sequence[Message]) -> dict[str, Any]:
    last_user = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
    tools_back = [m.get("tool_call_id") is not None for m in messages if m.get("role") == "tool"]
    return {
        "messages": len(messages),
        "last_user": last_user if isinstance(last_user, str) else json.dumps(last_user)[:2000],
        "tool_results": len(tools_back),
    }


def _to_json(response: ModelResponse) -> dict[str, Any]:
    return {
        "text": response.text,
        "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in response.tool_calls],
        "finish_reason": response.finish_reason,
        "usage": response.usage,
    }


def _from_json(data: dict[str, Any]) -> ModelResponse:
    calls = tuple(ToolCall(c["id"], c["name"], c["arguments"]) for c in data.get("tool_calls") or ())
    return ModelResponse(data.get("text"), calls, data.get("finish_reason"), dict(data.get("usage") or {}))


class RecordingModel:
    """Passes every request to ``model`` and records its replies on the current tape.

    Call :meth:`start` before each conversation and :meth:`save` after it (the file is written then)."""

    def __init__(self, model: Any, directory: Path) -> None:
        self.model = model
        self.name = getattr(model, "name", "model")
        self.directory = directory
        self._tape: str | None = None
        self._steps: list[dict[str, Any]] = []

    def start(self, tape: str) -> None:
        self._tape, self._steps = tape, []

    def save(self) -> Path | None:
        if self._tape is None:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        path = tape_path(self.directory, self._tape)
        payload = {"format": _FORMAT, "model": self.name, "tape": self._tape, "steps": self._steps}
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec],
        *,
        context: TurnContext | None = None,
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        async for event in self.model.stream(messages, tools, context=context):
            if isinstance(event, ModelResponse):
                self._steps.append({"request": _fingerprint(messages), "response": _to_json(event)})
            yield event


class ReplayModel:
    """Answers from recorded tapes, step by step, with no endpoint. Call :meth:`start` before each
    conversation."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.name = "replay"
        self._tape: str | None = None
        self._steps: list[dict[str, Any]] = []
        self._next = 0

    def start(self, tape: str) -> None:
        path = tape_path(self.directory, tape)
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CassetteError(f"{path}: no cassette for {tape!r}; record it first with --record") from None
        except (OSError, ValueError) as exc:
            raise CassetteError(f"{path}: unreadable cassette ({exc})") from None
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise CassetteError(f"{path}: not a protoplay cassette (format {_FORMAT})")
        self._tape, self._steps, self._next = tape, list(payload.get("steps") or ()), 0
        self.name = str(payload.get("model") or "replay")

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec],
        *,
        context: TurnContext | None = None,
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        if self._next >= len(self._steps):
            raise CassetteError(
                f"cassette {self._tape!r} has {len(self._steps)} replies; the conversation asked for more"
            )
        step = self._steps[self._next]
        self._next += 1
        expected, actual = step.get("request") or {}, _fingerprint(messages)
        if expected.get("last_user") != actual["last_user"] or expected.get("messages") != actual["messages"]:
            raise CassetteError(
                f"cassette {self._tape!r} step {self._next} was recorded for another request "
                f"({expected.get('messages')} messages, last user message {expected.get('last_user')!r})"
            )
        response = _from_json(step["response"])
        if response.text:
            yield TextDelta(response.text)
        yield response
