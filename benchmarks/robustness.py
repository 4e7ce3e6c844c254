"""Benchmark: protoplay under hostile input and heavy load (issue 14), each figure beside a baseline measured
in the same run.

1. Tools at their bounds: the worst in-bounds input of every catalogue tool, each in a fresh process with its
   imports (torch, matplotlib) loaded first, as in a warm worker: the call's time and the process's peak RSS,
   beside the cheapest call (``linear_params``) in the same kind of process. The README's promise is ~10 s and
   ~1 GB per call.
2. A 1 MB message to each server (the A2A specialist and coordinator, ``serve llm``, ``serve mcp`` over HTTP),
   each a separate process, while a second client fetches the card (``/v1/models`` for ``serve llm``, a
   ``linear_params`` call for MCP) every 20 ms: the time until the big request is answered or refused, and
   p50/p99 of the fetches meanwhile against their p99 on the idle server. Goals: < 1 s; p99 < 100 ms. Also the
   longest request the offline model reads (8,000 letters, no spaces: its costliest text) to ``serve llm`` and
   to the specialist.
3. 12 concurrent calls of the heaviest tool (``gradient_flow`` at its bounds) to ``serve mcp --transport
   http``: the peak memory of the server and its worker processes (sum of PSS, sampled every 50 ms; the RSS
   sum beside it, which counts shared pages once per process), how many calls completed or were refused as
   busy, and the memory afterwards against the idle server's (waiting up to 60 s for idle workers to exit).
   Baseline: the same burst with ``--tool-workers 0`` (calls in the server's threads). Goals: peak < 2.5 GB;
   afterwards within 20 % of idle.

Run: .venv/bin/python benchmarks/robustness.py [--skip-tools] [--skip-servers] [--skip-burst]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GB = 1024**3
MB = 1024**2
GRADIENT_FLOW_AT_BOUNDS = {  # depth·width² = 2^24, depth·batch·width = 2^22, depth·batch·width² = 2^32
    "depth": 16,
    "width": 1024,
    "batch_size": 256,
    "norm": "batchnorm",
    "residual": True,
    "clip_norm": 1.0,
}
_LARGEST_MODELS = [  # 32: compare_models' limit
    "ViT-H/14", "ViT-L/16", "ViT-L/32", "RegNetY-128GF", "RegNetY-32GF", "RegNetX-32GF",
    "EfficientNet-B7", "EfficientNet-B6", "EfficientNetV2-L", "ConvNeXt-Large", "ConvNeXt-Base",
    "Swin-V2-B", "Swin-B", "MaxViT-T", "Wide ResNet-101-2", "ResNeXt-101 64x4d", "ResNeXt-101 32x8d",
    "VGG19-BN", "VGG19", "DenseNet-201", "DenseNet-161", "ResNet-152", "Inception-v3",
    "Faster R-CNN ResNet-50 FPN v2", "Mask R-CNN ResNet-50 FPN v2", "Keypoint R-CNN ResNet-50 FPN",
    "RetinaNet ResNet-50 FPN v2", "FCOS ResNet-50 FPN", "DeepLabV3 ResNet-101", "FCN ResNet-101",
    "Swin3D-B", "MViT-V2-S",
]  # fmt: skip


def worst_arguments(name: str) -> dict[str, Any]:
    """The costliest input of ``name`` within its bounds (built in the measuring process: some are large)."""
    n = 1_000_000
    uniform = [1.0 / n] * n
    box = {"box": [10.0, 10.0, 200.0, 200.0]}
    table: dict[str, Callable[[], dict[str, Any]]] = {
        "entropy": lambda: {"p": uniform},
        "cross_entropy": lambda: {"p": uniform, "q": uniform},
        "kl_divergence": lambda: {"p": uniform, "q": uniform},
        "classification_loss": lambda: {"logits": [[0.5] * 100] * 10_000, "labels": [7] * 10_000},
        "distillation_loss": lambda: {
            "temperature": 20.0,
            "student_logits": [[0.5] * 100] * 10_000,
            "teacher_logits": [[0.25] * 100] * 10_000,
            "labels": [3] * 10_000,
        },
        "conv2d_params": lambda: {
            "kernel_size": 4096,
            "in_channels": 1_000_000,
            "out_channels": 1_000_000,
            "input_size": [1_000_000, 1_000_000],
        },
        "linear_params": lambda: {"in_features": 100_000_000, "out_features": 100_000_000},
        "rnn_params": lambda: {
            "kind": "lstm",
            "input_size": 1_000_000,
            "hidden_size": 100_000,
            "num_layers": 100,
        },
        "transformer_params": lambda: {
            "d_model": 65_536,
            "n_layers": 1000,
            "n_heads": 4096,
            "d_ff": 1_000_000,
            "vocab_size": 10_000_000,
            "max_positions": 10_000_000,
        },
        "list_architectures": dict,
        "model_complexity": lambda: {
            "model": "ViT-H/14",
            "input_size": 1022,  # a multiple of its 14-pixel patch
            "batch_size": 4096,
            "per_layer": True,
        },
        "compare_models": lambda: {"models": _LARGEST_MODELS},
        "custom_network_complexity": lambda: {
            "input_shape": [16_384, 64, 64],
            "layers": [{"type": "conv2d", "out_channels": 16_384, "kernel_size": 31, "padding": 15}] * 100,
        },
        "peft_trainable_params": lambda: {
            "method": "s_lora",
            "base": "llama-2-70b",
            "adapter_ranks": [4096] * 100_000,
        },
        "finetune_memory": lambda: {
            "base": "llama-2-70b",
            "method": "full",
            "batch_size": 65_536,
            "seq_len": 1_048_576,
        },
        "recommend_optimizer": dict,
        "compare_optimizers": lambda: {"problem": "logistic_regression", "steps": 5000},
        "learning_rate_sweep": lambda: {
            "problem": "logistic_regression",
            "optimizer": "adabelief",
            "lrs": [10 ** (-i / 2) for i in range(12)],
            "steps": 5000,
        },
        "diagnose_training": lambda: {
            "train_loss": [1.0 / (i + 1) for i in range(10_000)],
            "val_loss": [1.0 / (i + 1) + 0.1 for i in range(10_000)],
            "train_metric": [0.5] * 10_000,
            "val_metric": [0.5] * 10_000,
        },
        "gradient_flow": lambda: dict(GRADIENT_FLOW_AT_BOUNDS),
        "detection_metrics": lambda: {
            "predictions": [
                box | {"score": 0.5 + i / 4000, "label": str(i % 10), "image": i % 3} for i in range(1000)
            ],
            "ground_truth": [box | {"label": str(i % 10), "image": i % 3} for i in range(1000)],
            "nms_iou_threshold": 0.5,
            "max_detections": 1000,
        },
        "ood_detect": lambda: {"logits": [[0.5] * 100] * 10_000},
        "llm_inference_memory": lambda: {
            "model": "llama-3.1-405b",
            "gpu": "h100-sxm",
            "num_gpus": 8,
            "batch_size": 1_000_000,
            "context_len": 131_072,
        },
        "roofline": lambda: {
            "model": "llama-3.1-405b",
            "gpu": "h100-sxm",
            "num_gpus": 8,
            "batch_size": 1_000_000,
            "context_len": 131_072,
        },
        "llm_throughput": lambda: {
            "model": "llama-3.1-405b",
            "gpu": "h100-sxm",
            "num_gpus": 8,
            "batch_size": 1_000_000,
            "prompt_len": 65_536,
            "output_len": 65_536,
            "target_tpot_ms": 1,
            "acceptance_rate": 0.8,
            "draft_model": "llama-3.2-1b",
        },
        "list_topics": dict,
        "explain": lambda: {"topic": "optimizers"},
    }
    if name not in table:
        raise SystemExit(f"benchmarks/robustness.py has no worst-case input for the catalogue tool {name!r}")
    return table[name]()


# ------------------------------------------------------------------------------------------ 1. tools


def measure_in_this_process(name: str) -> None:
    """(Child) Import what the tools use, run ``name`` on its worst input; print seconds and peak RSS."""
    import resource

    import matplotlib.figure  # noqa: F401 - loaded before timing, as in a warm worker
    import torch  # noqa: F401

    from tools.catalog import call_tool

    arguments = worst_arguments(name) if name != "baseline" else {"in_features": 1, "out_features": 1}
    tool = "linear_params" if name == "baseline" else name
    started, cpu = time.perf_counter(), time.process_time()
    error = ""
    try:
        call_tool(tool, arguments)
    except Exception as exc:  # reported, not hidden: a worst case must be in bounds
        error = f"{type(exc).__name__}: {exc}"[:160]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak, "error": error}))


def tools_at_their_bounds() -> list[str]:
    from tools.catalog import TOOLS

    rows = []
    for name in ["baseline", *(spec.name for spec in TOOLS)]:
        worst_arguments(name) if name != "baseline" else None  # fail early on a missing entry
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, __file__, "--measure", name], capture_output=True, text=True, timeout=900
        )
        cold = time.perf_counter() - started
        if child.returncode != 0:
            rows.append((name, None, None, None, cold, child.stderr.strip().splitlines()[-1][:120]))
            continue
        result = json.loads(child.stdout.strip().splitlines()[-1])
        rows.append((name, result["seconds"], result["cpu"], result["peak"], cold, result["error"]))
    base_peak = rows[0][3]
    print(
        f"{'tool':<27} {'call':>8} {'CPU':>7} {'peak RSS':>9} {'× base':>7} {'above base':>11} {'process':>8}"
    )
    problems = []
    for name, seconds, cpu, peak, cold, error in rows:
        if seconds is None:
            print(f"{name:<27} failed: {error}")
            problems.append(f"{name} failed")
            continue
        label = "baseline (linear_params 1×1)" if name == "baseline" else name
        print(
            f"{label[:27]:<27} {seconds:7.2f}s {cpu:6.2f}s {peak / MB:7.0f}MB {peak / base_peak:6.2f}× "
            f"{(peak - base_peak) / MB:+9.0f}MB {cold:7.1f}s" + (f"  REFUSED: {error}" if error else "")
        )
        if error:
            problems.append(f"{name}: its worst in-bounds input was refused")
        elif seconds > 10 or peak > GB:
            problems.append(f"{name}: {seconds:.1f} s, {peak / MB:.0f} MB (promise: ~10 s, ~1 GB)")
    slowest = max((row for row in rows[1:] if row[1] is not None), key=lambda row: row[1])
    largest = max((row for row in rows[1:] if row[3] is not None), key=lambda row: row[3])
    print(f"slowest call: {slowest[0]} {slowest[1]:.2f} s ({slowest[2]:.2f} s of CPU)")
    print(
        f"largest process: {largest[0]} {largest[3] / MB:.0f} MB, {largest[3] / base_peak:.2f}× the baseline "
        f"process (whose {base_peak / MB:.0f} MB are mostly torch)"
    )
    return problems


# ------------------------------------------------------------------------------------------ servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def server(*args: str, home: Path, ready_url: str) -> Any:
    """``protoplay ARGS`` as a process in ``home``, once ``ready_url`` answers; stopped on exit."""
    import httpx

    exe = shutil.which("protoplay", path=str(Path(sys.executable).parent)) or "protoplay"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")} | {"PROTOPLAY_HOME": str(home)}
    process = subprocess.Popen([exe, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(ready_url, timeout=2).status_code < 500:
                    break
            if process.poll() is not None:
                raise SystemExit(
                    f"protoplay {' '.join(args)} stopped: {process.stderr.read().decode()[-500:]}"
                )
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        if process.poll() is None:
            process.kill()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def fetch_while(
    fetch: Callable[[], Any], running: asyncio.Task[Any], *, at_least_s: float = 2.0
) -> list[float]:
    """Latencies (ms) of ``fetch`` every 20 ms while ``running`` runs (and for at least ``at_least_s``); a
    fetch that fails counts as infinitely slow."""
    latencies: list[float] = []
    started = time.perf_counter()
    while not running.done() or time.perf_counter() - started < at_least_s:
        begun = time.perf_counter()
        try:
            await fetch()
        except Exception:  # a connection dropped under a stalled server: the fetch never succeeded
            latencies.append(float("inf"))
        else:
            latencies.append((time.perf_counter() - begun) * 1e3)
        await asyncio.sleep(0.02)
    return latencies


A2A_HEADERS = {"A2A-Version": "1.0"}
LONGEST_COSTLY = "entropy of [0.5, 0.5] " + "a" * 7978
"""8,000 characters the offline model reads whole: a request it calls a tool for, then re-reads to answer."""


def _a2a_message(text: str) -> dict[str, Any]:
    message = {"messageId": os.urandom(8).hex(), "role": "ROLE_USER", "parts": [{"text": text}]}
    return {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": message}}


def _chat(text: str, *, answered: bool = False) -> dict[str, Any]:
    entropy = {"name": "entropy", "description": "Shannon entropy", "parameters": {"type": "object"}}
    messages: list[dict[str, Any]] = [{"role": "user", "content": text}]
    if answered:  # the tool has run: the model writes its answer, re-reading the request
        call = {
            "id": "c1",
            "type": "function",
            "function": {"name": "entropy", "arguments": '{"p":[0.5,0.5]}'},
        }
        messages += [
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"entropy": 1.0, "unit": "bits"})},
        ]
    return {
        "model": "protoplay-offline",
        "messages": messages,
        "tools": [{"type": "function", "function": entropy}],
    }


@contextlib.asynccontextmanager
async def mcp_session(url: str) -> AsyncIterator[Any]:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async with (
        httpx2.AsyncClient(timeout=httpx2.Timeout(60.0, read=900.0)) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


async def one_server(name: str, request: str, big: Callable[[], Any], fetch: Callable[[], Any]) -> tuple:
    idle = []
    for _ in range(100):
        begun = time.perf_counter()
        await fetch()
        idle.append((time.perf_counter() - begun) * 1e3)
    started = time.perf_counter()
    finished: list[float] = []
    running = asyncio.create_task(big())
    running.add_done_callback(lambda _: finished.append(time.perf_counter()))
    during = await fetch_while(fetch, running)
    outcome = await running
    return name, request, finished[0] - started, outcome, percentile(idle, 0.99), during


async def messages_to_servers(home: Path) -> list[str]:
    import httpx

    ports = {name: free_port() for name in ("specialist", "coordinator", "llm", "mcp")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    card = "/.well-known/agent-card.json"
    for name in ports:
        (home / name).mkdir()
    rows = []
    memory = ("--task-store", "memory")
    peer = ("--peer", urls["specialist"] + "/")
    with (
        server("serve", "a2a", "specialist", "--port", str(ports["specialist"]), *memory,
               home=home / "specialist", ready_url=urls["specialist"] + card),
        server("serve", "a2a", "coordinator", "--port", str(ports["coordinator"]), *memory, *peer,
               home=home / "coordinator", ready_url=urls["coordinator"] + card),
        server("serve", "llm", "--port", str(ports["llm"]),
               home=home / "llm", ready_url=urls["llm"] + "/v1/models"),
        server("serve", "mcp", "--transport", "http", "--port", str(ports["mcp"]),
               home=home / "mcp", ready_url=urls["mcp"] + "/mcp"),
    ):  # fmt: skip
        async with httpx.AsyncClient(timeout=300) as http:

            def a2a(target: str, text: str) -> tuple:
                async def big() -> str:
                    reply = (
                        await http.post(urls[target], json=_a2a_message(text), headers=A2A_HEADERS)
                    ).json()
                    if "error" in reply:
                        return "refused: " + reply["error"]["message"]
                    return "answered: " + reply["result"]["task"]["status"]["state"]

                return big, lambda: http.get(urls[target] + card)

            def llm(body: dict[str, Any]) -> tuple:
                async def big() -> str:
                    reply = await http.post(urls["llm"] + "/v1/chat/completions", json=body)
                    if reply.status_code != 200:
                        return f"refused: HTTP {reply.status_code}"
                    return "answered: " + (reply.json()["choices"][0]["message"]["content"] or "(tool call)")

                return big, lambda: http.get(urls["llm"] + "/v1/models")

            megabyte = "z" * 1_000_000
            for target in ("specialist", "coordinator"):
                rows.append(await one_server(target, "1 MB text part", *a2a(target, megabyte)))
            rows.append(await one_server("specialist", "8,000 letters", *a2a("specialist", LONGEST_COSTLY)))
            rows.append(await one_server("serve llm", "1 MB user message", *llm(_chat(megabyte))))
            rows.append(
                await one_server("serve llm", "8,000 letters", *llm(_chat(LONGEST_COSTLY, answered=True)))
            )
            async with mcp_session(urls["mcp"] + "/mcp") as heavy, mcp_session(urls["mcp"] + "/mcp") as light:
                n = 1_000_000 // 22  # "0.000021997360316761989," is 22 bytes: 1 MB of numbers
                p = [1.0 / n] * n

                async def big() -> str:
                    result = await heavy.call_tool("entropy", {"p": p})
                    return ("refused: " if result.is_error else "answered: ") + result.content[0].text

                async def fetch() -> Any:
                    return await light.call_tool("linear_params", {"in_features": 4, "out_features": 2})

                await heavy.call_tool("entropy", {"p": [0.5, 0.5]})  # its imports (torch) before timing

                rows.append(await one_server("serve mcp (http)", "1 MB tools/call", big, fetch))
    print(f"{'server':<18} {'request':<18} {'took':>7} {'idle p99':>9} {'p50 / p99 / max meanwhile':>27}  →")
    problems = []
    for name, request, took, outcome, idle_p99, during in rows:
        p50, p99 = percentile(during, 0.5), percentile(during, 0.99)
        worst = max(during)
        print(
            f"{name:<18} {request:<18} {took:6.2f}s {idle_p99:7.1f}ms {p50:7.1f} / {p99:6.1f} / "
            f"{worst:6.1f} ms  {' '.join(str(outcome).split())[:70]}"
        )
        if request.startswith("1 MB") and (took >= 1 or p99 >= 100):
            problems.append(
                f"{name}: 1 MB message took {took:.2f} s, card p99 {p99:.0f} ms (goals: < 1 s, < 100 ms)"
            )
    return problems


# ------------------------------------------------------------------------------------------ 3. burst


class TreeMemory:
    """The memory of a process and its children (sum of PSS and of RSS), sampled in a thread."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.peak_pss = self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def now(self) -> tuple[int, int]:
        import psutil

        pss = rss = 0
        for process in [self.root, *self.root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                info = process.memory_full_info()
                pss, rss = pss + info.pss, rss + info.rss
        return pss, rss

    def _sample(self) -> None:
        while not self._stop.is_set():
            pss, rss = self.now()
            self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)
            time.sleep(0.05)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def twelve_calls(url: str) -> tuple[int, int, list[str]]:
    async with mcp_session(url) as client:
        await client.call_tool("entropy", {"p": [0.5, 0.5]})  # warm: the quick tools' imports (torch)
        results = await asyncio.gather(
            *(client.call_tool("gradient_flow", GRADIENT_FLOW_AT_BOUNDS) for _ in range(12))
        )
    refused = [r.content[0].text for r in results if r.is_error]
    return len(results) - len(refused), len(refused), refused


async def warm_up(url: str) -> None:
    async with mcp_session(url) as client:
        await client.list_tools()
        await client.call_tool("entropy", {"p": [0.5, 0.5]})


def burst_of_heavy_calls(home: Path) -> list[str]:
    problems = []
    print(
        f"{'mode':<28} {'idle':>7} {'peak PSS':>9} {'peak RSS':>9} {'done':>5} {'busy':>5} {'took':>7}  after"
    )
    for mode, extra in (
        ("worker pool (default)", []),
        ("threads (--tool-workers 0)", ["--tool-workers", "0"]),
    ):
        port = free_port()
        (home / f"burst-{port}").mkdir()
        url = f"http://127.0.0.1:{port}/mcp"
        command = ("serve", "mcp", "--transport", "http", "--port", str(port), *extra)
        with server(*command, home=home / f"burst-{port}", ready_url=url) as process:
            asyncio.run(warm_up(url))
            time.sleep(1)
            memory = TreeMemory(process.pid)
            idle, _ = memory.now()
            started = time.perf_counter()
            with memory:
                done, busy, refused = asyncio.run(twelve_calls(url))
            took = time.perf_counter() - started
            waited, (after, _) = 0, memory.now()
            while after > 1.2 * idle and waited < 60:
                time.sleep(1)
                waited, (after, _) = waited + 1, memory.now()
        peak_pss, peak_rss = memory.peak_pss / GB, memory.peak_rss / GB
        print(
            f"{mode:<28} {idle / MB:5.0f}MB {peak_pss:7.2f}GB {peak_rss:7.2f}GB {done:5d} {busy:5d} "
            f"{took:6.1f}s  {after / MB:.0f} MB = {after / idle:.2f}× idle "
            + (f"after {waited} s" if after <= 1.2 * idle else f"still after {waited} s")
        )
        if refused:
            print(f"{'':<28} refused as: {refused[0][:150]}")
        if mode.startswith("worker pool") and (memory.peak_pss > 2.5 * GB or after > 1.2 * idle):
            problems.append(f"burst: peak {memory.peak_pss / GB:.2f} GB, after {after / idle:.2f}× idle")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--skip-tools", action="store_true")
    parser.add_argument("--skip-servers", action="store_true")
    parser.add_argument("--skip-burst", action="store_true")
    options = parser.parse_args()
    if options.measure:
        measure_in_this_process(options.measure)
        return 0
    problems: list[str] = []
    print("load average (1, 5, 15 min) at start: " + ", ".join(f"{load:.1f}" for load in os.getloadavg()))
    if not options.skip_tools:
        print("== 1. every tool at its bounds (warm process: imports loaded first)")
        problems += tools_at_their_bounds()
    with tempfile.TemporaryDirectory(prefix="protoplay-robustness-") as home:
        if not options.skip_servers:
            print("\n== 2. a 1 MB message to each server, with card fetches meanwhile")
            problems += asyncio.run(messages_to_servers(Path(home)))
        if not options.skip_burst:
            print("\n== 3. 12 concurrent gradient_flow calls at their bounds to serve mcp --transport http")
            problems += burst_of_heavy_calls(Path(home))
    print("load average at the end: " + ", ".join(f"{load:.1f}" for load in os.getloadavg()))
    print("\n" + ("goals met" if not problems else "goals missed:\n  " + "\n  ".join(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
