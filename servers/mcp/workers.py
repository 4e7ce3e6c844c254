"""Admission control for heavy tool calls: a bounded pool of worker processes that run them and are replaced
before their memory piles up.

A long-running catalogue tool (``gradient_flow``, ``compare_models``, …) may hold hundreds of megabytes while
it runs, and a process rarely gives freed memory back to the system. So such calls run in worker processes:

- at most :attr:`PoolSettings.workers` run at once; up to :attr:`PoolSettings.queue` more wait their turn,
  each for at most :attr:`PoolSettings.wait_s` — past either bound the call fails at once with
  :class:`PoolBusy`, a message saying how busy the server is;
- a worker is replaced after :attr:`PoolSettings.max_calls` calls, or as soon as a call made it grow past
  :attr:`PoolSettings.max_rss_bytes`; an idle worker exits after :attr:`PoolSettings.idle_s`; so the memory a
  burst took comes back when the burst is over;
- cancelling a call kills its worker (the tool stops at once, wherever it is);
- progress the tool reports in the worker reaches the caller's ``progress`` callback.

Workers are fresh interpreters (``python -m servers.mcp.workers``: nothing of the server's event loop,
threads or ``__main__`` is copied) and import the tool's module, and torch, on their first call. The worker
side of this module imports nothing heavy.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

__all__ = ["PoolBusy", "PoolSettings", "ToolOutput", "ToolWorkerPool", "WorkerCrashed"]

log = logging.getLogger(__name__)

MiB = 1024 * 1024

Progress = Callable[[float, float | None, str | None], Awaitable[None]]


@dataclass(frozen=True)
class PoolSettings:
    """How many heavy calls run and wait, and when a worker is replaced."""

    workers: int = 2
    """Heavy calls running at once (one worker process each)."""
    queue: int = 32
    """Calls allowed to wait for a worker; one more is refused at once."""
    wait_s: float = 120.0
    """How long a call waits for a worker before it is refused as busy."""
    max_calls: int = 50
    """A worker is replaced after this many calls."""
    max_rss_bytes: int = 1024 * MiB
    """A worker whose resident memory peaked above this during a call is replaced after it."""
    idle_s: float = 20.0
    """A worker with no call for this long exits (a new one starts on demand)."""


class PoolBusy(Exception):
    """No worker became free in time, or too many calls are waiting; the message says which."""


class WorkerCrashed(Exception):
    """The tool raised an unexpected exception in the worker, or the worker died; the traceback (if any) is in
    :attr:`details`."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


@dataclass(frozen=True)
class ToolOutput:
    """What a tool call returned in its worker."""

    data: dict[str, Any]
    """The result model as JSON (``model_dump(mode="json")``)."""
    png: bytes | None
    """The plot, when the result drew one."""


class ToolWorkerPool:
    """Runs catalogue tools in worker processes under :class:`PoolSettings` (see the module docstring).

    Safe to share between the concurrent requests of one event loop. ``call`` raises
    :class:`tools.errors.ToolInputError` as the tool raised it, :class:`PoolBusy` when the call is refused and
    :class:`WorkerCrashed` for anything else.
    """

    def __init__(self, settings: PoolSettings | None = None) -> None:
        self.settings = settings or PoolSettings()
        self._idle: list[_Worker] = []
        # One semaphore per event loop (a server has one; a test suite opens many around one pool).
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._waiting = 0
        self._running = 0
        self.started = 0
        """Worker processes started so far (for tests and benchmarks)."""

    @property
    def running(self) -> int:
        """Calls running now."""
        return self._running

    @property
    def waiting(self) -> int:
        """Calls waiting for a worker now."""
        return self._waiting

    async def call(
        self, tool: Callable[..., Any], arguments: dict[str, Any], *, progress: Progress | None = None
    ) -> ToolOutput:
        """Run ``tool(**arguments)`` in a worker; see the class docstring.

        ``tool`` travels by reference (its module and name): a catalogue tool, or any function defined at the
        top level of a module. ``arguments`` are already validated.
        """
        import asyncio

        import anyio

        settings = self.settings
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop) or self._slots.setdefault(loop, asyncio.Semaphore(settings.workers))
        self._reap()
        if slots.locked() and self._waiting >= settings.queue:
            raise PoolBusy(self._busy_message(f"{self._waiting} more {_are(self._waiting)} waiting"))
        self._waiting += 1
        try:
            with anyio.move_on_after(settings.wait_s) as waited:
                await slots.acquire()
        finally:
            self._waiting -= 1
        if waited.cancelled_caught:
            raise PoolBusy(self._busy_message(f"this call waited {settings.wait_s:g} s for one to finish"))
        self._running += 1
        try:
            return await self._run(tool, arguments, progress)
        finally:
            self._running -= 1
            slots.release()

    async def _run(
        self, tool: Callable[..., Any], arguments: dict[str, Any], progress: Progress | None
    ) -> ToolOutput:
        name = tool.__name__
        for attempt in range(2):
            worker = self._take()
            try:
                reply = await worker.run(tool, arguments, progress)
            except _NeverStarted:
                worker.stop()
                if attempt:
                    raise WorkerCrashed(f"no worker could start {name}") from None
                continue  # it exited (idle) just as the call arrived: a new one takes it
            except BaseException:
                worker.stop()  # cancelled or died mid-call: whatever it held goes with it
                raise
            self._give_back(worker)
            return _unwrap(name, reply)
        raise AssertionError("unreachable")

    def _reap(self) -> None:
        """Forget the idle workers that have exited (their idle time ran out)."""
        for worker in [worker for worker in self._idle if not worker.alive()]:
            self._idle.remove(worker)
            worker.stop()

    def _take(self) -> _Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.alive():
                return worker
            worker.stop()
        self.started += 1
        # The workers share the cores: torch's thread pools spin-wait, and two processes each running as many
        # threads as there are cores slow each other down several times over.
        threads = max(1, (os.cpu_count() or 1) // self.settings.workers)
        return _Worker.start(self.settings.idle_s, threads=threads)

    def _give_back(self, worker: _Worker) -> None:
        settings = self.settings
        if worker.calls >= settings.max_calls or worker.peak_rss > settings.max_rss_bytes:
            log.debug(
                "replacing worker %s (%d calls, peak %d MiB)",
                worker.pid,
                worker.calls,
                worker.peak_rss // MiB,
            )
            worker.stop()
        else:
            self._idle.append(worker)

    def _busy_message(self, detail: str) -> str:
        most = self.settings.workers
        return (
            f"the server is busy: it runs at most {most} heavy tool call{'s' if most != 1 else ''} at a time "
            f"and {detail}; try again in a minute"
        )

    def close(self) -> None:
        """Stop the idle workers (running calls end with their callers)."""
        while self._idle:
            self._idle.pop().stop()


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


class _NeverStarted(Exception):
    """The worker ended before it took the call."""


class _Worker:
    """One worker process (``python -m servers.mcp.workers``) and the two ends of its pipes.

    Messages are pickles framed by their length (:func:`_send` / :func:`_receive`). A worker started this way
    imports only this module and what the calls need: nothing of the server's ``__main__`` (unlike the
    ``spawn`` start method), whatever that is.
    """

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        assert process.stdin is not None and process.stdout is not None
        self.requests: IO[bytes] = process.stdin
        self.replies: IO[bytes] = process.stdout
        self.calls = 0
        self.peak_rss = 0

    @classmethod
    def start(cls, idle_s: float, *, threads: int) -> _Worker:
        command = [sys.executable, "-m", __name__, f"{idle_s:g}"]
        env = os.environ.copy()
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # a setting of the user's own wins
            env.setdefault(name, str(threads))
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        worker = cls(process)
        _send(worker.requests, ("path", list(sys.path)))  # where the called tool's module is found
        return worker

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    async def run(
        self, tool: Callable[..., Any], arguments: dict[str, Any], progress: Progress | None
    ) -> tuple[Any, ...]:
        import anyio.to_thread

        name = tool.__name__
        self.calls += 1
        try:
            await anyio.to_thread.run_sync(_send, self.requests, ("call", tool, arguments))
            first = await anyio.to_thread.run_sync(_receive, self.replies, abandon_on_cancel=True)
        except (EOFError, OSError):
            raise _NeverStarted from None
        if first != ("started",):
            raise WorkerCrashed(f"the worker answered {first!r} instead of starting {name}")
        while True:
            try:
                message = await anyio.to_thread.run_sync(_receive, self.replies, abandon_on_cancel=True)
            except (EOFError, OSError):
                code = self.process.wait(timeout=5)
                raise WorkerCrashed(
                    f"the worker running {name} stopped unexpectedly (exit code {code})"
                ) from None
            if message[0] == "progress":
                if progress is not None:
                    await progress(*message[1:])
                continue
            self.peak_rss = max(self.peak_rss, message[-1])
            return message

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)
        for pipe in (self.requests, self.replies):
            with contextlib.suppress(OSError):
                pipe.close()


def _send(pipe: IO[bytes], message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(_LENGTH.pack(len(data)) + data)
    pipe.flush()


def _receive(pipe: IO[bytes]) -> Any:
    return pickle.loads(_receive_frame(pipe))


def _receive_frame(pipe: IO[bytes]) -> bytes:
    return _read(pipe, _LENGTH.unpack(_read(pipe, _LENGTH.size))[0])


def _read(pipe: IO[bytes], size: int) -> bytes:
    data = pipe.read(size)
    if len(data) < size:
        raise EOFError
    return data


_LENGTH = struct.Struct("!Q")


def _unwrap(name: str, reply: tuple[Any, ...]) -> ToolOutput:
    kind = reply[0]
    if kind == "result":
        return ToolOutput(data=reply[1], png=reply[2])
    if kind == "input_error":
        from tools.errors import ToolInputError

        raise ToolInputError(reply[1], reply[2])
    if kind == "crash":
        raise WorkerCrashed(f"{name} failed in its worker process", details=reply[1])
    raise WorkerCrashed(f"the worker answered {kind!r} for {name}")


# ------------------------------------------------------------------------------------------ worker side


def _serve(idle_s: float) -> None:
    """The worker process: run the calls that arrive on stdin, answer on (the original) stdout, until stdin
    closes or no call comes for ``idle_s``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the server's to handle; it stops the workers
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a tool's stray print must not land in a reply
    idle = _IdleExit(idle_s)

    from tools import progress_reporter
    from tools.errors import ToolInputError

    last_sent = 0.0

    def report(done: float, total: float | None = None, message: str | None = None) -> None:
        nonlocal last_sent
        now = time.monotonic()
        if now - last_sent >= 0.02 or (total is not None and done >= total):  # the parent throttles again
            last_sent = now
            _send(replies, ("progress", done, total, message))

    while True:
        try:
            frame = _receive_frame(requests)
        except EOFError:
            return
        idle.busy()  # from here on: unpickling the call may import the tool's module, which takes a while
        try:
            kind, *payload = pickle.loads(frame)
        except Exception:  # a tool that cannot be imported here is that call's crash
            _send(replies, ("started",))
            _send(replies, ("crash", traceback.format_exc(), _peak_rss()))
            idle.done()
            continue
        if kind == "path":
            sys.path[:] = payload[0]
            idle.done()
            continue
        tool, arguments = payload
        _send(replies, ("started",))
        try:
            with progress_reporter(report):
                result = tool(**arguments)
            reply: tuple[Any, ...] = ("result", result.model_dump(mode="json"), getattr(result, "png", None))
        except ToolInputError as exc:
            reply = ("input_error", exc.field, exc.reason)
        except Exception:
            reply = ("crash", traceback.format_exc())
        _send(replies, (*reply, _peak_rss()))
        idle.done()


class _IdleExit:
    """Ends the worker process once it has had no call for ``idle_s`` (checked once a second)."""

    def __init__(self, idle_s: float) -> None:
        self.idle_s = idle_s
        self.since: float | None = time.monotonic()
        threading.Thread(target=self._watch, daemon=True).start()

    def busy(self) -> None:
        self.since = None

    def done(self) -> None:
        self.since = time.monotonic()

    def _watch(self) -> None:
        while True:
            time.sleep(min(1.0, self.idle_s))
            since = self.since
            if since is not None and time.monotonic() - since >= self.idle_s:
                os._exit(0)


def _peak_rss() -> int:
    """This process's peak resident memory in bytes, since it started.

    On Linux the peak of this process's own memory map (``VmHWM``): ``getrusage``'s ``ru_maxrss`` would also
    count the parent's size, which Linux carries across the fork and exec that started this worker.
    """
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


if __name__ == "__main__":
    _serve(float(sys.argv[1]))
