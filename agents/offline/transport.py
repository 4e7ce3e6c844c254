"""The offline model as an httpx2 transport: plug it into ``openai.AsyncOpenAI`` and no socket is opened.

    client = AsyncOpenAI(api_key="offline", base_url="http://offline.protoplay.invalid/v1",
                         http_client=httpx2.AsyncClient(transport=OfflineTransport()))

Serves ``GET /v1/models`` and ``POST /v1/chat/completions`` (streamed or not); anything else is a 404.
"""

from __future__ import annotations

import json

import httpx2

from agents.offline.engine import OfflineBrain
from agents.offline.wire import (
    WireError,
    chat_completion,
    chat_completion_chunks,
    models_listing,
    parse_request,
    sse,
)

__all__ = ["OfflineTransport"]


def _json(status: int, payload: object) -> httpx2.Response:
    return httpx2.Response(
        status,
        content=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"content-type": "application/json"},
    )


class OfflineTransport(httpx2.AsyncBaseTransport):
    """Answers chat-completions requests with :class:`~agents.offline.engine.OfflineBrain`, in process."""

    def __init__(self, brain: OfflineBrain | None = None) -> None:
        self.brain = brain or OfflineBrain()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path.rstrip("/")
        if request.method == "GET" and path.endswith("/models"):
            return _json(200, models_listing())
        if request.method != "POST" or not path.endswith("/chat/completions"):
            return _json(
                404, {"error": {"message": f"no route {request.method} {path}", "type": "not_found"}}
            )
        try:
            body = parse_request(await request.aread())
        except WireError as exc:
            return _json(exc.status, exc.body)
        if body.get("stream"):
            payload = b"".join(sse(chat_completion_chunks(self.brain, body)))
            return httpx2.Response(200, content=payload, headers={"content-type": "text/event-stream"})
        return _json(200, chat_completion(self.brain, body))
