"""finetune_memory on a named GPU, on several data-parallel GPUs and with ZeRO sharding.

Reference values by hand: a GPU's memory from its datasheet (as tools/inference/gpus.py quotes it); mixed-
precision AdamW = 2 (bf16 weights) + 2 (grads) + 4 (fp32 master) + 8 (Adam m, v) = 16 bytes per parameter
(Rajbhandari et al. 2020, "ZeRO", §3.1, K = 12 for the master copy and Adam states); ZeRO's stages split the
optimizer states (P_os), then gradients (P_os+g), then parameters (P_os+g+p) over N GPUs (ibid. §5).
"""

from __future__ import annotations

import pytest

from tools.errors import ToolInputError
from tools.finetuning.calculators import finetune_memory

GIB = 2**30
LLAMA2_7B = 6_738_415_616  # meta-llama/Llama-2-7b-hf, as tests/tools/finetuning/test_calculators.py counts it


def _line(result, name):
    return next(line.gib for line in result.lines if line.name == name)


def test_a_named_gpu_is_its_datasheet_memory_and_full_finetuning_7b_does_not_fit_a_4090():
    result = finetune_memory(base="llama-2-7b", method="full", gpu="rtx-4090", plot=False)
    # Ada whitepaper: 24 GB GDDR6X; the states alone are 16 bytes × 6.74 B = 100.4 GiB
    assert result.gpu == "NVIDIA GeForce RTX 4090"
    assert result.gpu_memory_gb == 24
    assert result.params == LLAMA2_7B
    states = sum(_line(result, n) for n in ("weights", "gradients", "master weights", "optimizer states"))
    assert states == pytest.approx(16 * LLAMA2_7B / GIB)
    assert result.fits is False
    assert result.headroom_gib == pytest.approx(24 - result.total_gib)
    assert any("RTX 4090" in a and "24 GB" in a for a in result.assumptions)


def test_an_alias_names_its_preset_and_the_same_size_gives_the_same_verdict():
    named = finetune_memory(base="llama-2-13b", method="qlora", gpu="a100", plot=False)
    sized = finetune_memory(base="llama-2-13b", method="qlora", gpu_memory_gb=80, plot=False)
    assert named.gpu == "NVIDIA A100 80GB SXM" and named.gpu_memory_gb == 80  # a100 = a100-80gb
    assert named.total_gib == sized.total_gib and named.fits is sized.fits is True
    assert any("a100-80gb" in a for a in named.assumptions)


def test_a_size_given_with_the_gpu_is_that_gpus_memory():
    result = finetune_memory(base="llama-2-7b", method="lora", gpu="a100", gpu_memory_gb=40, plot=False)
    assert result.gpu == "NVIDIA A100 80GB SXM" and result.gpu_memory_gb == 40
    assert result.headroom_gib == pytest.approx(40 - result.total_gib)


def test_data_parallel_replicas_do_not_add_up_memory():
    one = finetune_memory(base="llama-2-13b", method="lora", gpu="rtx-3090", plot=False)
    four = finetune_memory(base="llama-2-13b", method="lora", gpu="rtx-3090", num_gpus=4, plot=False)
    # 13.0 B frozen bf16 weights = 24.2 GiB > 24 GB on each replica: four cards do not change that
    assert _line(four, "weights") == pytest.approx(2 * 13_015_864_320 / GIB)
    assert four.total_gib == one.total_gib and four.fits is False
    assert four.num_gpus == 4 and any("whole replica" in a for a in four.assumptions)


@pytest.mark.parametrize(
    ("sharding", "split"),
    [
        ("zero1", {"master weights", "optimizer states"}),
        ("zero2", {"master weights", "optimizer states", "gradients"}),
        ("zero3", {"master weights", "optimizer states", "gradients", "weights"}),
    ],
)
def test_zero_stages_split_their_states_over_the_gpus(sharding, split):
    plain = finetune_memory(base="llama-2-7b", method="full", num_gpus=8, plot=False)
    sharded = finetune_memory(base="llama-2-7b", method="full", num_gpus=8, sharding=sharding, plot=False)
    for line in plain.lines:
        expected = line.gib / 8 if line.name in split else line.gib
        assert _line(sharded, line.name) == pytest.approx(expected), line.name
    if sharding == "zero3":  # 16 bytes × 6.74 B / 8 = 12.6 GiB of states per GPU, plus activations
        states = 16 * LLAMA2_7B / GIB / 8
        assert sharded.total_gib == pytest.approx(states + sharded.activations_gib)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"gpu": "gtx-1080"}, "gpu"),
        ({"sharding": "zero2"}, "sharding"),
    ],
)
def test_bad_gpu_input_names_its_field(kwargs, field):
    with pytest.raises(ToolInputError) as info:
        finetune_memory(base="llama-2-7b", method="full", plot=False, **kwargs)
    assert info.value.field == field


def test_the_summary_says_per_gpu_whether_it_fits_and_that_replicas_do_not_add_up():
    result = finetune_memory(base="mistral-7b", method="full", gpu="a100", num_gpus=2, plot=False)
    assert f"{result.total_gib:,.1f} GiB per GPU" in result.summary
    assert "does not fit on each NVIDIA A100 80GB SXM (80 GB)" in result.summary
    assert "whole replica" in result.summary and "ZeRO-3" in result.summary
    sized = finetune_memory(base="llama-2-7b", method="qlora", gpu_memory_gb=16, plot=False)
    assert sized.summary.endswith("it fits on a 16 GB GPU.")
