"""MCP over stdio with bounded messages: a line too large for any tool is refused while it is read, with the
request's id, and the server reads on."""

from __future__ import annotations

import json
import os
import subprocess
import threading

import anyio

from servers.mcp.stdio import MAX_MESSAGE_VALUES, BoundedLines


async def _read_all(data: bytes, **limits: int) -> tuple[list[str], list[tuple[object, str]]]:
    """Feed ``data`` through a pipe into :class:`BoundedLines`; the lines it yields and what it refused."""
    read_fd, write_fd = os.pipe()

    def feed() -> None:
        with os.fdopen(write_fd, "wb") as pipe:
            for start in range(0, len(data), 1000):  # small writes: lines arrive split across reads
                pipe.write(data[start : start + 1000])
                pipe.flush()

    refused: list[tuple[object, str]] = []

    async def refuse(request_id: object, message: str) -> None:
        refused.append((request_id, message))

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        lines = [line async for line in BoundedLines(read_fd, refuse, **limits)]
    finally:
        writer.join()
        os.close(read_fd)
    return lines, refused


def request(request_id: object, values: int, *, id_last: bool = False) -> bytes:
    params = {"name": "entropy", "arguments": {"p": [0] * values}}
    message = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}
    if id_last:  # how the TypeScript SDK orders a request: method, params, jsonrpc, id
        message = {"method": "tools/call", "params": params, "jsonrpc": "2.0", "id": request_id}
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


async def test_lines_within_the_limits_pass_whole_and_blank_lines_are_skipped():
    data = request(1, 5000) + b"\n  \n" + request(2, 3) + request(3, 1)[:-1]  # the last line has no newline
    lines, refused = await _read_all(data, max_values=10_000)
    assert [json.loads(line)["id"] for line in lines] == [1, 2, 3]
    assert len(json.loads(lines[0])["params"]["arguments"]["p"]) == 5000
    assert refused == []


async def test_a_line_with_too_many_values_is_refused_with_its_id_and_the_next_one_is_read():
    data = request(7, 20_000) + request("tail-id", 20_000, id_last=True) + request(8, 2)
    lines, refused = await _read_all(data, max_values=10_000)
    assert [json.loads(line)["id"] for line in lines] == [8]
    assert [request_id for request_id, _ in refused] == [7, "tail-id"]
    assert refused[0][1] == (
        "message refused before it was parsed: it holds more than 10,000 values (no tool takes more: a list "
        "holds at most 1,000,000 numbers)"
    )


async def test_a_line_over_the_byte_limit_is_refused():
    big = request(5, 3000)
    lines, refused = await _read_all(request(4, 100) + big, max_bytes=4096)
    assert [json.loads(line)["id"] for line in lines] == [4]
    size = len(big) - 1  # the newline ends the line; it is not part of it
    assert refused == [
        (5, f"message refused before it was parsed: it holds {size:,} bytes, over the limit of 4,096")
    ]


async def test_a_refused_line_whose_id_cannot_be_found_is_refused_without_one():
    line = b'{"params":{"p":[' + b"0," * 20_000 + b'0]},"method":"x","id":1,"jsonrpc":"2.0"}\n'
    _, refused = await _read_all(line, max_values=10_000)
    assert [request_id for request_id, _ in refused] == [None]


def test_the_stdio_server_refuses_ten_million_numbers_and_keeps_answering(protoplay_exe, subprocess_env):
    server = subprocess.Popen(
        [protoplay_exe, "serve", "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=subprocess_env,
    )
    assert server.stdin is not None and server.stdout is not None

    def send(message: bytes) -> dict:
        server.stdin.write(message)
        server.stdin.flush()
        return json.loads(server.stdout.readline())

    try:
        hello = {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        }
        send(
            json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": hello}).encode() + b"\n"
        )
        server.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        refused = send(request(1, 10_000_000))
        answered = send(
            b'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"entropy","arguments":{"p":[0.5,0.5],'
            b'"base":"2"}}}\n'
        )
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    assert refused["id"] == 1 and refused["error"]["code"] == -32600
    assert f"more than {MAX_MESSAGE_VALUES:,} values" in refused["error"]["message"]
    assert answered["result"]["structuredContent"]["entropy"] == 1.0  # H([½, ½]) = 1 bit
    assert server.returncode == 0


async def test_reading_stops_at_end_of_input():
    with anyio.fail_after(10):
        lines, refused = await _read_all(b"")
    assert lines == [] and refused == []
