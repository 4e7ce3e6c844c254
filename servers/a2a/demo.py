"""Scripted multi-agent demos: the scenarios and the play behind ``protoplay demo NAME`` and the web
playground's Demos panel.

A scenario is a TOML file in ``servers/a2a/demos/`` (``title``, ``summary``, ``order`` and a list of
``steps``; a step either ``say``s something to the coordinator — optionally with ``cancel_on`` (cancel the
task once a status update contains that text) and ``expect`` (the state the coordinator's task should end
in) — or performs an ``action``: ``stop_specialist`` / ``start_specialist``; ``note`` is narration).

:class:`DemoPlay` starts the specialist and the coordinator on loopback ports (free ones unless chosen) in
this process and plays the scripted user against the coordinator over A2A (the user is an A2A client too),
telling a listener what happens as :data:`DemoEvent` values. The terminal transcript
(:mod:`servers.a2a.demo_transcript`) is one such listener; the web playground is another, and it may answer
the coordinator's questions itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import tomllib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.a2a.client import PeerClient
    from agents.a2a.tasks import PeerResult, PeerUpdate

__all__ = [
    "DEMO_DIR",
    "DEMO_USER",
    "AnswerHook",
    "CoordinatorReplied",
    "DemoError",
    "DemoEvent",
    "DemoListener",
    "DemoPlay",
    "PeerTaskEnded",
    "Scenario",
    "ServersStarted",
    "SpecialistRestarted",
    "SpecialistStopped",
    "Step",
    "StepNote",
    "TaskUpdate",
    "UserCancels",
    "UserSaid",
    "list_scenarios",
    "load_scenario",
]

DEMO_DIR = Path(__file__).with_name("demos")
_ACTIONS = ("stop_specialist", "start_specialist")
_STATES = ("completed", "input-required", "failed", "canceled", "rejected")

DEMO_USER = "protoplay-demo-user"
"""The scripted user's name: its A2A User-Agent and the ``agent`` of the trace events it records."""


class DemoError(Exception):
    """A scenario that cannot be found or read; the message says which and why."""


@dataclass(frozen=True)
class Step:
    """One step of a scenario."""

    say: str | None = None
    """What the user sends the coordinator (continuing its task when the last one waits for input)."""
    action: str | None = None
    """``stop_specialist`` or ``start_specialist``."""
    cancel_on: str | None = None
    """Cancel the coordinator's task as soon as a status update contains this text."""
    expect: str | None = None
    """The state the coordinator's task should end in (checked when the offline model runs the demo)."""
    note: str | None = None
    """Narration printed before the step."""


@dataclass(frozen=True)
class Scenario:
    name: str
    """The file's stem: ``protoplay demo NAME``."""
    title: str
    summary: str
    order: int
    steps: tuple[Step, ...]
    peer_timeout_s: float = 120.0
    """How long the coordinator waits for one delegation."""


def list_scenarios() -> list[Scenario]:
    """Every scenario in :data:`DEMO_DIR`, in their ``order``."""
    return sorted(
        (load_scenario(path.stem) for path in DEMO_DIR.glob("*.toml")), key=lambda s: (s.order, s.name)
    )


def load_scenario(name: str) -> Scenario:
    path = DEMO_DIR / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in DEMO_DIR.glob("*.toml")))
        raise DemoError(f"no demo named {name!r}; known demos: {known}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        steps = tuple(Step(**step) for step in raw.get("steps", ()))
    except (tomllib.TOMLDecodeError, TypeError) as exc:
        raise DemoError(f"{path}: {exc}") from None
    for index, step in enumerate(steps, 1):
        if (step.say is None) == (step.action is None) or (step.action and step.action not in _ACTIONS):
            raise DemoError(
                f"{path}: step {index} needs exactly one of say or action ({', '.join(_ACTIONS)})"
            )
        if step.expect is not None and step.expect not in _STATES:
            raise DemoError(f"{path}: step {index}: expect must be one of {', '.join(_STATES)}")
    return Scenario(
        name=name,
        title=str(raw.get("title", name)),
        summary=" ".join(str(raw.get("summary", "")).split()),
        order=int(raw.get("order", 99)),
        steps=steps,
        peer_timeout_s=float(raw.get("peer_timeout_s", 120.0)),
    )


# --------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class ServersStarted:
    """Both servers accept requests."""

    specialist_url: str
    coordinator_url: str
    specialist_port: int


@dataclass(frozen=True)
class StepNote:
    """A step's narration, told before the step is played."""

    number: int
    text: str


@dataclass(frozen=True)
class SpecialistStopped:
    number: int
    url: str


@dataclass(frozen=True)
class SpecialistRestarted:
    number: int
    url: str


@dataclass(frozen=True)
class UserSaid:
    """The user sent a message to the coordinator (``answering``: to its task waiting for input)."""

    number: int
    text: str
    answering: bool


@dataclass(frozen=True)
class TaskUpdate:
    """An update of the coordinator's task as it arrived (relayed peer updates name their ``source``)."""

    number: int
    update: PeerUpdate


@dataclass(frozen=True)
class UserCancels:
    number: int
    task_id: str


@dataclass(frozen=True)
class CoordinatorReplied:
    """The coordinator's task settled (completed, failed, canceled or waiting for input)."""

    number: int
    result: PeerResult


@dataclass(frozen=True)
class PeerTaskEnded:
    """After a cancellation: how a specialist's task ended, read from the specialist (``GetTask``)."""

    peer: str
    task_id: str
    state: str


DemoEvent = (
    ServersStarted
    | StepNote
    | SpecialistStopped
    | SpecialistRestarted
    | UserSaid
    | TaskUpdate
    | UserCancels
    | CoordinatorReplied
    | PeerTaskEnded
)
DemoListener = Callable[[DemoEvent], None]
"""Told each event in order; must return quickly (the play waits for it)."""
AnswerHook = Callable[[str, str], Awaitable[str]]
"""``(question, scripted answer) → the answer to send``: who answers the coordinator's questions."""


# --------------------------------------------------------------------------------------------- servers


@dataclass
class DemoServers:
    """The two servers of a demo, running as tasks of this event loop."""

    options: dict[str, Any]
    peer_timeout_s: float
    specialist_port: int = 0
    """0 until the specialist first starts (any free port), then the port it restarts on."""
    coordinator_port: int = 0
    specialist: asyncio.Task[None] | None = None
    coordinator: asyncio.Task[None] | None = None
    specialist_url: str = ""
    coordinator_url: str = ""

    async def start_specialist(self) -> None:
        from servers.a2a.specialist import run_specialist

        ready = asyncio.Event()
        urls: list[str] = []
        self.specialist = asyncio.create_task(
            run_specialist(
                host="127.0.0.1", port=self.specialist_port, ready=ready, on_ready=urls.append, **self.options
            )
        )
        await _started(self.specialist, ready)
        self.specialist_url = urls[0] if urls else self.specialist_url
        self.specialist_port = int(self.specialist_url.rstrip("/").rsplit(":", 1)[1])

    async def start_coordinator(self) -> None:
        from servers.a2a.coordinator import run_coordinator

        ready = asyncio.Event()
        urls: list[str] = []
        self.coordinator = asyncio.create_task(
            run_coordinator(
                host="127.0.0.1",
                port=self.coordinator_port,
                ready=ready,
                on_ready=urls.append,
                peers=[self.specialist_url],
                peer_timeout_s=self.peer_timeout_s,
                **self.options,
            )
        )
        await _started(self.coordinator, ready)
        self.coordinator_url = urls[0]

    async def stop_specialist(self) -> None:
        await _stop(self.specialist)
        self.specialist = None

    async def stop(self) -> None:
        await _stop(self.coordinator)
        await _stop(self.specialist)


async def _started(task: asyncio.Task[None], ready: asyncio.Event) -> None:
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.is_set():
        waiter.cancel()
        await task  # raises why it stopped
        raise RuntimeError("a demo server stopped while starting")


async def _stop(task: asyncio.Task[None] | None) -> None:
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


# --------------------------------------------------------------------------------------------- the play


class DemoPlay:
    """One run of a scenario: the servers, the scripted user (an A2A client) and what happened.

    :meth:`play` starts the servers and plays every step; they stay up afterwards (so their cards and tasks
    can still be inspected) until :meth:`close`. ``answer`` decides what the user sends when the coordinator
    waits for input and the next step says something (default: the scenario's own words). Every agent of the
    demo records its trace events in :attr:`session`.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        listener: DemoListener,
        options: dict[str, Any] | None = None,
        answer: AnswerHook | None = None,
        ports: tuple[int, int] | None = None,
    ) -> None:
        from servers.a2a.executor import trace_session_name

        self.scenario = scenario
        self.listener = listener
        self.answer = answer
        self.servers = DemoServers(options or {}, scenario.peer_timeout_s)
        self.servers.coordinator_port, self.servers.specialist_port = ports or (0, 0)
        """The coordinator's and the specialist's ports (default: free ones)."""
        self.context_id = f"demo-{scenario.name}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"
        self.session = trace_session_name(self.context_id)
        """The trace session every agent of the demo records in."""
        self.problems: list[str] = []
        """Steps whose ``expect`` did not hold."""
        self.waiting: str | None = None
        """The coordinator's task waiting for the user's answer, if any."""
        self.question = ""
        """What that task asks."""

    async def run(self) -> None:
        """:meth:`play`, then :meth:`close`."""
        try:
            await self.play()
        finally:
            await self.close()

    async def play(self) -> None:
        from agents.a2a.client import PeerClient
        from agents.trace import TraceWriter

        servers = self.servers
        await servers.start_specialist()
        await servers.start_coordinator()
        self.listener(
            ServersStarted(servers.specialist_url, servers.coordinator_url, servers.specialist_port)
        )
        trace = TraceWriter(agent=DEMO_USER)
        timeout = self.scenario.peer_timeout_s + 60
        try:
            async with PeerClient(
                servers.coordinator_url, trace=trace, timeout_s=timeout, user_agent=DEMO_USER
            ) as user:
                for number, step in enumerate(self.scenario.steps, 1):
                    if step.note:
                        self.listener(StepNote(number, step.note))
                    if step.action == "stop_specialist":
                        await servers.stop_specialist()
                        self.listener(SpecialistStopped(number, servers.specialist_url))
                    elif step.action == "start_specialist":
                        await servers.start_specialist()
                        self.listener(SpecialistRestarted(number, servers.specialist_url))
                    else:
                        await self.say(number, step, user)
        finally:
            trace.close()

    async def close(self) -> None:
        """Stop both servers (idempotent)."""
        await self.servers.stop()

    async def say(self, number: int, step: Step, user: PeerClient) -> None:
        assert step.say is not None
        text = step.say
        if self.waiting and self.answer is not None:
            text = await self.answer(self.question, step.say)
        self.listener(UserSaid(number, text, answering=self.waiting is not None))
        peer_tasks: dict[str, str] = {}
        """The specialists' tasks of this step: task id → agent name, in the order they appeared."""
        cancel: list[asyncio.Task[Any]] = []

        async def follow(update: PeerUpdate) -> None:
            self.listener(TaskUpdate(number, update))
            source = str(update.metadata.get("source") or "")
            if source:
                peer_tasks.setdefault(str(update.metadata.get("peer_task") or ""), source)
            if step.cancel_on and step.cancel_on in update.text and not cancel and update.task_id:
                self.listener(UserCancels(number, update.task_id))
                cancel.append(asyncio.create_task(user.cancel(update.task_id, session=self.session)))

        result = await user.send(
            text, session=self.session, context_id=self.context_id, task_id=self.waiting, on_update=follow
        )
        for pending in cancel:
            with contextlib.suppress(Exception):
                await pending
        self.waiting = result.task_id if result.needs_input else None
        self.question = result.text if result.needs_input else ""
        self.listener(CoordinatorReplied(number, result))
        if step.cancel_on:
            await self._peer_states(peer_tasks)
        if step.expect and result.state != step.expect:
            self.problems.append(f"step {number}: expected {step.expect}, got {result.state}")

    async def _peer_states(self, peer_tasks: dict[str, str]) -> None:
        """After a cancellation: how the specialist's tasks ended, straight from the specialist (GetTask)."""
        from agents.a2a.client import PeerClient, PeerError
        from agents.a2a.tasks import state_name

        if not self.servers.specialist_url:
            return
        async with PeerClient(self.servers.specialist_url, user_agent=DEMO_USER) as specialist:
            for task_id, peer in peer_tasks.items():
                if not task_id:
                    continue
                with contextlib.suppress(PeerError):
                    for _ in range(20):  # the cancellation may still be landing
                        task = await specialist.get_task(task_id, session=self.session)
                        if state_name(task.status.state) not in ("working", "submitted"):
                            break
                        await asyncio.sleep(0.1)
                    self.listener(PeerTaskEnded(peer, task_id, state_name(task.status.state)))
