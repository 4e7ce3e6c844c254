"""The offline model as an httpx2 transport: plug it into ``openai.AsyncOpenAI`` and no socket is opened.

    client = AsyncOpenAI(api_key="offline", base_url="http://offline.protoplay.invalid/v1",
                         http_client=httpx2.AsyncClient(transport=OfflineTransport()))

Serves ``GET /v1/models`` and ``POST /v1/chat/completions`` (streamed or not); anything else is a 404. The
model reads bounded input and works in a worker thread (:mod:`agents.models.offline.bounds`), so a long
request never holds up the event loop the agent (or a server around it) runs on.
"""

from __future__ import annotations

import httpx2

from agents.models.offline.bounds import OfflineWorkers
from agents.models.offline.engine import OfflineBrain
from agents.models.offline.wire import WireResponse, models_listing, route_not_found

__all__ = ["OfflineTransport"]


class OfflineTransport(httpx2.AsyncBaseTransport):
    """Answers chat-completions requests with :class:`~agents.models.offline.engine.OfflineBrain`, in
    process."""

    def __init__(self, brain: OfflineBrain | None = None) -> None:
        self.workers = OfflineWorkers(brain)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path.rstrip("/")
        if request.method == "GET" and path.endswith("/models"):
            reply = WireResponse.json(200, models_listing())
        elif request.method == "POST" and path.endswith("/chat/completions"):
            reply = await self.workers.answer(await request.aread())
        else:
            reply = route_not_found(request.method, path)
        return httpx2.Response(
            reply.status, content=reply.content, headers={"content-type": reply.content_type}
        )
