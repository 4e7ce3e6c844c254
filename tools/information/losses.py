"""Training losses on logits: classification cross-entropy and knowledge distillation.

Both compute in float64 through ``torch.log_softmax`` (imported on first call), which subtracts the row
maximum first and so stays exact for logits in the thousands, where a naive softmax overflows.
"""

import math
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from tools._common import MAX_VECTOR, ResultModel
from tools.errors import ToolInputError

if TYPE_CHECKING:
    from torch import Tensor

__all__ = [
    "ClassificationLossResult",
    "DistillationLossResult",
    "DistillationSample",
    "SampleLoss",
    "classification_loss",
    "distillation_loss",
]

#: Most rows (samples) in one call; batch × classes is further bounded by MAX_VECTOR.
MAX_BATCH = 10_000
#: Largest |logit| accepted: keeps every loss finite in float64 (a loss is at most about 2·MAX_LOGIT).
MAX_LOGIT = 1e9

Logit = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_LOGIT, le=MAX_LOGIT)]
LogitMatrix = list[Annotated[list[Logit], Field(min_length=1, max_length=MAX_VECTOR)]]


def _logits_field(what: str) -> object:
    return Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"{what} as a 2-D list [batch][classes] (raw scores before softmax); at most "
        f"{MAX_BATCH:,} rows and {MAX_VECTOR:,} numbers in all.",
    )


# ---------------------------------------------------------------------------------------------- results


class SampleLoss(ResultModel):
    index: int = Field(description="Row of the batch.")
    label: int = Field(description="The target class (or ignore_index for an ignored row).")
    loss: float = Field(
        description="This row's cross-entropy in nats (0 for an ignored row, as torch gives)."
    )
    label_probability: float | None = Field(
        description="softmax(logits)[label]; None for an ignored row. loss = −log of it without smoothing."
    )
    predicted: int = Field(description="argmax of the row's logits.")
    ignored: bool = Field(description="True when label == ignore_index: the row is left out of the mean.")


class ClassificationLossResult(ResultModel):
    mean_loss: float | None = Field(
        description="Mean cross-entropy over the rows that are not ignored, in nats: what "
        "torch.nn.functional.cross_entropy returns. None when every row is ignored (torch gives NaN)."
    )
    per_sample: list[SampleLoss] = Field(description="Each row's loss, target probability and prediction.")
    counted: int = Field(description="Rows included in the mean (not ignored).")
    accuracy: float | None = Field(description="Share of counted rows whose argmax equals the label.")
    perplexity: float | None = Field(description="e^mean_loss; None when there is no mean or it overflows.")
    uniform_loss: float = Field(description="ln C: the loss of a model that puts 1/C on every class.")
    classes: int = Field(description="C, the number of classes (columns of logits).")
    label_smoothing: float = Field(description="The smoothing ε used.")
    formula: str = Field(description="The loss as computed.")
    note: str = Field(description="How to read the numbers.")


class DistillationSample(ResultModel):
    index: int = Field(description="Row of the batch.")
    kl: float = Field(description="KL(teacher_T ‖ student_T) for this row at temperature T, in nats.")
    soft_loss: float = Field(description="T²·kl: the row's distillation term.")
    hard_loss: float | None = Field(description="CE(student, label) at T = 1; None without labels.")
    teacher_top: int = Field(description="argmax of the teacher's logits.")
    student_top: int = Field(description="argmax of the student's logits.")


class DistillationLossResult(ResultModel):
    loss: float = Field(description="α·soft_loss + (1 − α)·hard_loss (just α·soft_loss without labels).")
    soft_loss: float = Field(description="T²·KL(teacher_T ‖ student_T), averaged over the batch, in nats.")
    kl_divergence: float = Field(
        description="KL(teacher_T ‖ student_T) batch mean at temperature T, unscaled."
    )
    hard_loss: float | None = Field(
        description="Mean cross-entropy of the student's T = 1 logits on the labels; None without labels."
    )
    alpha: float = Field(description="Weight of the soft (teacher) term.")
    temperature: float = Field(description="T: both logit sets are divided by T before the softmax.")
    teacher_entropy: float = Field(
        description="Mean entropy of the softened teacher distribution, in nats (ln C is the most uniform): "
        "higher T exposes more of the teacher's 'dark knowledge' about non-top classes."
    )
    agreement: float = Field(description="Share of rows where the student's argmax equals the teacher's.")
    per_sample: list[DistillationSample] = Field(description="Each row's terms.")
    formula: str = Field(description="The loss as computed.")
    note: str = Field(description="How to read the numbers.")


# ---------------------------------------------------------------------------------------------- helpers


def _matrix(name: str, rows: list[list[float]]) -> "Tensor":
    """``rows`` as a float64 [batch, classes] tensor; ragged, empty, oversized or non-finite is an error."""
    import torch

    if not rows:
        raise ToolInputError(name, "needs at least one row")
    if len(rows) > MAX_BATCH:
        raise ToolInputError(name, f"at most {MAX_BATCH:,} rows are accepted (got {len(rows):,})")
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise ToolInputError(
                name,
                f"row {i} has {len(row)} logits but row 0 has {width}; every row needs one logit per class",
            )
    if width == 0:
        raise ToolInputError(name, "rows are empty; each row needs one logit per class")
    if len(rows) * width > MAX_VECTOR:
        raise ToolInputError(
            name, f"batch × classes = {len(rows):,} × {width:,} exceeds the limit of {MAX_VECTOR:,} numbers"
        )
    matrix = torch.tensor(rows, dtype=torch.float64)
    bad = (~torch.isfinite(matrix)) | (matrix.abs() > MAX_LOGIT)
    if bad.any():
        i, j = (int(x) for x in bad.nonzero()[0])
        raise ToolInputError(
            name, f"row {i}, class {j} is {rows[i][j]}; logits must be finite, |z| ≤ {MAX_LOGIT:g}"
        )
    return matrix


def _labels(labels: list[int], batch: int, classes: int, ignore_index: int | None = None) -> "Tensor":
    import torch

    if len(labels) != batch:
        raise ToolInputError("labels", f"needs one label per row of logits ({batch}); got {len(labels)}")
    for i, label in enumerate(labels):
        if label == ignore_index:
            continue
        if not 0 <= label < classes:
            hint = f", or {ignore_index} to ignore the row" if ignore_index is not None else ""
            raise ToolInputError(
                "labels",
                f"labels[{i}] = {label} is out of range for {classes} classes (use 0..{classes - 1}{hint})",
            )
    return torch.tensor(labels, dtype=torch.long)


# ---------------------------------------------------------------------------------------------- tools


def classification_loss(
    logits: Annotated[LogitMatrix, _logits_field("The model's class scores")],
    labels: Annotated[
        list[int],
        Field(min_length=1, max_length=MAX_BATCH, description="The target class index of each row, 0..C−1."),
    ],
    label_smoothing: Annotated[
        float,
        Field(ge=0.0, le=1.0, description="ε: mix the one-hot target with the uniform one, as torch does."),
    ] = 0.0,
    ignore_index: Annotated[
        int,
        Field(
            ge=-(2**31),
            le=2**31 - 1,
            description="A label value whose rows are skipped (torch's default −100: masked SFT tokens).",
        ),
    ] = -100,
) -> ClassificationLossResult:
    """Cross-entropy loss (交叉熵损失) of classification logits against labels, as torch F.cross_entropy.

    The SFT / intent-classification loss: per row −log softmax(z)_y = logsumexp(z) − z_y (nats), then the mean
    over rows whose label is not ignore_index. Returns the mean, each row's loss, target probability and
    argmax, accuracy, and ln C (the loss of a uniform guess) for scale. Numerically stable for large logits.
    logits is [batch][classes], at most 10,000 rows and 1,000,000 numbers.
    """
    import torch

    matrix = _matrix("logits", logits)
    batch, classes = matrix.shape
    targets = _labels(labels, batch, classes, ignore_index)
    counted_mask = targets != ignore_index
    safe_targets = torch.where(counted_mask, targets, 0)

    log_probs = torch.log_softmax(matrix, dim=1)
    nll = -log_probs.gather(1, safe_targets[:, None])[:, 0]
    per_row = (1.0 - label_smoothing) * nll - label_smoothing * log_probs.mean(dim=1)
    per_row = torch.where(counted_mask, per_row, 0.0)
    counted = int(counted_mask.sum())
    mean = per_row.sum().item() / counted if counted else None
    predicted = matrix.argmax(dim=1)
    correct = int(((predicted == targets) & counted_mask).sum())
    target_prob = nll.neg().exp()

    rows = [
        SampleLoss(
            index=i,
            label=labels[i],
            loss=loss,
            label_probability=prob if kept else None,
            predicted=pred,
            ignored=not kept,
        )
        for i, (loss, prob, pred, kept) in enumerate(
            zip(
                per_row.tolist(), target_prob.tolist(), predicted.tolist(), counted_mask.tolist(), strict=True
            )
        )
    ]
    formula = "loss_i = −log softmax(z_i)[y_i] = logsumexp(z_i) − z_i[y_i]"
    if label_smoothing:
        formula = (
            "loss_i = (1 − ε)·(logsumexp(z_i) − z_i[y_i]) + ε·mean_c(logsumexp(z_i) − z_i[c]), "
            f"ε = {label_smoothing:g}"
        )
    formula += "; mean over rows with y_i ≠ ignore_index"
    uniform = math.log(classes)
    if mean is None:
        note = f"every row has label {ignore_index} (ignore_index), so there is no mean (torch returns NaN)."
    else:
        note = (
            f"mean loss {mean:.6g} nats over {counted} row(s) vs ln {classes} = {uniform:.6g} for a uniform "
            "guess; 0 means every target class gets probability 1. Natural log, as torch computes it."
        )
    return ClassificationLossResult(
        mean_loss=mean,
        per_sample=rows,
        counted=counted,
        accuracy=correct / counted if counted else None,
        perplexity=math.exp(mean) if mean is not None and mean < 709.0 else None,
        uniform_loss=uniform,
        classes=classes,
        label_smoothing=label_smoothing,
        formula=formula,
        note=note,
    )


def distillation_loss(
    student_logits: Annotated[LogitMatrix, _logits_field("The student's class scores")],
    teacher_logits: Annotated[LogitMatrix, _logits_field("The teacher's class scores, same shape")],
    temperature: Annotated[
        float,
        Field(
            ge=1e-3,
            le=1000.0,
            description="T: logits are divided by T before the softmax (Hinton et al. use 1–20).",
        ),
    ],
    alpha: Annotated[
        float,
        Field(
            ge=0.0,
            le=1.0,
            description="Weight of the soft (teacher) term; 1 − alpha weights the hard-label term.",
        ),
    ] = 1.0,
    labels: Annotated[
        list[int] | None,
        Field(
            max_length=MAX_BATCH,
            description="Optional true class per row: adds the hard-label cross-entropy, weighted 1 − alpha.",
        ),
    ] = None,
) -> DistillationLossResult:
    """Knowledge-distillation loss (Hinton et al. 2015): T²-scaled KL(teacher‖student) at temperature T.

    soft = T²·KL(softmax(t/T) ‖ softmax(s/T)), averaged over the batch (torch's kl_div 'batchmean'); with
    labels, loss = alpha·soft + (1 − alpha)·CE(s, y) at T = 1. The T² keeps the soft gradients' size
    comparable across temperatures. Returns the total, both terms, per-row terms, the softened teacher's
    entropy and student/teacher argmax agreement. Logits are [batch][classes]; results in nats; numerically
    stable for large logits.
    """
    import torch

    student = _matrix("student_logits", student_logits)
    teacher = _matrix("teacher_logits", teacher_logits)
    if student.shape != teacher.shape:
        raise ToolInputError(
            "teacher_logits",
            f"shape {list(teacher.shape)} differs from student_logits {list(student.shape)}; "
            "both need [batch][classes] with the same classes",
        )
    if alpha < 1.0 and labels is None:
        raise ToolInputError(
            "labels",
            f"alpha = {alpha:g} gives the hard-label term weight {1 - alpha:g}; pass labels or set alpha=1",
        )
    batch, classes = student.shape
    t = temperature
    log_p_teacher = torch.log_softmax(teacher / t, dim=1)
    log_p_student = torch.log_softmax(student / t, dim=1)
    p_teacher = log_p_teacher.exp()
    # Σ p_t·(log p_t − log p_s) per row; where p_t underflows to 0 the term is 0 (both logs stay finite).
    kl_rows = (p_teacher * (log_p_teacher - log_p_student)).sum(dim=1).clamp_min(0.0)
    teacher_entropy = -(p_teacher * log_p_teacher).sum(dim=1).mean().item()
    kl = kl_rows.mean().item()
    soft = t * t * kl

    hard_rows = None
    hard = None
    if labels is not None:
        targets = _labels(labels, batch, classes)
        hard_rows = -torch.log_softmax(student, dim=1).gather(1, targets[:, None])[:, 0]
        hard = hard_rows.mean().item()
    loss = alpha * soft + (1.0 - alpha) * hard if hard is not None else alpha * soft

    teacher_top = teacher.argmax(dim=1)
    student_top = student.argmax(dim=1)
    hard_list = hard_rows.tolist() if hard_rows is not None else [None] * batch
    rows = [
        DistillationSample(index=i, kl=k, soft_loss=t * t * k, hard_loss=h, teacher_top=tt, student_top=st)
        for i, (k, h, tt, st) in enumerate(
            zip(kl_rows.tolist(), hard_list, teacher_top.tolist(), student_top.tolist(), strict=True)
        )
    ]
    formula = f"soft = T²·mean_i KL(softmax(t_i/T) ‖ softmax(s_i/T)), T = {t:g}; loss = α·soft"
    if hard is not None:
        formula += " + (1 − α)·mean_i CE(s_i, y_i)"
    formula += f", α = {alpha:g}"
    notes = [
        f"KL at T = {t:g} is {kl:.6g} nats; × T² = {soft:.6g} (T² keeps gradient size comparable across T)",
        f"the softened teacher's entropy is {teacher_entropy:.6g} nats, at most ln {classes} = "
        f"{math.log(classes):.6g}",
    ]
    if labels is not None and alpha == 1.0:
        notes.append(
            "labels were given but alpha = 1 gives the hard-label term zero weight (reported, not mixed)"
        )
    return DistillationLossResult(
        loss=loss,
        soft_loss=soft,
        kl_divergence=kl,
        hard_loss=hard,
        alpha=alpha,
        temperature=t,
        teacher_entropy=max(0.0, teacher_entropy),
        agreement=float((teacher_top == student_top).double().mean()),
        per_sample=rows,
        formula=formula,
        note="; ".join(notes) + ".",
    )
