"""The offline model as an OpenAI-compatible HTTP endpoint: ``protoplay serve llm --port N``.

``GET /v1/models`` and ``POST /v1/chat/completions`` (tools, ``stream: true`` as server-sent events), the same
wire format as the in-process transport (:mod:`agents.offline.wire`), so any OpenAI client can use it:

    OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="anything")
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from agents.offline.engine import OfflineBrain
from agents.offline.wire import (
    WireError,
    chat_completion,
    chat_completion_chunks,
    models_listing,
    parse_request,
    sse,
)

__all__ = ["build_app", "serve"]

log = logging.getLogger(__name__)


def build_app(brain: OfflineBrain | None = None) -> Starlette:
    """The ASGI app (testable in-process with ``httpx.ASGITransport``)."""
    model = brain or OfflineBrain()

    async def models(request: Request) -> Response:
        return JSONResponse(models_listing())

    async def completions(request: Request) -> Response:
        try:
            body = parse_request(await request.body())
        except WireError as exc:
            return JSONResponse(exc.body, status_code=exc.status)
        try:
            if body.get("stream"):
                chunks = list(sse(chat_completion_chunks(model, body)))
                return StreamingResponse(iter(chunks), media_type="text/event-stream")
            return JSONResponse(chat_completion(model, body))
        except Exception:
            log.exception("the offline model failed on a request")
            error = {"error": {"message": "internal error in the offline model", "type": "server_error"}}
            return JSONResponse(error, status_code=500)

    async def not_found(request: Request, exc: Exception) -> Response:
        message = (
            f"no route {request.method} {request.url.path}; try GET /v1/models or POST /v1/chat/completions"
        )
        return JSONResponse({"error": {"message": message, "type": "not_found"}}, status_code=404)

    routes = [
        Route("/v1/models", models, methods=["GET"]),
        Route("/models", models, methods=["GET"]),
        Route("/v1/chat/completions", completions, methods=["POST"]),
        Route("/chat/completions", completions, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.add_exception_handler(404, not_found)
    return app


def serve(host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "warning") -> None:
    """Run the endpoint under uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(build_app(), host=host, port=port, log_level=log_level)
