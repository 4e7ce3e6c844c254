"""The zoo's architectures: what each one is, where its builder lives, and how names resolve to it.

Nothing here imports torch at module level; :func:`build_architecture` imports the builder it needs.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tools.errors import ToolInputError

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "ARCHITECTURES",
    "Architecture",
    "architecture_names",
    "build_architecture",
    "check_input_size",
    "resolve_architecture",
]


@dataclass(frozen=True)
class Architecture:
    """One zoo entry. The numbers it documents (params, GMACs) are never stored here: they are counted."""

    name: str
    """Canonical name, as reported back to callers (``"ResNet-50"``)."""
    family: str
    """The design family (``"ResNet"``); several entries share one."""
    year: int
    """Year the design first appeared (arXiv or conference)."""
    paper: str
    """Authors, title and venue of the paper that introduced it."""
    key_idea: str
    """What the design contributed, in one or two sentences."""
    builder: str
    """``"module:function"`` that builds it; ``torchvision.models`` builders get ``weights=None``."""
    input_size: int
    """Documented square input side: the size the reference figures are counted at."""
    min_input_size: int = 1
    """Smallest square input the network accepts (torchvision's ``meta["min_size"]``)."""
    in_channels: int = 3
    """Channels of the input image."""
    weights: str | None = None
    """torchvision weight enum whose ``meta`` documents ``num_params`` and ``_ops`` (GMACs) for this entry."""
    builder_kwargs: tuple[tuple[str, object], ...] = ()
    """Extra keyword arguments for the builder (e.g. GoogLeNet's ``aux_logits=False``)."""
    image_size_kwarg: str | None = None
    """Builder argument that sets the input size, for networks whose parameters depend on it (ViT)."""
    input_multiple: int = 1
    """The input side must be a multiple of this (the ViT patch size)."""
    fixed_input: bool = False
    """True when only :attr:`input_size` works (LeNet-5's C5 is a 5×5 convolution over a 5×5 map)."""
    aliases: tuple[str, ...] = ()
    """Extra accepted names; case, spaces, dashes, underscores and slashes never matter."""
    variant: str | None = None
    """How the built network differs from the paper's, when it does."""
    reference: str | None = None
    """Published size/cost figures for entries torchvision does not document (from their papers)."""

    @property
    def source(self) -> str:
        """Where the network definition lives (``"torchvision.models.resnet50"``)."""
        return self.builder.replace(":", ".")


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

ARCHITECTURES: tuple[Architecture, ...] = (
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


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _index() -> dict[str, Architecture]:
    index: dict[str, Architecture] = {}
    for arch in ARCHITECTURES:
        function = arch.builder.rsplit(":", 1)[1]
        for name in (arch.name, function, *arch.aliases):
            index.setdefault(_key(name), arch)
    return index


_BY_KEY = _index()


def architecture_names() -> list[str]:
    """Canonical names of every zoo entry, in zoo order (oldest family first)."""
    return [arch.name for arch in ARCHITECTURES]


def resolve_architecture(name: str, *, field: str = "model") -> Architecture:
    """The zoo entry called ``name`` (case and separators ignored: "resnet50", "ResNet-50", "vit_b_16").

    An unknown name raises :class:`ToolInputError` on ``field`` listing the closest canonical names.
    """
    try:
        return _BY_KEY[_key(name)]
    except KeyError:
        pass
    close_keys = difflib.get_close_matches(_key(name), list(_BY_KEY), n=6, cutoff=0.5)
    close = list(dict.fromkeys(_BY_KEY[key].name for key in close_keys))[:3]
    hint = f"closest: {', '.join(close)}" if close else f"known: {', '.join(architecture_names())}"
    raise ToolInputError(field, f"unknown architecture {name!r}; {hint} (list_architectures shows the zoo)")


def build_architecture(arch: Architecture, input_size: int) -> nn.Module:
    """Build ``arch`` without pretrained weights for a square input of side ``input_size``.

    Call it under ``torch.device("meta")`` to allocate nothing. The size must already be checked
    (:func:`check_input_size`); it only matters to networks whose parameters depend on it (ViT).
    """
    import importlib

    module_name, function = arch.builder.split(":")
    build = getattr(importlib.import_module(module_name), function)
    kwargs = dict(arch.builder_kwargs)
    if arch.image_size_kwarg is not None and input_size != arch.input_size:
        kwargs[arch.image_size_kwarg] = input_size
    if module_name == "torchvision.models":
        kwargs["weights"] = None
    return build(**kwargs)


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
