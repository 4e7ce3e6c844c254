"""Training diagnostics: read loss curves (过拟合 overfitting, 欠拟合 underfitting, 发散 divergence …).

Gradient flow through a real network lives in :mod:`tools.training.gradients`; the loss-curve rules and their
thresholds live in :mod:`tools.training.curve_rules`. The tool states the rules and thresholds it applied in
its result, so every verdict can be checked by hand. matplotlib is imported lazily.
"""

from typing import Annotated, Literal

from pydantic import Field

from tools._common import FiniteFloat, PlotResult, finite_or_none
from tools.errors import ToolInputError
from tools.plotting import render_png
from tools.training.curve_rules import (
    HUGE,
    Evidence,
    Options,
    clean_loss,
    early_stop_point,
    end_mean,
    judge,
    plateau_epoch,
    rule_texts,
)

__all__ = ["TrainingDiagnosis", "diagnose_training"]

MAX_EPOCHS = 10_000

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
        default=None, description="Train loss of the last analysed epoch, as given."
    )
    final_val_loss: float | None = Field(
        default=None, description="Val loss of the last analysed epoch, as given."
    )
    smoothed_train_loss: float | None = Field(
        default=None,
        description="Mean train loss of the last 3 analysed epochs: the 'end' the rules compare.",
    )
    smoothed_val_loss: float | None = Field(
        default=None, description="Mean val loss of the last 3 analysed epochs (the rules' 'end')."
    )
    generalization_gap: float | None = Field(
        default=None, description="smoothed_val_loss − smoothed_train_loss."
    )
    relative_gap: float | None = Field(default=None, description="generalization_gap / |smoothed_val_loss|.")
    best_val_epoch: int | None = Field(
        default=None, description="1-based epoch of the lowest validation loss."
    )
    best_val_loss: float | None = Field(default=None, description="The lowest validation loss.")
    val_rise_from_best: float | None = Field(
        default=None, description="(smoothed_val_loss − best_val_loss) / |best_val_loss|."
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
        default=None, description="Train metric of the last analysed epoch, as given."
    )
    final_val_metric: float | None = Field(
        default=None, description="Val metric of the last analysed epoch, as given."
    )
    smoothed_train_metric: float | None = Field(
        default=None, description="Mean train metric of the last 3 analysed epochs (the rules' 'end')."
    )
    smoothed_val_metric: float | None = Field(
        default=None, description="Mean val metric of the last 3 analysed epochs (the rules' 'end')."
    )
    best_val_metric: float | None = Field(
        default=None, description="Best val metric (max or min per metric_higher_is_better)."
    )
    best_val_metric_epoch: int | None = Field(default=None, description="1-based epoch of best_val_metric.")
    causes: list[str] = Field(description="Typical causes of this verdict.")
    remedies: list[str] = Field(description="Remedies, most specific first.")
    rules: list[str] = Field(description="The rules, in order, with the thresholds applied.")


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
    opts = Options(
        patience=patience,
        target=0.0 if target_loss is None else target_loss,
        train_metric=train_metric,
        val_metric=val_metric,
        higher_is_better=metric_higher_is_better,
    )
    train_c = [clean_loss(v) for v in train_loss]
    val_c = [clean_loss(v) for v in val_loss]
    bad = [i for i in range(n) if train_c[i] is None or val_c[i] is None]
    nonfinite_count = sum(v is None for v in train_c + val_c)
    m = bad[0] if bad else n  # the analysed prefix: epochs before the first non-finite value
    ev = Evidence.of(train_c[:m], val_c[:m]) if m >= 2 else None

    if bad:
        verdict = "diverging"
        reasons = [
            f"epoch {bad[0] + 1}: loss is NaN/inf/null or beyond ±{HUGE:g} ({nonfinite_count} such values)"
        ]
    else:
        assert ev is not None  # n ≥ 2 epochs, all finite
        verdict, reasons = judge(ev, opts)
        if m < 6:
            reasons.append(f"only {m} epochs: trends are rough")

    finite_val = [v for v in val_c[:m] if v is not None]  # the first m epochs are all finite
    early_stop, restore = early_stop_point(finite_val, patience) if m >= 2 else (None, None)
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
        rules=rule_texts(patience, opts.target),
        **_evidence_fields(ev),
        **_metric_fields(opts, m),
    )
    if plot:
        result.with_png(
            render_png(lambda fig: _draw_curves(fig, train_c, val_c, train_metric, val_metric, result))
        )
    return result


def _evidence_fields(ev: Evidence | None) -> dict[str, float | int | None]:
    if ev is None:
        return {}  # the fields default to None
    tr, va = ev.tr, ev.va
    return {
        "final_train_loss": finite_or_none(ev.train[-1]),
        "final_val_loss": finite_or_none(ev.val[-1]),
        "smoothed_train_loss": finite_or_none(tr.end),
        "smoothed_val_loss": finite_or_none(va.end),
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
        "train_plateau_epoch": plateau_epoch(ev.train, 0.01 * ev.scale),
    }


def _metric_fields(opts: Options, m: int) -> dict[str, float | int | None]:
    fields: dict[str, float | int | None] = {}
    if opts.train_metric is not None and m > 0:
        fields["final_train_metric"] = finite_or_none(opts.train_metric[m - 1])
        fields["smoothed_train_metric"] = finite_or_none(end_mean(opts.train_metric[:m]))
    if opts.val_metric is not None:
        if m > 0:
            fields["final_val_metric"] = finite_or_none(opts.val_metric[m - 1])
            fields["smoothed_val_metric"] = finite_or_none(end_mean(opts.val_metric[:m]))
        pick = max if opts.higher_is_better else min
        best_epoch = pick(range(len(opts.val_metric)), key=opts.val_metric.__getitem__) + 1
        fields["best_val_metric"] = opts.val_metric[best_epoch - 1]
        fields["best_val_metric_epoch"] = best_epoch
    return fields


def _draw_curves(fig, train, val, train_metric, val_metric, result: TrainingDiagnosis) -> None:
    from matplotlib.ticker import MaxNLocator  # matplotlib is loaded by render_png by now

    from tools.plotting import HIGHLIGHT, MUTED, PALETTE

    has_metric = train_metric is not None or val_metric is not None
    axes = fig.subplots(1, 2) if has_metric else [fig.subplots()]
    ax = axes[0]
    epochs = list(range(1, len(train) + 1))
    for values, label, color in ((train, "train loss", PALETTE[0]), (val, "val loss", PALETTE[1])):
        pts = [(e, v) for e, v in zip(epochs, values, strict=True) if v is not None]
        if pts:
            ax.plot(*zip(*pts, strict=True), label=label, color=color, marker="." if len(pts) <= 60 else None)
    finite = [v for v in train + val if v is not None]
    if finite and min(finite) > 0 and max(finite) / min(finite) > 100:
        ax.set_yscale("log")
    bad = [e for e, t, v in zip(epochs, train, val, strict=True) if t is None or v is None]
    if bad:
        at_top = ax.get_xaxis_transform()  # x in epochs, y in axes fractions: a non-finite loss has no height
        ax.plot(bad, [0.98] * len(bad), "x", color=HIGHLIGHT, transform=at_top, label="NaN/inf")
    if result.best_val_epoch is not None:
        ax.axvline(
            result.best_val_epoch,
            color=PALETTE[2],
            linestyle=":",
            label=f"best val (epoch {result.best_val_epoch})",
        )
        ax.plot([result.best_val_epoch], [result.best_val_loss], "*", color=PALETTE[2], markersize=12)
    if result.early_stop_epoch is not None:
        ax.axvline(
            result.early_stop_epoch,
            color=MUTED,
            linestyle="--",
            label=f"early stop (epoch {result.early_stop_epoch})",
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(f"loss per epoch: {result.verdict}")
    ax.legend()
    if has_metric:
        mx = axes[1]
        metrics = ((train_metric, "train metric", PALETTE[0]), (val_metric, "val metric", PALETTE[1]))
        for values, label, color in metrics:
            if values is not None:
                mx.plot(epochs, values, label=label, color=color)
        if result.best_val_metric_epoch is not None:
            mx.axvline(result.best_val_metric_epoch, color=PALETTE[2], linestyle=":", label="best val metric")
        mx.xaxis.set_major_locator(MaxNLocator(integer=True))
        mx.set_xlabel("epoch")
        mx.set_ylabel("metric (as given)")
        mx.set_title("metric per epoch")
        mx.legend()
