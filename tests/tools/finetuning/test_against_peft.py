"""peft_trainable_params against HuggingFace itself: tiny random BERT, GPT-2 and LLaMA (GQA) models built from
configs, wrapped by peft 0.21, and compared with ``get_nb_trainable_parameters()``; preset totals against
transformers models built on the meta device. transformers and peft are test-only dependencies."""

import re

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")

from tools.finetuning.architecture import PRESETS, TransformerSpec, count_params  # noqa: E402
from tools.finetuning.calculators import peft_trainable_params  # noqa: E402

# Odd, distinct sizes so that a swapped d_in/d_out or a missing bias changes the count.
BERT_SPEC = TransformerSpec(
    name="tiny-bert",
    hidden_size=32,
    num_layers=2,
    num_heads=4,
    intermediate_size=37,
    vocab_size=99,
    max_positions=64,
    type_vocab_size=2,
    embedding_norm=True,
    final_norm=False,
    output_head="none",
    pooler=True,
)
GPT2_SPEC = TransformerSpec(
    name="tiny-gpt2",
    hidden_size=32,
    num_layers=2,
    num_heads=4,
    intermediate_size=48,
    vocab_size=99,
    max_positions=40,
    attention="fused",
)
LLAMA_SPEC = TransformerSpec(
    name="tiny-llama-gqa",
    hidden_size=32,
    num_layers=2,
    num_heads=4,
    num_kv_heads=2,
    intermediate_size=40,
    vocab_size=99,
    mlp="gated",
    bias=False,
    norm="rmsnorm",
    output_head="untied",
)

# Full-name regexes of each abstract projection in the HF module tree (peft full-matches a string target).
HF_NAMES = {
    "bert": {
        "q": r".*\.self\.query",
        "k": r".*\.self\.key",
        "v": r".*\.self\.value",
        "o": r".*\.attention\.output\.dense",
        "up": r".*\.intermediate\.dense",
        "down": r".*layer\.\d+\.output\.dense",
        "pooler": r"pooler\.dense",
    },
    "gpt2": {
        "qkv": r".*\.attn\.c_attn",
        "o": r".*\.attn\.c_proj",
        "up": r".*\.mlp\.c_fc",
        "down": r".*\.mlp\.c_proj",
    },
    "llama": {
        "q": r".*\.q_proj",
        "k": r".*\.k_proj",
        "v": r".*\.v_proj",
        "o": r".*\.o_proj",
        "gate": r".*\.gate_proj",
        "up": r".*\.up_proj",
        "down": r".*\.down_proj",
    },
}


def _build(family: str):
    torch.manual_seed(0)
    if family == "bert":
        config = transformers.BertConfig(
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=37,
            vocab_size=99,
            max_position_embeddings=64,
            type_vocab_size=2,
        )
        return transformers.BertModel(config), BERT_SPEC, "FEATURE_EXTRACTION"
    if family == "gpt2":
        config = transformers.GPT2Config(
            n_embd=32,
            n_layer=2,
            n_head=4,
            n_inner=48,
            vocab_size=99,
            n_positions=40,
            bos_token_id=0,
            eos_token_id=0,
        )
        return transformers.GPT2LMHeadModel(config), GPT2_SPEC, "CAUSAL_LM"
    config = transformers.LlamaConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=40,
        vocab_size=99,
        tie_word_embeddings=False,
        bos_token_id=0,
        eos_token_id=0,
        pad_token_id=0,
    )
    return transformers.LlamaForCausalLM(config), LLAMA_SPEC, "CAUSAL_LM"


def _hf_targets(family: str, targets):
    if targets is None or targets == "all-linear":
        return targets  # None: peft's own per-model default, which must agree with ours
    return "|".join(HF_NAMES[family][t] for t in targets)


def _peft_counts(model, config) -> tuple[int, int]:
    return peft.get_peft_model(model, config).get_nb_trainable_parameters()


@pytest.mark.parametrize("family", ["bert", "gpt2", "llama"])
def test_spec_counts_the_same_parameters_as_the_transformers_model(family):
    model, spec, _ = _build(family)
    assert count_params(spec) == sum(p.numel() for p in model.parameters())


LORA_CASES = [
    # (method, our options, peft LoraConfig options beyond r / targets)
    ("lora", {"r": 4}, {}),
    ("lora", {"r": 4, "target_modules": "all-linear"}, {}),
    ("lora", {"r": 3, "target_modules": ["o", "down"], "bias": "all"}, {"bias": "all"}),
    ("lora", {"r": 3, "target_modules": ["o", "up"], "bias": "lora_only"}, {"bias": "lora_only"}),
    ("dora", {"r": 4, "target_modules": "all-linear"}, {"use_dora": True}),
    ("qlora", {"r": 5, "target_modules": "all-linear"}, {}),
]


@pytest.mark.parametrize("family", ["bert", "gpt2", "llama"])
@pytest.mark.parametrize(("method", "ours", "theirs"), LORA_CASES)
def test_lora_family_matches_peft(family, method, ours, theirs):
    model, spec, _ = _build(family)
    config = peft.LoraConfig(
        r=ours["r"], target_modules=_hf_targets(family, ours.get("target_modules")), **theirs
    )
    trainable, total = _peft_counts(model, config)
    result = peft_trainable_params(method, spec, **ours)
    assert (result.trainable_params, result.total_params) == (trainable, total)


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_qlora_default_targets_are_peft_all_linear(family):
    model, spec, _ = _build(family)
    trainable, _ = _peft_counts(model, peft.LoraConfig(r=64, target_modules="all-linear"))
    # QLoRA paper (Dettmers et al. 2023): LoRA on every linear layer, r = 64 in its experiments.
    assert peft_trainable_params("qlora", spec).trainable_params == trainable


@pytest.mark.parametrize("family", ["bert", "gpt2", "llama"])
@pytest.mark.parametrize("targets", [None, "all-linear"])
def test_adalora_matches_peft_including_its_frozen_rank_counters(family, targets):
    model, spec, _ = _build(family)
    config = peft.AdaLoraConfig(
        init_r=6, target_r=3, total_step=100, target_modules=_hf_targets(family, targets)
    )
    trainable, total = _peft_counts(model, config)
    result = peft_trainable_params("adalora", spec, r=6, target_r=3, target_modules=targets)
    assert (result.trainable_params, result.total_params) == (trainable, total)


@pytest.mark.parametrize("family", ["bert", "gpt2", "llama"])
@pytest.mark.parametrize("targets", [None, "all-linear"])
def test_vera_matches_peft(family, targets):
    model, spec, _ = _build(family)
    trainable, total = _peft_counts(model, peft.VeraConfig(r=16, target_modules=_hf_targets(family, targets)))
    result = peft_trainable_params("vera", spec, r=16, target_modules=targets)
    assert (result.trainable_params, result.total_params) == (trainable, total)


@pytest.mark.parametrize("family", ["bert", "gpt2", "llama"])
def test_ia3_matches_peft_with_down_as_the_feedforward_module(family):
    model, spec, _ = _build(family)
    targets = ["qkv", "down"] if family == "gpt2" else ["k", "v", "down"]
    config = peft.IA3Config(
        target_modules=_hf_targets(family, targets), feedforward_modules=_hf_targets(family, ["down"])
    )
    trainable, total = _peft_counts(model, config)
    result = peft_trainable_params("ia3", spec)  # the default targets are exactly these
    assert result.target_modules == targets
    assert (result.trainable_params, result.total_params) == (trainable, total)


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_ia3_default_targets_are_peft_defaults_for_decoders(family):
    model, spec, _ = _build(family)
    trainable, _ = _peft_counts(model, peft.IA3Config())
    assert peft_trainable_params("ia3", spec).trainable_params == trainable


PROMPT_CASES = [
    ("prompt_tuning", {"num_virtual_tokens": 7}, peft.PromptTuningConfig, {"num_virtual_tokens": 7}),
    ("prefix_tuning", {"num_virtual_tokens": 5}, peft.PrefixTuningConfig, {"num_virtual_tokens": 5}),
    (
        "prefix_tuning",
        {"num_virtual_tokens": 5, "prefix_projection": True, "encoder_hidden_size": 24},
        peft.PrefixTuningConfig,
        {"num_virtual_tokens": 5, "prefix_projection": True, "encoder_hidden_size": 24},
    ),
    ("p_tuning_v2", {"num_virtual_tokens": 6}, peft.PrefixTuningConfig, {"num_virtual_tokens": 6}),
    (
        "p_tuning",
        {"num_virtual_tokens": 6, "encoder_hidden_size": 20},
        peft.PromptEncoderConfig,
        {"num_virtual_tokens": 6, "encoder_hidden_size": 20},
    ),
]


@pytest.mark.parametrize("family", ["bert", "gpt2", "llama"])
@pytest.mark.parametrize(("method", "ours", "config_cls", "theirs"), PROMPT_CASES)
def test_prompt_methods_match_peft(family, method, ours, config_cls, theirs):
    model, spec, task = _build(family)
    trainable, total = _peft_counts(model, config_cls(task_type=task, **theirs))
    result = peft_trainable_params(method, spec, **ours)
    assert (result.trainable_params, result.total_params) == (trainable, total)


def test_lora_on_llama_2_7b_is_peft_s_well_known_figure():
    # peft's own README / print_trainable_parameters for Llama-2-7b with r=8 on q_proj, v_proj:
    # "trainable params: 4,194,304 || all params: 6,742,609,920 || trainable%: 0.0622"
    result = peft_trainable_params("lora", "llama-2-7b", r=8)
    assert (result.trainable_params, result.total_params) == (4_194_304, 6_742_609_920)
    assert round(result.trainable_percent_of_total, 4) == 0.0622
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(_preset_config("llama-2-7b"))
    assert _peft_counts(model, peft.LoraConfig(r=8)) == (4_194_304, 6_742_609_920)


def _preset_config(name: str):
    spec = PRESETS[name].spec
    if name.startswith("bert"):
        return transformers.BertConfig(
            hidden_size=spec.hidden_size,
            num_hidden_layers=spec.num_layers,
            num_attention_heads=spec.num_heads,
            intermediate_size=spec.intermediate_size,
            vocab_size=spec.vocab_size,
            max_position_embeddings=spec.max_positions,
            type_vocab_size=spec.type_vocab_size,
        )
    if name.startswith("gpt2"):
        return transformers.GPT2Config(
            n_embd=spec.hidden_size,
            n_layer=spec.num_layers,
            n_head=spec.num_heads,
            vocab_size=spec.vocab_size,
            n_positions=spec.max_positions,
        )
    cls = transformers.MistralConfig if name.startswith("mistral") else transformers.LlamaConfig
    return cls(
        hidden_size=spec.hidden_size,
        num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.kv_heads,
        intermediate_size=spec.intermediate_size,
        vocab_size=spec.vocab_size,
        tie_word_embeddings=False,
    )


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_total_equals_transformers_model_on_meta_and_the_published_total(name):
    config = _preset_config(name)
    if name.startswith("bert"):
        model_cls = transformers.BertModel
    elif name.startswith("gpt2"):
        model_cls = transformers.GPT2LMHeadModel
    elif name.startswith("mistral"):
        model_cls = transformers.MistralForCausalLM
    else:
        model_cls = transformers.LlamaForCausalLM
    with torch.device("meta"):
        model = model_cls(config)
    # Unique parameters (a tied GPT-2 head is counted once, as parameters() does).
    hf_total = sum(p.numel() for p in model.parameters())
    # Published totals (PRESETS[name].known_params): bert-base-uncased 109,482,240; gpt2 124,439,808;
    # LLaMA-7B 6,738,415,616 (Touvron et al. 2023 "6.7B"); the rest as transformers reports them.
    assert count_params(PRESETS[name].spec) == hf_total == PRESETS[name].known_params


def test_hf_target_regexes_select_what_their_abstract_names_mean():
    # Guards the test harness itself: each regex matches exactly one module per block in the tiny models.
    for family, names in HF_NAMES.items():
        model, spec, _ = _build(family)
        modules = [n for n, _ in model.named_modules()]
        for kind, pattern in names.items():
            hits = [n for n in modules if re.fullmatch(pattern, n)]
            assert len(hits) == (1 if kind == "pooler" else spec.num_layers), (family, kind, hits)
