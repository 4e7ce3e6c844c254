"""The question sets through the whole agent (in-process MCP tools) on the built-in offline model."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from agents.mcp.client import connect_mcp
from agents.models.offline import OfflineModel
from servers.eval.questions import load_questions
from servers.eval.runner import Report, run_questions
from servers.mcp.server import build_server


@pytest.fixture(scope="session")
def offline_report() -> Callable[[Path], Report]:
    """Run a question set on the offline model and return its report (each set once per session)."""
    reports: dict[Path, Report] = {}

    def run(path: Path) -> Report:
        if path in reports:
            return reports[path]

        async def go() -> Report:
            async with connect_mcp(build_server()) as toolbox:
                return await run_questions(load_questions(path), model=OfflineModel(), toolbox=toolbox)

        reports[path] = asyncio.run(go())
        return reports[path]

    return run
