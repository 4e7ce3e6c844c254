"""Every plot a tool draws, checked on matplotlib's objects (not pixels): each panel has a title and axis
labels, a panel with several series has a legend naming them, no text is too small to read at 800 px, and
every figure has the one house style of :mod:`tools.plotting`.

The tools are read from the catalogue (every tool whose result is a ``PlotResult``), so a tool that starts
drawing is checked here without an edit; its arguments come from the MCP tests' table of valid calls.
"""

from __future__ import annotations

import typing
from typing import Any

import pytest

from tests.servers.mcp.calls import VALID_CALLS
from tools._common import PlotResult
from tools.catalog import TOOLS, call_tool
from tools.plotting import DPI, MIN_FONT_PT, STYLE, WIDTH_PX, render_png

DRAWING_TOOLS = sorted(
    spec.name for spec in TOOLS if issubclass(typing.get_type_hints(spec.fn)["return"], PlotResult)
)

#: Arguments that add what the basic calls do not draw: budgets, clipping, a metric panel, more series.
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "compare_models with a parameter and a compute budget": (
        "compare_models",
        {"models": ["LeNet-5", "MobileNetV1", "AlexNet"], "max_params_millions": 5, "max_gmacs": 0.5},
    ),
    "compare_models with a budget far outside the models": (
        "compare_models",
        {"models": ["LeNet-5", "MobileNetV1"], "max_params_millions": 900},
    ),
    "gradient_flow with clipping": (
        "gradient_flow",
        {"depth": 6, "width": 16, "activation": "relu", "init": "he", "clip_norm": 0.01, "batch_size": 8},
    ),
    "diagnose_training with metrics and a NaN": (
        "diagnose_training",
        {
            "train_loss": [2.0, 1.5, 1.1, 0.8, None, 0.45, 0.35, 0.28],
            "val_loss": [2.1, 1.7, 1.4, 1.3, 1.35, 1.45, 1.6, 1.8],
            "train_metric": [0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95],
            "val_metric": [0.3, 0.45, 0.5, 0.55, 0.55, 0.54, 0.52, 0.5],
        },
    ),
    "compare_optimizers on rosenbrock (paths over contours)": (
        "compare_optimizers",
        {"problem": "rosenbrock", "optimizers": ["sgd", "adam", "adabelief"], "steps": 40},
    ),
    "compare_optimizers on logistic regression (no contour panel)": (
        "compare_optimizers",
        {"problem": "logistic_regression", "optimizers": ["sgd", "adam"], "steps": 30},
    ),
    "finetune_memory without a GPU size": ("finetune_memory", {"params_billion": 1, "method": "lora"}),
}


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The figures saved during the test (captured where render_png saves them)."""
    from matplotlib.figure import Figure

    figures: list[Any] = []
    save = Figure.savefig

    def capture(self: Any, *args: Any, **kwargs: Any) -> Any:
        figures.append(self)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", capture)
    return figures


def _series(ax: Any) -> list[Any]:
    """What a reader must tell apart in a panel: lines, scatters and bar groups (not contour lines)."""
    from matplotlib.contour import ContourSet

    lines = [line for line in ax.lines if len(line.get_xdata()) > 0]
    scatters = [c for c in ax.collections if not isinstance(c, ContourSet)]
    return [*lines, *scatters, *ax.containers]


def figure_problems(fig: Any) -> list[str]:
    """Everything that breaks the rules of the module docstring, in words (empty: the figure is fine)."""
    from matplotlib.text import Text

    problems = []
    if (round(fig.get_figwidth() * fig.dpi), fig.dpi) != (WIDTH_PX, DPI):
        problems.append(f"figure is {fig.get_figwidth() * fig.dpi:.0f} px wide at {fig.dpi} dpi")
    in_figure_legends = {text.get_text() for legend in fig.legends for text in legend.get_texts()}
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    for index, ax in enumerate(fig.axes):
        where = f"panel {index + 1} ({ax.get_title() or 'untitled'})"
        if not ax.get_title() and not suptitle:
            problems.append(f"{where}: no title")
        for axis in ("x", "y"):
            if not getattr(ax, f"get_{axis}label")():
                problems.append(f"{where}: no {axis} axis label")
        _, labels = ax.get_legend_handles_labels()
        legend = ax.get_legend()
        shown = in_figure_legends | ({text.get_text() for text in legend.get_texts()} if legend else set())
        missing = [label for label in labels if label not in shown]
        if missing:
            problems.append(f"{where}: series {missing} are not in any legend")
        if len(_series(ax)) >= 2 and len(labels) < 2:
            problems.append(f"{where}: {len(_series(ax))} series but {len(labels)} labelled for a legend")
        if ax.title.get_fontsize() != STYLE["axes.titlesize"] or ax.spines["top"].get_visible():
            problems.append(f"{where}: not drawn in the house style (title size, spines)")
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip() and text.get_fontsize() < MIN_FONT_PT:
            problems.append(f"text {text.get_text()!r} is {text.get_fontsize():.1f} pt (< {MIN_FONT_PT})")
    return problems


def test_the_catalogue_has_drawing_tools_and_each_has_a_valid_call() -> None:
    # the parametrisation below is only as good as this list: it must find the tools known to draw
    known = {"compare_models", "compare_optimizers", "learning_rate_sweep", "diagnose_training"}
    known |= {"gradient_flow", "finetune_memory", "roofline"}
    assert known <= set(DRAWING_TOOLS)
    assert [name for name in DRAWING_TOOLS if name not in VALID_CALLS] == []


CASES = {f"{name} (basic call)": (name, VALID_CALLS.get(name, {})) for name in DRAWING_TOOLS} | VARIANTS


@pytest.mark.parametrize("case", list(CASES))
def test_every_plot_is_titled_labelled_legended_readable_and_in_the_house_style(case: str, drawn) -> None:
    name, arguments = CASES[case]
    result = call_tool(name, {**arguments, "plot": True})
    assert isinstance(result, PlotResult) and result.png is not None, f"{name} drew nothing"
    assert len(drawn) == 1
    assert figure_problems(drawn[0]) == []


def test_the_checks_catch_an_unlabelled_unlegended_tiny_plot(drawn) -> None:
    # the checks themselves can fail: a plot drawn without the rules is reported on every count
    def careless(fig: Any) -> None:
        ax = fig.add_subplot()
        ax.plot([1, 2, 3], [1, 4, 9])
        ax.plot([1, 2, 3], [2, 3, 4], label="b")
        ax.annotate("tiny", (2, 4), fontsize=5)

    render_png(careless)
    problems = figure_problems(drawn[0])
    assert "panel 1 (untitled): no title" in problems
    assert "panel 1 (untitled): no x axis label" in problems
    assert "panel 1 (untitled): no y axis label" in problems
    assert "panel 1 (untitled): series ['b'] are not in any legend" in problems
    assert "panel 1 (untitled): 2 series but 1 labelled for a legend" in problems
    assert "text 'tiny' is 5.0 pt (< 8.0)" in problems


def test_the_pareto_plot_draws_the_budget_and_names_both_groups(drawn) -> None:
    result = call_tool(
        "compare_models", {"models": ["LeNet-5", "MobileNetV1", "AlexNet"], "max_params_millions": 5}
    )
    ax = drawn[0].axes[0]
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["Pareto front", "dominated", "budget: ≤ 5 M params"]
    budget = next(line for line in ax.lines if line.get_label() == "budget: ≤ 5 M params")
    assert list(budget.get_xdata()) == [5, 5]  # a vertical line at 5 M parameters (the x axis is in millions)
    low, high = ax.get_xlim()
    assert low < 5 < high
    # LeNet-5 has 61,706 and MobileNetV1 4.2 M parameters (their papers), AlexNet 61.1 M (torchvision)
    assert result.within_budget == ["LeNet-5", "MobileNetV1"]
    assert result.budget == "at most 5 M parameters"


def test_the_contour_panel_names_its_axes_after_the_problem(drawn) -> None:
    call_tool("compare_optimizers", {"problem": "quadratic", "optimizers": ["sgd"], "steps": 5})
    paths = drawn[0].axes[1]
    assert (paths.get_xlabel(), paths.get_ylabel()) == ("z₁", "z₂")  # f(z) = ½·zᵀAz
    call_tool("compare_optimizers", {"problem": "beale", "optimizers": ["sgd"], "steps": 5})
    assert (drawn[1].axes[1].get_xlabel(), drawn[1].axes[1].get_ylabel()) == ("x", "y")  # f(x, y)
