"""A2A tasks as the delegating agent sees them: state names, texts, updates, results, and the follower.

:class:`TaskFollower` assembles the latest state of one peer task from stream events or ``GetTask`` answers;
:class:`PeerUpdate` is one thing that happened to it, :class:`PeerResult` the task once it settled. The
transport (discovery, sending, polling, cancelling, tracing) lives in :mod:`agents.a2a.client`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from a2a.types import Artifact, Message, StreamResponse, Task

__all__ = [
    "SETTLED_STATES",
    "PeerResult",
    "PeerUpdate",
    "TaskFollower",
    "UpdateCallback",
    "artifact_summary",
    "message_text",
    "state_name",
]

SETTLED_STATES = frozenset({"completed", "failed", "canceled", "rejected", "input-required", "auth-required"})
"""States in which a task waits for nobody but its client: terminal, or interrupted (waiting for input)."""


def state_name(state: int) -> str:
    """``TASK_STATE_INPUT_REQUIRED`` → ``input-required`` (the A2A spec's spelling)."""
    from a2a.types import TaskState

    name = TaskState.Name(state) if state in TaskState.values() else "TASK_STATE_UNSPECIFIED"
    return name.removeprefix("TASK_STATE_").lower().replace("_", "-")


def message_text(message: Message | None) -> str:
    """The text parts of a message, joined by newlines ('' for none)."""
    if message is None:
        return ""
    return "\n".join(part.text for part in message.parts if part.HasField("text"))


def artifact_summary(artifact: Artifact) -> str:
    """``answer (text, 812 chars)`` / ``tool-results (data)`` / ``plot.png (image/png, 41 kB)``."""
    kinds = []
    for part in artifact.parts:
        if part.HasField("text"):
            kinds.append(f"text, {len(part.text)} chars")
        elif part.HasField("data"):
            kinds.append("data")
        elif part.HasField("raw"):
            kinds.append(f"{part.media_type or 'bytes'}, {len(part.raw) / 1000:.0f} kB")
        elif part.HasField("url"):
            kinds.append(f"url {part.url}")
    return f"{artifact.name or artifact.artifact_id} ({'; '.join(kinds) or 'empty'})"


@dataclass(frozen=True)
class PeerUpdate:
    """One thing that happened to a peer's task, as it arrived (for transcripts and status relays)."""

    peer: str
    """The peer's name (its card's name)."""
    task_id: str
    state: str
    """The task's state after this update (``working``, ``input-required``, ``completed``...)."""
    text: str
    """The status message's text, or an artifact's summary."""
    kind: str
    """``status`` or ``artifact``."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """The status update's metadata and its message's (protoplay servers name the tool call in progress and,
    for relayed updates, the peer they come from)."""


@dataclass(frozen=True)
class PeerResult:
    """A peer's task once it settled."""

    peer: str
    task_id: str
    context_id: str
    state: str
    """``completed``, ``input-required``, ``failed``, ``canceled``, ``rejected`` or ``auth-required``."""
    text: str
    """The final status message: the answer, the question asked, or why it failed."""
    artifacts: tuple[Artifact, ...] = ()
    """Everything the task produced (text answer, structured data, images...)."""

    @property
    def needs_input(self) -> bool:
        return self.state in ("input-required", "auth-required")


UpdateCallback = Callable[[PeerUpdate], Awaitable[None]]


class TaskFollower:
    """The latest known state of one task, assembled from stream events or GetTask answers."""

    def __init__(self, peer: str) -> None:
        self.peer = peer
        self.task_id = ""
        self.context_id = ""
        self.state = "submitted"
        self.text = ""
        self.artifacts: dict[str, Artifact] = {}
        self.direct_message: Message | None = None

    @property
    def settled(self) -> bool:
        return self.direct_message is not None or self.state in SETTLED_STATES

    def absorb_task(self, task: Task) -> None:
        self.task_id, self.context_id = task.id, task.context_id
        self.state = state_name(task.status.state)
        self.text = message_text(task.status.message) if task.status.HasField("message") else self.text
        for artifact in task.artifacts:
            self.artifacts[artifact.artifact_id] = artifact

    def absorb(self, event: StreamResponse) -> PeerUpdate | None:
        kind = event.WhichOneof("payload")
        if kind == "task":
            self.absorb_task(event.task)
            return PeerUpdate(self.peer, self.task_id, self.state, self.text, "status")
        if kind == "status_update":
            update = event.status_update
            self.task_id, self.context_id = update.task_id, update.context_id
            self.state = state_name(update.status.state)
            metadata = _struct_dict(update.metadata)
            if update.status.HasField("message"):
                self.text = message_text(update.status.message)
                metadata |= _struct_dict(update.status.message.metadata)
            return PeerUpdate(self.peer, self.task_id, self.state, self.text, "status", metadata)
        if kind == "artifact_update":
            update = event.artifact_update
            self.task_id, self.context_id = update.task_id, update.context_id
            artifact = update.artifact
            if update.append and artifact.artifact_id in self.artifacts:
                self.artifacts[artifact.artifact_id].parts.extend(artifact.parts)
            else:
                self.artifacts[artifact.artifact_id] = artifact
            return PeerUpdate(self.peer, self.task_id, self.state, artifact_summary(artifact), "artifact")
        if kind == "message":
            self.direct_message = event.message
            self.state, self.text = "completed", message_text(event.message)
            return PeerUpdate(self.peer, self.task_id, self.state, self.text, "status")
        return None

    def result(self) -> PeerResult:
        return PeerResult(
            self.peer, self.task_id, self.context_id, self.state, self.text, tuple(self.artifacts.values())
        )


def _struct_dict(value: Any) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(value) if value is not None and value.ListFields() else {}
