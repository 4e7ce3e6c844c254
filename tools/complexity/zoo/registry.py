"""The zoo: the curated architectures the notes discuss, every other torchvision builder, and how names
resolve to them.

Nothing here imports torch at module level; :func:`build_architecture` imports the builder it needs.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from tools.complexity.zoo.entry import Architecture
from tools.complexity.zoo.torchvision_models import TORCHVISION_ARCHITECTURES
from tools.errors import ToolInputError

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "ARCHITECTURES",
    "CURATED",
    "Architecture",
    "architecture_names",
    "build_architecture",
    "check_input_size",
    "resolve_architecture",
]


_LENET = "LeCun, Bottou, Bengio, Haffner — Gradient-Based Learning Applied to Document Recognition, 1998"
_ALEXNET = "Krizhevsky, Sutskever, Hinton — ImageNet Classification with Deep CNNs, NeurIPS 2012"
_VGG = "Simonyan, Zisserman — Very Deep Convolutional Networks for Large-Scale Image Recognition, ICLR 2015"
_GOOGLENET = "Szegedy et al. — Going Deeper with Convolutions, CVPR 2015 (arXiv 2014)"
_RESNET = "He, Zhang, Ren, Sun — Deep Residual Learning for Image Recognition, CVPR 2016 (arXiv 2015)"
_DENSENET = "Huang, Liu, van der Maaten, Weinberger — Densely Connected Convolutional Networks, CVPR 2017"
_MOBILENET_V1 = "Howard et al. — MobileNets: Efficient CNNs for Mobile Vision Applications, arXiv 2017"
_MOBILENET_V2 = "Sandler et al. — MobileNetV2: Inverted Residuals and Linear Bottlenecks, CVPR 2018"
_MOBILENET_V3 = "Howard et al. — Searching for MobileNetV3, ICCV 2019"
_EFFICIENTNET = "Tan, Le — EfficientNet: Rethinking Model Scaling for CNNs, ICML 2019"
_VIT = "Dosovitskiy et al. — An Image is Worth 16x16 Words: Transformers for Image Recognition, ICLR 2021"

_IDEA_VGG = (
    "Depth from stacked 3×3 convolutions only: two 3×3 layers see a 5×5 field and three see 7×7, "
    "with fewer parameters and more nonlinearities than one large kernel; 3 fully connected layers hold "
    "most weights."
)
_IDEA_RESNET = (
    "Residual learning: a block learns F(x) and outputs H(x) = F(x) + x through an identity shortcut, so "
    "very deep nets still train; 1×1 projection shortcuts where the shape changes; 1×1–3×3–1×1 bottlenecks "
    "from ResNet-50 up."
)
_IDEA_DENSENET = (
    "Each layer takes the concatenation of all earlier feature maps of its block and adds only a few new "
    "ones (narrow layers, growth rate k = 32), so features are reused and parameters stay few."
)
_IDEA_EFFICIENTNET = (
    "Compound scaling: depth, width and input resolution grow together by one coefficient φ "
    "(α·β²·γ² ≈ 2 per step) from the NAS-found B0, built of MBConv blocks with squeeze-and-excitation."
)
_IDEA_MOBILENET_V3 = (
    "Depthwise + pointwise inverted residual blocks found by architecture search, with "
    "squeeze-and-excitation and the cheap hard-swish activation."
)

#: The hand-written entries (year, paper, key idea, notes), oldest family first.
CURATED: tuple[Architecture, ...] = (
    Architecture(
        name="LeNet-5",
        family="LeNet",
        year=1998,
        paper=_LENET,
        key_idea="The five classic parts of a CNN: convolution with shared 5×5 weights, subsampling "
        "(pooling), a squashing nonlinearity (scaled tanh), fully connected layers and a classifier output "
        "(Euclidean RBF), trained end to end by backpropagation.",
        builder="tools.complexity.zoo.lenet:lenet5",
        input_size=32,
        min_input_size=32,
        in_channels=1,
        fixed_input=True,
        aliases=("lenet",),
        variant="Written from the paper: C3's sparse connection table, trainable subsampling, scaled tanh; "
        "the 10 output RBF centres are fixed, so 60,000 of the 60,840 parameters are trainable.",
        reference="LeCun et al. 1998, Sec. II-B: 60,000 trainable parameters, 340,908 connections "
        "(connections also count bias adds and subsampling sums, which MACs leave out)",
    ),
    Architecture(
        name="AlexNet",
        family="AlexNet",
        year=2012,
        paper=_ALEXNET,
        key_idea="ReLU instead of saturating tanh, dropout in the fully connected layers, local response "
        "normalization, heavy data augmentation (crops, flips, PCA colour), training split over two GPUs.",
        builder="torchvision.models:alexnet",
        input_size=224,
        min_input_size=63,
        weights="AlexNet_Weights.IMAGENET1K_V1",
        variant="torchvision's single-GPU variant ('One weird trick', 2014): 64-192-384-256-256 channels, "
        "no LRN.",
    ),
    *(
        Architecture(
            name=f"VGG{depth}",
            family="VGG",
            year=2014,
            paper=_VGG,
            key_idea=_IDEA_VGG,
            builder=f"torchvision.models:vgg{depth}",
            input_size=224,
            min_input_size=32,
            weights=f"VGG{depth}_Weights.IMAGENET1K_V1",
        )
        for depth in (11, 13, 16, 19)
    ),
    Architecture(
        name="GoogLeNet",
        family="GoogLeNet",
        year=2014,
        paper=_GOOGLENET,
        key_idea="Inception modules run 1×1, 3×3, 5×5 convolutions and max pooling in parallel and "
        "concatenate the results; 1×1 convolutions reduce channels before the expensive ones, so 22 layers "
        "cost ~1.5 GMACs.",
        builder="torchvision.models:googlenet",
        input_size=224,
        min_input_size=15,
        weights="GoogLeNet_Weights.IMAGENET1K_V1",
        builder_kwargs=(("aux_logits", False), ("init_weights", False)),
        aliases=("inceptionv1", "inception"),
        variant="torchvision's definition, with BatchNorm, without the auxiliary classifiers "
        "(aux_logits=False).",
    ),
    *(
        Architecture(
            name=f"ResNet-{depth}",
            family="ResNet",
            year=2015,
            paper=_RESNET,
            key_idea=_IDEA_RESNET,
            builder=f"torchvision.models:resnet{depth}",
            input_size=224,
            weights=f"ResNet{depth}_Weights.IMAGENET1K_V1",
        )
        for depth in (18, 34, 50, 101, 152)
    ),
    *(
        Architecture(
            name=f"DenseNet-{depth}",
            family="DenseNet",
            year=2016,
            paper=_DENSENET,
            key_idea=_IDEA_DENSENET,
            builder=f"torchvision.models:densenet{depth}",
            input_size=224,
            min_input_size=29,
            weights=f"DenseNet{depth}_Weights.IMAGENET1K_V1",
        )
        for depth in (121, 169)
    ),
    Architecture(
        name="MobileNetV1",
        family="MobileNet",
        year=2017,
        paper=_MOBILENET_V1,
        key_idea="Depthwise separable convolution: a 3×3 depthwise convolution filters each channel alone, "
        "then a 1×1 pointwise convolution mixes channels — about 8–9× fewer MACs than a standard 3×3 one.",
        builder="tools.complexity.zoo.mobilenet_v1:mobilenet_v1",
        input_size=224,
        aliases=("mobilenet", "mobilenetv1 1.0 224"),
        variant="Width multiplier 1.0, written from the paper (BatchNorm + ReLU after every convolution).",
        reference="Howard et al. 2017, Table 8: 569 million mult-adds, 4.2 million parameters at 224×224",
    ),
    Architecture(
        name="MobileNetV2",
        family="MobileNet",
        year=2018,
        paper=_MOBILENET_V2,
        key_idea="Depthwise + pointwise convolutions in inverted residual blocks: expand with 1×1, filter "
        "with a 3×3 depthwise convolution, project back with a linear 1×1 bottleneck; shortcuts join the "
        "thin ends.",
        builder="torchvision.models:mobilenet_v2",
        input_size=224,
        weights="MobileNet_V2_Weights.IMAGENET1K_V1",
    ),
    *(
        Architecture(
            name=f"MobileNetV3-{size.title()}",
            family="MobileNet",
            year=2019,
            paper=_MOBILENET_V3,
            key_idea=_IDEA_MOBILENET_V3,
            builder=f"torchvision.models:mobilenet_v3_{size}",
            input_size=224,
            weights=f"MobileNet_V3_{size.title()}_Weights.IMAGENET1K_V1",
        )
        for size in ("large", "small")
    ),
    *(
        Architecture(
            name=f"EfficientNet-B{b}",
            family="EfficientNet",
            year=2019,
            paper=_EFFICIENTNET,
            key_idea=_IDEA_EFFICIENTNET,
            builder=f"torchvision.models:efficientnet_b{b}",
            input_size=size,
            weights=f"EfficientNet_B{b}_Weights.IMAGENET1K_V1",
        )
        for b, size in enumerate((224, 240, 288, 300, 380, 456, 528, 600))
    ),
    Architecture(
        name="ViT-B/16",
        family="ViT",
        year=2020,
        paper=_VIT,
        key_idea="The image is cut into 16×16 patches, each linearly embedded, plus a class token and "
        "position embeddings, and fed to a plain Transformer encoder (self-attention); it beats CNNs only "
        "with enough pre-training data (ImageNet-21k, JFT-300M), lacking their built-in locality bias.",
        builder="torchvision.models:vit_b_16",
        input_size=224,
        min_input_size=16,
        weights="ViT_B_16_Weights.IMAGENET1K_V1",
        image_size_kwarg="image_size",
        input_multiple=16,
        aliases=("vit", "vitbase16"),
        variant="Other input sizes rebuild the network with that image_size: the position embeddings, and so "
        "the parameter count, grow with the number of patches.",
    ),
)


#: The whole zoo: the curated entries, then every other torchvision builder (classification, detection,
#: segmentation, video, optical flow).
ARCHITECTURES: tuple[Architecture, ...] = CURATED + TORCHVISION_ARCHITECTURES


def _key(name: str) -> str:
    """Case and separators dropped, except a point or underscore between digits, read as a decimal point:
    "regnet_x_1_6gf" = "RegNetX-1.6GF" ≠ "regnet_x_16gf"."""
    marked = re.sub(r"(?<=\d)[._](?=\d)", "\x00", name.lower())
    return re.sub(r"[^a-z0-9\x00]", "", marked).replace("\x00", ".")


def _index() -> dict[str, Architecture]:
    index: dict[str, Architecture] = {}
    for arch in ARCHITECTURES:
        function = arch.builder.rsplit(":", 1)[1]
        for name in (arch.name, function, *arch.aliases):
            index.setdefault(_key(name), arch)
    return index


_BY_KEY = _index()


def architecture_names(*, curated_only: bool = False) -> list[str]:
    """Canonical names of every zoo entry (or only the curated ones), in zoo order: curated first."""
    return [arch.name for arch in ARCHITECTURES if arch.curated or not curated_only]


def _family_of(key: str) -> str:
    """The letters a name starts with: "resnext51" → "resnext", "squeezenet" → "squeezenet"."""
    match = re.match(r"[a-z]+", key)
    return match.group(0) if match else key


def _common_prefix(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _closest(key: str) -> list[str]:
    """Suggestions that do not mislead: members of the family the name starts with ("ResNeXt-51" → the
    ResNeXts, never ResNet-50), else the closest spellings."""
    family = _family_of(key)
    wants_quantized = "quant" in key
    keys = [k for k in _BY_KEY if wants_quantized or ".quantization:" not in _BY_KEY[k].builder]
    members = [k for k in keys if _family_of(k) == family or (len(key) >= 4 and k.startswith(key))]
    if members:
        shared = {k: _common_prefix(key, k) for k in members}
        ranked = sorted(members, key=lambda k: (-shared[k], -difflib.SequenceMatcher(None, key, k).ratio()))
    else:
        ranked = difflib.get_close_matches(key, keys, n=6, cutoff=0.75)
    return list(dict.fromkeys(_BY_KEY[k].name for k in ranked))[:5]


#: Family names people shorten ("effnet-b0", "r50", "mbv2"), as a key prefix → the family's key. A shorthand
#: is tried only when the name as written is not in the zoo ("r2plus1d_18" stays a video model).
_SHORTHANDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^effnet(?=[bv]\d)"), "efficientnet"),
    (re.compile(r"^(?:r|rn|res)(?=(?:18|34|50|101|152)$)"), "resnet"),
    (re.compile(r"^(?:mbv|mnv|mobilev)(?=[123])"), "mobilenetv"),
    (re.compile(r"^(?:dn|dense)(?=(?:121|161|169|201)$)"), "densenet"),
)


def resolve_architecture(name: str, *, field: str = "model") -> Architecture:
    """The zoo entry called ``name`` (case and separators ignored: "resnet50", "ResNet-50", "vit_b_16",
    "resnext50_32x4d", "Swin-T"; common shorthands: "r50", "effnet-b0", "mbv2").

    An unknown name raises :class:`ToolInputError` on ``field`` listing the closest canonical names.
    """
    key = _key(name)
    if key in _BY_KEY:
        return _BY_KEY[key]
    for shorthand, family in _SHORTHANDS:
        expanded = shorthand.sub(family, key, count=1)
        if expanded != key and expanded in _BY_KEY:
            return _BY_KEY[expanded]
    close = _closest(key)
    hint = f"closest: {', '.join(close)}" if close else "no close name"
    raise ToolInputError(
        field, f"unknown architecture {name!r}; {hint} (list_architectures shows all {len(ARCHITECTURES)})"
    )


def build_architecture(arch: Architecture, input_size: int) -> nn.Module:
    """Build ``arch`` without pretrained weights for a square input of side ``input_size``.

    Call it under :func:`tools.complexity.zoo.counting.meta_device` to allocate nothing. The size must already
    be checked (:func:`check_input_size`); it only matters to networks whose parameters depend on it (ViT)
    and to detectors, whose own transform resizes to it.
    """
    import importlib

    module_name, function = arch.builder.split(":")
    build = getattr(importlib.import_module(module_name), function)
    if function.startswith("regnet_"):
        from torchvision.models.regnet import BlockParams

        from tools.complexity.zoo.counting import keep_on_cpu

        keep_on_cpu(BlockParams, "from_init_params")  # it reads layer widths back from tensors
    kwargs = dict(arch.builder_kwargs)
    if arch.image_size_kwarg is not None and input_size != arch.input_size:
        kwargs[arch.image_size_kwarg] = input_size
        if arch.image_size_kwarg == "min_size":  # a detector resizes the short side to min_size, capped by
            kwargs["max_size"] = max(1333, input_size)  # max_size on the long side: square, so never capped
    if module_name.startswith("torchvision.models"):
        kwargs["weights"] = None
    model = build(**kwargs)
    if arch.frozen_batchnorm:
        _freeze_batchnorm(model.backbone)
    return model


def _freeze_batchnorm(module: nn.Module) -> None:
    """Swap BatchNorm2d for torchvision's FrozenBatchNorm2d, as its builders do when loading weights."""
    from torch import nn
    from torchvision.ops.misc import FrozenBatchNorm2d

    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.BatchNorm2d):
                setattr(parent, name, FrozenBatchNorm2d(child.num_features, eps=child.eps))


def check_input_size(arch: Architecture, input_size: int, *, field: str = "input_size") -> None:
    """Raise :class:`ToolInputError` when ``arch`` cannot take a square input of side ``input_size``."""
    if arch.fixed_input and input_size != arch.input_size:
        raise ToolInputError(
            field, f"{arch.name} only takes {arch.input_size}×{arch.input_size} inputs (got {input_size})"
        )
    if input_size < arch.min_input_size:
        raise ToolInputError(
            field,
            f"{arch.name} needs inputs of at least {arch.min_input_size} pixels a side (got {input_size})",
        )
    if input_size % arch.input_multiple:
        raise ToolInputError(
            field,
            f"{arch.name} needs a multiple of {arch.input_multiple} (its patch size), got {input_size}; "
            f"try {input_size - input_size % arch.input_multiple or arch.input_multiple}",
        )
