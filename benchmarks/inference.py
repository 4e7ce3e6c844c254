"""Benchmark: the LLM-inference tools answer analytically, without building a model.

Goal: each of llm_inference_memory, roofline (numbers only) and llm_throughput answers one call in ≤ 5 ms warm
through the catalogue (argument validation included), and none of them imports torch — on dense presets and
on mixtures of experts (DeepSeek-V3 with latent attention, Mixtral). Baseline, measured in the same run:
building LLaMA-2-7B as a transformers model on torch's meta device (no weights allocated) — the cheapest way
to get at a model's shapes through torch. The roofline PNG is timed too, against an empty matplotlib figure
rendered the same way: drawing is matplotlib's cost, not the analysis's (no goal).

Run: .venv/bin/python benchmarks/inference.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

GOAL_MS = 5.0
REPEATS = 101
CALLS: dict[str, dict] = {
    "llm_inference_memory": {
        "model": "llama-3.1-70b",
        "quantization": "awq",
        "num_gpus": 2,
        "gpu": "l40s",
        "context_len": 32768,
    },
    "roofline": {"model": "llama-2-7b", "gpu": "a100-80gb", "context_len": 2048, "plot": False},
    "llm_throughput": {
        "model": "llama-3-8b",
        "gpu": "h100-sxm",
        "batch_size": 8,
        "target_tpot_ms": 20,
        "acceptance_rate": 0.8,
        "draft_model": "llama-3.2-1b",
    },
}
#: Mixtures of experts and multi-head latent attention (expected experts per step, the latent cache): the
#: same tools, labelled by model.
MOE_CALLS: dict[str, tuple[str, dict]] = {
    "memory deepseek-v3": (
        "llm_inference_memory",
        {"model": "deepseek-v3", "quantization": "fp8", "num_gpus": 8, "gpu": "h200", "context_len": 32768},
    ),
    "throughput mixtral-8x7b": (
        "llm_throughput",
        {"model": "mixtral-8x7b", "gpu": "h100", "num_gpus": 2, "batch_size": 16, "target_tpot_ms": 30},
    ),
}


def median_ms(fn, repeats: int = REPEATS) -> float:
    fn()  # warm-up: imports, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def meta_model() -> None:
    import torch
    import transformers

    config = transformers.LlamaConfig(
        hidden_size=4096,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=32,
        intermediate_size=11008,
        vocab_size=32000,
    )
    with torch.device("meta"):
        transformers.LlamaForCausalLM(config)


def main() -> int:
    from tools.catalog import call_tool
    from tools.plotting import render_png

    tool_ms = {name: median_ms(lambda n=name, a=args: call_tool(n, a)) for name, args in CALLS.items()}
    tool_ms |= {
        label: median_ms(lambda n=name, a=args: call_tool(n, a)) for label, (name, args) in MOE_CALLS.items()
    }
    torch_free = "torch" not in sys.modules
    plot_ms = median_ms(lambda: call_tool("roofline", {**CALLS["roofline"], "plot": True}), repeats=5)
    empty_ms = median_ms(lambda: render_png(lambda fig: fig.add_subplot()), repeats=5)
    baseline = median_ms(meta_model, repeats=5)

    print(f"LLM-inference tools, warm, median of {REPEATS} calls through tools.catalog.call_tool")
    print(f"  baseline: LLaMA-2-7B built by transformers on the meta device  {baseline:9.3f} ms")
    for name, ms in tool_ms.items():
        print(f"  {name:<24} {ms:9.3f} ms  ratio {ms / baseline:8.5f}×  ({baseline / ms:,.0f}× faster)")
    print(f"  torch imported by the calls: {'no' if torch_free else 'YES'}")
    print(f"  roofline with its PNG  {plot_ms:9.1f} ms  vs an empty matplotlib figure {empty_ms:9.1f} ms")
    met = torch_free and all(ms <= GOAL_MS for ms in tool_ms.values())
    print(f"  goal: every call ≤ {GOAL_MS:g} ms warm and no torch → {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
