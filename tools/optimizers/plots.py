"""Drawing for :mod:`tools.optimizers.experiments`: loss-gap curves on a log axis, paths over contours, lr
sweeps.

Called inside ``render_png`` (matplotlib is loaded by then); torch and numpy are imported inside the
functions.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # tools.optimizers.problems imports torch: only for annotations here
    from tools.optimizers.problems import Problem, Run

__all__ = ["draw_compare", "draw_sweep"]

_COORDINATES = {"quadratic": ("z₁", "z₂")}
"""The two parameters' names where a formula does not call them x and y (the contour panel's axes)."""


def _gap_curve(losses: list[float], minimum: float) -> list[float]:
    # a log axis needs positive values: a gap at (or a rounding error below) zero is drawn at 1e-16
    return [max(loss - minimum, 1e-16) for loss in losses]


def _log_gap_axis(ax) -> None:
    from matplotlib.ticker import LogLocator, NullLocator

    # few ticks (and, by the callers, a fixed legend corner): matplotlib's default log ticks and its "best"
    # legend placement (which scans every plotted point) cost more than the optimizer runs themselves
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=7))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("step")
    ax.set_ylabel("loss − minimum (log scale)")


def draw_compare(fig, prob: "Problem", runs: "dict[str, Run]") -> None:
    """Loss gap per step for each optimizer; on a 2-D problem also their paths over the contours."""
    two_d = prob.dimension == 2
    axes = fig.subplots(1, 2) if two_d else [fig.subplots(1, 1)]
    ax = axes[0]
    for name, run in runs.items():
        (line,) = ax.plot(_gap_curve(run.losses, prob.minimum), label=name, linewidth=1.2)
        if run.diverged_at is not None:
            ax.plot(
                len(run.losses) - 1, max(run.losses[-1] - prob.minimum, 1e-16), "x", color=line.get_color()
            )
    _log_gap_axis(ax)
    ax.set_title(f"{prob.name}: loss gap (x = diverged)")
    if two_d:  # one legend for both panels: the colours are the same optimizers
        _draw_paths(axes[1], prob, runs)
        fig.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center", ncol=6)
    else:
        fig.legend(loc="outside right upper")


def _draw_paths(ax, prob: "Problem", runs: "dict[str, Run]") -> None:
    import numpy as np
    import torch

    from tools.plotting import HIGHLIGHT, MUTED

    assert prob.box is not None and prob.contour is not None  # two_d problems define both
    x0, x1, y0, y1 = prob.box
    xs = torch.linspace(x0, x1, 120, dtype=torch.float64)
    ys = torch.linspace(y0, y1, 120, dtype=torch.float64)
    grid_x, grid_y = torch.meshgrid(xs, ys, indexing="xy")
    values = (prob.contour(grid_x, grid_y) - prob.minimum).clamp(min=1e-3).numpy()
    levels = np.logspace(np.log10(values.min()), np.log10(values.max()), 15)
    ax.contour(grid_x.numpy(), grid_y.numpy(), values, levels=levels, colors=MUTED, linewidths=0.5, alpha=0.6)
    for name, run in runs.items():
        path = np.asarray(run.points)
        ax.plot(path[:, 0], path[:, 1], linewidth=1.0, label=name)
    ax.plot(*prob.start, "o", color="black", markersize=5, linestyle="none", label="start")
    ax.plot(*prob.minimizer, "*", color=HIGHLIGHT, markersize=11, linestyle="none", label="minimum")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    x_name, y_name = _COORDINATES.get(prob.name, ("x", "y"))
    ax.set_xlabel(x_name)
    ax.set_ylabel(y_name)
    ax.set_title("paths over the loss contours")


def draw_sweep(fig, prob: "Problem", optimizer: str, runs: "Sequence[tuple[float, Run, str]]") -> None:
    """Loss gap per step for each learning rate, styled by its verdict."""
    ax = fig.subplots(1, 1)
    styles = {"good": "-", "too_small": ":", "oscillating": "--", "diverged": "-."}
    for lr, run, verdict in runs:
        gaps = _gap_curve(run.losses, prob.minimum)
        (line,) = ax.plot(gaps, styles[verdict], linewidth=1.2, label=f"lr={lr:g} ({verdict})")
        if verdict == "diverged":
            ax.plot(len(gaps) - 1, gaps[-1], "x", color=line.get_color())
    _log_gap_axis(ax)
    fig.legend(loc="outside right upper")  # beside the panel: falling and diverging curves fill the corners
    ax.set_title(f"{optimizer} on {prob.name}: learning-rate sweep (x = diverged)")
