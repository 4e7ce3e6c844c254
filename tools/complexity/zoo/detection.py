"""Counting torchvision's detectors on the meta device, with their data-dependent parts made explicit.

A detector's forward pass cannot run on meta: which anchors become proposals, which proposals survive
non-maximum suppression (NMS) and which boxes pass the score threshold depend on values a meta tensor does not
have. What they cost does not depend on values, only on how many there are, so the count runs the model stage
by stage and fixes those numbers:

- the model's own transform (resize and pad), the backbone with its FPN and the dense head (RPN head,
  RetinaNet/FCOS/SSD heads) run as they are: their cost depends on the image size only;
- a two-stage detector's box head runs on ``proposals`` regions per image (default: the most the RPN keeps at
  test time, ``rpn.post_nms_top_n``), its mask or keypoint head on ``detections`` boxes per image (default:
  the most it returns, ``roi_heads.detections_per_img``);
- box decoding, NMS, RoIAlign and mask pasting cost 0 MACs in the convention (no multiply-accumulate of a
  convolution, matmul or attention) and are skipped.

Importing this module imports torch; the tools import it inside their functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from tools.complexity.zoo.counting import Count, count_module

__all__ = ["DetectionCount", "count_detector", "default_counts", "is_two_stage"]


@dataclass(frozen=True)
class DetectionCount:
    """A detector's count, split into the part fixed by the image size and the per-region parts."""

    count: Count
    """Totals (and per-module records) for the stated numbers of proposals and detections."""
    network_input: tuple[int, ...]
    """What the backbone saw after the model's own resize and padding: [batch, 3, H, W]."""
    fixed_macs: int
    """Transform, backbone, FPN and dense heads: everything whose cost the image size alone decides."""
    proposals: int
    """Regions per image the box head ran on (0 for a one-stage detector)."""
    macs_per_proposal: int
    """Box head and box predictor MACs for one region."""
    detections: int
    """Boxes per image the mask or keypoint head ran on (0 when the model has neither)."""
    macs_per_detection: int
    """Mask or keypoint head MACs for one box."""


def is_two_stage(model: Any) -> bool:
    """True for the R-CNN family (a region proposal network and RoI heads)."""
    return hasattr(model, "rpn") and hasattr(model, "roi_heads")


def default_counts(model: Any) -> tuple[int, int]:
    """(proposals, detections) per image at their test-time maxima: RPN post-NMS top-n, detections_per_img."""
    if not is_two_stage(model):
        return 0, 0
    heads = model.roi_heads
    has_second_head = heads.has_mask() or heads.has_keypoint()
    return int(model.rpn._post_nms_top_n["testing"]), int(heads.detections_per_img) if has_second_head else 0


def _roi_input(pool: Any, channels: int, regions: int) -> torch.Tensor:
    return torch.empty((regions, channels, *pool.output_size), device="meta")


def _heads(model: Any) -> tuple[nn.Module, Any] | None:
    """The second-stage head run per detected box (mask or keypoint), with its RoI pooler."""
    heads = model.roi_heads
    if heads.has_mask():
        return nn.Sequential(heads.mask_head, heads.mask_predictor), heads.mask_roi_pool
    if heads.has_keypoint():
        return nn.Sequential(heads.keypoint_head, heads.keypoint_predictor), heads.keypoint_roi_pool
    return None


def _macs(run: Any) -> int:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        run()
    return counter.get_total_flops() // 2


def count_detector(
    model: Any, batch: int, side: int, *, proposals: int, detections: int, per_module: bool
) -> DetectionCount:
    """Count a torchvision detector (built on meta) on ``batch`` square images of side ``side``."""
    shapes: dict[str, tuple[int, ...]] = {}

    def forward(net: Any, x: torch.Tensor) -> object:
        images, _ = net.transform(list(x))
        shapes["input"] = tuple(images.tensors.shape)
        features = net.backbone(images.tensors)
        if isinstance(features, torch.Tensor):
            features = {"0": features}
        levels = list(features.values())
        if not is_two_stage(net):
            return net.head(levels)
        net.rpn.head(levels)
        channels = levels[0].shape[1]
        heads = net.roi_heads
        boxes = heads.box_predictor(
            heads.box_head(_roi_input(heads.box_roi_pool, channels, batch * proposals))
        )
        second = _heads(net)
        if second is not None and detections:
            second[0](_roi_input(second[1], channels, batch * detections))
        return boxes

    count = count_module(model, (batch, 3, side, side), per_module=per_module, forward=forward)
    per_proposal = per_detection = 0
    if is_two_stage(model):
        heads = model.roi_heads
        channels = model.backbone.out_channels
        roi = _roi_input(heads.box_roi_pool, channels, 1)
        per_proposal = _macs(lambda: heads.box_predictor(heads.box_head(roi)))
        second = _heads(model)
        if second is not None:
            one = _roi_input(second[1], channels, 1)
            per_detection = _macs(lambda: second[0](one))
    fixed = count.macs - batch * (proposals * per_proposal + detections * per_detection)
    return DetectionCount(
        count=count,
        network_input=shapes["input"],
        fixed_macs=fixed,
        proposals=proposals,
        macs_per_proposal=per_proposal,
        detections=detections,
        macs_per_detection=per_detection,
    )
