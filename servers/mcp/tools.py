"""Catalogue tool → MCP tool: one generic adapter, no per-tool code.

For every :class:`tools.catalog.ToolSpec` the SDK derives, from the tool function itself, the name, the
description (docstring), the input schema (typed parameters) and the output schema (the result model). This
module adds what the SDK cannot guess:

- unknown argument names are rejected (``additionalProperties: false``), exactly as the CLI path does, so a
  misspelt optional argument is an error the caller sees rather than a silently ignored value;
- annotations: read-only, non-destructive, idempotent, closed-world (the tools compute; they touch nothing);
- ``_meta``: the tool's theme and whether it is long-running (``protoplay/theme``, ``protoplay/longRunning``);
- the call: a long-running tool runs in a worker process of the server's :class:`ToolWorkerPool` (bounded,
  queued, recycled: :mod:`servers.mcp.workers`), any other in a worker thread (at most
  :data:`LIGHT_CALLS` at once); progress the tool reports reaches the MCP request as progress
  notifications, each report's message the client's log (:mod:`servers.mcp.server_logs`); a cancelled
  request stops the tool (its worker process is killed, or its thread aborts at the tool's next report);
- the result: structured content (the result model as JSON), the same JSON as text for clients that only read
  text, and image content when a :class:`tools.PlotResult` carries a PNG;
- errors: :class:`tools.errors.ToolInputError` becomes an ``isError`` result whose text names the field, and
  arguments that fail the schema are worded the same way (one line per call, no pydantic URLs), and a call
  the pool refuses gets one saying the server is busy; any other exception is logged with its traceback and
  answered with a short generic error.
"""

from __future__ import annotations

import base64
import concurrent.futures
import inspect
import json
import logging
import math
import time
from typing import Annotated, Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, ContentBlock, ImageContent, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, ValidationError

from servers.mcp.server_logs import send_log
from servers.mcp.workers import PoolBusy, ToolWorkerPool, WorkerCrashed
from tools import progress_reporter
from tools.catalog import ToolSpec, validation_problem
from tools.errors import ToolInputError
from tools.schema_guard import boolean_refusal

__all__ = ["LIGHT_CALLS", "TOOL_ANNOTATIONS", "catalogue_tool", "tool_result"]

log = logging.getLogger(__name__)

#: Calls of the quick tools computed at once in threads; more wait (each is bounded, but forty at once would
#: still add up).
LIGHT_CALLS = 4
_LIGHT_LIMITER = anyio.CapacityLimiter(LIGHT_CALLS)

#: Every catalogue tool is a pure calculation over its arguments: it reads and writes nothing outside itself.
TOOL_ANNOTATIONS = ToolAnnotations(
    read_only_hint=True,
    destructive_hint=False,
    idempotent_hint=True,
    open_world_hint=False,
)

_CONTEXT_PARAM = "mcp_context"
_PROGRESS_INTERVAL_S = 0.05
"""Minimum spacing of progress notifications: a tool may report every step; a client needs a few a second."""


def catalogue_tool(spec: ToolSpec, *, pool: ToolWorkerPool | None = None) -> Tool:
    """The MCP tool for one catalogue entry (``TypeError`` if the tool breaks the catalogue conventions).

    A long-running tool runs in ``pool`` when one is given (else in a thread, like the others).
    """
    signature = inspect.signature(spec.fn, eval_str=True)
    result_type = signature.return_annotation
    if not (isinstance(result_type, type) and issubclass(result_type, BaseModel)):
        raise TypeError(f"tool {spec.name!r} must be annotated to return a pydantic result model")
    if _CONTEXT_PARAM in signature.parameters:
        raise TypeError(f"tool {spec.name!r} may not have a parameter named {_CONTEXT_PARAM!r}")

    handler = _handler(spec, pool if spec.long_running else None)
    # The SDK reads the handler's signature: the tool's own parameters (→ input schema), plus the context it
    # injects, and `Annotated[CallToolResult, Model]` (→ output schema; structured content checked on it).
    context = inspect.Parameter(_CONTEXT_PARAM, inspect.Parameter.KEYWORD_ONLY, annotation=Context)
    handler.__signature__ = signature.replace(
        parameters=[*signature.parameters.values(), context],
        return_annotation=Annotated[CallToolResult, result_type],
    )
    handler.__annotations__ = {_CONTEXT_PARAM: Context, "return": CallToolResult}
    tool = _CatalogueTool.from_function(
        handler,
        name=spec.name,
        description=spec.description,
        annotations=TOOL_ANNOTATIONS,
        meta={"protoplay/theme": str(spec.theme), "protoplay/longRunning": spec.long_running},
        structured_output=True,
    )
    _close_arguments(tool)
    return tool


class _CatalogueTool(Tool):
    """The SDK's tool, with bad arguments worded like the CLI's: one line naming each field and what it
    allows (:func:`tools.catalog.validation_problem`), never pydantic's multi-line text with its URLs; and,
    like the CLI, ``true``/``false`` given for a number refused (:mod:`tools.schema_guard`)."""

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        # As the SDK will see them: it parses JSON-looking strings first ("true" would become true, then 1).
        refused = boolean_refusal(self.parameters, self.fn_metadata.pre_parse_json(arguments))
        if refused is not None:
            raise ToolError(f"Error executing tool {self.name}: {refused[0]}: {refused[1]}")
        try:
            return await super().run(arguments, context, convert_result)
        except ToolError as exc:
            if not isinstance(exc.__cause__, ValidationError):
                raise
            fields = [name for name in self.fn_metadata.arg_model.model_fields if name != _CONTEXT_PARAM]
            problem = validation_problem(exc.__cause__, given=arguments, parameters=fields)
            raise ToolError(f"Error executing tool {self.name}: {problem}") from exc.__cause__


def tool_result(result: BaseModel) -> CallToolResult:
    """A tool's return value as an MCP result: structured content, its JSON as text, and the plot if any."""
    return _result(result.model_dump(mode="json"), getattr(result, "png", None))


def _result(data: dict[str, Any], png: bytes | None) -> CallToolResult:
    # allow_nan=False: results promise finite numbers (JSON has no NaN); a NaN is a crash, not bad output.
    content: list[ContentBlock] = [
        TextContent(type="text", text=json.dumps(data, ensure_ascii=False, allow_nan=False))
    ]
    if png:
        content.append(ImageContent(type="image", data=base64.b64encode(png).decode(), mime_type="image/png"))
    return CallToolResult(content=content, structured_content=data)


def _handler(spec: ToolSpec, pool: ToolWorkerPool | None):
    async def handler(mcp_context: Context, **arguments: Any) -> CallToolResult:
        try:
            if pool is not None:
                gate = _ProgressGate()

                async def forward(done: float, total: float | None, message: str | None) -> None:
                    if gate.admits(done, total):
                        await _report(mcp_context, spec.name, done, gate.total, message)

                output = await pool.call(spec.fn, arguments, progress=forward)
                return _result(output.data, output.png)
            reporter = _ProgressBridge(mcp_context, tool=spec.name)

            def work() -> BaseModel:
                with progress_reporter(reporter):
                    return spec.fn(**arguments)

            return tool_result(await anyio.to_thread.run_sync(work, limiter=_LIGHT_LIMITER))
        except (ToolInputError, PoolBusy) as exc:
            raise ToolError(str(exc)) from exc
        except WorkerCrashed as exc:
            log.error("%s\n%s", exc, exc.details)
            raise ToolError(f"{spec.name} crashed (the server log has the details)") from None
        except BaseException:
            # A request cancelled mid-tool ends as cancelled, not as a tool crash logged with a traceback.
            await anyio.lowlevel.checkpoint_if_cancelled()
            raise

    handler.__name__ = handler.__qualname__ = spec.name
    handler.__doc__ = spec.description
    return handler


def _close_arguments(tool: Tool) -> None:
    """Reject argument names the tool does not have, like `tools.catalog.validate_arguments` does."""
    base = tool.fn_metadata.arg_model
    closed = type(
        base.__name__, (base,), {"model_config": ConfigDict(extra="forbid"), "__module__": __name__}
    )
    tool.fn_metadata.arg_model = closed
    # What `closed.model_json_schema()` would say, without deriving the whole schema a second time.
    tool.parameters = {**tool.parameters, "additionalProperties": False}


class _ProgressGate:
    """Which progress reports reach the client: strictly increasing as the protocol requires, and at most one
    per ``_PROGRESS_INTERVAL_S`` except the first and the final one."""

    def __init__(self) -> None:
        self._last_progress: float | None = None
        self._last_sent = -math.inf
        self.total: float | None = None
        """The total of the last admitted report (``None`` when unknown or not finite)."""

    def admits(self, done: float, total: float | None) -> bool:
        if not math.isfinite(done) or (self._last_progress is not None and done <= self._last_progress):
            return False
        self.total = total if total is not None and math.isfinite(total) else None
        now = time.monotonic()
        final = self.total is not None and done >= self.total
        if self._last_progress is not None and not final and now - self._last_sent < _PROGRESS_INTERVAL_S:
            return False
        self._last_progress, self._last_sent = done, now
        return True


class _ProgressBridge:
    """The progress reporter installed while a tool runs in its worker thread.

    Each report first checks whether the MCP request was cancelled and, if so, raises the cancellation in
    the tool's thread: that is how a long tool stops. Otherwise it forwards what :class:`_ProgressGate` admits
    to the client (a no-op when the client asked for no progress).
    """

    def __init__(self, context: Context, *, tool: str) -> None:
        self._context = context
        self._tool = tool
        self._gate = _ProgressGate()

    def __call__(self, done: float, total: float | None = None, message: str | None = None) -> None:
        anyio.from_thread.check_cancelled()
        if not self._gate.admits(done, total):
            return
        try:
            anyio.from_thread.run(_report, self._context, self._tool, done, self._gate.total, message)
        except concurrent.futures.CancelledError:
            anyio.from_thread.check_cancelled()  # re-raised as the event loop's own cancellation
            raise


async def _report(context: Context, tool: str, done: float, total: float | None, message: str | None) -> None:
    """One admitted progress report to the client: the notification, and its message for the log view."""
    await context.report_progress(float(done), total, message)
    if message:  # what the tool is doing, for the client's log view (servers.mcp.server_logs)
        await send_log(context, "info", f"{tool}: {message}", logger=f"protoplay.{tool}")
