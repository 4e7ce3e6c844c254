"""Everything an agent run needs, opened and closed together: model, MCP connection, memory, session, trace.

    async with open_agent(mcp=server, session_name="work") as runtime:
        result = await runtime.agent.run("entropy of [0.5, 0.5] in bits", session=runtime.session)

The CLI and the A2A executor both start agents this way, so they behave the same. When a trace is kept, the
model and the toolbox are wrapped by :mod:`agents.traced`: the loop itself records nothing.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from agents import telemetry
from agents.config import AGENT_NAME, DEFAULTS, ModelConfig, resolve_mcp_token, resolve_model_config
from agents.loop import Agent
from agents.mcp.client import MCPTarget, MCPToolbox, connect_mcp, describe_target
from agents.memory.long_term import LongTermMemory
from agents.memory.sessions import Session, SessionStore
from agents.memory.store import SQLiteStore
from agents.models.base import Model
from agents.models.openai import build_model
from agents.models.openai_client import OpenAIClientModel
from agents.toolbox import Toolbox
from agents.trace import TraceWriter
from agents.traced import TracedModel, TracedToolbox

__all__ = [
    "AGENT_NAME",
    "AgentRuntime",
    "default_session_name",
    "open_agent",
    "open_model",
    "spanned",
    "traced",
]


@dataclass
class AgentRuntime:
    """An opened agent and what it is connected to (valid inside ``open_agent``'s block)."""

    agent: Agent
    session: Session
    """The conversation turns run in (saved unless opened with ``persist=False``)."""
    config: ModelConfig
    """Which model is in use."""
    mcp_description: str
    """Which MCP server is in use, in words."""
    toolbox: MCPToolbox
    memory: LongTermMemory
    sessions: SessionStore
    trace: TraceWriter

    async def new_session(self, name: str, *, persist: bool = True) -> Session:
        """Switch to (or start) another session."""
        if persist:
            self.session = await Session.open(
                name,
                self.sessions,
                budget_tokens=self.session.window.budget_tokens,
                summarize=self.session.window.summarize,
            )
        else:
            self.session = Session.ephemeral(name)
        return self.session


def default_session_name(prefix: str) -> str:
    return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"


def open_model(stack: AsyncExitStack, config: ModelConfig, override: Model | None = None) -> Model:
    """``override`` when given, else the model ``config`` names; an HTTP model (chat completions or the
    Responses API) is closed when ``stack`` closes. Every agent the CLI and the A2A servers start gets its
    model here."""
    model = override or build_model(config)
    if isinstance(model, OpenAIClientModel):
        stack.push_async_callback(model.aclose)
    return model


def traced(model: Model, toolbox: Toolbox, trace: TraceWriter, *, peer: str) -> tuple[Model, Toolbox]:
    """The model and the toolbox wrapped so every request to them is recorded in ``trace`` and, when
    OpenTelemetry export is on, made a span (:func:`spanned`); unchanged when both are off, so they cost
    nothing then."""
    model, toolbox = spanned(model, toolbox)
    if not trace.enabled:
        return model, toolbox
    return TracedModel(model, trace), TracedToolbox(toolbox, trace, peer=peer)


def spanned(model: Model, toolbox: Toolbox) -> tuple[Model, Toolbox]:
    """The model and the toolbox wrapped in OpenTelemetry spans (:mod:`agents.spans`) when export is on;
    unchanged otherwise."""
    if not telemetry.enabled():
        return model, toolbox
    from agents.spans import SpanModel, SpanToolbox

    return SpanModel(model), SpanToolbox(toolbox)


@asynccontextmanager
async def open_agent(
    *,
    mcp: MCPTarget,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    api: str | None = None,
    mcp_token: str | None = None,
    session_name: str | None = None,
    persist: bool = True,
    max_steps: int = DEFAULTS.max_steps,
    budget_tokens: int = DEFAULTS.context_tokens,
    summarize: bool = False,
    ask_user: Callable[[str], Awaitable[str]] | None = None,
    model_override: Model | None = None,
    trace_enabled: bool = True,
) -> AsyncIterator[AgentRuntime]:
    """Open the model (flags, then environment; offline when nothing is configured; ``api`` names the wire,
    chat completions or the Responses API), the MCP server (``mcp``:
    a :class:`~agents.mcp.client.StdioServer` is spawned, a URL uses streamable HTTP with ``mcp_token``, else
    ``$PROTOPLAY_MCP_TOKEN``, as its bearer token, a server object runs in-process), the memory database and
    the session; close them all on exit.

    The session's window holds about ``budget_tokens`` tokens; the oldest whole turns are dropped when it is
    full and, with ``summarize``, folded into a running summary instead of being forgotten."""
    config = resolve_model_config(model=model, base_url=base_url, api_key=api_key, api=api)
    trace = TraceWriter(enabled=trace_enabled, agent=AGENT_NAME)
    async with AsyncExitStack() as stack:
        stack.callback(trace.close)
        store = SQLiteStore()
        stack.callback(store.close)
        memory = LongTermMemory(store)
        sessions = SessionStore(store)
        toolbox = await stack.enter_async_context(connect_mcp(mcp, token=resolve_mcp_token(mcp_token)))
        name = session_name or default_session_name("chat")
        if persist:
            session = await Session.open(name, sessions, budget_tokens=budget_tokens, summarize=summarize)
        else:
            session = Session.ephemeral(name, budget_tokens=budget_tokens, summarize=summarize)
        agent_model, agent_tools = traced(
            open_model(stack, config, model_override), toolbox, trace, peer=toolbox.peer
        )
        agent = Agent(agent_model, agent_tools, memory=memory, max_steps=max_steps, ask_user=ask_user)
        yield AgentRuntime(agent, session, config, describe_target(mcp), toolbox, memory, sessions, trace)
