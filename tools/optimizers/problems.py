"""Test problems for optimizers, and one runner that drives a real ``torch.optim`` optimizer over them.

Shared by ``compare_optimizers`` and ``learning_rate_sweep``. Four problems, each with a fixed, documented
start point and a known minimum value f*:

- ``rosenbrock``: f(x, y) = (1 − x)² + 100·(y − x²)², start (−1.5, 2), minimum f* = 0 at (1, 1).
- ``beale``: f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)², start (1, 1.5),
  minimum f* = 0 at (3, 0.5).
- ``quadratic``: f(z) = ½·zᵀAz with A = R(30°)·diag(1, 100)·R(30°)ᵀ (condition number 100, axes rotated so
  a per-coordinate method gains nothing for free), start (−2, 1.5), minimum f* = 0 at the origin.
  L_max = 100, so plain gradient descent is stable only for lr < 2/L_max = 0.02.
- ``logistic_regression``: mean logistic loss + (λ/2)·|w|², λ = 1e-3, on 200 points × 10 Gaussian features
  with labels drawn from a random true weight vector (both from ``seed``); start w = 0 (loss ln 2); f* is
  found by Newton's method in float64.

Gradients are closed-form (the analytic problems are evaluated in Python floats, the cheapest way on 2-D
inputs) and handed to the optimizer through ``p.grad``; the optimizers themselves are the real torch classes.
All runs are in float64. Importing this module imports torch: tools import it inside their functions.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import torch

from tools.optimizers.adabelief import AdaBelief

__all__ = [
    "DEFAULT_LR",
    "DIVERGENCE_FACTOR",
    "HYPERPARAMETERS",
    "OPTIMIZER_NAMES",
    "PROBLEM_NAMES",
    "TUNING_GRID",
    "TUNING_STEPS",
    "VERDICT_RULES",
    "Assessment",
    "Problem",
    "Run",
    "assess",
    "compare_within_sweep",
    "downsample_indices",
    "make_optimizer",
    "make_problem",
    "ranking_key",
    "run_optimizer",
]

#: The names the tools accept (tools.optimizers.experiments spells them as Literal types; a test keeps the two
#: equal).
PROBLEM_NAMES: tuple[str, ...] = ("rosenbrock", "beale", "quadratic", "logistic_regression")
OPTIMIZER_NAMES: tuple[str, ...] = ("sgd", "momentum", "rmsprop", "adagrad", "adam", "adamw", "adabelief")

#: The hyper-parameters other than lr: torch's defaults, plus momentum 0.9 for the momentum variant.
HYPERPARAMETERS: dict[str, str] = {
    "sgd": "torch.optim.SGD, no momentum",
    "momentum": "torch.optim.SGD, momentum=0.9",
    "rmsprop": "torch.optim.RMSprop, alpha=0.99, eps=1e-8",
    "adagrad": "torch.optim.Adagrad, eps=1e-10",
    "adam": "torch.optim.Adam, betas=(0.9, 0.999), eps=1e-8",
    "adamw": (
        "torch.optim.AdamW, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01 (decoupled: it pulls towards 0, "
        "so AdamW settles slightly off the minimum)"
    ),
    "adabelief": (
        "tools.optimizers.adabelief.AdaBelief, betas=(0.9, 0.999), eps=1e-16, rectify=False (the paper's "
        "Algorithm 2; adabelief-pytorch defaults to rectify=True)"
    ),
}

#: Default learning rate per problem and optimizer: on the grid 1e-4, 3e-4, 1e-3, …, 1, 3, the run of 500
#: steps judged "good" (see ``assess``) with the lowest final loss gap, converged runs tying and ties going to
#: the smaller lr. ``python benchmarks/optimizers.py --tune`` recomputes this table.
DEFAULT_LR: dict[str, dict[str, float]] = {
    "rosenbrock": {
        "sgd": 1e-3,
        "momentum": 1e-3,
        "rmsprop": 1e-2,
        "adagrad": 1e-1,
        "adam": 1e-1,
        "adamw": 1e-1,
        "adabelief": 1e-1,
    },
    "beale": {
        "sgd": 3e-2,
        "momentum": 3e-3,
        "rmsprop": 3e-2,
        "adagrad": 1.0,
        "adam": 3e-1,
        "adamw": 3e-1,
        "adabelief": 3e-1,
    },
    "quadratic": {
        "sgd": 1e-2,
        "momentum": 3e-3,
        "rmsprop": 3e-2,
        "adagrad": 3.0,
        "adam": 3e-1,
        "adamw": 3e-1,
        "adabelief": 3e-1,
    },
    "logistic_regression": {
        "sgd": 1.0,
        "momentum": 3e-2,
        "rmsprop": 3e-3,
        "adagrad": 3e-1,
        "adam": 3e-2,
        "adamw": 3e-1,
        "adabelief": 1e-2,
    },
}

#: The learning-rate grid DEFAULT_LR was chosen from.
TUNING_GRID: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0)
TUNING_STEPS = 500

#: A run has diverged once its loss gap f − f* is non-finite or exceeds this multiple of the initial gap.
DIVERGENCE_FACTOR = 1e3


@dataclass(frozen=True)
class Problem:
    """One objective with a fixed start point and a known minimum value."""

    name: str
    """Problem key, e.g. ``"rosenbrock"``."""
    formula: str
    """The objective in words and symbols, with its start point and minimiser."""
    start: tuple[float, ...]
    """The fixed start point θ₀ of every run."""
    minimum: float
    """f*, the smallest value of the objective (0 for the analytic problems)."""
    minimizer: tuple[float, ...]
    """The point where f* is attained."""
    loss_and_grad: Callable[[torch.Tensor], tuple[float, torch.Tensor]]
    """θ (float64 tensor) → (f(θ), ∇f(θ)), closed form."""
    contour: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None
    """For 2-D problems: f on a grid (x, y) → values, used for the contour plot."""
    box: tuple[float, float, float, float] | None = None
    """For 2-D problems: the plotting window (x_min, x_max, y_min, y_max)."""

    @property
    def dimension(self) -> int:
        return len(self.start)


# --- the analytic 2-D problems: plain float arithmetic (x*x, not x**2: ** raises OverflowError on floats) ---


def _rosenbrock(x, y):
    a = 1.0 - x
    r = y - x * x
    return a * a + 100.0 * r * r


def _rosenbrock_loss_and_grad(p: torch.Tensor) -> tuple[float, torch.Tensor]:
    x, y = p.tolist()
    a = 1.0 - x
    r = y - x * x
    grad = (-2.0 * a - 400.0 * x * r, 200.0 * r)
    return a * a + 100.0 * r * r, torch.tensor(grad, dtype=torch.float64)


def _beale(x, y):
    y2 = y * y
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y2
    t3 = 2.625 - x + x * y2 * y
    return t1 * t1 + t2 * t2 + t3 * t3


def _beale_loss_and_grad(p: torch.Tensor) -> tuple[float, torch.Tensor]:
    x, y = p.tolist()
    y2 = y * y
    y3 = y2 * y
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y2
    t3 = 2.625 - x + x * y3
    gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
    gy = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y2 * t3)
    return t1 * t1 + t2 * t2 + t3 * t3, torch.tensor((gx, gy), dtype=torch.float64)


_COS30, _SIN30 = math.cos(math.pi / 6), math.sin(math.pi / 6)
#: A = R·diag(1, 100)·Rᵀ with R the rotation by 30°: entries of the symmetric 2×2 matrix.
_QA = 1.0 * _COS30 * _COS30 + 100.0 * _SIN30 * _SIN30
_QB = (1.0 - 100.0) * _COS30 * _SIN30
_QC = 1.0 * _SIN30 * _SIN30 + 100.0 * _COS30 * _COS30


def _quadratic(x, y):
    return 0.5 * (_QA * x * x + 2.0 * _QB * x * y + _QC * y * y)


def _quadratic_loss_and_grad(p: torch.Tensor) -> tuple[float, torch.Tensor]:
    x, y = p.tolist()
    gx = _QA * x + _QB * y
    gy = _QB * x + _QC * y
    return 0.5 * (x * gx + y * gy), torch.tensor((gx, gy), dtype=torch.float64)


def _logistic_problem(seed: int) -> Problem:
    n, d, lam = 200, 10, 1e-3
    gen = torch.Generator().manual_seed(seed)
    features = torch.randn(n, d, generator=gen, dtype=torch.float64)
    true_w = torch.randn(d, generator=gen, dtype=torch.float64)
    labels = torch.bernoulli(torch.sigmoid(features @ true_w), generator=gen)

    def loss_and_grad(w: torch.Tensor) -> tuple[float, torch.Tensor]:
        z = features @ w
        # softplus(z) − y·z is the logistic loss −[y·log σ(z) + (1−y)·log(1−σ(z))] without overflow
        loss = (torch.nn.functional.softplus(z) - labels * z).mean() + 0.5 * lam * w.dot(w)
        grad = features.T @ (torch.sigmoid(z) - labels) / n + lam * w
        return loss.item(), grad

    # Newton's method: the objective is smooth and strongly convex (λ > 0), 30 steps reach machine precision.
    w = torch.zeros(d, dtype=torch.float64)
    for _ in range(30):
        _, grad = loss_and_grad(w)
        s = torch.sigmoid(features @ w)
        hessian = features.T @ (features * (s * (1 - s))[:, None]) / n + lam * torch.eye(
            d, dtype=torch.float64
        )
        w = w - torch.linalg.solve(hessian, grad)
    minimum, _ = loss_and_grad(w)
    return Problem(
        name="logistic_regression",
        formula=(
            f"mean logistic loss + ({lam:g}/2)·|w|² on {n} points × {d} Gaussian features, labels ~ "
            f"Bernoulli(σ(x·w_true)) (data from seed {seed}); start w = 0 (loss ln 2 ≈ 0.6931)"
        ),
        start=(0.0,) * d,
        minimum=minimum,
        minimizer=tuple(w.tolist()),
        loss_and_grad=loss_and_grad,
    )


def make_problem(name: str, seed: int = 0) -> Problem:
    """The problem called ``name``; ``seed`` only changes the logistic-regression data."""
    if name == "rosenbrock":
        return Problem(
            name=name,
            formula="f(x, y) = (1 − x)² + 100·(y − x²)²; start (−1.5, 2); minimum 0 at (1, 1)",
            start=(-1.5, 2.0),
            minimum=0.0,
            minimizer=(1.0, 1.0),
            loss_and_grad=_rosenbrock_loss_and_grad,
            contour=_rosenbrock,
            box=(-2.0, 2.0, -1.0, 3.0),
        )
    if name == "beale":
        return Problem(
            name=name,
            formula=(
                "f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²; start (1, 1.5); "
                "minimum 0 at (3, 0.5)"
            ),
            start=(1.0, 1.5),
            minimum=0.0,
            minimizer=(3.0, 0.5),
            loss_and_grad=_beale_loss_and_grad,
            contour=_beale,
            box=(-1.0, 4.5, -1.5, 2.0),
        )
    if name == "quadratic":
        return Problem(
            name=name,
            formula=(
                "f(z) = ½·zᵀAz, A = R(30°)·diag(1, 100)·R(30°)ᵀ (condition number 100, L_max = 100); "
                "start (−2, 1.5); minimum 0 at (0, 0)"
            ),
            start=(-2.0, 1.5),
            minimum=0.0,
            minimizer=(0.0, 0.0),
            loss_and_grad=_quadratic_loss_and_grad,
            contour=_quadratic,
            box=(-2.5, 2.5, -2.0, 2.0),
        )
    if name == "logistic_regression":
        return _logistic_problem(seed)
    raise ValueError(f"unknown problem {name!r}; known: {', '.join(PROBLEM_NAMES)}")


def make_optimizer(name: str, params: Sequence[torch.Tensor], lr: float) -> torch.optim.Optimizer:
    """The real optimizer called ``name`` (see ``HYPERPARAMETERS``) over ``params``.

    ``foreach=False``: the single-tensor code path is the fastest for the few tiny tensors of these problems.
    """
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, foreach=False)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, foreach=False)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, foreach=False)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, foreach=False)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, foreach=False)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, foreach=False)
    if name == "adabelief":
        return AdaBelief(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZER_NAMES)}")


@dataclass
class Run:
    """What one optimizer did on one problem."""

    losses: list[float]
    """f(θ_t) for t = 0 … last step reached; every entry finite (a diverged run stops before its blow-up)."""
    points: list[list[float]]
    """θ_t for the same t."""
    diverged_at: int | None
    """The step whose loss gap was non-finite or above ``DIVERGENCE_FACTOR`` × the initial gap, else None."""
    final_point: list[float] | None
    """θ after the last step (None when the run diverged)."""
    seconds: float
    """Wall time of the run."""


def run_optimizer(problem: Problem, optimizer: str, lr: float, steps: int) -> Run:
    """Run ``steps`` updates of the optimizer from the problem's start; stop early once it diverges."""
    param = torch.tensor(problem.start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(optimizer, [param], lr)
    loss_and_grad = problem.loss_and_grad
    minimum = problem.minimum
    losses: list[float] = []
    points: list[list[float]] = []
    diverged_at: int | None = None
    limit = 0.0
    began = time.perf_counter()
    with torch.no_grad():
        for step in range(steps + 1):
            loss, grad = loss_and_grad(param)
            if step == 0:
                limit = minimum + DIVERGENCE_FACTOR * (loss - minimum)
            if not loss <= limit:  # also catches NaN
                diverged_at = step
                break
            losses.append(loss)
            points.append(param.tolist())
            if step == steps:
                break
            param.grad = grad
            opt.step()
    return Run(
        losses=losses,
        points=points,
        diverged_at=diverged_at,
        final_point=None if diverged_at is not None else param.tolist(),
        seconds=time.perf_counter() - began,
    )


def downsample_indices(n: int, most: int = 200) -> list[int]:
    """At most ``most`` indices spread evenly over ``range(n)``, always including the first and the last."""
    if n <= most:
        return list(range(n))
    return sorted({round(i * (n - 1) / (most - 1)) for i in range(most)})


Verdict = Literal["too_small", "good", "oscillating", "diverged"]

#: Verdict thresholds (the rules, in the order they are applied, are in ``assess``'s docstring).
REVERSAL_SHARE_OSCILLATING = 0.5
RISE_SHARE_OSCILLATING = 0.45
GAP_CLOSED_TOO_SMALL = 0.1
#: Within a sweep, a good run is too_small when a larger good lr ends with a gap this many times smaller.
SLOWER_FACTOR_TOO_SMALL = 100.0
#: A final gap at or below this fraction of the initial gap counts as converged: such runs tie.
CONVERGED_GAP_FRACTION = 1e-12


@dataclass(frozen=True)
class Assessment:
    """How a run behaved, and the verdict the stated rules give it."""

    verdict: Verdict
    """too_small, good, oscillating or diverged."""
    reason: str
    """The rule that decided the verdict, with the measured numbers."""
    gap_closed: float
    """(gap₀ − gap_final)/gap₀, gap = f − f*: 1 = reached the minimum, 0 = no progress, < 0 = ended worse."""
    reversal_share: float
    """Share of the distance θ travelled in the second half of the run in steps that reverse the previous
    step (cosine < 0)."""
    rise_share: float
    """Σ rises / Σ |changes| of the loss: 0 for a monotone descent, 0.5 when rises cancel falls."""


VERDICT_RULES = (
    "1. diverged: the loss gap f − f* became non-finite or exceeded 1000 × the initial gap (the run stops "
    "there); 2. oscillating: in the second half of the run, steps that reverse the previous step's direction "
    "(cosine < 0) carry ≥ 50 % of the distance the parameters travelled (it still bounces across a valley: "
    "an early zig-zag that dies out is convergence, and a run within 1e-12 × the initial gap of the minimum "
    "has converged), or the loss's rises add up to ≥ 45 % of its total movement (it climbs back almost as "
    "much as it descends); 3. too_small: the run closed less "
    "than 10 % of the initial gap f₀ − f* (it barely moved) or, within a sweep, a larger lr judged good "
    "ended with a loss gap ≥ 100 × smaller (it moved, but far slower than it could; runs within 1e-12 × the "
    "initial gap count as converged); 4. good: otherwise."
)


def assess(problem: Problem, run: Run) -> Assessment:
    """Classify one run by ``VERDICT_RULES`` (thresholds: DIVERGENCE_FACTOR, REVERSAL_SHARE_OSCILLATING,
    RISE_SHARE_OSCILLATING, GAP_CLOSED_TOO_SMALL); the sweep clause of rule 3 is ``compare_within_sweep``."""
    losses = torch.tensor(run.losses, dtype=torch.float64)
    gap0 = run.losses[0] - problem.minimum
    final_gap = run.losses[-1] - problem.minimum
    gap_closed = (gap0 - final_gap) / gap0 if gap0 > 0 else 1.0

    changes = losses.diff()
    movement = changes.abs().sum().item()
    rise_share = changes.clamp(min=0).sum().item() / movement if movement > 0 else 0.0

    # Reversals are measured over the second half of the run: an oscillation that dies out (SGD on the
    # quadratic at lr 0.019 flips across the stiff axis at first, then descends the flat one) is a converging
    # run, not an oscillating one; one that persists until the end is.
    steps = torch.tensor(run.points, dtype=torch.float64).diff(dim=0)
    lengths = steps.norm(dim=1)
    reversing = torch.zeros(len(steps), dtype=torch.bool)
    reversing[1:] = (steps[1:] * steps[:-1]).sum(dim=1) < 0
    late = slice(len(steps) // 2, None)
    travelled = lengths[late].sum().item()
    reversal_share = lengths[late][reversing[late]].sum().item() / travelled if travelled > 0 else 0.0
    converged = final_gap <= CONVERGED_GAP_FRACTION * gap0

    if run.diverged_at is not None:
        verdict: Verdict = "diverged"
        reason = (
            f"diverged at step {run.diverged_at}: the loss gap became non-finite or exceeded "
            f"{DIVERGENCE_FACTOR:g}× the initial gap"
        )
    elif reversal_share >= REVERSAL_SHARE_OSCILLATING and not converged:
        verdict = "oscillating"
        reason = (
            f"{reversal_share:.0%} of the distance travelled in the second half of the run was in steps "
            f"reversing the previous one (rule: ≥ {REVERSAL_SHARE_OSCILLATING:.0%})"
        )
    elif rise_share >= RISE_SHARE_OSCILLATING:
        verdict = "oscillating"
        reason = (
            f"the loss's rises were {rise_share:.0%} of its total movement "
            f"(rule: ≥ {RISE_SHARE_OSCILLATING:.0%})"
        )
    elif gap_closed < GAP_CLOSED_TOO_SMALL:
        verdict = "too_small"
        reason = f"closed only {gap_closed:.1%} of the initial loss gap (rule: < {GAP_CLOSED_TOO_SMALL:.0%})"
    else:
        verdict = "good"
        reason = (
            f"closed {gap_closed:.1%} of the initial loss gap without diverging or oscillating "
            f"(reversals {reversal_share:.0%}, rises {rise_share:.0%})"
        )
    return Assessment(verdict, reason, gap_closed, reversal_share, rise_share)


def compare_within_sweep(
    results: Sequence[tuple[float, Assessment, tuple[float, float]]],
) -> list[Assessment]:
    """Apply rule 3's sweep clause to ``(lr, assessment, ranking_key)`` triples; return the assessments.

    A run judged good becomes too_small when a larger lr, itself judged good by ``assess``, ended with a final
    gap at least SLOWER_FACTOR_TOO_SMALL times smaller (gaps floored at the converged level, as in
    ``ranking_key``). Only good runs count as the yardstick: an oscillating run that got lower is no proof
    that a smaller lr was too small.
    """
    good = [(lr, key[0]) for lr, judged, key in results if judged.verdict == "good"]
    updated = []
    for lr, judged, key in results:
        faster = [(other_gap, other_lr) for other_lr, other_gap in good if other_lr > lr]
        if judged.verdict == "good" and faster:
            best_gap, best_lr = min(faster)
            if best_gap * SLOWER_FACTOR_TOO_SMALL <= key[0]:
                judged = replace(
                    judged,
                    verdict="too_small",
                    reason=(
                        f"lr={best_lr:g} (larger, also good) ended with a loss gap {key[0] / best_gap:.3g}× "
                        f"smaller (rule: ≥ {SLOWER_FACTOR_TOO_SMALL:g}×); this run closed "
                        f"{judged.gap_closed:.1%} of the initial gap"
                    ),
                )
        updated.append(judged)
    return updated


def ranking_key(problem: Problem, run: Run, lr: float) -> tuple[float, float]:
    """Sort key for "which run did best": lowest final gap, gaps within CONVERGED_GAP_FRACTION of the initial
    gap counted as equal (converged), ties going to the smaller learning rate (the safer margin)."""
    gap0 = run.losses[0] - problem.minimum
    final_gap = run.losses[-1] - problem.minimum
    return (max(final_gap, CONVERGED_GAP_FRACTION * gap0), lr)
