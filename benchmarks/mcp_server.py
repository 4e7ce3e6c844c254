"""MCP server benchmark: protoplay's server against a bare one-tool MCPServer, over stdio, in one run.

1. Spawn → ``tools/list`` answered (process start, imports, server build, handshake, listing): the median of
   ``--spawns`` fresh processes of each, interleaved. Goal: protoplay ≤ 1.15× the bare server.
2. Tool round trip on a warm server (``tools/call`` written → answer read): the median of ``--calls`` calls
   of a trivial tool — protoplay's ``linear_params`` vs the bare server's same-shaped tool, the two servers
   called alternately. Goal: ≤ 1.1× the bare one.

The bare server is a small script written to a temporary folder when the benchmark runs; its tool returns the
same fields as protoplay's, so both replies are the same size. Both speak raw JSON-RPC lines over pipes, the
way Claude Desktop talks to them, so no client library cost is measured.

    .venv/bin/python benchmarks/mcp_server.py [--spawns 7] [--calls 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE_SERVER = '''
from pydantic import BaseModel, Field
from mcp.server import MCPServer

server = MCPServer("bare")


class LinearResult(BaseModel):  # protoplay's linear_params fields, so both replies are the same size
    params: int = Field(description="in*out + out with bias, in*out without.")
    weight_params: int = Field(description="in*out.")
    bias_params: int = Field(description="out with bias, else 0.")
    weight_shape: list[int] = Field(description="torch's weight shape [out_features, in_features].")
    macs_per_sample: int = Field(description="in*out multiply-accumulates per input vector.")
    formula: str = Field(description="The parameter formula with this call's numbers.")
    note: str = Field(description="Why the bias term is out, not in.")


@server.tool()
def linear_params(in_features: int, out_features: int, bias: bool = True) -> LinearResult:
    """Parameters of a fully connected layer."""
    weights, biases = in_features * out_features, out_features if bias else 0
    return LinearResult(
        params=weights + biases,
        weight_params=weights,
        bias_params=biases,
        weight_shape=[out_features, in_features],
        macs_per_sample=weights,
        formula=f"in·out + out = {in_features}·{out_features} + {biases} = {weights + biases:,}",
        note="Each of the out_features outputs has its own bias, so the bias term is `out`; the formula "
        "'in·out + in' sometimes given for a Keras MLP layer is wrong. Keras Dense(units=out) holds exactly "
        "in·out + out as well.",
    )


server.run()
'''

CALL = {"name": "linear_params", "arguments": {"in_features": 784, "out_features": 10}}
HANDSHAKE = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"},
        },
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]


class Spawned:
    """A server process spoken to in JSON-RPC lines."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            bufsize=1 << 16,  # read replies in 64 KiB chunks, as clients do (not byte by byte)
        )
        self._next_id = 100

    def send(self, message: dict) -> None:
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()

    def answer(self, request_id: int) -> dict:
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the server exited early")
            message = json.loads(line)
            if message.get("id") == request_id:
                return message

    def call(self) -> float:
        self._next_id += 1
        start = time.perf_counter()
        self.send({"jsonrpc": "2.0", "id": self._next_id, "method": "tools/call", "params": CALL})
        reply = self.answer(self._next_id)
        elapsed = time.perf_counter() - start
        if reply["result"].get("isError"):
            raise RuntimeError(f"the tool failed: {reply}")
        return elapsed

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def spawn_to_tools_list(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    server = Spawned(command, env)
    try:
        for message in HANDSHAKE:  # written at once: the server reads them when it is ready
            server.send(message)
        tools = server.answer(2)["result"]["tools"]
        return time.perf_counter() - server.started, len(tools)
    finally:
        server.close()


def round_trips(commands: dict[str, list[str]], env: dict[str, str], calls: int) -> dict[str, list[float]]:
    """Warm servers side by side, called alternately, so load drift on a shared machine hits both alike."""
    servers = {name: Spawned(command, env) for name, command in commands.items()}
    try:
        for server in servers.values():
            for message in HANDSHAKE:
                server.send(message)
            server.answer(2)
            for _ in range(max(20, calls // 10)):  # warm-up: first-call imports, caches
                server.call()
        samples: dict[str, list[float]] = {name: [] for name in servers}
        for _ in range(calls):
            for name, server in servers.items():
                samples[name].append(server.call())
        return samples
    finally:
        for server in servers.values():
            server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spawns", type=int, default=9, help="fresh processes per server (≥ 5)")
    parser.add_argument("--calls", type=int, default=500, help="round trips per server (≥ 200)")
    options = parser.parse_args()

    protoplay = shutil.which("protoplay", path=str(Path(sys.executable).parent))
    if protoplay is None:
        sys.exit("the protoplay console script is not installed next to this interpreter")
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENAI_")}
    with tempfile.TemporaryDirectory(prefix="protoplay-bench-") as folder:
        bare_script = Path(folder) / "bare_server.py"
        bare_script.write_text(BARE_SERVER)
        env["PROTOPLAY_HOME"] = folder
        commands = {"bare": [sys.executable, str(bare_script)], "protoplay": [protoplay, "serve", "mcp"]}

        spawn: dict[str, list[float]] = {name: [] for name in commands}
        listed: dict[str, int] = {}
        for command in commands.values():  # one untimed start each: warms the OS cache and protoplay's
            spawn_to_tools_list(command, env)
        for _ in range(options.spawns):  # interleaved, so drift on a shared machine hits both alike
            for name, command in commands.items():
                seconds, listed[name] = spawn_to_tools_list(command, env)
                spawn[name].append(seconds)
        trips = round_trips(commands, env, options.calls)

    def row(label: str, samples: dict[str, list[float]], goal: float) -> None:
        bare, ours = statistics.median(samples["bare"]), statistics.median(samples["protoplay"])
        ratio = ours / bare
        verdict = "meets" if ratio <= goal else "MISSES"
        print(
            f"{label:<34} bare {bare * 1e3:8.2f} ms   protoplay {ours * 1e3:8.2f} ms   "
            f"ratio {ratio:5.2f}× (goal ≤ {goal}×: {verdict})"
        )

    print(f"MCP server over stdio — bare: 1 tool; protoplay serve mcp: {listed['protoplay']} tools")
    row(f"spawn → tools/list (median of {options.spawns})", spawn, 1.15)
    row(f"tools/call round trip (median of {options.calls})", trips, 1.10)
    for name in commands:
        samples = sorted(trips[name])
        p95 = samples[int(0.95 * (len(samples) - 1))]
        print(f"  {name:<10} round trip p95 {p95 * 1e3:.2f} ms; spawn min {min(spawn[name]) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
