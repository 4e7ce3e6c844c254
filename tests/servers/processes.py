"""A `protoplay serve …` subprocess on a free loopback port, as a user starts it, for tests that talk to it
with clients nobody here wrote (Node MCP clients, the openai SDK, openai-agents)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = ["free_port", "protoplay_serving", "serving", "stop"]


def free_port() -> int:
    """A TCP port nothing listens on at the moment (loopback)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(argv: Sequence[str], port: int, *, env: dict[str, str], timeout_s: float = 60) -> Iterator[None]:
    """Run ``argv`` until the block ends, once it listens on ``port``; stopped with SIGTERM (then SIGKILL).

    Its output goes to a temporary file (a pipe nobody reads would block a chatty server); an early exit or
    a port that never opens fails with that output.
    """
    with tempfile.TemporaryFile(mode="w+") as output:
        process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT, text=True, env=env)
        try:
            _wait_until_listening(port, process, output, timeout_s)
            yield
        finally:
            stop(process)


@contextmanager
def protoplay_serving(*command: str, home: Path, path: str) -> Iterator[str]:
    """``protoplay serve COMMAND… --port N`` with its own ``PROTOPLAY_HOME`` and no ``OPENAI_*`` variables, as
    a user starts it: yields ``http://127.0.0.1:N`` + ``path``."""
    exe = shutil.which("protoplay", path=str(Path(sys.executable).parent))
    assert exe is not None, "the protoplay console script is not installed in this environment"
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENAI_")}
    env["PROTOPLAY_HOME"] = str(home)
    port = free_port()
    with serving([exe, "serve", *command, "--port", str(port)], port, env=env):
        yield f"http://127.0.0.1:{port}{path}"


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 15 s; waits for the exit either way."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_listening(port: int, process: subprocess.Popen, output, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output.seek(0)
            raise AssertionError(f"the server exited with {process.returncode}:\n{output.read()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    output.seek(0)
    raise AssertionError(f"the server did not listen on {port} within {timeout_s} s:\n{output.read()}")
