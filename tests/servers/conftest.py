"""Fixtures for the MCP server tests (none is autouse: other capabilities' tests share this folder)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

#: How many malformed-argument cases the fuzz tests sent; printed in the terminal summary.
FUZZ_CASES = pytest.StashKey[dict[str, int]]()


@pytest.fixture(scope="session")
def mcp_server():
    """The real server over the whole catalogue (stateless, so one instance serves every test)."""
    from servers.mcp.server import build_server

    return build_server()


@pytest.fixture(scope="session")
def protoplay_exe() -> str:
    """The installed ``protoplay`` console script of this environment."""
    exe = shutil.which("protoplay", path=str(Path(sys.executable).parent))
    assert exe is not None, "the protoplay console script is not installed in this environment"
    return exe


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    """The environment a spawned server gets: this test's PROTOPLAY_HOME, no OPENAI_* variables."""
    return {key: value for key, value in os.environ.items() if not key.startswith("OPENAI_")}


@pytest.fixture(scope="session")
def fuzz_counter(request: pytest.FixtureRequest) -> dict[str, int]:
    """Cases sent per tool by the fuzz tests (reported at the end of the run)."""
    return request.config.stash.setdefault(FUZZ_CASES, {})


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    counts = config.stash.get(FUZZ_CASES, None)
    if counts:
        terminalreporter.write_line(
            f"MCP fuzz: {sum(counts.values())} malformed-argument cases over {len(counts)} tools, "
            "every one answered with a valid result or an isError result"
        )
