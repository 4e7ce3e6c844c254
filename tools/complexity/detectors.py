"""Detectors' counts explained: the data-dependent parts (proposals, detections) chosen and stated, and how
torchvision's measured figures relate to them. No torch at import; the count itself is
:mod:`tools.complexity.zoo.detection`.
"""

from typing import Any

from pydantic import Field

from tools._common import ResultModel
from tools.complexity.zoo.entry import Architecture
from tools.errors import ToolInputError

__all__ = ["DetectionCost", "detection_counts", "detection_rule", "published_counts"]


class DetectionCost(ResultModel):
    """How a detector's count splits into what the image size fixes and what the data decide."""

    network_input: tuple[int, ...] = Field(
        description="What the backbone saw after the model's own resize and padding: [batch, 3, H, W]."
    )
    fixed_macs: int = Field(description="Transform, backbone, FPN and dense heads (RPN or one-stage head).")
    proposals: int = Field(description="Regions per image the box head was counted on (0: one-stage).")
    macs_per_proposal: int = Field(description="Box head + box predictor MACs for one region.")
    detections: int = Field(description="Boxes per image the mask/keypoint head was counted on.")
    macs_per_detection: int = Field(description="Mask or keypoint head MACs for one box.")
    rule: str = Field(description="How the data-dependent parts were handled, in words.")


def published_counts(gmacs: float, cost: DetectionCost) -> str:
    """Which numbers of proposals and detections reproduce torchvision's figure, measured on one real image
    whose NMS kept what it kept."""
    for proposals in dict.fromkeys((cost.proposals, 0)):
        for detections in range(0, max(cost.detections, 100) + 1):
            macs = cost.fixed_macs + proposals * cost.macs_per_proposal + detections * cost.macs_per_detection
            if abs(macs / 1e9 - gmacs) <= 0.0005:
                return (
                    f"that figure is this count with {proposals} proposals and {detections} detections "
                    "(torchvision measured one image: NMS and the score threshold decided how many)"
                )
            if not cost.macs_per_detection:
                break
    return "that figure came from one measured image; the proposals and detections it kept are not known"


def detection_counts(
    arch: Architecture, model: Any, proposals: int | None, detections: int | None
) -> dict[str, int]:
    from tools.complexity.zoo.detection import default_counts, is_two_stage

    most_proposals, most_detections = default_counts(model)
    if proposals is not None and not is_two_stage(model):
        raise ToolInputError("proposals", f"{arch.name} is a one-stage detector: it has no region proposals")
    if detections is not None and not most_detections:
        raise ToolInputError(
            "detections",
            f"{arch.name} has no per-box head (only Mask and Keypoint R-CNN run one per detection)",
        )
    return {
        "proposals": most_proposals if proposals is None else proposals,
        "detections": most_detections if detections is None else detections,
    }


def detection_rule(proposals: int, detections: int) -> str:
    if not proposals:
        return (
            "one-stage detector: every anchor or location of every FPN level goes through the head, so the "
            "count depends on the image size only; box decoding and NMS cost 0 MACs"
        )
    rule = (
        f"two-stage detector: the box head counted on {proposals} proposals per image (the most the RPN "
        "keeps after NMS at test time; fewer on some images, and its MACs scale linearly)"
    )
    if detections:
        rule += f", the mask/keypoint head on {detections} detections per image (the most it returns)"
    return rule + "; RoIAlign, box decoding and NMS cost 0 MACs"
