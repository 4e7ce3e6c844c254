"""Optimizers: real comparison runs and learning-rate sweeps (which one to pick: tools.optimizers.choice).

The runs use the real ``torch.optim`` classes (and :class:`tools.optimizers.adabelief.AdaBelief`) on the
problems of
:mod:`tools.optimizers.problems`; torch and matplotlib are imported inside the tools, never at module import.
"""

import math
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from tools._common import PlotResult, ResultModel, report_progress
from tools.errors import ToolInputError
from tools.optimizers.choice import OptimizerName
from tools.optimizers.plots import draw_compare, draw_sweep
from tools.plotting import render_png

if TYPE_CHECKING:  # tools.optimizers.problems imports torch: only for annotations here
    from tools.optimizers.problems import Assessment, Problem, Run

__all__ = [
    "CompareOptimizersResult",
    "LearningRateOutcome",
    "LearningRateSweepResult",
    "OptimizerRun",
    "compare_optimizers",
    "learning_rate_sweep",
]

#: Kept equal to tools.optimizers.problems.PROBLEM_NAMES / OPTIMIZER_NAMES (a test checks it); defined here
#: and in tools.optimizers.choice so that importing the catalogue does not import torch.
ProblemName = Literal["rosenbrock", "beale", "quadratic", "logistic_regression"]

_CURVE_POINTS = 100  # samples per curve in a result: enough to read its shape, small enough for a model


_PROBLEM_FIELD = Field(
    description=(
        "Test problem: rosenbrock (start (−1.5, 2), minimum 0 at (1, 1)); beale (start (1, 1.5), minimum 0 "
        "at (3, 0.5)); quadratic (½zᵀAz, eigenvalues 1 and 100 on axes rotated 30°, start (−2, 1.5)); "
        "logistic_regression (200 × 10 data drawn from seed, L2 1e-3, start w = 0)."
    )
)
_STEPS_FIELD = Field(ge=1, le=5000, description="Optimizer steps per run.")
_SEED_FIELD = Field(
    ge=0, le=2**31 - 1, description="Seed of the logistic_regression data (other problems ignore it)."
)


def _short(value: float) -> float:
    """A float rounded to 6 significant digits (curves only: keeps the JSON readable)."""
    return float(f"{value:.6g}")


class OptimizerRun(ResultModel):
    """What one optimizer did."""

    optimizer: OptimizerName = Field(description="Optimizer key.")
    lr: float = Field(description="Learning rate used.")
    lr_source: Literal["given", "default"] = Field(
        description="given: the lr argument; default: per-problem table."
    )
    settings: str = Field(description="The optimizer class and its other hyper-parameters.")
    final_loss: float | None = Field(description="Loss after the last step; null when the run diverged.")
    best_loss: float = Field(description="Lowest loss seen (before divergence, if any).")
    best_step: int = Field(description="Step at which best_loss was seen (0 = start).")
    steps_to_tolerance: int | None = Field(
        description="First step with loss − minimum ≤ tolerance; null: never."
    )
    diverged: bool = Field(description="Loss became non-finite or its gap exceeded 1000 × the initial gap.")
    diverged_at_step: int | None = Field(description="Step of the divergence; the run stopped there.")
    final_point: list[float] | None = Field(description="Parameters after the last step; null when diverged.")
    curve: list[float] = Field(
        description="Loss at curve_steps (6 significant digits); shorter when diverged."
    )
    trajectory: list[tuple[float, float]] | None = Field(
        description="2-D problems: the point (x, y) at curve_steps; shorter when diverged; null otherwise."
    )
    seconds: float = Field(description="Wall time of the run.")


class CompareOptimizersResult(PlotResult):
    """Real optimizer runs side by side on one problem."""

    problem: ProblemName = Field(description="Problem key.")
    description: str = Field(description="Objective, start point and minimum.")
    start: list[float] = Field(description="The fixed start point.")
    minimum_loss: float = Field(description="The known minimum value f*.")
    minimizer: list[float] = Field(description="Where f* is attained.")
    initial_loss: float = Field(description="Loss at the start point.")
    steps: int = Field(description="Steps per run.")
    tolerance: float = Field(description="A run reaches the tolerance when loss − minimum_loss ≤ tolerance.")
    curve_steps: list[int] = Field(description=f"Steps at which curves are sampled (≤ {_CURVE_POINTS}).")
    runs: list[OptimizerRun] = Field(description="One row per optimizer, in the order asked.")
    ranking: list[str] = Field(
        description="Best first: fewest steps to tolerance, then lowest final loss; diverged runs last."
    )
    summary: str = Field(description="The outcome in one or two sentences.")


def compare_optimizers(
    problem: Annotated[ProblemName, _PROBLEM_FIELD] = "rosenbrock",
    optimizers: Annotated[
        list[OptimizerName] | None,
        Field(
            min_length=1,
            max_length=7,
            description="Optimizers to run (default all seven): sgd, momentum (0.9), rmsprop, adagrad, adam, "
            "adamw (weight decay 0.01), adabelief.",
        ),
    ] = None,
    steps: Annotated[int, _STEPS_FIELD] = 500,
    lr: Annotated[
        float | None,
        Field(
            gt=0,
            le=100,
            description="One learning rate for every optimizer; default: a tuned one per problem.",
        ),
    ] = None,
    seed: Annotated[int, _SEED_FIELD] = 0,
    tolerance: Annotated[
        float, Field(gt=0, le=1e3, description="Success threshold on the loss gap loss − minimum.")
    ] = 1e-6,
    plot: Annotated[
        bool, Field(description="Also draw a PNG: loss gap curves (log scale) and, for 2-D problems, paths.")
    ] = True,
) -> CompareOptimizersResult:
    """Run real torch.optim optimizers (and AdaBelief) from a fixed start on a test problem and compare them.

    Per optimizer: final and best loss, steps until loss − minimum ≤ tolerance, divergence (non-finite loss or
    gap > 1000 × the initial gap; the run stops there), a loss curve sampled at ≤ 100 steps and, on 2-D
    problems, the path. Learning rates default to values tuned per problem and optimizer. Gradients are exact.
    """
    from tools.optimizers import problems

    names: list[str] = list(optimizers) if optimizers is not None else list(problems.OPTIMIZER_NAMES)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ToolInputError(
            "optimizers", f"each optimizer may appear once (repeated: {', '.join(duplicates)})"
        )
    prob = problems.make_problem(problem, seed)
    sample = problems.downsample_indices(steps + 1, _CURVE_POINTS)
    rows: list[OptimizerRun] = []
    runs: dict[str, Run] = {}
    for done, name in enumerate(names):
        report_progress(done, len(names), f"running {name} on {problem}")
        run_lr = lr if lr is not None else problems.DEFAULT_LR[problem][name]
        run = problems.run_optimizer(prob, name, run_lr, steps)
        runs[name] = run
        rows.append(_run_row(prob, name, run_lr, lr is not None, run, sample, tolerance))
    report_progress(len(names), len(names), "done")

    ranking = sorted(
        rows,
        key=lambda r: (
            r.diverged,
            r.steps_to_tolerance if r.steps_to_tolerance is not None else steps + 1,
            (r.final_loss if r.final_loss is not None else r.best_loss) - prob.minimum,
        ),
    )
    result = CompareOptimizersResult(
        problem=problem,
        description=prob.formula,
        start=list(prob.start),
        minimum_loss=prob.minimum,
        minimizer=list(prob.minimizer),
        initial_loss=next(iter(runs.values())).losses[0],
        steps=steps,
        tolerance=tolerance,
        curve_steps=sample,
        runs=rows,
        ranking=[r.optimizer for r in ranking],
        summary=_compare_summary(problem, steps, tolerance, ranking),
    )
    if plot:
        result.with_png(render_png(lambda fig: draw_compare(fig, prob, runs), height_px=440))
    return result


def _run_row(
    prob: "Problem", name: str, lr: float, given: bool, run: "Run", sample: list[int], tolerance: float
) -> OptimizerRun:
    from tools.optimizers.problems import HYPERPARAMETERS

    losses = run.losses
    best_step = min(range(len(losses)), key=losses.__getitem__)
    reached = next((t for t, loss in enumerate(losses) if loss - prob.minimum <= tolerance), None)
    kept = [t for t in sample if t < len(losses)]
    diverged = run.diverged_at is not None
    return OptimizerRun(
        optimizer=name,
        lr=lr,
        lr_source="given" if given else "default",
        settings=HYPERPARAMETERS[name],
        final_loss=None if diverged else losses[-1],
        best_loss=losses[best_step],
        best_step=best_step,
        steps_to_tolerance=reached,
        diverged=diverged,
        diverged_at_step=run.diverged_at,
        final_point=run.final_point,
        curve=[_short(losses[t]) for t in kept],
        trajectory=[(_short(run.points[t][0]), _short(run.points[t][1])) for t in kept]
        if prob.dimension == 2
        else None,
        seconds=run.seconds,
    )


def _compare_summary(problem: str, steps: int, tolerance: float, ranking: list[OptimizerRun]) -> str:
    reached = [r for r in ranking if r.steps_to_tolerance is not None]
    missed = [r.optimizer for r in ranking if r.steps_to_tolerance is None and not r.diverged]
    diverged = [f"{r.optimizer} (step {r.diverged_at_step})" for r in ranking if r.diverged]
    parts = []
    if reached:
        first = reached[0]
        parts.append(
            f"On {problem}, {first.optimizer} reached loss − minimum ≤ {tolerance:g} first (step "
            f"{first.steps_to_tolerance}); {len(reached)} of {len(ranking)} reached it"
        )
    else:
        best = ranking[0]
        loss = best.final_loss if best.final_loss is not None else best.best_loss
        parts.append(
            f"On {problem}, no optimizer reached loss − minimum ≤ {tolerance:g} in {steps} steps; lowest "
            f"final loss: {best.optimizer} ({loss:.3g})"
        )
    if missed and reached:
        parts.append(f"not reached in {steps} steps: {', '.join(missed)}")
    if diverged:
        parts.append(f"diverged: {', '.join(diverged)}")
    return "; ".join(parts) + "."


class LearningRateOutcome(ResultModel):
    """One learning rate of the sweep."""

    lr: float = Field(description="The learning rate.")
    verdict: Literal["too_small", "good", "oscillating", "diverged"] = Field(description="See rules.")
    reason: str = Field(description="The rule that decided the verdict, with the measured numbers.")
    final_loss: float | None = Field(description="Loss after the last step; null when the run diverged.")
    best_loss: float = Field(description="Lowest loss seen.")
    gap_closed: float = Field(
        description="Share of the initial gap loss − minimum closed by the end (1 = all)."
    )
    reversal_share: float = Field(
        description="Share of the distance travelled in the run's second half in steps reversing the "
        "previous one."
    )
    rise_share: float = Field(description="Σ loss rises / Σ |loss changes| (0 = monotone descent).")
    diverged_at_step: int | None = Field(description="Step of the divergence; the run stopped there.")
    curve: list[float] = Field(
        description="Loss at curve_steps (6 significant digits); shorter when diverged."
    )


class LearningRateSweepResult(PlotResult):
    """One optimizer on one problem at several learning rates, each classified."""

    problem: ProblemName = Field(description="Problem key.")
    optimizer: OptimizerName = Field(description="Optimizer key.")
    settings: str = Field(description="The optimizer class and its other hyper-parameters.")
    description: str = Field(description="Objective, start point and minimum.")
    initial_loss: float = Field(description="Loss at the start point.")
    minimum_loss: float = Field(description="The known minimum value f*.")
    steps: int = Field(description="Steps per run.")
    curve_steps: list[int] = Field(description=f"Steps at which curves are sampled (≤ {_CURVE_POINTS}).")
    outcomes: list[LearningRateOutcome] = Field(description="One row per learning rate, ascending.")
    recommended_lr: float | None = Field(description="The best lr judged good; null when none was.")
    recommendation: str = Field(description="The recommended lr and why, or which way to search next.")
    rules: str = Field(description="The classification rules, in the order applied.")


def learning_rate_sweep(
    problem: Annotated[ProblemName, _PROBLEM_FIELD] = "quadratic",
    optimizer: Annotated[OptimizerName, Field(description="The optimizer to sweep.")] = "sgd",
    lrs: Annotated[
        list[Annotated[float, Field(gt=0, le=100)]] | None,
        Field(
            min_length=1,
            max_length=12,
            description="Learning rates to try (each > 0 and ≤ 100); default: the tuned lr × 1e-3 … 100.",
        ),
    ] = None,
    steps: Annotated[int, _STEPS_FIELD] = 500,
    seed: Annotated[int, _SEED_FIELD] = 0,
    plot: Annotated[bool, Field(description="Also draw a PNG of the loss gap curves, one per lr.")] = True,
) -> LearningRateSweepResult:
    """Run one optimizer at several learning rates; classify each as too_small, good, oscillating or diverged.

    Rules, in order: diverged = loss non-finite or its gap to the minimum > 1000 × the initial gap;
    oscillating = in the second half of the run, steps reversing direction carry ≥ 50 % of the distance
    travelled (an early zig-zag that dies out is convergence), or loss rises are ≥ 45 % of its movement;
    too_small = closed < 10 % of the initial gap, or a larger good lr ended ≥ 100 × closer to the minimum;
    good otherwise. Recommends the good lr with the lowest final loss (converged runs
    tie; ties go to the smaller lr).
    """
    from tools.optimizers import problems

    if lrs is None:
        base = problems.DEFAULT_LR[problem][optimizer]
        grid = [float(f"{base * f:.3g}") for f in (1e-3, 1e-2, 1e-1, 0.3, 1.0, 3.0, 10.0, 100.0)]
        lrs = [lr for lr in grid if lr <= 100]
    duplicates = sorted({lr for lr in lrs if lrs.count(lr) > 1})
    if duplicates:
        raise ToolInputError("lrs", f"each learning rate may appear once (repeated: {duplicates})")
    prob = problems.make_problem(problem, seed)
    sample = problems.downsample_indices(steps + 1, _CURVE_POINTS)
    ordered = sorted(lrs)
    runs: list[Run] = []
    judged: list[tuple[float, Assessment, tuple[float, float]]] = []
    for done, lr in enumerate(ordered):
        report_progress(done, len(ordered), f"{optimizer} at lr={lr:g}")
        run = problems.run_optimizer(prob, optimizer, lr, steps)
        runs.append(run)
        judged.append((lr, problems.assess(prob, run), problems.ranking_key(prob, run, lr)))
    report_progress(len(ordered), len(ordered), "done")

    assessments = problems.compare_within_sweep(judged)
    keys = {lr: key for lr, _, key in judged}
    outcomes = [
        LearningRateOutcome(
            lr=lr,
            verdict=a.verdict,
            reason=a.reason,
            final_loss=None if run.diverged_at is not None else run.losses[-1],
            best_loss=min(run.losses),
            gap_closed=a.gap_closed,
            reversal_share=a.reversal_share,
            rise_share=a.rise_share,
            diverged_at_step=run.diverged_at,
            curve=[_short(run.losses[t]) for t in sample if t < len(run.losses)],
        )
        for lr, run, a in zip(ordered, runs, assessments, strict=True)
    ]

    recommended, recommendation = _recommend_lr(outcomes, keys, prob.minimum)
    result = LearningRateSweepResult(
        problem=problem,
        optimizer=optimizer,
        settings=problems.HYPERPARAMETERS[optimizer],
        description=prob.formula,
        initial_loss=runs[0].losses[0],
        minimum_loss=prob.minimum,
        steps=steps,
        curve_steps=sample,
        outcomes=outcomes,
        recommended_lr=recommended,
        recommendation=recommendation,
        rules=problems.VERDICT_RULES,
    )
    if plot:
        drawn: list[tuple[float, Run, str]] = [
            (lr, run, a.verdict) for lr, run, a in zip(ordered, runs, assessments, strict=True)
        ]
        result.with_png(render_png(lambda fig: draw_sweep(fig, prob, optimizer, drawn)))
    return result


def _gap(outcome: LearningRateOutcome, minimum: float) -> float:
    """Final loss − minimum (infinite for a run that diverged, which has no final loss)."""
    return outcome.final_loss - minimum if outcome.final_loss is not None else math.inf


def _recommend_lr(
    outcomes: list[LearningRateOutcome], keys: dict[float, tuple[float, float]], minimum: float
) -> tuple[float | None, str]:
    good = [o for o in outcomes if o.verdict == "good"]
    if good:
        best = min(good, key=lambda o: keys[o.lr])
        assert best.final_loss is not None  # only a diverged run lacks one
        text = (
            f"lr={best.lr:g}: the good run with the lowest final loss (loss − minimum = "
            f"{_gap(best, minimum):.3g}); converged runs tie and ties go to the smaller lr, for a "
            "margin from oscillation"
        )
        faster = [o for o in outcomes if o.verdict == "oscillating" and keys[o.lr][0] < keys[best.lr][0]]
        if faster:
            lower = min(faster, key=lambda o: keys[o.lr])
            assert lower.final_loss is not None
            text += (
                f"; lr={lower.lr:g} ended lower ({_gap(lower, minimum):.3g}) but oscillated: faster, "
                "less stable"
            )
        if best.lr == outcomes[-1].lr:
            text += "; it is the largest lr tried, so larger ones may be better still"
        return best.lr, text + "."
    too_small = [o.lr for o in outcomes if o.verdict == "too_small"]
    too_big = [o.lr for o in outcomes if o.verdict in ("oscillating", "diverged")]
    if too_small and too_big:
        return None, (
            f"no lr was good: try between {max(too_small):g} (too small) and {min(too_big):g} "
            f"({next(o.verdict for o in outcomes if o.lr == min(too_big))})."
        )
    if too_small:
        return None, f"every lr was too small: try above {max(too_small):g} (or more steps)."
    return None, f"every lr oscillated or diverged: try below {min(too_big):g}."
