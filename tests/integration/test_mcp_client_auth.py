"""The agent's MCP client and a streamable-HTTP server that requires a bearer token (`serve mcp --token`).

The server is the real one (``servers.mcp.server``) under uvicorn in a thread on a free loopback port, behind
a switch that can make it answer 401 to everything (a server restarted with another token).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from agents.config import MCP_TOKEN_ENV, resolve_mcp_token
from agents.errors import ToolServerError
from agents.mcp.client import connect_mcp
from agents.models.testing import ScriptedModel, call
from agents.runtime import open_agent
from agents.toolbox import TurnContext

TOKEN = "s3cret-token"


@dataclass
class TokenServer:
    url: str
    revoked: bool = False
    """When set, every request gets 401 whatever token it carries."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def token_server() -> Iterator[TokenServer]:
    import uvicorn
    from starlette.responses import PlainTextResponse

    from servers.mcp.server import build_server, http_app

    port = _free_port()
    state = TokenServer(url=f"http://127.0.0.1:{port}/mcp")
    inner = http_app(build_server(token=TOKEN))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and state.revoked:
            await PlainTextResponse("revoked", status_code=401)(scope, receive, send)
            return
        await inner(scope, receive, send)

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the MCP server did not start"
        time.sleep(0.02)
    try:
        yield state
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def test_the_token_is_sent_as_a_bearer_header(token_server):
    async with connect_mcp(token_server.url, token=TOKEN) as toolbox:
        names = [spec["function"]["name"] for spec in await toolbox.tool_specs(TurnContext.of("default"))]
        outcome = await toolbox.call("entropy", {"p": [0.5, 0.5], "base": "2"}, TurnContext.of("default"))
    assert "entropy" in names and "linear_params" in names
    # H([½, ½]) = 1 bit (hand derivation)
    assert not outcome.is_error and outcome.structured["entropy"] == pytest.approx(1.0)


@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["missing", "wrong"])
async def test_a_missing_or_wrong_token_is_a_clear_error(token_server, token):
    with pytest.raises(ToolServerError) as raised:
        async with connect_mcp(token_server.url, token=token):
            pass  # pragma: no cover - the connection is refused
    message = str(raised.value)
    assert message == (
        f"The MCP server at {token_server.url} rejected the token (HTTP 401): the bearer token is missing or "
        "wrong."
    )
    assert raised.value.setting == "mcp_token"  # the CLI names its flag for it; the agent layer does not


async def test_a_token_rejected_mid_session_is_reported_to_the_model(token_server):
    async with connect_mcp(token_server.url, token=TOKEN) as toolbox:
        await toolbox.tool_specs(TurnContext.of("default"))
        token_server.revoked = True
        try:
            outcome = await toolbox.call("entropy", {"p": [0.5, 0.5]}, TurnContext.of("default"))
        finally:
            token_server.revoked = False
    assert outcome.is_error
    assert "rejected the token (HTTP 401)" in outcome.content


def test_the_flag_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv(MCP_TOKEN_ENV, "from-env")
    assert resolve_mcp_token("from-flag") == "from-flag"
    assert resolve_mcp_token(None) == "from-env"
    monkeypatch.setenv(MCP_TOKEN_ENV, "")
    assert resolve_mcp_token(None) is None
    monkeypatch.delenv(MCP_TOKEN_ENV)
    assert resolve_mcp_token("") is None


async def test_open_agent_sends_the_token_from_the_environment(token_server, monkeypatch):
    monkeypatch.setenv(MCP_TOKEN_ENV, TOKEN)
    model = ScriptedModel([call("entropy", {"p": [0.5, 0.5], "base": "2"}), "One bit."])
    async with open_agent(mcp=token_server.url, persist=False, model_override=model) as runtime:
        result = await runtime.agent.run("entropy of a fair coin in bits", session=runtime.session)
    (record,) = result.tool_calls
    assert not record.outcome.is_error and record.outcome.structured["entropy"] == pytest.approx(1.0)
    assert result.text == "One bit."


async def test_open_agent_passes_the_flag_token(token_server):
    async with open_agent(mcp=token_server.url, mcp_token=TOKEN, persist=False) as runtime:
        assert any(
            spec["function"]["name"] == "entropy"
            for spec in await runtime.agent.tool_specs(TurnContext.of("default"))
        )
