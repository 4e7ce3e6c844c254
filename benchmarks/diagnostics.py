"""Benchmark: gradient_flow at depth 50, width 256 against a hand-written torch MLP of the same shape.

Goal: one gradient_flow call (defaults, PNG included) ≤ 0.5 s. Baseline, measured in the same run: build the
same MLP by hand (50 × Linear(256→256) + ReLU, Linear(256→10) head) and run one cross-entropy forward/backward
on the same batch size. Prints both, the ratio, and exits 1 if the goal is missed.

Run: .venv/bin/python benchmarks/diagnostics.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

DEPTH, WIDTH, BATCH = 50, 256, 64
GOAL_S = 0.5
REPEATS = 7


def hand_written_mlp() -> None:
    import torch
    import torch.nn.functional as F
    from torch import nn

    layers: list[nn.Module] = []
    for _ in range(DEPTH):
        layers += [nn.Linear(WIDTH, WIDTH), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(WIDTH, 10))
    x = torch.randn(BATCH, WIDTH)
    y = torch.randint(0, 10, (BATCH,))
    F.cross_entropy(model(x), y).backward()


def median_time(fn, repeats: int = REPEATS) -> float:
    fn()  # warm-up: imports, allocator, matplotlib font cache
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    import torch

    from tools.training.gradients import gradient_flow

    torch.manual_seed(0)
    baseline = median_time(hand_written_mlp)
    tool_plot = median_time(lambda: gradient_flow(depth=DEPTH, width=WIDTH, batch_size=BATCH))
    tool_bare = median_time(lambda: gradient_flow(depth=DEPTH, width=WIDTH, batch_size=BATCH, plot=False))

    print(
        f"gradient_flow depth {DEPTH} width {WIDTH} batch {BATCH}, median of {REPEATS} (torch threads: "
        f"{torch.get_num_threads()})"
    )
    print(f"  baseline: hand-written torch MLP build + forward + backward  {baseline * 1e3:8.1f} ms")
    print(
        f"  gradient_flow(plot=False)                                    {tool_bare * 1e3:8.1f} ms  "
        f"ratio {tool_bare / baseline:5.2f}×"
    )
    print(
        f"  gradient_flow (default, with PNG)                            {tool_plot * 1e3:8.1f} ms  "
        f"ratio {tool_plot / baseline:5.2f}×"
    )
    met = tool_plot <= GOAL_S
    print(f"  goal: default call ≤ {GOAL_S:.2f} s → {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
