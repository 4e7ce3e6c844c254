"""LeNet-5 as in LeCun, Bottou, Bengio & Haffner, "Gradient-Based Learning Applied to Document Recognition",
Proc. IEEE 86(11), 1998 — Section II-B, Table I and Appendix A.

Layer by layer (the paper's figures, all reproduced by this module):

====== ================================ ======================= ============
layer  what                             trainable parameters    connections
====== ================================ ======================= ============
C1     6 maps 28×28, 5×5 convolution    156                     122,304
S2     6 maps 14×14, 2×2 subsampling    12                      5,880
C3     16 maps 10×10, sparse (Table I)  1,516                   151,600
S4     16 maps 5×5, 2×2 subsampling     32                      2,000
C5     120 maps 1×1, 5×5 convolution    48,120                  48,120
F6     84 units, fully connected        10,164                  10,164
OUTPUT 10 Euclidean RBF units           0 (840 fixed)           840
====== ================================ ======================= ============

60,000 trainable parameters and 340,908 connections in all. A "connection" is one input (or bias) feeding one
unit, so it counts bias adds and the subsampling sums that the MAC convention of this package leaves out.
"""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["C3_CONNECTIONS", "EuclideanRBF", "LeNet5", "ScaledTanh", "SparseConv2d", "Subsampling", "lenet5"]

#: Table I: which S2 maps (inputs) each of the 16 C3 maps reads. Maps 0–5 read 3 contiguous inputs, 6–11
#: read 4 contiguous ones, 12–14 read 4 non-contiguous ones and 15 reads all 6 (this breaks the symmetry).
C3_CONNECTIONS: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)  # fmt: skip


class ScaledTanh(nn.Module):
    """The paper's squashing function f(a) = A·tanh(S·a), A = 1.7159, S = 2/3 (Appendix A), so f(±1) = ±1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class Subsampling(nn.Module):
    """S2/S4: each unit adds its 2×2 inputs, multiplies by one trainable coefficient per map, adds a trainable
    bias per map (2 parameters per map)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(channels))
        self.bias = nn.Parameter(torch.empty(channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # Appendix A: weights uniform in ±2.4/F_i, F_i = fan-in (4 for a 2×2 subsampling unit)
        nn.init.uniform_(self.weight, -0.6, 0.6)
        nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        summed = F.avg_pool2d(x, 2) * 4.0
        return summed * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class SparseConv2d(nn.Module):
    """A convolution where output map ``j`` sees only the input maps listed in ``connections[j]`` (C3).

    Output maps with the same number of inputs form one grouped convolution over the gathered inputs, so the
    parameters and MACs are exactly those of the sparse table, never of a dense one.
    """

    def __init__(self, connections: tuple[tuple[int, ...], ...], kernel_size: int) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.num_outputs = len(connections)
        fan_ins = sorted({len(inputs) for inputs in connections})
        order: list[int] = []
        for g, fan_in in enumerate(fan_ins):
            maps = [j for j, inputs in enumerate(connections) if len(inputs) == fan_in]
            order += maps
            gather = torch.tensor([i for j in maps for i in connections[j]], dtype=torch.long)
            self.register_buffer(f"gather_{g}", gather, persistent=False)
            self.register_parameter(
                f"weight_{g}", nn.Parameter(torch.empty(len(maps), fan_in, kernel_size, kernel_size))
            )
            self.register_parameter(f"bias_{g}", nn.Parameter(torch.empty(len(maps))))
        # concatenating the groups yields maps in `order`; this permutation puts them back in table order
        self.register_buffer("unpermute", torch.tensor(order).argsort(), persistent=False)
        self.groups = len(fan_ins)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for g in range(self.groups):
            weight = getattr(self, f"weight_{g}")
            bound = 2.4 / (weight.shape[1] * self.kernel_size**2)
            nn.init.uniform_(weight, -bound, bound)
            nn.init.zeros_(getattr(self, f"bias_{g}"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = []
        for g in range(self.groups):
            weight = getattr(self, f"weight_{g}")
            gathered = x.index_select(1, getattr(self, f"gather_{g}"))
            outs.append(F.conv2d(gathered, weight, getattr(self, f"bias_{g}"), groups=weight.shape[0]))
        unpermute = cast(torch.Tensor, self.unpermute)  # a registered buffer
        return torch.cat(outs, dim=1).index_select(1, unpermute)


class EuclideanRBF(nn.Module):
    """The output layer: y_i = Σ_j (x_j − w_ij)², one unit per class (the smallest output wins).

    The centres were "chosen by hand and kept fixed" (stylised ±1 bitmaps of the characters), so they are
    parameters that do not train. ‖x‖² − 2·x·w_i + ‖w_i‖² makes the 840 products a matmul, counted as MACs.
    """

    def __init__(self, in_features: int, num_classes: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_classes, in_features), requires_grad=False)
        with torch.no_grad():
            self.weight.copy_(torch.randint(0, 2, self.weight.shape, dtype=self.weight.dtype) * 2 - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cross = F.linear(x, self.weight)
        return x.pow(2).sum(-1, keepdim=True) - 2 * cross + self.weight.pow(2).sum(-1)


class LeNet5(nn.Module):
    """LeNet-5 on 32×32×1 images (28×28 digits padded); returns the 10 RBF distances (lower is better)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = Subsampling(6)
        self.c3 = SparseConv2d(C3_CONNECTIONS, 5)
        self.s4 = Subsampling(16)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = EuclideanRBF(84, num_classes)
        self.squash = ScaledTanh()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.squash(self.s2(self.squash(self.c1(x))))
        x = self.squash(self.s4(self.squash(self.c3(x))))
        x = self.squash(self.c5(x)).flatten(1)
        return self.output(self.squash(self.f6(x)))


def lenet5() -> LeNet5:
    """The zoo builder: LeNet-5 with its 10 digit classes."""
    return LeNet5()
