"""The A2A adapter: one :class:`AgentTaskExecutor` maps an A2A request → an agent turn → task updates.

Subclasses decide only where a task's conversation lives (:meth:`AgentTaskExecutor.session_for`), what runs
around a turn (:meth:`AgentTaskExecutor.turn_scope`) and how a finished turn settles the task
(:meth:`AgentTaskExecutor.settle`); the lifecycle below is shared by the specialist and the coordinator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Artifact, Message, Part, Role, Task, TaskState, TaskStatus

from agents.errors import AgentError
from agents.local_tools import ASK_USER
from agents.loop import Agent, RunFinished, RunResult, ToolCallFinished, ToolCallStarted
from agents.messages import Message as ChatMessage
from agents.text import one_line
from agents.toolbox import Observer
from servers.a2a.auth import ANONYMOUS, principal_of
from servers.formatting import format_arguments

if TYPE_CHECKING:
    from agents.memory.sessions import Session
    from agents.trace import TraceWriter

__all__ = [
    "KIND",
    "LRU",
    "AgentTaskExecutor",
    "agent_message",
    "conversation_name",
    "history_messages",
    "new_artifact",
    "trace_session_name",
]

log = logging.getLogger(__name__)

KIND = "protoplay/kind"
"""Message metadata key: ``progress`` (a tool call started/finished), ``question`` or ``answer``."""

_TERMINAL = {
    TaskState.TASK_STATE_COMPLETED,
    TaskState.TASK_STATE_CANCELED,
    TaskState.TASK_STATE_FAILED,
    TaskState.TASK_STATE_REJECTED,
}


def trace_session_name(context_id: str) -> str:
    """The trace (and conversation) name of an A2A context: every agent serving it records there."""
    return f"a2a-{context_id}"


def conversation_name(context_id: str, principal: str = ANONYMOUS) -> str:
    """The conversation (session) of an A2A context as one principal sees it: two callers using the same
    context id never share a conversation. The anonymous principal keeps the plain trace name."""
    name = trace_session_name(context_id)
    return name if principal == ANONYMOUS else f"{principal}:{name}"


def agent_message(updater: TaskUpdater, text: str, kind: str, **metadata: Any) -> Message:
    """An agent message for a status update, tagged with its kind (and any extra metadata)."""
    return updater.new_agent_message([Part(text=text)], metadata={KIND: kind, **metadata})


class AgentTaskExecutor(AgentExecutor):
    """Runs one agent turn per A2A message and reports it through a :class:`TaskUpdater`.

    Lifecycle of a task:

    - the first message creates the task directly in ``working`` (its history holds the message); a message to
      a task waiting for input moves it back to ``working``; then one agent turn runs;
    - each tool call is announced by a ``working`` status update whose message names it, and when it ends
      (message metadata: ``protoplay/kind=progress``, ``tool``, ``arguments``/``ok``/``duration_ms``);
    - the turn ends → :meth:`settle`: artifacts and ``completed``, or ``input-required`` with the question as
      the status message (the next message to the same task runs the next turn of the same conversation);
    - an :class:`~agents.errors.AgentError` → ``failed`` with its message; any other exception is logged with
      its traceback and the task ``failed`` with a short message;
    - ``CancelTask`` cancels the turn in progress (tool calls included) and the task ends ``canceled``
      (a task waiting for input is cancelled at once).

    Concurrency: tasks run concurrently; the SDK never runs two messages of one task at once. Trace: the
    request and its outcome are recorded as ``a2a`` events in the context's trace session.
    """

    def __init__(
        self,
        agent: Agent,
        *,
        name: str,
        trace: TraceWriter | None = None,
        stamp: Mapping[str, str] | None = None,
    ) -> None:
        self.agent = agent
        self.name = name
        """This agent's name (trace events are recorded with the client as peer)."""
        self.trace = trace
        self.stamp = dict(stamp or {})
        """Metadata a task takes on whenever this server starts work on it (the replica running it, which
        :mod:`servers.a2a.recovery` reads when a server dies)."""
        self.cancel_grace_s = 5.0
        """How long :meth:`cancel` waits for the turn to stop before the SDK cancels it outright."""
        self._running: dict[str, asyncio.Task[str]] = {}
        self._stopped: dict[str, asyncio.Event] = {}

    # ------------------------------------------------------------------------------------------ hooks

    async def session_for(self, context: RequestContext) -> Session:
        """The conversation the task's turns run in."""
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def turn_scope(
        self, context: RequestContext, updater: TaskUpdater, session: Session
    ) -> AsyncIterator[Observer | None]:
        """Entered around each turn; yields who observes the work the turn's tools start elsewhere (the
        coordinator relays its peers' updates to the client here)."""
        yield None

    def describe_call(self, name: str, arguments: dict[str, Any] | str) -> str:
        """The status line for a tool call that starts."""
        return f"running {name}({format_arguments(arguments, width=140)})"

    async def settle(self, result: RunResult, context: RequestContext, updater: TaskUpdater) -> str:
        """Publish the turn's outcome (artifacts, final state); return the state name for the trace."""
        raise NotImplementedError

    # ------------------------------------------------------------------------------------------ A2A

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        task_id, context_id = context.task_id or "", context.context_id or ""
        updater = TaskUpdater(event_queue, task_id, context_id)
        method = str(context.call_context.state.get("method") or "SendMessage")
        client = _client_name(context)
        session_name = trace_session_name(context_id)
        user_text = context.get_user_input()
        started = time.perf_counter()
        summary = {"summary": one_line(user_text, 160), "task_id": task_id}
        self._record("in", client, method, summary, None, session_name)
        if context.current_task is not None:
            # The SDK applies this turn's updates to the very object it handed over: keep the task as it was
            # when the message arrived (e.g. still waiting for input), for the hooks that read it.
            arrived = Task()
            arrived.CopyFrom(context.current_task)
            context.current_task = arrived
        if context.current_task is None:
            history = [context.message] if context.message is not None else []
            working = TaskStatus(state=TaskState.TASK_STATE_WORKING)
            working.timestamp.GetCurrentTime()
            task = Task(id=task_id, context_id=context_id, status=working, history=history)
            task.metadata.update(self.stamp)
            await event_queue.enqueue_event(task)
        else:
            await updater.update_status(TaskState.TASK_STATE_WORKING, metadata=self.stamp or None)
        stopped = self._stopped[task_id] = asyncio.Event()
        work = asyncio.create_task(self._turn(context, updater, user_text))
        self._running[task_id] = work
        try:
            state = await work
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not work.cancelled() or (current is not None and current.cancelling()):
                work.cancel()
                raise  # the SDK itself is stopping this request; it records the outcome
            await updater.cancel(agent_message(updater, "Cancelled at the client's request.", "answer"))
            state = "canceled"
        finally:
            self._running.pop(task_id, None)
            self._stopped.pop(task_id, None)
            stopped.set()
        self._record(
            "out", client, method, {"summary": state, "task_id": task_id}, _ms(started), session_name
        )

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        task_id = context.task_id or ""
        task = context.current_task
        session = trace_session_name(context.context_id or (task.context_id if task else ""))
        self._record("in", _client_name(context), "CancelTask", {"summary": f"task {task_id}"}, None, session)
        work, stopped = self._running.get(task_id), self._stopped.get(task_id)
        if work is not None and stopped is not None:
            work.cancel()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.cancel_grace_s):
                    await stopped.wait()
            return
        if task is not None and task.status.state not in _TERMINAL:
            updater = TaskUpdater(event_queue, task_id, context.context_id or task.context_id)
            await updater.cancel(agent_message(updater, "Cancelled at the client's request.", "answer"))

    # ------------------------------------------------------------------------------------------ the turn

    async def _turn(self, context: RequestContext, updater: TaskUpdater, user_text: str) -> str:
        try:
            session = await self.session_for(context)
            result: RunResult | None = None
            async with self.turn_scope(context, updater, session) as observer:
                events = self.agent.stream(
                    user_text,
                    session=session,
                    context_id=context.context_id or None,
                    observer=observer,
                    principal=principal_of(context.call_context),
                )
                async for event in events:
                    if (
                        isinstance(event, ToolCallStarted | ToolCallFinished)
                        and _tool_name(event) == ASK_USER
                    ):
                        continue  # the question itself becomes the input-required status
                    if isinstance(event, ToolCallStarted):
                        text = self.describe_call(event.name, event.arguments)
                        meta = {"tool": event.name, "event": "started"}
                        await updater.start_work(agent_message(updater, text, "progress", **meta))
                    elif isinstance(event, ToolCallFinished):
                        await updater.start_work(self._finished_message(updater, event))
                    elif isinstance(event, RunFinished):
                        result = event.result
            assert result is not None
            return await self.settle(result, context, updater)
        except AgentError as error:
            await updater.failed(agent_message(updater, str(error), "answer"))
            return "failed"
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: task %s crashed", self.name, updater.task_id)
            text = f"{self.name} hit an internal error on this task (the traceback is in the server log)."
            await updater.failed(agent_message(updater, text, "answer"))
            return "failed"

    def _finished_message(self, updater: TaskUpdater, event: ToolCallFinished) -> Message:
        record = event.record
        took = f"{record.outcome.duration_ms:.0f} ms"
        if record.outcome.is_error:
            reason = one_line(record.outcome.content.removeprefix("Error: "), 200)
            text = f"{record.name} failed ({took}): {reason}"
        else:
            text = f"{record.name} done ({took})"
        meta = {"tool": record.name, "event": "finished", "ok": not record.outcome.is_error}
        return agent_message(updater, text, "progress", **meta)

    def _record(
        self, direction: str, peer: str, method: str, payload: Any, ms: float | None, session: str
    ) -> None:
        if self.trace is not None:
            self.trace.record("a2a", direction, peer, method, payload, ms, session)


def history_messages(task: Task | None, *, skip_message_id: str = "") -> list[list[ChatMessage]]:
    """A task's conversation rebuilt from its A2A history, as turns of chat messages.

    User messages start turns; agent messages tagged ``question`` or ``answer`` join them (progress updates
    are left out). Used when the in-memory conversation is gone: after a restart, or on another replica.
    """
    from google.protobuf.json_format import MessageToDict

    turns: list[list[ChatMessage]] = []
    if task is None:
        return turns
    messages = list(task.history)
    if task.status.HasField("message"):  # the question of a waiting task is still its status message
        messages.append(task.status.message)
    for message in messages:
        if message.message_id == skip_message_id:
            continue
        text = "\n".join(part.text for part in message.parts if part.HasField("text"))
        if message.role == Role.ROLE_USER:
            turns.append([{"role": "user", "content": text}])
        elif turns and MessageToDict(message.metadata).get(KIND) in ("question", "answer"):
            turns[-1].append({"role": "assistant", "content": text})
    return [turn for turn in turns if len(turn) > 1]


class LRU(OrderedDict):
    """A dict that keeps the ``limit`` most recently used entries."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def touch(self, key: Any, value: Any) -> Any:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)
        return value


def new_artifact(name: str, parts: list[Part], description: str = "") -> Artifact:
    import uuid

    return Artifact(artifact_id=str(uuid.uuid4()), name=name, description=description, parts=parts)


def _tool_name(event: ToolCallStarted | ToolCallFinished) -> str:
    return event.name if isinstance(event, ToolCallStarted) else event.record.name


def _client_name(context: RequestContext) -> str:
    headers = context.call_context.state.get("headers") or {}
    agent = str(headers.get("user-agent") or "client").split("/", 1)[0]
    return agent if agent.startswith("protoplay") else "client"


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1e3
