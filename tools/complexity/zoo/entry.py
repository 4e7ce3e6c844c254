"""One zoo entry: what an architecture is, where its builder lives, and the input it takes.

Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Architecture", "Task"]

#: What a network does; it decides the input counted (images, 16-frame clips, frame pairs) and the forward.
Task = Literal["classification", "detection", "segmentation", "video", "optical_flow"]


@dataclass(frozen=True)
class Architecture:
    """One zoo entry. The numbers it documents (params, GMACs) are never stored here: they are counted."""

    name: str
    """Canonical name, as reported back to callers (``"ResNet-50"``)."""
    family: str
    """The design family (``"ResNet"``); several entries share one."""
    year: int | None
    """Year the design first appeared (arXiv or conference); None outside the curated zoo."""
    paper: str | None
    """Authors, title and venue of the paper that introduced it; None outside the curated zoo."""
    key_idea: str | None
    """What the design contributed, in one or two sentences; None outside the curated zoo."""
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
    """Builder argument that sets the input size: ViT's ``image_size`` (its position embeddings, and so its
    parameters, depend on it) or a detector's ``min_size`` (the side its own transform resizes to)."""
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
    task: Task = "classification"
    """What the network does (and so what input it is counted on)."""
    frozen_batchnorm: bool = False
    """The documented (pretrained) model freezes the backbone's BatchNorm: torchvision builds it with
    ``FrozenBatchNorm2d``, whose scale and shift are buffers, not parameters."""

    @property
    def registered_name(self) -> str | None:
        """The name torchvision registers the builder under (``torchvision.models.get_model``), if any."""
        module, function = self.builder.split(":")
        if not module.startswith("torchvision.models"):
            return None
        return f"quantized_{function}" if module.endswith(".quantization") else function

    @property
    def frames(self) -> int | None:
        """Frames per clip of a video network (torchvision's Kinetics-400 clips: 16), else None."""
        return 16 if self.task == "video" else None

    @property
    def curated(self) -> bool:
        """True for the hand-written entries the notes discuss (year, paper and key idea given)."""
        return self.key_idea is not None

    @property
    def source(self) -> str:
        """Where the network definition lives (``"torchvision.models.resnet50"``)."""
        return self.builder.replace(":", ".")
