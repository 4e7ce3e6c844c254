"""The one look of every plot a tool draws: size, fonts, colours, grid and legends.

Every tool that draws calls :func:`render_png`. The figure it hands the drawing function is
:data:`WIDTH_PX` pixels wide and styled by :data:`STYLE` (fonts that stay readable at that width, a
colour-blind-safe palette, a light grid), so plots of different tools look alike. A drawing function owes
each panel a title and axis labels with units, and a legend where a panel shows several series;
``tests/tools/test_plotting.py`` checks every tool of the catalogue that draws.

matplotlib is imported inside the functions, never at module import: the catalogue must stay cheap to load.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

__all__ = [
    "DPI",
    "HIGHLIGHT",
    "MIN_FONT_PT",
    "MUTED",
    "PALETTE",
    "STYLE",
    "WIDTH_PX",
    "plain_log_ticks",
    "render_png",
]

WIDTH_PX = 800
"""Every plot is this wide; text sizes are chosen to stay readable at it."""
DPI = 100
MIN_FONT_PT = 8.0
"""No text of a plot is smaller (8 pt at :data:`DPI` is 11 px high)."""

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D31", "#000000")
"""Okabe & Ito's colour-blind-safe colours (yellow swapped for a brown that shows on white), cycle order."""
HIGHLIGHT = "#D55E00"
"""What a plot points out: the Pareto front, a budget, the best epoch's marker."""
MUTED = "#7F7F7F"
"""Context drawn behind the data: contours, reference lines, dominated points."""

STYLE: dict[str, Any] = {
    "font.size": 10.0,
    "axes.titlesize": 11.0,
    "axes.labelsize": 10.0,
    "xtick.labelsize": 9.0,
    "ytick.labelsize": 9.0,
    "legend.fontsize": 9.0,
    "figure.titlesize": 12.0,
    "legend.framealpha": 0.9,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.alpha": 0.35,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.6,
    "lines.markersize": 5.0,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}
"""matplotlib rc settings every plot is drawn under (plus :data:`PALETTE` as the colour cycle)."""


def render_png(draw: Callable[[Any], None], *, height_px: int = 480) -> bytes:
    """Draw on a fresh :data:`WIDTH_PX`-wide figure in the house style and return it as PNG bytes.

    ``draw`` receives the ``Figure`` (Agg backend, no display needed) and adds its own axes; the layout is
    constrained, so titles, labels and an outside legend never overlap.
    """
    import matplotlib  # lazily: matplotlib costs ~0.3 s to import
    from matplotlib.figure import Figure

    rc: Any = {**STYLE, "axes.prop_cycle": f"cycler(color={list(PALETTE)!r})"}  # rc parses the cycler
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI, layout="constrained")
        draw(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()


def plain_log_ticks(ax: Any) -> None:
    """Tick labels as plain numbers (3, 0.1), not 3×10⁰ and 10⁻¹; on an axis spanning under two decades the
    in-between ticks at 2, 3 and 5 × 10ⁿ are labelled too (all of them would crowd)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    def between(value: float, _: object) -> str:
        mantissa = round(value / 10 ** math.floor(math.log10(value)), 6)
        return f"{value:g}" if mantissa in (2, 3, 5) else ""

    for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axis.set_minor_formatter(FuncFormatter(between) if math.log10(high / low) < 2 else NullFormatter())
