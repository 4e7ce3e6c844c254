"""Loss-curve rules behind :func:`tools.training.diagnostics.diagnose_training`: thresholds, statistics,
verdicts.

Every threshold here is quoted in ``TrainingDiagnosis.rules`` (:func:`rule_texts`), so each verdict can be
checked by hand. The rules read only an :class:`Evidence` (statistics of the all-finite epochs) and the
caller's :class:`Options`; :func:`judge` applies them in order and the first rule with evidence decides.
"""

import math
from dataclasses import dataclass
from statistics import median

__all__ = [
    "HUGE",
    "Evidence",
    "Options",
    "clean_loss",
    "early_stop_point",
    "end_mean",
    "judge",
    "plateau_epoch",
    "rule_texts",
]

# --- loss-curve rules: every threshold below is quoted in TrainingDiagnosis.rules ---
HUGE = 1e30  # a loss this large is numerically broken: treated like NaN/inf
_END_WINDOW = 3  # "the end" of a curve is the mean of its last 3 epochs (damps epoch-to-epoch noise)
_EXPLODE_FACTOR = 2.0  # train loss ends above 2× its first value → diverging
_VAL_EXPLODE_FACTOR = 10.0  # val loss ends above 10× its first value → diverging
_TURN_MEDIAN = 1.467  # that median for iid N(0, 1) noise (simulated: 2000 series of 200 points)
_NOISE_UNSTABLE = 0.08  # robust oscillation level, as a fraction of the loss scale
_GAP_REL = 0.3  # (val − train) / |val| at the end
_GAP_ABS = 0.05  # ... and the gap is at least this fraction of the loss scale
_RISE_REL = 0.1  # val ends ≥ 10 % above its best ...
_RISE_ABS = 0.02  # ... and ≥ 2 % of the loss scale above it
_TAIL_FRAC = 0.1  # the last third still removed ≥ 10 % of the total train-loss decrease ...
_TAIL_ABS = 0.02  # ... and ≥ 2 % of the loss scale
_REMAINING = 0.5  # train loss still holds ≥ 50 % of its initial excess over target_loss → "high"
_METRIC_GAP = 0.1  # train metric beats val metric by ≥ 10 % of |train metric|


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
        # median |second difference| at the turning points, scaled so that iid noise of std σ gives σ: a
        # one-off kink (an LR drop) barely moves a median, a sustained zig-zag does, and a smooth bend (a
        # U-shaped validation curve, a short curve's curvature) turns only once, so it is no oscillation.
        second = [
            abs(values[i + 1] - 2 * values[i] + values[i - 1])
            if (values[i] - values[i - 1]) * (values[i + 1] - values[i]) < 0
            else 0.0
            for i in range(1, n - 1)
        ]
        noise = median(second) / _TURN_MEDIAN
    return _Curve(
        start=values[0],
        end=end_mean(values),
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


def clean_loss(x: float | None) -> float | None:
    """The loss value, or None when it is NaN/inf/null or beyond ±HUGE (evidence of divergence)."""
    return x if x is not None and math.isfinite(x) and abs(x) <= HUGE else None


def early_stop_point(val: list[float], patience: int) -> tuple[int | None, int | None]:
    """(stop epoch, restored best epoch) of early stopping on `val` (min_delta 0); (None, None) if never."""
    best, best_epoch = math.inf, 0
    for epoch, v in enumerate(val, start=1):
        if v < best:
            best, best_epoch = v, epoch
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return None, None


def plateau_epoch(train: list[float], tol: float) -> int:
    """1-based epoch from which train loss never improves by more than `tol`."""
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


def rule_texts(patience: int, target: float) -> list[str]:
    """The rules, in the order :func:`judge` checks them, with their thresholds (TrainingDiagnosis.rules)."""
    return [
        f"diverging: any loss is NaN/inf/null or |loss| > {HUGE:g}; or train loss ends above "
        f"{_EXPLODE_FACTOR:g}× its first value (rise > {_EXPLODE_FACTOR - 1:g}·|first|); "
        f"or val loss ends above {_VAL_EXPLODE_FACTOR:g}× its first value",
        "statistics use the epochs before the first non-finite value; "
        f"'end' = mean of the last {_END_WINDOW} epochs (smoothed_*_loss in the result; final_*_loss is "
        "the last value as given); 'last third' = the last max(3, ⌈n/3⌉) epochs; "
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


@dataclass(frozen=True)
class Options:
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
class Evidence:
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
    def of(cls, train: list[float | None], val: list[float | None]) -> "Evidence":
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


def _exploding(ev: Evidence, opts: Options) -> list[str]:
    tr, va, m = ev.tr, ev.va, len(ev.train)
    if ev.train[-1] - tr.start > (_EXPLODE_FACTOR - 1) * abs(tr.start):
        return [f"train loss rose from {tr.start:.4g} (epoch 1) to {ev.train[-1]:.4g} (epoch {m})"]
    if ev.val[-1] - va.start > (_VAL_EXPLODE_FACTOR - 1) * abs(va.start):
        return [f"val loss exploded from {va.start:.4g} (epoch 1) to {ev.val[-1]:.4g} (epoch {m})"]
    return []


def _unstable(ev: Evidence, opts: Options) -> list[str]:
    return [
        f"{name} loss oscillates: level {c.noise:.4g} = {c.noise / ev.scale:.1%} of the loss scale "
        f"{ev.scale:.4g} (> {_NOISE_UNSTABLE:.0%})"
        for name, c in (("train", ev.tr), ("val", ev.va))
        if c.noise is not None and c.noise / ev.scale > _NOISE_UNSTABLE
    ]


def _overfitting(ev: Evidence, opts: Options) -> list[str]:
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
            f"{va.end:.4g} (mean of the last {_END_WINDOW} epochs) while train loss kept falling "
            f"({train_at_best:.4g} → {tr.end:.4g})"
        )
    rel_gap = ev.rel_gap
    if rel_gap is not None and rel_gap >= _GAP_REL and ev.gap >= _GAP_ABS * ev.scale:
        reasons.append(
            f"generalization gap {ev.gap:.4g}: val {va.end:.4g} vs train {tr.end:.4g} (means of the last "
            f"{_END_WINDOW} epochs) "
            f"({rel_gap:.0%} of val ≥ {_GAP_REL:.0%})"
        )
    if opts.train_metric is not None and opts.val_metric is not None:
        m = len(ev.train)
        t_end, v_end = end_mean(opts.train_metric[:m]), end_mean(opts.val_metric[:m])
        advantage = (t_end - v_end) if opts.higher_is_better else (v_end - t_end)
        if t_end != 0 and advantage >= _METRIC_GAP * abs(t_end):
            reasons.append(
                f"train metric {t_end:.4g} beats val metric {v_end:.4g} by {advantage / abs(t_end):.0%} "
                f"(means of the last {_END_WINDOW} epochs)"
            )
    return reasons


def _not_converged(ev: Evidence, opts: Options) -> list[str]:
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


def _underfitting(ev: Evidence, opts: Options) -> list[str]:
    tr, target = ev.tr, opts.target
    if tr.start <= target:
        return []
    remaining = (tr.end - target) / (tr.start - target)
    if remaining < _REMAINING:
        return []
    return [
        f"train loss stays high: {tr.end:.4g} (mean of the last {_END_WINDOW} epochs) is {remaining:.0%} "
        f"of the way from target {target:g} to the first value {tr.start:.4g}; val {ev.va.end:.4g} close to "
        f"train (gap {ev.gap:.4g}); "
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


def judge(ev: Evidence, opts: Options) -> tuple[str, list[str]]:
    """(verdict, reasons) of the first rule in `_RULE_ORDER` with evidence; good_fit when none has any."""
    for verdict, rule in _RULE_ORDER:
        reasons = rule(ev, opts)
        if reasons:
            return verdict, reasons
    tr, va = ev.tr, ev.va
    return "good_fit", [
        f"both losses converged: train {tr.end:.4g}, val {va.end:.4g} (means of the last {_END_WINDOW} "
        f"epochs; gap {ev.gap:.4g}, "
        f"{(ev.rel_gap or 0):.0%} of val); val best {va.best:.4g} at epoch {va.best_epoch}"
    ]


def end_mean(values: list[float]) -> float:
    """'The end' of a curve: the mean of its last `_END_WINDOW` values."""
    tail = values[-_END_WINDOW:]
    return sum(tail) / len(tail)
