"""Fixtures for agent tests: a small in-process MCP server.

Tests connect with ``async with connect_mcp(test_server) as toolbox`` inside the test body (an MCP client's
task group must be entered and left by the same task, which async fixtures do not guarantee).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import pytest
from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

# A 1×1 transparent PNG (hand-assembled): enough for image content to round-trip.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class Sum(BaseModel):
    total: float = Field(description="a + b")


class Rendezvous:
    """Lets two tool calls prove they ran at the same time: each waits until both have started."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.both = asyncio.Event()
        self.blocked = asyncio.Event()


def build_test_server(rendezvous: Rendezvous) -> MCPServer:
    server = MCPServer("test-tools", log_level="WARNING")

    @server.tool()
    def add(
        a: Annotated[float, Field(description="First addend.")],
        b: Annotated[float, Field(description="Second addend.")],
    ) -> Sum:
        """Add two numbers (加法)."""
        return Sum(total=a + b)

    @server.tool()
    async def meet(label: Annotated[str, Field(description="Who arrives.")]) -> dict:
        """Wait (up to 5 s) until a second call of this tool has started too."""
        rendezvous.started.append(label)
        if len(rendezvous.started) >= 2:
            rendezvous.both.set()
        try:
            await asyncio.wait_for(rendezvous.both.wait(), timeout=5)
        except TimeoutError:
            raise ToolError("the other call never started: calls ran one after another") from None
        return {"label": label, "met": True}

    @server.tool()
    async def block() -> dict:
        """Never returns on its own (used to test cancellation)."""
        rendezvous.blocked.set()
        await asyncio.Event().wait()
        return {}

    @server.tool()
    def fail(reason: Annotated[str, Field(description="Why it fails.")]) -> dict:
        """Always fails with the given reason."""
        raise ToolError(f"reason: {reason}")

    @server.tool()
    def plot() -> Image:
        """Draw a (tiny) picture."""
        return Image(data=PNG_1X1, format="png")

    return server


@pytest.fixture
def rendezvous() -> Rendezvous:
    return Rendezvous()


@pytest.fixture
def test_server(rendezvous: Rendezvous) -> MCPServer:
    return build_test_server(rendezvous)
