"""The catalogue's tool specs as the offline model receives them (from the MCP server's listing)."""

from __future__ import annotations

import asyncio

import pytest

from agents.loop import Agent
from agents.mcp.client import connect_mcp
from agents.memory.long_term import LongTermMemory
from agents.models.offline.schema import ToolView
from agents.models.testing import ScriptedModel
from agents.toolbox import TurnContext


@pytest.fixture(scope="session")
def catalogue_specs(tmp_path_factory) -> list[dict]:
    from servers.mcp.server import build_server

    async def collect() -> list[dict]:
        memory = LongTermMemory(path=tmp_path_factory.mktemp("mem") / "memory.db")
        try:
            async with connect_mcp(build_server()) as toolbox:
                specs = await Agent(ScriptedModel(), toolbox, memory=memory).tool_specs(TurnContext.of("t"))
                return [dict(spec) for spec in specs]
        finally:
            memory.close()

    return asyncio.run(collect())


@pytest.fixture(scope="session")
def views(catalogue_specs) -> dict[str, ToolView]:
    return {spec["function"]["name"]: ToolView.from_spec(spec) for spec in catalogue_specs}
