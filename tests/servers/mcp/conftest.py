"""Fixtures for the tests that run MCP clients nobody here wrote (Node) against `protoplay serve mcp`."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers.processes import protoplay_serving

#: The Node MCP clients (package.json, package-lock.json); `make mcp-node` installs them.
MCP_NODE = Path(__file__).parent / "node"


@dataclass(frozen=True)
class NodeClients:
    """The installed Node MCP clients: Node 22 (from npm) with the conformance suite, the TypeScript SDK and
    Inspector 2.x; Inspector 0.15 apart."""

    bin: Path
    """``node_modules/.bin``: ``node`` (22), ``conformance``, ``mcp-inspector`` (2.x)."""
    inspector_0_15: Path
    """Inspector 0.15's ``mcp-inspector``."""

    @property
    def env(self) -> dict[str, str]:
        """The environment for a Node client: this Node first on PATH (``#!/usr/bin/env node`` scripts)."""
        return {**os.environ, "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.fixture(scope="session")
def node_clients() -> NodeClients:
    """The Node MCP clients, or a one-line skip when they could not be installed (a failure under CI=true,
    where `make test` installs them)."""
    clients = NodeClients(
        bin=MCP_NODE / "node_modules" / ".bin",
        inspector_0_15=MCP_NODE / "inspector-0.15" / "node_modules" / ".bin" / "mcp-inspector",
    )
    needed = [clients.bin / "node", clients.bin / "conformance", clients.bin / "mcp-inspector"]
    needed += [MCP_NODE / "node_modules" / "@modelcontextprotocol" / "sdk", clients.inspector_0_15]
    missing = [path for path in needed if not path.exists()]
    if missing:
        message = (
            f"Node MCP clients not installed ({missing[0].relative_to(MCP_NODE)} missing): "
            "`make mcp-node` installs them from the npm registry"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    version = subprocess.run(
        [clients.bin / "node", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert int(version.lstrip("v").split(".")[0]) >= 22, f"the npm node package gave Node {version}"
    return clients


@pytest.fixture(scope="module")
def mcp_http_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``protoplay serve mcp --transport http`` as a user starts it, shared by a module's tests."""
    home = tmp_path_factory.mktemp("protoplay_home")
    with protoplay_serving("mcp", "--transport", "http", home=home, path="/mcp") as url:
        yield url
