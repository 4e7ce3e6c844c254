"""The offline model as a :class:`~agents.models.base.Model`, with no HTTP hop — like pydantic-ai's
``FunctionModel``, it answers in process::

    agent = Agent(OfflineModel(), toolbox, memory=memory)

It gives the same replies as the served endpoint and the in-process transport (one
:class:`~agents.models.offline.engine.OfflineBrain` decides), streamed a word at a time, with tool-call ids
unique across requests.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from agents.config import OFFLINE_MODEL_NAME
from agents.messages import Message, ModelResponse, TextDelta, ToolCall, ToolSpec, estimate_tokens
from agents.models.offline.engine import OfflineBrain
from agents.models.offline.wire import call_id
from agents.toolbox import TurnContext

__all__ = ["OfflineModel"]


class OfflineModel:
    """The built-in offline model behind the :class:`~agents.models.base.Model` interface.

    ``tool_choice`` is ``None`` (auto), ``"none"``, ``"required"`` or ``{"type": "function", "function":
    {"name": …}}``, as on the wire. Stateless and safe to share between agents and sessions.
    """

    def __init__(self, brain: OfflineBrain | None = None, *, tool_choice: Any = None) -> None:
        self.name = OFFLINE_MODEL_NAME
        self.brain = brain or OfflineBrain()
        self.tool_choice = tool_choice

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec],
        *,
        context: TurnContext | None = None,
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        wire_messages: list[dict[str, Any]] = [dict(message) for message in messages]
        wire_tools: list[dict[str, Any]] = list(tools)  # type: ignore[arg-type]  # same objects: views cached
        reply = self.brain.respond(wire_messages, wire_tools, tool_choice=self.tool_choice)
        for piece in re.findall(r"\s*\S+\s*", reply.text or ""):
            yield TextDelta(piece)
        calls = tuple(
            ToolCall(call_id(), name, json.dumps(arguments, ensure_ascii=False))
            for name, arguments in reply.tool_calls
        )
        response = ModelResponse(reply.text, calls, "tool_calls" if calls else "stop")
        prompt = sum(estimate_tokens(message) for message in messages)
        completion = estimate_tokens(response.to_message())
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        yield ModelResponse(response.text, calls, response.finish_reason, usage)

    def __repr__(self) -> str:
        return "OfflineModel()"
