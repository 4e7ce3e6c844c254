"""Benchmark: compare_optimizers with all seven optimizers × 1000 steps on Rosenbrock, in one call.

Goal: ≤ 1 s per call on the project machine. Baseline measured in the same run: a plain hand loop with
torch.optim.Adam and autograd (zero_grad, forward, backward, step) for 7 × 1000 steps on the same function
from the same start, so the ratio is independent of the machine. Both are timed warm (torch.optim's first
construction imports torch._dynamo once per process; that one-off cost is printed separately).

    python benchmarks/optimizers.py           # the timings
    python benchmarks/optimizers.py --tune    # recompute tools.optimizers.problems.DEFAULT_LR and compare
    with the table
"""

from __future__ import annotations

import argparse
import statistics
import time

STEPS = 1000
REPEATS = 5


def _timed(fn, *args) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def _median(fn, *args) -> tuple[float, float]:
    walls, cpus = zip(*(_timed(fn, *args) for _ in range(REPEATS)), strict=True)
    return statistics.median(walls), statistics.median(cpus)


def _hand_adam_loop(total_steps: int) -> None:
    import torch

    for _ in range(total_steps // STEPS):
        param = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([param], lr=0.1)
        for _ in range(STEPS):
            opt.zero_grad()
            x, y = param[0], param[1]
            loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
            loss.backward()
            opt.step()


def _tool_call(plot: bool) -> None:
    from tools.optimizers.experiments import compare_optimizers

    result = compare_optimizers(problem="rosenbrock", steps=STEPS, plot=plot)
    assert len(result.runs) == 7 and (result.png is not None) == plot


def bench() -> None:
    began = time.perf_counter()
    from tools.optimizers.problems import make_problem, run_optimizer

    run_optimizer(make_problem("rosenbrock"), "adam", 0.1, 1)
    cold = time.perf_counter() - began
    print(f"one-off: import torch + first torch.optim construction (imports torch._dynamo): {cold:.2f} s")
    _tool_call(plot=True)  # warm matplotlib too

    base_wall, base_cpu = _median(_hand_adam_loop, 7 * STEPS)
    per_step = 1e6 / (7 * STEPS)
    print(
        f"baseline: hand loop, torch.optim.Adam + autograd, 7 × {STEPS} steps: {base_wall:.3f} s wall, "
        f"{base_cpu:.3f} s CPU ({base_wall * per_step:.0f} µs/step)"
    )
    for plot in (False, True):
        wall, cpu = _median(_tool_call, plot)
        print(
            f"compare_optimizers(rosenbrock, 7 optimizers × {STEPS} steps, plot={plot!s:5}): "
            f"{wall:.3f} s wall, {cpu:.3f} s CPU ({wall * per_step:.0f} µs/step); ratio to baseline "
            f"{wall / base_wall:.2f} wall, {cpu / base_cpu:.2f} CPU; goal ≤ 1 s wall: "
            f"{'met' if wall <= 1.0 else 'MISSED'}"
        )
    print(f"(median of {REPEATS} warm calls each; CPU = this process's CPU time, robust to a busy machine)")


def tune() -> None:
    """Recompute the default-lr table by its documented rule and show where it differs from DEFAULT_LR."""
    from tools.optimizers import problems

    differ = 0
    for name in problems.PROBLEM_NAMES:
        problem = problems.make_problem(name)
        row = {}
        for optimizer in problems.OPTIMIZER_NAMES:
            good = []
            for lr in problems.TUNING_GRID:
                run = problems.run_optimizer(problem, optimizer, lr, problems.TUNING_STEPS)
                if problems.assess(problem, run).verdict == "good":
                    good.append((problems.ranking_key(problem, run, lr), lr))
            row[optimizer] = min(good)[1] if good else None
            differ += row[optimizer] != problems.DEFAULT_LR[name][optimizer]
        print(f"{name}: {row}")
    print("matches DEFAULT_LR" if differ == 0 else f"{differ} entries differ from DEFAULT_LR")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tune", action="store_true", help="recompute the default learning-rate table")
    if parser.parse_args().tune:
        tune()
    else:
        bench()
