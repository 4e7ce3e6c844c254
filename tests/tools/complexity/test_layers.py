"""Layer calculators against real torch modules (parameter counts, output shapes, FLOP counter) and papers."""

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from tools.catalog import call_tool
from tools.complexity.layers import conv2d_params, linear_params, transformer_params
from tools.complexity.recurrent import rnn_params
from tools.errors import ToolInputError


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())  # parameters() yields a tied tensor once


def _as_torch(value):
    """The tools take [h, w] lists (JSON); torch takes tuples."""
    return tuple(value) if isinstance(value, list) else value


def _rejected(name: str, arguments: dict) -> ToolInputError:
    with pytest.raises(ToolInputError) as caught:
        call_tool(name, arguments)
    return caught.value


# ---------------------------------------------------------------------------------------------- conv2d

CONV_CASES = [
    # kernel, C_in, C_out, bias, groups, input (H, W), stride, padding, dilation
    (3, 3, 64, True, 1, (32, 32), 1, 1, 1),
    ([3, 5], 8, 16, True, 4, (31, 20), [2, 1], [1, 2], [1, 2]),
    (3, 32, 64, False, 32, (15, 15), 2, 0, 1),  # depthwise with channel multiplier 2
    (4, 6, 6, True, 3, (10, 9), 1, "same", 2),  # even kernel: torch pads asymmetrically
    (7, 3, 8, True, 1, (19, 23), 3, "valid", 1),
    (1, 16, 4, False, 1, (7, 7), 1, 0, 1),
]


@pytest.mark.parametrize(
    ("k", "c_in", "c_out", "bias", "groups", "size", "stride", "padding", "dilation"), CONV_CASES
)
def test_conv2d_matches_torch(k, c_in, c_out, bias, groups, size, stride, padding, dilation):
    options = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups, "bias": bias}
    layer = nn.Conv2d(c_in, c_out, _as_torch(k), **{key: _as_torch(v) for key, v in options.items()})
    result = conv2d_params(k, c_in, c_out, input_size=list(size), **options)
    x = torch.zeros(1, c_in, *size)
    with FlopCounterMode(display=False) as counter:
        y = layer(x)
    assert result.params == _count(layer)
    assert result.weight_shape == list(layer.weight.shape)
    assert result.output_shape == list(y.shape[1:])
    assert result.flops == counter.get_total_flops()  # reference: torch's FLOP counter (2 × MACs)
    assert result.macs * 2 == result.flops


def test_conv2d_formula_shows_the_numbers():
    # Hand derivation (a VGG-16 conv): (3·3·64 + 1)·128 = 73,856.
    result = conv2d_params(3, 64, 128)
    assert result.params == 73_856
    assert result.formula == "(k_h·k_w·C_in/groups + 1)·C_out = (3·3·64/1 + 1)·128 = 73,856"
    assert result.output_shape is None and result.macs is None


def test_conv2d_without_input_size_through_the_catalogue():
    result = call_tool("conv2d_params", {"kernel_size": [5, 5], "in_channels": 1, "out_channels": 6})
    assert result.params == 156  # LeCun et al. 1998, LeNet-5 C1: 156 trainable parameters


def test_depthwise_is_named_in_the_note():
    assert "depthwise" in conv2d_params(3, 32, 32, groups=32).note


def test_a_depthwise_layer_keeps_its_channels_when_out_channels_is_left_out():
    # Hand derivation (MobileNet's 3×3 depthwise layer on 32 channels): (3·3·32/32 + 1)·32 = 320,
    # as torch.nn.Conv2d(32, 32, 3, groups=32) holds it.
    said_as_flag = conv2d_params(3, 32, depthwise=True)
    said_as_groups = conv2d_params(3, 32, groups=32)
    assert said_as_flag.params == said_as_groups.params == 320
    assert said_as_flag.formula == said_as_groups.formula
    # a channel multiplier of 2: (3·3·1 + 1)·64 = 640
    assert conv2d_params(3, 32, 64, depthwise=True).params == 640


def test_out_channels_is_needed_unless_the_layer_is_depthwise():
    with pytest.raises(ToolInputError, match="depthwise") as caught:
        conv2d_params(3, 32)
    assert caught.value.field == "out_channels"
    with pytest.raises(ToolInputError, match="groups = in_channels = 32") as caught:
        conv2d_params(3, 32, depthwise=True, groups=4)
    assert caught.value.field == "groups"


def test_groups_must_divide_both_channel_counts():
    with pytest.raises(ToolInputError, match="must divide in_channels") as caught:
        conv2d_params(3, 6, 8, groups=4)
    assert caught.value.field == "groups"
    with pytest.raises(ToolInputError, match="must divide out_channels"):
        conv2d_params(3, 8, 6, groups=4)


def test_same_padding_needs_stride_one():
    with pytest.raises(ToolInputError) as caught:
        conv2d_params(3, 3, 8, stride=2, padding="same")
    assert caught.value.field == "padding"


def test_input_smaller_than_the_kernel_is_rejected():
    with pytest.raises(ToolInputError, match="reach") as caught:
        conv2d_params(5, 3, 8, input_size=[3, 10], dilation=1)
    assert caught.value.field == "input_size"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"kernel_size": 0, "in_channels": 3, "out_channels": 8}, "kernel_size"),
        ({"kernel_size": [3, 3, 3], "in_channels": 3, "out_channels": 8}, "kernel_size"),
        ({"kernel_size": 3, "in_channels": 0, "out_channels": 8}, "in_channels"),
        ({"kernel_size": 3, "in_channels": 3, "out_channels": 8, "padding": "full"}, "padding"),
        ({"kernel_size": 3, "in_channels": 3, "out_channels": 8, "stride": 0}, "stride"),
        ({"kernel_size": 3, "in_channels": 3, "out_channels": 8, "input_size": [0, 4]}, "input_size"),
    ],
)
def test_conv2d_schema_violations_name_the_field(arguments, field):
    assert _rejected("conv2d_params", arguments).field.split(".")[0] == field


# ---------------------------------------------------------------------------------------------- linear


@pytest.mark.parametrize(("n_in", "n_out", "bias"), [(784, 128, True), (128, 10, False), (1, 1, True)])
def test_linear_matches_torch(n_in, n_out, bias):
    layer = nn.Linear(n_in, n_out, bias=bias)
    result = linear_params(n_in, n_out, bias=bias)
    assert result.params == _count(layer)
    assert result.weight_shape == list(layer.weight.shape)
    assert result.macs_per_sample == n_in * n_out


def test_linear_formula_and_the_keras_correction():
    # Hand derivation: 784·128 + 128 = 100,480 (a bias per output), not 784·128 + 784 = 101,136.
    result = call_tool("linear_params", {"in_features": 784, "out_features": 128})
    assert result.formula == "in·out + out = 784·128 + 128 = 100,480"
    assert "in·out + in" in result.note and "wrong" in result.note and "101,136" in result.note


@pytest.mark.parametrize(
    ("arguments", "field"),
    [({"in_features": 0, "out_features": 3}, "in_features"), ({"in_features": 3}, "out_features")],
)
def test_linear_schema_violations_name_the_field(arguments, field):
    assert _rejected("linear_params", arguments).field.split(".")[0] == field


# ---------------------------------------------------------------------------------------------- rnn

_RNN_MODULES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize(
    ("layers", "bidirectional", "bias"), [(1, False, True), (3, True, True), (2, False, False)]
)
def test_rnn_matches_torch(kind, layers, bidirectional, bias):
    module = _RNN_MODULES[kind](10, 20, num_layers=layers, bidirectional=bidirectional, bias=bias)
    result = rnn_params(kind, 10, 20, num_layers=layers, bidirectional=bidirectional, bias=bias)
    assert result.params == _count(module)
    shapes = {name: list(p.shape) for name, p in module.named_parameters()}
    for row in result.layers:
        suffix = f"_l{row.layer}" + ("_reverse" if row.direction == "reverse" else "")
        own = {name: shape for name, shape in shapes.items() if name.endswith(suffix)}
        # the listed tensors are exactly torch's, with torch's shapes
        assert row.tensors == ", ".join(f"{name} {shape}" for name, shape in own.items())
        assert row.params == sum(getattr(module, name).numel() for name in own)
        gates = [g for g in result.gates if (g.layer, g.direction) == (row.layer, row.direction)]
        assert sum(g.params for g in gates) == row.params
        assert len(gates) == result.gates_per_block


@pytest.mark.parametrize(
    ("layers", "bidirectional", "bias"), [(1, False, True), (3, True, True), (2, True, False)]
)
def test_lstm_with_projection_matches_torch(layers, bidirectional, bias):
    # nn.LSTM(proj_size=P): weight_hr [P, H] per layer and direction, weight_hh [4H, P], upper layers read
    # P·directions features
    module = nn.LSTM(10, 20, num_layers=layers, bidirectional=bidirectional, bias=bias, proj_size=6)
    result = rnn_params(
        "lstm", 10, 20, num_layers=layers, bidirectional=bidirectional, bias=bias, proj_size=6
    )
    assert result.params == _count(module)
    shapes = {name: list(p.shape) for name, p in module.named_parameters()}
    for row in result.layers:
        suffix = f"_l{row.layer}" + ("_reverse" if row.direction == "reverse" else "")
        own = {name: shape for name, shape in shapes.items() if name.endswith(suffix)}
        assert all(f"{name} {shape}" in row.tensors for name, shape in own.items())
        assert row.tensors.count("weight_") + row.tensors.count("bias_") == len(own)
        assert row.params == sum(getattr(module, name).numel() for name in own)
        gates = [g for g in result.gates if (g.layer, g.direction) == (row.layer, row.direction)]
        assert sum(g.params for g in gates) + 6 * 20 == row.params  # the gates, then the projection
    assert [row.input_features for row in result.layers][-1] == (12 if bidirectional else 6) or layers == 1


def test_lstm_projection_by_hand():
    # H = 20, P = 5, in = 10, one layer: 4·(20·10 + 20·5 + 2·20) + 5·20 = 4·340 + 100 = 1,460
    assert rnn_params("lstm", 10, 20, proj_size=5).params == 1460 == _count(nn.LSTM(10, 20, proj_size=5))


@pytest.mark.parametrize(
    ("arguments", "phrase"),
    [
        ({"kind": "gru", "input_size": 4, "hidden_size": 8, "proj_size": 2}, "lstm only"),
        ({"kind": "lstm", "input_size": 4, "hidden_size": 8, "proj_size": 8}, "smaller than hidden_size"),
    ],
)
def test_projection_rules_name_proj_size(arguments, phrase):
    err = _rejected("rnn_params", arguments)
    assert err.field == "proj_size" and phrase in err.reason


def test_lstm_gate_breakdown_by_hand():
    # Hand derivation per gate: H·in + H·H + 2H = 20·10 + 20·20 + 40 = 640; 4 gates → 2,560 = nn.LSTM(10, 20).
    result = rnn_params("lstm", 10, 20)
    assert [g.gate for g in result.gates] == ["input", "forget", "candidate (cell, g)", "output"]
    assert {g.params for g in result.gates} == {640}
    assert result.params == 2560
    assert "two bias vectors" in result.note


def test_gru_gates_are_reset_update_new():
    assert rnn_params("gru", 4, 8).gate_order == ["reset", "update", "new (candidate, n)"]


def test_bidirectional_upper_layers_read_both_directions():
    result = rnn_params("gru", 10, 20, num_layers=2, bidirectional=True)
    assert [row.input_features for row in result.layers] == [10, 10, 40, 40]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"kind": "transformer", "input_size": 4, "hidden_size": 8}, "kind"),
        ({"kind": "lstm", "input_size": 4, "hidden_size": 0}, "hidden_size"),
        ({"kind": "lstm", "input_size": 4, "hidden_size": 8, "num_layers": 0}, "num_layers"),
    ],
)
def test_rnn_schema_violations_name_the_field(arguments, field):
    assert _rejected("rnn_params", arguments).field.split(".")[0] == field


# ---------------------------------------------------------------------------------------------- transformer


class _GPT2(nn.Module):
    """GPT-2 as in Radford et al. 2019 / the reference code: pre-LN blocks, fused QKV, final LN, tied head."""

    def __init__(
        self, d: int, layers: int, heads: int, ff: int, vocab: int, positions: int, tied: bool
    ) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(positions, d)
        self.blocks = nn.ModuleList(
            nn.ModuleDict(
                {
                    "ln_1": nn.LayerNorm(d),
                    "attn": nn.MultiheadAttention(d, heads),  # in_proj 3d×d + 3d, out_proj d×d + d
                    "ln_2": nn.LayerNorm(d),
                    "fc": nn.Linear(d, ff),
                    "proj": nn.Linear(ff, d),
                }
            )
            for _ in range(layers)
        )
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        if tied:
            self.lm_head.weight = self.wte.weight


def test_gpt2_small_has_the_known_count():
    # reference: GPT-2 small (124M) has 124,439,808 parameters with tied embeddings (Hugging Face gpt2).
    result = transformer_params(768, 12, 12, 3072, 50257, 1024, kind="decoder", tied_embeddings=True)
    assert result.params == 124_439_808
    with torch.device("meta"):
        model = _GPT2(768, 12, 12, 3072, 50257, 1024, tied=True)
    assert result.params == _count(model)
    assert result.head_dim == 64
    assert result.per_block == 7_087_872  # hand: 4d² + 4d + 2·d·ff + ff + d + 4d with d = 768, ff = 3072
    by_name = {part.component: part for part in result.breakdown}
    assert by_name["token embedding"].params == 50257 * 768
    assert by_name["output head"].params == 0
    assert sum(part.share for part in result.breakdown) == pytest.approx(1.0)


def test_untied_decoder_adds_the_head():
    with torch.device("meta"):
        model = _GPT2(64, 3, 4, 256, 1000, 128, tied=False)
    result = transformer_params(64, 3, 4, 256, 1000, 128, tied_embeddings=False)
    assert result.params == _count(model)
    assert {p.component: p.params for p in result.breakdown}["output head"] == 1000 * 64


@pytest.mark.parametrize(("d", "layers", "heads", "ff"), [(64, 2, 8, 128), (96, 3, 3, 384)])
def test_encoder_matches_torch_transformer_encoder(d, layers, heads, ff):
    layer = nn.TransformerEncoderLayer(d, heads, ff)
    encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
    embeddings = nn.Embedding(500, d), nn.Embedding(64, d)
    expected = _count(encoder) + sum(_count(e) for e in embeddings)
    result = transformer_params(d, layers, heads, ff, 500, 64, kind="encoder")
    assert result.params == expected
    assert result.per_block == _count(layer)
    assert "TransformerEncoderLayer" in result.layout


def test_non_embedding_params_exclude_both_tables():
    result = transformer_params(768, 12, 12, 3072, 50257, 1024)
    assert result.non_embedding_params == 124_439_808 - 50257 * 768 - 1024 * 768


def test_positions_zero_means_no_learned_table():
    result = transformer_params(64, 2, 4, 256, 1000, 0)
    assert {p.component: p.params for p in result.breakdown}["position embedding"] == 0


def test_heads_must_divide_d_model():
    with pytest.raises(ToolInputError, match=r"768 % 5 = 3") as caught:
        transformer_params(768, 12, 5, 3072, 50257, 1024)
    assert caught.value.field == "n_heads"


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"d_model": 0}, "d_model"), ({"kind": "seq2seq"}, "kind"), ({"max_positions": -1}, "max_positions")],
)
def test_transformer_schema_violations_name_the_field(changes, field):
    arguments = {
        "d_model": 64,
        "n_layers": 2,
        "n_heads": 4,
        "d_ff": 256,
        "vocab_size": 100,
        "max_positions": 16,
    }
    assert _rejected("transformer_params", arguments | changes).field.split(".")[0] == field
