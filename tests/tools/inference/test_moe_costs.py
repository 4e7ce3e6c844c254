"""Serving costs of mixtures of experts and multi-head latent attention against their references: FLOPs
against torch's FlopCounterMode on tiny Mixtral / Qwen3-MoE / DeepSeek-V2/V3, the MLA cache against the
tensors transformers keeps, the per-token latent against DeepSeek's config by hand, and the bytes a decode
step reads against the expected-distinct-experts formula."""

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from tests.tools.tiny_moe import MOE_FAMILIES  # noqa: E402
from tools.finetuning.architecture import TransformerSpec, active_params, count_params  # noqa: E402
from tools.finetuning.presets import PRESETS  # noqa: E402
from tools.inference.costs import (  # noqa: E402
    Deployment,
    WeightFormat,
    experts_touched,
    kv_bytes_per_token,
    kv_cache_bytes,
    step_cost,
)
from tools.inference.memory import llm_inference_memory  # noqa: E402
from tools.inference.roofline import roofline  # noqa: E402
from tools.inference.throughput import llm_throughput  # noqa: E402

NAMES = list(MOE_FAMILIES)


def _deployment(spec: TransformerSpec, dtype="fp32", quantization="none", tp=1) -> Deployment:
    weights = WeightFormat(quantization, dtype)
    return Deployment(spec=spec, label=spec.name, weights=weights, kv_dtype=dtype, tensor_parallel=tp)


def _eager(name: str):
    # Eager attention and the per-expert loop: the paths FlopCounterMode sees as plain matmuls on the CPU.
    family = MOE_FAMILIES[name]
    config = family.config.__class__(**family.config.to_dict())
    config._attn_implementation = "eager"
    config._experts_implementation = "eager"
    torch.manual_seed(0)
    return family.model(config)


@pytest.mark.parametrize("name", NAMES)
def test_prefill_and_decode_flops_equal_flop_counter_mode(name):
    # Each token's experts_per_token experts (and the router, shared experts, dense layers) count 2 FLOPs per
    # weight; MLA attention counts QKᵀ over qk_nope + qk_rope and AV over v_head_dim per head.
    model, spec = _eager(name), MOE_FAMILIES[name].spec
    with FlopCounterMode(display=False) as counter:
        first = model(torch.randint(1, 99, (2, 9)), use_cache=True, logits_to_keep=1)
    assert step_cost(_deployment(spec), batch=2, new_tokens=9, context=0).flops == counter.get_total_flops()
    with FlopCounterMode(display=False) as counter:
        model(torch.randint(1, 99, (2, 1)), cache=first.cache, use_cache=True)
    decode = step_cost(_deployment(spec), batch=2, new_tokens=1, context=9).flops
    if spec.attention == "mla":
        # transformers caches the latent and re-expands the 9 cached tokens through kv_b_proj at every step
        # (2·kv_lora_rank·heads·(qk_nope + v) FLOPs per cached token and layer); serving engines absorb kv_b
        # into the query and output instead, so the count leaves that out.
        expand = 2 * spec.kv_lora_rank * spec.num_heads * (spec.qk_nope_head_dim + spec.v_head_dim)
        decode += expand * 9 * 2 * spec.num_layers
    assert decode == counter.get_total_flops()


@pytest.mark.parametrize("name", NAMES)
def test_decode_flops_per_token_are_twice_the_active_parameters_plus_attention(name):
    spec = MOE_FAMILIES[name].spec
    cost = step_cost(_deployment(spec), batch=1, new_tokens=1, context=0)
    embedding = spec.vocab_size * spec.hidden_size
    norms = count_params(spec) - sum(
        p.numel() for n, p in _eager(name).named_parameters() if not n.endswith("norm.weight")
    )
    assert cost.linear_flops + cost.head_flops == 2 * (active_params(spec) - embedding - norms)


@pytest.mark.parametrize("name", ["deepseek_v3", "deepseek_v2"])
def test_the_mla_cache_is_the_latent_transformers_keeps(name):
    # transformers ≥ 5 caches, per layer and token, the kv_lora_rank latent (as "keys") and the shared rotary
    # key of qk_rope_head_dim (as "values"), byte for byte what the formula says.
    out = _eager(name)(torch.randint(1, 99, (2, 9)), use_cache=True)
    allocated = sum(layer.keys.nbytes + layer.values.nbytes for layer in out.cache.layers)
    spec = MOE_FAMILIES[name].spec
    assert allocated == 2 * kv_cache_bytes(spec, 9, 4) == 2 * 9 * 3 * (10 + 4) * 4


def test_deepseek_v3_caches_a_57th_of_what_its_heads_would():
    # DeepSeek-V3 config: 61 layers, kv_lora_rank 512, qk_rope_head_dim 64 → 61 × 576 × 2 B = 70,272 B per
    # token in bf16 (hand). Per-head keys (128 × 192) and values (128 × 128) would be 61 × 40,960 × 2 B.
    spec = PRESETS["deepseek-v3"].spec
    assert kv_bytes_per_token(spec, 2) == 61 * (512 + 64) * 2 == 70_272
    expanded = 61 * 128 * (192 + 128) * 2
    assert round(expanded / kv_bytes_per_token(spec, 2), 1) == 71.1
    result = llm_inference_memory(model="deepseek-v3", context_len=32768, quantization="fp8")
    assert result.kv_bytes_per_token == 70_272 * 1 / 2 * 2  # kv cache in the activation dtype (bf16)
    kv_line = next(line for line in result.lines if line.name == "KV cache")
    assert "kv_lora_rank" in kv_line.formula and "70,272 B per token" in kv_line.formula
    assert result.kv_cache_gib == pytest.approx(70_272 * 32768 / 2**30)


def test_the_mla_latent_is_whole_on_every_gpu():
    spec = PRESETS["deepseek-v3"].spec
    one = llm_inference_memory(model="deepseek-v3", quantization="fp8", context_len=8192, gpu="h200")
    eight = llm_inference_memory(
        model="deepseek-v3", quantization="fp8", context_len=8192, gpu="h200", num_gpus=8
    )
    kv = next(line for line in eight.lines if line.name == "KV cache")
    assert kv.per_gpu_gib == pytest.approx(kv_cache_bytes(spec, 8192, 2) / 2**30)
    assert "whole on every GPU" in kv.formula
    assert eight.weights_gib == one.weights_gib and eight.fits and not one.fits


@pytest.mark.parametrize(("batch", "touched"), [(1, 2.0), (2, 3.5), (4, 8 * (1 - 0.75**4))])
def test_a_decode_step_reads_the_dense_weights_and_the_experts_its_tokens_touch(batch, touched):
    # Mixtral-8x7B, 2 of 8 experts per token: one token touches 2 experts; two tokens 8·(1 − (6/8)²) = 3.5
    # on average (hand: 1 − P(an expert is missed by both)); bf16 at batch 1 reads 2 × active parameters.
    spec = PRESETS["mixtral-8x7b"].spec
    assert experts_touched(spec, batch) == pytest.approx(touched)
    cost = step_cost(_deployment(spec, "bf16"), batch=batch, new_tokens=1, context=0)
    experts = 32 * 8 * 3 * 4096 * 14336  # every expert's w1, w2, w3
    dense = count_params(spec) - experts
    assert cost.weight_bytes == pytest.approx(2 * (dense + experts * touched / 8))
    if batch == 1:
        assert cost.weight_bytes == pytest.approx(2 * active_params(spec))


def test_prefill_reads_every_expert():
    spec = PRESETS["deepseek-v3"].spec
    cost = step_cost(_deployment(spec, "bf16"), batch=1, new_tokens=4096, context=0)
    assert cost.weight_bytes == pytest.approx(2 * count_params(spec))


def test_memory_holds_all_experts_while_decode_reads_a_few():
    memory = llm_inference_memory(model="mixtral-8x7b", gpu="h100", num_gpus=2)
    assert memory.params == 46_702_792_704 and memory.active_params == 12_879_925_248
    assert memory.weights_gib == pytest.approx(2 * 46_702_792_704 / 2**30)
    assert any("E·(1 − (1 − k/E)^T)" in note for note in memory.assumptions)
    result = roofline(gpu="h100", model="mixtral-8x7b", phase="decode", plot=False)
    decode = result.phases[0]
    assert decode.bound == "memory"
    # batch 1: ≈ 2 × 12.9e9 bytes of weights (+ KV cache and activations), not 2 × 46.7e9
    assert 2 * 12.879e9 < decode.gbytes * 1e9 < 2 * 12.879e9 * 1.05


def test_a_moe_decodes_faster_than_a_dense_model_of_its_size():
    moe = llm_throughput(gpu="h100", model="mixtral-8x7b", num_gpus=2)
    dense = llm_throughput(gpu="h100", params_billion=46.7, num_gpus=2)
    assert moe.tpot_ms < dense.tpot_ms / 2.5  # 12.9B of 46.7B read per token at batch 1
    assert any("Mixture of experts" in note for note in moe.assumptions)
