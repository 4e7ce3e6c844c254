"""The protocol trace: one JSONL event per protocol message, one file per session.

Event format (shared with the A2A layer): ``ts`` (ISO-8601 UTC), ``protocol`` (``llm`` | ``mcp`` | ``a2a``),
``direction`` (``out``: sent by this process, ``in``: received), ``peer`` (who is on the other end),
``method`` (``chat.completions``, ``tools/call``, ``SendMessage``...), ``payload`` (JSON), ``duration_ms``
(for a response: time since its request; else ``null``) and ``session``; a writer that knows whom it records
for adds ``agent`` (the near end of the message), so a trace several agents share tells their lanes apart.
Files live at ``$PROTOPLAY_HOME/traces/<session>.jsonl``.

:func:`watch_traces` lets a live view (the web playground's timeline) see every event any writer of this
process records, as it is written.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.config import protoplay_home
from agents.text import one_line, printable

__all__ = [
    "TraceEvent",
    "TraceEvents",
    "TraceObserver",
    "TraceWriter",
    "format_timeline",
    "list_traces",
    "payload_summary",
    "read_trace",
    "safe_session_name",
    "traces_dir",
    "watch_traces",
]

log = logging.getLogger(__name__)

Protocol = Literal["llm", "mcp", "a2a"]
Direction = Literal["out", "in"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_session_name(session: str) -> str:
    """A session name usable as a file name (other characters become ``_``)."""
    cleaned = _UNSAFE.sub("_", session).strip("._") or "session"
    return cleaned[:120]


def traces_dir(home: Path | None = None) -> Path:
    return (home or protoplay_home()) / "traces"


def _trace_file(directory: Path, session: str) -> Path:
    return directory / f"{safe_session_name(session)}.jsonl"


@dataclass(frozen=True)
class TraceEvent:
    """One recorded protocol message, as read back from a trace file."""

    ts: str
    """When it was recorded (ISO-8601, UTC, milliseconds)."""
    protocol: str
    """``llm``, ``mcp`` or ``a2a``."""
    direction: str
    """``out`` (sent) or ``in`` (received)."""
    peer: str
    """The other end: a model name, an MCP server, an agent."""
    method: str
    """The protocol method or operation."""
    payload: Any
    """The message, or a readable digest of it."""
    duration_ms: float | None
    """For a response, how long after its request it arrived."""
    session: str
    """The session (conversation) the message belongs to."""
    agent: str = ""
    """Who recorded it: the near end of the message (empty when the writer was not told)."""


TraceObserver = Callable[[TraceEvent], None]
"""Sees each event right after it is written, in the recording thread and in the order written."""

_observers: list[TraceObserver] = []


def watch_traces(observer: TraceObserver) -> Callable[[], None]:
    """Call ``observer`` with every event any :class:`TraceWriter` of this process records from now on.

    The observer runs in the recording thread, inside the writer's lock (so it sees one writer's events in
    order): it must return quickly — hand the event to another thread or event loop — and its exceptions are
    logged and ignored, never reaching the agent that records. Returns the function that stops watching.
    """
    _observers.append(observer)

    def stop() -> None:
        if observer in _observers:
            _observers.remove(observer)

    return stop


def _notify(event: TraceEvent) -> None:
    for observer in tuple(_observers):
        try:
            observer(event)
        except Exception:
            log.exception("a trace observer failed; the event was recorded anyway")


class TraceWriter:
    """Appends trace events to ``<directory>/<session>.jsonl``.

    Safe to share between threads and asyncio tasks: each event is one unbuffered ``write`` of one line,
    in the file before :meth:`record` returns, so a killed process loses at most the event being written.
    ``background=True`` (the A2A servers) hands the file work — creating a file per new conversation costs
    more than the rest of recording — to one writer thread instead, in order: :meth:`record` returns at once,
    the event reaches the file within moments, :meth:`flush`, :meth:`close`, :func:`read_trace` and the end
    of the process wait for what is pending, and a killed process may lose the events not yet written.
    Observers (:func:`watch_traces`) see each event when it is recorded either way.
    Files stay open until :meth:`close`; a closed writer reopens them on the next record. At most ``max_open``
    files are open at once (the least recently written is closed first), so a server recording one session per
    conversation does not run out of file descriptors. ``agent`` names whom the writer records for (written as
    each event's ``agent``). A trace that cannot be written (an unwritable or full directory) turns recording
    off with one warning in the log: the work being traced goes on.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        enabled: bool = True,
        max_open: int = 64,
        agent: str | None = None,
        background: bool = False,
    ) -> None:
        self.directory = directory or traces_dir()
        self.enabled = enabled
        self.agent = agent
        self.max_open = max(1, max_open)
        self.background = background
        self._files: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._pending: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._writer: threading.Thread | None = None

    def record(
        self,
        protocol: Protocol | str,
        direction: Direction | str,
        peer: str,
        method: str,
        payload: Any,
        duration_ms: float | None = None,
        session: str = "default",
    ) -> None:
        if not self.enabled:
            return
        event = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "protocol": protocol,
            "direction": direction,
            "peer": peer,
            "method": method,
            "payload": payload,
            "duration_ms": None if duration_ms is None else round(duration_ms, 3),
            "session": session,
        }
        if self.agent:
            event["agent"] = self.agent
        line = (json.dumps(event, ensure_ascii=False, default=str) + "\n").encode()
        with self._lock:
            if self.background:
                self._start_writer()
                self._pending.put((session, line))
            elif not self._written(session, line):
                return
            if _observers:
                _notify(TraceEvent(**event))

    def flush(self) -> None:
        """Return once every event recorded so far is in its file (at once for a writer in the foreground)."""
        if self._writer is not None:
            self._pending.join()

    def _written(self, session: str, line: bytes) -> bool:
        try:
            self._write(session, line)
        except OSError as exc:
            self.enabled = False
            blocked = self.directory.exists() and not self.directory.is_dir()
            reason = f"{self.directory} is not a directory" if blocked else exc.strerror or str(exc)
            log.warning(
                "cannot write the trace %s (%s); tracing is off from here on", self.path_for(session), reason
            )
            return False
        return True

    def _start_writer(self) -> None:
        if self._writer is None:
            self._writer = threading.Thread(target=self._drain, name="protoplay-trace", daemon=True)
            self._writer.start()
            _background_writers.add(self)

    def _drain(self) -> None:
        while (item := self._pending.get()) is not None:
            try:
                if self.enabled:
                    self._written(*item)
            finally:
                self._pending.task_done()
        self._pending.task_done()

    def _write(self, session: str, line: bytes) -> None:
        handle = self._files.pop(session, None)
        if handle is None:
            while len(self._files) >= self.max_open:
                self._files.pop(next(iter(self._files))).close()
            handle = self._open(self.path_for(session))
        self._files[session] = handle  # most recently written last
        view = memoryview(line)
        while view:  # unbuffered: a line is one write(2) to a file opened for appending (unless cut short)
            view = view[handle.write(view) :]

    def _open(self, path: Path) -> Any:
        try:
            return path.open("ab", buffering=0)
        except FileNotFoundError:
            self.directory.mkdir(
                parents=True, exist_ok=True
            )  # the first trace here (or the folder was removed)
            return path.open("ab", buffering=0)

    def path_for(self, session: str) -> Path:
        return _trace_file(self.directory, session)

    def close(self) -> None:
        """Write what is pending, close every file (a later record opens them again)."""
        with self._lock:
            if self._writer is not None:
                self._pending.put(None)
                self._writer.join()
                self._writer = None
            for handle in self._files.values():
                handle.close()
            self._files.clear()


_background_writers: weakref.WeakSet[TraceWriter] = weakref.WeakSet()


def _flush_background_writers() -> None:
    for writer in list(_background_writers):
        writer.flush()


atexit.register(_flush_background_writers)  # a writer nobody closed still leaves no event behind


def list_traces(home: Path | None = None) -> list[tuple[str, int, float]]:
    """``(session, event count, modification time)`` for every trace file, newest first."""
    _flush_background_writers()
    directory = traces_dir(home)
    if not directory.is_dir():
        return []
    rows = []
    for path in directory.glob("*.jsonl"):
        with path.open("rb") as handle:
            count = sum(1 for _ in handle)
        rows.append((path.stem, count, path.stat().st_mtime))
    return sorted(rows, key=lambda row: row[2], reverse=True)


class _EventLine(BaseModel):
    """What one trace line must hold to be shown; anything else on the line is ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")

    ts: str
    protocol: str
    direction: str
    peer: str = ""
    method: str = ""
    payload: Any = None
    duration_ms: float | None = Field(default=None, allow_inf_nan=False)
    session: str | None = None
    agent: str = ""


class TraceEvents(list[TraceEvent]):
    """The events read from one trace file, in order; ``skipped`` counts the lines that were not events
    (not JSON, not UTF-8, or not an object of the event format). A torn last line (a write cut short, or one
    still being written) is left out without being counted."""

    skipped: int = 0


def read_trace(session: str, home: Path | None = None) -> TraceEvents:
    """The events of one session in the order they were written; bad lines are skipped and counted.

    Raises :class:`FileNotFoundError` when the session has no trace.
    """
    _flush_background_writers()  # what this process recorded is in the file before it is read
    path = _trace_file(traces_dir(home), session)
    if not path.is_file():
        raise FileNotFoundError(session)
    events = TraceEvents()
    with path.open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            event = _parse_line(line)
            if event is not None:
                events.append(
                    TraceEvent(**event.model_dump(exclude={"session"}), session=event.session or session)
                )
            elif line.endswith(b"\n"):
                events.skipped += 1
    return events


def _parse_line(line: bytes) -> _EventLine | None:
    try:
        return _EventLine.model_validate(json.loads(line.decode("utf-8")))
    except (ValueError, ValidationError, RecursionError):  # JSON and UTF-8 decoding errors are ValueErrors
        return None


def payload_summary(payload: Any, width: int = 100) -> str:
    """One line for an event's payload: its ``summary`` when it has one, else its text or compact JSON."""
    if isinstance(payload, dict) and isinstance(payload.get("summary"), str):
        text = payload["summary"]
    elif isinstance(payload, str):
        text = payload
    else:
        text = json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":"))
    return one_line(text, width)


def format_timeline(events: list[TraceEvent], *, width: int = 100) -> list[str]:
    """One readable line per event: time offset, protocol, arrow, peer, method, duration and a digest.

    What came from a payload is shown, never obeyed: escape sequences and other control characters appear as
    ``\\u001b``-style text (:func:`agents.text.printable`).
    """
    if not events:
        return []
    start = _parse_ts(events[0].ts)
    lines = []
    for event in events:
        stamp = _parse_ts(event.ts)
        offset = stamp - start if start is not None and stamp is not None else None
        when = f"+{offset:8.3f}s" if offset is not None else event.ts
        arrow = "→" if event.direction == "out" else "←"
        took = f" ({event.duration_ms:.1f} ms)" if isinstance(event.duration_ms, int | float) else ""
        head = printable(f"{when}  {event.protocol:<3} {arrow} {event.peer}  {event.method}{took}")
        lines.append(f"{head}\n    {printable(payload_summary(event.payload, width))}")
    return lines


def _parse_ts(ts: str) -> float | None:
    try:
        return datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return None
