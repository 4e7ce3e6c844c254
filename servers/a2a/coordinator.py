"""The coordinator: an agent with memory whose tools delegate to its peers' skills, served over A2A.

``protoplay serve a2a coordinator --port 9100 --peer http://127.0.0.1:9101``. The peers' cards are read at
start-up (and again after a failure; see :class:`agents.a2a.coordinator.PeerToolbox`). Each A2A context is one
conversation, saved in ``memory.db``; long-term memory is shared. While a turn runs, every update of a peer's
task is relayed as a ``working`` status update (``protoplay/source`` names the peer). A turn settles as:

- ``input-required`` when the model asks the user, or when a peer's question is still unanswered at the end
  of the turn (the status message relays it; the next message resumes, and its answer reaches the peer's
  waiting task);
- ``failed`` when every delegation of the turn failed (peer down, too slow, task failed), with the model's
  explanation; also at once when no peer is reachable at all;
- otherwise ``completed``, with the answer and the peers' artifacts forwarded (named ``<peer>/<artifact>``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from a2a.server.agent_execution import RequestContext
from a2a.server.tasks import TaskUpdater
from a2a.types import Artifact, TaskState

from agents.a2a.client import PeerClient, PeerUnavailable
from agents.a2a.coordinator import COORDINATOR_SYSTEM_PROMPT, PeerToolbox
from agents.a2a.tasks import PeerUpdate
from agents.loop import Agent, RunResult
from agents.memory.backend import SessionBackend
from agents.memory.sessions import Session
from agents.toolbox import Observer, TurnContext
from servers.a2a.app import A2AApp, build_app, run_server
from servers.a2a.auth import principal_of
from servers.a2a.card import agent_card, protoplay_version
from servers.a2a.executor import LRU, AgentTaskExecutor, agent_message, conversation_name, new_artifact
from servers.a2a.recovery import recovery_for
from servers.a2a.replicas import Replica
from servers.a2a.store import open_task_store
from servers.serving import DEFAULT_MAX_BODY

if TYPE_CHECKING:
    import httpx
    from a2a.types import AgentSkill

    from agents.models.base import Model
    from servers.a2a.push import RetryPolicy

__all__ = ["COORDINATOR_NAME", "CoordinatorExecutor", "open_coordinator", "run_coordinator"]

log = logging.getLogger(__name__)

COORDINATOR_NAME = "protoplay-coordinator"
PENDING_KEY = "protoplay/pendingPeerTask"
"""Task metadata: the peer task waiting for the answer to the question this task relays."""
DESCRIPTION = (
    "A coordinator agent: splits an ML goal into requests for specialist agents it discovers by their cards, "
    "follows their tasks, answers their questions from context or asks you, and composes the final answer "
    "with their artifacts."
)


class CoordinatorExecutor(AgentTaskExecutor):
    """One saved conversation per A2A context and principal (one turn at a time per conversation on this
    replica). A conversation another replica continued meanwhile is reloaded from the store first."""

    def __init__(
        self,
        agent: Agent,
        toolbox: PeerToolbox,
        sessions: SessionBackend,
        *,
        trace: Any = None,
        budget_tokens: int = 8000,
        stamp: dict[str, str] | None = None,
    ) -> None:
        super().__init__(agent, name=COORDINATOR_NAME, trace=trace, stamp=stamp)
        self.toolbox = toolbox
        self.sessions = sessions
        self.budget_tokens = budget_tokens
        self._sessions: LRU = LRU(256)
        self._locks: LRU = LRU(1024)

    async def session_for(self, context: RequestContext) -> Session:
        name = conversation_name(context.context_id or "", principal_of(context.call_context))
        session = self._sessions.get(name)
        if session is None or not await session.is_current():
            session = await Session.open(
                name, self.sessions, budget_tokens=self.budget_tokens, summarize=True
            )
        return self._sessions.touch(name, session)

    @contextlib.asynccontextmanager
    async def turn_scope(
        self, context: RequestContext, updater: TaskUpdater, session: Session
    ) -> AsyncIterator[Observer | None]:
        lock = self._locks.get(session.name) or self._locks.touch(session.name, asyncio.Lock())
        async with lock:
            task = context.current_task
            saved = _struct(task.metadata).get(PENDING_KEY) if task is not None else None
            waiting = task is not None and task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
            if isinstance(saved, dict) and waiting:
                self.toolbox.restore_pending(session.name, saved)  # the coordinator restarted meanwhile
            await self.toolbox.tool_specs(TurnContext.of(session.name))
            if not self.toolbox.reachable:
                raise PeerUnavailable(self.toolbox.unreachable_message())

            async def relay(update: PeerUpdate) -> None:
                meta = {
                    "source": update.peer,
                    "peer_task": update.task_id,
                    "peer_state": update.state,
                    "peer_kind": update.kind,
                }
                meta |= {
                    key: value for key, value in update.metadata.items() if key in ("tool", "event", "ok")
                }
                text = f"{update.peer}: {update.text or update.state}"
                await updater.start_work(agent_message(updater, text, "progress", **meta))

            yield relay

    def describe_call(self, name: str, arguments: dict[str, Any] | str) -> str:
        return self.toolbox.describe_call(name, arguments)

    async def settle(self, result: RunResult, context: RequestContext, updater: TaskUpdater) -> str:
        session = result.session
        if result.needs_input:
            await updater.requires_input(agent_message(updater, result.needs_input, "question"))
            return "input-required"
        pending = self.toolbox.pending(session)
        asked = any(record.outcome.extra.get("peer_question") for record in result.tool_calls)
        if pending and asked:
            message = agent_message(updater, result.text or pending["question"], "question")
            # Kept with the task, so the answer still reaches the peer's task after a restart.
            metadata = {PENDING_KEY: pending}
            await updater.update_status(
                TaskState.TASK_STATE_INPUT_REQUIRED, message=message, metadata=metadata
            )
            return "input-required"
        delegations = [record for record in result.tool_calls if "peer" in record.outcome.extra]
        if delegations and all(record.outcome.extra.get("peer_failed") for record in delegations):
            await updater.failed(
                agent_message(updater, result.text or delegations[-1].outcome.content, "answer")
            )
            return "failed"
        for artifact in self._artifacts(result):
            await updater.add_artifact(
                list(artifact.parts), artifact_id=artifact.artifact_id, name=artifact.name
            )
        await updater.complete(agent_message(updater, result.text, "answer"))
        return "completed"

    @staticmethod
    def _artifacts(result: RunResult) -> list[Artifact]:
        from a2a.types import Part

        artifacts = [
            new_artifact("answer", [Part(text=result.text, media_type="text/markdown")], "The answer.")
        ]
        for record in result.tool_calls:
            for peer, forwarded in record.outcome.extra.get("artifacts") or ():
                if forwarded.name == "answer":
                    continue  # already part of the coordinator's own answer
                name = f"{peer}/{forwarded.name or forwarded.artifact_id}"
                artifacts.append(new_artifact(name, list(forwarded.parts), forwarded.description))
        return artifacts


def coordinator_skills(toolbox: PeerToolbox) -> list[AgentSkill]:
    """A general skill, plus each peer skill it can delegate to (as known at start-up)."""
    from a2a.types import AgentSkill

    skills = [
        AgentSkill(
            id="coordinate",
            name="Coordinate ML work",
            description=DESCRIPTION,
            tags=["coordination", "delegation", "a2a"],
            examples=[
                "Choose a backbone for a phone app under 5 M parameters",
                "Plan fine-tuning a 7B model on one 24 GB GPU",
            ],
            input_modes=["text/plain"],
            output_modes=["text/markdown", "application/json", "image/png"],
        )
    ]
    for peer in toolbox.peers:
        for skill in peer.card.skills if peer.card else ():
            delegated = AgentSkill()
            delegated.CopyFrom(skill)
            delegated.id = f"{peer.name}/{skill.id}"
            delegated.name = f"{skill.name} (via {peer.name})"
            skills.append(delegated)
    return skills


@contextlib.asynccontextmanager
async def open_coordinator(
    *,
    url: str,
    peers: Sequence[str],
    peer_token: str | None = None,
    peer_timeout_s: float = 120.0,
    token: str | None = None,
    tokens: Mapping[str, str] | None = None,
    task_store: str | None = None,
    memory_store: str | None = None,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    api: str | None = None,
    model_override: Model | None = None,
    max_steps: int = 8,
    trace_enabled: bool = True,
    peer_transport: httpx.AsyncBaseTransport | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    replica: Replica | None = None,
    replica_timeout_s: float | None = None,
    allow_private_webhooks: bool = False,
    push_retry: RetryPolicy | None = None,
) -> AsyncIterator[A2AApp]:
    """The coordinator's app with its model, peers, memory, trace and task store open; all closed on exit.

    ``tokens`` (token → principal) gives each caller its own tasks, conversations and memories;
    ``memory_store`` is a memory URL for :func:`agents.memory.open_memory` (PostgreSQL to share memory and
    conversations between replicas). Peers that cannot be reached at start-up are logged and tried again on
    later turns. A request body over ``max_body_bytes`` gets 413. See
    :func:`servers.a2a.specialist.open_specialist` for ``replica``; ``allow_private_webhooks`` and
    ``push_retry``: see :func:`servers.a2a.app.build_app`.
    """
    from agents.config import resolve_model_config
    from agents.memory.backends import open_memory
    from agents.runtime import open_model, spanned
    from agents.trace import TraceWriter
    from agents.traced import TracedModel

    config = resolve_model_config(model=model, base_url=base_url, api_key=api_key, api=api)
    async with AsyncExitStack() as stack:
        tasks = await stack.enter_async_context(open_task_store(task_store, table="coordinator_tasks"))
        recovery = await stack.enter_async_context(recovery_for(tasks, replica, replica_timeout_s))
        trace = TraceWriter(enabled=trace_enabled, agent=COORDINATOR_NAME, background=True)
        stack.callback(trace.close)
        memory = await stack.enter_async_context(open_memory(memory_store))
        clients = []
        for peer_url in peers:
            client = PeerClient(
                peer_url,
                token=peer_token,
                trace=trace,
                timeout_s=peer_timeout_s,
                user_agent=f"protoplay-coordinator/{protoplay_version()}",
                transport=peer_transport,
            )
            stack.push_async_callback(client.aclose)
            clients.append(client)
        toolbox = PeerToolbox(clients)
        for problem in await toolbox.start(session="coordinator-startup"):
            log.warning("peer not reachable at start-up (will retry): %s", problem)
        chat_model, delegations = spanned(open_model(stack, config, model_override), toolbox)
        agent = Agent(
            TracedModel(chat_model, trace) if trace.enabled else chat_model,  # PeerClient records peers
            delegations,
            memory=memory.long_term,
            system_prompt=COORDINATOR_SYSTEM_PROMPT,
            max_steps=max_steps,
        )
        card = agent_card(
            name=COORDINATOR_NAME,
            description=DESCRIPTION,
            url=url,
            skills=coordinator_skills(toolbox),
            token_required=bool(token or tokens),
        )
        executor = CoordinatorExecutor(agent, toolbox, memory.sessions, trace=trace, stamp=recovery.stamp)
        app = build_app(
            card=card,
            executor=executor,
            store=tasks,
            token=token,
            max_body_bytes=max_body_bytes,
            tokens=tokens,
            allow_private_webhooks=allow_private_webhooks,
            push_retry=push_retry,
        )
        stack.push_async_callback(app.aclose)
        yield app


async def run_coordinator(*, host: str = "127.0.0.1", port: int = 9100, **options: Any) -> None:
    """Serve the coordinator on ``host:port`` until cancelled (options: :func:`servers.a2a.app.run_server` and
    :func:`open_coordinator`)."""
    await run_server(open_coordinator, host=host, port=port, **options)


def _struct(value: Any) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(value) if value.ListFields() else {}
