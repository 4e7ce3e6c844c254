"""A chat-completions model reached through the ``openai`` client: any OpenAI-compatible endpoint, and the
built-in offline model on an in-process transport (:func:`build_model`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from agents.errors import ModelAPIError
from agents.messages import Message, ModelResponse, TextDelta, ToolCall, ToolSpec
from agents.models.base import Model
from agents.models.openai_client import OpenAIClientModel
from agents.toolbox import TurnContext

if TYPE_CHECKING:
    import httpx2
    from openai import AsyncOpenAI

    from agents.config import ModelConfig

__all__ = ["OpenAIModel", "build_model"]


class OpenAIModel(OpenAIClientModel):
    """A chat-completions model reached through an ``openai.AsyncOpenAI`` client (retries and failures:
    :class:`~agents.models.openai_client.OpenAIClientModel`)."""

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec],
        *,
        context: TurnContext | None = None,
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        import openai
        from openai.types.chat import ChatCompletion, ChatCompletionChunk

        request: dict[str, Any] = {"model": self.name, "messages": list(messages), **self.settings}
        if tools:
            request["tools"] = list(tools)
        with self.endpoint_failures():
            if not self.streaming:
                completion = await self._post(request, ChatCompletion)
                response = _from_completion(completion)
                if response.text:
                    yield TextDelta(response.text)
                yield response
                return
            chunks = await self._post(
                {**request, "stream": True}, ChatCompletion, openai.AsyncStream[ChatCompletionChunk]
            )
            assembler = _StreamAssembler()
            async for chunk in chunks:
                text = assembler.add(chunk)
                if text:
                    yield TextDelta(text)
            yield assembler.response()

    async def _post(self, body: dict[str, Any], cast_to: type, stream_cls: type | None = None) -> Any:
        # The request is already in wire format. chat.completions.create() would re-walk every message and
        # every tool schema through openai's TypedDict transformer first (about 1 ms per request for this
        # catalogue's 27 tool schemas); posting through the same client skips only that walk: retries, auth,
        # errors and stream parsing are the client's own.
        return await self.client.post(
            "/chat/completions",
            body=body,
            cast_to=cast_to,
            options={"security": {"bearer_auth": True}},
            stream=stream_cls is not None,
            stream_cls=stream_cls,
        )


def _from_completion(completion: Any) -> ModelResponse:
    if not completion.choices:
        raise ModelAPIError("The model endpoint returned a reply with no choices.")
    choice = completion.choices[0]
    message = choice.message
    calls = tuple(
        ToolCall(id=call.id or f"call_{i}", name=call.function.name, arguments=call.function.arguments or "")
        for i, call in enumerate(message.tool_calls or ())
        if getattr(call, "function", None) is not None
    )
    usage = completion.usage.model_dump(exclude_none=True) if completion.usage else {}
    return ModelResponse(
        text=message.content, tool_calls=calls, finish_reason=choice.finish_reason, usage=_int_usage(usage)
    )


class _StreamAssembler:
    """Joins streamed chunks: text fragments, and tool-call fragments keyed by ``index`` (id and name come
    once)."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}
        self.finish_reason: str | None = None
        self.usage: dict[str, int] = {}
        self.chunks = 0

    def add(self, chunk: Any) -> str | None:
        self.chunks += 1
        if chunk.usage:
            self.usage = _int_usage(chunk.usage.model_dump(exclude_none=True))
        if not chunk.choices:
            return None
        choice = chunk.choices[0]
        delta = choice.delta
        if choice.finish_reason:
            self.finish_reason = choice.finish_reason
        for fragment in delta.tool_calls or ():
            slot = self.calls.setdefault(fragment.index, {"id": None, "name": "", "arguments": []})
            if fragment.id:
                slot["id"] = fragment.id
            if fragment.function is not None:
                if fragment.function.name:
                    slot["name"] += fragment.function.name
                if fragment.function.arguments:
                    slot["arguments"].append(fragment.function.arguments)
        if delta.content:
            self.text.append(delta.content)
            return delta.content
        return None

    def response(self) -> ModelResponse:
        if self.chunks == 0:
            raise ModelAPIError(
                "The model endpoint sent an empty stream (no chunks); is it OpenAI-compatible?"
            )
        calls = tuple(
            ToolCall(
                id=slot["id"] or f"call_{index}", name=slot["name"], arguments="".join(slot["arguments"])
            )
            for index, slot in sorted(self.calls.items())
        )
        text = "".join(self.text) or None
        return ModelResponse(text=text, tool_calls=calls, finish_reason=self.finish_reason, usage=self.usage)


def _int_usage(raw: dict[str, Any]) -> dict[str, int]:
    return {key: value for key, value in raw.items() if isinstance(value, int)}


def build_model(
    config: ModelConfig,
    *,
    max_retries: int = 2,
    timeout: float = 60.0,
    offline_transport: httpx2.AsyncBaseTransport | None = None,
) -> Model:
    """The model a :class:`~agents.config.ModelConfig` names: the offline model on an in-process transport, or
    an OpenAI-compatible endpoint, over the wire ``config.api`` names (chat completions or the Responses API).

    ``offline_transport`` answers the offline model's requests instead of the chat-completions transport (the
    servers layer passes its ``serve llm`` app, which also serves the Responses API); without one the offline
    model speaks chat completions only, and asking it for the Responses API is a :class:`SetupError`.
    """
    import httpx2
    from openai import AsyncOpenAI, DefaultAsyncHttpxClient

    from agents.config import ModelAPI, SetupError
    from agents.telemetry import http_hooks

    hooks = http_hooks()  # with OpenTelemetry export on, each request carries the trace context

    responses = config.api == ModelAPI.RESPONSES
    if config.offline and responses and offline_transport is None:
        raise SetupError(
            "The built-in offline model speaks the Responses API only through its endpoint: run "
            "`protoplay serve llm` and point --base-url at it, or use the chat API."
        )
    if config.offline:
        transport = offline_transport
        if transport is None:
            from agents.models.offline.transport import OfflineTransport

            transport = OfflineTransport()
        client = AsyncOpenAI(
            api_key="offline",
            base_url="http://offline.protoplay.invalid/v1",
            http_client=httpx2.AsyncClient(transport=transport, event_hooks=hooks),
            max_retries=0,
        )
        return _model(client, config)
    client = AsyncOpenAI(
        api_key=config.api_key or "not-needed",
        base_url=config.base_url,
        max_retries=max_retries,
        timeout=timeout,
        http_client=DefaultAsyncHttpxClient(event_hooks=hooks) if hooks else None,
    )
    return _model(client, config)


def _model(client: AsyncOpenAI, config: ModelConfig) -> Model:
    from agents.config import ModelAPI

    if config.api == ModelAPI.RESPONSES:
        from agents.models.openai_responses import OpenAIResponsesModel

        return OpenAIResponsesModel(client, config.model)
    return OpenAIModel(client, config.model)
