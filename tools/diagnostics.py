"""Training diagnostics: read loss curves (过拟合 overfitting, 欠拟合 underfitting, 发散 divergence …).

Gradient flow through a real network lives in :mod:`tools.gradients`. The tool states the rules and
thresholds it applied in its result, so every verdict can be checked by hand. matplotlib is imported lazily.
"""

import math
from dataclasses import dataclass
from statistics import median
from typing import Annotated, Literal

from pydantic import Field

from tools._common import FiniteFloat, PlotResult, finite_or_none, render_png
from tools.errors import ToolInputError

__all__ = ["TrainingDiagnosis", "diagnose_training"]

MAX_EPOCHS = 10_000

# --- loss-curve rules: every threshold below is quoted in TrainingDiagnosis.rules ---
_HUGE = 1e30  # a loss this large is numerically broken: treated like NaN/inf
_END_WINDOW = 3  # "the end" of a curve is the mean of its last 3 epochs (damps epoch-to-epoch noise)
_EXPLODE_FACTOR = 2.0  # train loss ends above 2× its first value → diverging
_VAL_EXPLODE_FACTOR = 10.0  # val loss ends above 10× its first value → diverging
_NOISE_UNSTABLE = 0.08  # robust oscillation level, as a fraction of the loss scale
_GAP_REL = 0.3  # (val − train) / |val| at the end
_GAP_ABS = 0.05  # ... and the gap is at least this fraction of the loss scale
_RISE_REL = 0.1  # val ends ≥ 10 % above its best ...
_RISE_ABS = 0.02  # ... and ≥ 2 % of the loss scale above it
_TAIL_FRAC = 0.1  # the last third still removed ≥ 10 % of the total train-loss decrease ...
_TAIL_ABS = 0.02  # ... and ≥ 2 % of the loss scale
_REMAINING = 0.5  # train loss still holds ≥ 50 % of its initial excess over target_loss → "high"
_METRIC_GAP = 0.1  # train metric beats val metric by ≥ 10 % of |train metric|

Verdict = Literal["overfitting", "underfitting", "good_fit", "diverging", "not_converged", "unstable"]

_NAN_NOTE = (
    "NaN/inf are accepted as evidence of divergence: send them as null (JSON has no NaN) or as the strings "
    "'nan', 'inf', '-inf'."
)
TrainLoss = Annotated[
    list[float | None],
    Field(
        min_length=2, max_length=MAX_EPOCHS, description=f"Training loss per epoch, oldest first. {_NAN_NOTE}"
    ),
]
ValLoss = Annotated[
    list[float | None],
    Field(
        min_length=2,
        max_length=MAX_EPOCHS,
        description=f"Validation loss per epoch, same epochs as train_loss. {_NAN_NOTE}",
    ),
]
TrainMetric = Annotated[
    list[FiniteFloat] | None,
    Field(
        min_length=2, max_length=MAX_EPOCHS, description="Optional training metric per epoch (e.g. accuracy)."
    ),
]
ValMetric = Annotated[
    list[FiniteFloat] | None,
    Field(min_length=2, max_length=MAX_EPOCHS, description="Optional validation metric per epoch."),
]

_ADVICE: dict[str, tuple[list[str], list[str]]] = {
    "overfitting": (
        [
            "model capacity too large for the amount of data (memorises noise)",
            "too little or too homogeneous training data",
            "too weak regularisation",
            "training ran past the point where validation loss stopped improving",
        ],
        [
            "more training data",
            "data augmentation (数据增强)",
            "L1 / L2 regularisation (weight decay)",
            "dropout",
            "early stopping (早停) on the validation loss",
            "a smaller model (fewer layers / units / parameters)",
        ],
    ),
    "underfitting": (
        [
            "model too simple for the task (too little capacity)",
            "uninformative or too few input features",
            "learning rate too low or training too short",
            "too strong regularisation (weight decay, dropout)",
        ],
        [
            "a bigger model (more layers / units)",
            "more or better features",
            "a higher learning rate",
            "longer training",
            "less regularisation (lower weight decay / dropout)",
        ],
    ),
    "diverging": (
        [
            "learning rate too high",
            "exploding gradients (梯度爆炸)",
            "numerical problems: log(0), division by zero, float16 overflow",
            "NaN/inf in the input data or labels",
        ],
        [
            "lower the learning rate (and add warm-up)",
            "gradient clipping (torch.nn.utils.clip_grad_norm_)",
            "numerically stable losses (log-softmax / logsumexp instead of log(softmax))",
            "check the data for NaN/inf; use loss scaling with mixed precision",
            "normalisation layers (BatchNorm / LayerNorm) and a proper initialisation (Xavier / He)",
        ],
    ),
    "not_converged": (
        [
            "training stopped while the loss was still falling",
            "learning rate too low, or decayed too early",
        ],
        [
            "train for more epochs (keep early stopping on the validation loss to catch overfitting)",
            "a higher learning rate or a schedule that decays later",
        ],
    ),
    "unstable": (
        [
            "learning rate too high (steps overshoot the minimum)",
            "batch too small (noisy gradients)",
            "noisy labels or an unshuffled / tiny validation set",
        ],
        [
            "lower the learning rate or decay it",
            "larger batches",
            "gradient clipping",
            "normalisation layers (BatchNorm / LayerNorm)",
            "check data shuffling and label quality",
        ],
    ),
    "good_fit": (
        ["training and validation loss converged close together"],
        ["none needed; keep the checkpoint of the best validation epoch"],
    ),
}


class TrainingDiagnosis(PlotResult):
    """What the loss curves say about training, with the evidence and the rules that decided it."""

    verdict: Verdict = Field(
        description="overfitting, underfitting, good_fit, diverging, not_converged or unstable."
    )
    summary: str = Field(description="One sentence: the verdict and its main evidence.")
    reasons: list[str] = Field(description="The evidence (with numbers) that decided the verdict.")
    epochs: int = Field(description="Number of epochs given.")
    first_nonfinite_epoch: int | None = Field(
        description="1-based epoch of the first NaN/inf/null (or |loss| > 1e30); None if all finite."
    )
    nonfinite_count: int = Field(description="How many loss values (train and val) were NaN/inf/null/huge.")
    analysed_epochs: int = Field(
        description="Epochs used for the statistics: those before the first non-finite."
    )
    final_train_loss: float | None = Field(
        default=None, description="Train loss at the end (mean of the last 3 analysed epochs)."
    )
    final_val_loss: float | None = Field(
        default=None, description="Val loss at the end (mean of the last 3 analysed epochs)."
    )
    generalization_gap: float | None = Field(default=None, description="final_val_loss − final_train_loss.")
    relative_gap: float | None = Field(default=None, description="generalization_gap / |final_val_loss|.")
    best_val_epoch: int | None = Field(
        default=None, description="1-based epoch of the lowest validation loss."
    )
    best_val_loss: float | None = Field(default=None, description="The lowest validation loss.")
    val_rise_from_best: float | None = Field(
        default=None, description="(final_val_loss − best_val_loss) / |best_val_loss|."
    )
    train_tail_slope: float | None = Field(
        default=None, description="Least-squares slope of train loss per epoch, last third."
    )
    val_tail_slope: float | None = Field(
        default=None, description="Least-squares slope of val loss per epoch, last third."
    )
    train_tail_drop_fraction: float | None = Field(
        default=None, description="Share of the total train-loss decrease that happened in the last third."
    )
    train_oscillation: float | None = Field(
        default=None, description="Robust oscillation level of train loss / loss scale."
    )
    val_oscillation: float | None = Field(
        default=None, description="Robust oscillation level of val loss / loss scale."
    )
    train_plateau_epoch: int | None = Field(
        default=None,
        description="1-based epoch from which train loss never improved by more than 1 % of the loss scale.",
    )
    patience: int = Field(description="Early-stopping patience used (epochs without val improvement).")
    early_stop_epoch: int | None = Field(
        description="1-based epoch at which early stopping with this patience would stop; None if never."
    )
    early_stop_restore_epoch: int | None = Field(description="The best epoch early stopping would restore.")
    final_train_metric: float | None = Field(
        default=None, description="Train metric at the end (mean of the last 3 epochs)."
    )
    final_val_metric: float | None = Field(
        default=None, description="Val metric at the end (mean of the last 3 epochs)."
    )
    best_val_metric: float | None = Field(
        default=None, description="Best val metric (max or min per metric_higher_is_better)."
    )
    best_val_metric_epoch: int | None = Field(default=None, description="1-based epoch of best_val_metric.")
    causes: list[str] = Field(description="Typical causes of this verdict.")
    remedies: list[str] = Field(description="Remedies, most specific first.")
    rules: list[str] = Field(description="The rules, in order, with the thresholds applied.")


@dataclass(frozen=True)
class _Curve:
    """Statistics of one finite loss curve."""

    start: float
    """First value."""
    end: float
    """Mean of the last `_END_WINDOW` values."""
    best: float
    """Minimum."""
    best_epoch: int
    """1-based epoch of the minimum (first one on ties)."""
    tail_slope: float
    """Least-squares slope over the last third (at least 3 points when available)."""
    tail_len: int
    """Points in the last third."""
    noise: float | None
    """Robust oscillation estimate (absolute); None for fewer than 5 points."""


def _curve_stats(values: list[float]) -> _Curve:
    n = len(values)
    k = min(n, max(3, math.ceil(n / 3)))
    best_epoch = min(range(n), key=values.__getitem__) + 1
    noise = None
    if n >= 5:
        # median |second difference|, scaled so that iid noise of std σ gives σ: a one-off kink (an LR drop)
        # barely moves a median, a sustained zig-zag does.
        second = [abs(values[i + 1] - 2 * values[i] + values[i - 1]) for i in range(1, n - 1)]
        noise = median(second) / (0.6745 * math.sqrt(6))
    return _Curve(
        start=values[0],
        end=sum(values[-_END_WINDOW:]) / len(values[-_END_WINDOW:]),
        best=values[best_epoch - 1],
        best_epoch=best_epoch,
        tail_slope=_slope(values[-k:]),
        tail_len=k,
        noise=noise,
    )


def _slope(ys: list[float]) -> float:
    n = len(ys)
    x_mean = (n - 1) / 2
    y_mean = sum(ys) / n
    num = sum((i - x_mean) * (y - y_mean) for i, y in enumerate(ys))
    den = sum((i - x_mean) ** 2 for i in range(n))
    return num / den


def _clean(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) and abs(x) <= _HUGE else None


def _early_stop(val: list[float], patience: int) -> tuple[int | None, int | None]:
    best, best_epoch = math.inf, 0
    for epoch, v in enumerate(val, start=1):
        if v < best:
            best, best_epoch = v, epoch
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return None, None


def _plateau_epoch(train: list[float], tol: float) -> int:
    # earliest epoch e such that no later epoch improves on train[e] by more than tol
    suffix_min = math.inf
    plateau = len(train)
    for i in range(len(train) - 1, -1, -1):
        suffix_min = min(suffix_min, train[i])
        if suffix_min >= train[i] - tol:
            plateau = i + 1
        else:
            break
    return plateau


def _rules(patience: int, target: float) -> list[str]:
    return [
        f"diverging: any loss is NaN/inf/null or |loss| > {_HUGE:g}; or train loss ends above "
        f"{_EXPLODE_FACTOR:g}× its first value (rise > {_EXPLODE_FACTOR - 1:g}·|first|); "
        f"or val loss ends above {_VAL_EXPLODE_FACTOR:g}× its first value",
        "statistics use the epochs before the first non-finite value; "
        f"'end' = mean of the last {_END_WINDOW} epochs; 'last third' = the last max(3, ⌈n/3⌉) epochs; "
        "loss scale = max(|first train|, |first val|, train range, val range)",
        f"unstable: train or val oscillation > {_NOISE_UNSTABLE:g} of the loss scale (oscillation = median "
        "|second difference| / (0.6745·√6), needs ≥ 5 epochs)",
        f"overfitting: val ends ≥ {_RISE_REL:.0%} above its best and ≥ {_RISE_ABS:.0%} of the loss scale "
        "above it (and ≥ 3× the val oscillation level) while train ends at or below its value at the "
        "best-val epoch; "
        f"or (val − train)/|val| ≥ {_GAP_REL:g} with the gap ≥ {_GAP_ABS:.0%} of the loss scale; "
        "or the train metric beats the val metric by "
        f"≥ {_METRIC_GAP:.0%} of |train metric| at the end",
        f"not_converged: the last third removed ≥ {_TAIL_FRAC:.0%} of the total train-loss decrease and ≥ "
        f"{_TAIL_ABS:.0%} of the loss scale, and val is still falling (negative slope, best within the last "
        f"{patience} epochs)",
        f"underfitting: train loss still holds ≥ {_REMAINING:.0%} of its initial excess over target_loss = "
        f"{target:g}, i.e. (end − target)/(first − target) ≥ {_REMAINING:g}, and is no longer falling",
        "good_fit: none of the above",
        f"early stopping: patience {patience}, min_delta 0 on the val loss; plateau: no later improvement "
        "> 1 % of the loss scale",
    ]


def diagnose_training(
    train_loss: TrainLoss,
    val_loss: ValLoss,
    train_metric: TrainMetric = None,
    val_metric: ValMetric = None,
    metric_higher_is_better: Annotated[
        bool, Field(description="True for accuracy/F1-like metrics, False for error-like ones.")
    ] = True,
    patience: Annotated[
        int,
        Field(ge=1, le=1000, description="Early-stopping patience in epochs (for the early-stopping point)."),
    ] = 5,
    target_loss: Annotated[
        FiniteFloat | None,
        Field(
            description="A loss a good model reaches (published result, Bayes error); defines 'high' for "
            "underfitting. Default 0 (losses whose ideal is 0, e.g. cross-entropy, MSE)."
        ),
    ] = None,
    plot: Annotated[
        bool, Field(description="Also draw a PNG of the curves with the best epoch marked.")
    ] = True,
) -> TrainingDiagnosis:
    """Diagnose training from per-epoch loss curves: 过拟合 overfitting, 欠拟合 underfitting, good_fit,
    发散 diverging (NaN/inf or exploding loss), not_converged (未收敛) or unstable (震荡).

    Returns the verdict with its evidence: generalization gap, least-squares trends over the last third,
    best validation epoch, plateau, early-stopping (早停) point, optional metric gap; typical causes and
    remedies (more data / augmentation / L1, L2 / dropout / early stopping / smaller model for overfitting;
    bigger model / more features / higher learning rate / longer training / less regularisation for
    underfitting …) and the rules with their thresholds. 2–10000 epochs; NaN/inf may be sent as null.
    Epochs are 1-based.
    """
    n = len(train_loss)
    if len(val_loss) != n:
        raise ToolInputError(
            "val_loss", f"must have one value per epoch like train_loss ({n}), got {len(val_loss)}"
        )
    for name, metric in (("train_metric", train_metric), ("val_metric", val_metric)):
        if metric is not None and len(metric) != n:
            raise ToolInputError(
                name, f"must have one value per epoch like train_loss ({n}), got {len(metric)}"
            )
    opts = _Options(
        patience=patience,
        target=0.0 if target_loss is None else target_loss,
        train_metric=train_metric,
        val_metric=val_metric,
        higher_is_better=metric_higher_is_better,
    )
    train_c = [_clean(v) for v in train_loss]
    val_c = [_clean(v) for v in val_loss]
    bad = [i for i in range(n) if train_c[i] is None or val_c[i] is None]
    nonfinite_count = sum(v is None for v in train_c + val_c)
    m = bad[0] if bad else n  # the analysed prefix: epochs before the first non-finite value
    ev = _Evidence.of(train_c[:m], val_c[:m]) if m >= 2 else None

    if bad:
        verdict = "diverging"
        reasons = [
            f"epoch {bad[0] + 1}: loss is NaN/inf/null or beyond ±{_HUGE:g} ({nonfinite_count} such values)"
        ]
    else:
        assert ev is not None  # n ≥ 2 epochs, all finite
        verdict, reasons = _judge(ev, opts)
        if m < 6:
            reasons.append(f"only {m} epochs: trends are rough")

    early_stop, restore = _early_stop(val_c[:m], patience) if m >= 2 else (None, None)
    causes, remedies = (list(x) for x in _ADVICE[verdict])
    if verdict == "overfitting" and ev is not None:
        best = f"epoch {ev.va.best_epoch} (val {ev.va.best:.4g})"
        at = next(i for i, remedy in enumerate(remedies) if remedy.startswith("early stopping"))
        remedies[at] = (
            f"early stopping (早停): with patience {patience} training would stop at epoch {early_stop} and "
            f"restore {best}"
            if early_stop
            else f"early stopping (早停) on the validation loss: keep the checkpoint of {best} "
            f"(patience {patience} had not run out by epoch {m})"
        )

    result = TrainingDiagnosis(
        verdict=verdict,
        summary=f"{verdict}: {reasons[0]}",
        reasons=reasons,
        epochs=n,
        first_nonfinite_epoch=bad[0] + 1 if bad else None,
        nonfinite_count=nonfinite_count,
        analysed_epochs=m,
        patience=patience,
        early_stop_epoch=early_stop,
        early_stop_restore_epoch=restore,
        causes=causes,
        remedies=remedies,
        rules=_rules(patience, opts.target),
        **_evidence_fields(ev),
        **_metric_fields(opts, m),
    )
    if plot:
        result.with_png(
            render_png(lambda fig: _draw_curves(fig, train_c, val_c, train_metric, val_metric, result))
        )
    return result


@dataclass(frozen=True)
class _Options:
    """The caller's settings the rules read."""

    patience: int
    """Early-stopping patience (epochs)."""
    target: float
    """The loss a good model reaches; 'high' is measured from it."""
    train_metric: list[float] | None
    """Optional train metric per epoch."""
    val_metric: list[float] | None
    """Optional val metric per epoch."""
    higher_is_better: bool
    """Direction of the metrics."""


@dataclass(frozen=True)
class _Evidence:
    """Statistics of the analysed (all finite) epochs of both curves: the rules read only this."""

    train: list[float]
    """Train loss per analysed epoch."""
    val: list[float]
    """Val loss per analysed epoch."""
    tr: _Curve
    """Train-curve statistics."""
    va: _Curve
    """Val-curve statistics."""
    scale: float
    """max(|first train|, |first val|, train range, val range): absolute thresholds are fractions of it."""

    @classmethod
    def of(cls, train: list[float | None], val: list[float | None]) -> "_Evidence":
        tr_values = [v for v in train if v is not None]
        va_values = [v for v in val if v is not None]
        scale = max(
            abs(tr_values[0]),
            abs(va_values[0]),
            max(tr_values) - min(tr_values),
            max(va_values) - min(va_values),
            1e-12,
        )
        return cls(tr_values, va_values, _curve_stats(tr_values), _curve_stats(va_values), scale)

    @property
    def gap(self) -> float:
        return self.va.end - self.tr.end

    @property
    def rel_gap(self) -> float | None:
        return self.gap / abs(self.va.end) if self.va.end != 0 else None

    @property
    def rise(self) -> float | None:
        """How far val ended above its best, relative to the best."""
        return (self.va.end - self.va.best) / abs(self.va.best) if self.va.best != 0 else None

    @property
    def tail_drop(self) -> float:
        """Train-loss decrease over the last third, from its least-squares line."""
        return -self.tr.tail_slope * (self.tr.tail_len - 1)

    @property
    def tail_frac(self) -> float | None:
        total_drop = self.tr.start - self.tr.end
        return self.tail_drop / total_drop if total_drop > 0 else None


def _exploding(ev: _Evidence, opts: _Options) -> list[str]:
    tr, va, m = ev.tr, ev.va, len(ev.train)
    if ev.train[-1] - tr.start > (_EXPLODE_FACTOR - 1) * abs(tr.start):
        return [f"train loss rose from {tr.start:.4g} (epoch 1) to {ev.train[-1]:.4g} (epoch {m})"]
    if ev.val[-1] - va.start > (_VAL_EXPLODE_FACTOR - 1) * abs(va.start):
        return [f"val loss exploded from {va.start:.4g} (epoch 1) to {ev.val[-1]:.4g} (epoch {m})"]
    return []


def _unstable(ev: _Evidence, opts: _Options) -> list[str]:
    return [
        f"{name} loss oscillates: level {c.noise:.4g} = {c.noise / ev.scale:.1%} of the loss scale "
        f"{ev.scale:.4g} (> {_NOISE_UNSTABLE:.0%})"
        for name, c in (("train", ev.tr), ("val", ev.va))
        if c.noise is not None and c.noise / ev.scale > _NOISE_UNSTABLE
    ]


def _overfitting(ev: _Evidence, opts: _Options) -> list[str]:
    tr, va, reasons = ev.tr, ev.va, []
    train_at_best = ev.train[va.best_epoch - 1]
    rise = ev.rise
    if (
        rise is not None
        and rise >= _RISE_REL
        and va.end - va.best >= max(_RISE_ABS * ev.scale, 3 * (va.noise or 0.0))
        and tr.end <= train_at_best
    ):
        reasons.append(
            f"val loss bottomed at {va.best:.4g} (epoch {va.best_epoch}) and rose {rise:.1%} to "
            f"{va.end:.4g} while train loss kept falling ({train_at_best:.4g} → {tr.end:.4g})"
        )
    rel_gap = ev.rel_gap
    if rel_gap is not None and rel_gap >= _GAP_REL and ev.gap >= _GAP_ABS * ev.scale:
        reasons.append(
            f"generalization gap {ev.gap:.4g}: val {va.end:.4g} vs train {tr.end:.4g} "
            f"({rel_gap:.0%} of val ≥ {_GAP_REL:.0%})"
        )
    if opts.train_metric is not None and opts.val_metric is not None:
        m = len(ev.train)
        t_end, v_end = _end(opts.train_metric[:m]), _end(opts.val_metric[:m])
        advantage = (t_end - v_end) if opts.higher_is_better else (v_end - t_end)
        if t_end != 0 and advantage >= _METRIC_GAP * abs(t_end):
            reasons.append(
                f"train metric {t_end:.4g} beats val metric {v_end:.4g} by {advantage / abs(t_end):.0%}"
            )
    return reasons


def _not_converged(ev: _Evidence, opts: _Options) -> list[str]:
    tr, va, m, tail_frac = ev.tr, ev.va, len(ev.train), ev.tail_frac
    if (
        tail_frac is not None
        and tail_frac >= _TAIL_FRAC
        and ev.tail_drop >= _TAIL_ABS * ev.scale
        and va.tail_slope < 0
        and va.best_epoch > m - opts.patience
    ):
        return [
            f"both losses still falling: the last {tr.tail_len} epochs removed {tail_frac:.0%} of the "
            f"total train-loss decrease (slope {tr.tail_slope:.4g}/epoch); "
            f"val slope {va.tail_slope:.4g}/epoch, best val at epoch {va.best_epoch} of {m}"
        ]
    return []


def _underfitting(ev: _Evidence, opts: _Options) -> list[str]:
    tr, target = ev.tr, opts.target
    if tr.start <= target:
        return []
    remaining = (tr.end - target) / (tr.start - target)
    if remaining < _REMAINING:
        return []
    return [
        f"train loss stays high: {tr.end:.4g} is {remaining:.0%} of the way from target {target:g} to the "
        f"first value {tr.start:.4g}; val {ev.va.end:.4g} close to train (gap {ev.gap:.4g}); "
        f"last-third slope {tr.tail_slope:.4g}/epoch"
    ]


# checked in this order; the first rule with evidence gives the verdict (the order of TrainingDiagnosis.rules)
_RULE_ORDER = (
    ("diverging", _exploding),
    ("unstable", _unstable),
    ("overfitting", _overfitting),
    ("not_converged", _not_converged),
    ("underfitting", _underfitting),
)


def _judge(ev: _Evidence, opts: _Options) -> tuple[str, list[str]]:
    for verdict, rule in _RULE_ORDER:
        reasons = rule(ev, opts)
        if reasons:
            return verdict, reasons
    tr, va = ev.tr, ev.va
    return "good_fit", [
        f"both losses converged: train {tr.end:.4g}, val {va.end:.4g} (gap {ev.gap:.4g}, "
        f"{(ev.rel_gap or 0):.0%} of val); val best {va.best:.4g} at epoch {va.best_epoch}"
    ]


def _end(values: list[float]) -> float:
    tail = values[-_END_WINDOW:]
    return sum(tail) / len(tail)


def _evidence_fields(ev: _Evidence | None) -> dict[str, float | int | None]:
    if ev is None:
        return {}  # the fields default to None
    tr, va = ev.tr, ev.va
    return {
        "final_train_loss": finite_or_none(tr.end),
        "final_val_loss": finite_or_none(va.end),
        "generalization_gap": finite_or_none(ev.gap),
        "relative_gap": finite_or_none(ev.rel_gap),
        "best_val_epoch": va.best_epoch,
        "best_val_loss": va.best,
        "val_rise_from_best": finite_or_none(ev.rise),
        "train_tail_slope": finite_or_none(tr.tail_slope),
        "val_tail_slope": finite_or_none(va.tail_slope),
        "train_tail_drop_fraction": finite_or_none(ev.tail_frac),
        "train_oscillation": None if tr.noise is None else finite_or_none(tr.noise / ev.scale),
        "val_oscillation": None if va.noise is None else finite_or_none(va.noise / ev.scale),
        "train_plateau_epoch": _plateau_epoch(ev.train, 0.01 * ev.scale),
    }


def _metric_fields(opts: _Options, m: int) -> dict[str, float | int | None]:
    fields: dict[str, float | int | None] = {}
    if opts.train_metric is not None and m > 0:
        fields["final_train_metric"] = finite_or_none(_end(opts.train_metric[:m]))
    if opts.val_metric is not None:
        if m > 0:
            fields["final_val_metric"] = finite_or_none(_end(opts.val_metric[:m]))
        pick = max if opts.higher_is_better else min
        best_epoch = pick(range(len(opts.val_metric)), key=opts.val_metric.__getitem__) + 1
        fields["best_val_metric"] = opts.val_metric[best_epoch - 1]
        fields["best_val_metric_epoch"] = best_epoch
    return fields


def _draw_curves(fig, train, val, train_metric, val_metric, result: TrainingDiagnosis) -> None:
    from matplotlib.ticker import MaxNLocator  # matplotlib is loaded by render_png by now

    has_metric = train_metric is not None or val_metric is not None
    axes = fig.subplots(1, 2) if has_metric else [fig.subplots()]
    ax = axes[0]
    epochs = list(range(1, len(train) + 1))
    for values, label, color in ((train, "train loss", "tab:blue"), (val, "val loss", "tab:orange")):
        pts = [(e, v) for e, v in zip(epochs, values, strict=True) if v is not None]
        if pts:
            ax.plot(*zip(*pts, strict=True), label=label, color=color, marker="." if len(pts) <= 60 else None)
    finite = [v for v in train + val if v is not None]
    if finite and min(finite) > 0 and max(finite) / min(finite) > 100:
        ax.set_yscale("log")
    bad = [e for e, t, v in zip(epochs, train, val, strict=True) if t is None or v is None]
    if bad:
        ax.plot(bad, [0.98] * len(bad), "x", color="red", transform=ax.get_xaxis_transform(), label="NaN/inf")
    if result.best_val_epoch is not None:
        ax.axvline(
            result.best_val_epoch,
            color="green",
            linestyle=":",
            label=f"best val (epoch {result.best_val_epoch})",
        )
        ax.plot([result.best_val_epoch], [result.best_val_loss], "*", color="green", markersize=12)
    if result.early_stop_epoch is not None:
        ax.axvline(
            result.early_stop_epoch,
            color="gray",
            linestyle="--",
            label=f"early stop (epoch {result.early_stop_epoch})",
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(f"verdict: {result.verdict}")
    ax.legend(fontsize="small")
    if has_metric:
        mx = axes[1]
        for values, label in ((train_metric, "train metric"), (val_metric, "val metric")):
            if values is not None:
                mx.plot(epochs, values, label=label)
        if result.best_val_metric_epoch is not None:
            mx.axvline(result.best_val_metric_epoch, color="green", linestyle=":", label="best val metric")
        mx.set_xlabel("epoch")
        mx.set_title("metric")
        mx.legend(fontsize="small")
