"""The offline model as an OpenAI-compatible HTTP endpoint: ``protoplay serve llm --port N``.

``GET /v1/models`` and ``POST /v1/chat/completions`` (tools, ``stream: true`` as server-sent events), the same
wire format as the in-process transport (:mod:`agents.models.offline.wire`), and ``POST /v1/responses`` (the
Responses API, :mod:`servers.llm.responses`), so any OpenAI client can use it:

    OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="anything")

A body over ``max_body_bytes`` is answered 413 before it is read; the model reads bounded input and works in
worker threads (:mod:`agents.models.offline.bounds`), so a long request never holds up ``/v1/models``.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agents.models.offline.bounds import OfflineWorkers
from agents.models.offline.engine import OfflineBrain
from agents.models.offline.wire import WireResponse, models_listing, route_not_found
from servers.llm.responses import responses_routes
from servers.serving import DEFAULT_MAX_BODY, BodyLimit

__all__ = ["build_app", "serve"]

log = logging.getLogger(__name__)


def build_app(brain: OfflineBrain | None = None, *, max_body_bytes: int = DEFAULT_MAX_BODY) -> Starlette:
    """The ASGI app (testable in-process with ``httpx.ASGITransport``)."""
    workers = OfflineWorkers(brain)

    async def models(request: Request) -> Response:
        return _send(WireResponse.json(200, models_listing()))

    async def completions(request: Request) -> Response:
        raw = await request.body()
        try:
            return _send(await workers.answer(raw))
        except Exception:
            log.exception("the offline model failed on a request")
            error = {"error": {"message": "internal error in the offline model", "type": "server_error"}}
            return JSONResponse(error, status_code=500)

    async def not_found(request: Request, exc: Exception) -> Response:
        return _send(route_not_found(request.method, request.url.path))

    routes = [
        Route("/v1/models", models, methods=["GET"]),
        Route("/models", models, methods=["GET"]),
        Route("/v1/chat/completions", completions, methods=["POST"]),
        Route("/chat/completions", completions, methods=["POST"]),
    ]
    routes += responses_routes(workers.brain)
    middleware = [Middleware(BodyLimit, max_bytes=max_body_bytes, error_body=_too_large)]
    app = Starlette(routes=routes, middleware=middleware)
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

    uvicorn.run(build_app(max_body_bytes=max_body_bytes), host=host, port=port, log_level=log_level)
