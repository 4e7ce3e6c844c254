"""The Agents panel's server side: any A2A agent by its URL, through the agent's own A2A client.

Every request goes through :class:`agents.a2a.client.PeerClient` (one per URL, kept while the playground
runs), which records each A2A message in the trace as ``protoplay-ui`` — so the Timeline shows the panel's
traffic like any agent's. A message sent here runs in the background; its task's updates and final state are
published as ``{"type": "a2a", "run", "url", "kind": "update" | "result" | "failed", ...}`` events.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agents.errors import AgentError

if TYPE_CHECKING:
    from a2a.types import Artifact, Task

    from agents.a2a.client import PeerClient
    from agents.a2a.tasks import PeerResult, PeerUpdate
    from servers.ui.hub import EventHub

__all__ = ["UI_AGENT", "PeerDesk", "PeerInputError", "artifact_json", "result_json"]

UI_AGENT = "protoplay-ui"
"""Who the panel is in traces and in its requests' User-Agent."""
_TIMEOUT_S = 300.0


class PeerInputError(AgentError):
    """A request the panel cannot send (a URL that is not one); the message names the field."""


class PeerDesk:
    """A2A clients by URL, the messages in flight, and the known agents to offer."""

    def __init__(
        self, hub: EventHub, *, peers: tuple[str, ...] = (), known: Callable[[], list[dict[str, str]]] = list
    ) -> None:
        from agents.trace import TraceWriter

        self.hub = hub
        self.peers = peers
        """The ``--peer`` URLs."""
        self._known = known
        self.trace = TraceWriter(agent=UI_AGENT)
        self._clients: dict[str, PeerClient] = {}
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._numbers = itertools.count(1)

    def known(self) -> list[dict[str, str]]:
        """The agents to prefill: the ``--peer`` URLs, then the running demo's coordinator and specialist."""
        return [{"url": url, "label": "--peer"} for url in self.peers] + self._known()

    async def card(self, url: str) -> dict[str, Any]:
        """The agent card (read again each time), as JSON."""
        from google.protobuf.json_format import MessageToDict

        client = self._client(url)
        card = await client.discover(session=_ui_session())
        return MessageToDict(card)

    async def send(
        self, url: str, text: str, *, task_id: str | None = None, context_id: str | None = None
    ) -> dict[str, str]:
        """Send ``text`` (continuing ``task_id`` when given) and follow the task in the background; returns
        the run id and the trace session its messages are recorded in."""
        from servers.a2a.executor import trace_session_name

        client = self._client(url)
        context = context_id or f"ui-{uuid.uuid4().hex[:12]}"
        session = trace_session_name(context)
        run = f"a{next(self._numbers)}"
        task = asyncio.create_task(self._follow(client, run, text, task_id, context, session), name=run)
        self._runs[run] = task
        task.add_done_callback(lambda _: self._runs.pop(run, None))
        return {"run": run, "session": session, "context_id": context}

    async def tasks(self, url: str) -> list[dict[str, Any]]:
        """The agent's tasks (``ListTasks``, newest first)."""
        response = await self._client(url).list_tasks(session=_ui_session())
        return [_task_row(task) for task in response.tasks]

    async def cancel(self, url: str, task_id: str) -> dict[str, Any]:
        """``CancelTask``; the task as it then stands."""
        if not task_id.strip():
            raise PeerInputError("task_id: give the id of the task to cancel")
        task = await self._client(url).cancel(task_id, session=_ui_session())
        return _task_row(task)

    async def aclose(self) -> None:
        for task in list(self._runs.values()):
            task.cancel()
        await asyncio.gather(*self._runs.values(), return_exceptions=True)
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        self.trace.close()

    def _client(self, url: str) -> PeerClient:
        from agents.a2a.client import PeerClient
        from servers.serving import http_url_problem

        url = url.strip()
        problem = http_url_problem(url)
        if problem is not None:
            raise PeerInputError(f"url: {problem}; give the agent's base URL, e.g. http://127.0.0.1:9101/")
        key = url.rstrip("/")
        client = self._clients.get(key)
        if client is None:
            client = PeerClient(key, trace=self.trace, timeout_s=_TIMEOUT_S, user_agent=UI_AGENT)
            self._clients[key] = client
        return client

    async def _follow(
        self, client: PeerClient, run: str, text: str, task_id: str | None, context: str, session: str
    ) -> None:
        def publish(kind: str, **fields: Any) -> None:
            event = {"type": "a2a", "run": run, "url": client.url, "session": session, "kind": kind}
            self.hub.publish(event | fields)

        async def on_update(update: PeerUpdate) -> None:
            publish(
                "update",
                task_id=update.task_id,
                state=update.state,
                text=update.text,
                update_kind=update.kind,
                metadata=update.metadata,
            )

        try:
            result = await client.send(
                text, session=session, task_id=task_id, context_id=context, on_update=on_update
            )
        except AgentError as error:
            publish("failed", message=str(error))
            return
        publish("result", **result_json(result))


def result_json(result: PeerResult) -> dict[str, Any]:
    """A settled task for the page: ids, state, final text and artifacts."""
    return {
        "task_id": result.task_id,
        "context_id": result.context_id,
        "state": result.state,
        "text": result.text,
        "artifacts": [artifact_json(artifact) for artifact in result.artifacts],
    }


def artifact_json(artifact: Artifact) -> dict[str, Any]:
    """An artifact for the page: text parts as text, data parts as JSON, images as data URLs."""
    from google.protobuf.json_format import MessageToDict

    parts: list[dict[str, Any]] = []
    for part in artifact.parts:
        if part.HasField("text"):
            parts.append({"kind": "text", "text": part.text, "media_type": part.media_type})
        elif part.HasField("data"):
            parts.append({"kind": "data", "data": MessageToDict(part.data)})
        elif part.HasField("raw") and part.media_type.startswith("image/"):
            encoded = base64.b64encode(part.raw).decode()
            parts.append({"kind": "image", "src": f"data:{part.media_type};base64,{encoded}"})
        elif part.HasField("raw"):
            parts.append({"kind": "file", "media_type": part.media_type, "bytes": len(part.raw)})
        elif part.HasField("url"):
            parts.append({"kind": "url", "url": part.url})
    return {
        "id": artifact.artifact_id,
        "name": artifact.name,
        "description": artifact.description,
        "parts": parts,
    }


def _task_row(task: Task) -> dict[str, Any]:
    from agents.a2a.tasks import message_text, state_name

    status = task.status
    return {
        "id": task.id,
        "context_id": task.context_id,
        "state": state_name(status.state),
        "text": message_text(status.message) if status.HasField("message") else "",
        "updated": status.timestamp.ToJsonString() if status.HasField("timestamp") else "",
        "artifacts": [artifact.name or artifact.artifact_id for artifact in task.artifacts],
    }


def _ui_session() -> str:
    """The trace session of the panel's requests that belong to no conversation (cards, listings)."""
    return "ui-agents"
