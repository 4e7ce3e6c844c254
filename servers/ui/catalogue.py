"""The Tools panel's server side: the MCP catalogue as the agent's own MCP connection sees it.

Everything goes through the playground runtime's MCP client (:mod:`agents.mcp.client`), so the panel shows
the very server the agent uses: tools grouped by theme with their input schemas (the page builds its forms
from them), a call with the MCP request and response as they travel, resources read, prompts filled in.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from agents.errors import AgentError

if TYPE_CHECKING:
    from mcp import Client

    from servers.ui.runtime import RuntimeHolder

__all__ = ["CatalogueError", "call_tool", "get_prompt", "list_catalogue", "read_resource"]

_CALL_TIMEOUT_S = 300.0


class CatalogueError(AgentError):
    """The MCP server refused a request (an unknown resource, a prompt's missing argument...)."""


async def _client(holder: RuntimeHolder) -> Client:
    runtime = await holder.runtime()
    return runtime.toolbox.client


async def list_catalogue(holder: RuntimeHolder) -> dict[str, Any]:
    """Tools (with theme, schemas and annotations), resources, resource templates and prompts."""
    client = await _client(holder)
    tools = await _all(client.list_tools, "tools")
    resources = await _all(client.list_resources, "resources")
    templates = await _all(client.list_resource_templates, "resource_templates")
    prompts = await _all(client.list_prompts, "prompts")
    return {
        "tools": [
            {
                "name": tool.name,
                "title": tool.title or tool.name,
                "description": tool.description or "",
                "theme": str((tool.meta or {}).get("protoplay/theme") or "other"),
                "long_running": bool((tool.meta or {}).get("protoplay/longRunning")),
                "input_schema": tool.input_schema,
                "output_schema": tool.output_schema,
            }
            for tool in tools
        ],
        "resources": [_dump(resource) for resource in resources],
        "resource_templates": [_dump(template) for template in templates],
        "prompts": [_dump(prompt) for prompt in prompts],
    }


async def call_tool(holder: RuntimeHolder, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Run one tool; the JSON-RPC request and the response as they travel, and the time it took."""
    from mcp import MCPError

    client = await _client(holder)
    request = _request("tools/call", {"name": name, "arguments": arguments})
    started = time.perf_counter()
    try:
        result = await client.call_tool(name, arguments, read_timeout_seconds=_CALL_TIMEOUT_S)
    except MCPError as exc:
        response: dict[str, Any] = {"jsonrpc": "2.0", "error": {"code": exc.error.code, "message": str(exc)}}
        is_error = True
    else:
        response = {"jsonrpc": "2.0", "result": _dump(result)}
        is_error = bool(result.is_error)
    elapsed = (time.perf_counter() - started) * 1e3
    return {"request": request, "response": response, "is_error": is_error, "duration_ms": round(elapsed, 1)}


async def read_resource(holder: RuntimeHolder, uri: str) -> dict[str, Any]:
    """``resources/read``: the request and the response."""
    from mcp import MCPError

    client = await _client(holder)
    try:
        result = await client.read_resource(uri)
    except MCPError as exc:
        raise CatalogueError(f"uri: {exc}") from None
    return {"request": _request("resources/read", {"uri": uri}), "response": _response(result)}


async def get_prompt(holder: RuntimeHolder, name: str, arguments: dict[str, str]) -> dict[str, Any]:
    """``prompts/get`` with the filled-in arguments: the request and the response (the messages)."""
    from mcp import MCPError

    client = await _client(holder)
    try:
        result = await client.get_prompt(name, arguments)
    except MCPError as exc:
        raise CatalogueError(f"{name}: {exc}") from None
    request = _request("prompts/get", {"name": name, "arguments": arguments})
    return {"request": request, "response": _response(result)}


def _request(method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": params}


def _response(result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "result": _dump(result)}


def _dump(model: Any) -> dict[str, Any]:
    """An MCP type as it travels on the wire (camelCase, nothing unset)."""
    return dict(model.model_dump(mode="json", by_alias=True, exclude_none=True))


async def _all(list_page: Any, kind: str) -> list[Any]:
    """Every item of a paginated MCP listing (``kind``: the result's list attribute)."""
    page = await list_page()
    items = list(getattr(page, kind))
    while page.next_cursor:
        page = await list_page(cursor=page.next_cursor)
        items.extend(getattr(page, kind))
    return items
