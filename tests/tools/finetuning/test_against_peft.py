"""peft_trainable_params against HuggingFace itself, family by family: tiny random BERT, GPT-2, LLaMA (GQA),
Mistral, Qwen2 (q/k/v bias), Gemma (MQA, head_dim ≠ hidden/heads), Gemma-2 (four norms), Phi-3 (fused qkv
and gate_up), T5 v1.0 and v1.1 (gated) and BART (encoder-decoders) built from transformers configs, wrapped by
peft 0.21, and compared with ``get_nb_trainable_parameters()`` — for explicit targets and for peft's own
defaults. Preset totals are checked against transformers models built on the meta device. transformers and
peft are test-only dependencies."""

import re
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")

from peft.utils import constants as peft_constants  # noqa: E402

from tests.tools.tiny_models import FAMILIES, build  # noqa: E402
from tools.errors import ToolInputError  # noqa: E402
from tools.finetuning.architecture import active_params, count_params  # noqa: E402
from tools.finetuning.calculators import peft_trainable_params  # noqa: E402
from tools.finetuning.presets import PRESETS  # noqa: E402
from tools.finetuning.targets import IA3_FEEDFORWARD, PEFT_TARGETS  # noqa: E402

NAMES = list(FAMILIES)


def _hf_targets(name: str, targets):
    if targets is None or targets == "all-linear":
        return targets  # None: peft's own per-model default, which must agree with ours
    return "|".join(FAMILIES[name].names[t] for t in targets)


def _peft_counts(model, config) -> tuple[int, int]:
    return peft.get_peft_model(model, config).get_nb_trainable_parameters()


def _attention_in(name: str) -> str:
    return "qkv" if FAMILIES[name].spec.attention == "fused" else "q"


@pytest.mark.parametrize("name", NAMES)
def test_spec_counts_the_same_parameters_as_the_transformers_model(name):
    assert count_params(FAMILIES[name].spec) == sum(p.numel() for p in build(name).parameters())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "case",
    ["lora", "all-linear", "bias-all", "bias-lora-only", "dora", "qlora"],
)
def test_lora_family_matches_peft(name, case):
    first = _attention_in(name)
    ours: dict[str, Any]
    ours, theirs, method = {"r": 4}, {}, "lora"
    if case == "all-linear":
        ours["target_modules"] = "all-linear"
    elif case == "bias-all":
        ours.update(r=3, target_modules=["o", "down"], bias="all")
        theirs = {"bias": "all"}
    elif case == "bias-lora-only":  # Qwen2: only the query projection's bias is unfrozen, not o's
        ours.update(r=3, target_modules=[first, "o"], bias="lora_only")
        theirs = {"bias": "lora_only"}
    elif case in ("dora", "qlora"):
        method, ours["target_modules"] = case, "all-linear"
        theirs = {"use_dora": True} if case == "dora" else {}
    else:
        ours["target_modules"] = [first, "down"]
    config = peft.LoraConfig(
        r=ours["r"], target_modules=_hf_targets(name, ours.get("target_modules")), **theirs
    )
    trainable, total = _peft_counts(build(name), config)
    result = peft_trainable_params(method, FAMILIES[name].spec, **ours)
    assert (result.trainable_params, result.total_params) == (trainable, total)


def _default_or_refusal(name: str, method: str, config, **ours):
    """Our default against peft's: equal counts, or both refuse (peft has no mapping for the family)."""
    try:
        expected = _peft_counts(build(name), config)
    except ValueError as exc:  # peft: "Please specify `target_modules` in `peft_config`"
        assert "target_modules" in str(exc)
        with pytest.raises(ToolInputError) as err:
            peft_trainable_params(method, FAMILIES[name].spec, **ours)
        assert err.value.field == "target_modules" and "peft has no default" in err.value.reason
        return None
    result = peft_trainable_params(method, FAMILIES[name].spec, **ours)
    assert (result.trainable_params, result.total_params) == expected
    return result


@pytest.mark.parametrize("name", NAMES)
def test_lora_default_targets_are_peft_s(name):
    _default_or_refusal(name, "lora", peft.LoraConfig(r=4), r=4)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("targets", [None, "all-linear"])
def test_adalora_matches_peft_including_its_frozen_rank_counters(name, targets):
    config = peft.AdaLoraConfig(
        init_r=6, target_r=3, total_step=100, target_modules=_hf_targets(name, targets)
    )
    _default_or_refusal(name, "adalora", config, r=6, target_r=3, target_modules=targets)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("targets", [None, "all-linear"])
def test_vera_matches_peft(name, targets):
    config = peft.VeraConfig(r=16, target_modules=_hf_targets(name, targets))
    _default_or_refusal(name, "vera", config, r=16, target_modules=targets)


@pytest.mark.parametrize("name", NAMES)
def test_ia3_default_targets_and_feedforward_modules_are_peft_s(name):
    result = _default_or_refusal(name, "ia3", peft.IA3Config())
    if name == "bert":
        # peft's BERT entry "output.dense" also selects attention.output.dense: o is scaled too, and
        # treated as a feed-forward module (its input is scaled).
        # bert-base: 12·(768 + 768 + 768 + 3072) = 64,512.
        assert result is not None and result.target_modules == ["k", "v", "o", "down"]
        assert peft_trainable_params("ia3", "bert-base").trainable_params == 64_512


@pytest.mark.parametrize("name", NAMES)
def test_ia3_with_explicit_targets_matches_peft(name):
    targets = [_attention_in(name), "o", "down"]
    config = peft.IA3Config(
        target_modules=_hf_targets(name, targets), feedforward_modules=_hf_targets(name, ["down"])
    )
    trainable, total = _peft_counts(build(name), config)
    result = peft_trainable_params("ia3", FAMILIES[name].spec, target_modules=targets)
    assert (result.trainable_params, result.total_params) == (trainable, total)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in ("phi3",)])
def test_qlora_default_targets_are_every_linear_layer(name):
    trainable, _ = _peft_counts(build(name), peft.LoraConfig(r=64, target_modules="all-linear"))
    # QLoRA paper (Dettmers et al. 2023): LoRA on every linear layer, r = 64 in its experiments.
    result = peft_trainable_params("qlora", FAMILIES[name].spec)
    assert result.trainable_params == trainable - (
        64 * (32 + 32) if FAMILIES[name].spec.pooler else 0  # all-linear includes BERT's pooler; QLoRA not
    )


PROMPT_CASES = [
    ("prompt_tuning", {"num_virtual_tokens": 7}, "PromptTuningConfig", {"num_virtual_tokens": 7}),
    ("prefix_tuning", {"num_virtual_tokens": 5}, "PrefixTuningConfig", {"num_virtual_tokens": 5}),
    (
        "prefix_tuning",
        {"num_virtual_tokens": 5, "prefix_projection": True, "encoder_hidden_size": 24},
        "PrefixTuningConfig",
        {"num_virtual_tokens": 5, "prefix_projection": True, "encoder_hidden_size": 24},
    ),
    ("p_tuning_v2", {"num_virtual_tokens": 6}, "PrefixTuningConfig", {"num_virtual_tokens": 6}),
    (
        "p_tuning",
        {"num_virtual_tokens": 6, "encoder_hidden_size": 20},
        "PromptEncoderConfig",
        {"num_virtual_tokens": 6, "encoder_hidden_size": 20},
    ),
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("method", "ours", "config_cls", "theirs"), PROMPT_CASES)
def test_prompt_methods_match_peft(name, method, ours, config_cls, theirs):
    # Encoder-decoders run as SEQ_2_SEQ_LM: peft doubles prompt-tuning and P-tuning tokens (one per stack).
    config = getattr(peft, config_cls)(task_type=FAMILIES[name].task, **theirs)
    trainable, total = _peft_counts(build(name), config)
    result = peft_trainable_params(method, FAMILIES[name].spec, **ours)
    assert (result.trainable_params, result.total_params) == (trainable, total)


def test_lora_on_llama_2_7b_is_peft_s_well_known_figure():
    # peft's own README / print_trainable_parameters for Llama-2-7b with r=8 on q_proj, v_proj:
    # "trainable params: 4,194,304 || all params: 6,742,609,920 || trainable%: 0.0622"
    result = peft_trainable_params("lora", "llama-2-7b", r=8)
    assert (result.trainable_params, result.total_params) == (4_194_304, 6_742_609_920)
    assert round(result.trainable_percent_of_total, 4) == 0.0622
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(_preset_config("llama-2-7b")[0])
    assert _peft_counts(model, peft.LoraConfig(r=8)) == (4_194_304, 6_742_609_920)


@pytest.mark.parametrize("method", ["lora", "adalora", "vera", "ia3"])
def test_our_default_mapping_is_a_transcription_of_the_installed_peft(method):
    constant = {
        "lora": "TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING",
        "adalora": "TRANSFORMERS_MODELS_TO_ADALORA_TARGET_MODULES_MAPPING",
        "vera": "TRANSFORMERS_MODELS_TO_VERA_TARGET_MODULES_MAPPING",
        "ia3": "TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING",
    }[method]
    theirs = getattr(peft_constants, constant)
    families = {spec.spec.family for spec in PRESETS.values()} | {"phi3"}
    for family in families:
        assert PEFT_TARGETS[method].get(family) == theirs.get(family), (method, family)
    for family in families & set(peft_constants.TRANSFORMERS_MODELS_TO_IA3_FEEDFORWARD_MODULES_MAPPING):
        assert (
            IA3_FEEDFORWARD[family]
            == peft_constants.TRANSFORMERS_MODELS_TO_IA3_FEEDFORWARD_MODULES_MAPPING[family]
        )


def _preset_config(name: str):
    """The transformers config and model class of a preset (what its config.json says, field for field)."""
    spec = PRESETS[name].spec
    family = spec.family
    if family == "bert":
        config = transformers.BertConfig(
            hidden_size=spec.hidden_size,
            num_hidden_layers=spec.num_layers,
            num_attention_heads=spec.num_heads,
            intermediate_size=spec.intermediate_size,
            vocab_size=spec.vocab_size,
            max_position_embeddings=spec.max_positions,
            type_vocab_size=spec.type_vocab_size,
        )
        return config, transformers.BertModel
    if family == "gpt2":
        config = transformers.GPT2Config(
            n_embd=spec.hidden_size,
            n_layer=spec.num_layers,
            n_head=spec.num_heads,
            vocab_size=spec.vocab_size,
            n_positions=spec.max_positions,
        )
        return config, transformers.GPT2LMHeadModel
    if family == "t5":
        config = transformers.T5Config(
            d_model=spec.hidden_size,
            d_kv=spec.head_width,
            d_ff=spec.intermediate_size,
            num_layers=spec.num_layers,
            num_decoder_layers=spec.decoder_layers,
            num_heads=spec.num_heads,
            vocab_size=spec.vocab_size,
            feed_forward_proj="gated-gelu" if spec.mlp == "gated" else "relu",
        )
        return config, transformers.T5ForConditionalGeneration
    if family == "bart":
        config = transformers.BartConfig(
            d_model=spec.hidden_size,
            encoder_layers=spec.num_layers,
            decoder_layers=spec.decoder_layers,
            encoder_attention_heads=spec.num_heads,
            decoder_attention_heads=spec.num_heads,
            encoder_ffn_dim=spec.intermediate_size,
            decoder_ffn_dim=spec.intermediate_size,
            vocab_size=spec.vocab_size,
            max_position_embeddings=spec.max_context,
        )
        return config, transformers.BartForConditionalGeneration
    if family in ("deepseek_v2", "deepseek_v3"):
        v3 = family == "deepseek_v3"
        config = (transformers.DeepseekV3Config if v3 else transformers.DeepseekV2Config)(
            hidden_size=spec.hidden_size,
            intermediate_size=spec.intermediate_size,
            moe_intermediate_size=spec.moe_intermediate_size,
            num_hidden_layers=spec.num_layers,
            num_attention_heads=spec.num_heads,
            num_key_value_heads=spec.kv_heads,
            n_shared_experts=spec.shared_experts,
            n_routed_experts=spec.num_experts,
            num_experts_per_tok=spec.experts_per_token,
            first_k_dense_replace=spec.dense_layers,
            q_lora_rank=spec.q_lora_rank,
            kv_lora_rank=spec.kv_lora_rank,
            qk_nope_head_dim=spec.qk_nope_head_dim,
            qk_rope_head_dim=spec.qk_rope_head_dim,
            v_head_dim=spec.v_head_dim,
            vocab_size=spec.vocab_size,
            max_position_embeddings=spec.max_context,
            **({} if v3 else {"topk_method": "greedy"}),
        )
        return config, (transformers.DeepseekV3ForCausalLM if v3 else transformers.DeepseekV2ForCausalLM)
    if family == "mixtral":
        config = transformers.MixtralConfig(
            hidden_size=spec.hidden_size,
            intermediate_size=spec.intermediate_size,
            num_hidden_layers=spec.num_layers,
            num_attention_heads=spec.num_heads,
            num_key_value_heads=spec.kv_heads,
            vocab_size=spec.vocab_size,
            num_local_experts=spec.num_experts,
            num_experts_per_tok=spec.experts_per_token,
            max_position_embeddings=spec.max_context,
        )
        return config, transformers.MixtralForCausalLM
    if family in ("qwen3", "qwen3_moe"):
        moe = family == "qwen3_moe"
        config = (transformers.Qwen3MoeConfig if moe else transformers.Qwen3Config)(
            hidden_size=spec.hidden_size,
            intermediate_size=spec.intermediate_size,
            num_hidden_layers=spec.num_layers,
            num_attention_heads=spec.num_heads,
            num_key_value_heads=spec.kv_heads,
            head_dim=spec.head_width,
            vocab_size=spec.vocab_size,
            tie_word_embeddings=spec.output_head == "tied",
            max_position_embeddings=spec.max_context,
            **(
                {
                    "num_experts": spec.num_experts,
                    "num_experts_per_tok": spec.experts_per_token,
                    "moe_intermediate_size": spec.moe_intermediate_size,
                }
                if moe
                else {}
            ),
        )
        return config, (transformers.Qwen3MoeForCausalLM if moe else transformers.Qwen3ForCausalLM)
    classes = {
        "llama": (transformers.LlamaConfig, transformers.LlamaForCausalLM),
        "mistral": (transformers.MistralConfig, transformers.MistralForCausalLM),
        "qwen2": (transformers.Qwen2Config, transformers.Qwen2ForCausalLM),
        "gemma": (transformers.GemmaConfig, transformers.GemmaForCausalLM),
        "gemma2": (transformers.Gemma2Config, transformers.Gemma2ForCausalLM),
        "phi3": (transformers.Phi3Config, transformers.Phi3ForCausalLM),
    }
    config_cls, model_cls = classes[family]
    config = config_cls(
        hidden_size=spec.hidden_size,
        num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.kv_heads,
        intermediate_size=spec.intermediate_size,
        vocab_size=spec.vocab_size,
        tie_word_embeddings=spec.output_head == "tied",
        **({"head_dim": spec.head_width} if family.startswith("gemma") else {}),
    )
    return config, model_cls


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_total_equals_transformers_model_on_meta_and_the_published_total(name):
    config, model_cls = _preset_config(name)
    with torch.device("meta"):
        model = model_cls(config)
    # Unique parameters (a tied head is counted once, as parameters() does).
    hf_total = sum(p.numel() for p in model.parameters())
    spec = PRESETS[name].spec
    if spec.family == "t5" and spec.output_head == "untied":
        # FLAN-T5 checkpoints carry a separate lm_head (config.json: tie_word_embeddings false; the model
        # card's 248M for flan-t5-base), but transformers ≥ 5 always ties T5's head (T5Config.__post_init__).
        hf_total += spec.vocab_size * spec.hidden_size
    # Published totals (PRESETS[name].known_params): bert-base-uncased 109,482,240; gpt2 124,439,808;
    # LLaMA-7B 6,738,415,616 (Touvron et al. 2023 "6.7B"); Qwen2.5-7B 7.61B (model card); the rest as
    # transformers reports them.
    assert count_params(spec) == hf_total == PRESETS[name].known_params
    if spec.num_experts:
        # A token uses experts_per_token of the num_experts routed experts: the rest of the 3-D expert tensors
        # (mlp.experts.gate_up_proj / down_proj) is what it skips.
        experts = sum(p.numel() for n, p in model.named_parameters() if ".mlp.experts." in n)
        assert experts % spec.num_experts == 0
        hf_active = hf_total - experts // spec.num_experts * (spec.num_experts - spec.experts_per_token)
        assert active_params(spec) == hf_active == PRESETS[name].known_active
    else:
        assert active_params(spec) == hf_total and PRESETS[name].known_active is None


def test_hf_target_regexes_select_what_their_abstract_names_mean():
    # Guards the test harness itself: each regex matches exactly one module per block (two per decoder block
    # for the attention projections of an encoder-decoder: self- and cross-attention).
    for name, family in FAMILIES.items():
        modules = [n for n, _ in build(name).named_modules()]
        spec = family.spec
        for kind, pattern in family.names.items():
            hits = [n for n in modules if re.fullmatch(pattern, n)]
            attention = kind in ("q", "k", "v", "o", "qkv")
            expected = (
                1 if kind == "pooler" else spec.num_layers + (2 if attention else 1) * spec.decoder_layers
            )
            assert len(hits) == expected, (name, kind, hits)
