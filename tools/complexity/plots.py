"""Drawing for :mod:`tools.complexity.backbones`: the parameters-vs-compute scatter of ``compare_models``.

Called inside ``render_png`` (matplotlib is loaded by then).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["ComparedPoint", "draw_comparison"]


class ComparedPoint(Protocol):
    """What the scatter needs of one compared model (``backbones.ComparedModel`` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def params(self) -> int: ...
    @property
    def gmacs(self) -> float: ...
    @property
    def on_pareto_front(self) -> bool: ...


def draw_comparison(
    fig,
    rows: Sequence[ComparedPoint],
    front: Sequence[str],
    *,
    max_params_millions: float | None,
    max_gmacs: float | None,
) -> None:
    """A log-log scatter of parameters vs GMACs: the Pareto front highlighted and joined, every model named,
    each budget given drawn as a line."""
    from tools.plotting import HIGHLIGHT, MUTED, PALETTE, plain_log_ticks

    ax = fig.add_subplot()
    by_name = {row.name: row for row in rows}
    for on_front, label, color in ((True, "Pareto front", HIGHLIGHT), (False, "dominated", PALETTE[0])):
        group = [row for row in rows if row.on_pareto_front is on_front]
        if group:
            xs, ys = [row.params / 1e6 for row in group], [row.gmacs for row in group]
            ax.scatter(xs, ys, color=color, zorder=3, label=label)
    for row in rows:
        ax.annotate(row.name, (row.params / 1e6, row.gmacs), textcoords="offset points", xytext=(4, 4))
    if len(front) > 1:
        ax.plot(
            [by_name[n].params / 1e6 for n in front], [by_name[n].gmacs for n in front],
            color=HIGHLIGHT, linestyle="--", linewidth=1, zorder=2,
        )  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.margins(0.12)  # room for the names beside the points
    if max_params_millions is not None:  # an axvline does not widen the view: a far budget is brought in
        label = f"budget: ≤ {max_params_millions:g} M params"
        ax.axvline(max_params_millions, color=MUTED, linestyle=":", label=label)
        low, high = ax.get_xlim()
        ax.set_xlim(min(low, max_params_millions / 1.3), max(high, max_params_millions * 1.3))
    if max_gmacs is not None:
        ax.axhline(max_gmacs, color=MUTED, linestyle="-.", label=f"budget: ≤ {max_gmacs:g} GMACs")
        low, high = ax.get_ylim()
        ax.set_ylim(min(low, max_gmacs / 1.3), max(high, max_gmacs * 1.3))
    plain_log_ticks(ax)
    ax.set_xlabel("parameters (millions, log scale)")
    ax.set_ylabel("GMACs per image (log scale)")
    ax.set_title("Parameters vs compute (lower left is cheaper)")
    ax.grid(True, which="both")
    ax.legend(loc="lower right")
