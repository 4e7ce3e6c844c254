"""Detection metrics (检测评估): IoU matrices, non-maximum suppression and COCO-style precision / recall /
AP for a small set of predicted boxes against ground truth.

IoU and NMS are torchvision's own operators (``torchvision.ops.box_iou``, ``batched_nms``); matching and AP
follow COCO's evaluation (pycocotools ``COCOeval``: greedy matching by score, 101-point interpolated AP), and
the tests compare every number with pycocotools. torch loads inside the tool.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from tools._common import ResultModel
from tools.errors import ToolInputError

__all__ = [
    "ClassAP",
    "DetectionMetricsResult",
    "GroundTruthBox",
    "MatchRow",
    "PredictedBox",
    "detection_metrics",
]

MAX_BOXES = 1000
_MAX_MATRIX = 100  # IoU matrices are returned up to 100 × 100
_COORD = Annotated[float, Field(ge=-1e6, le=1e6, allow_inf_nan=False)]
_Box = Annotated[list[_COORD], Field(min_length=4, max_length=4, description="Four numbers, in box_format.")]
_Label = Annotated[str | int, Field(description="Class (a name or an id).")]
_Image = Annotated[int, Field(ge=0, le=10_000, description="Which image the box belongs to (default 0).")]
#: COCO's IoU thresholds 0.50:0.05:0.95 for "AP" (mAP@[.5:.95]).
COCO_THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PredictedBox(_Spec):
    """One detection: a box with a score and a class."""

    box: _Box
    score: Annotated[
        float,
        Field(
            ge=-1e9,
            le=1e9,
            allow_inf_nan=False,
            description="Confidence; higher first. Default 1: boxes given without scores (to read their IoU) "
            "rank in the order given.",
        ),
    ] = 1.0
    label: _Label = 0
    image: _Image = 0


class GroundTruthBox(_Spec):
    """One annotated object."""

    box: _Box
    label: _Label = 0
    image: _Image = 0


class MatchRow(ResultModel):
    """What one prediction became at the matching IoU threshold."""

    index: int = Field(description="Position in `predictions`.")
    label: str = Field(description="Its class.")
    score: float = Field(description="Its score.")
    kept_by_nms: bool = Field(description="False when NMS suppressed it (then it is not evaluated).")
    outcome: Literal["tp", "fp", "suppressed", "beyond_max"] = Field(
        description="tp: matched a ground-truth box; fp: matched none; suppressed by NMS; beyond_max: past "
        "the per-image cap (max_detections)."
    )
    matched_ground_truth: int | None = Field(description="Index in `ground_truth` of the box it matched.")
    iou: float | None = Field(description="IoU with the matched box.")


class ClassAP(ResultModel):
    """Precision, recall and AP of one class."""

    label: str = Field(description="The class.")
    ground_truth: int = Field(description="Ground-truth boxes of this class.")
    predictions: int = Field(description="Predictions evaluated (after NMS and the per-image cap).")
    true_positives: int = Field(description="At the matching IoU threshold.")
    false_positives: int = Field(description="At the matching IoU threshold.")
    precision: float | None = Field(description="TP / predictions at the end of the ranked list; null: none.")
    recall: float | None = Field(description="TP / ground truth; null when the class has no ground truth.")
    ap: float | None = Field(
        description="AP at iou_threshold: 101-point interpolated area under precision–recall (COCO); null "
        "when the class has no ground truth."
    )
    ap_coco: float | None = Field(description="AP averaged over IoU 0.50:0.05:0.95 (COCO's AP).")


class DetectionMetricsResult(ResultModel):
    """IoU matrix, NMS outcome and per-class precision / recall / AP."""

    box_format: str = Field(description="How the input boxes were read.")
    iou_matrix: list[list[float | None]] | None = Field(
        description="IoU of each prediction (rows) with each ground-truth box (columns); null entries pair "
        "boxes of different images; omitted beyond 100 × 100 or without ground truth."
    )
    nms_iou_threshold: float | None = Field(description="The NMS threshold applied, if any.")
    kept_indices: list[int] = Field(description="Predictions kept by NMS (all when no NMS was asked).")
    suppressed_indices: list[int] = Field(description="Predictions NMS removed.")
    iou_threshold: float = Field(description="IoU at which a prediction matches a ground-truth box.")
    matches: list[MatchRow] = Field(description="One row per prediction, in input order.")
    classes: list[ClassAP] = Field(description="One row per class that has boxes, sorted by label.")
    mean_ap: float | None = Field(description="Mean AP at iou_threshold over classes with ground truth.")
    mean_ap_coco: float | None = Field(
        description="Mean AP over IoU 0.50:0.05:0.95 and classes with ground truth (COCO's headline AP)."
    )
    method: str = Field(description="How matching and AP are computed.")


_PREDICTIONS = TypeAdapter(list[PredictedBox])
_GROUND_TRUTH = TypeAdapter(list[GroundTruthBox])


def _xyxy(boxes: Sequence[Sequence[float]], box_format: str, field: str) -> list[list[float]]:
    import torch
    from torchvision.ops import box_convert

    if not boxes:
        return []
    tensor = box_convert(torch.tensor(boxes, dtype=torch.float64), in_fmt=box_format, out_fmt="xyxy")
    for index, (x1, y1, x2, y2) in enumerate(tensor.tolist()):
        if x2 < x1 or y2 < y1:
            raise ToolInputError(
                f"{field}[{index}].box", f"has negative width or height in {box_format} ({boxes[index]})"
            )
    return tensor.tolist()


def _coco_ap(ranked_tp: list[bool], ground_truth: int) -> float:
    """COCO's 101-point interpolated AP of one class at one IoU threshold (COCOeval.accumulate)."""
    if ground_truth == 0:
        return math.nan
    tp = fp = 0
    recall, precision = [], []
    for hit in ranked_tp:
        tp, fp = tp + hit, fp + (not hit)
        recall.append(tp / ground_truth)
        precision.append(tp / (tp + fp))
    for i in range(len(precision) - 2, -1, -1):  # the envelope: precision made non-increasing
        precision[i] = max(precision[i], precision[i + 1])
    total = 0.0
    j = 0
    for k in range(101):
        level = k * 0.01 if k < 100 else 1.0  # numpy.linspace(0, 1, 101), bit for bit, as COCOeval uses
        while j < len(recall) and recall[j] < level:
            j += 1
        total += precision[j] if j < len(recall) else 0.0
    return total / 101


def _match(
    preds: list[int], gts: list[int], iou: list[list[float]], threshold: float
) -> dict[int, tuple[int, float] | None]:
    """COCO's greedy matching within one image and class: predictions by descending score (stable), each to
    the unmatched ground-truth box of highest IoU ≥ threshold."""
    taken: set[int] = set()
    result: dict[int, tuple[int, float] | None] = {}
    for p in preds:
        best, best_iou = None, min(threshold, 1 - 1e-10)
        for g in gts:
            if g in taken or iou[p][g] < best_iou:
                continue
            best, best_iou = g, iou[p][g]
        result[p] = None if best is None else (best, iou[p][best])
        if best is not None:
            taken.add(best)
    return result


def detection_metrics(
    predictions: Annotated[
        list[PredictedBox],
        Field(max_length=MAX_BOXES, description="Detections: {box, score, label?, image?} each."),
    ],
    ground_truth: Annotated[
        list[GroundTruthBox],
        Field(max_length=MAX_BOXES, description="Annotated boxes: {box, label?, image?} each."),
    ] = [],  # noqa: B006 - pydantic copies defaults; the tool never mutates it
    box_format: Annotated[
        Literal["xyxy", "xywh", "cxcywh"],
        Field(description="xyxy = [x1, y1, x2, y2]; xywh = [x, y, width, height]; cxcywh = centre and size."),
    ] = "xyxy",
    iou_threshold: Annotated[
        float,
        Field(gt=0, le=1, description="IoU needed for a prediction to match (0.5 = PASCAL VOC's AP50)."),
    ] = 0.5,
    nms_iou_threshold: Annotated[
        float | None,
        Field(
            gt=0, le=1, description="Run NMS per image and class first, suppressing IoU > this; null: none."
        ),
    ] = None,
    max_detections: Annotated[
        int,
        Field(
            ge=1,
            le=MAX_BOXES,
            description="Highest-scoring predictions evaluated per image and class (COCO: 100).",
        ),
    ] = 100,
) -> DetectionMetricsResult:
    """IoU matrix (交并比), non-maximum suppression (非极大值抑制), precision / recall / AP / mAP (平均精度)
    of an object detector's detections (目标检测) against ground-truth boxes.

    IoU and NMS are torchvision.ops (box_iou, batched_nms per image and class). Evaluation follows COCO:
    predictions of a class ranked by score, each matched to the unmatched ground-truth box of highest IoU ≥
    iou_threshold in its image; AP is the 101-point interpolated area under the precision–recall curve; mAP
    averages classes that have ground truth; mean_ap_coco averages IoU 0.50:0.05:0.95 as well (COCO's "AP").
    """
    import torch
    from torchvision.ops import batched_nms, box_iou

    predictions = _PREDICTIONS.validate_python(predictions)  # direct callers may pass plain dicts
    ground_truth = _GROUND_TRUTH.validate_python(ground_truth)
    pred_xyxy = _xyxy([p.box for p in predictions], box_format, "predictions")
    gt_xyxy = _xyxy([g.box for g in ground_truth], box_format, "ground_truth")
    labels = sorted({str(p.label) for p in predictions} | {str(g.label) for g in ground_truth})
    label_id = {label: i for i, label in enumerate(labels)}

    kept = list(range(len(predictions)))
    if nms_iou_threshold is not None and predictions:
        groups = torch.tensor([p.image * len(labels) + label_id[str(p.label)] for p in predictions])
        scores = torch.tensor([p.score for p in predictions], dtype=torch.float64)
        kept = sorted(
            batched_nms(
                torch.tensor(pred_xyxy, dtype=torch.float64), scores, groups, nms_iou_threshold
            ).tolist()
        )
    suppressed = sorted(set(range(len(predictions))) - set(kept))

    iou = (
        box_iou(
            torch.tensor(pred_xyxy, dtype=torch.float64), torch.tensor(gt_xyxy, dtype=torch.float64)
        ).tolist()
        if predictions and ground_truth
        else [[] for _ in predictions]
    )
    # per image and class: the max_detections highest scores among the kept predictions (COCO's maxDets)
    evaluated: set[int] = set()
    for image, label in {(p.image, str(p.label)) for p in predictions}:
        same = (i for i in kept if predictions[i].image == image and str(predictions[i].label) == label)
        evaluated.update(sorted(same, key=lambda i: (-predictions[i].score, i))[:max_detections])

    thresholds = sorted({iou_threshold, *COCO_THRESHOLDS})
    outcome: dict[float, dict[int, tuple[int, float] | None]] = {t: {} for t in thresholds}
    for image in {p.image for p in predictions} | {g.image for g in ground_truth}:
        for label in labels:
            preds = sorted(
                (
                    i
                    for i in evaluated
                    if predictions[i].image == image and str(predictions[i].label) == label
                ),
                key=lambda i: (-predictions[i].score, i),
            )
            gts = [j for j, g in enumerate(ground_truth) if g.image == image and str(g.label) == label]
            for t in thresholds:
                outcome[t].update(_match(preds, gts, iou, t))

    classes = []
    for label in labels:
        # ranked over all images by score; ties by image, then input order (COCOeval.accumulate's stable sort)
        members = sorted(
            (i for i in evaluated if str(predictions[i].label) == label),
            key=lambda i: (-predictions[i].score, predictions[i].image, i),
        )
        n_gt = sum(str(g.label) == label for g in ground_truth)
        aps = {t: _coco_ap([outcome[t][i] is not None for i in members], n_gt) for t in thresholds}
        tp = sum(outcome[iou_threshold][i] is not None for i in members)
        classes.append(
            ClassAP(
                label=label,
                ground_truth=n_gt,
                predictions=len(members),
                true_positives=tp,
                false_positives=len(members) - tp,
                precision=tp / len(members) if members else None,
                recall=tp / n_gt if n_gt else None,
                ap=None if n_gt == 0 else aps[iou_threshold],
                ap_coco=None if n_gt == 0 else sum(aps[t] for t in COCO_THRESHOLDS) / len(COCO_THRESHOLDS),
            )
        )

    rows = []
    for i, p in enumerate(predictions):
        match = outcome[iou_threshold].get(i)
        state = (
            "suppressed"
            if i in suppressed
            else "beyond_max"
            if i not in evaluated
            else "tp"
            if match
            else "fp"
        )
        rows.append(
            MatchRow(
                index=i,
                label=str(p.label),
                score=p.score,
                kept_by_nms=i not in suppressed,
                outcome=state,
                matched_ground_truth=match[0] if match else None,
                iou=match[1] if match else None,
            )
        )
    scored = [c for c in classes if c.ap is not None]
    matrix = None
    if ground_truth and predictions and len(predictions) <= _MAX_MATRIX and len(ground_truth) <= _MAX_MATRIX:
        matrix = [
            [iou[i][j] if p.image == g.image else None for j, g in enumerate(ground_truth)]
            for i, p in enumerate(predictions)
        ]
    return DetectionMetricsResult(
        box_format=box_format,
        iou_matrix=matrix,
        nms_iou_threshold=nms_iou_threshold,
        kept_indices=kept,
        suppressed_indices=suppressed,
        iou_threshold=iou_threshold,
        matches=rows,
        classes=classes,
        mean_ap=sum(c.ap for c in scored) / len(scored) if scored else None,  # type: ignore[misc]
        mean_ap_coco=sum(c.ap_coco for c in scored) / len(scored) if scored else None,  # type: ignore[misc]
        method=(
            "COCO evaluation (pycocotools COCOeval): per image and class, predictions by descending score "
            "each match the unmatched ground-truth box of highest IoU ≥ the threshold; AP = mean of the "
            "non-increasing precision at recall 0, 0.01, …, 1; mAP over classes with ground truth; "
            f"at most {max_detections} predictions per image and class"
            + (f"; NMS per image and class at IoU > {nms_iou_threshold:g} first" if nms_iou_threshold else "")
        ),
    )
