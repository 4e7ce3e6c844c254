"""The inference costs against their references: KV-cache bytes against the published formula and against the
tensors transformers' DynamicCache allocates; weight bytes against the real GPTQ / AWQ / NF4 tensor layouts;
FLOPs against torch's FlopCounterMode; decode time against the bandwidth-bound estimate."""

import math

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from tests.tools.tiny_models import FAMILIES, build  # noqa: E402
from tools.finetuning.architecture import TransformerSpec, count_params, linear_layers  # noqa: E402
from tools.finetuning.presets import PRESETS  # noqa: E402
from tools.inference.costs import (  # noqa: E402
    Deployment,
    WeightFormat,
    kv_bytes_per_token,
    kv_cache_bytes,
    step_cost,
    step_time,
    weight_bytes,
)
from tools.inference.gpus import GPUS  # noqa: E402

KIB = 1024


def _deployment(spec: TransformerSpec, dtype="fp32", quantization="none") -> Deployment:
    return Deployment(spec=spec, label=spec.name, weights=WeightFormat(quantization, dtype), kv_dtype=dtype)


# ---------------------------------------------------------------------------------------------- KV cache


@pytest.mark.parametrize(
    ("name", "kib"),
    [
        # 2 (K and V) × layers × KV heads × head_dim × 2 bytes (fp16), per token — the formula of "Transformer
        # Inference Arithmetic" (kipply 2022), with the KV heads of grouped-query attention:
        ("llama-2-7b", 512),  # 2 × 32 × 32 × 128 × 2 = 524,288 B: multi-head attention (Touvron et al. 2023)
        ("llama-2-70b", 320),  # 2 × 80 × 8 × 128 × 2 = 327,680 B: GQA with 8 KV heads (Llama 2 paper §2.2)
        ("llama-3-8b", 128),  # 2 × 32 × 8 × 128 × 2 = 131,072 B: GQA with 8 KV heads (Llama 3 model card)
    ],
)
def test_kv_bytes_per_token_is_the_published_formula(name, kib):
    spec = PRESETS[name].spec
    assert (
        kv_bytes_per_token(spec, 2) == 2 * spec.num_layers * spec.kv_heads * spec.head_width * 2 == kib * KIB
    )


@pytest.mark.parametrize("name", ["llama", "mistral", "qwen2", "gemma", "gemma2", "phi3", "gpt2"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_kv_cache_equals_what_dynamic_cache_allocates(name, dtype):
    # The cache tensors transformers keeps after a forward pass over 2 sequences of 9 tokens, byte for byte.
    model = build(name).to(dtype)
    out = model(torch.randint(1, 99, (2, 9)), use_cache=True)
    allocated = sum(layer.keys.nbytes + layer.values.nbytes for layer in out.cache.layers)
    element = torch.tensor([], dtype=dtype).element_size()
    assert allocated == 2 * kv_cache_bytes(FAMILIES[name].spec, 9, element)


def test_sliding_window_layers_keep_only_the_window():
    # Gemma-2 alternates windowed and global layers. With a 4-token window and 9 tokens the windowed layer
    # keeps 3 tokens in transformers (DynamicSlidingWindowLayer caches sliding_window − 1: the next query is
    # the window's last token) and 4 in our count (what a paged server reserves); the global layer keeps 9.
    model = build("gemma2", sliding_window=4)
    out = model(torch.randint(1, 99, (1, 9)), use_cache=True)
    kept = [layer.keys.shape[-2] for layer in out.cache.layers]
    assert kept == [3, 9]
    spec = FAMILIES["gemma2"].spec.model_copy(update={"sliding_window": 4, "sliding_window_layers": 1})
    allocated = sum(layer.keys.nbytes + layer.values.nbytes for layer in out.cache.layers)
    one_token_of_one_layer = 2 * spec.kv_width * 4
    assert kv_cache_bytes(spec, 9, 4) == allocated + one_token_of_one_layer


def test_mistral_preset_cache_stops_growing_at_its_window():
    spec = PRESETS["mistral-7b"].spec
    assert (
        kv_cache_bytes(spec, 32768, 2) == kv_cache_bytes(spec, 4096, 2) == 4096 * kv_bytes_per_token(spec, 2)
    )


# ------------------------------------------------------------------------------------------------ weights


def _gptq_buffers(d_in: int, d_out: int, bias: bool, group: int = 128, bits: int = 4) -> int:
    """Bytes of AutoGPTQ's QuantLinear buffers (auto_gptq/nn_modules/qlinear/qlinear_cuda.py, __init__)."""
    groups = math.ceil(d_in / group)
    tensors = [
        torch.empty((d_in // 32 * bits, d_out), dtype=torch.int32, device="meta"),  # qweight
        torch.empty((groups, d_out // 32 * bits), dtype=torch.int32, device="meta"),  # qzeros
        torch.empty((groups, d_out), dtype=torch.float16, device="meta"),  # scales
        torch.empty((d_in,), dtype=torch.int32, device="meta"),  # g_idx
    ]
    if bias:
        tensors.append(torch.empty((d_out,), dtype=torch.float16, device="meta"))
    return sum(t.nbytes for t in tensors)


def _awq_buffers(d_in: int, d_out: int, bias: bool, group: int = 128, bits: int = 4) -> int:
    """Bytes of AutoAWQ's WQLinear_GEMM buffers (awq/modules/linear/gemm.py, __init__)."""
    pack = 32 // bits
    tensors = [
        torch.empty((d_in, d_out // pack), dtype=torch.int32, device="meta"),  # qweight
        torch.empty((d_in // group, d_out // pack), dtype=torch.int32, device="meta"),  # qzeros
        torch.empty((d_in // group, d_out), dtype=torch.float16, device="meta"),  # scales
    ]
    if bias:
        tensors.append(torch.empty((d_out,), dtype=torch.float16, device="meta"))
    return sum(t.nbytes for t in tensors)


@pytest.mark.parametrize("name", ["llama-2-7b", "qwen2.5-0.5b", "phi-3-mini"])
@pytest.mark.parametrize(("quantization", "buffers"), [("gptq", _gptq_buffers), ("awq", _awq_buffers)])
def test_group_wise_4_bit_weights_match_the_real_tensor_layout(name, quantization, buffers):
    # Every block linear replaced by the quantised module (its bias kept in fp16), everything else in fp16.
    spec = PRESETS[name].spec
    linears = [layer for layer in linear_layers(spec) if layer.kind != "pooler"]
    quantized = sum(buffers(a.d_in, a.d_out, a.bias) * a.count for a in linears)
    linear_params = sum(a.params_each * a.count for a in linears)
    expected = quantized + (count_params(spec) - linear_params) * 2
    assert weight_bytes(spec, WeightFormat(quantization, "fp16")).total == expected


def test_gptq_llama_2_7b_is_the_size_of_the_published_checkpoint():
    # TheBloke/Llama-2-7B-GPTQ, branch main (4 bits, group 128, act-order): model.safetensors 3.90 GB.
    total = weight_bytes(PRESETS["llama-2-7b"].spec, WeightFormat("gptq", "fp16")).total
    assert total == 3_893_862_400
    assert total / 1e9 == pytest.approx(3.90, abs=0.01)


def test_nf4_costs_the_qlora_paper_s_bits_per_parameter():
    # QLoRA §3 (Dettmers et al. 2023): 4-bit NormalFloat with double quantisation costs 4 + 8/64 + 32/(64·256)
    # = 4.127 bits per quantised parameter.
    spec = PRESETS["llama-2-7b"].spec
    w = weight_bytes(spec, WeightFormat("nf4", "bf16"))
    assert 8 * (w.data_bytes + w.metadata_bytes) / w.quantized_params == pytest.approx(
        4 + 8 / 64 + 32 / 16384
    )


def test_unquantised_weights_are_params_times_dtype_bytes():
    spec = PRESETS["llama-2-7b"].spec
    assert weight_bytes(spec, WeightFormat("none", "fp16")).total == 6_738_415_616 * 2
    assert weight_bytes(spec, WeightFormat("none", "fp32")).total == 6_738_415_616 * 4


# -------------------------------------------------------------------------------------------------- FLOPs


@pytest.mark.parametrize("name", ["llama", "qwen2", "gemma", "phi3", "gpt2"])
def test_prefill_flops_equal_flop_counter_mode(name):
    # Prefill of 2 sequences × 9 tokens, logits for the last position only (as a server samples):
    # FlopCounterMode counts 2·m·n·k per matmul — 2·N_linear per token, the attention score and value
    # products, the LM head.
    model = build(name, attn_implementation="eager")
    with FlopCounterMode(display=False) as counter:
        model(torch.randint(1, 99, (2, 9)), logits_to_keep=1)
    spec = FAMILIES[name].spec
    cost = step_cost(_deployment(spec), batch=2, new_tokens=9, context=0)
    assert cost.flops == counter.get_total_flops()
    linear = sum(a.d_in * a.d_out * a.count for a in linear_layers(spec))
    assert cost.linear_flops == 2 * linear * 2 * 9  # the "2·N·tokens" of the rule of thumb
    assert cost.attention_flops == 4 * spec.q_width * spec.num_layers * 9 * 9 * 2


@pytest.mark.parametrize("name", ["llama", "mistral"])
def test_a_decode_step_s_flops_equal_flop_counter_mode(name):
    # One new token per sequence against 9 cached ones: attention grows with the context, linears do not.
    model = build(name, attn_implementation="eager")
    first = model(torch.randint(1, 99, (2, 9)), use_cache=True)
    with FlopCounterMode(display=False) as counter:
        model(torch.randint(1, 99, (2, 1)), cache=first.cache, use_cache=True)
    cost = step_cost(_deployment(FAMILIES[name].spec), batch=2, new_tokens=1, context=9)
    assert cost.flops == counter.get_total_flops()


# ----------------------------------------------------------------------------------------------- timing


@pytest.mark.parametrize("gpu", ["a100-40gb", "a100-80gb"])
def test_decode_at_batch_1_is_the_bandwidth_bound_estimate(gpu):
    # "Transformer Inference Arithmetic" (kipply 2022): a 7B model in fp16 reads 2·7e9 bytes per token, so one
    # token takes ≈ 2·7e9 B ÷ 1.5–2 TB/s on an A100 (7–9 ms). LLaMA-2-7B has 6.74e9 parameters; the A100 40GB
    # moves 1,555 GB/s and the 80GB 2,039 GB/s (datasheet).
    dep = _deployment(PRESETS["llama-2-7b"].spec, dtype="fp16")
    cost = step_cost(dep, batch=1, new_tokens=1, context=1)
    timing = step_time(dep, cost, GPUS[gpu])
    bandwidth = GPUS[gpu].bandwidth_gb_s * 1e9
    assert timing.bound == "memory"
    assert timing.seconds == cost.bytes_moved / bandwidth
    assert timing.seconds == pytest.approx(2 * 6.738e9 / bandwidth, rel=0.001)  # weights are all but 0.1 %
    assert timing.seconds == pytest.approx(2 * 7e9 / bandwidth, rel=0.04)
    assert 7.0e-3 * 0.9 < timing.seconds < 2 * 7e9 / 1.5e12


def test_decoding_does_one_flop_per_byte_of_fp16_weights():
    # Each weight (2 bytes) takes part in one multiply-add (2 FLOPs) per token: intensity ≈ 1 at batch 1,
    # and ≈ batch at small batches — far below an A100's ridge of 312e12 / 2.039e12 ≈ 153 FLOPs/byte.
    dep = _deployment(PRESETS["llama-2-7b"].spec, dtype="fp16")
    assert step_cost(dep, batch=1, new_tokens=1, context=1).intensity == pytest.approx(1.0, rel=0.02)
    assert step_cost(dep, batch=16, new_tokens=1, context=1).intensity == pytest.approx(16, rel=0.05)
    assert GPUS["a100-80gb"].ridge_bf16 == pytest.approx(153.0, abs=0.1)


def test_the_rtx_3090_preset():
    # NVIDIA Ampere GA102 whitepaper, RTX 3090: 71 dense FP16/BF16 tensor TFLOPS (FP32 accumulate), 936 GB/s,
    # 24 GB; ridge 71e12 / 936e9 ≈ 75.9 FLOPs/byte (hand).
    gpu = GPUS["rtx-3090"]
    assert (gpu.memory_gib, gpu.bandwidth_gb_s, gpu.tflops["bf16"]) == (24, 936, 71.0)
    assert gpu.ridge_bf16 == pytest.approx(75.85, abs=0.01)
