"""The offline model as an OpenAI-compatible HTTP endpoint: ``protoplay serve llm --port N``.

``GET /v1/models`` and ``POST /v1/chat/completions`` (tools, ``stream: true`` as server-sent events), the same
wire format as the in-process transport (:mod:`agents.models.offline.wire`), and ``POST /v1/responses`` (the
Responses API, :mod:`servers.llm.responses`), so any OpenAI client can use it:

    OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="anything")
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agents.models.offline.engine import OfflineBrain
from agents.models.offline.wire import WireResponse, handle_chat_completions, models_listing, route_not_found
from servers.llm.responses import responses_routes
from servers.telemetry import llm_server_spans

__all__ = ["build_app", "serve"]

log = logging.getLogger(__name__)


def build_app(brain: OfflineBrain | None = None) -> Starlette:
    """The ASGI app (testable in-process with ``httpx.ASGITransport``)."""
    model = brain or OfflineBrain()

    async def models(request: Request) -> Response:
        return _send(WireResponse.json(200, models_listing()))

    async def completions(request: Request) -> Response:
        raw = await request.body()
        try:
            return _send(handle_chat_completions(model, raw))
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
    routes += responses_routes(model)
    app = Starlette(routes=routes, middleware=llm_server_spans())  # no middleware while export is off
    app.add_exception_handler(404, not_found)
    return app


def _send(reply: WireResponse) -> Response:
    return Response(reply.content, status_code=reply.status, media_type=reply.content_type)


def serve(host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "warning") -> None:
    """Run the endpoint under uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(build_app(), host=host, port=port, log_level=log_level)
