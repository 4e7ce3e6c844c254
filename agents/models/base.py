"""The model behind a small interface: messages and tool specs in, text deltas and one reply out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from agents.messages import Message, ModelResponse, TextDelta, ToolSpec
from agents.toolbox import TurnContext

__all__ = ["Model"]


@runtime_checkable
class Model(Protocol):
    """Anything that answers a chat-completions request.

    ``stream`` yields zero or more :class:`~agents.messages.TextDelta` and then exactly one
    :class:`~agents.messages.ModelResponse` (the whole reply, including the text already streamed). Expected
    endpoint failures raise :class:`agents.errors.ModelAPIError`; cancelling the consuming task stops the
    request. ``context`` names the turn the request belongs to (wrappers such as the tracer use it; a model
    may ignore it).
    """

    name: str

    def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec],
        *,
        context: TurnContext | None = None,
    ) -> AsyncIterator[TextDelta | ModelResponse]: ...
