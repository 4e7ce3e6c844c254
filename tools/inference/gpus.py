"""GPU presets: published dense peak throughput per dtype, memory bandwidth, capacity and interconnect.

Every figure is transcribed from the vendor's datasheet named in ``source``. Datasheets quote tensor-core
peaks "with sparsity" (2:4 structured sparsity doubles them); LLM inference runs dense matrices, so the tables
below hold the dense figures — half of the starred datasheet numbers where only those are printed. ``None``
means the GPU has no tensor-core path for that dtype (no bf16 on Turing, no FP8 before Ada/Hopper/CDNA3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from tools.errors import ToolInputError

__all__ = [
    "GPUS",
    "GPU_DESCRIPTION",
    "ComputeDtype",
    "CustomGpu",
    "GpuChoice",
    "GpuName",
    "GpuSpec",
    "resolve_gpu",
]

ComputeDtype = Literal["fp32", "fp16", "bf16", "fp8", "int8"]

GpuName = Literal[
    "t4",
    "l4",
    "a10g",
    "rtx-3090",
    "rtx-4090",
    "rtx-a6000",
    "l40s",
    "a100-40gb",
    "a100-80gb",
    "h100-sxm",
    "h100-pcie",
    "h200",
    "mi300x",
    "a100",
    "h100",
    "a6000",
]

#: Short names people use, and the preset each one means.
_ALIASES: dict[str, str] = {"a100": "a100-80gb", "h100": "h100-sxm", "a6000": "rtx-a6000"}


@dataclass(frozen=True)
class GpuSpec:
    """One accelerator, as its datasheet describes it."""

    name: str
    """Display name."""
    memory_gib: float
    """Memory capacity: the datasheet's "GB" read as GiB (nvidia-smi shows 0–6 % less; see overhead)."""
    bandwidth_gb_s: float
    """Peak memory bandwidth, GB/s (10^9 bytes per second)."""
    tflops: dict[str, float | None]
    """Dense peak per compute dtype, TFLOP/s (TOPS for int8): fp32, fp16, bf16, fp8, int8."""
    interconnect_gb_s: float
    """GPU-to-GPU bandwidth per GPU, GB/s, as the datasheet states it (NVLink figures are both directions
    together)."""
    interconnect: str
    """Which link that is (NVLink, PCIe Gen4 x16, Infinity Fabric)."""
    source: str
    """The datasheet the numbers come from."""

    def peak_flops(self, dtype: str, *, field: str) -> float:
        """Dense peak in FLOP/s for ``dtype``; a dtype the GPU lacks is a ToolInputError naming ``field``."""
        tflops = self.tflops.get(dtype)
        if tflops is None:
            have = ", ".join(k for k, v in self.tflops.items() if v is not None)
            raise ToolInputError(field, f"the {self.name} has no {dtype} tensor-core rate (it has: {have})")
        return tflops * 1e12

    @property
    def ridge_bf16(self) -> float:
        """FLOPs per byte where the 16-bit roof meets the bandwidth slope (fp16 when bf16 is missing)."""
        return (self.tflops.get("bf16") or self.tflops["fp16"] or 0.0) * 1e12 / (self.bandwidth_gb_s * 1e9)


def _gpu(
    name: str,
    memory: float,
    bandwidth: float,
    dense: tuple[float, float, float | None, float | None, float | None],
    link: tuple[float, str],
    source: str,
) -> GpuSpec:
    """``dense`` = (fp32, fp16, bf16, fp8, int8) dense TFLOP/s (TOPS for int8)."""
    fp32, fp16, bf16, fp8, int8 = dense
    tflops = {"fp32": fp32, "fp16": fp16, "bf16": bf16, "fp8": fp8, "int8": int8}
    return GpuSpec(name, memory, bandwidth, tflops, link[0], link[1], source)


_PCIE3, _PCIE4, _PCIE5 = (32.0, "PCIe Gen3 x16"), (64.0, "PCIe Gen4 x16"), (128.0, "PCIe Gen5 x16")

GPUS: dict[str, GpuSpec] = {
    "t4": _gpu(
        "NVIDIA T4",
        16,
        320,
        (8.1, 65, None, None, 130),
        _PCIE3,
        "NVIDIA T4 Tensor Core GPU datasheet: FP32 8.1 TFLOPS, mixed-precision FP16/FP32 65 TFLOPS, INT8 130 "
        "TOPS, 16 GB GDDR6, 320 GB/s (Turing: no bf16, no FP8)",
    ),
    "l4": _gpu(
        "NVIDIA L4",
        24,
        300,
        (30.3, 121, 121, 242.5, 242.5),
        _PCIE4,
        "NVIDIA L4 Tensor Core GPU datasheet: FP32 30.3 TFLOPS, FP16/BF16 242*, FP8 485*, INT8 485* "
        "(* with sparsity; dense is half), 24 GB GDDR6, 300 GB/s",
    ),
    "a10g": _gpu(
        "NVIDIA A10G",
        24,
        600,
        (35, 70, 70, None, 140),
        _PCIE4,
        "AWS publishes no A10G datasheet: 24 GB GDDR6 at 600 GB/s (AWS EC2 G5) and FP32 35, FP16/BF16 tensor "
        "70, INT8 140 dense as tabulated by Baseten, 'NVIDIA A10 vs A10G for ML model inference' (the A10's "
        "datasheet: 125 / 250)",
    ),
    "rtx-3090": _gpu(
        "NVIDIA GeForce RTX 3090",
        24,
        936,
        (35.6, 71.0, 71.0, None, 284.0),
        _PCIE4,
        "NVIDIA Ampere GA102 GPU architecture whitepaper, RTX 3090: FP16/BF16 tensor with FP32 accumulate "
        "71, INT8 284 (dense), FP32 35.6 TFLOPS, 24 GB GDDR6X, 936 GB/s",
    ),
    "rtx-4090": _gpu(
        "NVIDIA GeForce RTX 4090",
        24,
        1008,
        (82.6, 165.2, 165.2, 330.3, 660.6),
        _PCIE4,
        "NVIDIA Ada Lovelace architecture whitepaper, RTX 4090: FP16/BF16 tensor with FP32 accumulate 165.2, "
        "FP8 with FP32 accumulate 330.3, INT8 660.6 (dense), FP32 82.6 TFLOPS, 24 GB GDDR6X, 1,008 GB/s",
    ),
    "rtx-a6000": _gpu(
        "NVIDIA RTX A6000",
        48,
        768,
        (38.7, 154.8, 154.8, None, 309.7),
        (112.5, "NVLink bridge (2 GPUs)"),
        "NVIDIA RTX A6000 datasheet and Ampere GA102 whitepaper: FP32 38.7, FP16/BF16 tensor 154.8 "
        "(309.7 with sparsity), INT8 309.7 TOPS, 48 GB GDDR6, 768 GB/s, NVLink 112.5 GB/s",
    ),
    "l40s": _gpu(
        "NVIDIA L40S",
        48,
        864,
        (91.6, 362.05, 362.05, 733, 733),
        _PCIE4,
        "NVIDIA L40S datasheet: FP32 91.6, BF16/FP16 362.05 (733*), FP8 733 (1,466*), INT8 733 (1,466*) "
        "(* with sparsity), 48 GB GDDR6, 864 GB/s",
    ),
    "a100-40gb": _gpu(
        "NVIDIA A100 40GB",
        40,
        1555,
        (19.5, 312, 312, None, 624),
        (600, "NVLink 3 (SXM4)"),
        "NVIDIA A100 Tensor Core GPU datasheet: FP32 19.5, BF16/FP16 312 (624*), INT8 624 (1,248*), 40 GB "
        "HBM2 at 1,555 GB/s, NVLink 600 GB/s (no FP8)",
    ),
    "a100-80gb": _gpu(
        "NVIDIA A100 80GB SXM",
        80,
        2039,
        (19.5, 312, 312, None, 624),
        (600, "NVLink 3 (SXM4)"),
        "NVIDIA A100 Tensor Core GPU datasheet: FP32 19.5, BF16/FP16 312 (624*), INT8 624 (1,248*), 80 GB "
        "HBM2e at 2,039 GB/s (SXM; PCIe 1,935), NVLink 600 GB/s (no FP8)",
    ),
    "h100-sxm": _gpu(
        "NVIDIA H100 SXM",
        80,
        3350,
        (67, 989.5, 989.5, 1979, 1979),
        (900, "NVLink 4"),
        "NVIDIA H100 Tensor Core GPU datasheet (SXM): FP32 67, BF16/FP16 1,979*, FP8 3,958*, INT8 3,958* "
        "(* with sparsity; dense is half), 80 GB HBM3 at 3.35 TB/s, NVLink 900 GB/s",
    ),
    "h100-pcie": _gpu(
        "NVIDIA H100 PCIe",
        80,
        2000,
        (51, 756.5, 756.5, 1513, 1513),
        _PCIE5,
        "NVIDIA H100 Tensor Core GPU datasheet (PCIe): FP32 51, BF16/FP16 1,513*, FP8 3,026*, INT8 3,026* "
        "(* with sparsity), 80 GB HBM2e at 2 TB/s, PCIe Gen5 128 GB/s (NVLink bridge 600 GB/s)",
    ),
    "h200": _gpu(
        "NVIDIA H200 SXM",
        141,
        4800,
        (67, 989.5, 989.5, 1979, 1979),
        (900, "NVLink 4"),
        "NVIDIA H200 Tensor Core GPU datasheet (SXM): FP32 67, BF16/FP16 1,979*, FP8 3,958*, INT8 3,958* "
        "(* with sparsity), 141 GB HBM3e at 4.8 TB/s, NVLink 900 GB/s",
    ),
    "mi300x": _gpu(
        "AMD Instinct MI300X",
        192,
        5300,
        (163.4, 1307.4, 1307.4, 2614.9, 2614.9),
        (896, "Infinity Fabric (7 links × 128 GB/s)"),
        "AMD Instinct MI300X data sheet: FP32 matrix 163.4, FP16/BF16 1,307.4, FP8 2,614.9, INT8 2,614.9 "
        "TOPS (dense; twice that with sparsity), 192 GB HBM3 at 5.3 TB/s, Infinity Fabric 896 GB/s",
    ),
}


class CustomGpu(BaseModel):
    """A GPU described by its numbers (datasheet values)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("custom GPU", max_length=64, description="A label for the GPU.")
    memory_gb: float = Field(gt=0, le=10_000, description="Memory capacity per GPU, GB.")
    bandwidth_gb_s: float = Field(gt=0, le=1_000_000, description="Peak memory bandwidth, GB/s.")
    bf16_tflops: float = Field(
        gt=0, le=1_000_000, description="Dense 16-bit (bf16/fp16) tensor peak, TFLOP/s (without sparsity)."
    )
    fp32_tflops: float | None = Field(None, gt=0, le=1_000_000, description="Dense fp32 peak, TFLOP/s.")
    fp8_tflops: float | None = Field(None, gt=0, le=1_000_000, description="Dense FP8 peak, TFLOP/s.")
    int8_tops: float | None = Field(None, gt=0, le=1_000_000, description="Dense INT8 peak, TOPS.")
    interconnect_gb_s: float = Field(
        64, gt=0, le=1_000_000, description="GPU-to-GPU bandwidth per GPU, GB/s (default PCIe Gen4 x16)."
    )

    def to_spec(self) -> GpuSpec:
        tflops: dict[str, float | None] = {
            "fp32": self.fp32_tflops,
            "fp16": self.bf16_tflops,
            "bf16": self.bf16_tflops,
            "fp8": self.fp8_tflops,
            "int8": self.int8_tops,
        }
        return GpuSpec(
            self.name,
            self.memory_gb,
            self.bandwidth_gb_s,
            tflops,
            self.interconnect_gb_s,
            "given",
            "custom (numbers given by the caller)",
        )


#: The ``gpu`` argument's description, for every tool that takes one (the presets and aliases listed from the
#: tables above, so a new preset reaches every schema).
GPU_DESCRIPTION = (
    f"The GPU (显卡): {', '.join(GPUS)} ("
    + ", ".join(f"{alias} = {name}" for alias, name in _ALIASES.items())
    + "), or its numbers: memory_gb, bandwidth_gb_s, bf16_tflops (dense), …"
)


def _tag(value: object) -> str:
    return "name" if isinstance(value, str) else "custom"


GpuChoice = Annotated[
    Annotated[GpuName, Tag("name")] | Annotated[CustomGpu, Tag("custom")], Discriminator(_tag)
]


def resolve_gpu(gpu: str | CustomGpu) -> tuple[GpuSpec, str | None]:
    """The GPU behind a preset name, an alias or custom numbers, and a note when an alias was read."""
    if isinstance(gpu, CustomGpu):
        return gpu.to_spec(), None
    name = _ALIASES.get(gpu, gpu)
    if name not in GPUS:
        raise ToolInputError("gpu", f"unknown GPU {gpu!r}; known: {', '.join(GPUS)}, or give its numbers")
    note = f"'{gpu}' read as the {GPUS[name].name} preset ({name})." if name != gpu else None
    return GPUS[name], note
