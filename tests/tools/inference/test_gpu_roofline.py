"""roofline with only a GPU: its dense peak, bandwidth and ridge point per dtype.

Reference values are the datasheets' figures (dense = half the "with sparsity" numbers) divided by hand:
ridge = peak FLOP/s ÷ bandwidth bytes/s.
"""

from __future__ import annotations

import pytest

from tools.errors import ToolInputError
from tools.inference.roofline import roofline


def _ridges(result):
    return {roof.dtype: roof.ridge_flops_per_byte for roof in result.roofs}


def test_l4_alone_has_a_ridge_of_403_flops_per_byte_in_bf16():
    # NVIDIA L4 datasheet: BF16 242 TFLOPS with sparsity → 121 dense; 300 GB/s; FP8 485* → 242.5 dense
    result = roofline(gpu="l4", plot=False)
    assert result.phases == [] and result.model is None
    assert result.compute_dtype == "bf16" and result.peak_tflops == 121
    assert result.ridge_flops_per_byte == pytest.approx(121e12 / 300e9)  # 403.3
    assert _ridges(result) == pytest.approx(
        {
            "fp32": 30.3e12 / 300e9,
            "fp16": 121e12 / 300e9,
            "bf16": 121e12 / 300e9,
            "fp8": 808.33,
            "int8": 808.33,
        },
        rel=1e-4,
    )
    assert "403 FLOPs/byte" in result.summary
    assert any("dense" in a and "sparsity" in a for a in result.assumptions)


def test_fp8_quantization_picks_the_fp8_roof_of_an_h100():
    # H100 SXM datasheet: FP8 3,958 TFLOPS with sparsity → 1,979 dense; 3.35 TB/s
    result = roofline(gpu="h100", quantization="fp8", plot=False)
    assert result.compute_dtype == "fp8"
    assert result.ridge_flops_per_byte == pytest.approx(1979e12 / 3350e9)  # 590.7


def test_a_gpu_without_bf16_shows_its_fp16_roof_and_says_so():
    # NVIDIA T4 datasheet: 65 TFLOPS FP16 mixed precision, 320 GB/s, no bf16 (Turing)
    result = roofline(gpu="t4", plot=False)
    assert result.compute_dtype == "fp16"
    assert result.ridge_flops_per_byte == pytest.approx(65e12 / 320e9)  # 203.1
    assert "bf16" not in _ridges(result)
    assert any("no bf16" in a for a in result.assumptions)


def test_a_gpu_without_fp8_is_a_clear_error():
    with pytest.raises(ToolInputError) as info:
        roofline(gpu="a100-80gb", quantization="fp8", plot=False)
    assert info.value.field == "quantization"


def test_the_gpu_roofline_draws_a_plot():
    assert roofline(gpu="rtx-4090").png.startswith(b"\x89PNG")
