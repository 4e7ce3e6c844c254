"""The HTTP seam in tests: respx route mocks of ``/v1/chat/completions`` that see openai 3.x's httpx2 traffic,
and a guard that fails any request to a real (non-loopback) endpoint.

respx patches ``httpx``/``httpcore``; openai 3.x rides on ``httpx2``/``httpcore2``, so a plain ``respx.mock``
never sees its requests. :class:`HTTPCore2Mocker` is a respx mocker aimed at ``httpcore2`` (respx supports
custom mockers), so routes work unchanged and nothing is aliased process-wide::

    with mock_openai() as router:
        router.post("/chat/completions").mock(side_effect=[completion(tool_calls=[("entropy", {...})]),
                                                           completion(text="done")])
        model = OpenAIModel(AsyncOpenAI(api_key="test", base_url=TEST_BASE_URL), "gpt-test")

Requires the ``respx`` dev dependency (imported here, not by the rest of the package).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpcore2
import httpx
import respx
from respx.mocks import AbstractRequestMocker
from respx.patterns import parse_url

__all__ = [
    "TEST_BASE_URL",
    "HTTPCore2Mocker",
    "RealEndpointError",
    "completion",
    "forbid_real_requests",
    "mock_openai",
    "stream",
]

#: A base URL that can never resolve (``.test`` is reserved): the only one tests should point clients at.
TEST_BASE_URL = "https://api.openai.test/v1"


class HTTPCore2Mocker(AbstractRequestMocker):
    """respx's httpcore mocker, aimed at httpcore2 (the transport layer under httpx2 and openai 3.x)."""

    name = "httpcore2"
    targets = [  # noqa: RUF012 - respx's own class-level registry layout
        "httpcore2._sync.connection.HTTPConnection",
        "httpcore2._sync.connection_pool.ConnectionPool",
        "httpcore2._sync.http_proxy.HTTPProxy",
        "httpcore2._async.connection.AsyncHTTPConnection",
        "httpcore2._async.connection_pool.AsyncConnectionPool",
        "httpcore2._async.http_proxy.AsyncHTTPProxy",
    ]
    target_methods = ["handle_request", "handle_async_request"]  # noqa: RUF012

    @classmethod
    def prepare_sync_request(cls, httpx_request, **kwargs):
        httpx_request, kwargs = super().prepare_sync_request(httpx_request, **kwargs)
        kwargs[
            "request"
        ].stream = httpx_request.stream  # the body was read; hand the pass-through a fresh one
        return httpx_request, kwargs

    @classmethod
    async def prepare_async_request(cls, httpx_request, **kwargs):
        httpx_request, kwargs = await super().prepare_async_request(httpx_request, **kwargs)
        kwargs["request"].stream = httpx_request.stream
        return httpx_request, kwargs

    @classmethod
    def to_httpx_request(cls, **kwargs):
        request = kwargs["request"]
        method = request.method.decode("ascii") if isinstance(request.method, bytes) else request.method
        raw_url = (request.url.scheme, request.url.host, request.url.port, request.url.target)
        return httpx.Request(
            method,
            parse_url(raw_url),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )

    @classmethod
    def from_sync_httpx_response(cls, httpx_response, target, **kwargs):
        return httpcore2.Response(
            status=httpx_response.status_code,
            headers=httpx_response.headers.raw,
            content=httpx_response.stream,
            extensions=httpx_response.extensions,
        )

    @classmethod
    async def from_async_httpx_response(cls, httpx_response, target, **kwargs):
        return cls.from_sync_httpx_response(httpx_response, target, **kwargs)


def mock_openai(base_url: str = TEST_BASE_URL, *, assert_all_called: bool = False) -> respx.MockRouter:
    """A respx router for an OpenAI-compatible ``base_url`` that intercepts httpx2 (openai 3.x) traffic.

    Unmatched requests fail (``assert_all_mocked``): a test cannot silently reach a real endpoint.
    """
    return respx.mock(
        base_url=base_url,
        using=HTTPCore2Mocker.name,
        assert_all_mocked=True,
        assert_all_called=assert_all_called,
    )


def _tool_calls(calls: Sequence[tuple[str, dict[str, Any] | str]]) -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_{index}",
            "type": "function",
            "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
        }
        for index, (name, args) in enumerate(calls)
    ]


def completion(
    text: str | None = None,
    *,
    tool_calls: Sequence[tuple[str, dict[str, Any] | str]] = (),
    model: str = "gpt-test",
    status: int = 200,
) -> httpx.Response:
    """A ``chat.completion`` response: text, and/or tool calls given as ``(name, arguments)``."""
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if tool_calls:
        message["tool_calls"] = _tool_calls(tool_calls)
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
    return httpx.Response(status, json=body)


def stream(
    text: str | None = None,
    *,
    tool_calls: Sequence[tuple[str, dict[str, Any] | str]] = (),
    model: str = "gpt-test",
    fragments: int = 3,
) -> httpx.Response:
    """A streamed reply as server-sent events: text token by token, each tool call's arguments split into
    ``fragments`` deltas (id and name only in the first, as real endpoints do)."""
    base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model}
    chunks: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    for word in (text or "").split(" ") if text else []:
        chunks.append({"content": word + " "})
    for index, call in enumerate(_tool_calls(tool_calls)):
        chunks.append(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["function"]["name"], "arguments": ""},
                    }
                ]
            }
        )
        arguments = call["function"]["arguments"]
        size = max(1, -(-len(arguments) // fragments))
        for start in range(0, len(arguments), size):
            chunks.append(
                {"tool_calls": [{"index": index, "function": {"arguments": arguments[start : start + size]}}]}
            )
    events = [{**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]} for delta in chunks]
    events.append(
        {
            **base,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls" if tool_calls else "stop"}],
        }
    )
    body = "".join(f"data: {json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
    return httpx.Response(200, content=body.encode(), headers={"content-type": "text/event-stream"})


class RealEndpointError(AssertionError):
    """A test tried to send an HTTP request to a non-loopback host."""


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@contextmanager
def forbid_real_requests() -> Iterator[None]:
    """Within the block, any httpx2/httpcore2 request to a non-loopback host raises :class:`RealEndpointError`
    (loopback stays allowed for servers started by the test). respx routes installed inside still answer."""
    from unittest import mock

    pools = (httpcore2.AsyncConnectionPool, httpcore2.ConnectionPool)
    real_async = httpcore2.AsyncConnectionPool.handle_async_request
    real_sync = httpcore2.ConnectionPool.handle_request

    def _check(request: httpcore2.Request) -> None:
        host = request.url.host.decode("ascii", "replace")
        if not _is_loopback(host):
            url = f"{request.url.scheme.decode()}://{host}{request.url.target.decode('ascii', 'replace')}"
            raise RealEndpointError(f"test tried to reach a real endpoint: {request.method.decode()} {url}")

    async def handle_async_request(self, request):
        _check(request)
        return await real_async(self, request)

    def handle_request(self, request):
        _check(request)
        return real_sync(self, request)

    with (
        mock.patch.object(pools[0], "handle_async_request", handle_async_request),
        mock.patch.object(pools[1], "handle_request", handle_request),
    ):
        yield
