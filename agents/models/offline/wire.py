"""The offline model on the OpenAI chat-completions wire: request JSON in, completion JSON or SSE chunks out.

Shared by the in-process transport (:mod:`agents.models.offline.transport`) and the HTTP endpoint
(``protoplay serve llm``): both answer through :func:`handle_chat_completions` and :func:`route_not_found`,
so they speak exactly the same format.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from agents.config import OFFLINE_MODEL_NAME
from agents.messages import estimate_tokens
from agents.models.offline.engine import OfflineBrain, OfflineReply

__all__ = [
    "WireError",
    "WireResponse",
    "chat_completion",
    "chat_completion_chunks",
    "handle_chat_completions",
    "models_listing",
    "parse_request",
    "route_not_found",
    "sse",
]


class WireError(Exception):
    """A request the endpoint rejects (HTTP 400), with an OpenAI-style error body."""

    def __init__(self, message: str, *, param: str | None = None, status: int = 400) -> None:
        self.status = status
        self.body = {
            "error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}
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
    return body


def _completion_id(body: dict[str, Any]) -> str:
    digest = hashlib.sha1(json.dumps(body.get("messages"), sort_keys=True, default=str).encode()).hexdigest()
    return f"chatcmpl-offline-{digest[:16]}"


def _reply(brain: OfflineBrain, body: dict[str, Any]) -> tuple[OfflineReply, list[dict[str, Any]]]:
    messages = body["messages"]
    tools = body.get("tools") or []
    if body.get("tool_choice") == "none":
        tools = []
    reply = brain.respond(messages, tools)
    calls = [
        {
            "id": f"call_{len(messages)}_{index}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
        }
        for index, (name, arguments) in enumerate(reply.tool_calls)
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
        "id": _completion_id(body),
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
        "id": _completion_id(body),
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
