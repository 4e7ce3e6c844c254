"""Helpers for the A2A tests: a plain httpx JSON-RPC client (no SDK), servers in-process or on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx

VERSION_HEADERS = {"A2A-Version": "1.0"}


def user_message(text: str, *, task_id: str | None = None, context_id: str | None = None) -> dict[str, Any]:
    """An A2A 1.0 user message as JSON (camelCase, enum names), as any client would write it by hand."""
    message: dict[str, Any] = {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"text": text}]}
    if task_id:
        message["taskId"] = task_id
    if context_id:
        message["contextId"] = context_id
    return message


class JsonRpc:
    """A2A over plain HTTP + JSON-RPC 2.0 with httpx: what a client without the SDK sends."""

    def __init__(self, client: httpx.AsyncClient, *, token: str | None = None) -> None:
        self.client = client
        self.headers = dict(VERSION_HEADERS)
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self._ids = 0

    async def raw(
        self, method: str, params: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        self._ids += 1
        body = {"jsonrpc": "2.0", "id": self._ids, "method": method, "params": params}
        return await self.client.post(
            "/", json=body, headers=headers if headers is not None else self.headers
        )

    async def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """The ``result`` of a call; fails the test on a JSON-RPC error."""
        response = await self.raw(method, params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "error" not in body, body
        return body["result"]

    async def error(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        response = await self.raw(method, params)
        body = response.json()
        assert "error" in body, body
        return body["error"]

    async def stream(self, method: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every SSE event's ``result`` of a streaming call, in order."""
        response = await self.raw(method, params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/event-stream")
        events = []
        for line in response.text.splitlines():
            if line.startswith("data:"):
                body = json.loads(line[5:])
                assert "error" not in body, body
                events.append(body["result"])
        return events

    async def send(self, text: str, **ids: str | None) -> dict[str, Any]:
        return (await self.call("SendMessage", {"message": user_message(text, **ids)}))["task"]


def asgi_client(app: Any, base_url: str = "http://specialist") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=base_url)


@contextlib.asynccontextmanager
async def specialist_rpc(mcp_server: Any, model: Any, **options: Any) -> AsyncIterator[JsonRpc]:
    """The specialist in-process on ``model`` (``open_specialist`` options) and a plain JSON-RPC client."""
    from servers.a2a.specialist import open_specialist

    async with (
        open_specialist(url="http://specialist/", mcp=mcp_server, model_override=model, **options) as a2a,
        asgi_client(a2a.app) as client,
    ):
        yield JsonRpc(client)


def text_of(artifact: dict[str, Any]) -> str:
    return "\n".join(part["text"] for part in artifact["parts"] if "text" in part)


def artifacts_by_name(task: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {artifact["name"]: artifact for artifact in task.get("artifacts", [])}


def status_texts(events: list[dict[str, Any]]) -> list[str]:
    texts = []
    for event in events:
        status = (event.get("statusUpdate") or {}).get("status") or {}
        parts = (status.get("message") or {}).get("parts") or []
        texts += [part["text"] for part in parts if "text" in part]
    return texts


@contextlib.asynccontextmanager
async def running(runner: Any, *, port: int = 0, **options: Any) -> AsyncIterator[str]:
    """Run ``runner`` (``run_specialist``, ``run_coordinator``) on 127.0.0.1 in the block; yields its URL."""
    ready = asyncio.Event()
    urls: list[str] = []
    task = asyncio.create_task(
        runner(host="127.0.0.1", port=port, ready=ready, on_ready=urls.append, **options)
    )
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiter}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    if not ready.is_set():
        waiter.cancel()
        await task  # raises why it did not start
        raise RuntimeError("the server did not start")
    await asyncio.sleep(0)  # let on_ready run
    try:
        yield urls[0].rstrip("/")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# ------------------------------------------------------------------------------------------------- webhooks


class WebhookReceiver:
    """A real HTTP webhook on 127.0.0.1 (uvicorn): records every POST and answers with scripted statuses.

    ``answers`` is consumed one status per request (then 200 for all later ones); ``redirect`` is where a 3xx
    answer points. ``url`` is ``http://127.0.0.1:PORT/hook``; other paths are recorded too.
    """

    def __init__(self, answers: tuple[int, ...] = (), *, redirect: str = "/elsewhere") -> None:
        self.answers = list(answers)
        self.redirect = redirect
        self.received: list[dict[str, Any]] = []
        """Per request: ``path``, ``headers`` (lower-case names), ``body`` (parsed JSON), ``status``."""
        self.url = ""
        self._arrived = asyncio.Condition()

    async def _endpoint(self, request: Any) -> Any:
        from starlette.responses import Response

        status = self.answers.pop(0) if self.answers else 200
        body = await request.json()
        async with self._arrived:
            self.received.append(
                {"path": request.url.path, "headers": dict(request.headers), "body": body, "status": status}
            )
            self._arrived.notify_all()
        headers = {"location": self.redirect} if status in (301, 302, 307, 308) else {}
        return Response(status_code=status, headers=headers)

    def accepted(self, path: str = "/hook") -> list[dict[str, Any]]:
        """The bodies answered 2xx at ``path``, in arrival order."""
        return [r["body"] for r in self.received if r["path"] == path and 200 <= r["status"] < 300]

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        """Until ``predicate(self)`` holds (fails the test after ``timeout`` seconds)."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: predicate(self))

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[WebhookReceiver]:
        from starlette.applications import Starlette
        from starlette.routing import Route

        from servers.a2a.app import listen, serve

        app = Starlette(routes=[Route("/{path:path}", self._endpoint, methods=["POST"])])
        sock = listen("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
        ready = asyncio.Event()
        task = asyncio.create_task(serve(app, sock, ready=ready))
        await asyncio.wait_for(ready.wait(), 10)
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def echo_executor() -> Any:
    """The smallest task-producing executor: the task in ``working``, one ``echo`` artifact, ``completed``."""
    from a2a.server.agent_execution import AgentExecutor
    from a2a.server.tasks import TaskUpdater
    from a2a.types import Part, Task, TaskState, TaskStatus

    class Echo(AgentExecutor):
        async def execute(self, context: Any, event_queue: Any) -> None:
            updater = TaskUpdater(event_queue, context.task_id, context.context_id)
            if context.current_task is None:
                status = TaskStatus(state=TaskState.TASK_STATE_WORKING)
                task = Task(id=context.task_id, context_id=context.context_id, status=status)
                task.history.append(context.message)
                await event_queue.enqueue_event(task)
            await updater.add_artifact([Part(text=f"echo: {context.get_user_input()}")], name="echo")
            await updater.complete()

        async def cancel(self, context: Any, event_queue: Any) -> None:
            await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()

    return Echo()
