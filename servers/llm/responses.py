"""The OpenAI Responses API (``POST /v1/responses``) for the offline model: the wire the OpenAI Agents SDK
uses by default, beside chat completions in ``protoplay serve llm``.

A request is translated to a chat-completions body — ``instructions`` and the input items become messages,
function tools become chat tools — answered by the offline model's chat-completions handling
(:mod:`agents.models.offline.wire`), and the completion translated back: a ``response`` object whose output
holds an assistant ``message`` and/or ``function_call`` items. With ``stream: true`` the same response goes
out as server-sent events, each sent as soon as it is framed (``response.created`` … ``response.completed``).

Nothing is stored: ``previous_response_id`` and item references are refused with a message saying to send
the whole conversation; a request the endpoint cannot serve is a 400 naming the field, as OpenAI answers.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from agents.models.offline.engine import OfflineBrain
from agents.models.offline.wire import WireError, chat_completion, models_listing

__all__ = ["ResponsesError", "chat_request", "response_events", "response_object", "responses_routes"]

_ROLES = {"user": "user", "system": "system", "developer": "system", "assistant": "assistant"}
_TEXT_PARTS = ("input_text", "output_text", "text")
_ARGUMENT_FRAGMENT = 24
"""Characters of a call's arguments per ``function_call_arguments.delta`` event."""


class ResponsesError(Exception):
    """A request the endpoint refuses, with OpenAI's error body (``status`` 400 unless said otherwise)."""

    def __init__(self, message: str, *, param: str | None = None, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.status = status
        error = {"message": message, "type": "invalid_request_error", "param": param, "code": code}
        self.body = {"error": error}


def responses_routes(brain: OfflineBrain) -> list[Route]:
    """``POST /v1/responses`` (and ``/responses``) answered by ``brain``."""

    async def create(request: Request) -> Response:
        try:
            body = _json_object(await request.body())
            completion = await run_in_threadpool(chat_completion, brain, chat_request(body))
        except ResponsesError as exc:
            return JSONResponse(exc.body, status_code=exc.status)
        except WireError as exc:
            return JSONResponse(exc.body, status_code=exc.status)
        response = response_object(body, completion)
        if not body.get("stream"):
            return JSONResponse(response)
        return StreamingResponse(_sse(response_events(response)), media_type="text/event-stream")

    return [Route(path, create, methods=["POST"]) for path in ("/v1/responses", "/responses")]


def chat_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """The chat-completions body that asks the same of the offline model (``ResponsesError`` naming the
    field the endpoint cannot serve)."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ResponsesError("model: required (GET /v1/models lists the models)", param="model")
    known = [entry["id"] for entry in models_listing()["data"]]
    if model not in known:
        raise ResponsesError(
            f"The model `{model}` does not exist; this endpoint serves {', '.join(known)}.",
            param="model",
            status=404,
            code="model_not_found",
        )
    if body.get("previous_response_id"):
        raise ResponsesError(
            "previous_response_id: this endpoint stores no responses; send the whole conversation in input",
            param="previous_response_id",
        )
    request: dict[str, Any] = {"model": model, "messages": _messages(body)}
    tools = [_chat_tool(index, tool) for index, tool in enumerate(body.get("tools") or [])]
    if tools:
        request["tools"] = tools
    if body.get("tool_choice") is not None:
        request["tool_choice"] = _chat_tool_choice(body["tool_choice"])
    return request


def response_object(
    body: Mapping[str, Any], completion: Mapping[str, Any], *, status: str = "completed"
) -> dict[str, Any]:
    """The ``response`` object for a chat ``completion`` of ``body``'s request."""
    message = completion["choices"][0]["message"]
    output: list[dict[str, Any]] = []
    if message.get("content"):
        output.append(
            {
                "type": "message",
                "id": _new_id("msg"),
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": message["content"], "annotations": []}],
            }
        )
    for call in message.get("tool_calls") or ():
        output.append(
            {
                "type": "function_call",
                "id": _new_id("fc"),
                "call_id": _new_id("call"),
                "name": call["function"]["name"],
                "arguments": call["function"]["arguments"],
                "status": "completed",
            }
        )
    usage = completion.get("usage") or {}
    created = int(completion.get("created") or time.time())
    return {
        "id": _new_id("resp"),
        "object": "response",
        "created_at": created,
        "completed_at": created if status == "completed" else None,
        "status": status,
        "model": body["model"],
        "output": output,
        "instructions": body.get("instructions"),
        "tools": list(body.get("tools") or []),
        "tool_choice": body.get("tool_choice") or "auto",
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "max_output_tokens": body.get("max_output_tokens"),
        "previous_response_id": None,
        "metadata": body.get("metadata") or {},
        "text": {"format": {"type": "text"}},
        "truncation": "disabled",
        "store": False,
        "error": None,
        "incomplete_details": None,
        "usage": {
            "input_tokens": usage.get("prompt_tokens", 0),
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": usage.get("completion_tokens", 0),
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": usage.get("total_tokens", 0),
        },
    }


def response_events(response: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The streaming events of ``response``, numbered: created, in progress, each output item (text word by
    word, arguments in fragments), completed — the order OpenAI sends them in."""
    pending = {**response, "status": "in_progress", "output": [], "completed_at": None, "usage": None}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": pending},
        {"type": "response.in_progress", "response": pending},
    ]
    for index, item in enumerate(response["output"]):
        events += _item_events(index, item)
    events.append({"type": "response.completed", "response": dict(response)})
    for number, event in enumerate(events):
        yield {**event, "sequence_number": number}


# ----------------------------------------------------------------------------------------------- internals


def _item_events(index: int, item: Mapping[str, Any]) -> list[dict[str, Any]]:
    at = {"output_index": index, "item_id": item["id"]}
    if item["type"] == "function_call":
        arguments = item["arguments"]
        step = _ARGUMENT_FRAGMENT
        fragments = [arguments[i : i + step] for i in range(0, len(arguments), step)]
        return [
            {"type": "response.output_item.added", "output_index": index, "item": {**item, "arguments": ""}},
            *({"type": "response.function_call_arguments.delta", **at, "delta": part} for part in fragments),
            {
                "type": "response.function_call_arguments.done",
                **at,
                "name": item["name"],
                "arguments": arguments,
            },
            {"type": "response.output_item.done", "output_index": index, "item": dict(item)},
        ]
    text = item["content"][0]["text"]
    part = {"type": "output_text", "text": "", "annotations": []}
    text_at = {**at, "content_index": 0}
    return [
        {"type": "response.output_item.added", "output_index": index, "item": {**item, "content": []}},
        {"type": "response.content_part.added", **text_at, "part": part},
        *(
            {"type": "response.output_text.delta", **text_at, "delta": word, "logprobs": []}
            for word in re.findall(r"\s*\S+\s*", text)
        ),
        {"type": "response.output_text.done", **text_at, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **text_at, "part": {**part, "text": text}},
        {"type": "response.output_item.done", "output_index": index, "item": dict(item)},
    ]


async def _sse(events: Iterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    """Server-sent events, one per yield (each goes out as it is produced); no ``[DONE]``: the Responses
    stream ends with ``response.completed``."""
    for event in events:
        yield f"event: {event['type']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise ResponsesError(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ResponsesError("the request body must be a JSON object")
    return body


def _messages(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``instructions`` and ``input`` as chat messages; consecutive function calls join one assistant
    message, each output becomes a ``tool`` message."""
    messages: list[dict[str, Any]] = []
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        messages.append({"role": "system", "content": instructions})
    items = body.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    if not isinstance(items, list) or not items:
        raise ResponsesError("input: must be a non-empty string or list of items", param="input")
    for index, item in enumerate(items):
        where = f"input[{index}]"
        if not isinstance(item, dict):
            raise ResponsesError(f"{where}: must be an object", param=where)
        kind = item.get("type") or "message"
        if kind == "message":
            role = _ROLES.get(item.get("role", ""))
            if role is None:
                message = f"{where}.role: must be user, system, developer or assistant"
                raise ResponsesError(message, param=where)
            messages.append({"role": role, "content": _text(item.get("content"), f"{where}.content")})
        elif kind == "function_call":
            call = {
                "id": _string(item, "call_id", where),
                "type": "function",
                "function": {"name": _string(item, "name", where), "arguments": item.get("arguments") or ""},
            }
            if messages and messages[-1]["role"] == "assistant":  # the text before the calls, or a call
                messages[-1].setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = _text(item.get("output"), f"{where}.output")
            call_id = _string(item, "call_id", where)
            messages.append({"role": "tool", "tool_call_id": call_id, "content": output})
        elif kind == "reasoning":
            continue  # a model's own reasoning summary: nothing the offline model reads
        else:
            raise ResponsesError(
                f"{where}.type: {kind!r} is not served here (message, function_call, function_call_output); "
                "send the whole conversation, nothing is stored",
                param=where,
            )
    return messages


def _text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for index, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") not in _TEXT_PARTS:
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise ResponsesError(f"{where}[{index}]: only text parts are served here (got {kind!r})")
            texts.append(str(part.get("text") or ""))
        return "".join(texts)
    raise ResponsesError(f"{where}: must be a string or a list of text parts", param=where)


def _string(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ResponsesError(f"{where}.{key}: required", param=f"{where}.{key}")
    return value


def _chat_tool(index: int, tool: Any) -> dict[str, Any]:
    where = f"tools[{index}]"
    if not isinstance(tool, dict) or tool.get("type") != "function":
        kind = tool.get("type") if isinstance(tool, dict) else type(tool).__name__
        raise ResponsesError(f"{where}: only function tools are served here (got {kind!r})", param=where)
    function: dict[str, Any] = {"name": _string(tool, "name", where)}
    if tool.get("description"):
        function["description"] = tool["description"]
    function["parameters"] = tool.get("parameters") or {"type": "object", "properties": {}}
    return {"type": "function", "function": function}


def _chat_tool_choice(choice: Any) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function" and isinstance(choice.get("name"), str):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise ResponsesError(
        "tool_choice: must be auto, none, required or {type: function, name}", param="tool_choice"
    )


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"
