"""The offline model as an OpenAI-compatible HTTP endpoint: ``protoplay serve llm --port N``.

``GET /v1/models`` and ``POST /v1/chat/completions`` (tools, ``tool_choice``, ``stream: true`` as server-sent
events sent chunk by chunk), the same wire format as the in-process transport
(:mod:`agents.models.offline.wire`), and ``POST /v1/responses`` (the Responses API,
:mod:`servers.llm.responses`), so any OpenAI client can use it:

    OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="anything")

The chat-completions routes are one table (:func:`routes`), each also served without the ``/v1`` prefix;
another API adds its own routes beside them in :func:`build_app`. A body over ``max_body_bytes`` is answered
413 before it is read; the model reads bounded input and works in worker threads
(:mod:`agents.models.offline.bounds`), so a long request never holds up ``/v1/models``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from agents.models.offline.bounds import OfflineWorkers
from agents.models.offline.engine import OfflineBrain
from agents.models.offline.wire import (
    WireError,
    WireResponse,
    chat_completion,
    chat_completion_chunks,
    models_listing,
    parse_request,
    route_not_found,
    sse,
)
from servers.llm.responses import responses_routes
from servers.serving import DEFAULT_MAX_BODY, BodyLimit, settle_heap
from servers.telemetry import llm_server_spans

__all__ = ["build_app", "routes", "serve"]

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]


def _internal_error() -> Response:
    error = {"error": {"message": "internal error in the offline model", "type": "server_error"}}
    return JSONResponse(error, status_code=500)


def routes(workers: OfflineWorkers) -> list[tuple[str, str, Endpoint]]:
    """``(method, path under /v1, endpoint)`` for every API the endpoint serves; the model's work runs in
    ``workers``' threads."""
    brain = workers.brain

    async def models(request: Request) -> Response:
        return _send(WireResponse.json(200, models_listing()))

    async def completions(request: Request) -> Response:
        try:
            body = parse_request(await request.body())
        except WireError as exc:
            return _send(WireResponse.json(exc.status, exc.body))
        try:
            if body.get("stream"):
                chunks = chat_completion_chunks(brain, body)
                first = await workers.run(next, chunks)  # the reply is decided here: a failure is a clean 500
                return StreamingResponse(_events(first, chunks), media_type="text/event-stream")
            return _send(WireResponse.json(200, await workers.run(chat_completion, brain, body)))
        except Exception:
            log.exception("the offline model failed on a request")
            return _internal_error()

    return [("GET", "/models", models), ("POST", "/chat/completions", completions)]


def _events(first: dict, rest: Iterator[dict]) -> Iterator[bytes]:
    """Server-sent events, each sent as soon as its chunk is made (no Content-Length, no buffering)."""

    def chunks() -> Iterator[dict]:
        yield first
        yield from rest

    yield from sse(chunks())


def build_app(brain: OfflineBrain | None = None, *, max_body_bytes: int = DEFAULT_MAX_BODY) -> Starlette:
    """The ASGI app (testable in-process with ``httpx.ASGITransport``)."""
    workers = OfflineWorkers(brain)

    async def not_found(request: Request, exc: Exception) -> Response:
        return _send(route_not_found(request.method, request.url.path))

    table = [
        Route(prefix + path, endpoint, methods=[method])
        for method, path, endpoint in routes(workers)
        for prefix in ("/v1", "")
    ]
    table += responses_routes(workers.brain)  # the Responses API, its own module (serving both prefixes)
    # the span (when exported) sees every request, a refused one too
    middleware = [*llm_server_spans(), Middleware(BodyLimit, max_bytes=max_body_bytes, error_body=_too_large)]
    app = Starlette(routes=table, middleware=middleware)
    app.add_exception_handler(404, not_found)
    return app


def _too_large(message: str) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": "too_large"}
    }


def _send(reply: WireResponse) -> Response:
    return Response(reply.content, status_code=reply.status, media_type=reply.content_type)


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    log_level: str = "warning",
    max_body_bytes: int = DEFAULT_MAX_BODY,
) -> None:
    """Run the endpoint under uvicorn until interrupted."""
    import uvicorn

    app = build_app(max_body_bytes=max_body_bytes)
    settle_heap()
    uvicorn.run(app, host=host, port=port, log_level=log_level)
