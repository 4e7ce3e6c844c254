"""The backbone zoo tools: list_architectures, model_complexity, compare_models.

Reference values come from torchvision's own weight metadata (``get_weight(...).meta``: ``num_params`` exact,
``_ops`` = GMACs rounded to 3 decimals), which ships with torchvision — nothing is downloaded.
Every zoo model is counted once (results are cached per process): ~5 s for the whole zoo on 2 cores.
"""

import subprocess
import sys
import threading

import pytest
from pydantic import ValidationError

from tools import progress_reporter
from tools.catalog import call_tool
from tools.complexity import backbones
from tools.complexity.backbones import (
    architecture_names,
    compare_models,
    list_architectures,
    model_complexity,
)
from tools.complexity.zoo.registry import ARCHITECTURES, resolve_architecture
from tools.errors import ToolInputError

TORCHVISION_ENTRIES = [arch for arch in ARCHITECTURES if arch.weights is not None]  # the curated ones

# the zoo the issue asks for, by canonical name
EXPECTED_ZOO = [
    "LeNet-5", "AlexNet", "VGG11", "VGG13", "VGG16", "VGG19", "GoogLeNet",
    "ResNet-18", "ResNet-34", "ResNet-50", "ResNet-101", "ResNet-152", "DenseNet-121", "DenseNet-169",
    "MobileNetV1", "MobileNetV2", "MobileNetV3-Large", "MobileNetV3-Small",
    *(f"EfficientNet-B{b}" for b in range(8)), "ViT-B/16",
]  # fmt: skip


def _meta(weights: str) -> dict:
    from torchvision.models import get_weight

    return get_weight(weights).meta


# --- list_architectures


def test_list_architectures_puts_the_curated_zoo_first_in_order():
    names = [arch.name for arch in list_architectures().architectures]
    assert names[: len(EXPECTED_ZOO)] == EXPECTED_ZOO
    assert architecture_names(curated_only=True) == EXPECTED_ZOO


@pytest.mark.parametrize(
    ("name", "phrases"),
    [
        ("LeNet-5", ["five classic parts", "convolution", "subsampling", "fully connected"]),
        ("AlexNet", ["ReLU", "dropout", "local response normalization", "augmentation"]),
        ("VGG16", ["3×3"]),
        ("GoogLeNet", ["Inception", "concatenate", "1×1", "reduce"]),
        ("ResNet-50", ["H(x) = F(x) + x", "projection shortcut"]),
        ("DenseNet-121", ["concatenation of all earlier feature maps", "narrow"]),
        ("MobileNetV1", ["depthwise", "pointwise"]),
        ("MobileNetV3-Small", ["Depthwise + pointwise"]),
        ("EfficientNet-B3", ["Compound scaling", "depth, width and input resolution"]),
        ("ViT-B/16", ["patches", "attention", "enough pre-training data"]),
    ],
)
def test_each_family_states_its_key_idea(name, phrases):
    entry = next(a for a in list_architectures().architectures if a.name == name)
    for phrase in phrases:
        assert phrase.lower() in entry.key_idea.lower(), (name, phrase)


def test_years_and_input_shapes_of_classic_entries():
    by_name = {a.name: a for a in list_architectures().architectures}
    assert (by_name["LeNet-5"].year, by_name["LeNet-5"].input_shape) == (
        1998,
        (1, 32, 32),
    )  # LeCun et al. 1998
    assert (by_name["AlexNet"].year, by_name["ResNet-50"].year, by_name["ViT-B/16"].year) == (
        2012,
        2015,
        2020,
    )
    assert by_name["EfficientNet-B7"].input_shape == (3, 600, 600)  # torchvision transforms crop_size
    assert by_name["MobileNetV1"].source == "tools.complexity.zoo.mobilenet_v1.mobilenet_v1"


@pytest.mark.parametrize("arch", TORCHVISION_ENTRIES, ids=lambda a: a.name)
def test_documented_input_sizes_match_torchvision_metadata(arch):
    from torchvision.models import get_weight

    weights = get_weight(arch.weights)
    assert weights.transforms().crop_size == [arch.input_size]
    assert weights.meta["min_size"] == (arch.min_input_size, arch.min_input_size) or arch.name == "ViT-B/16"


def test_list_architectures_does_not_count_anything():
    code = (
        "import sys; from tools.complexity.backbones import list_architectures as f; f(); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --- model_complexity: the numbers


@pytest.mark.parametrize("arch", TORCHVISION_ENTRIES, ids=lambda a: a.name)
def test_params_and_macs_equal_torchvision_documentation(arch):
    meta = _meta(arch.weights)  # torchvision weight metadata: exact num_params, _ops = GMACs to 3 decimals
    result = model_complexity(arch.name)
    assert result.params == meta["num_params"]
    assert result.trainable_params == meta["num_params"]
    assert abs(result.macs / 1e9 - meta["_ops"]) <= 0.0005
    assert result.input_shape == (1, 3, arch.input_size, arch.input_size)
    assert result.flops == 2 * result.macs
    assert result.gmacs == result.macs / 1e9
    assert arch.weights in result.reference


def test_weight_memory_is_params_times_bytes():
    result = model_complexity("ResNet-50")
    # torchvision meta: 25,557,032 params → 4 / 2 / 1 bytes each, in MiB
    assert result.weight_memory_fp32_mib == round(25_557_032 * 4 / 2**20, 3) == 97.492
    assert result.weight_memory_fp16_mib == round(25_557_032 * 2 / 2**20, 3)
    assert result.weight_memory_int8_mib == round(25_557_032 / 2**20, 3)


def test_convention_is_stated():
    result = model_complexity("VGG11")
    assert "FLOPs = 2·MACs" in result.convention
    assert all(word in result.convention for word in ("convolutions", "matmuls", "attention"))


def test_googlenet_is_counted_without_auxiliary_classifiers():
    # torchvision documents GoogLeNet with aux_logits=False: 6,624,904 params (with aux heads: ~13M)
    assert model_complexity("GoogLeNet").params == _meta("GoogLeNet_Weights.IMAGENET1K_V1")["num_params"]


def test_vit_at_384_matches_torchvision_swag_e2e_metadata():
    # torchvision ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1 is ViT-B/16 at 384×384: position embeddings grow
    meta = _meta("ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1")
    result = model_complexity("ViT-B/16", input_size=384)
    assert result.params == meta["num_params"] == 86_859_496
    assert abs(result.macs / 1e9 - meta["_ops"]) <= 0.0005
    assert result.note is not None and "384" in result.note


def test_vit_attention_macs_by_hand():
    rows = {row.path: row for row in model_complexity("ViT-B/16", per_layer=True).layers}
    attention = rows["encoder.layers.encoder_layer_0.self_attention"]
    tokens, width, heads = 197, 768, 12  # 14×14 patches + class token
    qkv, out = tokens * width * 3 * width, tokens * width * width
    scores_and_mix = 2 * heads * tokens * tokens * (width // heads)  # QKᵀ and A·V
    assert attention.macs == qkv + out + scores_and_mix == 524_391_936
    assert attention.params == 4 * width * width + 4 * width  # in_proj (3 matrices) + out_proj, with biases


def test_other_input_sizes_scale_conv_macs():
    at_224 = model_complexity("ResNet-50")
    at_448 = model_complexity("ResNet-50", input_size=448)
    assert at_448.params == at_224.params
    # 4× the pixels → 4× the conv MACs; only the final fc (2048×1000, after global pooling) stays the same
    fc = 2048 * 1000
    assert at_448.macs - fc == 4 * (at_224.macs - fc)


def test_batch_size_scales_macs_not_params():
    one = model_complexity("MobileNetV2")
    four = model_complexity("MobileNetV2", batch_size=4)
    assert four.macs == 4 * one.macs
    assert four.params == one.params
    assert four.input_shape == (4, 3, 224, 224)


# --- model_complexity: names, sizes, errors


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("resnet50", "ResNet-50"),
        ("ResNet-50", "ResNet-50"),
        ("RESNET_50", "ResNet-50"),
        ("vit_b_16", "ViT-B/16"),
        ("ViT-B/16", "ViT-B/16"),
        ("mobilenet_v3_large", "MobileNetV3-Large"),
        ("efficientnet-b0", "EfficientNet-B0"),
        ("lenet", "LeNet-5"),
        ("vgg 16", "VGG16"),
        ("inception_v1", "GoogLeNet"),
    ],
)
def test_names_are_case_and_separator_insensitive(alias, canonical):
    assert resolve_architecture(alias).name == canonical


@pytest.mark.parametrize(
    ("shorthand", "canonical"),
    [
        ("r18", "ResNet-18"),
        ("R-50", "ResNet-50"),
        ("rn101", "ResNet-101"),
        ("effnet-b0", "EfficientNet-B0"),
        ("EffNet B3", "EfficientNet-B3"),
        ("mbv2", "MobileNetV2"),
        ("mbv3-small", "MobileNetV3-Small"),
        ("dn121", "DenseNet-121"),
        ("shufflenet v2", "ShuffleNetV2 1.0x"),  # torchvision's and the paper's main width
        ("r3d_18", "R3D-18"),  # a zoo name is never read as a shorthand
    ],
)
def test_common_shorthands_name_their_family(shorthand, canonical):
    assert resolve_architecture(shorthand).name == canonical


def test_alias_reports_the_canonical_name():
    assert model_complexity("vgg_16").model == "VGG16"


def test_unknown_name_lists_the_closest_matches():
    with pytest.raises(ToolInputError) as err:
        model_complexity("resnet51")
    assert err.value.field == "model"
    assert "ResNet-50" in err.value.reason and "list_architectures" in err.value.reason


def test_unrelated_name_points_to_the_listing():
    with pytest.raises(ToolInputError, match="no close name \\(list_architectures shows all 123\\)"):
        model_complexity("transformer-xl-9000")


@pytest.mark.parametrize(
    ("model", "size", "expected"),
    [
        ("LeNet-5", 224, "only takes 32×32"),
        ("AlexNet", 32, "at least 63"),  # torchvision meta min_size (63, 63)
        ("ViT-B/16", 230, "multiple of 16"),
        ("DenseNet-121", 16, "at least 29"),
    ],
)
def test_input_size_the_network_cannot_take_is_rejected(model, size, expected):
    with pytest.raises(ToolInputError, match=expected) as err:
        model_complexity(model, input_size=size)
    assert err.value.field == "input_size"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"model": ""}, "model"),
        ({"model": "resnet18", "input_size": 0}, "input_size"),
        ({"model": "resnet18", "input_size": 5000}, "input_size"),
        ({"model": "resnet18", "batch_size": 0}, "batch_size"),
        ({"model": "resnet18", "per_layer": "sometimes"}, "per_layer"),
        ({"model": "resnet18", "weights": "imagenet"}, "weights"),
    ],
)
def test_schema_bounds_name_the_field(args, field):
    with pytest.raises(ToolInputError) as err:
        call_tool("model_complexity", args)
    assert err.value.field == field


def test_call_tool_runs_model_complexity():
    result = call_tool("model_complexity", {"model": "resnet18"})
    assert result.model == "ResNet-18" and result.params == 11_689_512  # torchvision ResNet18 meta


# --- model_complexity: per-layer table and cache


@pytest.mark.parametrize("name", ["ResNet-50", "GoogLeNet", "DenseNet-121", "MobileNetV3-Small", "ViT-B/16"])
def test_per_layer_rows_sum_to_the_totals(name):
    result = model_complexity(name, per_layer=True)
    assert sum(row.params for row in result.layers) == result.params
    assert sum(row.macs for row in result.layers) == result.macs
    assert len({row.path for row in result.layers}) == len(result.layers)


def test_per_layer_rows_describe_resnet_layers():
    rows = {row.path: row for row in model_complexity("ResNet-18", per_layer=True).layers}
    conv1 = rows["conv1"]  # 7×7 stride-2 conv, 3 → 64 channels, no bias, on 224×224
    assert (conv1.type, conv1.output_shape, conv1.params) == ("Conv2d", (1, 64, 112, 112), 7 * 7 * 3 * 64)
    assert conv1.macs == 112 * 112 * 64 * 7 * 7 * 3
    assert (rows["bn1"].type, rows["bn1"].params, rows["bn1"].macs) == ("BatchNorm2d", 128, 0)
    assert rows["maxpool"].output_shape == (1, 64, 56, 56)
    assert rows["fc"].params == 512 * 1000 + 1000 and rows["fc"].output_shape == (1, 1000)
    assert "relu" not in rows  # shape-preserving, parameter-free, zero-MAC modules are left out


def test_per_layer_table_is_absent_unless_asked():
    assert model_complexity("ResNet-18").layers is None


def test_cached_results_cannot_be_mutated_by_callers():
    first = model_complexity("ResNet-18", per_layer=True)
    first.params = -1
    with pytest.raises(ValidationError):
        first.layers[0].params = -1  # rows are frozen
    with pytest.raises(TypeError):
        first.layers[0] = None  # the table is a tuple
    again = model_complexity("ResNet-18", per_layer=True)
    assert again is not first
    assert again.params == 11_689_512 and again.layers[0].params == 9408  # torchvision meta; 7·7·3·64


def test_concurrent_calls_give_the_same_answers():
    backbones._zoo_complexity.cache_clear()
    names = ["LeNet-5", "MobileNetV1", "ResNet-18", "MobileNetV3-Small"]
    results: dict[str, object] = {}

    def run(name):
        results[name] = model_complexity(name, per_layer=True)

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    backbones._zoo_complexity.cache_clear()
    for name in names:
        assert results[name] == model_complexity(name, per_layer=True)


# --- compare_models


def test_compare_models_table_and_pareto_front():
    # torchvision meta: AlexNet 61.1 M / 0.714 GMACs, GoogLeNet 6.6 M / 1.498, ResNet-18 11.7 M / 1.814,
    # VGG16 138.4 M / 15.47. GoogLeNet beats ResNet-18 on both; AlexNet beats VGG16 on both; neither
    # GoogLeNet nor AlexNet beats the other on both → the front is [GoogLeNet, AlexNet] (fewest params first).
    result = compare_models(["AlexNet", "googlenet", "resnet18", "VGG16"], plot=False)
    assert [row.name for row in result.models] == ["AlexNet", "GoogLeNet", "ResNet-18", "VGG16"]
    assert result.pareto_front == ["GoogLeNet", "AlexNet"]
    assert [row.on_pareto_front for row in result.models] == [True, True, False, False]
    assert result.models[3].params == 138_357_544
    assert result.png is None


def test_compare_models_lists_the_models_within_a_budget():
    # the same torchvision meta: within 20 M parameters and 1.6 GMACs only GoogLeNet (6.6 M / 1.498);
    # within 1.6 GMACs alone AlexNet joins (0.714 GMACs), listed after it (more parameters)
    models = ["AlexNet", "googlenet", "resnet18", "VGG16"]
    both = compare_models(models, max_params_millions=20, max_gmacs=1.6, plot=False)
    assert both.within_budget == ["GoogLeNet"]
    assert both.budget == "at most 20 M parameters and at most 1.6 GMACs per image"
    assert compare_models(models, max_gmacs=1.6, plot=False).within_budget == ["GoogLeNet", "AlexNet"]
    unbounded = compare_models(models, plot=False)
    assert unbounded.within_budget is None and unbounded.budget is None


def test_compare_models_draws_a_png_scatter():
    result = compare_models(["MobileNetV2", "ResNet-50", "EfficientNet-B0"])
    assert result.png is not None and result.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert "png" not in result.model_dump()  # the image travels beside the numbers, never in them


def test_compare_models_counts_aliases_once_and_uses_each_documented_size():
    result = compare_models(["resnet50", "ResNet-50", "EfficientNet-B3"], plot=False)
    assert [row.name for row in result.models] == ["ResNet-50", "EfficientNet-B3"]
    assert result.models[1].input_shape == (1, 3, 300, 300)  # torchvision EfficientNet_B3 crop_size


def test_compare_models_with_one_input_size():
    result = compare_models(["ResNet-18", "MobileNetV2"], input_size=160, plot=False)
    assert {row.input_shape for row in result.models} == {(1, 3, 160, 160)}


def test_compare_models_reports_progress_per_model():
    calls = []
    with progress_reporter(lambda done, total, message: calls.append((done, total, message))):
        compare_models(["VGG11", "VGG13", "VGG19"], plot=False)
    assert calls == [(1, 3, "counted VGG11"), (2, 3, "counted VGG13"), (3, 3, "counted VGG19")]


def test_compare_models_stops_when_progress_callback_cancels():
    class Cancelled(Exception):
        pass

    def cancel(done, total, message):
        raise Cancelled

    with progress_reporter(cancel), pytest.raises(Cancelled):
        compare_models(["VGG11", "VGG13"], plot=False)


def test_compare_models_names_the_bad_entry():
    with pytest.raises(ToolInputError) as err:
        compare_models(["VGG11", "ResNet-50", "resnet-9000"])
    assert err.value.field == "models[2]"


def test_compare_models_rejects_a_size_one_model_cannot_take():
    with pytest.raises(ToolInputError, match="LeNet-5 only takes 32×32"):
        compare_models(["LeNet-5", "ResNet-18"], input_size=224)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"models": []}, "models"),
        ({"models": ["VGG11"] * 40}, "models"),
        ({"models": ["VGG11"], "input_size": -1}, "input_size"),
    ],
)
def test_compare_models_schema_bounds(args, field):
    with pytest.raises(ToolInputError) as err:
        call_tool("compare_models", args)
    assert err.value.field == field


# --- import weight


def test_importing_the_tools_does_not_import_torch():
    code = (
        "import sys, tools.catalog, tools.complexity.backbones, tools.complexity.zoo.registry, "
        "tools.complexity.zoo.custom; "
        "print(sorted(m for m in ('torch', 'torchvision', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
