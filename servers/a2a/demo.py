"""Scripted multi-agent demos: ``protoplay demo NAME``.

A scenario is a TOML file in ``servers/demos/`` (``title``, ``summary``, ``order`` and a list of ``steps``;
a step either ``say``s something to the coordinator — optionally with ``cancel_on`` (cancel the task once a
status update contains that text) and ``expect`` (the state the coordinator's task should end in) — or
performs an ``action``: ``stop_specialist`` / ``start_specialist``; ``note`` is narration).

:func:`run_demo` starts the specialist and the coordinator on free loopback ports in this process, plays the
scripted user against the coordinator over A2A (the user is an A2A client too), prints the transcript — user ↔
coordinator ↔ specialist, with the tool calls and task states — and the three-protocol trace of the demo's
context, then shuts both servers down.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import textwrap
import time
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from agents.text import printable

__all__ = ["DEMO_DIR", "DemoError", "Scenario", "Step", "list_scenarios", "load_scenario", "run_demo"]

DEMO_DIR = Path(__file__).with_name("demos")
_ACTIONS = ("stop_specialist", "start_specialist")
_STATES = ("completed", "input-required", "failed", "canceled", "rejected")


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


class _Printer:
    """The transcript: one readable block per message, indented by who speaks."""

    def __init__(self, out: TextIO, width: int = 100) -> None:
        self.out = out
        self.width = width

    def line(self, text: str = "", indent: int = 0) -> None:
        self.out.write(" " * indent + printable(text) + "\n")  # what agents said is shown, never obeyed
        self.out.flush()

    def block(self, text: str, indent: int) -> None:
        for paragraph in text.splitlines() or [""]:
            if paragraph.lstrip().startswith("|"):  # a markdown table row: wrapping would break the table
                self.line(paragraph, indent)
                continue
            wrapped = textwrap.wrap(
                paragraph,
                self.width - indent,
                replace_whitespace=False,
                break_on_hyphens=False,  # keeps file paths and model names whole
                break_long_words=False,
            )
            for piece in wrapped or [""]:
                self.line(piece, indent)


@dataclass
class _Servers:
    """The two servers of a demo, running as tasks of this event loop."""

    options: dict[str, Any]
    peer_timeout_s: float
    specialist_port: int = 0
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
                host="127.0.0.1",
                port=self.specialist_port,
                ready=ready,
                on_ready=urls.append,
                handle_signals=False,  # Ctrl+C stops the whole demo (run_demo), not one server under it
                **self.options,
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
                port=0,
                ready=ready,
                on_ready=urls.append,
                peers=[self.specialist_url],
                peer_timeout_s=self.peer_timeout_s,
                handle_signals=False,
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


async def run_demo(
    scenario: Scenario,
    *,
    out: TextIO = sys.stdout,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    show_trace: bool = True,
) -> bool:
    """Play ``scenario``; returns whether every ``expect`` held (only enforced with the offline model)."""
    from agents.config import resolve_model_config
    from agents.trace import format_timeline, read_trace

    config = resolve_model_config(model=model, base_url=base_url, api_key=api_key)
    printer = _Printer(out)
    printer.line(f"━━ {scenario.title} ━━")
    printer.block(scenario.summary, 0)
    printer.line()
    printer.line(f"model: {config.describe()}")
    play = _Play(scenario, printer, {"model": model, "base_url": base_url, "api_key": api_key})
    await play.run()
    if show_trace:
        printer.line()
        printer.line(f"━━ trace: protoplay trace show {play.session} ━━")
        with contextlib.suppress(FileNotFoundError):
            for entry in format_timeline(list(read_trace(play.session)), width=110):
                printer.line(entry)
    printer.line()
    others = [s.name for s in list_scenarios() if s.name != scenario.name]
    printer.line(f"Other demos: {', '.join(others)}  (protoplay demo NAME; `protoplay demo` lists them)")
    for problem in play.problems:
        printer.line(f"note: {problem}")
    return not play.problems or not config.offline


class _Play:
    """One run of a scenario: the servers, the scripted user (an A2A client) and the transcript."""

    def __init__(self, scenario: Scenario, printer: _Printer, options: dict[str, Any]) -> None:
        from servers.a2a.executor import trace_session_name

        self.scenario = scenario
        self.printer = printer
        self.servers = _Servers(options, scenario.peer_timeout_s)
        self.context_id = f"demo-{scenario.name}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"
        self.session = trace_session_name(self.context_id)
        """The trace session every agent of the demo records in."""
        self.problems: list[str] = []
        self.waiting: str | None = None
        """The coordinator's task waiting for the user's answer, if any."""

    async def run(self) -> None:
        from agents.a2a.client import PeerClient
        from agents.trace import TraceWriter

        servers = self.servers
        trace = TraceWriter()
        try:
            await servers.start_specialist()
            await servers.start_coordinator()
            port = servers.specialist_port
            self.printer.line(
                f"specialist:  {servers.specialist_url}  (protoplay serve a2a specialist --port {port})"
            )
            peer = f"--peer {servers.specialist_url}"
            self.printer.line(
                f"coordinator: {servers.coordinator_url}  (protoplay serve a2a coordinator {peer})"
            )
            timeout = self.scenario.peer_timeout_s + 60
            async with PeerClient(
                servers.coordinator_url, trace=trace, timeout_s=timeout, user_agent="protoplay-demo-user"
            ) as user:
                for number, step in enumerate(self.scenario.steps, 1):
                    self.printer.line()
                    if step.note:
                        self.printer.block(f"({step.note})", 0)
                    if step.action == "stop_specialist":
                        await servers.stop_specialist()
                        self.printer.line(
                            f"[{number}] ✖ the specialist at {servers.specialist_url} is stopped"
                        )
                    elif step.action == "start_specialist":
                        await servers.start_specialist()
                        self.printer.line(f"[{number}] ▶ the specialist is back at {servers.specialist_url}")
                    else:
                        await self.say(number, step, user)
        finally:
            await servers.stop()
            trace.close()

    async def say(self, number: int, step: Step, user: Any) -> None:
        from agents.a2a.tasks import PeerUpdate, artifact_summary

        assert step.say is not None
        printer = self.printer
        printer.line(f"[{number}] user → coordinator" + (" (answering its question)" if self.waiting else ""))
        printer.block(step.say, 6)
        peer_tasks: dict[str, str] = {}
        cancel: list[asyncio.Task[Any]] = []

        async def show(update: PeerUpdate) -> None:
            source = str(update.metadata.get("source") or "")
            if source:
                peer_tasks[source] = str(update.metadata.get("peer_task") or "")
                printer.block(f"{source} ▸ {_relayed(update)}", 8)
            elif update.kind == "artifact":
                printer.line(f"coordinator ▸ artifact {update.text}", 6)
            elif update.text and update.state == "working":
                printer.block(f"coordinator ▸ {update.text}", 6)
            if step.cancel_on and step.cancel_on in update.text and not cancel and update.task_id:
                printer.line(f"✋ user cancels the coordinator's task {update.task_id}", 6)
                cancel.append(asyncio.create_task(user.cancel(update.task_id, session=self.session)))

        result = await user.send(
            step.say, session=self.session, context_id=self.context_id, task_id=self.waiting, on_update=show
        )
        for pending in cancel:
            with contextlib.suppress(Exception):
                await pending
        self.waiting = result.task_id if result.needs_input else None
        printer.line(f"[{number}] coordinator → user  [{result.state}]  task {result.task_id}")
        printer.block(result.text or "(no text)", 6)
        for artifact in result.artifacts:
            printer.line(f"artifact: {artifact_summary(artifact)}", 6)
        if step.cancel_on:
            await _show_peer_states(printer, self.servers, peer_tasks, self.session)
        if step.expect and result.state != step.expect:
            self.problems.append(f"step {number}: expected {step.expect}, got {result.state}")


async def _show_peer_states(
    printer: _Printer, servers: _Servers, peer_tasks: dict[str, str], session: str
) -> None:
    """After a cancellation: how the specialist's task ended, straight from the specialist (GetTask)."""
    from agents.a2a.client import PeerClient, PeerError
    from agents.a2a.tasks import state_name

    if not servers.specialist_url:
        return
    async with PeerClient(servers.specialist_url, user_agent="protoplay-demo-user") as specialist:
        for peer, task_id in peer_tasks.items():
            if not task_id:
                continue
            with contextlib.suppress(PeerError):
                for _ in range(20):  # the cancellation may still be landing
                    task = await specialist.get_task(task_id, session=session)
                    if state_name(task.status.state) not in ("working", "submitted"):
                        break
                    await asyncio.sleep(0.1)
                printer.line(
                    f"{peer} task {task_id}: {state_name(task.status.state)} (GetTask on the specialist)", 6
                )


def _relayed(update: Any) -> str:
    """A peer's update relayed by the coordinator: progress as is, a final state without its long answer."""
    state = str(update.metadata.get("peer_state") or update.state)
    text = " ".join(update.text.split(": ", 1)[-1].split())
    if update.metadata.get("peer_kind") == "artifact":
        return f"artifact {text}"
    if state in ("completed", "canceled"):
        return f"[{state}]"
    if state in ("failed", "rejected", "input-required"):
        return f"[{state}] {text if len(text) <= 200 else text[:199] + '…'}"
    return text or f"[{state}]"
