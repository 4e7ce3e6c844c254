"""The function-calling agent: one short loop of model steps and tool calls.

``Agent.stream(text, session=...)`` is the one path: it yields events (the memories recalled for the turn,
text deltas, tool calls started and finished) and ends with :class:`RunFinished`. ``Agent.run`` consumes the
same stream and returns the :class:`RunResult`. Errors (:class:`~agents.errors.AgentError`: the model
endpoint failed after its retries, ``max_steps`` reached) raise after the turn is rolled back, so the
conversation stays as it was; cancelling the task that iterates also rolls the turn back and cancels the tool
calls in flight.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.config import DEFAULTS
from agents.errors import MaxStepsExceeded
from agents.local_tools import ASK_USER, LocalTool, ask_user_tool, memory_tools
from agents.memory.backend import LongTermBackend, Memory, MemoryScope
from agents.memory.sessions import Session
from agents.messages import Message, ModelResponse, TextDelta, ToolCall, ToolSpec, tool_name
from agents.models.base import Model
from agents.toolbox import Observer, Toolbox, ToolOutcome, TurnContext, error_outcome

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_SYSTEM_PROMPT",
    "Agent",
    "AgentEvent",
    "MemoriesRecalled",
    "RunFinished",
    "RunResult",
    "ToolCallFinished",
    "ToolCallRecord",
    "ToolCallStarted",
]

DEFAULT_SYSTEM_PROMPT = (
    "You are protoplay, an assistant for machine-learning questions: information theory, model size and "
    "cost, fine-tuning, optimizers, training diagnostics and out-of-distribution detection. Use the tools "
    "for every number you report; never invent results. Tool results arrive as JSON; plots are saved to "
    "files, so mention their paths. Use remember when the user asks you to keep something, recall when "
    "they refer to something from before, and ask_user when a required argument is missing instead of "
    "guessing it. "
    "Answer briefly, in the user's language."
)


@dataclass(frozen=True)
class ToolCallRecord:
    """A tool call the agent ran, with what it returned."""

    id: str
    """The model's call id."""
    name: str
    """The tool name as the model sent it."""
    arguments: dict[str, Any] | str
    """The parsed arguments, or the raw string when it was not a JSON object."""
    outcome: ToolOutcome
    """What the tool returned (or why it could not run)."""


@dataclass(frozen=True)
class RunResult:
    """The outcome of one turn."""

    text: str
    """The final answer (empty when the turn ended asking for input)."""
    tool_calls: tuple[ToolCallRecord, ...]
    """Every tool call made during the turn, in the order the model asked for them."""
    steps: int
    """How many model requests the turn took."""
    session: str
    """The session the turn belongs to."""
    needs_input: str | None = None
    """The question put to the user when the model needs more information (A2A ``input-required``)."""

    @property
    def images(self) -> tuple[Path, ...]:
        """Every image file saved during the turn."""
        return tuple(path for record in self.tool_calls for path in record.outcome.images)


@dataclass(frozen=True)
class MemoriesRecalled:
    """The long-term memories put into this turn's context (only yielded when there are some)."""

    memories: tuple[Memory, ...]


@dataclass(frozen=True)
class ToolCallStarted:
    """The agent is about to run a tool call (several may be in flight at once)."""

    id: str
    name: str
    arguments: dict[str, Any] | str


@dataclass(frozen=True)
class ToolCallFinished:
    """A tool call completed (successfully or not)."""

    record: ToolCallRecord


@dataclass(frozen=True)
class RunFinished:
    """The last event of a run."""

    result: RunResult


AgentEvent = MemoriesRecalled | TextDelta | ToolCallStarted | ToolCallFinished | RunFinished


@dataclass
class Agent:
    """Connects a model, a toolbox (MCP) and memory. Safe to run several sessions concurrently; one turn at
    a time per session."""

    model: Model
    """Who decides what to do."""
    toolbox: Toolbox | None = None
    """Where tools come from; ``None`` for memory tools only."""
    memory: LongTermBackend | None = None
    """Long-term memory: enables ``remember``/``recall``/``forget`` and recalled context in each turn."""
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    max_steps: int = DEFAULTS.max_steps
    """Model requests allowed per turn before :class:`MaxStepsExceeded`."""
    recall_limit: int = DEFAULTS.recall_limit
    """How many recalled memories are injected into each turn's context (0 disables)."""
    ask_user: Callable[[str], Awaitable[str]] | None = None
    """Answers ``ask_user`` calls; without it, such a call ends the run with ``needs_input``."""
    _local: dict[str, LocalTool] = field(init=False, repr=False)
    _specs: list[ToolSpec] | None = field(init=False, repr=False, default=None)
    _remote: set[str] = field(init=False, repr=False, default_factory=set)

    def __post_init__(self) -> None:
        tools = memory_tools(self.memory) if self.memory is not None else []
        tools.append(ask_user_tool(self.ask_user))
        self._local = {tool.name: tool for tool in tools}

    async def run(
        self,
        user_text: str,
        *,
        session: Session,
        context_id: str | None = None,
        observer: Observer | None = None,
        principal: str = "",
    ) -> RunResult:
        """One turn, without streaming; same behaviour as :meth:`stream`."""
        events = self.stream(
            user_text, session=session, context_id=context_id, observer=observer, principal=principal
        )
        async for event in events:
            if isinstance(event, RunFinished):
                return event.result
        raise AssertionError("stream ended without RunFinished")  # pragma: no cover

    async def stream(
        self,
        user_text: str,
        *,
        session: Session,
        context_id: str | None = None,
        observer: Observer | None = None,
        principal: str = "",
    ) -> AsyncIterator[AgentEvent]:
        """One turn as a stream of events, ending with :class:`RunFinished`. ``context_id``, ``observer``
        and ``principal`` travel to the tools in the turn's :class:`~agents.toolbox.TurnContext`; long-term
        memory is recalled and saved for that principal and context."""
        turn = TurnContext(session.name, user_text, context_id, observer, principal)
        session.begin({"role": "user", "content": user_text})
        records: list[ToolCallRecord] = []
        try:
            tools = await self.tool_specs(turn)
            memories = await self._recall(user_text, turn)
            if memories:
                yield MemoriesRecalled(memories)
            recalled = _recalled_context(memories)
            for step in range(1, self.max_steps + 1):
                response: ModelResponse | None = None
                async for delta in self.step(session, tools, recalled, turn):
                    if isinstance(delta, ModelResponse):
                        response = delta
                    else:
                        yield delta
                assert response is not None
                session.add(response.to_message())
                if not response.tool_calls:
                    result = RunResult(response.text or "", tuple(records), step, session.name)
                    break
                async for event in self.call_tools(response.tool_calls, session, records, turn):
                    yield event
                question = _needs_input(records)
                if question is not None:
                    result = RunResult("", tuple(records), step, session.name, needs_input=question)
                    break
            else:
                last = response.tool_calls if response is not None else ()
                raise MaxStepsExceeded(self.max_steps, [call.name for call in last])
        except BaseException:
            session.rollback()
            raise
        await session.commit()
        yield RunFinished(result)

    async def tool_specs(self, context: TurnContext) -> list[ToolSpec]:
        """Everything offered to the model: the toolbox's tools, then the agent's own (which win a name
        clash). Listed once per agent."""
        if self._specs is None:
            listed = await self.toolbox.tool_specs(context) if self.toolbox is not None else []
            remote = [spec for spec in listed if tool_name(spec) not in self._local]
            self._remote = {tool_name(spec) for spec in remote}
            self._specs = remote + [tool.spec for tool in self._local.values()]
        return self._specs

    async def step(
        self, session: Session, tools: Sequence[ToolSpec], recalled: list[Message], turn: TurnContext
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        """One model request: text deltas as they arrive, then the complete reply."""
        system: list[Message] = [{"role": "system", "content": self.system_prompt}]
        messages = session.render(system, context=recalled)
        async for event in self.model.stream(messages, tools, context=turn):
            yield event

    async def call_tools(
        self,
        calls: Sequence[ToolCall],
        session: Session,
        records: list[ToolCallRecord],
        turn: TurnContext,
    ) -> AsyncIterator[ToolCallStarted | ToolCallFinished]:
        """Run one reply's tool calls concurrently; their results join the turn in the order they were
        asked."""
        parsed = [(call, _parse_arguments(call.arguments)) for call in calls]
        for call, arguments in parsed:
            yield ToolCallStarted(call.id, call.name, arguments)
        tasks = [asyncio.ensure_future(self.call_tool(call, arguments, turn)) for call, arguments in parsed]
        try:
            for finished in asyncio.as_completed(tasks):
                yield ToolCallFinished(await finished)
        except BaseException:  # cancelled, or a crash: stop the calls still in flight before leaving
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        for task in tasks:
            record = task.result()
            records.append(record)
            session.add({"role": "tool", "tool_call_id": record.id, "content": record.outcome.content})

    async def call_tool(
        self, call: ToolCall, arguments: dict[str, Any] | str, turn: TurnContext
    ) -> ToolCallRecord:
        """Run one tool call; every failure becomes an error outcome the model can read and correct."""
        try:
            if isinstance(arguments, str):
                outcome = error_outcome(arguments)
            elif call.name in self._local:
                outcome = await self._local[call.name].call(arguments, turn)
            elif self.toolbox is not None and call.name in self._remote:
                outcome = await self.toolbox.call(call.name, arguments, turn)
            else:
                outcome = error_outcome(await self._unknown_tool(call.name, turn))
        except Exception:
            log.exception("tool call %s crashed", call.name)
            outcome = error_outcome(
                f"the tool {call.name} crashed (internal error; details in the agent's log)"
            )
        return ToolCallRecord(
            call.id, call.name, arguments if isinstance(arguments, dict) else call.arguments, outcome
        )

    async def _unknown_tool(self, name: str, turn: TurnContext) -> str:
        known = sorted({tool_name(spec) for spec in await self.tool_specs(turn)})
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        return f"there is no tool named {name!r}.{hint} Available tools: {', '.join(known)}."

    async def _recall(self, user_text: str, turn: TurnContext) -> tuple[Memory, ...]:
        if self.memory is None or self.recall_limit <= 0:
            return ()
        scope = MemoryScope.of(turn)
        found = await self.memory.recall(user_text, limit=self.recall_limit, scope=scope)
        # A stored preference ("answers in bits") applies to every turn, whatever the turn is about — within
        # what this principal and conversation may see.
        preferences = await self.memory.recall(
            "preference", limit=self.recall_limit, kind="preference", scope=scope
        )
        found += [memory for memory in preferences if memory.id not in {m.id for m in found}]
        return tuple(found)


def _recalled_context(memories: Sequence[Memory]) -> list[Message]:
    """The system message that carries recalled memories into a request (none for no memories)."""
    if not memories:
        return []
    lines = "\n".join(f"- [memory {m.id}, {m.kind}] {m.text}" for m in memories)
    return [
        {"role": "system", "content": f"Possibly relevant long-term memories (may be outdated):\n{lines}"}
    ]


def _parse_arguments(raw: str) -> dict[str, Any] | str:
    """The call's arguments as a dict, or (as a string) the message telling the model what is wrong with
    them."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return (
            f"the arguments are not valid JSON ({exc.msg} at position {exc.pos}): {raw[:200]!r}. "
            "Call the tool again with one JSON object that matches its parameters."
        )
    if not isinstance(value, dict):
        return f"the arguments must be a JSON object, got {type(value).__name__}: {raw[:200]!r}."
    return value


def _needs_input(records: list[ToolCallRecord]) -> str | None:
    for record in records:
        if record.name == ASK_USER and "needs_input" in record.outcome.extra:
            return str(record.outcome.extra["needs_input"])
    return None
