"""Mixtures of experts and multi-head latent attention in the architecture spec: counts against tiny
transformers models (Mixtral, Qwen3-MoE, DeepSeek-V2/V3), LoRA on attention, routers and experts against peft
0.21, the published totals of the presets, their spellings, and the checks that name the field."""

import re

import pytest

from tools.errors import ToolInputError
from tools.finetuning.architecture import TransformerSpec, active_params, count_params, linear_layers
from tools.finetuning.calculators import finetune_memory, peft_trainable_params
from tools.finetuning.presets import PRESETS, canonical_preset, resolve_base

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")

from tests.tools.tiny_moe import MOE_FAMILIES, build_moe  # noqa: E402
from tools.finetuning.targets import EXPERT_PARAMETERS  # noqa: E402

NAMES = list(MOE_FAMILIES)


@pytest.mark.parametrize("name", NAMES)
def test_spec_counts_the_tiny_transformers_model(name):
    model = build_moe(name)
    spec = MOE_FAMILIES[name].spec
    assert count_params(spec) == sum(p.numel() for p in model.parameters())
    experts = sum(p.numel() for n, p in model.named_parameters() if ".mlp.experts." in n)
    skipped = experts // spec.num_experts * (spec.num_experts - spec.experts_per_token)
    assert active_params(spec) == count_params(spec) - skipped


@pytest.mark.parametrize("name", NAMES)
def test_module_regexes_of_the_harness_match_one_module_per_layer_that_has_it(name):
    # Guards the harness: each regex selects exactly the layers our spec says carry that projection.
    modules = [n for n, _ in build_moe(name).named_modules()]
    by_kind = {layer.kind: layer for layer in linear_layers(MOE_FAMILIES[name].spec)}
    for kind, pattern in MOE_FAMILIES[name].modules.items():
        hits = [n for n in modules if re.fullmatch(pattern, n)]
        assert len(hits) == (by_kind[kind].count if kind in by_kind else 0), (name, kind)


@pytest.mark.parametrize("name", NAMES)
def test_lora_on_the_attention_projections_matches_peft(name):
    family = MOE_FAMILIES[name]
    kinds = [k for k in ("q", "k", "v", "o", "q_a", "q_b", "kv_a", "kv_b") if k in family.modules]
    have = {layer.kind for layer in linear_layers(family.spec)}
    kinds = [k for k in kinds if k in have]
    ours = peft_trainable_params("lora", family.spec, r=3, target_modules=kinds)
    regex = "|".join(family.modules[k] for k in kinds)
    theirs = peft.get_peft_model(build_moe(name), peft.LoraConfig(r=3, target_modules=regex))
    assert (ours.trainable_params, ours.total_params) == theirs.get_nb_trainable_parameters()


@pytest.mark.parametrize("name", NAMES)
def test_lora_on_every_expert_and_the_router_matches_peft_target_parameters(name):
    # peft adapts the 3-D expert tensors through target_parameters: one rank-r pair per expert, so a fused
    # gate_up of E experts adds E·r·(h + 2I) and a down E·r·(I + h); the router (E × h) adds r·(h + E).
    family = MOE_FAMILIES[name]
    kinds = ["router", "expert_gate_up", "expert_down"]
    ours = peft_trainable_params("lora", family.spec, r=2, target_modules=kinds)
    config = peft.LoraConfig(r=2, target_modules=[], target_parameters=[EXPERT_PARAMETERS[k] for k in kinds])
    theirs = peft.get_peft_model(build_moe(name), config)
    assert (ours.trainable_params, ours.total_params) == theirs.get_nb_trainable_parameters()
    spec, r = family.spec, 2
    h, width, experts = spec.hidden_size, spec.expert_width, spec.num_experts
    by_hand = spec.moe_layers * (
        r * (h + experts) + experts * r * (h + 2 * width) + experts * r * (width + h)
    )
    assert ours.trainable_params == by_hand


@pytest.mark.parametrize("name", ["deepseek_v3", "deepseek_v2"])
def test_lora_on_shared_experts_and_dense_mlps_counts_the_transformers_modules(name):
    # peft 0.21 cannot be the reference here: for these model types it converts the names gate_proj /
    # up_proj / down_proj to the fused routed experts (transformers_weight_conversion), so the dense and
    # shared MLPs are not adapted by name. The reference: r·(in + out) over the transformers model's modules.
    family = MOE_FAMILIES[name]
    kinds = ["gate", "up", "down", "shared_gate", "shared_up", "shared_down"]
    ours = peft_trainable_params("lora", family.spec, r=4, target_modules=kinds)
    modules = dict(build_moe(name).named_modules())
    chosen = [m for n, m in modules.items() if any(re.fullmatch(family.modules[k], n) for k in kinds)]
    assert all(isinstance(m, torch.nn.Linear) for m in chosen) and chosen
    assert ours.trainable_params == sum(4 * (m.in_features + m.out_features) for m in chosen)


def test_peft_default_targets_for_moe_families():
    # peft's LoRA mapping has mixtral (q_proj, v_proj) but no qwen3_moe, deepseek_v2 or deepseek_v3 entry: it
    # asks for target_modules there, and so does the tool.
    result = peft_trainable_params("lora", "mixtral-8x7b")
    assert result.target_modules == ["q", "v"]
    assert result.trainable_params == 32 * 8 * ((4096 + 4096) + (4096 + 1024))  # r=8, 32 layers
    for name in ("qwen3-30b-a3b", "deepseek-v3"):
        with pytest.raises(ToolInputError) as err:
            peft_trainable_params("lora", name)
        assert err.value.field == "target_modules"
    # Mixtral's IA3 entry names w2, the expert down projection of transformers 4; transformers ≥ 5 stores the
    # experts as parameters, so, as in peft, only k_proj and v_proj are selected.
    assert peft_trainable_params("ia3", "mixtral-8x7b").target_modules == ["k", "v"]


def test_lora_on_a_missing_dense_mlp_points_at_the_experts():
    with pytest.raises(ToolInputError, match="expert_gate_up") as err:
        peft_trainable_params("lora", "mixtral-8x7b", target_modules=["gate", "up"])
    assert err.value.field == "target_modules"


@pytest.mark.parametrize(
    ("name", "total_b", "active_b"),
    [
        # Mistral AI, "Mixtral of experts" (2024): 46.7B total, 12.9B active (embeddings included).
        ("mixtral-8x7b", 46.7, 12.9),
        # Mistral AI, Mixtral 8x22B announcement (2024): 141B total, 39B active.
        ("mixtral-8x22b", 140.6, 39.2),
        # Qwen3 model cards: 30.5B total, 3.3B activated; 235B total, 22B activated.
        ("qwen3-30b-a3b", 30.5, 3.4),
        ("qwen3-235b-a22b", 235.1, 22.2),
    ],
)
def test_moe_presets_match_the_published_totals(name, total_b, active_b):
    spec = PRESETS[name].spec
    assert round(count_params(spec) / 1e9, 1) == total_b
    assert round(active_params(spec) / 1e9, 1) == active_b


def test_qwen3_30b_a3b_and_235b_round_to_their_names():
    # The names carry the published figures: 30B-A3B, 235B-A22B (model cards: 3.3B and 22B activated).
    assert round(active_params(PRESETS["qwen3-30b-a3b"].spec) / 1e9) == 3
    assert round(active_params(PRESETS["qwen3-235b-a22b"].spec) / 1e9) == 22
    assert round(count_params(PRESETS["qwen3-235b-a22b"].spec) / 1e9) == 235


@pytest.mark.parametrize(
    ("name", "total_b", "activated_b", "within"),
    # V3 report: "37B" (ours 36.6B without the embedding, 37.6B with it: half a unit tells them apart);
    # V2 paper: "2.4B" for V2-Lite (ours 2.45B without the embedding, 2.66B with it).
    [("deepseek-v3", 671, 37, 0.5), ("deepseek-v2-lite", 15.7, 2.4, 0.1)],
)
def test_deepseek_presets_match_the_papers_without_the_input_embedding(name, total_b, activated_b, within):
    # DeepSeek-V3 technical report: 671B total, 37B activated per token; DeepSeek-V2 paper: V2-Lite 15.7B
    # total, 2.4B activated. Both exclude the MTP module (transformers does not build it) and DeepSeek counts
    # activated parameters without the input embedding table (a lookup, no compute).
    spec = PRESETS[name].spec
    embedding = spec.vocab_size * spec.hidden_size
    digits = 0 if total_b > 100 else 1
    assert round(count_params(spec) / 1e9, digits) == total_b
    assert abs((active_params(spec) - embedding) / 1e9 - activated_b) < within
    assert abs(active_params(spec) / 1e9 - activated_b) > within  # the embedding is what DeepSeek leaves out
    v3, r1 = PRESETS["deepseek-v3"].spec, PRESETS["deepseek-r1"].spec
    assert r1.model_dump(exclude={"name"}) == v3.model_dump(exclude={"name"})


def test_qwen3_counts_its_per_head_query_and_key_norms():
    spec = PRESETS["qwen3-8b"].spec
    without = spec.model_copy(update={"qk_norm": False})
    assert count_params(spec) - count_params(without) == 36 * 2 * 128  # layers × (q_norm + k_norm) × head_dim


@pytest.mark.parametrize(
    "spelling,preset",
    [
        ("mixtral 8x7b", "mixtral-8x7b"),
        ("Mixtral-8x7B-Instruct", "mixtral-8x7b"),
        ("Mixtral-8x22B-Instruct-v0.1", "mixtral-8x22b"),
        ("deepseek v3", "deepseek-v3"),
        ("DeepSeek-R1", "deepseek-r1"),
        ("ds-v3", "deepseek-v3"),
        ("qwen3 30b a3b", "qwen3-30b-a3b"),
        ("Qwen3-30B-A3B", "qwen3-30b-a3b"),
        ("qwen3 8b", "qwen3-8b"),
        ("千问3-8B", "qwen3-8b"),
        ("通义千问3 32B", "qwen3-32b"),
        ("Qwen3-235B-A22B-Instruct-2507", "qwen3-235b-a22b"),
    ],
)
def test_names_resolve_the_way_students_write_them(spelling, preset):
    assert canonical_preset(spelling) == preset
    assert resolve_base(spelling)[1].startswith(preset + " (")
    # and through the tools' schema
    assert peft_trainable_params("full", spelling).base_params == PRESETS[preset].known_params


def test_an_unknown_spelling_is_still_refused_by_name():
    with pytest.raises(ToolInputError) as err:
        resolve_base("mixtral-8x9b")
    assert err.value.field == "base"


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"num_experts": 8}, "base.experts_per_token"),
        ({"num_experts": 8, "experts_per_token": 9}, "base.experts_per_token"),
        ({"experts_per_token": 2}, "base.experts_per_token"),
        ({"shared_experts": 1}, "base.shared_experts"),
        ({"num_experts": 8, "experts_per_token": 2, "dense_layers": 4}, "base.dense_layers"),
        ({"num_experts": 8, "experts_per_token": 2, "mlp": "standard"}, "base.mlp"),
        (
            {"attention": "mla", "qk_nope_head_dim": 64, "qk_rope_head_dim": 32, "v_head_dim": 64},
            "base.kv_lora_rank",
        ),
        ({"kv_lora_rank": 512}, "base.kv_lora_rank"),
        (
            {
                "attention": "mla",
                "kv_lora_rank": 64,
                "qk_nope_head_dim": 16,
                "qk_rope_head_dim": 8,
                "v_head_dim": 16,
                "num_kv_heads": 2,
            },
            "base.num_kv_heads",
        ),
    ],
)
def test_an_impossible_moe_or_mla_spec_names_the_field(fields, field):
    base = dict(hidden_size=64, num_layers=4, num_heads=4, intermediate_size=96, vocab_size=100, mlp="gated")
    spec = TransformerSpec(**{**base, **fields})
    with pytest.raises(ToolInputError) as err:
        peft_trainable_params("full", spec)
    assert err.value.field == field


def test_qlora_memory_of_a_moe_holds_every_expert():
    # Training memory keeps all 46.7B of Mixtral's weights (NF4 for the linear layers), however few experts a
    # token uses; QLoRA's default adapts every linear layer, experts included (r=64 per expert).
    result = finetune_memory(base="mixtral-8x7b", method="qlora", plot=False)
    assert result.params == PRESETS["mixtral-8x7b"].known_params
    linear = sum(layer.params_each * layer.count for layer in linear_layers(PRESETS["mixtral-8x7b"].spec))
    assert result.weights_gib > linear * 4.127 / 8 / 2**30
    assert any("all 8 experts" in note for note in result.assumptions)
    expert = next(
        layer for layer in linear_layers(PRESETS["mixtral-8x7b"].spec) if layer.kind == "expert_down"
    )
    assert expert.count == 32 * 8
