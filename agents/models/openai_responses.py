"""A model reached through the OpenAI Responses API (``POST /responses``), beside chat completions
(:mod:`agents.models.openai`): OpenAI itself, ``protoplay serve llm``, or any endpoint that serves the wire.

The agent speaks chat messages inside (:mod:`agents.messages`); this client translates them to Responses
input items — system, user and assistant messages, each assistant tool call a ``function_call`` item, each
tool result a ``function_call_output`` — and the reply back to one :class:`~agents.messages.ModelResponse`.
Nothing is stored at the endpoint (``store: false``): every request carries the whole window, as chat
completions do, so memory and the token budget work the same on both wires.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from agents.errors import ModelAPIError
from agents.messages import Message, ModelResponse, TextDelta, ToolCall, ToolSpec
from agents.models.openai_client import OpenAIClientModel
from agents.toolbox import TurnContext

__all__ = ["OpenAIResponsesModel", "response_input", "response_tools"]


class OpenAIResponsesModel(OpenAIClientModel):
    """A Responses-API model reached through an ``openai.AsyncOpenAI`` client.

    Same contract as :class:`~agents.models.openai.OpenAIModel`: text deltas as they stream, then one reply;
    the client's own retries, then one :class:`ModelAPIError` with a readable message. A response that fails
    (``response.failed``, an ``error`` event) is a ModelAPIError naming the endpoint's reason.
    """

    wire_method = "responses"
    """The wire this model speaks, for the trace."""

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec],
        *,
        context: TurnContext | None = None,
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        request: dict[str, Any] = {
            "model": self.name,
            "input": response_input(messages),
            "store": False,
            **self.settings,
        }
        if tools:
            request["tools"] = response_tools(tools)
        with self.endpoint_failures():
            if not self.streaming:
                reply = _reply(await self.client.responses.create(**request))
                if reply.text:
                    yield TextDelta(reply.text)
                yield reply
                return
            final = None
            async for event in await self.client.responses.create(**request, stream=True):
                if event.type == "response.output_text.delta":
                    yield TextDelta(event.delta)
                elif event.type in ("response.completed", "response.incomplete"):
                    final = event.response
                elif event.type == "response.failed":
                    raise ModelAPIError(self._failure(getattr(event.response, "error", None)))
                elif event.type == "error":
                    raise ModelAPIError(self._failure(event))
            if final is None:
                raise ModelAPIError(
                    f"The model endpoint at {self.where} ended the stream without a response."
                )
            yield _reply(final)

    def _failure(self, error: Any) -> str:
        message = getattr(error, "message", None) or "no reason given"
        return f"The model endpoint at {self.where} failed the response: {message}"


def response_input(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Chat messages as Responses input items (an assistant's calls follow its text, each a ``function_call``
    with the chat call id as ``call_id``; a tool message is the ``function_call_output`` of that id)."""
    items: list[dict[str, Any]] = []
    for message in messages:
        role = message["role"]
        if role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message.get("tool_call_id", ""),
                    "output": _text(message.get("content")),
                }
            )
            continue
        text = _text(message.get("content"))
        if text or role != "assistant":
            items.append({"role": role, "content": text})
        for call in message.get("tool_calls") or ():
            function = call["function"]
            items.append(
                {
                    "type": "function_call",
                    "call_id": call["id"],
                    "name": function["name"],
                    "arguments": function["arguments"],
                }
            )
    return items


def response_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """Chat tool specs as Responses function tools. ``strict`` is off: the Responses API turns it on by
    default, and strict mode rejects schemas with optional parameters, which most tools have."""
    converted = []
    for spec in tools:
        function = spec["function"]
        tool: dict[str, Any] = {
            "type": "function",
            "name": function["name"],
            "parameters": function.get("parameters") or {"type": "object", "properties": {}},
            "strict": False,
        }
        if function.get("description"):
            tool["description"] = function["description"]
        converted.append(tool)
    return converted


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: their text
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _reply(response: Any) -> ModelResponse:
    """A finished ``response`` as the agent's reply: its text, its function calls (by ``call_id``)."""
    texts: list[str] = []
    calls: list[ToolCall] = []
    for item in response.output or ():
        if item.type == "message":
            texts += [part.text for part in item.content if getattr(part, "type", "") == "output_text"]
        elif item.type == "function_call":
            calls.append(ToolCall(id=item.call_id, name=item.name, arguments=item.arguments or ""))
    incomplete = getattr(response, "incomplete_details", None)
    if calls:
        finish = "tool_calls"
    elif incomplete is not None and getattr(incomplete, "reason", None) == "max_output_tokens":
        finish = "length"
    else:
        finish = "stop"
    usage = response.usage
    counts = (
        {
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
        }
        if usage is not None
        else {}
    )
    return ModelResponse(
        text="".join(texts) or None, tool_calls=tuple(calls), finish_reason=finish, usage=counts
    )
