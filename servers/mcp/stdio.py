"""MCP over stdin/stdout with bounded messages: a message too large to be any tool's call is refused while it
is read, before anything is parsed.

The SDK's stdio transport reads each line whole and parses it: ten million numbers become a gigabyte of
Python objects before the tool's bounds can refuse them. Here each line is measured as it arrives — its
bytes and its values (commas: a JSON list of n values has n − 1) — and a line over
:data:`MAX_MESSAGE_BYTES` or :data:`MAX_MESSAGE_VALUES` is thrown away as it streams in (only its first and
last bytes are kept, to find the request id) and answered with a JSON-RPC error naming the limit. The rest
is the SDK's stdio transport (:func:`mcp.server.stdio.stdio_server` with these streams).

As the SDK does, the process's own fd 0 and fd 1 are pointed away from the wire while serving (at the null
device and at stderr), so a stray ``print`` — here or in a child process — cannot corrupt the protocol.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from tools._common import MAX_VECTOR

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

__all__ = ["MAX_MESSAGE_BYTES", "MAX_MESSAGE_VALUES", "BoundedLines", "serve_stdio_bounded"]

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
"""Largest message read: two lists of a million full-precision numbers (the largest call) fit."""
MAX_MESSAGE_VALUES = 2 * MAX_VECTOR + 100_000
"""Most values in one message: two maximal lists (``kl_divergence``'s ``p`` and ``q``) and the rest."""

_CHUNK = 256 * 1024
_HEAD, _TAIL = 4096, 512
_ID = r'"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")'
_ID_BEFORE_PARAMS = re.compile(_ID)
_ID_AT_END = re.compile(_ID + r"\s*\}\s*$")


class BoundedLines:
    """The lines of a file descriptor, as an async iterator of ``str`` (what the SDK's transport reads).

    A line over the limits is not yielded: ``refuse(request_id, message)`` is awaited instead (``request_id``
    is ``None`` when the kept ends of the line do not show it).
    """

    def __init__(
        self,
        fd: int,
        refuse: Callable[[Any, str], Any],
        *,
        max_bytes: int = MAX_MESSAGE_BYTES,
        max_values: int = MAX_MESSAGE_VALUES,
    ) -> None:
        self.fd = fd
        self.refuse = refuse
        self.max_bytes = max_bytes
        self.max_values = max_values

    async def __aiter__(self) -> AsyncIterator[str]:
        parts: list[bytes] = []  # the line so far (dropped once the line is over a limit)
        size = commas = 0
        head, tail = b"", b""
        while True:
            chunk = await anyio.to_thread.run_sync(os.read, self.fd, _CHUNK, abandon_on_cancel=True)
            if not chunk:  # the client closed stdin: a last line without its newline still counts
                if head:
                    await self.refuse(_request_id(head, tail), self._reason(size, commas))
                elif b"".join(parts).strip():
                    yield b"".join(parts).decode("utf-8", errors="replace")
                return
            while chunk:
                end = chunk.find(b"\n")
                piece, chunk = (chunk, b"") if end < 0 else (chunk[:end], chunk[end + 1 :])
                size += len(piece)
                commas += piece.count(b",")
                if head or size > self.max_bytes or commas > self.max_values:
                    if not head:  # the line just went over: keep its ends, drop the rest
                        line_start = b"".join(parts) + piece
                        head, parts = line_start[:_HEAD] or b" ", []
                        piece = line_start
                    tail = (tail + piece)[-_TAIL:]
                else:
                    parts.append(piece)
                if end < 0:
                    continue
                if head:
                    await self.refuse(_request_id(head, tail), self._reason(size, commas))
                elif parts and b"".join(parts).strip():
                    yield b"".join(parts).decode("utf-8", errors="replace")
                parts, size, commas, head, tail = [], 0, 0, b"", b""

    def _reason(self, size: int, commas: int) -> str:
        what = (
            f"more than {self.max_values:,} values (no tool takes more: a list holds at most {MAX_VECTOR:,} "
            "numbers)"
            if commas > self.max_values
            else f"{size:,} bytes, over the limit of {self.max_bytes:,}"
        )
        return f"message refused before it was parsed: it holds {what}"


def _request_id(head: bytes, tail: bytes) -> Any:
    """The JSON-RPC id, found before ``"params"`` at the start of the line or as its last member."""
    start = head.decode("utf-8", errors="replace")
    match = _ID_BEFORE_PARAMS.search(start.split('"params"', 1)[0])
    if match is None:
        match = _ID_AT_END.search(tail.decode("utf-8", errors="replace"))
    return json.loads(match.group(1)) if match else None


class _Writer:
    """The wire's write side, as the SDK's transport writes it (``await write(text)``, ``await flush()``)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._lock = anyio.Lock()

    async def write(self, text: str) -> None:
        data = text.encode("utf-8")
        async with self._lock:
            await anyio.to_thread.run_sync(_write_all, self.fd, data)

    async def flush(self) -> None:
        return None

    async def refuse(self, request_id: Any, message: str) -> None:
        """Answer a refused message (when its id is known; a notification gets no answer)."""
        if request_id is None:
            log.warning("%s; no request id found, so no answer was sent", message)
            return
        error = {"jsonrpc": "2.0", "id": request_id, "error": {"code": -32600, "message": message}}
        await self.write(json.dumps(error) + "\n")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


async def serve_stdio_bounded(server: MCPServer) -> None:
    """Serve ``server`` over this process's stdin/stdout until stdin closes, with bounded messages."""
    from mcp.server.stdio import stdio_server

    wire_in, wire_out = os.dup(0), os.dup(1)
    saved = _divert_std_streams()
    try:
        writer = _Writer(wire_out)
        lines = BoundedLines(wire_in, writer.refuse)
        async with stdio_server(stdin=lines, stdout=writer) as (read, write):  # type: ignore[arg-type]
            # What MCPServer.run_stdio_async does, with these streams (it takes none).
            lowlevel = server._lowlevel_server
            await lowlevel.run(read, write, lowlevel.create_initialization_options())
    finally:
        _restore_std_streams(saved)
        os.close(wire_in)
        os.close(wire_out)


def _divert_std_streams() -> tuple[int, int]:
    """Point fd 0 at the null device and fd 1 at stderr; return copies of what they were."""
    saved = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return saved


def _restore_std_streams(saved: tuple[int, int]) -> None:
    for fd, copy in enumerate(saved):
        os.dup2(copy, fd)
        os.close(copy)
