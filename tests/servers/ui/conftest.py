"""Browser fixtures: Debian's chromium driven by Playwright (no browser download), and the playground and an
A2A specialist as subprocesses, as a user would start them.

Without chromium the browser tests are skipped with one line saying how to enable them — except under
``CI=true``, where a missing browser fails them (CI installs it: ``.ci/run``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ENABLE = "install chromium to run them (as root: apt-get install -y chromium)"
_SKIPPED = pytest.StashKey[int]()


@pytest.fixture(autouse=True)
def _no_trace_watcher_left_behind() -> Iterator[None]:
    """A playground stops watching traces when it closes: no test leaves an observer on every writer."""
    from agents import trace

    yield
    assert trace._observers == [], "a playground (or hub) was left watching the traces"


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A headless chromium (one per module; each test opens its own page)."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests need chromium and CI must run them: {ENABLE}")
        request.config.stash[_SKIPPED] = request.config.stash.get(_SKIPPED, 0) + 1
        pytest.skip(f"chromium not found: {ENABLE}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if config.stash.get(_SKIPPED, 0):
        terminalreporter.write_line(f"browser tests skipped: chromium not found; {ENABLE}")


@dataclass
class Playground:
    """A running ``protoplay ui``: the URL that carries the token, and its data directory."""

    url: str
    home: Path
    specialist: str


@pytest.fixture(scope="module")
def playground(protoplay_exe: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Playground]:
    """``protoplay ui`` with a seeded memory and an ML specialist offered as ``--peer``."""
    from servers.a2a.app import free_port

    home = tmp_path_factory.mktemp("ui-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_") and k != "PROTOPLAY_MODEL"}
    env["PROTOPLAY_HOME"] = str(home)
    with ThreadPoolExecutor(1) as thread:  # Playwright's loop may already run in this one
        thread.submit(asyncio.run, _seed_memories(home)).result()
    port = free_port()
    specialist_url = f"http://127.0.0.1:{port}/"
    specialist = subprocess.Popen(
        [protoplay_exe, "serve", "a2a", "specialist", "--port", str(port), "--task-store", "memory"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ui = subprocess.Popen(
        [protoplay_exe, "ui", "--no-browser", "--port", "0", "--peer", specialist_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = _printed_url(ui)
        _wait_for_card(specialist_url)
        yield Playground(url, home, specialist_url)
    finally:
        for process in (ui, specialist):
            process.send_signal(signal.SIGINT)
        for process in (ui, specialist):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _seed_memories(home: Path) -> None:
    from agents.memory.long_term import LongTermMemory

    memory = LongTermMemory(path=home / "memory.db")
    await memory.remember("Use a learning rate of 3e-4 for AdamW on this dataset", kind="fact")
    await memory.remember("The lab GPU has 24 GB of memory", kind="fact")
    await memory.remember("The user prefers answers with tables", kind="preference")
    memory.close()


def _printed_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    for line in process.stdout:  # bounded: the process prints its URL first, or exits
        if line.startswith("protoplay playground: "):
            return line.split(": ", 1)[1].strip()
    raise AssertionError(f"protoplay ui exited with {process.wait()} before printing its URL")


def _wait_for_card(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}.well-known/agent-card.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the specialist at {url} did not start")
