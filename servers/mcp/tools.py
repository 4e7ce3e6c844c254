"""Catalogue tool → MCP tool: one generic adapter, no per-tool code.

For every :class:`tools.catalog.ToolSpec` the SDK derives, from the tool function itself, the name, the
description (docstring), the input schema (typed parameters) and the output schema (the result model). This
module adds what the SDK cannot guess:

- unknown argument names are rejected (``additionalProperties: false``), exactly as the CLI path does, so a
  misspelt optional argument is an error the caller sees rather than a silently ignored value;
- annotations: read-only, non-destructive, idempotent, closed-world (the tools compute; they touch nothing);
- ``_meta``: the tool's theme and whether it is long-running (``protoplay/theme``, ``protoplay/longRunning``);
- the call: the sync tool runs in a worker thread with a progress reporter that forwards
  :func:`tools.report_progress` to the MCP request as progress notifications, and aborts the tool at
  its next report once the request is cancelled, and sends each report's message to the client's log
  (:mod:`servers.mcp.server_logs`);
- the result: structured content (the result model as JSON), the same JSON as text for clients that only read
  text, and image content when a :class:`tools.PlotResult` carries a PNG;
- errors: :class:`tools.errors.ToolInputError` becomes an ``isError`` result whose text names the field, and
  arguments that fail the schema are worded the same way (one line per call, no pydantic URLs); any other
  exception is logged by the SDK with its traceback and answered with a short generic error.
"""

from __future__ import annotations

import base64
import concurrent.futures
import inspect
import json
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
from tools import progress_reporter
from tools.catalog import ToolSpec, validation_problem
from tools.errors import ToolInputError

__all__ = ["TOOL_ANNOTATIONS", "catalogue_tool", "tool_result"]

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


def catalogue_tool(spec: ToolSpec) -> Tool:
    """The MCP tool for one catalogue entry (``TypeError`` if the tool breaks the catalogue conventions)."""
    signature = inspect.signature(spec.fn, eval_str=True)
    result_type = signature.return_annotation
    if not (isinstance(result_type, type) and issubclass(result_type, BaseModel)):
        raise TypeError(f"tool {spec.name!r} must be annotated to return a pydantic result model")
    if _CONTEXT_PARAM in signature.parameters:
        raise TypeError(f"tool {spec.name!r} may not have a parameter named {_CONTEXT_PARAM!r}")

    handler = _handler(spec)
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
    allows (:func:`tools.catalog.validation_problem`), never pydantic's multi-line text with its URLs."""

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
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
    data = result.model_dump(mode="json")
    # allow_nan=False: results promise finite numbers (JSON has no NaN); a NaN is a crash, not bad output.
    content: list[ContentBlock] = [
        TextContent(type="text", text=json.dumps(data, ensure_ascii=False, allow_nan=False))
    ]
    png = getattr(result, "png", None)
    if png:
        content.append(ImageContent(type="image", data=base64.b64encode(png).decode(), mime_type="image/png"))
    return CallToolResult(content=content, structured_content=data)


def _handler(spec: ToolSpec):
    async def handler(mcp_context: Context, **arguments: Any) -> CallToolResult:
        reporter = _ProgressBridge(mcp_context, tool=spec.name)

        def work() -> BaseModel:
            with progress_reporter(reporter):
                return spec.fn(**arguments)

        try:
            result = await anyio.to_thread.run_sync(work)
        except ToolInputError as exc:
            raise ToolError(str(exc)) from exc
        except BaseException:
            # A request cancelled mid-tool ends as cancelled, not as a tool crash logged with a traceback.
            await anyio.lowlevel.checkpoint_if_cancelled()
            raise
        return tool_result(result)

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


class _ProgressBridge:
    """The progress reporter installed while a tool runs in its worker thread.

    Each report first checks whether the MCP request was cancelled and, if so, raises the cancellation in
    the tool's thread: that is how a long tool stops. Otherwise it forwards the report to the client (a no-op
    when the client asked for no progress), keeping progress strictly increasing as the protocol requires,
    and at most one notification per ``_PROGRESS_INTERVAL_S`` except the first and the final one.
    """

    def __init__(self, context: Context, *, tool: str) -> None:
        self._context = context
        self._tool = tool
        self._last_progress: float | None = None
        self._last_sent = -math.inf

    def __call__(self, done: float, total: float | None = None, message: str | None = None) -> None:
        anyio.from_thread.check_cancelled()
        if not math.isfinite(done) or (self._last_progress is not None and done <= self._last_progress):
            return
        if total is not None and not math.isfinite(total):
            total = None
        now = time.monotonic()
        final = total is not None and done >= total
        if self._last_progress is not None and not final and now - self._last_sent < _PROGRESS_INTERVAL_S:
            return
        self._last_progress, self._last_sent = done, now
        try:
            anyio.from_thread.run(self._forward, float(done), total, message)
        except concurrent.futures.CancelledError:
            anyio.from_thread.check_cancelled()  # re-raised as the event loop's own cancellation
            raise

    async def _forward(self, done: float, total: float | None, message: str | None) -> None:
        await self._context.report_progress(done, total, message)
        if message:  # what the tool is doing, for the client's log view (servers.mcp.server_logs)
            line = f"{self._tool}: {message}"
            await send_log(self._context, "info", line, logger=f"protoplay.{self._tool}")
