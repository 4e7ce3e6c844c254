"""detection_metrics against its references: torchvision.ops (IoU, NMS) and pycocotools' COCOeval (AP, mAP),
the reference implementation of COCO's metric (a dev dependency); small cases worked by hand."""

from __future__ import annotations

import contextlib
import io
import random

import pytest

from tools.catalog import call_tool
from tools.detection.metrics import detection_metrics
from tools.errors import ToolInputError


def _coco(predictions: list[dict], ground_truth: list[dict]):
    """pycocotools COCOeval on the same boxes (xyxy → COCO's xywh), maxDets 100, area 'all'."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    labels = sorted({str(b.get("label", 0)) for b in predictions + ground_truth})
    cat = {label: i + 1 for i, label in enumerate(labels)}
    images = sorted({b.get("image", 0) for b in predictions + ground_truth})

    def xywh(box):
        return [box[0], box[1], box[2] - box[0], box[3] - box[1]]

    gt = COCO()
    gt.dataset = {
        "images": [{"id": i + 1} for i in images],
        "categories": [{"id": c} for c in cat.values()],
        "annotations": [
            {"id": n + 1, "image_id": g.get("image", 0) + 1, "category_id": cat[str(g.get("label", 0))],
             "bbox": xywh(g["box"]), "area": xywh(g["box"])[2] * xywh(g["box"])[3], "iscrowd": 0}
            for n, g in enumerate(ground_truth)
        ],
    }  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
        dt = gt.loadRes(
            [
                {"image_id": p.get("image", 0) + 1, "category_id": cat[str(p.get("label", 0))],
                 "bbox": xywh(p["box"]), "score": p["score"]}
                for p in predictions
            ]
        )  # fmt: skip
        evaluator = COCOeval(gt, dt, "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator, cat


def _random_case(seed: int) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    ground_truth, predictions = [], []
    for image in range(rng.randint(1, 3)):
        for _ in range(rng.randint(1, 6)):
            x, y, w, h = rng.uniform(0, 80), rng.uniform(0, 80), rng.uniform(5, 30), rng.uniform(5, 30)
            label = rng.choice(["cat", "dog", "car"])
            ground_truth.append({"box": [x, y, x + w, y + h], "label": label, "image": image})
            for _ in range(rng.randint(0, 3)):  # jittered detections of it, some with the wrong class
                dx, dy = rng.gauss(0, w / 6), rng.gauss(0, h / 6)
                box = [x + dx, y + dy, x + dx + w * rng.uniform(0.7, 1.3), y + dy + h * rng.uniform(0.7, 1.3)]
                wrong = rng.random() < 0.2
                predictions.append(
                    {"box": box, "score": round(rng.random(), 2),  # rounded: ties happen, as in real output
                     "label": rng.choice(["cat", "dog", "car"]) if wrong else label, "image": image}
                )  # fmt: skip
        for _ in range(rng.randint(0, 2)):  # pure false positives
            x, y = rng.uniform(0, 90), rng.uniform(0, 90)
            predictions.append(
                {
                    "box": [x, y, x + 10, y + 10],
                    "score": round(rng.random(), 2),
                    "label": "cat",
                    "image": image,
                }
            )
    return predictions, ground_truth


@pytest.mark.parametrize("seed", range(25))
def test_ap_and_map_equal_pycocotools(seed):
    predictions, ground_truth = _random_case(seed)
    result = detection_metrics(predictions, ground_truth)
    evaluator, cat = _coco(predictions, ground_truth)
    precision = evaluator.eval["precision"]  # [T=10 IoUs, R=101 recalls, K classes, A areas, M maxDets]
    for row in result.classes:
        k = cat[row.label] - 1
        curves = precision[:, :, k, 0, 2]  # area "all", maxDets 100
        if row.ground_truth == 0:
            assert row.ap is None and (curves == -1).all()
            continue
        assert row.ap == pytest.approx(curves[0].mean(), abs=1e-12)  # IoU 0.50
        assert row.ap_coco == pytest.approx(curves.mean(), abs=1e-12)  # IoU 0.50:0.95
    assert result.mean_ap_coco == pytest.approx(evaluator.stats[0], abs=1e-12)  # COCO "AP"
    assert result.mean_ap == pytest.approx(evaluator.stats[1], abs=1e-12)  # COCO "AP50"


def test_iou_matrix_and_nms_are_torchvisions():
    import torch
    from torchvision.ops import box_iou, nms

    predictions, ground_truth = _random_case(3)
    single = [p | {"image": 0, "label": "cat"} for p in predictions]
    result = detection_metrics(single, [g | {"image": 0} for g in ground_truth], nms_iou_threshold=0.4)
    boxes = torch.tensor([p["box"] for p in single], dtype=torch.float64)
    expected = box_iou(boxes, torch.tensor([g["box"] for g in ground_truth], dtype=torch.float64))
    assert result.iou_matrix == expected.tolist()
    scores = torch.tensor([p["score"] for p in single], dtype=torch.float64)
    assert result.kept_indices == sorted(nms(boxes, scores, 0.4).tolist())
    assert sorted(result.kept_indices + result.suppressed_indices) == list(range(len(single)))


def test_a_hand_worked_example():
    # Two objects; three detections. Hand derivation (xyxy):
    #   p0 [0,0,10,10] 0.9 matches g0 exactly (IoU 1) → TP
    #   p1 [1,1,11,11] 0.8: IoU with g0 = 81 / (100 + 100 − 81) = 81/119 = 0.6807; g0 is taken → FP
    #   p2 [50,50,60,60] 0.7 vs g1 [50,52,60,62]: 80 / 120 = 2/3 → TP
    # Ranked TP, FP, TP: precision 1, 1/2, 2/3; recall 1/2, 1/2, 1. The envelope makes precision 1 up to
    # recall ½ and 2/3 beyond: AP50 = (51·1 + 50·⅔)/101 = 0.8350. With NMS at 0.5, p1 (IoU 0.68 with p0) goes
    # first and AP50 = 1.
    predictions = [
        {"box": [0, 0, 10, 10], "score": 0.9},
        {"box": [1, 1, 11, 11], "score": 0.8},
        {"box": [50, 50, 60, 60], "score": 0.7},
    ]
    ground_truth = [{"box": [0, 0, 10, 10]}, {"box": [50, 52, 60, 62]}]
    plain = detection_metrics(predictions, ground_truth)
    assert [m.outcome for m in plain.matches] == ["tp", "fp", "tp"]
    assert plain.iou_matrix[1][0] == pytest.approx(81 / 119)
    assert plain.classes[0].ap == pytest.approx((51 + 50 * 2 / 3) / 101)
    assert (plain.classes[0].precision, plain.classes[0].recall) == (pytest.approx(2 / 3), 1.0)
    pruned = detection_metrics(predictions, ground_truth, nms_iou_threshold=0.5)
    assert pruned.suppressed_indices == [1] and pruned.matches[1].outcome == "suppressed"
    assert pruned.mean_ap == 1.0


def test_other_box_formats_are_converted():
    xyxy = detection_metrics([{"box": [10, 20, 30, 60], "score": 1.0}], [{"box": [10, 20, 30, 50]}])
    xywh = detection_metrics(
        [{"box": [10, 20, 20, 40], "score": 1.0}], [{"box": [10, 20, 20, 30]}], box_format="xywh"
    )
    cxcywh = detection_metrics(
        [{"box": [20, 40, 20, 40], "score": 1.0}], [{"box": [20, 35, 20, 30]}], box_format="cxcywh"
    )
    assert xyxy.iou_matrix == xywh.iou_matrix == cxcywh.iou_matrix == [[0.75]]  # 600 / 800, exact in binary


def test_classes_without_ground_truth_do_not_count_in_the_mean():
    result = detection_metrics(
        [
            {"box": [0, 0, 1, 1], "score": 0.5, "label": "ghost"},
            {"box": [0, 0, 1, 1], "score": 0.5, "label": 1},
        ],
        [{"box": [0, 0, 1, 1], "label": 1}],
    )
    by_label = {c.label: c for c in result.classes}
    assert by_label["ghost"].ap is None and by_label["ghost"].false_positives == 1
    assert by_label["1"].ap == 1.0 and result.mean_ap == 1.0


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"predictions": [{"box": [0, 0, 1], "score": 1}]}, "predictions.0.box"),
        ({"predictions": [{"box": [5, 0, 1, 1], "score": 1}]}, "predictions[0].box"),
        ({"predictions": [], "ground_truth": [{"box": [0, 5, 1, 1]}]}, "ground_truth[0].box"),
        ({"predictions": [], "iou_threshold": 0}, "iou_threshold"),
        ({"predictions": [{"box": [0, 0, 1, 1], "score": float("nan")}]}, "predictions.0.score"),
        ({"predictions": [{"box": [0, 0, 1, 1], "score": 1}] * 1001}, "predictions"),
        ({"predictions": [], "box_format": "yolo"}, "box_format"),
    ],
)
def test_bad_input_names_the_field(arguments, field):
    with pytest.raises(ToolInputError) as err:
        call_tool("detection_metrics", arguments)
    assert err.value.field == field


def test_importing_the_tool_imports_no_torch():
    import subprocess
    import sys

    code = "import sys, tools.detection.metrics; print('torch' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    )
