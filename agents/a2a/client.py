"""The agent's side of A2A: discover a peer by its card, send it messages, follow its tasks, cancel them.

A thin layer over the official a2a-sdk client (JSON-RPC binding over httpx). It adds what an agent that
delegates needs around the SDK:

- a bearer token on every request (the card itself is public);
- a bounded time for everything: connecting, the whole exchange (``timeout_s``); a task still running at the
  deadline is cancelled at the peer and reported as :class:`PeerTimeout` — never a hang;
- following a task until it settles (completed, failed, canceled, rejected, or waiting for input): by its
  stream when the card declares streaming, else — or when a stream breaks mid-way — by polling ``GetTask``;
- cancelling the peer's task when the caller is cancelled;
- one trace event per A2A message (``protocol="a2a"``), in the caller's session.

The task model (states, updates, results, the follower) lives in :mod:`agents.a2a.tasks`.

Failures the caller should show to a person raise :class:`PeerError` subclasses whose message is a complete
sentence naming the peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx

from agents import telemetry
from agents.a2a.tasks import (
    PeerResult,
    PeerUpdate,
    TaskFollower,
    UpdateCallback,
    artifact_summary,
    message_text,
    state_name,
)
from agents.config import AGENT_NAME
from agents.errors import AgentError
from agents.text import one_line

if TYPE_CHECKING:
    from a2a.client import Client
    from a2a.types import AgentCard, ListTasksResponse, StreamResponse, Task

    from agents.trace import TraceWriter

__all__ = [
    "PROTOCOL_VERSION",
    "PeerClient",
    "PeerError",
    "PeerTimeout",
    "PeerUnavailable",
]

PROTOCOL_VERSION = "1.0"
"""The A2A protocol version spoken (sent as the ``A2A-Version`` header)."""


class PeerError(AgentError):
    """A peer agent could not do what was asked; ``str(error)`` is a sentence for the user."""


class PeerUnavailable(PeerError):
    """The peer could not be reached, refused the request (e.g. 401) or answered something unreadable."""

    def __init__(self, message: str, *, task_id: str | None = None) -> None:
        super().__init__(message)
        if _UNAUTHORIZED in message:
            self.setting = "peer_token"  # the caller's layer names how its user sets the token
        self.task_id = task_id
        """The peer's task, when it was created before the peer stopped answering (so resending would
        duplicate it)."""


class PeerTimeout(PeerError):
    """The peer did not settle the task within the allowed time (the task was cancelled at the peer)."""


class PeerClient:
    """One peer agent reached over A2A: its card, and the SDK client bound to it.

    Create it with the peer's base URL (where ``/.well-known/agent-card.json`` is served); :meth:`discover`
    reads the card (again after a failure: call it whenever :attr:`card` may be stale). Safe to use from
    several tasks at once. Close it with :meth:`aclose` (or ``async with``).
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        trace: TraceWriter | None = None,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 5.0,
        poll_interval_s: float = 0.25,
        streaming: bool = True,
        user_agent: str = AGENT_NAME,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.trace = trace
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.poll_interval_s = poll_interval_s
        self.prefer_streaming = streaming
        """Use the stream when the card offers one (``False``: always send, then poll ``GetTask``)."""
        headers = {"A2A-Version": PROTOCOL_VERSION, "User-Agent": user_agent}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if telemetry.enabled():  # each request a span, its context in the headers
            from agents.a2a.spans import SpanTransport

            transport = SpanTransport(transport or httpx.AsyncHTTPTransport())
        # No socket read timeout (a stream is quiet while a tool runs): `timeout_s` bounds the exchange.
        self._http = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(None, connect=connect_timeout_s),
            transport=transport,
        )
        self.card: AgentCard | None = None
        """The peer's card, once :meth:`discover` succeeded."""
        self.last_error: str | None = None
        """Why the last attempt to reach the peer failed (``None`` after a success)."""
        self._client: Client | None = None

    @property
    def name(self) -> str:
        """The card's name, or the URL's host:port before the card is known."""
        if self.card is not None and self.card.name:
            return self.card.name
        return httpx.URL(self.url).netloc.decode() or self.url

    @property
    def streams(self) -> bool:
        return self.prefer_streaming and self.card is not None and self.card.capabilities.streaming

    async def __aenter__(self) -> PeerClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------------------------------ discovery

    async def discover(self, *, session: str = "default") -> AgentCard:
        """Fetch the card (``GET /.well-known/agent-card.json``) and bind the client to it.

        Raises :class:`PeerUnavailable` with a readable reason when it cannot be fetched or parsed.
        """
        from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
        from a2a.client.errors import A2AClientError

        started = time.perf_counter()
        self._record(
            "out", "GetAgentCard", {"summary": f"GET {self.url}/.well-known/agent-card.json"}, None, session
        )
        try:
            async with asyncio.timeout(self.connect_timeout_s * 2):
                card = await A2ACardResolver(self._http, self.url).get_agent_card()
        except (A2AClientError, TimeoutError) as exc:
            reason = _reason(exc) if not isinstance(exc, TimeoutError) else "no answer in time"
            self.last_error = f"{self.url} is not reachable: {reason}"
            self._record("in", "GetAgentCard", {"summary": f"failed: {reason}"}, _ms(started), session)
            raise PeerUnavailable(f"Could not read the agent card of {self.url}: {reason}.") from exc
        config = ClientConfig(
            httpx_client=self._http,
            streaming=self.prefer_streaming and card.capabilities.streaming,
            polling=not (self.prefer_streaming and card.capabilities.streaming),
        )
        try:
            self._client = ClientFactory(config).create(card)
        except ValueError as exc:
            raise PeerUnavailable(
                f"{card.name or self.url} offers no JSON-RPC interface this client speaks."
            ) from exc
        self.card, self.last_error = card, None
        skills = ", ".join(skill.id for skill in card.skills)
        self._record(
            "in", "GetAgentCard", {"summary": f"{card.name}: skills {skills}"}, _ms(started), session
        )
        return card

    # ------------------------------------------------------------------------------------------ messages

    async def send(
        self,
        text: str,
        *,
        session: str = "default",
        task_id: str | None = None,
        context_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        on_update: UpdateCallback | None = None,
    ) -> PeerResult:
        """Send ``text`` (continuing ``task_id`` when given) and follow the task until it settles.

        Every update is passed to ``on_update`` as it arrives. Raises :class:`PeerUnavailable` when the peer
        cannot be reached, :class:`PeerTimeout` after ``timeout_s`` (the peer's task is then cancelled), and
        cancels the peer's task when the calling task is cancelled.
        """
        from a2a.types import Message, Part, Role, SendMessageRequest

        await self._ready(session)
        message = Message(
            message_id=str(uuid.uuid4()),
            role=Role.ROLE_USER,
            parts=[Part(text=text)],
            task_id=task_id or "",
            context_id=context_id or "",
            metadata=metadata or None,
        )
        request = SendMessageRequest(message=message)
        follower = TaskFollower(self.name)
        method = "SendStreamingMessage" if self.streams else "SendMessage"
        started = time.perf_counter()
        digest = {"summary": one_line(text, 160), "task_id": task_id, "context_id": context_id}
        self._record("out", method, digest, None, session)
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._exchange(request, follower, method, started, session, on_update)
                while not follower.settled:
                    await asyncio.sleep(self.poll_interval_s)
                    try:
                        task = await self.get_task(follower.task_id, session=session)
                    except PeerUnavailable as exc:
                        raise PeerUnavailable(
                            f"{self.name} stopped answering about its task {follower.task_id}: {exc}",
                            task_id=follower.task_id,
                        ) from exc
                    before = (follower.state, follower.text)
                    follower.absorb_task(task)
                    if on_update is not None and (follower.state, follower.text) != before:
                        await on_update(
                            PeerUpdate(self.name, follower.task_id, follower.state, follower.text, "status")
                        )
        except TimeoutError:
            if follower.task_id:
                await self._cancel_quietly(follower.task_id, session)
            raise PeerTimeout(
                f"{self.name} did not finish within {self.timeout_s:g} s"
                + (f"; its task {follower.task_id} was cancelled." if follower.task_id else ".")
            ) from None
        except asyncio.CancelledError:
            if follower.task_id and not follower.settled:
                await asyncio.shield(self._cancel_quietly(follower.task_id, session))
            raise
        return follower.result()

    async def _exchange(
        self,
        request: Any,
        follower: TaskFollower,
        method: str,
        started: float,
        session: str,
        on_update: UpdateCallback | None,
    ) -> None:
        """Send the message; absorb the stream (or the immediate answer) into ``follower``."""
        from a2a.client.errors import A2AClientError
        from a2a.utils.errors import A2AError

        assert self._client is not None
        try:
            async for event in self._client.send_message(request):
                update = follower.absorb(event)
                self._record("in", method, _event_digest(event), _ms(started), session)
                if update is not None and on_update is not None:
                    await on_update(update)
                if follower.settled:
                    return
        except A2AClientError as exc:
            if follower.task_id and _is_transport_error(exc):
                return  # the stream broke after the task was created: the caller polls GetTask
            self._failed(exc)
            self._record("in", method, {"summary": f"failed: {_reason(exc)}"}, _ms(started), session)
            what = "is not reachable" if _is_transport_error(exc) else "refused the request"
            raise PeerUnavailable(f"{self.name} at {self.url} {what} ({_reason(exc)}).") from exc
        except A2AError as exc:
            self._record("in", method, {"summary": f"error: {exc}"}, _ms(started), session)
            raise PeerUnavailable(f"{self.name} rejected the request: {exc}") from exc

    async def get_task(self, task_id: str, *, session: str = "default") -> Task:
        """``GetTask``: the task as the peer stores it."""
        from a2a.client.errors import A2AClientError
        from a2a.types import GetTaskRequest
        from a2a.utils.errors import A2AError

        client = await self._ready(session)
        started = time.perf_counter()
        self._record("out", "GetTask", {"summary": f"task {task_id}"}, None, session)
        try:
            task = await client.get_task(GetTaskRequest(id=task_id, history_length=0))
        except A2AClientError as exc:
            raise self._unreachable(exc) from exc
        except A2AError as exc:
            raise PeerUnavailable(f"{self.name} could not return task {task_id}: {exc}") from exc
        summary = f"task {task_id}: {state_name(task.status.state)}"
        self._record("in", "GetTask", {"summary": summary}, _ms(started), session)
        return task

    async def list_tasks(
        self,
        *,
        session: str = "default",
        context_id: str | None = None,
        status: str | None = None,
        page_size: int = 100,
        page_token: str | None = None,
    ) -> ListTasksResponse:
        """``ListTasks``: one page (up to ``page_size``, at most 100) of the peer's tasks, newest first,
        without artifacts; ``status`` filters by state, spelled as :func:`state_name` spells it
        (``completed``, ``input-required``...; another name raises ``ValueError``)."""
        from a2a.client.errors import A2AClientError
        from a2a.types import ListTasksRequest, TaskState
        from a2a.utils.errors import A2AError

        client = await self._ready(session)
        request = ListTasksRequest(
            context_id=context_id or "", page_size=page_size, page_token=page_token or ""
        )
        if status:
            request.status = TaskState.Value(f"TASK_STATE_{status.upper().replace('-', '_')}")
        try:
            return await client.list_tasks(request)
        except A2AClientError as exc:
            raise self._unreachable(exc) from exc
        except NotImplementedError as exc:  # the SDK's 0.3 transport: that protocol has no ListTasks
            raise PeerError(f"{self.name} speaks A2A 0.3, which has no way to list tasks.") from exc
        except A2AError as exc:
            raise PeerError(f"{self.name} could not list its tasks: {exc}") from exc

    async def cancel(self, task_id: str, *, session: str = "default") -> Task:
        """``CancelTask``: ask the peer to stop the task; returns the task as it then stands."""
        from a2a.client.errors import A2AClientError
        from a2a.types import CancelTaskRequest
        from a2a.utils.errors import A2AError

        client = await self._ready(session)
        started = time.perf_counter()
        self._record("out", "CancelTask", {"summary": f"task {task_id}"}, None, session)
        try:
            task = await client.cancel_task(CancelTaskRequest(id=task_id))
        except A2AClientError as exc:
            raise self._unreachable(exc) from exc
        except A2AError as exc:
            self._record("in", "CancelTask", {"summary": f"refused: {exc}"}, _ms(started), session)
            raise PeerError(f"{self.name} could not cancel task {task_id}: {exc}") from exc
        summary = f"task {task_id}: {state_name(task.status.state)}"
        self._record("in", "CancelTask", {"summary": summary}, _ms(started), session)
        return task

    async def _cancel_quietly(self, task_id: str, session: str) -> None:
        """Best-effort cancel within the connect timeout (the task may have settled meanwhile)."""
        with contextlib.suppress(PeerError, TimeoutError):
            async with asyncio.timeout(self.connect_timeout_s):
                await self.cancel(task_id, session=session)

    # ------------------------------------------------------------------------------------------ internals

    async def _ready(self, session: str) -> Client:
        """The SDK client, reading the card first when it is not known (or was dropped after a failure)."""
        if self._client is None:
            await self.discover(session=session)
        assert self._client is not None
        return self._client

    def _unreachable(self, exc: BaseException) -> PeerUnavailable:
        self._failed(exc)
        return PeerUnavailable(f"{self.name} at {self.url} is not reachable: {_reason(exc)}.")

    def _failed(self, exc: BaseException) -> None:
        self.last_error = f"{self.url}: {_reason(exc)}"
        if _is_transport_error(exc):
            self._client = None  # re-read the card before the next attempt

    def _record(
        self, direction: str, method: str, payload: Any, duration_ms: float | None, session: str
    ) -> None:
        if self.trace is not None:
            self.trace.record("a2a", direction, self.name, method, payload, duration_ms, session)


def _event_digest(event: StreamResponse) -> dict[str, Any]:
    kind = event.WhichOneof("payload")
    if kind == "task":
        task = event.task
        state = state_name(task.status.state)
        return {"summary": f"task {task.id}: {state}", "task_id": task.id, "state": state}
    if kind == "status_update":
        update = event.status_update
        state = state_name(update.status.state)
        text = message_text(update.status.message) if update.status.HasField("message") else ""
        summary = f"{state}: {one_line(text, 140)}" if text else state
        return {"summary": summary, "task_id": update.task_id, "state": state}
    if kind == "artifact_update":
        update = event.artifact_update
        return {"summary": f"artifact {artifact_summary(update.artifact)}", "task_id": update.task_id}
    if kind == "message":
        return {"summary": f"message: {one_line(message_text(event.message), 140)}"}
    return {"summary": "(empty event)"}


def _is_transport_error(exc: BaseException) -> bool:
    cause = exc.__cause__
    return isinstance(cause, httpx.TransportError) or "Network communication error" in str(exc)


_UNAUTHORIZED = "401 Unauthorized (missing or wrong bearer token)"


def _reason(exc: BaseException) -> str:
    """The most specific readable reason in an exception chain (HTTP status, refused connection...)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 6:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for item in chain:
        if isinstance(item, httpx.HTTPStatusError):
            if item.response.status_code == 401:
                return _UNAUTHORIZED
            return f"HTTP {item.response.status_code}"
        if isinstance(item, httpx.ConnectError):
            return "could not connect: nothing answers at that address"
        if isinstance(item, httpx.TimeoutException):
            return "timed out"
    status = getattr(exc, "status_code", None)
    if status == 401:
        return _UNAUTHORIZED
    text = str(exc) or type(exc).__name__
    return (
        text.split(": ", 1)[-1]
        if text.startswith(("Network communication error", "Failed to fetch"))
        else text
    )


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1e3
