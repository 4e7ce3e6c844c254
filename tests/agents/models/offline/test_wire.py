"""`agents.models.offline.wire`: the one request → response path of the in-process transport and
`serve llm`."""

from __future__ import annotations

import json

import httpx2

from agents.models.offline.engine import OfflineBrain
from agents.models.offline.transport import OfflineTransport
from agents.models.offline.wire import handle_chat_completions, route_not_found


def test_a_rejected_request_is_a_400_with_an_openai_style_error():
    reply = handle_chat_completions(OfflineBrain(), b'{"messages": []}')
    assert reply.status == 400 and reply.content_type == "application/json"
    assert json.loads(reply.content)["error"]["param"] == "messages"


def test_a_streamed_request_is_server_sent_events():
    body = {"messages": [{"role": "user", "content": "hello"}], "stream": True}
    reply = handle_chat_completions(OfflineBrain(), json.dumps(body).encode())
    assert reply.status == 200 and reply.content_type == "text/event-stream"
    assert reply.content.endswith(b"data: [DONE]\n\n")


def test_a_plain_request_is_one_completion():
    body = {"messages": [{"role": "user", "content": "hello"}]}
    reply = handle_chat_completions(OfflineBrain(), json.dumps(body).encode())
    assert json.loads(reply.content)["object"] == "chat.completion"


async def test_the_transport_answers_unknown_routes_with_the_shared_404():
    async with httpx2.AsyncClient(transport=OfflineTransport(), base_url="http://offline.invalid") as client:
        response = await client.get("/v2/nothing")
    expected = route_not_found("GET", "/v2/nothing")
    assert response.status_code == 404 and response.content == expected.content
