"""The offline model on the OpenAI chat-completions wire: request JSON in, completion JSON or SSE chunks out.

Shared by the in-process transport (:mod:`agents.models.offline.transport`) and the HTTP endpoint
(``protoplay serve llm``): both answer through :func:`handle_chat_completions` and :func:`route_not_found`,
so they speak exactly the same format.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from agents.config import OFFLINE_MODEL_NAME
from agents.messages import estimate_tokens
from agents.models.offline.engine import OfflineBrain, OfflineReply

__all__ = [
    "WireError",
    "WireResponse",
    "call_id",
    "chat_completion",
    "chat_completion_chunks",
    "handle_chat_completions",
    "models_listing",
    "parse_request",
    "route_not_found",
    "sse",
]


class WireError(Exception):
    """A request the endpoint rejects (HTTP 400, or 404 for an unknown model), with an OpenAI-style error
    body."""

    def __init__(
        self, message: str, *, param: str | None = None, status: int = 400, code: str | None = None
    ) -> None:
        self.status = status
        self.body = {
            "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
        }
        super().__init__(message)


@dataclass(frozen=True)
class WireResponse:
    """An HTTP response of the endpoint, ready for a transport or a web framework to send as is."""

    status: int
    content: bytes
    """The body: JSON, or server-sent events when :attr:`content_type` is ``text/event-stream``."""
    content_type: str = "application/json"

    @classmethod
    def json(cls, status: int, payload: Any) -> WireResponse:
        """``payload`` as a compact UTF-8 JSON body."""
        return cls(status, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())


def handle_chat_completions(brain: OfflineBrain, raw: bytes) -> WireResponse:
    """The response to a ``POST /v1/chat/completions`` body: a ``chat.completion``, its chunks as server-sent
    events when the request sets ``stream``, or an OpenAI-style error (400) for a request it rejects."""
    try:
        body = parse_request(raw)
    except WireError as exc:
        return WireResponse.json(exc.status, exc.body)
    if body.get("stream"):
        return WireResponse(200, b"".join(sse(chat_completion_chunks(brain, body))), "text/event-stream")
    return WireResponse.json(200, chat_completion(brain, body))


def call_id() -> str:
    """A tool-call id unique across requests (``call_`` and 24 hex digits, as OpenAI's are shaped)."""
    return f"call_{uuid.uuid4().hex[:24]}"


def route_not_found(method: str, path: str) -> WireResponse:
    """The 404 for a route the endpoint does not serve, naming the ones it does."""
    message = f"no route {method} {path}; try GET /v1/models or POST /v1/chat/completions"
    return WireResponse.json(404, {"error": {"message": message, "type": "not_found"}})


def models_listing() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": OFFLINE_MODEL_NAME, "object": "model", "created": 0, "owned_by": "protoplay"}],
    }


def parse_request(raw: bytes) -> dict[str, Any]:
    """The request body as a dict, checked for the fields this endpoint needs."""
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise WireError(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise WireError("the request body must be a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise WireError("messages: must be a non-empty list of message objects", param="messages")
    tools = body.get("tools") or []
    if not isinstance(tools, list) or not all(isinstance(t, dict) and "function" in t for t in tools):
        raise WireError("tools: must be a list of function tools", param="tools")
    model = body.get("model")
    if model is not None and model != OFFLINE_MODEL_NAME:
        raise WireError(
            f"The model `{model}` does not exist or you do not have access to it; this endpoint serves "
            f"`{OFFLINE_MODEL_NAME}` (GET /v1/models).",
            param="model",
            status=404,
            code="model_not_found",
        )
    choice = body.get("tool_choice")
    names = {t["function"].get("name") for t in tools if isinstance(t.get("function"), dict)}
    if isinstance(choice, dict):
        forced = (
            (choice.get("function") or {}).get("name") if isinstance(choice.get("function"), dict) else None
        )
        if choice.get("type") != "function" or not isinstance(forced, str):
            raise WireError(
                'tool_choice: must be "none", "auto", "required" or {"type": "function", "function": '
                '{"name": …}}',
                param="tool_choice",
            )
        if forced not in names:
            raise WireError(f"tool_choice: no tool named {forced!r} is offered", param="tool_choice")
    elif choice is not None and choice not in ("none", "auto", "required"):
        raise WireError('tool_choice: must be "none", "auto", "required" or a function', param="tool_choice")
    if choice == "required" and not tools:
        raise WireError('tool_choice: "required" needs at least one tool', param="tool_choice")
    return body


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def _reply(brain: OfflineBrain, body: dict[str, Any]) -> tuple[OfflineReply, list[dict[str, Any]]]:
    reply = brain.respond(body["messages"], body.get("tools") or [], tool_choice=body.get("tool_choice"))
    calls = [
        {
            "id": call_id(),
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
        }
        for name, arguments in reply.tool_calls
    ]
    return reply, calls


def _usage(body: dict[str, Any], reply: OfflineReply, calls: list[dict[str, Any]]) -> dict[str, int]:
    prompt = sum(estimate_tokens(message) for message in body["messages"])
    completion = estimate_tokens({"role": "assistant", "content": reply.text, "tool_calls": calls})  # type: ignore[typeddict-item]
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def chat_completion(brain: OfflineBrain, body: dict[str, Any]) -> dict[str, Any]:
    """A non-streamed ``chat.completion`` object."""
    reply, calls = _reply(brain, body)
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": _completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or OFFLINE_MODEL_NAME,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
        "usage": _usage(body, reply, calls),
    }


def chat_completion_chunks(brain: OfflineBrain, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``chat.completion.chunk`` objects: text token by token, tool calls as index-keyed fragments."""
    reply, calls = _reply(brain, body)
    base = {
        "id": _completion_id(),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model") or OFFLINE_MODEL_NAME,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    yield chunk({"role": "assistant", "content": ""})
    for piece in re.findall(r"\s*\S+\s*", reply.text or ""):
        yield chunk({"content": piece})
    for index, call in enumerate(calls):
        head = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        yield chunk({"tool_calls": [head]})
        arguments = call["function"]["arguments"]
        middle = len(arguments) // 2
        for fragment in (arguments[:middle], arguments[middle:]):
            if fragment:
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
    yield chunk({}, "tool_calls" if calls else "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": _usage(body, reply, calls)}


def sse(chunks: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """Server-sent events framing, ending with ``data: [DONE]``."""
    for chunk in chunks:
        yield b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"
    yield b"data: [DONE]\n\n"
