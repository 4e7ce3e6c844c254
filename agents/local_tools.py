"""Tools the agent itself provides next to the MCP catalogue: ``remember``, ``recall``, ``forget`` (long-term
memory) and ``ask_user`` (ask for missing information).

Each is a pydantic argument model (the JSON schema the model sees, and the validator of what it sends) plus an
async handler. Validation failures and unknown ids come back as error outcomes naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.memory.backend import LongTermBackend, MemoryScope
from agents.messages import ToolSpec
from agents.toolbox import ToolOutcome, TurnContext, error_outcome

__all__ = ["ASK_USER", "LocalTool", "ask_user_tool", "memory_tools", "validation_message"]

ASK_USER = "ask_user"


class _Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RememberArguments(_Arguments):
    text: str = Field(
        min_length=1, max_length=4000, description="The fact to keep, as one self-contained sentence."
    )
    kind: Literal["fact", "preference", "result", "note"] = Field(
        "fact", description="What sort of memory it is: fact, preference, result or note."
    )
    tags: list[str] = Field(default_factory=list, max_length=10, description="Optional short labels.")
    scope: Literal["conversation", "global"] = Field(
        "conversation",
        description="conversation: recalled only in this conversation; global: in every conversation with "
        "this user (use it only when the user asks to remember something everywhere or for good).",
    )


class RecallArguments(_Arguments):
    query: str = Field(min_length=1, max_length=1000, description="What to look for, in a few keywords.")
    limit: int = Field(5, ge=1, le=20, description="How many memories to return at most.")


class ForgetArguments(_Arguments):
    id: int = Field(ge=1, description="The id of the memory to delete, as returned by remember or recall.")


class AskUserArguments(_Arguments):
    question: str = Field(min_length=1, max_length=2000, description="The question to show the user.")


Handler = Callable[[Any, TurnContext], Awaitable[ToolOutcome]]
"""``handler(validated_arguments, turn_context) -> outcome``."""


@dataclass(frozen=True)
class LocalTool:
    """A tool run inside the agent process."""

    name: str
    """The function name offered to the model."""
    description: str
    """What the model reads to decide when to call it."""
    arguments: type[BaseModel]
    """Validates the model's arguments; its JSON schema is the tool's ``parameters``."""
    handler: Handler
    """Runs the call."""

    @cached_property
    def spec(self) -> ToolSpec:
        schema = self.arguments.model_json_schema()
        schema.pop("title", None)
        spec: ToolSpec = {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": schema},
        }
        return spec

    async def call(self, arguments: dict[str, Any], context: TurnContext) -> ToolOutcome:
        try:
            validated = self.arguments.model_validate(arguments)
        except ValidationError as exc:
            return error_outcome(validation_message(exc))
        return await self.handler(validated, context)


def validation_message(exc: ValidationError) -> str:
    """Pydantic's errors as ``field: reason; field: reason`` (what the model must fix)."""
    parts = []
    for err in exc.errors(include_url=False):
        field = ".".join(str(part) for part in err["loc"]) or "arguments"
        parts.append(f"{field}: {err['msg']}")
    return "; ".join(parts)


def _ok(payload: dict[str, Any]) -> ToolOutcome:
    return ToolOutcome(content=json.dumps(payload, ensure_ascii=False), structured=payload)


def memory_tools(memory: LongTermBackend) -> list[LocalTool]:
    """``remember``, ``recall`` and ``forget`` over one long-term memory, each confined to what the turn's
    principal may see: its own global memories and those of the turn's conversation (A2A context)."""

    async def remember(args: RememberArguments, context: TurnContext) -> ToolOutcome:
        scope = MemoryScope.of(context)
        if args.scope == "global":
            scope = scope.everywhere()
        saved = await memory.remember(
            args.text, kind=args.kind, tags=args.tags, session=context.session, scope=scope
        )
        return _ok({"remembered": True, **saved.to_dict()})

    async def recall(args: RecallArguments, context: TurnContext) -> ToolOutcome:
        scope = MemoryScope.of(context)
        found = await memory.recall(args.query, limit=args.limit, scope=scope)
        if found:
            return _ok({"query": args.query, "count": len(found), "memories": [m.to_dict() for m in found]})
        # Nothing matched: what is remembered at all answers better than nothing ("which OS do I use?"
        # when only the framework was told), marked as not matching.
        stored = await memory.newest(limit=args.limit, scope=scope)
        return _ok(
            {"query": args.query, "count": 0, "matched": False, "memories": [m.to_dict() for m in stored]}
        )

    async def forget(args: ForgetArguments, context: TurnContext) -> ToolOutcome:
        if not await memory.forget(args.id, scope=MemoryScope.of(context)):
            return error_outcome(f"id: no memory has id {args.id}; call recall to find the right id")
        return _ok({"forgotten": True, "id": args.id})

    return [
        LocalTool(
            "remember",
            "Remember a fact, preference or result for future conversations (long-term memory, 记住). "
            "Use it when the user says 'remember that ...' or states something worth keeping. "
            "The memory is stored durably and gets an id.",
            RememberArguments,
            remember,
        ),
        LocalTool(
            "recall",
            "Recall what you remember from earlier conversations: the memories that match a query (long-term "
            "memory search, 回忆, 记得). Use it for questions like 'what do you remember about X?', "
            "'do you remember ...', or 'what did I tell you about ...'. Returns the best matches with their "
            "ids; when nothing matches, the newest memories with matched=false.",
            RecallArguments,
            recall,
        ),
        LocalTool(
            "forget",
            "Forget (delete) one long-term memory by its id (忘记). Use recall first to find the id.",
            ForgetArguments,
            forget,
        ),
    ]


def ask_user_tool(hook: Callable[[str], Awaitable[str]] | None) -> LocalTool:
    """``ask_user``: with a hook, the hook's answer is the tool result and the run continues; without one, the
    run ends asking for input (the answer comes as the user's next message)."""

    async def ask(args: AskUserArguments, context: TurnContext) -> ToolOutcome:
        if hook is not None:
            return _ok({"answer": await hook(args.question)})
        return ToolOutcome(
            content="The question was shown to the user; their answer will arrive as the next user message.",
            extra={"needs_input": args.question},
        )

    return LocalTool(
        ASK_USER,
        "Ask the user for information you need and do not have (for example a required argument of another "
        "tool) instead of guessing it. Returns the user's answer.",
        AskUserArguments,
        ask,
    )
