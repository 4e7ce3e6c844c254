"""MobileNetV1 as in Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications", arXiv:1704.04861 (2017): Table 1 (body), Figure 3 (BatchNorm + ReLU after each convolution).

At width 1.0 and 224×224 the paper reports 569 million mult-adds and 4.2 million parameters (Table 8); the
exact parameter count, 4,231,976, is also what Keras' ``MobileNet(alpha=1.0)`` reports as trainable.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["BODY", "MobileNetV1", "mobilenet_v1"]

#: Table 1 after the first full 3×3 convolution (32 channels, stride 2): (output channels, stride) of each
#: depthwise separable block. The paper prints stride 2 for the second-to-last block, but its own output
#: size (7×7) and every reference implementation use stride 1 there.
BODY: tuple[tuple[int, int], ...] = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
    (1024, 2), (1024, 1),
)  # fmt: skip


def _conv_bn_relu(in_ch: int, out_ch: int, kernel: int, stride: int, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel, stride, padding=kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class DepthwiseSeparable(nn.Module):
    """A 3×3 depthwise convolution (one filter per channel) followed by a 1×1 pointwise convolution."""

    def __init__(self, in_ch: int, out_ch: int, stride: int) -> None:
        super().__init__()
        self.depthwise = _conv_bn_relu(in_ch, in_ch, 3, stride, groups=in_ch)
        self.pointwise = _conv_bn_relu(in_ch, out_ch, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class MobileNetV1(nn.Module):
    """MobileNetV1 with width multiplier ``alpha`` (Section 4.2: every layer's channels × α)."""

    def __init__(self, alpha: float = 1.0, num_classes: int = 1000) -> None:
        super().__init__()
        width = int(32 * alpha)
        layers: list[nn.Module] = [_conv_bn_relu(3, width, 3, 2)]
        for out_ch, stride in BODY:
            out_width = int(out_ch * alpha)
            layers.append(DepthwiseSeparable(width, out_width, stride))
            width = out_width
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)).flatten(1))


def mobilenet_v1(alpha: float = 1.0) -> MobileNetV1:
    """The zoo builder: MobileNetV1 for 1000 ImageNet classes (the zoo entry is α = 1.0)."""
    return MobileNetV1(alpha=alpha)
