"""The numbers the LLM-inference notes state, recomputed by the tools (or by hand where a note derives
one)."""

import re
from importlib import resources

import pytest

from tools.catalog import call_tool
from tools.finetuning.architecture import count_params, linear_layers
from tools.finetuning.presets import PRESETS
from tools.inference.costs import Deployment, WeightFormat, step_cost
from tools.inference.gpus import GPUS
from tools.inference.throughput import speculative_speedup

GIB = 2**30


def note(slug: str) -> str:
    return resources.files("tools").joinpath("notes", f"{slug}.md").read_text(encoding="utf-8")


def table(slug: str, first_column: str) -> dict[str, list[str]]:
    """Rows of the note's markdown table whose header starts with ``first_column``, by first cell."""
    rows, inside = {}, False
    for line in note(slug).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_column:
            inside = True
        elif inside and line.startswith("|") and not set(cells[0]) <= set("-"):
            rows[cells[0]] = cells[1:]
        elif inside and not line.startswith("|"):
            break
    return rows


def test_roofline_note_ridge_points_are_the_gpu_presets():
    names = {
        "T4 (fp16)": "t4",
        "L4": "l4",
        "A10G": "a10g",
        "RTX 4090": "rtx-4090",
        "L40S": "l40s",
        "A100 80GB SXM": "a100-80gb",
        "H100 SXM": "h100-sxm",
        "H200": "h200",
        "MI300X": "mi300x",
    }
    rows = table("roofline", "GPU")
    assert set(rows) == set(names)
    for label, (tflops, bandwidth, ridge) in rows.items():
        gpu = GPUS[names[label]]
        assert float(tflops.replace(",", "")) == (gpu.tflops["bf16"] or gpu.tflops["fp16"])
        assert float(bandwidth.split()[0].replace(",", "")) == gpu.bandwidth_gb_s
        assert int(ridge) == round(gpu.ridge_bf16)


def test_roofline_note_prefill_and_decode_numbers():
    text = note("roofline")
    result = call_tool(
        "roofline", {"model": "llama-2-7b", "gpu": "a100-80gb", "context_len": 2048, "plot": False}
    )
    prefill, decode = result.phases
    assert f"about {prefill.intensity:,.0f} FLOPs per byte" in text
    assert f"≈ {prefill.time_ms:.0f} ms at the dense peak" in text
    assert f"≈ {decode.time_ms:.1f} ms per token" in text and decode.bound == "memory"
    assert f"ridge of {result.ridge_flops_per_byte:.0f}" in text
    square = call_tool("roofline", {"op": {"m": 4096, "n": 4096, "k": 4096}, "gpu": "h100", "plot": False})
    assert f"{square.phases[0].intensity:,.0f} FLOPs/byte" in text
    # "ridge-point-many sequences": ≈ 150 on an A100, ≈ 300 on an H100
    assert round(GPUS["a100-80gb"].ridge_bf16, -1) == 150 and round(GPUS["h100-sxm"].ridge_bf16, -2) == 300


def test_kv_cache_note_table_and_capacity():
    rows = table("kv-cache", "model")
    presets = {
        "LLaMA-2-7B (MHA)": "llama-2-7b",
        "LLaMA-2-70B (GQA)": "llama-2-70b",
        "LLaMA-3-8B (GQA)": "llama-3-8b",
        "Gemma-2B (MQA)": "gemma-2b",
    }
    assert set(rows) == set(presets)
    for label, (shape, per_token, at_4096) in rows.items():
        result = call_tool(
            "llm_inference_memory", {"model": presets[label], "dtype": "fp16", "context_len": 4096}
        )
        spec = PRESETS[presets[label]].spec
        assert shape == f"{spec.num_layers} × {spec.kv_heads} × {spec.head_width}"
        assert per_token == f"{result.kv_bytes_per_token / 1024:g} KiB"
        value, unit = at_4096.split()
        assert float(value) == result.kv_cache_gib * (1024 if unit == "MiB" else 1)
    text = note("kv-cache")
    long = call_tool("llm_inference_memory", {"model": "llama-3.1-8b", "context_len": 131072})
    assert f"holds {long.kv_cache_gib:.0f} GiB" in text and f"its {long.weights_gib:.0f} GiB of bf16" in text
    fit = call_tool("llm_inference_memory", {"model": "llama-2-7b", "gpu": "a100-80gb"})
    assert f"about {fit.max_batch_size} sequences of 4,096 tokens" in text


def test_flash_attention_note_numbers():
    text = note("flash-attention")
    assert 2 * GIB == 32768**2 * 2 and "32,768² × 2 B = 2 GiB" in text
    dep = Deployment(PRESETS["llama-2-7b"].spec, "llama-2-7b", WeightFormat("none", "fp16"), "fp16")
    for tokens in (4096, 32768):
        cost = step_cost(dep, batch=1, new_tokens=tokens, context=0)
        share = cost.attention_flops / cost.flops
        assert f"{100 * share:.0f} % at {tokens:,}" in text


def test_continuous_batching_note_table():
    rows = table("continuous-batching", "batch")
    assert set(rows) == {"1", "64"}
    timings = {}
    for batch, (tpot, rate) in rows.items():
        result = call_tool(
            "llm_throughput",
            {
                "model": "llama-3-8b",
                "gpu": "h100-sxm",
                "batch_size": int(batch),
                "prompt_len": 512,
                "output_len": 256,
            },
        )
        assert tpot == f"{result.tpot_ms:.1f} ms"
        stated = float(rate.split()[-1].replace(",", ""))
        assert stated == pytest.approx(result.tokens_per_s_total, rel=0.01)
        timings[int(batch)] = result.tpot_ms
    assert f"{100 * (timings[64] / timings[1] - 1):.0f} % more time" in note("continuous-batching")


def test_inference_quantisation_note_table_and_speeds():
    rows = table("inference-quantization", "format")
    formats = {
        "fp16": "none",
        "INT8 / FP8 (W8A8)": "int8",
        "INT4 weight-only, group 128": "int4",
        "AWQ 4-bit, group 128": "awq",
        "GPTQ 4-bit, group 128": "gptq",
    }
    assert set(rows) == set(formats)
    for label, (bits, gib) in rows.items():
        result = call_tool(
            "llm_inference_memory", {"model": "llama-2-7b", "dtype": "fp16", "quantization": formats[label]}
        )
        assert bits == f"{result.bits_per_weight:.2f}" or bits == f"{result.bits_per_weight:.1f}"
        assert gib == f"{result.weights_gib:.2f} GiB"
    fp8 = call_tool("llm_inference_memory", {"model": "llama-2-7b", "dtype": "fp16", "quantization": "fp8"})
    assert fp8.weights_gib == pytest.approx(
        call_tool(
            "llm_inference_memory", {"model": "llama-2-7b", "dtype": "fp16", "quantization": "int8"}
        ).weights_gib,
        rel=0.01,
    )
    text = note("inference-quantization")
    assert "3.89 GB" in text  # test_costs.py: 3,893,862,400 B, the published GPTQ checkpoint
    speed = {
        q: call_tool(
            "llm_throughput", {"model": "llama-2-7b", "gpu": "a100-80gb", "dtype": "fp16", "quantization": q}
        )
        for q in ("none", "awq")
    }
    assert f"≈ {speed['none'].tpot_ms:.1f} ms per token in fp16 to ≈ {speed['awq'].tpot_ms:.1f} ms" in text


def test_speculative_decoding_note_table_and_examples():
    rows = table("speculative-decoding", "α")
    assert set(rows) == {"0.6", "0.8", "0.9"}
    for alpha, cells in rows.items():
        for gamma, cell in zip((2, 4, 8), cells, strict=True):
            assert cell == f"{speculative_speedup(float(alpha), gamma, 0.05)[1]:.2f}×"
    text = note("speculative-decoding")
    assert f"yields {speculative_speedup(0.8, 4, 0.05)[0]:.2f} tokens" in text
    base = {
        "model": "llama-3.1-8b",
        "gpu": "a100-80gb",
        "acceptance_rate": 0.8,
        "draft_model": "llama-3.2-1b",
    }
    one = call_tool("llm_throughput", {**base, "draft_tokens": 4}).speculative
    many = call_tool("llm_throughput", {**base, "draft_tokens": 4, "batch_size": 64}).speculative
    assert f"c ≈ {one.draft_cost_ratio:.2f}" in text and f"gives ≈ {one.speedup_roofline:.1f}×" in text
    assert f"drops to ≈ {many.speedup_roofline:.1f}×" in text


def test_parallelism_note_numbers():
    text = note("parallelism")
    seventy = call_tool("llm_inference_memory", {"model": "llama-3.1-70b", "num_gpus": 4, "gpu": "h100-sxm"})
    weights = {line.name: line for line in seventy.lines}["weights"]
    assert (
        f"{weights.total_gib:.1f} GiB of weights" in text
        and f"each holds {weights.per_gpu_gib:.1f} GiB" in text
    )
    assert PRESETS["llama-3.1-70b"].spec.kv_heads // 4 == 2 and "2 of them" in text
    one = call_tool("llm_inference_memory", {"model": "llama-3-8b"})
    sixteen = call_tool("llm_inference_memory", {"model": "llama-3-8b", "num_gpus": 16})
    kv = {line.name: line for line in sixteen.lines}["KV cache"]
    assert kv.per_gpu_gib == pytest.approx(one.kv_cache_gib / 8) and "1/8, not 1/16" in text
    p, m = 4, 8
    assert f"{100 * (p - 1) / (m + p - 1):.0f} % for p = 4, m = 8" in text
    assert f"{GPUS['h100-sxm'].interconnect_gb_s:.0f} GB/s on H100 SXM" in text
    assert f"{GPUS['l40s'].interconnect_gb_s:.0f} GB/s for PCIe Gen4" in text


def test_llm_basics_note_numbers():
    text = note("llm-basics")
    for name in ("gpt2-small", "llama-2-7b", "llama-3-8b", "qwen2.5-0.5b", "qwen2.5-7b"):
        assert f"{PRESETS[name].spec.vocab_size:,}" in text
    llama3 = PRESETS["llama-3-8b"].spec
    tables = 2 * llama3.vocab_size * llama3.hidden_size
    assert f"hold {tables / 1e9:.2f} B of its {count_params(llama3) / 1e9:.2f} B" in text
    llama2 = PRESETS["llama-2-7b"].spec
    block = sum(a.d_in * a.d_out * a.count for a in linear_layers(llama2))
    rule = 12 * llama2.num_layers * llama2.hidden_size**2
    assert f"weights are {block / 1e9:.2f} B" in text and f"12·L·h² = {rule / 1e9:.2f} B" in text
    assert f"≈ {2 * block / 1e9:.0f} GFLOPs per token" in text


def test_every_inference_note_is_reachable_from_the_roofline_note():
    linked = set(re.findall(r"\]\(([a-z0-9-]+)\.md\)", note("roofline")))
    assert {"kv-cache", "continuous-batching", "inference-quantization", "flash-attention"} <= linked
    assert {"speculative-decoding", "parallelism"} <= linked


def test_moe_section_numbers():
    from tools.finetuning.architecture import active_params
    from tools.inference.costs import experts_touched

    text = " ".join(note("llm-basics").split())  # the note's lines rejoined
    billions = {
        name: (count_params(PRESETS[name].spec), active_params(PRESETS[name].spec)) for name in PRESETS
    }
    total, active = billions["mixtral-8x7b"]
    assert f"{total / 1e9:.1f} B parameters in all, {active / 1e9:.1f} B **active**" in text
    total, active = billions["qwen3-30b-a3b"]
    assert f"{total / 1e9:.1f} B and {active / 1e9:.1f} B" in text
    total, active = billions["deepseek-v3"]
    assert f"{total / 1e9:.0f} B and {active / 1e9:.1f} B" in text
    weights = call_tool("llm_inference_memory", {"model": "mixtral-8x7b"}).weights_gib
    assert f"{weights:.1f} GiB of weights" in text
    mixtral, v3 = PRESETS["mixtral-8x7b"].spec, PRESETS["deepseek-v3"].spec
    touched = [experts_touched(mixtral, b) for b in (1, 4, 16)]
    batches = (
        f"{touched[0]:.0f} of 8 at batch 1, {touched[1]:.1f} at batch 4 and {touched[2]:.1f} at batch 16"
    )
    assert f"Mixtral reads {batches}" in text
    v3_batches = (
        f"{experts_touched(v3, 1):.0f} of 256 at batch 1 and {experts_touched(v3, 64):.0f} at batch 64"
    )
    assert f"touches {v3_batches}" in text
    assert v3.moe_layers == 58 and "in 58 of 61 layers" in text


def test_mla_section_numbers():
    text = " ".join(note("kv-cache").split())
    v3 = call_tool("llm_inference_memory", {"model": "deepseek-v3"})
    llama = call_tool("llm_inference_memory", {"model": "llama-3-70b"})
    assert f"= {v3.kv_bytes_per_token:,.0f} B ({v3.kv_bytes_per_token / 1024:.1f} KiB) per token" in text
    assert f"LLaMA-3-70B's {llama.kv_bytes_per_token / 1024:.0f} KiB" in text
    spec = PRESETS["deepseek-v3"].spec
    expanded = spec.num_layers * spec.num_heads * (spec.qk_head_width + spec.v_head_width) * 2
    assert f"× 2 B = {expanded:,} B)" in text
    assert f"and {expanded / v3.kv_bytes_per_token:.0f}× less" in text
