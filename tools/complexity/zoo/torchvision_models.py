"""Every torchvision builder the curated zoo does not cover, as zoo entries: countable, with forgiving names.

A static table (importing it imports no torch): builder name, display name, family, task, documented input
side, smallest side and extra names. A test compares it with ``torchvision.models.list_models()`` and each
input side with the weights' transforms, so a torchvision upgrade that adds a builder fails loudly here.
The documented figures (parameters, GFLOPS) are never stored: they are read from the weights' metadata.
"""

from __future__ import annotations

from tools.complexity.zoo.entry import Architecture, Task

__all__ = ["TORCHVISION_ARCHITECTURES"]

_CLS: Task = "classification"
_DET: Task = "detection"
_SEG: Task = "segmentation"
_VID: Task = "video"
_FLOW: Task = "optical_flow"

# builder, display name, family, task, documented input side, smallest side, extra names
_ROWS: tuple[tuple[str, str, str, Task, int, int, tuple[str, ...]], ...] = (
    # classification
    ("convnext_tiny", "ConvNeXt-Tiny", "ConvNeXt", _CLS, 224, 32, ("ConvNeXt-T",)),
    ("convnext_small", "ConvNeXt-Small", "ConvNeXt", _CLS, 224, 32, ("ConvNeXt-S",)),
    ("convnext_base", "ConvNeXt-Base", "ConvNeXt", _CLS, 224, 32, ("ConvNeXt-B",)),
    ("convnext_large", "ConvNeXt-Large", "ConvNeXt", _CLS, 224, 32, ("ConvNeXt-L",)),
    ("densenet161", "DenseNet-161", "DenseNet", _CLS, 224, 29, ()),
    ("densenet201", "DenseNet-201", "DenseNet", _CLS, 224, 29, ()),
    ("efficientnet_v2_s", "EfficientNetV2-S", "EfficientNetV2", _CLS, 384, 33, ()),
    ("efficientnet_v2_m", "EfficientNetV2-M", "EfficientNetV2", _CLS, 480, 33, ()),
    ("efficientnet_v2_l", "EfficientNetV2-L", "EfficientNetV2", _CLS, 480, 33, ()),
    ("inception_v3", "Inception-v3", "Inception", _CLS, 299, 75, ("inceptionv3", "googlenetv3")),
    ("maxvit_t", "MaxViT-T", "MaxViT", _CLS, 224, 224, ("MaxViT-Tiny",)),
    ("mnasnet0_5", "MnasNet-0.5", "MnasNet", _CLS, 224, 1, ()),
    ("mnasnet0_75", "MnasNet-0.75", "MnasNet", _CLS, 224, 1, ()),
    ("mnasnet1_0", "MnasNet-1.0", "MnasNet", _CLS, 224, 1, ("mnasnet1", "mnasneta1")),
    ("mnasnet1_3", "MnasNet-1.3", "MnasNet", _CLS, 224, 1, ()),
    *(
        (f"regnet_{kind}_{size}", f"RegNet{kind.upper()}-{size.upper().replace('_', '.')}", "RegNet",
         _CLS, 224, 1, ())
        for kind, sizes in (
            ("x", ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf")),
            ("y", ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf", "128gf")),
        )
        for size in sizes
    ),
    ("resnext50_32x4d", "ResNeXt-50 32x4d", "ResNeXt", _CLS, 224, 1, ("resnext50", "ResNeXt-50")),
    ("resnext101_32x8d", "ResNeXt-101 32x8d", "ResNeXt", _CLS, 224, 1, ()),
    ("resnext101_64x4d", "ResNeXt-101 64x4d", "ResNeXt", _CLS, 224, 1, ()),
    *(
        (f"shufflenet_v2_x{w.replace('.', '_')}", f"ShuffleNetV2 {w}x", "ShuffleNetV2", _CLS, 224, 1,
         (f"shufflenetv2 x{w}", f"shufflenet v2 {w}", f"shufflenetv2 {w}x",
          # the paper's main model, and torchvision's: what "ShuffleNet V2" with no width means
          *(("shufflenet v2",) if w == "1.0" else ())))
        for w in ("0.5", "1.0", "1.5", "2.0")
    ),
    ("squeezenet1_0", "SqueezeNet 1.0", "SqueezeNet", _CLS, 224, 21, ("squeezenet v1.0",)),
    ("squeezenet1_1", "SqueezeNet 1.1", "SqueezeNet", _CLS, 224, 17, ("squeezenet v1.1",)),
    ("swin_t", "Swin-T", "Swin Transformer", _CLS, 224, 224, ("swin tiny", "swin transformer t")),
    ("swin_s", "Swin-S", "Swin Transformer", _CLS, 224, 224, ("swin small", "swin transformer s")),
    ("swin_b", "Swin-B", "Swin Transformer", _CLS, 224, 224, ("swin base", "swin transformer b")),
    ("swin_v2_t", "Swin-V2-T", "Swin Transformer V2", _CLS, 256, 256, ("swinv2 tiny",)),
    ("swin_v2_s", "Swin-V2-S", "Swin Transformer V2", _CLS, 256, 256, ("swinv2 small",)),
    ("swin_v2_b", "Swin-V2-B", "Swin Transformer V2", _CLS, 256, 256, ("swinv2 base",)),
    *((f"vgg{d}_bn", f"VGG{d}-BN", "VGG", _CLS, 224, 32, (f"vgg{d} bn",)) for d in (11, 13, 16, 19)),
    ("vit_b_32", "ViT-B/32", "ViT", _CLS, 224, 32, ("vit base 32",)),
    ("vit_l_16", "ViT-L/16", "ViT", _CLS, 224, 16, ("vit large 16",)),
    ("vit_l_32", "ViT-L/32", "ViT", _CLS, 224, 32, ("vit large 32",)),
    ("vit_h_14", "ViT-H/14", "ViT", _CLS, 224, 14, ("vit huge 14",)),
    ("wide_resnet50_2", "Wide ResNet-50-2", "Wide ResNet", _CLS, 224, 1, ("wrn50", "wide resnet 50")),
    ("wide_resnet101_2", "Wide ResNet-101-2", "Wide ResNet", _CLS, 224, 1, ("wrn101",)),
    # quantizable classification networks, counted as the float model before quantization
    *(
        (f"quantized_{name}", f"{label} (quantizable)", family, _CLS, size, low, ())
        for name, label, family, size, low in (
            ("googlenet", "GoogLeNet", "GoogLeNet", 224, 15),
            ("inception_v3", "Inception-v3", "Inception", 299, 75),
            ("mobilenet_v2", "MobileNetV2", "MobileNet", 224, 1),
            ("mobilenet_v3_large", "MobileNetV3-Large", "MobileNet", 224, 1),
            ("resnet18", "ResNet-18", "ResNet", 224, 1),
            ("resnet50", "ResNet-50", "ResNet", 224, 1),
            ("resnext101_32x8d", "ResNeXt-101 32x8d", "ResNeXt", 224, 1),
            ("resnext101_64x4d", "ResNeXt-101 64x4d", "ResNeXt", 224, 1),
            ("shufflenet_v2_x0_5", "ShuffleNetV2 0.5x", "ShuffleNetV2", 224, 1),
            ("shufflenet_v2_x1_0", "ShuffleNetV2 1.0x", "ShuffleNetV2", 224, 1),
            ("shufflenet_v2_x1_5", "ShuffleNetV2 1.5x", "ShuffleNetV2", 224, 1),
            ("shufflenet_v2_x2_0", "ShuffleNetV2 2.0x", "ShuffleNetV2", 224, 1),
        )
    ),
    # object detection: the side is the model's own resize target (GeneralizedRCNNTransform min_size)
    ("fasterrcnn_resnet50_fpn", "Faster R-CNN ResNet-50 FPN", "Faster R-CNN", _DET, 800, 32,
     ("faster rcnn", "fasterrcnn")),
    ("fasterrcnn_resnet50_fpn_v2", "Faster R-CNN ResNet-50 FPN v2", "Faster R-CNN", _DET, 800, 32, ()),
    ("fasterrcnn_mobilenet_v3_large_fpn", "Faster R-CNN MobileNetV3-Large FPN", "Faster R-CNN", _DET,
     800, 32, ()),
    ("fasterrcnn_mobilenet_v3_large_320_fpn", "Faster R-CNN MobileNetV3-Large 320 FPN", "Faster R-CNN",
     _DET, 320, 32, ()),
    ("maskrcnn_resnet50_fpn", "Mask R-CNN ResNet-50 FPN", "Mask R-CNN", _DET, 800, 32,
     ("mask rcnn", "maskrcnn")),
    ("maskrcnn_resnet50_fpn_v2", "Mask R-CNN ResNet-50 FPN v2", "Mask R-CNN", _DET, 800, 32, ()),
    ("keypointrcnn_resnet50_fpn", "Keypoint R-CNN ResNet-50 FPN", "Keypoint R-CNN", _DET, 800, 32,
     ("keypoint rcnn", "keypointrcnn")),
    ("retinanet_resnet50_fpn", "RetinaNet ResNet-50 FPN", "RetinaNet", _DET, 800, 32, ("retinanet",)),
    ("retinanet_resnet50_fpn_v2", "RetinaNet ResNet-50 FPN v2", "RetinaNet", _DET, 800, 32, ()),
    ("fcos_resnet50_fpn", "FCOS ResNet-50 FPN", "FCOS", _DET, 800, 32, ("fcos",)),
    ("ssd300_vgg16", "SSD300 VGG16", "SSD", _DET, 300, 300, ("ssd", "ssd300")),
    ("ssdlite320_mobilenet_v3_large", "SSDlite320 MobileNetV3-Large", "SSDlite", _DET, 320, 320,
     ("ssdlite", "ssdlite320")),
    # semantic segmentation (torchvision evaluates at a 520-pixel side)
    ("fcn_resnet50", "FCN ResNet-50", "FCN", _SEG, 520, 1, ("fcn",)),
    ("fcn_resnet101", "FCN ResNet-101", "FCN", _SEG, 520, 1, ()),
    ("deeplabv3_resnet50", "DeepLabV3 ResNet-50", "DeepLabV3", _SEG, 520, 1, ("deeplabv3",)),
    ("deeplabv3_resnet101", "DeepLabV3 ResNet-101", "DeepLabV3", _SEG, 520, 1, ()),
    ("deeplabv3_mobilenet_v3_large", "DeepLabV3 MobileNetV3-Large", "DeepLabV3", _SEG, 520, 1, ()),
    ("lraspp_mobilenet_v3_large", "LR-ASPP MobileNetV3-Large", "LR-ASPP", _SEG, 520, 1, ("lraspp",)),
    # video classification: 16 frames of the given side
    ("r3d_18", "R3D-18", "ResNet 3D", _VID, 112, 1, ()),
    ("mc3_18", "MC3-18", "ResNet 3D", _VID, 112, 1, ()),
    ("r2plus1d_18", "R(2+1)D-18", "ResNet (2+1)D", _VID, 112, 1, ("r2plus1d",)),
    ("s3d", "S3D", "S3D", _VID, 224, 224, ()),
    ("mvit_v1_b", "MViT-V1-B", "MViT", _VID, 224, 224, ("mvit v1",)),
    ("mvit_v2_s", "MViT-V2-S", "MViT", _VID, 224, 224, ("mvit v2",)),
    ("swin3d_t", "Swin3D-T", "Video Swin Transformer", _VID, 224, 32, ("video swin t",)),
    ("swin3d_s", "Swin3D-S", "Video Swin Transformer", _VID, 224, 32, ("video swin s",)),
    ("swin3d_b", "Swin3D-B", "Video Swin Transformer", _VID, 224, 32, ("video swin b",)),
    # optical flow: two frames of the given side
    ("raft_large", "RAFT-Large", "RAFT", _FLOW, 512, 128, ("raft",)),
    ("raft_small", "RAFT-Small", "RAFT", _FLOW, 512, 128, ()),
)  # fmt: skip

_KWARGS: dict[str, tuple[tuple[str, object], ...]] = {
    # as the weights are built: GoogLeNet without its auxiliary heads, no slow scipy-era initialisation
    "quantized_googlenet": (("aux_logits", False), ("init_weights", False)),
    "inception_v3": (("init_weights", False),),
    "quantized_inception_v3": (("init_weights", False),),
}
_PATCH = {"vit_b_32": 32, "vit_l_16": 16, "vit_l_32": 32, "vit_h_14": 14}
#: Networks that only take their documented side: MaxViT's block partitions (7×7 windows of a 224 input),
#: SSD's fixed-size resize and default boxes, MViT's and S3D's fixed temporal/spatial pooling.
_FIXED = {"maxvit_t", "ssd300_vgg16", "ssdlite320_mobilenet_v3_large", "mvit_v1_b", "mvit_v2_s", "s3d"}


#: Detectors whose torchvision builder freezes the backbone's BatchNorm when it loads weights (the v2 models
#: and SSDlite train theirs).
_FROZEN_BATCHNORM = {
    "fasterrcnn_resnet50_fpn", "fasterrcnn_mobilenet_v3_large_fpn", "fasterrcnn_mobilenet_v3_large_320_fpn",
    "maskrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn", "retinanet_resnet50_fpn", "fcos_resnet50_fpn",
}  # fmt: skip


def _entry(row: tuple[str, str, str, Task, int, int, tuple[str, ...]]) -> Architecture:
    builder, name, family, task, size, low, aliases = row
    module = {
        "detection": "torchvision.models.detection",
        "segmentation": "torchvision.models.segmentation",
        "video": "torchvision.models.video",
        "optical_flow": "torchvision.models.optical_flow",
    }.get(
        task, "torchvision.models.quantization" if builder.startswith("quantized_") else "torchvision.models"
    )
    function = builder.removeprefix("quantized_")
    kwargs = _KWARGS.get(builder, ())
    if builder.startswith("quantized_"):
        kwargs += (("quantize", False),)
    if task in ("detection", "segmentation"):
        kwargs += (("weights_backbone", None),)
    if builder.startswith(("fcn_", "deeplabv3_")):
        kwargs += (("aux_loss", True),)  # the published weights carry the auxiliary classifier
    return Architecture(
        name=name,
        family=family,
        year=None,
        paper=None,
        key_idea=None,
        builder=f"{module}:{function}",
        input_size=size,
        min_input_size=low,
        task=task,
        builder_kwargs=kwargs,
        image_size_kwarg="image_size" if builder in _PATCH else ("min_size" if task == "detection" else None),
        input_multiple=_PATCH.get(builder, 8 if task == "optical_flow" else 1),
        fixed_input=builder in _FIXED,
        aliases=(builder, *aliases),
        frozen_batchnorm=builder in _FROZEN_BATCHNORM,
    )


TORCHVISION_ARCHITECTURES: tuple[Architecture, ...] = tuple(_entry(row) for row in _ROWS)
