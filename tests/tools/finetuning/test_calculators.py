"""Fine-tuning calculators: architecture counting, every PEFT method's count (hand-derived or from its paper),
the memory breakdown, and bad input. The counts against peft itself live in test_finetuning_peft.py."""

import subprocess
import sys
from typing import get_args

import pytest

from tools.catalog import call_tool
from tools.errors import ToolInputError
from tools.finetuning.architecture import TransformerSpec, count_params, notional_spec
from tools.finetuning.calculators import finetune_memory, peft_trainable_params
from tools.finetuning.memory import NF4_BYTES_PER_PARAM
from tools.finetuning.methods import Method
from tools.finetuning.presets import PRESETS, resolve_base

GIB = 2**30


def peft(**args):
    return call_tool("peft_trainable_params", args)


def memory(**args):
    return call_tool("finetune_memory", {"plot": False, **args})


# --- the architecture -----------------------------------------------------------------------------


def test_presets_reproduce_published_totals():
    # bert-base-uncased (BertModel with pooler) 109,482,240; gpt2 124,439,808 (both as transformers reports);
    # LLaMA-7B 6,738,415,616 (huggyllama/llama-7b, "6.7B" in Touvron et al. 2023).
    assert count_params(PRESETS["bert-base"].spec) == 109_482_240
    assert count_params(PRESETS["gpt2-small"].spec) == 124_439_808
    assert count_params(PRESETS["llama-7b"].spec) == 6_738_415_616


def test_bert_base_block_is_counted_projection_by_projection():
    spec = PRESETS["bert-base"].spec
    one_block_less = spec.model_copy(update={"num_layers": 11})
    # Hand derivation: q, k, v, o 4·(768² + 768) + FFN (768·3072 + 3072) + (3072·768 + 768)
    # + 2 LayerNorms 2·1536.
    block = 4 * (768 * 768 + 768) + (768 * 3072 + 3072) + (3072 * 768 + 768) + 2 * 1536
    assert block == 7_087_872
    assert count_params(spec) - count_params(one_block_less) == block


def test_head_dim_and_kv_heads_are_checked_against_the_hidden_size():
    bad_heads = TransformerSpec(
        hidden_size=100, num_layers=1, num_heads=3, intermediate_size=8, vocab_size=10
    )
    with pytest.raises(ToolInputError) as err:
        resolve_base(bad_heads)
    assert err.value.field == "base.num_heads"
    resolve_base(bad_heads.model_copy(update={"head_dim": 32}))  # an explicit head width makes it valid
    bad_kv = TransformerSpec(
        hidden_size=64, num_layers=1, num_heads=4, num_kv_heads=3, intermediate_size=8, vocab_size=10
    )
    with pytest.raises(ToolInputError) as err:
        peft_trainable_params("lora", bad_kv)
    assert err.value.field == "base.num_kv_heads"


def test_notional_shape_for_a_bare_size_is_llama_like():
    spec = notional_spec(6.74e9)
    assert spec.hidden_size == 4096  # LLaMA-7B's width
    assert spec.num_layers in (32, 33)
    assert abs(count_params(spec) - 6.74e9) / 6.74e9 < 0.05


# --- trainable parameters, hand-derived and from the papers ---------------------------------------


def test_lora_count_and_percentages():
    result = peft(method="lora", base="llama-7b", r=8)
    # Hand derivation: q and v, 32 blocks, r·(4096 + 4096) each: 32·2·8·8192 = 4,194,304.
    assert result.trainable_params == 4_194_304
    assert result.total_params == 6_738_415_616 + 4_194_304
    assert result.trainable_percent_of_base == pytest.approx(100 * 4_194_304 / 6_738_415_616)
    assert [p.part for p in result.parts] == ["q", "v"]
    assert result.parts[0].formula == "r·(d_in + d_out) = 8·(4096 + 4096) = 65,536"
    assert {f.name: f.value for f in result.figures}["scaling α/r"] == 1.0  # peft's default α = 8


def test_qlora_adapts_every_linear_layer_at_rank_64():
    result = peft(method="qlora", base="llama-2-7b")
    # QLoRA paper setting: all linear layers, r = 64. Per block: q,k,v,o 4·(4096 + 4096) + gate, up
    # 2·(4096 + 11008) + down (11008 + 4096) = 78,080; × 64 × 32 blocks = 159,907,840.
    assert result.target_modules == ["q", "k", "v", "o", "gate", "up", "down"]
    assert result.trainable_params == 159_907_840


def test_qa_lora_pools_the_adapter_input_by_group():
    result = peft(method="qa_lora", base="llama-7b", r=64, group_size=32)
    # QA-LoRA (Xu et al. 2023, arXiv:2309.14717): A is r × (d_in/L). Per block Σ (d_in/32 + d_out):
    # q,k,v,o 4·(128 + 4096) + gate, up 2·(128 + 11008) + down (344 + 4096) = 43,608; × 64 × 32 = 89,309,184.
    assert result.trainable_params == 89_309_184
    assert "not in peft" in result.source


def test_qa_lora_rejects_a_group_size_that_does_not_divide_d_in():
    with pytest.raises(ToolInputError) as err:
        peft_trainable_params("qa_lora", "llama-7b", group_size=48)
    assert err.value.field == "group_size"
    assert "4096" in str(err.value)


def test_longlora_matches_the_paper_s_trainable_shares():
    result = peft(method="longlora", base="llama-2-7b")
    parts = {p.part: p.params_total for p in result.parts}
    # LongLoRA (Chen et al. 2023, arXiv:2309.12307) reports for Llama2 7B: embedding 1.94 %, normalization
    # 0.004 % of the model trainable.
    # (131,072,000 / 6,738,415,616 = 1.945 %; 266,240 / 6,738,415,616 = 0.0040 %; the paper truncates.)
    assert 100 * parts["embeddings"] / result.base_params == pytest.approx(1.94, abs=0.01)
    assert 100 * parts["normalization layers"] / result.base_params == pytest.approx(0.004, abs=0.0005)
    # LoRA part: q, k, v, o at r = 8: 32·4·8·8192 = 8,388,608 new parameters.
    assert result.adapter_params == 8_388_608
    assert result.trainable_params == 8_388_608 + 131_072_000 + 266_240


def test_longlora_can_leave_embeddings_or_norms_frozen():
    lora_only = peft(method="longlora", base="llama-2-7b", train_embeddings=False, train_norms=False)
    assert lora_only.trainable_params == 8_388_608
    norms_only = peft(method="longlora", base="llama-2-7b", train_embeddings=False)
    assert norms_only.trainable_params == 8_388_608 + 266_240


def test_dylora_trains_r_max_and_prices_every_smaller_rank():
    result = peft(method="dylora", base="gpt2-small", r=8, r_min=2)
    # DyLoRA (Valipour et al. 2023): the parameters of r_max are trained. GPT-2 c_attn 768 → 2304, 12 blocks.
    assert result.trainable_params == 12 * 8 * (768 + 2304)
    assert [row.rank for row in result.ranks] == [2, 3, 4, 5, 6, 7, 8]
    for row in result.ranks:
        assert row.params_each == 12 * row.rank * (768 + 2304)
        assert row.extra_mflops_per_token == pytest.approx(2 * row.params_each / 1e6)
    wide = peft(method="dylora", base="gpt2-small", r=64, r_min=3)
    assert [row.rank for row in wide.ranks] == [3, 4, 8, 16, 32, 64]


def test_adalora_reports_the_initial_count_and_the_pruned_budget():
    result = peft(method="adalora", base="llama-7b", r=12, target_r=4)
    # AdaLoRA init: r·(d_in + d_out + 1) per matrix (A, B and the singular values E), on q and v of 32 blocks.
    assert result.trainable_params == 64 * 12 * (4096 + 4096 + 1)
    assert (
        result.total_params == result.base_params + result.trainable_params + 64
    )  # peft's frozen `ranknum`s
    figures = {f.name: f.value for f in result.figures}
    assert figures["rank budget after pruning"] == 64 * 4
    assert figures["effective params after pruning"] == 64 * 4 * (4096 + 4096 + 1)


def test_vera_trains_two_vectors_per_layer_and_shares_frozen_matrices():
    result = peft(method="vera", base="llama-7b", target_modules=["q", "up"])
    # VeRA: λ_d (r) + λ_b (d_out) per layer; peft's default r = 256.
    assert result.trainable_params == 32 * ((256 + 4096) + (256 + 11008))
    shared = {f.name: f.value for f in result.figures}["shared frozen A and B"]
    assert shared == 256 * (4096 + 11008)  # A r × max d_in, B max d_out × r


def test_ia3_scales_keys_values_and_the_ffn_input():
    result = peft(method="ia3", base="llama-7b")
    # (IA)³: l_k (4096) + l_v (4096) + l_ff on the down projection's input (11008), 32 blocks.
    assert result.trainable_params == 32 * (4096 + 4096 + 11008) == 614_400


def test_prompt_methods_hand_derived():
    assert peft(method="prompt_tuning", base="llama-7b").trainable_params == 20 * 4096
    assert peft(method="prefix_tuning", base="llama-7b").trainable_params == 20 * 32 * 2 * 4096
    assert (
        peft(method="p_tuning_v2", base="llama-7b", num_virtual_tokens=10).trainable_params
        == 10 * 32 * 2 * 4096
    )
    # Grouped-query attention: the prefix holds keys and values of width 8 KV heads · 128 = 1024 (Mistral-7B).
    assert peft(method="prefix_tuning", base="mistral-7b").trainable_params == 20 * 32 * 2 * 1024
    projected = peft(method="prefix_tuning", base="gpt2-small", prefix_projection=True, num_virtual_tokens=10)
    # Embedding 10·768, MLP (768·768 + 768) + (768·2·12·768 + 2·12·768) with encoder width = hidden size.
    assert projected.trainable_params == 10 * 768 + (768 * 768 + 768) + (768 * 18432 + 18432)


def test_s_lora_reports_served_adapter_memory_not_training():
    result = peft(method="s_lora", base="llama-7b", adapter_ranks=[8, 8, 16, 64])
    # S-LoRA (Sheng et al. 2023) adapters on q, k, v, o: one rank unit is
    # 32 blocks · 4 · (4096 + 4096) = 1,048,576 parameters.
    assert result.trainable_params == 0
    assert result.adapter_params == (8 + 8 + 16 + 64) * 1_048_576
    assert result.total_params == result.base_params
    figures = {f.name: f.value for f in result.figures}
    assert figures["served adapters"] == 4
    assert figures["adapter memory"] == pytest.approx(96 * 1_048_576 * 2 / GIB)  # fp16
    assert [(row.rank, row.adapters) for row in result.ranks] == [(8, 2), (16, 1), (64, 1)]
    uniform = peft(method="s_lora", base="llama-7b", num_adapters=100, r=16)
    assert uniform.adapter_params == 100 * 16 * 1_048_576


def test_lora_bias_options_unfreeze_base_biases():
    plain = peft(method="lora", base="bert-base").trainable_params
    lora_only = peft(method="lora", base="bert-base", bias="lora_only").trainable_params
    every = peft(method="lora", base="bert-base", bias="all").trainable_params
    assert lora_only - plain == 12 * 2 * 768  # the biases of the adapted query and value projections
    # Every bias: linear (12·(4·768 + 3072 + 768) + pooler 768) + LayerNorm (25 norms · 768).
    assert every - plain == 12 * (4 * 768 + 3072 + 768) + 768 + 25 * 768


def test_full_fine_tuning_trains_everything():
    result = peft(method="full", base="gpt2-small")
    assert result.trainable_params == result.base_params == result.total_params == 124_439_808
    assert result.trainable_percent_of_base == 100.0


def test_default_targets_follow_peft_and_the_papers():
    assert peft(method="lora", base="gpt2-small").target_modules == ["qkv"]
    assert peft(method="lora", base="bert-base").target_modules == ["q", "v"]
    assert peft(method="qlora", base="bert-base").target_modules == ["q", "k", "v", "o", "up", "down"]
    assert peft(method="longlora", base="gpt2-small").target_modules == ["qkv", "o"]
    # peft's BERT IA3 entry "output.dense" selects attention.output.dense (o) as well as the FFN output.
    assert peft(method="ia3", base="bert-base").target_modules == ["k", "v", "o", "down"]
    assert peft(method="ia3", base="qwen2.5-7b").target_modules == ["q", "v", "down"]  # peft's qwen2 entry
    assert "pooler" in peft(method="lora", base="bert-base", target_modules="all-linear").target_modules


def test_targets_accept_a_comma_separated_string():
    assert peft(method="lora", base="llama-7b", target_modules="q, k,v").target_modules == ["q", "k", "v"]


@pytest.mark.parametrize("method", get_args(Method))
def test_every_method_explains_itself(method):
    result = peft(method=method, base="bert-base")
    assert len(result.note) > 150 and result.source and result.formula
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.method)  # carries its Chinese term
    assert result.trainable_percent_of_total <= result.trainable_percent_of_base <= 100
    if method != "full":  # every PEFT method has a notes topic (tools/notes/<slug>.md)
        assert result.note_topic in {
            "lora",
            "dora",
            "qlora",
            "qa-lora",
            "longlora",
            "dylora",
            "adalora",
            "vera",
            "ia3",
            "prompt-tuning",
            "prefix-tuning",
            "p-tuning-v2",
            "s-lora",
        }


# --- bad input for peft_trainable_params ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"method": "lora", "base": "gpt2-small", "r": 0}, "r"),
        (
            {"method": "lora", "base": "gpt-5"},
            "base",
        ),  # the branch labels pydantic adds ("name", "spec", "list") are not shown
        ({"method": "lora", "base": {"hidden_size": 64}}, "base.num_layers"),
        (
            {
                "method": "lora",
                "base": {
                    "hidden_size": 0,
                    "num_layers": 1,
                    "num_heads": 1,
                    "intermediate_size": 1,
                    "vocab_size": 1,
                },
            },
            "base.hidden_size",
        ),
        ({"method": "lorax", "base": "gpt2-small"}, "method"),
        ({"method": "lora", "base": "gpt2-small", "target_modules": ["query"]}, "target_modules.0"),
        ({"method": "lora", "base": "gpt2-small", "target_modules": []}, "target_modules"),
        ({"method": "prompt_tuning", "base": "gpt2-small", "num_virtual_tokens": 0}, "num_virtual_tokens"),
        ({"method": "s_lora", "base": "gpt2-small", "adapter_ranks": [8, 0]}, "adapter_ranks.1"),
        ({"method": "lora", "base": "gpt2-small", "alpha": float("nan")}, "alpha"),
    ],
)
def test_schema_bounds_name_the_field(args, field):
    with pytest.raises(ToolInputError) as err:
        peft(**args)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("method", "option", "value"),
    [
        ("lora", "target_r", 4),
        ("lora", "num_virtual_tokens", 10),
        ("prompt_tuning", "r", 8),
        ("ia3", "bias", "all"),
        ("full", "target_modules", ["q"]),
        ("adalora", "alpha", 16),
    ],
)
def test_options_of_other_methods_are_rejected(method, option, value):
    with pytest.raises(ToolInputError) as err:
        peft_trainable_params(method, "bert-base", **{option: value})
    assert err.value.field == option
    assert "does not apply" in str(err.value)


@pytest.mark.parametrize(
    ("base", "targets", "hint"),
    [
        ("gpt2-small", ["q"], "'qkv'"),
        ("llama-7b", ["qkv"], "'q', 'k', 'v'"),
        ("bert-base", ["gate"], "it has"),
        ("llama-7b", ["pooler"], "it has"),
    ],
)
def test_targets_the_base_lacks_are_explained(base, targets, hint):
    with pytest.raises(ToolInputError) as err:
        peft_trainable_params("lora", base, target_modules=targets)
    assert err.value.field == "target_modules"
    assert hint in str(err.value)


def test_rank_ranges_must_be_ordered():
    with pytest.raises(ToolInputError) as err:
        peft_trainable_params("adalora", "bert-base", r=8, target_r=16)
    assert err.value.field == "target_r"
    with pytest.raises(ToolInputError) as err:
        peft_trainable_params("dylora", "bert-base", r=4, r_min=8)
    assert err.value.field == "r_min"
    with pytest.raises(ToolInputError) as err:
        peft_trainable_params("s_lora", "bert-base", adapter_ranks=[8, 8], num_adapters=3)
    assert err.value.field == "num_adapters"


# --- memory ---------------------------------------------------------------------------------------


def test_full_adamw_mixed_precision_is_16_bytes_per_parameter():
    result = memory(params_billion=7, method="full", optimizer="adamw", precision="bf16")
    # ZeRO (Rajbhandari et al. 2020): bf16 weights 2 + grads 2 + fp32 master 4 + Adam m, v 8 = 16 B/param.
    static = result.weights_gib + result.gradients_gib + result.optimizer_states_gib
    assert static == pytest.approx(16 * 7e9 / GIB)  # ≈ 104.3 GiB
    assert round(static, 1) == 104.3
    assert [line.name for line in result.lines][:4] == [
        "weights",
        "gradients",
        "master weights",
        "optimizer states",
    ]
    assert any("notional" in a for a in result.assumptions)


def test_full_fp32_needs_no_master_copy_and_sgd_one_state():
    fp32 = memory(params_billion=1, method="full", precision="fp32")
    assert fp32.weights_gib + fp32.gradients_gib + fp32.optimizer_states_gib == pytest.approx(16e9 / GIB)
    assert "master weights" not in [line.name for line in fp32.lines]
    sgd = memory(params_billion=1, method="full", optimizer="sgd")
    # bf16 weights 2 + grads 2 + master 4 + momentum 4 = 12 B/param.
    assert sgd.weights_gib + sgd.gradients_gib + sgd.optimizer_states_gib == pytest.approx(12e9 / GIB)


def test_adafactor_keeps_row_and_column_statistics():
    tiny = {
        "hidden_size": 4,
        "num_layers": 1,
        "num_heads": 1,
        "intermediate_size": 8,
        "vocab_size": 10,
        "bias": False,
        "norm": "rmsnorm",
        "output_head": "untied",
    }
    result = memory(base=tiny, method="full", precision="fp32", optimizer="adafactor")
    # Hand derivation (rows + cols per matrix, full vectors): q,k,v,o 4·(4+4) + up (4+8) + down (8+4)
    # + token embedding (10+4) + head (10+4) + 3 RMSNorms 3·4 = 96 values × 4 B.
    assert result.optimizer_states_gib * GIB == pytest.approx(96 * 4)
    lora = memory(base=tiny, method="lora", r=2, target_modules=["q"], optimizer="adafactor")
    # A (2×4): 2 + 4, B (4×2): 4 + 2 → 12 values × 4 B.
    assert lora.optimizer_states_gib * GIB == pytest.approx(12 * 4)


def test_qlora_7b_weights_are_nf4_with_double_quantisation():
    result = memory(base="llama-7b", method="qlora")
    # NF4 4 bits + double-quantised constants 8/64 + 32/(64·256) = 0.127 bits (QLoRA §3) on the 6,476,005,376
    # block linear weights; the 262,410,240 embedding, head and norm weights stay bf16.
    assert pytest.approx(4.127, abs=1e-3) == NF4_BYTES_PER_PARAM * 8
    assert result.weights_gib == pytest.approx((6_476_005_376 * NF4_BYTES_PER_PARAM + 262_410_240 * 2) / GIB)
    assert 3.5 <= result.weights_gib <= 3.9
    assert result.trainable_params == 159_907_840  # r = 64 on every linear layer, the paper's setting
    assert result.adapter_weights_gib == pytest.approx(159_907_840 * 4 / GIB)
    assert result.gradients_gib == pytest.approx(159_907_840 * 4 / GIB)
    assert result.optimizer_states_gib == pytest.approx(159_907_840 * 8 / GIB)


def test_lora_on_an_int8_base_stores_linear_weights_in_one_byte():
    result = memory(base="llama-7b", method="lora", precision="int8")
    assert result.weights_gib == pytest.approx((6_476_005_376 * 1 + 262_410_240 * 2) / GIB)


def test_activations_follow_korthikanti_et_al():
    result = memory(base="gpt2-small", method="full", seq_len=1024, batch_size=1, attention="eager")
    lines = {line.name: line.gib for line in result.lines}
    # Korthikanti et al. 2022: s·b·h·(34 + 5·a·s/h) bytes per block; 12 blocks, s=1024, h=768, a=12 → 34 + 80.
    assert lines["activations"] * GIB == 12 * 1024 * 768 * (34 + 80)
    # Logits: bf16 plus the fp32 copy taken for the loss, 6 B per s·b·V.
    assert lines["logits"] * GIB == 1024 * 50257 * 6
    assert result.activations_gib == pytest.approx(lines["activations"] + lines["logits"])
    doubled = memory(base="gpt2-small", method="full", seq_len=1024, batch_size=2, attention="eager")
    assert doubled.activations_gib == pytest.approx(2 * result.activations_gib)


def test_checkpointing_and_the_attention_kernel_shrink_activations():
    s, h, layers = 2048, 4096, 32
    eager = memory(base="llama-7b", seq_len=s, attention="eager")
    per_block = s * h * (34 + 5 * 32 * s / h)  # Korthikanti et al. 2022, the 5·a·s/h term: stored s×s scores
    assert {line.name: line.gib for line in eager.lines}["activations"] * GIB == pytest.approx(
        layers * per_block
    )
    ckpt = memory(base="llama-7b", seq_len=s, gradient_checkpointing=True, attention="eager")
    # Full recomputation: each block keeps its input 2·s·b·h, plus one block's activations while recomputing.
    assert {line.name: line.gib for line in ckpt.lines}["activations"] * GIB == pytest.approx(
        layers * 2 * s * h + per_block
    )
    for kernel in ("sdpa", "flash_attention_2"):  # fused kernels recompute the scores: no 5·a·s/h term
        fused = memory(base="llama-7b", seq_len=s, attention=kernel)
        assert {line.name: line.gib for line in fused.lines}["activations"] * GIB == pytest.approx(
            layers * s * h * 34
        )
    assert ckpt.activations_gib < memory(base="llama-7b", seq_len=s).activations_gib < eager.activations_gib


def test_defaults_are_what_current_trainers_do_and_the_answer_says_so():
    # transformers ≥ 4.36 picks attn_implementation="sdpa"; peft's prepare_model_for_kbit_training (the QLoRA
    # recipe) turns gradient checkpointing on; the HF Trainer leaves it off otherwise
    qlora = memory(base="llama-7b", method="qlora")
    lora = memory(base="llama-7b", method="lora")
    assert (qlora.attention, qlora.gradient_checkpointing) == ("sdpa", True)
    assert (lora.attention, lora.gradient_checkpointing) == ("sdpa", False)
    assert "attention=sdpa (no s×s scores stored)" in qlora.setup
    assert "gradient checkpointing on (peft's prepare_model_for_kbit_training default)" in qlora.setup
    assert (
        "gradient checkpointing off"
        in memory(base="llama-7b", method="qlora", gradient_checkpointing=False).setup
    )
    assert "r=64 adapters on every linear layer" in qlora.setup and "r=8 adapters on q, v" in lora.setup


def test_the_answer_warns_when_lora_and_qlora_defaults_are_compared():
    # the README's table once showed QLoRA training 38× LoRA's parameters only because the defaults differ
    lora, qlora = memory(base="llama-7b", method="lora"), memory(base="llama-7b", method="qlora")
    assert qlora.trainable_params == 159_907_840 and lora.trainable_params == 4_194_304  # 38×
    assert "compare like with like" in lora.setup and "compare like with like" in qlora.setup
    aligned = memory(base="llama-7b", method="lora", r=64, target_modules="all-linear")
    assert aligned.trainable_params == qlora.trainable_params
    assert "like with like" not in aligned.setup


def test_the_issues_7b_qlora_example_fits_a_24_gb_gpu():
    # issue #11: with s×s scores stored and no checkpointing the README's 7B QLoRA example (2,048 tokens) came
    # to 34.9 GiB; with what trainers do (SDPA, checkpointing) it is 7.1 GiB
    result = memory(base="llama-7b", method="qlora", seq_len=2048, gpu_memory_gb=24)
    assert result.fits is True and 6.5 < result.total_gib < 8
    stored = memory(
        base="llama-7b", method="qlora", seq_len=2048, attention="eager", gradient_checkpointing=False
    )
    assert stored.total_gib == pytest.approx(34.85, abs=0.01)


_LLAMA_33B = {  # LLaMA-33B (Touvron et al. 2023, Table 2): d = 6656, 60 layers, 52 heads, FFN 17,920
    "hidden_size": 6656, "num_layers": 60, "num_heads": 52, "intermediate_size": 17920, "vocab_size": 32000,
    "max_positions": 0, "mlp": "gated", "norm": "rmsnorm", "bias": False, "output_head": "untied",
}  # fmt: skip
_LLAMA_65B = {
    **_LLAMA_33B,
    "hidden_size": 8192,
    "num_layers": 80,
    "num_heads": 64,
    "intermediate_size": 22016,
}


def test_totals_agree_with_the_qlora_papers_measured_claims():
    # Dettmers et al. 2023 (QLoRA), abstract: finetuning a 65B model "from >780GB of GPU memory" (16-bit full
    # finetuning) to "<48GB" — a single 48 GB GPU — with NF4, double quantisation, r=64 adapters on every
    # linear layer, gradient checkpointing (our qlora defaults); batch 1, 512 tokens.
    qlora_65b = call_tool(
        "finetune_memory", {"base": _LLAMA_65B, "method": "qlora", "seq_len": 512, "plot": False}
    )
    assert qlora_65b.params == 65_285_660_672
    assert qlora_65b.total_gib <= 48
    full_65b = call_tool(
        "finetune_memory", {"base": _LLAMA_65B, "method": "full", "seq_len": 512, "plot": False}
    )
    assert full_65b.total_gib * GIB > 780e9
    # §1 and §5: Guanaco 33B is trained "on 24 GB consumer GPUs"; that needs the paper's paged optimizers,
    # which move the optimizer states to CPU memory under pressure: everything else fits in 24 GiB, and the
    # states on top do not — which is why the paper pages them.
    qlora_33b = call_tool(
        "finetune_memory", {"base": _LLAMA_33B, "method": "qlora", "seq_len": 512, "plot": False}
    )
    assert qlora_33b.total_gib - qlora_33b.optimizer_states_gib <= 24 < qlora_33b.total_gib


def test_fit_against_a_gpu():
    qlora = memory(base="llama-7b", method="qlora", gpu_memory_gb=24)
    assert qlora.fits is True
    assert qlora.headroom_gib == pytest.approx(24 - qlora.total_gib)
    full = memory(base="llama-7b", method="full", gpu_memory_gb=80)
    assert full.fits is False and full.headroom_gib < 0
    assert memory(base="llama-7b").fits is None


def test_total_is_the_sum_of_the_lines_and_assumptions_are_listed():
    result = memory(base="mistral-7b", method="lora", optimizer="adafactor", gradient_checkpointing=True)
    assert result.total_gib == pytest.approx(sum(line.gib for line in result.lines))
    assert result.total_gib == pytest.approx(
        result.weights_gib
        + result.adapter_weights_gib
        + result.gradients_gib
        + result.optimizer_states_gib
        + result.activations_gib
    )
    text = " ".join(result.assumptions)
    assert "Korthikanti" in text and "Adafactor" in text and "checkpointing" in text


def test_memory_plot_is_a_png_and_optional():
    drawn = finetune_memory(base="llama-7b", method="qlora", gpu_memory_gb=24)
    assert drawn.png is not None and drawn.png.startswith(b"\x89PNG")
    assert finetune_memory(base="llama-7b", plot=False).png is None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({}, "base"),
        ({"base": "llama-7b", "params_billion": 7}, "base"),
        ({"base": "llama-7b", "method": "full", "precision": "int8"}, "precision"),
        ({"base": "llama-7b", "method": "qlora", "precision": "int8"}, "precision"),
        ({"base": "llama-7b", "method": "full", "r": 8}, "r"),
        ({"base": "llama-7b", "batch_size": 0}, "batch_size"),
        ({"base": "llama-7b", "seq_len": 10**7}, "seq_len"),
        ({"base": "llama-7b", "gpu_memory_gb": -1}, "gpu_memory_gb"),
        ({"params_billion": 0}, "params_billion"),
        ({"base": "llama-7b", "optimizer": "adam"}, "optimizer"),
        ({"base": "gpt2-small", "target_modules": ["q"]}, "target_modules"),
    ],
)
def test_memory_bad_input_names_the_field(args, field):
    with pytest.raises(ToolInputError) as err:
        memory(**args)
    assert err.value.field == field


def test_importing_the_tools_loads_neither_torch_nor_matplotlib():
    code = "import sys, tools.finetuning.calculators; assert not {'torch', 'matplotlib'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("method", ["lora", "qlora"])
def test_finetune_memory_adapts_the_same_layers_as_peft_trainable_params(method: str) -> None:
    # Both tools share one default: peft's q/v projections for LoRA, every linear layer for QLoRA (the
    # QLoRA paper), so the trainable count in the memory estimate equals the PEFT count for the same base.
    memory = call_tool("finetune_memory", {"base": "llama-7b", "method": method, "plot": False})
    counted = call_tool("peft_trainable_params", {"method": method, "base": "llama-7b"})
    assert memory.trainable_params == counted.trainable_params


# --- the architectures users fine-tune: Qwen2, Phi-3, T5 (against peft itself in test_against_peft.py) ---


def test_qwen2_biases_only_its_query_key_value_projections():
    spec = PRESETS["qwen2.5-7b"].spec
    # Qwen2.5-7B block by hand: q 3584·3584 + 3584, k and v 3584·512 + 512 each, o 3584·3584 (no bias),
    # gate/up/down 3·3584·18944, two RMSNorms 2·3584.
    block = (3584 * 3584 + 3584) + 2 * (3584 * 512 + 512) + 3584 * 3584 + 3 * 3584 * 18944 + 2 * 3584
    assert count_params(spec) - count_params(spec.model_copy(update={"num_layers": 27})) == block
    lora = peft(method="lora", base="qwen2.5-7b", r=8, bias="lora_only")
    # r·(d_in + d_out) on q (3584 → 3584) and v (3584 → 512), plus the biases of both: 28 blocks.
    assert lora.trainable_params == 28 * (8 * (3584 + 3584) + 8 * (3584 + 512) + 3584 + 512)


def test_encoder_decoder_attention_projections_include_cross_attention():
    # T5-small: 6 encoder blocks (self-attention) and 6 decoder blocks (self- and cross-attention) each with
    # q and v of 512 → 512: 18 of each, r·(512 + 512) = 8,192 parameters apiece at r = 8.
    result = peft(method="lora", base="t5-small", r=8)
    assert result.target_modules == ["q", "v"]
    assert [p.count for p in result.parts] == [18, 18]
    assert result.trainable_params == 2 * 18 * 8192
    # peft's SEQ_2_SEQ_LM doubles prompt-tuning tokens (one set for the encoder, one for the decoder).
    assert peft(method="prompt_tuning", base="t5-small").trainable_params == 2 * 20 * 512


def test_fused_projections_are_named_for_what_they_fuse():
    with pytest.raises(ToolInputError) as err:
        peft(method="lora", base="phi-3-mini", target_modules=["gate", "down"])
    assert err.value.field == "target_modules" and "target 'gate_up'" in err.value.reason
    result = peft(method="lora", base="phi-3-mini", r=8, target_modules=["qkv", "gate_up"])
    # Phi-3-mini: qkv 3072 → 3·3072, gate_up 3072 → 2·8192; 32 blocks.
    assert result.trainable_params == 32 * 8 * ((3072 + 9216) + (3072 + 16384))


def test_a_bias_list_must_name_projections_the_spec_has():
    spec = TransformerSpec(
        hidden_size=64,
        num_layers=1,
        num_heads=4,
        intermediate_size=8,
        vocab_size=10,
        mlp="gated_fused",
        bias=["gate"],
    )
    with pytest.raises(ToolInputError) as err:
        resolve_base(spec)
    assert err.value.field == "base.bias" and "gate" in err.value.reason
