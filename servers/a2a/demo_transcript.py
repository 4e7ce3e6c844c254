"""``protoplay demo NAME`` in the terminal: the transcript of a :class:`~servers.a2a.demo.DemoPlay` — user ↔
coordinator ↔ specialist, with the tool calls and task states — then the three-protocol trace of the demo's
context.
"""

from __future__ import annotations

import contextlib
import sys
import textwrap
from typing import TYPE_CHECKING, Any, TextIO

from servers.a2a.demo import (
    CoordinatorReplied,
    DemoEvent,
    DemoPlay,
    PeerTaskEnded,
    Scenario,
    ServersStarted,
    SpecialistRestarted,
    SpecialistStopped,
    StepNote,
    TaskUpdate,
    UserCancels,
    UserSaid,
    list_scenarios,
)

if TYPE_CHECKING:
    from agents.a2a.tasks import PeerUpdate

__all__ = ["TranscriptPrinter", "run_demo"]


class _Lines:
    """The transcript: one readable block per message, indented by who speaks."""

    def __init__(self, out: TextIO, width: int = 100) -> None:
        self.out = out
        self.width = width

    def line(self, text: str = "", indent: int = 0) -> None:
        self.out.write(" " * indent + text + "\n")
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


class TranscriptPrinter:
    """Prints each :data:`~servers.a2a.demo.DemoEvent` as the transcript shows it (a ``DemoListener``)."""

    def __init__(self, out: TextIO, width: int = 100) -> None:
        self.lines = _Lines(out, width)
        self._noted = 0
        """The last step whose narration was printed (its blank line is already there)."""
        self._peer_tasks: dict[str, int] = {}
        """The specialists' tasks seen so far, numbered in the order they appeared (they run in parallel)."""

    def __call__(self, event: DemoEvent) -> None:
        from agents.a2a.tasks import artifact_summary

        lines = self.lines
        if isinstance(event, ServersStarted):
            port = event.specialist_port
            lines.line(f"specialist:  {event.specialist_url}  (protoplay serve a2a specialist --port {port})")
            peer = f"--peer {event.specialist_url}"
            lines.line(f"coordinator: {event.coordinator_url}  (protoplay serve a2a coordinator {peer})")
        elif isinstance(event, StepNote):
            lines.line()
            lines.block(f"({event.text})", 0)
            self._noted = event.number
        elif isinstance(event, SpecialistStopped | SpecialistRestarted | UserSaid):
            self._step(event)
        elif isinstance(event, TaskUpdate):
            self._update(event.update)
        elif isinstance(event, UserCancels):
            lines.line(f"✋ user cancels the coordinator's task {event.task_id}", 6)
        elif isinstance(event, CoordinatorReplied):
            result = event.result
            lines.line(f"[{event.number}] coordinator → user  [{result.state}]  task {result.task_id}")
            lines.block(result.text or "(no text)", 6)
            for artifact in result.artifacts:
                lines.line(f"artifact: {artifact_summary(artifact)}", 6)
        elif isinstance(event, PeerTaskEnded):
            lines.line(f"{event.peer} task {event.task_id}: {event.state} (GetTask on the specialist)", 6)

    def _step(self, event: SpecialistStopped | SpecialistRestarted | UserSaid) -> None:
        lines, number = self.lines, event.number
        if self._noted != number:
            lines.line()
        if isinstance(event, SpecialistStopped):
            lines.line(f"[{number}] ✖ the specialist at {event.url} is stopped")
        elif isinstance(event, SpecialistRestarted):
            lines.line(f"[{number}] ▶ the specialist is back at {event.url}")
        else:
            answering = " (answering its question)" if event.answering else ""
            lines.line(f"[{number}] user → coordinator{answering}")
            lines.block(event.text, 6)

    def _update(self, update: PeerUpdate) -> None:
        source = str(update.metadata.get("source") or "")
        if source:
            peer_task = str(update.metadata.get("peer_task") or "")
            number = self._peer_tasks.setdefault(peer_task, len(self._peer_tasks) + 1)
            self.lines.block(f"{source} task {number} ▸ {_relayed(update)}", 8)
        elif update.kind == "artifact":
            self.lines.line(f"coordinator ▸ artifact {update.text}", 6)
        elif update.text and update.state == "working":
            self.lines.block(f"coordinator ▸ {update.text}", 6)


async def run_demo(
    scenario: Scenario,
    *,
    out: TextIO = sys.stdout,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    show_trace: bool = False,
    ports: tuple[int, int] | None = None,
) -> bool:
    """Play ``scenario`` with its transcript on ``out``, then shut both servers down; returns whether every
    ``expect`` held (only enforced with the offline model).

    The output ends on the coordinator's last answer and one line naming the command that shows the demo's
    trace timeline; ``show_trace`` prints the timeline before that line. ``ports`` are the coordinator's and
    the specialist's (default: free ones).
    """
    from agents.config import resolve_model_config
    from agents.trace import format_timeline, read_trace

    config = resolve_model_config(model=model, base_url=base_url, api_key=api_key)
    printer = TranscriptPrinter(out)
    lines = printer.lines
    lines.line(f"━━ {scenario.title} ━━")
    lines.block(scenario.summary, 0)
    lines.line()
    others = [s.name for s in list_scenarios() if s.name != scenario.name]
    lines.line(f"other demos: {', '.join(others)} (protoplay demo NAME)")
    lines.line(f"model: {config.describe()}")
    play = DemoPlay(
        scenario,
        listener=printer,
        options={"model": model, "base_url": base_url, "api_key": api_key},
        ports=ports,
    )
    await play.run()
    if show_trace:
        lines.line()
        lines.line(f"━━ trace timeline (llm, mcp and a2a messages) of {play.session} ━━")
        with contextlib.suppress(FileNotFoundError):
            for entry in format_timeline(list(read_trace(play.session)), width=110):
                lines.line(entry)
    for problem in play.problems:
        lines.line(f"note: {problem}")
    lines.line()
    shown = "shown above" if show_trace else "--trace prints it here"
    lines.line(f"Timeline of this demo: protoplay trace show {play.session}  ({shown})")
    return not play.problems or not config.offline


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
