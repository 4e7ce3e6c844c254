"""LeNet-5 and MobileNetV1, written in tools/zoo from their papers, reproduce the papers' own figures.

LeNet-5: LeCun, Bottou, Bengio, Haffner, "Gradient-Based Learning Applied to Document Recognition",
Proc. IEEE 1998, Section II-B and Table I. MobileNetV1: Howard et al., "MobileNets", arXiv:1704.04861,
Tables 1, 2, 6, 7 and 8.
"""

import math

import pytest
import torch

from tools.complexity.backbones import model_complexity
from tools.complexity.zoo.counting import count_module, meta_device
from tools.complexity.zoo.lenet import C3_CONNECTIONS, EuclideanRBF, LeNet5, ScaledTanh
from tools.complexity.zoo.mobilenet_v1 import MobileNetV1

# --- LeNet-5

# Section II-B, layer by layer: (trainable parameters, connections, output maps × size)
LENET_PAPER = {
    "c1": (156, 122_304, (6, 28, 28)),
    "s2": (12, 5_880, (6, 14, 14)),
    "c3": (1_516, 151_600, (16, 10, 10)),
    "s4": (32, 2_000, (16, 5, 5)),
    "c5": (48_120, 48_120, (120, 1, 1)),
    "f6": (10_164, 10_164, (84,)),
}


def _lenet_rows():
    return {row.path: row for row in model_complexity("LeNet-5", per_layer=True).layers}


def test_lenet5_has_60000_trainable_parameters():
    result = model_complexity("lenet5")
    assert result.trainable_params == 60_000  # Section II-B: "60,000 trainable parameters"
    assert result.params == 60_000 + 84 * 10  # plus the 10 fixed RBF centres of 84 components
    assert result.input_shape == (1, 1, 32, 32)


@pytest.mark.parametrize("layer", list(LENET_PAPER))
def test_lenet5_layers_match_section_2b(layer):
    params, _, shape = LENET_PAPER[layer]
    row = _lenet_rows()[layer]
    assert row.params == params
    assert row.output_shape == (1, *shape)


def _connections(row) -> int:
    """Paper 'connections': every input and bias feeding a unit. MACs count only the products."""
    outputs = math.prod(row.output_shape)
    if row.type == "Subsampling":
        return outputs * (4 + 1)  # 2×2 inputs summed, plus the bias
    if row.type == "EuclideanRBF":
        return row.macs  # (x_j − w_ij)² over 84 inputs per unit, no bias
    return row.macs + outputs  # products plus one bias per output unit


def test_lenet5_connections_rebuilt_from_the_per_layer_table():
    rows = _lenet_rows()
    for layer, (_, connections, _) in LENET_PAPER.items():
        assert _connections(rows[layer]) == connections, layer
    # "340,908 connections" in all: the six layers above plus 840 into the output RBF units
    assert sum(_connections(row) for row in rows.values()) == 340_908


def test_lenet5_macs_are_the_products_of_conv_and_full_layers():
    # 28²·6·25 + 10²·(6·3 + 9·4 + 6)·25 + 120·400 + 84·120 + 10·84 (C1, C3, C5, F6, output)
    assert model_complexity("LeNet-5").macs == 117_600 + 150_000 + 48_000 + 10_080 + 840 == 326_520


def test_c3_connection_table_is_table_1():
    fan_ins = [len(inputs) for inputs in C3_CONNECTIONS]
    assert fan_ins == [3] * 6 + [4] * 9 + [6]
    # Table I, row 0: S2 map 0 feeds C3 maps 0, 4, 5, 6, 9, 10, 11, 12, 14, 15
    assert [j for j, inputs in enumerate(C3_CONNECTIONS) if 0 in inputs] == [
        0,
        4,
        5,
        6,
        9,
        10,
        11,
        12,
        14,
        15,
    ]
    assert all(len(set(inputs)) == len(inputs) for inputs in C3_CONNECTIONS)


def test_c3_output_maps_only_see_their_table_inputs():
    torch.manual_seed(0)
    c3 = LeNet5().c3
    x = torch.randn(1, 6, 14, 14)
    with torch.no_grad():
        base = c3(x)
        for i in range(6):
            changed = x.clone()
            changed[:, i] += 1.0
            moved = (c3(changed) - base).abs().amax(dim=(0, 2, 3)) > 1e-6
            expected = [i in inputs for inputs in C3_CONNECTIONS]
            assert moved.tolist() == expected, i


def test_lenet5_runs_on_real_tensors():
    torch.manual_seed(0)
    model = LeNet5()
    out = model(torch.randn(2, 1, 32, 32))
    assert out.shape == (2, 10)
    assert not model.output.weight.requires_grad  # the RBF centres stay fixed


def test_rbf_output_is_squared_euclidean_distance():
    torch.manual_seed(0)
    rbf = EuclideanRBF(84, 10)
    x = torch.randn(3, 84)
    assert torch.allclose(rbf(x), torch.cdist(x, rbf.weight) ** 2, rtol=1e-4, atol=1e-3)
    assert set(rbf.weight.unique().tolist()) <= {-1.0, 1.0}  # stylised ±1 bitmaps


def test_scaled_tanh_maps_one_to_one():
    # Appendix A: A = 1.7159, S = 2/3 chosen so that f(1) = 1 and f(−1) = −1
    out = ScaledTanh()(torch.tensor([1.0, -1.0]))
    assert torch.allclose(out, torch.tensor([1.0, -1.0]), atol=1e-4)


# --- MobileNetV1


def _count(alpha: float, size: int = 224):
    with meta_device():
        model = MobileNetV1(alpha)
    return count_module(model, (1, 3, size, size), per_module=True)


def test_mobilenet_v1_size_and_cost_match_table_8():
    result = model_complexity("MobileNetV1")
    # Table 8: 569 million mult-adds, 4.2 million parameters; Keras MobileNet(alpha=1.0): 4,231,976 trainable
    assert result.params == 4_231_976
    assert abs(result.macs / 1e6 - 569) < 1
    assert round(result.params / 1e6, 1) == 4.2


@pytest.mark.parametrize(
    ("alpha", "paper_mmacs", "paper_mparams"),
    [(1.0, 569, 4.2), (0.75, 325, 2.6), (0.5, 149, 1.3), (0.25, 41, 0.5)],  # Table 6 (width multiplier)
)
def test_mobilenet_v1_width_multiplier_table_6(alpha, paper_mmacs, paper_mparams):
    count = _count(alpha)
    assert abs(count.macs / 1e6 - paper_mmacs) < 1
    assert round(count.params / 1e6, 1) == paper_mparams


@pytest.mark.parametrize(("size", "paper_mmacs"), [(224, 569), (192, 418), (160, 290), (128, 186)])
def test_mobilenet_v1_resolution_table_7(size, paper_mmacs):
    # Table 7 (resolution multiplier); the paper rounds to millions, sometimes down (290.7 → 290)
    result = model_complexity("MobileNetV1", input_size=size)
    assert abs(result.macs / 1e6 - paper_mmacs) < 1
    assert result.params == 4_231_976  # resolution does not change the parameters


def test_mobilenet_v1_resource_shares_table_2():
    rows = _count(1.0).modules
    convs = {r.path: r for r in rows if r.type_name == "Conv2d"}
    pointwise = [r for p, r in convs.items() if p.endswith("pointwise.0")]
    depthwise = [r for p, r in convs.items() if p.endswith("depthwise.0")]
    first = [convs["features.0.0"]]
    fc = [r for r in rows if r.path == "classifier"]
    total = sum(r.macs for r in rows)

    def share(group):
        return round(100 * sum(r.macs for r in group) / total, 2)

    # Table 2, mult-adds: Conv 1×1 94.86%, Depthwise 3×3 3.06%, Fully connected 0.18%
    assert (share(pointwise), share(depthwise), share(fc)) == (94.86, 3.06, 0.18)
    # Table 2 prints 1.19% for the full 3×3 conv; shares sum to 100% only with 1.91% (swapped digits)
    assert share(first) == 1.91

    weights = {id(g): sum(r.params for r in g) for g in (pointwise, depthwise, first)}
    fc_weights = 1024 * 1000  # the table counts weights only: no biases, no BatchNorm
    all_weights = sum(weights.values()) + fc_weights

    def param_share(group):
        return round(100 * weights[id(group)] / all_weights, 2)

    # Table 2, parameters: Conv 1×1 74.59%, Depthwise 1.06%, Conv 3×3 0.02%, Fully connected 24.33%
    assert (param_share(pointwise), param_share(depthwise), param_share(first)) == (74.59, 1.06, 0.02)
    assert round(100 * fc_weights / all_weights, 2) == 24.33


def test_mobilenet_v1_body_follows_table_1():
    rows = {r.path: r for r in _count(1.0).modules}
    assert rows["features.0.0"].output_shape == (1, 32, 112, 112)  # Conv / s2, 3×3×3×32
    assert rows["features.1.depthwise.0"].output_shape == (1, 32, 112, 112)
    assert rows["features.2.depthwise.0"].output_shape == (1, 64, 56, 56)  # Conv dw / s2
    assert rows["features.12.pointwise.0"].output_shape == (1, 1024, 7, 7)
    assert rows["features.13.depthwise.0"].output_shape == (
        1,
        1024,
        7,
        7,
    )  # stride 1: the paper's s2 is a typo
    assert rows["classifier"].output_shape == (1, 1000)


def test_mobilenet_v1_runs_on_real_tensors():
    model = MobileNetV1(alpha=0.25).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64)).shape == (1, 1000)
