"""Every torchvision builder is countable, and its counts equal torchvision's own weight metadata.

Reference: ``torchvision.models.get_model_weights(name)`` — each weights entry's ``meta["num_params"]``
(exact) and ``meta["_ops"]`` (GFLOPS = GMACs in our convention, to 3 decimals), at the size its transforms
use. The metadata ships with torchvision: nothing is downloaded. Each (model, size) is counted once per
process (the tool caches), so the ~165 weights entries cost ~125 counts.
"""

from __future__ import annotations

import pytest

from tools.complexity.backbones import list_architectures, model_complexity
from tools.complexity.zoo.registry import ARCHITECTURES, resolve_architecture
from tools.errors import ToolInputError

TORCHVISION = [arch for arch in ARCHITECTURES if arch.registered_name is not None]

#: torchvision measured its detectors on one image, so a two-stage detector's figure holds the proposals and
#: detections that image kept after NMS and the score threshold: each is the RPN's test-time maximum or 0, and
#: 0, 1 or 100 detections. These are the counts that reproduce each published figure to its 3 decimals (the
#: fixed part, the per-proposal and the per-detection costs are ours; the figure is torchvision's).
PUBLISHED_REGIONS = {
    ("fasterrcnn_resnet50_fpn", "COCO_V1"): (1000, None),
    ("fasterrcnn_resnet50_fpn_v2", "COCO_V1"): (1000, None),
    ("fasterrcnn_mobilenet_v3_large_fpn", "COCO_V1"): (0, None),
    ("fasterrcnn_mobilenet_v3_large_320_fpn", "COCO_V1"): (0, None),
    ("maskrcnn_resnet50_fpn", "COCO_V1"): (1000, 0),
    ("maskrcnn_resnet50_fpn_v2", "COCO_V1"): (1000, 100),
    ("keypointrcnn_resnet50_fpn", "COCO_LEGACY"): (1000, 0),
    ("keypointrcnn_resnet50_fpn", "COCO_V1"): (1000, 1),
}


def _side(arch, weights) -> int:
    transforms = weights.transforms()
    sides = getattr(transforms, "crop_size", None) or getattr(transforms, "resize_size", None)
    return arch.input_size if sides is None else sides[-1]


def _documented():
    from torchvision.models import get_model_weights

    for arch in TORCHVISION:
        for weights in get_model_weights(arch.registered_name):
            yield pytest.param(arch, weights, id=f"{arch.registered_name}-{weights.name}")


def test_the_zoo_holds_exactly_torchvisions_builders():
    from torchvision.models import list_models

    assert sorted(arch.registered_name for arch in TORCHVISION) == sorted(list_models())
    assert len({arch.name for arch in ARCHITECTURES}) == len(ARCHITECTURES)  # display names are unique


def test_documented_sides_match_the_weights_transforms():
    from torchvision.models import get_model_weights

    for arch in TORCHVISION:
        sides = {_side(arch, weights) for weights in get_model_weights(arch.registered_name)}
        assert arch.input_size in sides or arch.task == "detection", arch.name


@pytest.mark.parametrize(("arch", "weights"), list(_documented()))
def test_counts_equal_torchvision_metadata(arch, weights):
    meta = weights.meta
    side = _side(arch, weights)
    regions: dict[str, int] = {}
    if (arch.registered_name, weights.name) in PUBLISHED_REGIONS:
        proposals, detections = PUBLISHED_REGIONS[arch.registered_name, weights.name]
        regions = {"proposals": proposals} | ({} if detections is None else {"detections": detections})
    result = model_complexity(arch.name, input_size=side, **regions)
    assert result.params == meta["num_params"]
    assert abs(result.gmacs - meta["_ops"]) <= 0.0005, (result.gmacs, meta["_ops"])


def test_each_family_the_issue_names_resolves_to_its_own_model():
    cases = {
        "resnext50_32x4d": "ResNeXt-50 32x4d", "ResNeXt-50": "ResNeXt-50 32x4d",
        "wide_resnet50_2": "Wide ResNet-50-2", "Wide ResNet-50-2": "Wide ResNet-50-2",
        "convnext_tiny": "ConvNeXt-Tiny", "ConvNeXt-T": "ConvNeXt-Tiny",
        "Swin-T": "Swin-T", "swin_t": "Swin-T",
        "regnet_y_400mf": "RegNetY-400MF", "RegNetY-400MF": "RegNetY-400MF",
        "shufflenet_v2_x1_0": "ShuffleNetV2 1.0x", "ShuffleNet V2 1.0x": "ShuffleNetV2 1.0x",
        "squeezenet1_0": "SqueezeNet 1.0", "SqueezeNet 1.0": "SqueezeNet 1.0", "mnasnet1_0": "MnasNet-1.0",
        "inception_v3": "Inception-v3", "Inception-v3": "Inception-v3",
        "Mask R-CNN": "Mask R-CNN ResNet-50 FPN", "fasterrcnn_resnet50_fpn": "Faster R-CNN ResNet-50 FPN",
        "RAFT": "RAFT-Large", "R(2+1)D-18": "R(2+1)D-18",
    }  # fmt: skip
    for name, canonical in cases.items():
        assert resolve_architecture(name).name == canonical, name


@pytest.mark.parametrize(
    ("name", "family", "never"),
    [
        ("ResNeXt-51", "ResNeXt", "ResNet-50"),  # issue #11: once "closest: ResNet-50"
        ("Wide-ResNet-51", "Wide ResNet", "ResNet-50"),
        ("SqueezeNet", "SqueezeNet", "ResNet-101"),  # issue #11: once "closest: ResNet-101"
        ("swin_x", "Swin", "ResNet"),
    ],
)
def test_suggestions_stay_in_the_family_named(name, family, never):
    with pytest.raises(ToolInputError) as err:
        resolve_architecture(name)
    closest = err.value.reason.split("closest: ", 1)[1].split(" (list_architectures", 1)[0].split(", ")
    assert closest and all(entry.startswith(family) for entry in closest), closest
    assert never not in closest


def test_list_architectures_says_which_entries_are_curated():
    listing = list_architectures()
    assert (
        len(listing.architectures) == len(ARCHITECTURES) == 123
    )  # 121 torchvision builders + LeNet-5, MobileNetV1
    curated = [a for a in listing.architectures if a.curated]
    assert listing.curated_count == len(curated) == 27
    assert all(a.key_idea and a.paper and a.year for a in curated)
    assert all(a.key_idea is None for a in listing.architectures if not a.curated)
    detectors = list_architectures(task="detection").architectures
    assert len(detectors) == 12 and {a.task for a in detectors} == {"detection"}
    assert [a.name for a in list_architectures(curated_only=True).architectures] == [a.name for a in curated]


def test_video_and_flow_inputs_are_stated():
    clip = model_complexity("r3d_18")
    assert clip.input_shape == (1, 3, 16, 112, 112)  # torchvision's Kinetics-400 clips: 16 frames
    assert "16 frames" in clip.note
    assert "two frames" in model_complexity("raft_small").note


def test_region_counts_apply_to_two_stage_detectors_only():
    with pytest.raises(ToolInputError) as err:
        model_complexity("resnet50", proposals=10)
    assert err.value.field == "proposals"
    with pytest.raises(ToolInputError, match="one-stage") as err:
        model_complexity("retinanet_resnet50_fpn", proposals=10)
    with pytest.raises(ToolInputError, match="no per-box head") as err:
        model_complexity("fasterrcnn_resnet50_fpn", detections=5)
    assert err.value.field == "detections"
