"""The ML specialist: the function-calling agent with the MCP tool catalogue, served over A2A.

``protoplay serve a2a specialist --port 9101``. Its card is generated from the MCP tool list (one skill per
theme); each message runs one agent turn (:class:`~servers.a2a.executor.AgentTaskExecutor`); a finished turn
becomes a task with artifacts — ``answer`` (the text), ``tool-results`` (a data part with every tool call's
structured result) and one ``<tool>-plot`` PNG part per plot. A turn that needs information the request
did not give ends ``input-required`` with the question; the next message to the task answers it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from a2a.server.agent_execution import RequestContext
from a2a.server.tasks import TaskUpdater
from a2a.types import Part

from agents.loop import Agent, RunResult
from agents.memory.sessions import Session
from servers.a2a.app import A2AApp, build_app, run_server
from servers.a2a.card import agent_card, skills_from_tools
from servers.a2a.executor import (
    LRU,
    AgentTaskExecutor,
    agent_message,
    history_messages,
    new_artifact,
    trace_session_name,
)
from servers.a2a.recovery import recovery_for
from servers.a2a.replicas import Replica
from servers.a2a.store import open_task_store
from servers.serving import DEFAULT_MAX_BODY

if TYPE_CHECKING:
    from agents.models.openai import Model
    from servers.a2a.push import RetryPolicy

__all__ = ["SPECIALIST_NAME", "SPECIALIST_PROMPT", "SpecialistExecutor", "open_specialist", "run_specialist"]

log = logging.getLogger(__name__)

SPECIALIST_NAME = "protoplay-ml-specialist"
SPECIALIST_PROMPT = (
    "You are protoplay's ML specialist. Other agents send you requests about information theory, model "
    "size and cost, fine-tuning, optimizers, training diagnostics, out-of-distribution detection and ML "
    "notes. Use the tools for every number you report; never invent results. Tool results arrive as JSON; "
    "plots are delivered to the requester separately, so just mention them. When a required argument is "
    "missing, call ask_user with one precise question instead of guessing (the requesting agent answers). "
    "Answer briefly."
)
DESCRIPTION = (
    "An ML specialist agent: computes with protoplay's MCP tool catalogue (information theory, model "
    "complexity, fine-tuning memory, optimizers, training diagnostics, OOD detection, notes) and answers "
    "with text, structured tool results and plots."
)


class SpecialistExecutor(AgentTaskExecutor):
    """One conversation per task, kept in memory (the most recent 512) and rebuilt from the task's A2A history
    when missing (after a restart, or on another replica)."""

    def __init__(
        self,
        agent: Agent,
        *,
        trace: Any = None,
        budget_tokens: int = 8000,
        stamp: dict[str, str] | None = None,
    ) -> None:
        super().__init__(agent, name=SPECIALIST_NAME, trace=trace, stamp=stamp)
        self.budget_tokens = budget_tokens
        self._sessions: LRU = LRU(512)

    async def session_for(self, context: RequestContext) -> Session:
        task_id = context.task_id or ""
        session = self._sessions.get(task_id)
        if session is None:
            session = Session.ephemeral(
                trace_session_name(context.context_id or ""), budget_tokens=self.budget_tokens
            )
            skip = context.message.message_id if context.message is not None else ""
            for turn in history_messages(context.current_task, skip_message_id=skip):
                session.window.add_turn(turn)
        return self._sessions.touch(task_id, session)

    async def settle(self, result: RunResult, context: RequestContext, updater: TaskUpdater) -> str:
        if result.needs_input:
            await updater.requires_input(agent_message(updater, result.needs_input, "question"))
            return "input-required"
        self._sessions.pop(context.task_id or "", None)
        for artifact in result_artifacts(result):
            await updater.add_artifact(
                list(artifact.parts), artifact_id=artifact.artifact_id, name=artifact.name
            )
        await updater.complete(agent_message(updater, result.text, "answer"))
        return "completed"


def result_artifacts(result: RunResult) -> list[Any]:
    """``answer`` (text), ``tool-results`` (data, when tools ran) and one ``<tool>-plot`` per saved image."""
    from google.protobuf import struct_pb2
    from google.protobuf.json_format import ParseDict

    artifacts = [new_artifact("answer", [Part(text=result.text, media_type="text/markdown")], "The answer.")]
    if result.tool_calls:
        calls = [
            {
                "tool": record.name,
                "arguments": record.arguments,
                "is_error": record.outcome.is_error,
                "result": record.outcome.structured
                if record.outcome.structured is not None
                else record.outcome.content,
            }
            for record in result.tool_calls
        ]
        data = ParseDict({"tool_calls": calls}, struct_pb2.Value())
        part = Part(data=data, media_type="application/json")
        artifacts.append(new_artifact("tool-results", [part], "Every tool call with its structured result."))
    for record in result.tool_calls:
        for index, path in enumerate(record.outcome.images):
            try:
                raw = path.read_bytes()
            except OSError:
                log.warning("plot %s of %s is gone; not attached", path, record.name)
                continue
            suffix = f"-{index + 1}" if len(record.outcome.images) > 1 else ""
            part = Part(raw=raw, media_type="image/png", filename=f"{record.name}{suffix}.png")
            artifacts.append(
                new_artifact(f"{record.name}-plot{suffix}", [part], f"The plot drawn by {record.name}.")
            )
    return artifacts


@contextlib.asynccontextmanager
async def open_specialist(
    *,
    url: str,
    token: str | None = None,
    tokens: Mapping[str, str] | None = None,
    task_store: str | None = None,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    api: str | None = None,
    mcp: Any = None,
    mcp_token: str | None = None,
    model_override: Model | None = None,
    streaming: bool = True,
    max_steps: int = 8,
    trace_enabled: bool = True,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    replica: Replica | None = None,
    replica_timeout_s: float | None = None,
    allow_private_webhooks: bool = False,
    push_retry: RetryPolicy | None = None,
) -> AsyncIterator[A2AApp]:
    """The specialist's app, with its model, MCP connection, trace and task store open; all closed on exit.

    ``mcp``: ``None`` serves the catalogue in-process (``servers.mcp.server.build_server()``), a URL connects
    to a streamable-HTTP MCP server (bearer token ``mcp_token``, else ``$PROTOPLAY_MCP_TOKEN``), a server
    object is used as is. ``url`` is what the card advertises; a request body over ``max_body_bytes`` gets
    413. ``token`` is one shared bearer token; ``tokens`` maps several to principals, each seeing only its own
    tasks. ``allow_private_webhooks`` and ``push_retry``: see :func:`servers.a2a.app.build_app`.

    ``replica`` identifies this server in the task store (see :mod:`servers.a2a.recovery`): tasks it leaves
    in flight when it dies are failed by the next server on its address, or by any replica once its
    heartbeat has been silent for ``replica_timeout_s`` (default ``DEFAULTS.replica_timeout_s``).
    """
    from agents.config import resolve_mcp_token, resolve_model_config
    from agents.mcp.client import connect_mcp
    from agents.runtime import open_model, traced
    from agents.trace import TraceWriter
    from servers.mcp.server import build_server
    from tools.catalog import Theme

    config = resolve_model_config(model=model, base_url=base_url, api_key=api_key, api=api)
    async with AsyncExitStack() as stack:
        store = await stack.enter_async_context(open_task_store(task_store, table="specialist_tasks"))
        recovery = await stack.enter_async_context(recovery_for(store, replica, replica_timeout_s))
        trace = TraceWriter(enabled=trace_enabled, agent=SPECIALIST_NAME, background=True)
        stack.callback(trace.close)
        toolbox = await stack.enter_async_context(
            connect_mcp(mcp if mcp is not None else build_server(), token=resolve_mcp_token(mcp_token))
        )
        tools = await _list_tools(toolbox.client)
        chat_model = open_model(stack, config, model_override)
        chat_model, tool_source = traced(chat_model, toolbox, trace, peer=toolbox.peer)
        agent = Agent(
            chat_model, tool_source, memory=None, system_prompt=SPECIALIST_PROMPT, max_steps=max_steps
        )
        card = agent_card(
            name=SPECIALIST_NAME,
            description=DESCRIPTION,
            url=url,
            skills=skills_from_tools(tools, theme_order=[theme.value for theme in Theme]),
            token_required=bool(token or tokens),
            streaming=streaming,
        )
        app = build_app(
            card=card,
            executor=SpecialistExecutor(agent, trace=trace, stamp=recovery.stamp),
            store=store,
            token=token,
            max_body_bytes=max_body_bytes,
            tokens=tokens,
            allow_private_webhooks=allow_private_webhooks,
            push_retry=push_retry,
        )
        stack.push_async_callback(app.aclose)
        yield app


async def run_specialist(*, host: str = "127.0.0.1", port: int = 9101, **options: Any) -> None:
    """Serve the specialist on ``host:port`` until cancelled (options: :func:`servers.a2a.app.run_server` and
    :func:`open_specialist`)."""
    await run_server(open_specialist, host=host, port=port, **options)


async def _list_tools(client: Any) -> list[Any]:
    listing = await client.list_tools()
    tools = list(listing.tools)
    while listing.next_cursor:
        listing = await client.list_tools(cursor=listing.next_cursor)
        tools.extend(listing.tools)
    return tools
