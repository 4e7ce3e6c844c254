"""llm_inference_memory, roofline and llm_throughput as tools: their answers hold together, the GPU presets
carry their sources, speculative decoding follows Leviathan et al. 2023, and bad input is one line naming the
field."""

import math

import pytest

from tools.catalog import call_tool
from tools.errors import ToolInputError
from tools.finetuning.architecture import notional_spec
from tools.finetuning.presets import PRESETS
from tools.inference.costs import kv_bytes_per_token
from tools.inference.gpus import GPUS
from tools.inference.throughput import speculative_speedup

GIB = 2**30


def memory(**args):
    return call_tool("llm_inference_memory", args)


def roofline(**args):
    return call_tool("roofline", {"plot": False, **args})


def throughput(**args):
    return call_tool("llm_throughput", args)


# ----------------------------------------------------------------------------------------- GPU presets


@pytest.mark.parametrize("name", list(GPUS))
def test_every_gpu_preset_names_its_datasheet_and_is_consistent(name):
    gpu = GPUS[name]
    assert "datasheet" in gpu.source or "data sheet" in gpu.source or "whitepaper" in gpu.source
    assert f"{gpu.memory_gib:g} GB" in gpu.source.replace(",", "")  # the capacity is the datasheet's
    dense = {k: v for k, v in gpu.tflops.items() if v is not None}
    assert dense["fp16"] >= dense["fp32"]  # tensor cores beat the CUDA cores
    if "fp8" in dense:
        # FP8 doubles the 16-bit rate (L40S: 733 vs 362.05, the datasheet's own rounding)
        assert dense["fp8"] == pytest.approx(2 * dense["bf16"], rel=0.02)
    # Every GPU in the table is memory-bound for batch-1 decoding (intensity ≈ 1 FLOP/byte).
    assert gpu.ridge_bf16 > 50


def test_dense_peaks_are_half_the_datasheets_sparse_figures():
    # H100 SXM datasheet: BF16 1,979 TFLOPS and FP8 3,958 TFLOPS "with sparsity"; A100: BF16 312 dense.
    assert GPUS["h100-sxm"].tflops["bf16"] == 1979 / 2 and GPUS["h100-sxm"].tflops["fp8"] == 3958 / 2
    assert GPUS["a100-80gb"].tflops["bf16"] == 312 and GPUS["a100-80gb"].bandwidth_gb_s == 2039
    assert GPUS["h200"].memory_gib == 141 and GPUS["h200"].bandwidth_gb_s == 4800
    assert GPUS["mi300x"].memory_gib == 192 and GPUS["mi300x"].bandwidth_gb_s == 5300


def test_short_gpu_names_read_as_the_common_preset():
    result = memory(model="llama-2-7b", gpu="h100")
    assert result.gpu == "NVIDIA H100 SXM"
    assert any("'h100' read as" in line for line in result.assumptions)


def test_a_custom_gpu_is_described_by_its_numbers():
    custom = {"name": "my card", "memory_gb": 32, "bandwidth_gb_s": 1000, "bf16_tflops": 200}
    result = roofline(model="llama-2-7b", gpu=custom, phase="decode")
    assert result.ridge_flops_per_byte == pytest.approx(200e12 / 1000e9)
    assert result.phases[0].bound == "memory"


# ----------------------------------------------------------------------------------- llm_inference_memory


def test_the_70b_4_bit_on_two_48_gb_cards_question():
    # "Will a 70B model in 4-bit fit on two 48 GB cards with 32k context?" — LLaMA-3.1-70B, AWQ, 2 × L40S.
    result = memory(model="llama-3.1-70b", quantization="awq", num_gpus=2, gpu="l40s", context_len=32768)
    assert result.fits is True and result.gpu_memory_gib == 48
    lines = {line.name: line for line in result.lines}
    assert result.per_gpu_gib == pytest.approx(sum(line.per_gpu_gib for line in result.lines))
    # KV: 80 layers × 2 × 8 KV heads × 128 × 2 B = 320 KiB per token, × 32,768 tokens = 10 GiB, 5 per GPU.
    assert lines["KV cache"].total_gib == pytest.approx(10.0)
    assert lines["KV cache"].per_gpu_gib == pytest.approx(5.0)
    assert lines["weights"].per_gpu_gib == pytest.approx(lines["weights"].total_gib / 2, rel=0.001)
    assert 4.0 < result.bits_per_weight < 4.7  # 4 bits plus scales, zeros and the 16-bit embeddings
    assert "fits" in result.summary and "L40S" in result.summary


def test_the_largest_batch_and_context_really_are_the_largest():
    args = dict(model="llama-3-8b", gpu="l4", context_len=8192)
    result = memory(**args)
    assert memory(**args, batch_size=result.max_batch_size).fits
    assert not memory(**args, batch_size=result.max_batch_size + 1).fits
    longest = memory(model="llama-2-13b", gpu="a10g", quantization="int4", batch_size=2)
    assert longest.max_context_len == 4096  # capped at LLaMA-2's maximum context


def test_gqa_mqa_and_an_fp8_cache_shrink_the_kv_cache():
    mha = memory(model="llama-2-7b", context_len=4096)
    gqa = memory(model="llama-3-8b", context_len=4096)
    assert mha.kv_cache_gib == pytest.approx(2.0)  # 512 KiB × 4,096 tokens
    assert gqa.kv_cache_gib == pytest.approx(0.5)  # 8 of 32 heads keep keys and values
    assert memory(model="llama-3-8b", context_len=4096, kv_cache_dtype="fp8").kv_cache_gib == pytest.approx(
        0.25
    )
    mqa = memory(model="gemma-2b", context_len=8192)
    assert mqa.kv_bytes_per_token == 18 * 2 * 1 * 256 * 2  # one KV head of width 256


def test_tensor_parallelism_splits_weights_and_replicates_scarce_kv_heads():
    one = memory(model="llama-3-8b", context_len=4096)
    sixteen = memory(model="llama-3-8b", context_len=4096, num_gpus=16)
    weights = {line.name: line for line in sixteen.lines}["weights"]
    assert weights.per_gpu_gib == pytest.approx(one.weights_gib / 16, rel=0.001)
    kv = {line.name: line for line in sixteen.lines}["KV cache"]
    # 8 KV heads on 16 GPUs: every GPU holds one head, so each head lives on two GPUs (vLLM replicates them).
    assert kv.per_gpu_gib == pytest.approx(one.kv_cache_gib / 8)


def test_a_bare_size_gets_a_notional_gqa_shape():
    result = memory(params_billion=70, weight_bits=4, num_gpus=2, gpu_memory_gb=48, context_len=32000)
    assert abs(result.params - 70e9) / 70e9 < 0.03
    assert "8 KV heads" in result.model
    assert result.kv_bytes_per_token == kv_bytes_per_token(notional_spec(70e9, num_kv_heads=8), 2)


# ------------------------------------------------------------------------------------------------ roofline


def test_prefill_is_compute_bound_and_decode_memory_bound():
    result = roofline(model="llama-2-7b", gpu="a100-80gb", context_len=2048)
    prefill, decode = result.phases
    assert result.ridge_flops_per_byte == pytest.approx(312e12 / 2039e9)
    assert prefill.bound == "compute" and prefill.intensity > result.ridge_flops_per_byte
    assert decode.bound == "memory" and decode.intensity < 2
    assert decode.attainable_tflops == pytest.approx(2039e9 * decode.intensity / 1e12)
    assert "below the ridge" in decode.why and "above the ridge" in prefill.why
    # Per token, by hand: decoding moves every weight (2 B × 6.74e9 ≈ 13,477 MB) and the 2,048 cached tokens'
    # keys and values (× 512 KiB ≈ 1,074 MB); it does 2 FLOPs per block weight (2 × 6.476e9), the LM head
    # (2 × 32,000 × 4,096) and attention over 2,049 keys (4 × 4,096 × 2,049 × 32 layers) = 14.29 GFLOPs.
    assert decode.mbytes_per_token == pytest.approx((2 * 6_738_415_616 + 2048 * 524_288) / 1e6, rel=0.001)
    flops = 2 * 6_476_005_376 + 2 * 32_000 * 4096 + 4 * 4096 * 2049 * 32
    assert decode.gflops_per_token == pytest.approx(flops / 1e9)
    assert prefill.mbytes_per_token < decode.mbytes_per_token / 100


def test_batching_lifts_decode_intensity_towards_the_ridge():
    intensities = [
        roofline(model="llama-3-8b", gpu="h100-sxm", phase="decode", batch_size=b, context_len=512)
        .phases[0]
        .intensity
        for b in (1, 8, 64)
    ]
    assert intensities[0] < intensities[1] < intensities[2]


def test_a_single_matmul_on_the_roofline():
    # 4096³ in bf16: 2·4096³ FLOPs over 3·4096²·2 bytes = 1,365 FLOPs/byte, above an H100's ridge of ≈ 295.
    result = roofline(op={"m": 4096, "n": 4096, "k": 4096}, gpu="h100-sxm")
    (matmul,) = result.phases
    assert matmul.intensity == pytest.approx(2 * 4096**3 / (3 * 4096**2 * 2))
    assert matmul.bound == "compute"
    skinny = roofline(op={"m": 1, "n": 4096, "k": 4096}, gpu="h100-sxm").phases[0]
    assert skinny.bound == "memory"  # a matrix-vector product: one token's decode


def test_the_roofline_draws_a_png():
    result = call_tool("roofline", {"model": "llama-2-7b", "gpu": "l4"})
    assert result.png is not None and result.png.startswith(b"\x89PNG")


# -------------------------------------------------------------------------------------------- throughput


def test_throughput_is_the_roofline_at_the_mean_context():
    result = throughput(model="llama-2-7b", gpu="a100-80gb", dtype="fp16", prompt_len=512, output_len=256)
    assert result.decode_bound == "memory"
    assert result.tpot_ms == pytest.approx(result.decode_memory_ms)
    assert result.tokens_per_s_per_sequence == pytest.approx(1000 / result.tpot_ms)
    assert result.e2e_latency_s == pytest.approx(result.ttft_ms / 1e3 + 256 * result.tpot_ms / 1e3)
    # Weights 2·6.74e9 B plus the KV cache of the mean context (512 + 128 tokens × 512 KiB) read at
    # 2.039e12 B/s = 6.8 ms per token, i.e. ~150 tokens/s for one sequence.
    assert result.tpot_ms == pytest.approx((2 * 6_738_415_616 + 640 * 524_288) / 2.039e12 * 1e3, rel=0.001)


def test_what_if_rows_move_the_way_the_roofline_says():
    result = throughput(model="llama-3-8b", gpu="h100-sxm", batch_size=4)
    rows = {row.change.split(" ")[0]: row for row in result.what_if}
    base = rows["as"]
    assert rows["batch"].tokens_per_s > 3 * base.tokens_per_s  # memory-bound: 4× the batch ≈ 4× the rate
    assert rows["AWQ"].tpot_ms < base.tpot_ms / 2.5  # ≈ 4.3 bits instead of 16 per weight
    assert rows["fp8"].tpot_ms < base.tpot_ms  # a smaller cache to read
    assert rows["tensor"].tpot_ms < base.tpot_ms / 1.8  # two GPUs' bandwidth


def test_the_largest_batch_meeting_a_latency_target():
    args = dict(model="llama-3-8b", gpu="l40s", prompt_len=1024, output_len=256, target_tpot_ms=30)
    result = throughput(**args)
    best = result.max_batch_for_target
    assert best and best > 1
    assert throughput(**{**args, "batch_size": best}).tpot_ms <= 30
    over = throughput(**{**args, "batch_size": best + 1})
    assert over.tpot_ms > 30 or not over.fits


def test_speculative_decoding_follows_leviathan_et_al():
    # Leviathan, Kalman & Matias 2023, eq. (1): E[tokens per pass] = (1 − α^(γ+1)) / (1 − α); Theorem 3.8:
    # wall-time speed-up = E / (γ·c + 1). Hand derivation for α = 0.8, γ = 4, c = 0.05:
    # E = (1 − 0.8⁵) / 0.2 = 3.3616; speed-up = 3.3616 / 1.2 = 2.8013.
    tokens, speedup = speculative_speedup(0.8, 4, 0.05)
    assert tokens == pytest.approx(3.3616)
    assert speedup == pytest.approx(3.3616 / 1.2)
    assert speculative_speedup(0.0, 5, 0.1) == (1.0, pytest.approx(1 / 1.5))  # nothing accepted: slower
    assert speculative_speedup(1.0, 5, 0.0) == (6.0, 6.0)
    result = throughput(
        model="llama-3.1-70b",
        gpu="h100-sxm",
        num_gpus=4,
        acceptance_rate=0.8,
        draft_cost_ratio=0.05,
        draft_tokens=4,
    )
    spec = result.speculative
    assert spec.expected_tokens_per_step == pytest.approx(3.3616) and spec.speedup == pytest.approx(
        2.8013, abs=1e-4
    )
    assert spec.speedup_roofline <= spec.speedup * 1.001  # verifying 5 tokens costs at least one step
    assert spec.best_speedup >= spec.speedup_roofline


def test_a_draft_model_is_timed_on_the_same_gpu():
    result = throughput(
        model="llama-3.1-8b", gpu="a100-80gb", acceptance_rate=0.7, draft_model="llama-3.2-1b"
    )
    c = result.speculative.draft_cost_ratio
    # Both memory-bound: c ≈ the ratio of the weights read, 1.24e9 / 8.03e9.
    assert c == pytest.approx(1_235_814_400 / 8_030_261_248, rel=0.05)


# ----------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("llm_inference_memory", {"model": "llama-2-7b", "gpu": "tpu-v9"}, "gpu"),
        (
            "llm_inference_memory",
            {
                "model": {
                    "hidden_size": 64,
                    "num_layers": 2,
                    "num_heads": 0,
                    "intermediate_size": 8,
                    "vocab_size": 9,
                }
            },
            "model.num_heads",
        ),
        ("llm_inference_memory", {"model": "llama-2-7b", "context_len": 32768}, "context_len"),
        ("llm_inference_memory", {"model": "llama-2-7b", "num_gpus": 3}, "num_gpus"),
        ("llm_inference_memory", {"model": "t5-base"}, "model"),
        ("llm_inference_memory", {"model": "bert-base"}, "model"),
        ("llm_inference_memory", {}, "model"),
        ("llm_inference_memory", {"model": "llama-2-7b", "params_billion": 7}, "model"),
        (
            "llm_inference_memory",
            {"model": "llama-2-7b", "quantization": "fp8", "weight_bits": 4},
            "weight_bits",
        ),
        ("roofline", {"model": "llama-2-7b"}, "gpu"),
        ("roofline", {"model": "llama-2-7b", "gpu": "t4"}, "dtype"),  # Turing has no bf16 tensor cores
        ("roofline", {"model": "llama-2-7b", "gpu": "a100-80gb", "quantization": "fp8"}, "quantization"),
        ("roofline", {"op": {"m": 1, "n": 2, "k": 3}, "model": "llama-2-7b", "gpu": "l4"}, "op"),
        (
            "llm_throughput",
            {"model": "llama-2-7b", "gpu": "l4", "prompt_len": 4000, "output_len": 200},
            "output_len",
        ),
        ("llm_throughput", {"model": "llama-2-7b", "gpu": "l4", "draft_tokens": 4}, "acceptance_rate"),
        ("llm_throughput", {"model": "llama-2-7b", "gpu": "l4", "acceptance_rate": 0.7}, "draft_model"),
        ("llm_throughput", {"model": "llama-2-7b", "gpu": "l4", "acceptance_rate": 1.5}, "acceptance_rate"),
        (
            "llm_throughput",
            {"model": "llama-2-7b", "gpu": "l4", "acceptance_rate": 0.7, "draft_model": "bert-base"},
            "draft_model",
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_field(tool, args, field):
    with pytest.raises(ToolInputError) as err:
        call_tool(tool, args)
    assert err.value.field == field
    assert "\n" not in str(err.value)


def test_context_beyond_the_maximum_says_the_maximum():
    with pytest.raises(ToolInputError, match="exceed llama-2-7b's maximum context of 4096"):
        memory(model="llama-2-7b", context_len=32768)


@pytest.mark.parametrize(
    "name", [n for n, p in PRESETS.items() if not p.spec.decoder_layers and p.spec.output_head != "none"]
)
def test_every_decoder_preset_is_served_somewhere(name):
    result = memory(model=name, gpu="h200", num_gpus=8 if PRESETS[name].known_params > 1e11 else 1)
    assert result.per_gpu_gib > 0 and math.isfinite(result.per_gpu_gib)
    assert roofline(model=name, gpu="h200", num_gpus=8 if PRESETS[name].known_params > 1e11 else 1).phases
