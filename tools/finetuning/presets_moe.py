"""The 2024–2025 generation students name: Qwen3 (dense, with per-head q/k norms), and the mixtures of experts
Mixtral, Qwen3-MoE and DeepSeek-V2/V3 (multi-head latent attention, shared experts, dense first layers).

Each spec is transcribed from the checkpoint's ``config.json``; ``known_params`` and ``known_active`` are what
the transformers model built from that config on the meta device gives (tests rebuild it), and the published
totals are checked next to them in the tests. DeepSeek-V3's checkpoint also holds a multi-token-prediction
(MTP) module — 671B + 14B = the 685B on its model page; transformers does not build it and the published
"671B total, 37B activated" leave it out, as these counts do.
"""

from __future__ import annotations

from typing import Any

from tools.finetuning.preset_types import Preset, decoder
from tools.finetuning.spec import TransformerSpec

__all__ = ["MOE_PRESETS"]

_QWEN3_VOCAB = 151936
_QWEN3_CONTEXT = 40960  # config max_position_embeddings (32,768 native + room for the output; YaRN → 131,072)


def _with(spec: TransformerSpec, **changes: Any) -> TransformerSpec:
    """``spec`` with ``changes``, validated again as a new spec."""
    return TransformerSpec(**{**spec.model_dump(), **changes})


def _qwen3(name: str, shape: tuple[int, int, int, int, int], *, tied: bool) -> TransformerSpec:
    # Qwen3: no q/k/v bias (unlike Qwen2), head_dim 128 whatever the width, an RMSNorm per query and key head.
    h, layers, heads, kv, inter = shape
    base = decoder(
        name,
        "qwen3",
        (h, layers, heads, kv, inter, _QWEN3_VOCAB),
        context=_QWEN3_CONTEXT,
        tied=tied,
        head_dim=128,
    )
    return _with(base, qk_norm=True)


def _qwen3_moe(name: str, shape: tuple[int, int, int, int], *, expert_width: int) -> TransformerSpec:
    # Qwen3-MoE: 128 experts, 8 per token, every layer sparse (decoder_sparse_step 1, no mlp_only_layers),
    # no shared expert; its config's intermediate_size is unused.
    h, layers, heads, kv = shape
    base = decoder(
        name, "qwen3_moe", (h, layers, heads, kv, 3 * h, _QWEN3_VOCAB), context=_QWEN3_CONTEXT, head_dim=128
    )
    return _with(
        base,
        qk_norm=True,
        num_experts=128,
        experts_per_token=8,
        moe_intermediate_size=expert_width,
    )


def _mixtral(name: str, shape: tuple[int, int, int, int, int], *, context: int) -> TransformerSpec:
    # Mixtral: a Mistral block whose MLP is 8 experts of intermediate_size, 2 per token; no sliding window.
    h, layers, heads, kv, inter = shape
    base = decoder(name, "mixtral", (h, layers, heads, kv, inter, 32000), context=context)
    return _with(base, num_experts=8, experts_per_token=2)


def _deepseek_v3(name: str) -> TransformerSpec:
    base = decoder(name, "deepseek_v3", (7168, 61, 128, 128, 18432, 129280), context=163840)
    return _with(
        base,
        num_kv_heads=None,
        attention="mla",
        q_lora_rank=1536,
        kv_lora_rank=512,
        qk_nope_head_dim=128,
        qk_rope_head_dim=64,
        v_head_dim=128,
        num_experts=256,
        experts_per_token=8,
        moe_intermediate_size=2048,
        shared_experts=1,
        dense_layers=3,
    )


_V3_SOURCE = (
    "config.json (MLA: q_lora_rank 1536, kv_lora_rank 512, rope 64; 256 routed experts of 2048, 8 per "
    "token, 1 shared; first 3 layers dense); paper: 671B total, 37B activated, MTP module excluded"
)

MOE_PRESETS: dict[str, Preset] = {
    "qwen3-0.6b": Preset(
        _qwen3("qwen3-0.6b", (1024, 28, 16, 8, 3072), tied=True),
        "Qwen/Qwen3-0.6B config.json (q/k norms, tied embeddings); model card: 0.6B",
        596_049_920,
    ),
    "qwen3-1.7b": Preset(
        _qwen3("qwen3-1.7b", (2048, 28, 16, 8, 6144), tied=True),
        "Qwen/Qwen3-1.7B config.json (q/k norms, tied embeddings); model card: 1.7B",
        1_720_574_976,
    ),
    "qwen3-4b": Preset(
        _qwen3("qwen3-4b", (2560, 36, 32, 8, 9728), tied=True),
        "Qwen/Qwen3-4B config.json (q/k norms, tied embeddings); model card: 4.0B",
        4_022_468_096,
    ),
    "qwen3-8b": Preset(
        _qwen3("qwen3-8b", (4096, 36, 32, 8, 12288), tied=False),
        "Qwen/Qwen3-8B config.json (q/k norms, GQA 8 KV heads); model card: 8.2B",
        8_190_735_360,
    ),
    "qwen3-14b": Preset(
        _qwen3("qwen3-14b", (5120, 40, 40, 8, 17408), tied=False),
        "Qwen/Qwen3-14B config.json (q/k norms, GQA 8 KV heads); model card: 14.8B",
        14_768_307_200,
    ),
    "qwen3-32b": Preset(
        _qwen3("qwen3-32b", (5120, 64, 64, 8, 25600), tied=False),
        "Qwen/Qwen3-32B config.json (64 heads × 128 = 8192 ≠ hidden 5120); model card: 32.8B",
        32_762_123_264,
    ),
    "qwen3-30b-a3b": Preset(
        _qwen3_moe("qwen3-30b-a3b", (2048, 48, 32, 4), expert_width=768),
        "Qwen/Qwen3-30B-A3B config.json (128 experts of 768, 8 per token); model card: 30.5B total, 3.3B "
        "activated",
        30_532_122_624,
        3_353_032_704,
    ),
    "qwen3-235b-a22b": Preset(
        _qwen3_moe("qwen3-235b-a22b", (4096, 94, 64, 4), expert_width=1536),
        "Qwen/Qwen3-235B-A22B config.json (128 experts of 1536, 8 per token); model card: 235B total, 22B "
        "activated",
        235_093_634_560,
        22_190_763_520,
    ),
    "mixtral-8x7b": Preset(
        _mixtral("mixtral-8x7b", (4096, 32, 32, 8, 14336), context=32768),
        "mistralai/Mixtral-8x7B-v0.1 config.json (8 experts, 2 per token); Mistral AI: 46.7B total, 12.9B "
        "active",
        46_702_792_704,
        12_879_925_248,
    ),
    "mixtral-8x22b": Preset(
        _mixtral("mixtral-8x22b", (6144, 56, 48, 8, 16384), context=65536),
        "mistralai/Mixtral-8x22B-v0.1 config.json (8 experts, 2 per token); Mistral AI: 141B total, 39B "
        "active",
        140_620_634_112,
        39_152_031_744,
    ),
    "deepseek-v2-lite": Preset(
        _with(
            decoder("deepseek-v2-lite", "deepseek_v2", (2048, 27, 16, 16, 10944, 102400), context=163840),
            num_kv_heads=None,
            attention="mla",
            kv_lora_rank=512,
            qk_nope_head_dim=128,
            qk_rope_head_dim=64,
            v_head_dim=128,
            num_experts=64,
            experts_per_token=6,
            moe_intermediate_size=1408,
            shared_experts=2,
            dense_layers=1,
        ),
        "deepseek-ai/DeepSeek-V2-Lite config.json (MLA without query compression, kv_lora_rank 512; 64 "
        "routed experts of 1408, 6 per token, 2 shared; first layer dense); paper: 15.7B total, 2.4B "
        "activated",
        15_706_484_224,
        2_661_150_208,
    ),
    "deepseek-v3": Preset(
        _deepseek_v3("deepseek-v3"), "deepseek-ai/DeepSeek-V3 " + _V3_SOURCE, 671_026_404_352, 37_552_282_624
    ),
    "deepseek-r1": Preset(
        _deepseek_v3("deepseek-r1"),
        "deepseek-ai/DeepSeek-R1 (the DeepSeek-V3 architecture, post-trained for reasoning) " + _V3_SOURCE,
        671_026_404_352,
        37_552_282_624,
    ),
}
