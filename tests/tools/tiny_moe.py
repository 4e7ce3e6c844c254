"""Tiny mixtures of experts built from transformers configs, each beside the spec that should describe it:
Mixtral (8 experts → 4 here, 2 per token), Qwen3-MoE (per-head q/k norms, experts of their own width),
DeepSeek-V3 (multi-head latent attention with query compression, a shared expert, a dense first layer) and
DeepSeek-V2 (MLA without query compression, two shared experts).

Odd, distinct sizes so that a swapped d_in/d_out, a missing norm or a miscounted expert changes the count.
transformers is a test-only dependency: import this module after ``pytest.importorskip("transformers")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import transformers

from tools.finetuning.architecture import TransformerSpec

__all__ = ["MOE_FAMILIES", "MoeFamily", "build_moe"]

_COMMON = dict(
    hidden_size=32, num_hidden_layers=3, vocab_size=99, bos_token_id=0, eos_token_id=0, pad_token_id=0
)
_SPEC = dict(hidden_size=32, num_layers=3, vocab_size=99, mlp="gated", bias=False, norm="rmsnorm")


@dataclass(frozen=True)
class MoeFamily:
    """A tiny transformers mixture of experts and the spec that should describe it."""

    config: Any
    """The transformers config."""
    model: Any
    """Its causal-LM class."""
    spec: TransformerSpec
    modules: dict[str, str]
    """Full-name regex of each nn.Linear projection (peft's target_modules)."""


_ATTENTION = {"q": r".*\.q_proj", "k": r".*\.k_proj", "v": r".*\.v_proj", "o": r".*\.o_proj"}
_MLA = {
    "q": r".*self_attn\.q_proj",
    "q_a": r".*self_attn\.q_a_proj",
    "q_b": r".*self_attn\.q_b_proj",
    "kv_a": r".*self_attn\.kv_a_proj_with_mqa",
    "kv_b": r".*self_attn\.kv_b_proj",
    "o": r".*self_attn\.o_proj",
    "gate": r".*layers\.\d+\.mlp\.gate_proj",
    "up": r".*layers\.\d+\.mlp\.up_proj",
    "down": r".*layers\.\d+\.mlp\.down_proj",
    "shared_gate": r".*shared_experts\.gate_proj",
    "shared_up": r".*shared_experts\.up_proj",
    "shared_down": r".*shared_experts\.down_proj",
}
_MLA_CONFIG = dict(
    kv_lora_rank=10,
    qk_nope_head_dim=6,
    qk_rope_head_dim=4,
    v_head_dim=5,
    num_attention_heads=4,
    num_key_value_heads=4,
    intermediate_size=44,
    moe_intermediate_size=14,
    n_routed_experts=6,
    num_experts_per_tok=2,
    first_k_dense_replace=1,
)
_MLA_SPEC = dict(
    attention="mla",
    kv_lora_rank=10,
    qk_nope_head_dim=6,
    qk_rope_head_dim=4,
    v_head_dim=5,
    num_heads=4,
    intermediate_size=44,
    moe_intermediate_size=14,
    num_experts=6,
    experts_per_token=2,
    dense_layers=1,
    output_head="untied",
)

MOE_FAMILIES: dict[str, MoeFamily] = {
    "mixtral": MoeFamily(
        transformers.MixtralConfig(
            **_COMMON,
            num_attention_heads=4,
            num_key_value_heads=2,
            intermediate_size=40,
            num_local_experts=4,
            num_experts_per_tok=2,
        ),
        transformers.MixtralForCausalLM,
        TransformerSpec(
            name="tiny-mixtral",
            family="mixtral",
            **_SPEC,
            num_heads=4,
            num_kv_heads=2,
            intermediate_size=40,
            num_experts=4,
            experts_per_token=2,
            output_head="untied",
        ),
        _ATTENTION,
    ),
    "qwen3_moe": MoeFamily(
        transformers.Qwen3MoeConfig(
            **_COMMON,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=12,
            intermediate_size=40,
            moe_intermediate_size=18,
            num_experts=5,
            num_experts_per_tok=3,
            tie_word_embeddings=False,
        ),
        transformers.Qwen3MoeForCausalLM,
        TransformerSpec(
            name="tiny-qwen3-moe",
            family="qwen3_moe",
            **_SPEC,
            num_heads=4,
            num_kv_heads=2,
            head_dim=12,
            qk_norm=True,
            intermediate_size=40,
            moe_intermediate_size=18,
            num_experts=5,
            experts_per_token=3,
            output_head="untied",
        ),
        _ATTENTION,
    ),
    "deepseek_v3": MoeFamily(
        transformers.DeepseekV3Config(
            **_COMMON, **_MLA_CONFIG, q_lora_rank=12, n_shared_experts=1, n_group=1, topk_group=1
        ),
        transformers.DeepseekV3ForCausalLM,
        TransformerSpec(
            name="tiny-deepseek-v3",
            family="deepseek_v3",
            **_SPEC,
            **_MLA_SPEC,
            q_lora_rank=12,
            shared_experts=1,
        ),
        _MLA,
    ),
    "deepseek_v2": MoeFamily(
        transformers.DeepseekV2Config(
            **_COMMON, **_MLA_CONFIG, q_lora_rank=None, n_shared_experts=2, topk_method="greedy"
        ),
        transformers.DeepseekV2ForCausalLM,
        TransformerSpec(
            name="tiny-deepseek-v2", family="deepseek_v2", **_SPEC, **_MLA_SPEC, shared_experts=2
        ),
        _MLA,
    ),
}


def build_moe(name: str) -> Any:
    """The tiny model of family ``name``, seeded, on the CPU."""
    torch.manual_seed(0)
    family = MOE_FAMILIES[name]
    return family.model(family.config)
