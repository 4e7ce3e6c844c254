"""custom_network_complexity: a typed layer list → per-layer shapes, parameters and MACs.

Reference values are derived by hand next to each test: a k×k conv from C_in to C_out channels has
C_out·(C_in·k²/groups + 1) parameters (with bias) and H_out·W_out·C_out·C_in·k²/groups MACs; a linear layer
has out·(in + 1) parameters and in·out MACs; an LSTM layer has 4·H·(I + H) weights + 8·H biases per direction
and 4·H·(I + H) MACs per step.
"""

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from tools.catalog import call_tool, validate_arguments
from tools.complexity.network import custom_network_complexity
from tools.complexity.zoo.counting import meta_device
from tools.complexity.zoo.sequence import RecurrentOutput
from tools.errors import ToolInputError


def _run(layers, input_shape):
    return call_tool("custom_network_complexity", {"layers": layers, "input_shape": input_shape})


def test_classic_lenet_style_network_by_hand():
    layers = [
        {"type": "conv2d", "out_channels": 6, "kernel_size": 5},
        {"type": "relu"},
        {"type": "maxpool", "kernel_size": 2},
        {"type": "conv2d", "out_channels": 16, "kernel_size": 5, "in_channels": 6},
        {"type": "relu"},
        {"type": "avgpool", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "out_features": 120, "in_features": 400},
        {"type": "sigmoid"},
        {"type": "linear", "out_features": 84},
        {"type": "dropout", "p": 0.1},
        {"type": "linear", "out_features": 10},
    ]
    result = _run(layers, [1, 32, 32])
    shapes = [row.output_shape for row in result.layers]
    assert shapes == [
        (6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 10, 10), (16, 5, 5),
        (400,), (120,), (120,), (84,), (84,), (10,),
    ]  # fmt: skip
    params = [row.params for row in result.layers]
    #        6·(25+1)  16·(6·25+1)  120·(400+1)  84·(120+1)  10·(84+1)
    assert params == [156, 0, 0, 2416, 0, 0, 0, 48_120, 0, 10_164, 0, 850]
    macs = [row.macs for row in result.layers]
    #        28²·6·25          10²·16·150         400·120          120·84          84·10
    assert macs == [117_600, 0, 0, 240_000, 0, 0, 0, 48_000, 0, 10_080, 0, 840]
    assert result.params == sum(params) == 61_706
    assert result.macs == sum(macs) and result.flops == 2 * result.macs
    assert result.output_shape == (10,) and result.input_shape == (1, 32, 32)
    assert [row.type for row in result.layers][:3] == ["conv2d", "relu", "maxpool"]


def test_depthwise_separable_block_matches_mobilenet_layer_by_hand():
    # MobileNetV1's first separable block at 112×112 with 32 channels (Howard et al. 2017, Table 1)
    layers = [
        {"type": "depthwise_conv2d", "kernel_size": 3, "padding": 1, "bias": False},
        {"type": "batchnorm"},
        {"type": "relu"},
        {"type": "conv2d", "out_channels": 64, "kernel_size": 1, "bias": False},
        {"type": "batchnorm", "num_features": 64},
    ]
    rows = _run(layers, [32, 112, 112]).layers
    assert (rows[0].params, rows[0].macs) == (32 * 9, 112 * 112 * 32 * 9)  # 288, 3,612,672
    assert (rows[3].params, rows[3].macs) == (32 * 64, 112 * 112 * 32 * 64)  # 2048, 25,690,112
    assert (rows[1].params, rows[4].params) == (2 * 32, 2 * 64)  # BatchNorm: scale and shift per channel
    assert rows[4].output_shape == (64, 112, 112)


def test_depthwise_multiplier_and_grouped_conv():
    layers = [
        {"type": "depthwise_conv2d", "kernel_size": 3, "multiplier": 2, "stride": 2, "padding": 1},
        {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "groups": 4, "padding": 1},
    ]
    rows = _run(layers, [4, 8, 8]).layers
    assert rows[0].output_shape == (8, 4, 4)
    assert rows[0].params == 8 * 9 + 8  # one 3×3 filter per output channel + bias
    assert rows[1].params == 8 * (2 * 9) + 8  # groups=4: each filter sees 8/4 = 2 channels
    assert rows[1].macs == 4 * 4 * 8 * 2 * 9


def test_lstm_by_hand():
    layers = [
        {"type": "lstm", "hidden_size": 20, "num_layers": 2, "bidirectional": True},
        {"type": "lstm", "hidden_size": 8, "return_sequences": False},
        {"type": "linear", "out_features": 3},
    ]
    rows = _run(layers, [7, 10]).layers
    layer1 = 2 * (4 * 20 * (10 + 20) + 8 * 20)  # two directions, input 10
    layer2 = 2 * (4 * 20 * (40 + 20) + 8 * 20)  # input = both directions of layer 1 (40)
    assert rows[0].params == layer1 + layer2 == 15_040
    assert rows[0].macs == 7 * 2 * (4 * 20 * (10 + 20) + 4 * 20 * (40 + 20)) == 100_800
    assert rows[0].output_shape == (7, 40)
    assert rows[1].output_shape == (8,)  # only the last step
    assert rows[1].params == 4 * 8 * (40 + 8) + 8 * 8
    assert rows[1].macs == 7 * 4 * 8 * (40 + 8)
    assert rows[2].output_shape == (3,)


@pytest.mark.parametrize(
    ("input_size", "hidden", "num_layers", "bidirectional"),
    [(10, 20, 2, True), (5, 3, 1, False), (4, 6, 3, False)],
)
def test_meta_lstm_counts_exactly_what_nn_lstm_counts(input_size, hidden, num_layers, bidirectional):
    with meta_device():
        lstm = nn.LSTM(input_size, hidden, num_layers, batch_first=True, bidirectional=bidirectional)
    x = torch.empty(2, 7, input_size, device="meta")
    with torch.no_grad(), FlopCounterMode(display=False) as reference:
        expected = lstm(x)[0]  # nn.LSTM itself, one decomposed step at a time
    with torch.no_grad(), FlopCounterMode(display=False) as batched:
        out = RecurrentOutput(lstm, last_step_only=False)(x)
    assert batched.get_total_flops() == reference.get_total_flops() > 0
    assert out.shape == expected.shape


def test_long_sequences_stay_cheap():
    # on meta nn.LSTM would decompose 16,384 steps × 8 layers × 2 directions one by one; batched it is instant
    layers = [{"type": "lstm", "hidden_size": 64, "num_layers": 8, "bidirectional": True}]
    result = _run(layers, [16_384, 32])
    per_step = 2 * (4 * 64 * (32 + 64) + 7 * 4 * 64 * (128 + 64))
    assert result.macs == 16_384 * per_step


def test_layernorm_and_linear_on_a_sequence():
    layers = [
        {"type": "layernorm"},
        {"type": "linear", "out_features": 3072},
        {"type": "gelu"},
        {"type": "linear", "out_features": 768},
        {"type": "layernorm", "normalized_shape": [197, 768]},
    ]
    rows = _run(layers, [197, 768]).layers
    assert rows[0].params == 2 * 768
    assert rows[1].macs == 197 * 768 * 3072  # a linear layer applies to every token
    assert rows[4].params == 2 * 197 * 768
    assert rows[4].output_shape == (197, 768)


def test_adaptive_pool_and_batchnorm_on_vectors():
    layers = [
        {"type": "adaptive_avgpool", "output_size": 1},
        {"type": "flatten"},
        {"type": "batchnorm"},
        {"type": "linear", "out_features": 5},
    ]
    rows = _run(layers, [512, 7, 7]).layers
    assert [row.output_shape for row in rows] == [(512, 1, 1), (512,), (512,), (5,)]
    assert rows[2].params == 1024 and rows[3].macs == 512 * 5


def test_direct_call_accepts_plain_dicts():
    result = custom_network_complexity([{"type": "linear", "out_features": 2}], [3])
    assert result.params == 8 and result.macs == 6


# --- shape mismatches name the layer, the shape that arrived and the expectation


@pytest.mark.parametrize(
    ("layers", "input_shape", "field", "phrases"),
    [
        (
            [{"type": "conv2d", "out_channels": 16, "kernel_size": 3}, {"type": "relu"},
             {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "in_channels": 3}],
            [3, 32, 32], "layers[2]", ["[16, 30, 30]", "layer 1", "in_channels=3", "has 16"],
        ),
        (
            [{"type": "conv2d", "out_channels": 4, "kernel_size": 5}, {"type": "linear", "out_features": 10}],
            [1, 28, 28], "layers[1]", ["[4, 24, 24]", "flatten"],
        ),
        (
            [{"type": "flatten"}, {"type": "linear", "out_features": 10, "in_features": 700}],
            [1, 28, 28], "layers[1]", ["[784]", "in_features=700"],
        ),
        (
            [{"type": "conv2d", "out_channels": 4, "kernel_size": 7}],
            [3, 5, 5], "layers[0]", ["[3, 5, 5]", "the input", "does not fit"],
        ),
        (
            [{"type": "maxpool", "kernel_size": 2}],
            [10], "layers[0]", ["[10]", "[channels, height, width]"],
        ),
        (
            [{"type": "lstm", "hidden_size": 4}],
            [3, 8, 8], "layers[0]", ["[3, 8, 8]", "[steps, features]"],
        ),
        (
            [{"type": "lstm", "hidden_size": 4, "input_size": 6}],
            [5, 8], "layers[0]", ["input_size=6", "has 8"],
        ),
        (
            [{"type": "conv2d", "out_channels": 6, "kernel_size": 3, "groups": 4}],
            [8, 8, 8], "layers[0]", ["groups=4"],
        ),
        (
            [{"type": "layernorm", "normalized_shape": [64]}],
            [10, 32], "layers[0]", ["[10, 32]", "normalized_shape=[64]"],
        ),
        (
            [{"type": "batchnorm", "num_features": 8}],
            [4, 2, 2], "layers[0]", ["num_features=8"],
        ),
        (
            [{"type": "avgpool", "kernel_size": 2, "padding": 1, "stride": 1},
             {"type": "maxpool", "kernel_size": 3, "padding": 2}],
            [1, 4, 4], "layers[1]", ["[1, 5, 5]", "padding=2", "kernel_size/2"],
        ),
    ],
)  # fmt: skip
def test_shape_mismatch_names_layer_shape_and_expectation(layers, input_shape, field, phrases):
    with pytest.raises(ToolInputError) as err:
        _run(layers, input_shape)
    assert err.value.field == field
    for phrase in phrases:
        assert phrase in err.value.reason, (phrase, err.value.reason)


# --- the schema: typed layers only, bounded sizes


@pytest.mark.parametrize(
    ("args", "field_prefix"),
    [
        ({"layers": [], "input_shape": [3, 8, 8]}, "layers"),
        ({"layers": [{"type": "relu"}] * 101, "input_shape": [3]}, "layers"),
        ({"layers": [{"type": "conv3d", "out_channels": 2}], "input_shape": [3, 8, 8]}, "layers.0"),
        (
            {"layers": [{"type": "conv2d", "out_channels": 0, "kernel_size": 3}], "input_shape": [3, 8, 8]},
            "layers.0",
        ),
        (
            {"layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": 99}], "input_shape": [3, 8, 8]},
            "layers.0",
        ),
        ({"layers": [{"type": "linear", "out_features": 10**9}], "input_shape": [3]}, "layers.0"),
        ({"layers": [{"type": "dropout", "p": 1.0}], "input_shape": [3]}, "layers.0"),
        ({"layers": [{"type": "relu", "code": "import os"}], "input_shape": [3]}, "layers.0"),
        ({"layers": ["nn.Conv2d(3, 8, 3)"], "input_shape": [3, 8, 8]}, "layers.0"),
        ({"layers": [{"type": "relu"}], "input_shape": [1, 3, 8, 8]}, "input_shape"),
        ({"layers": [{"type": "relu"}], "input_shape": [0]}, "input_shape"),
        ({"layers": [{"type": "relu"}], "input_shape": [100_000]}, "input_shape"),
    ],
)
def test_schema_rejects_bad_layers_naming_the_field(args, field_prefix):
    with pytest.raises(ToolInputError) as err:
        validate_arguments("custom_network_complexity", args)
    assert err.value.field.startswith(field_prefix)


def test_schema_is_a_discriminated_union_on_type():
    from tools.catalog import arguments_model

    schema = arguments_model("custom_network_complexity").model_json_schema()
    layer_schema = schema["properties"]["layers"]["items"]
    assert layer_schema["discriminator"]["propertyName"] == "type"
    types = set(layer_schema["discriminator"]["mapping"])
    assert types == {
        "conv2d", "conv1d", "conv_transpose2d", "depthwise_conv2d", "linear", "maxpool", "avgpool",
        "adaptive_avgpool", "batchnorm", "layernorm", "relu", "gelu", "sigmoid", "tanh", "dropout", "flatten",
        "lstm", "gru", "rnn", "embedding", "multihead_attention", "transformer_encoder_layer", "residual",
    }  # fmt: skip


def test_large_layers_cost_nothing_on_meta():
    # 16,384 → 16,384 linear layers: 268 M parameters each, 1 GiB in fp32; on meta nothing is allocated
    layers = [{"type": "linear", "out_features": 16_384}] * 4
    result = _run(layers, [16_384])
    assert result.params == 4 * (16_384 * 16_384 + 16_384)
    assert result.weight_memory_fp32_mib == round(result.params * 4 / 2**20, 3)


# --- layers users describe: each equal to the torch module (parameters: the module's own; MACs: torch's
# FlopCounterMode on the module, or the hand formula beside it)


def _torch_reference(
    module: nn.Module, shape: tuple[int, ...], *, tokens: bool = False
) -> tuple[int, int, tuple]:
    """(params, MACs, output shape) of a real torch module on one example of ``shape``, on meta."""
    x = torch.empty((1, *shape), device="meta", dtype=torch.long if tokens else torch.float32)
    module = module.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = module(x)
    out = out[0] if isinstance(out, tuple) else out
    return sum(p.numel() for p in module.parameters()), counter.get_total_flops() // 2, tuple(out.shape[1:])


def _single(layer: dict, shape: list[int]):
    result = _run([layer], shape)
    (row,) = result.layers
    return row


@pytest.mark.parametrize(
    ("layer", "module", "shape"),
    [
        # conv1d, with 'same' padding and dilation
        ({"type": "conv1d", "out_channels": 8, "kernel_size": 5, "padding": "same", "dilation": 2},
         lambda: nn.Conv1d(4, 8, 5, padding="same", dilation=2), [4, 50]),
        ({"type": "conv1d", "out_channels": 6, "kernel_size": 3, "stride": 2, "groups": 2},
         lambda: nn.Conv1d(4, 6, 3, stride=2, groups=2), [4, 31]),
        # non-square kernels, strides and padding; 'same'
        ({"type": "conv2d", "out_channels": 16, "kernel_size": [1, 7], "padding": [0, 3]},
         lambda: nn.Conv2d(8, 16, (1, 7), padding=(0, 3)), [8, 17, 17]),
        ({"type": "conv2d", "out_channels": 4, "kernel_size": [3, 5], "stride": [1, 2], "dilation": [2, 1]},
         lambda: nn.Conv2d(3, 4, (3, 5), stride=(1, 2), dilation=(2, 1)), [3, 20, 21]),
        ({"type": "conv2d", "out_channels": 4, "kernel_size": 4, "padding": "same"},
         lambda: nn.Conv2d(3, 4, 4, padding="same"), [3, 9, 9]),
        # transposed convolution: learned upsampling
        ({"type": "conv_transpose2d", "out_channels": 8, "kernel_size": 4, "stride": 2, "padding": 1},
         lambda: nn.ConvTranspose2d(16, 8, 4, 2, 1), [16, 7, 7]),
        ({"type": "conv_transpose2d", "out_channels": 3, "kernel_size": [3, 2], "stride": 2,
          "output_padding": 1}, lambda: nn.ConvTranspose2d(6, 3, (3, 2), 2, output_padding=1), [6, 5, 4]),
        # pooling with ceil_mode and non-square windows
        ({"type": "maxpool", "kernel_size": 3, "stride": 2, "ceil_mode": True},
         lambda: nn.MaxPool2d(3, 2, ceil_mode=True), [2, 8, 8]),
        ({"type": "avgpool", "kernel_size": [2, 3], "stride": [2, 2], "padding": [1, 1], "ceil_mode": True},
         lambda: nn.AvgPool2d((2, 3), (2, 2), (1, 1), ceil_mode=True), [2, 7, 10]),
        # recurrent layers
        ({"type": "gru", "hidden_size": 12, "num_layers": 2, "bidirectional": True},
         lambda: nn.GRU(5, 12, 2, batch_first=True, bidirectional=True), [9, 5]),
        ({"type": "rnn", "hidden_size": 7, "nonlinearity": "relu"},
         lambda: nn.RNN(3, 7, nonlinearity="relu", batch_first=True), [6, 3]),
        ({"type": "lstm", "hidden_size": 16, "proj_size": 4, "num_layers": 2},
         lambda: nn.LSTM(6, 16, 2, batch_first=True, proj_size=4), [5, 6]),
        # attention
        ({"type": "multihead_attention", "num_heads": 4},
         lambda: nn.MultiheadAttention(32, 4, batch_first=True), [10, 32]),
        ({"type": "transformer_encoder_layer", "num_heads": 4, "dim_feedforward": 64},
         lambda: nn.TransformerEncoderLayer(32, 4, 64, batch_first=True), [10, 32]),
        ({"type": "transformer_encoder_layer", "num_heads": 2, "dim_feedforward": 48, "norm_first": True,
          "activation": "gelu"},
         lambda: nn.TransformerEncoderLayer(16, 2, 48, activation="gelu", batch_first=True, norm_first=True),
         [7, 16]),
    ],
    ids=lambda value: value["type"] if isinstance(value, dict) else None,
)  # fmt: skip
def test_a_layer_equals_its_torch_module(layer, module, shape):
    row = _single(layer, shape)
    with meta_device():
        reference = module()
    if isinstance(reference, (nn.RNNBase, nn.MultiheadAttention)):  # they return (output, state)
        params = sum(p.numel() for p in reference.parameters())
        x = torch.empty((1, *shape), device="meta")
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            out = (
                reference(x) if isinstance(reference, nn.RNNBase) else reference(x, x, x, need_weights=False)
            )
        macs, out_shape = counter.get_total_flops() // 2, tuple(out[0].shape[1:])
    else:
        params, macs, out_shape = _torch_reference(reference, tuple(shape))
    assert (row.params, row.macs, row.output_shape) == (params, macs, out_shape)
    assert macs > 0 or layer["type"] in ("maxpool", "avgpool")


def test_attention_macs_by_hand():
    # T tokens of width d, h heads: Q, K, V projections 3·T·d², scores QKᵀ and the weighted sum 2·T²·d,
    # output projection T·d² (Vaswani et al. 2017); parameters 4d² + 4d with biases
    t, d = 10, 32
    row = _single({"type": "multihead_attention", "num_heads": 4}, [t, d])
    assert row.macs == 3 * t * d * d + 2 * t * t * d + t * d * d
    assert row.params == 4 * d * d + 4 * d
    encoder = _single({"type": "transformer_encoder_layer", "num_heads": 4, "dim_feedforward": 64}, [t, d])
    # + feed-forward 2·T·d·d_ff; + two LayerNorms (4d params) and the FFN's weights and biases
    assert encoder.macs == row.macs + 2 * t * d * 64
    assert encoder.params == row.params + (2 * d * 64 + 64 + d) + 4 * d


def test_embedding_is_a_lookup_with_vocab_times_dim_parameters():
    layers = [
        {"type": "embedding", "num_embeddings": 1000, "embedding_dim": 16},
        {"type": "lstm", "hidden_size": 8, "return_sequences": False},
        {"type": "linear", "out_features": 2},
    ]
    rows = _run(layers, [12]).layers
    assert (rows[0].params, rows[0].macs, rows[0].output_shape) == (1000 * 16, 0, (12, 16))
    assert rows[1].params == 4 * 8 * (16 + 8) + 8 * 8


def test_residual_block_adds_its_output_to_its_input():
    # ResNet's basic block at 64 channels (He et al. 2016): two 3×3 convs without bias + BatchNorm
    block = {"type": "residual", "layers": [
        {"type": "conv2d", "out_channels": 64, "kernel_size": 3, "padding": 1, "bias": False},
        {"type": "batchnorm"}, {"type": "relu"},
        {"type": "conv2d", "out_channels": 64, "kernel_size": 3, "padding": 1, "bias": False},
        {"type": "batchnorm"},
    ]}  # fmt: skip
    (row,) = _run([block], [64, 56, 56]).layers
    assert row.params == 2 * (64 * 64 * 9) + 2 * (2 * 64)  # the add itself has no parameters
    assert row.macs == 2 * 56 * 56 * 64 * 64 * 9
    assert row.output_shape == (64, 56, 56)


def test_a_downsampling_residual_block_projects_its_shortcut():
    # ResNet's projection shortcut: a 1×1 stride-2 convolution from 64 to 128 channels, no bias
    block = {"type": "residual", "projection": True, "layers": [
        {"type": "conv2d", "out_channels": 128, "kernel_size": 3, "stride": 2, "padding": 1, "bias": False},
    ]}  # fmt: skip
    (row,) = _run([block], [64, 56, 56]).layers
    assert row.output_shape == (128, 28, 28)
    assert row.params == 128 * 64 * 9 + 128 * 64
    assert row.macs == 28 * 28 * 128 * 64 * 9 + 28 * 28 * 128 * 64
    vector = {"type": "residual", "projection": True, "layers": [{"type": "linear", "out_features": 8}]}
    assert _run([vector], [4]).layers[0].params == (4 * 8 + 8) + 4 * 8


def test_a_residual_block_that_changes_the_shape_needs_a_projection():
    block = {"type": "residual", "layers": [{"type": "relu"}, {"type": "linear", "out_features": 3}]}
    with pytest.raises(ToolInputError) as err:
        _run([{"type": "relu"}, block], [5])
    assert err.value.field == "layers[1]"
    assert "[5] into [3]" in err.value.reason and "projection=true" in err.value.reason


def test_a_mismatch_inside_a_residual_block_names_the_inner_layer():
    block = {"type": "residual", "layers": [{"type": "relu"}, {"type": "maxpool", "kernel_size": 2}]}
    with pytest.raises(ToolInputError) as err:
        _run([block], [16])
    assert err.value.field == "layers[0].layers[1]"
    assert "[channels, height, width]" in err.value.reason


@pytest.mark.parametrize(
    ("layers", "shape", "phrase"),
    [
        ([{"type": "conv2d", "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": "same"}], [1, 8, 8],
         "stride 1"),
        ([{"type": "lstm", "hidden_size": 4, "proj_size": 4}], [3, 2], "smaller than hidden_size"),
        ([{"type": "gru", "hidden_size": 4, "proj_size": 2}], [3, 2], "lstm only"),
        ([{"type": "multihead_attention", "num_heads": 3}], [5, 8], "must divide"),
        ([{"type": "embedding", "num_embeddings": 10, "embedding_dim": 4}], [3, 4], "[steps]"),
        ([{"type": "conv_transpose2d", "out_channels": 2, "kernel_size": 3, "stride": 2,
           "output_padding": 2}], [1, 4, 4], "output_padding"),
        ([{"type": "conv1d", "out_channels": 2, "kernel_size": 3}], [3, 8, 8], "[channels, length]"),
    ],
)  # fmt: skip
def test_new_layers_explain_what_does_not_fit(layers, shape, phrase):
    with pytest.raises(ToolInputError) as err:
        _run(layers, shape)
    assert phrase in err.value.reason, err.value.reason


def test_nested_layers_count_toward_the_limit():
    block = {"type": "residual", "layers": [{"type": "relu"}] * 20}
    with pytest.raises(ToolInputError, match="at most 100"):
        _run([block] * 5, [4])  # 5 blocks + 100 inner layers
