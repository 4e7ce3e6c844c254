"""Tiny transformers models of every family the architecture spec covers, each beside the spec that should
describe it: BERT, GPT-2, LLaMA (GQA), Mistral, Qwen2 (q/k/v bias), Qwen3 (per-head q/k norms), Gemma (MQA,
head_dim ≠ hidden/heads), Gemma-2 (four norms), Phi-3 (fused qkv and gate_up), T5 v1.0 and v1.1 and BART
(encoder-decoders). The mixtures of experts are in :mod:`tests.tools.tiny_moe`.

Shared by the fine-tuning tests (counts against peft) and the inference tests (KV cache against
transformers' DynamicCache, FLOPs against torch's FlopCounterMode). transformers is a test-only dependency:
import this module after ``pytest.importorskip("transformers")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import transformers

from tools.finetuning.architecture import TransformerSpec

__all__ = ["DECODERS", "FAMILIES", "Family", "build"]

_DECODER_NAMES = {
    "q": r".*\.q_proj",
    "k": r".*\.k_proj",
    "v": r".*\.v_proj",
    "o": r".*\.o_proj",
    "gate": r".*\.gate_proj",
    "up": r".*\.up_proj",
    "down": r".*\.down_proj",
}


@dataclass(frozen=True)
class Family:
    """A tiny transformers model and the spec that should describe it."""

    build: Any
    """(**config overrides) → the transformers model (random weights)."""
    spec: TransformerSpec
    task: str
    """peft's task type for prompt methods."""
    names: dict[str, str]
    """Full-name regex of each abstract projection in the HF module tree (peft full-matches a regex)."""


def _llama_like(cls_config, cls_model, **extra):
    def build(**overrides):
        fields = dict(
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=40,
            vocab_size=99,
            bos_token_id=0,
            eos_token_id=0,
            pad_token_id=0,
        )
        return cls_model(cls_config(**{**fields, **extra, **overrides}))

    return build


def _spec(name: str, family, **fields) -> TransformerSpec:
    # Odd, distinct sizes so that a swapped d_in/d_out or a missing bias changes the count.
    base = dict(hidden_size=32, num_layers=2, num_heads=4, intermediate_size=40, vocab_size=99)
    base.update(fields)
    return TransformerSpec(name=name, family=family, **base)


_DECODER = dict(mlp="gated", bias=False, norm="rmsnorm", output_head="untied")

FAMILIES: dict[str, Family] = {
    "bert": Family(
        lambda **o: transformers.BertModel(
            transformers.BertConfig(
                **o,
                hidden_size=32,
                num_hidden_layers=2,
                num_attention_heads=4,
                intermediate_size=37,
                vocab_size=99,
                max_position_embeddings=64,
                type_vocab_size=2,
            )
        ),
        _spec(
            "tiny-bert",
            "bert",
            intermediate_size=37,
            max_positions=64,
            type_vocab_size=2,
            embedding_norm=True,
            final_norm=False,
            output_head="none",
            pooler=True,
        ),
        "FEATURE_EXTRACTION",
        {
            "q": r".*\.self\.query",
            "k": r".*\.self\.key",
            "v": r".*\.self\.value",
            "o": r".*\.attention\.output\.dense",
            "up": r".*\.intermediate\.dense",
            "down": r".*layer\.\d+\.output\.dense",
            "pooler": r"pooler\.dense",
        },
    ),
    "gpt2": Family(
        lambda **o: transformers.GPT2LMHeadModel(
            transformers.GPT2Config(
                **o,
                n_embd=32,
                n_layer=2,
                n_head=4,
                n_inner=48,
                vocab_size=99,
                n_positions=40,
                bos_token_id=0,
                eos_token_id=0,
            )
        ),
        _spec("tiny-gpt2", "gpt2", intermediate_size=48, max_positions=40, attention="fused"),
        "CAUSAL_LM",
        {
            "qkv": r".*\.attn\.c_attn",
            "o": r".*\.attn\.c_proj",
            "up": r".*\.mlp\.c_fc",
            "down": r".*\.mlp\.c_proj",
        },
    ),
    "llama": Family(
        _llama_like(
            transformers.LlamaConfig,
            transformers.LlamaForCausalLM,
            num_key_value_heads=2,
            tie_word_embeddings=False,
        ),
        _spec("tiny-llama-gqa", "llama", num_kv_heads=2, **_DECODER),
        "CAUSAL_LM",
        _DECODER_NAMES,
    ),
    "mistral": Family(
        _llama_like(transformers.MistralConfig, transformers.MistralForCausalLM, num_key_value_heads=2),
        _spec("tiny-mistral", "mistral", num_kv_heads=2, **_DECODER),
        "CAUSAL_LM",
        _DECODER_NAMES,
    ),
    "qwen2": Family(
        _llama_like(
            transformers.Qwen2Config,
            transformers.Qwen2ForCausalLM,
            num_key_value_heads=2,
            tie_word_embeddings=False,
        ),
        _spec("tiny-qwen2", "qwen2", num_kv_heads=2, **{**_DECODER, "bias": ["q", "k", "v"]}),
        "CAUSAL_LM",
        _DECODER_NAMES,
    ),
    "qwen3": Family(
        _llama_like(
            transformers.Qwen3Config,
            transformers.Qwen3ForCausalLM,
            num_key_value_heads=2,
            head_dim=12,  # 4 heads × 12 ≠ hidden 32, as Qwen3-32B's 64 × 128 ≠ 5120
            tie_word_embeddings=False,
        ),
        _spec("tiny-qwen3", "qwen3", num_kv_heads=2, head_dim=12, qk_norm=True, **_DECODER),
        "CAUSAL_LM",
        _DECODER_NAMES,
    ),
    "gemma": Family(
        _llama_like(
            transformers.GemmaConfig, transformers.GemmaForCausalLM, num_key_value_heads=1, head_dim=16
        ),
        _spec("tiny-gemma-mqa", "gemma", num_kv_heads=1, head_dim=16, **{**_DECODER, "output_head": "tied"}),
        "CAUSAL_LM",
        _DECODER_NAMES,
    ),
    "gemma2": Family(
        _llama_like(
            transformers.Gemma2Config, transformers.Gemma2ForCausalLM, num_key_value_heads=2, head_dim=16
        ),
        _spec(
            "tiny-gemma2",
            "gemma2",
            num_kv_heads=2,
            head_dim=16,
            norms_per_block=4,
            **{**_DECODER, "output_head": "tied"},
        ),
        "CAUSAL_LM",
        _DECODER_NAMES,
    ),
    "phi3": Family(
        _llama_like(transformers.Phi3Config, transformers.Phi3ForCausalLM, num_key_value_heads=2),
        _spec("tiny-phi3", "phi3", num_kv_heads=2, attention="fused", **{**_DECODER, "mlp": "gated_fused"}),
        "CAUSAL_LM",
        {
            "qkv": r".*\.qkv_proj",
            "o": r".*\.o_proj",
            "gate_up": r".*\.gate_up_proj",
            "down": r".*\.down_proj",
        },
    ),
    "t5": Family(
        lambda **o: transformers.T5ForConditionalGeneration(
            transformers.T5Config(
                **o,
                d_model=32,
                d_kv=8,
                d_ff=40,
                num_layers=2,
                num_decoder_layers=3,
                num_heads=4,
                vocab_size=99,
                decoder_start_token_id=0,
            )
        ),
        _spec(
            "tiny-t5",
            "t5",
            decoder_layers=3,
            head_dim=8,
            bias=False,
            norm="rmsnorm",
            relative_attention_buckets=32,
        ),
        "SEQ_2_SEQ_LM",
        {
            "q": r".*Attention\.q",
            "k": r".*Attention\.k",
            "v": r".*Attention\.v",
            "o": r".*Attention\.o",
            "up": r".*DenseReluDense\.wi",
            "down": r".*DenseReluDense\.wo",
        },
    ),
    # T5 v1.1 / FLAN-T5: gated-GELU MLP. (transformers ≥ 5 ties its head to the shared embedding, see the
    # comment in T5Config.__post_init__, so the tiny model's head is tied.)
    "t5-gated": Family(
        lambda **o: transformers.T5ForConditionalGeneration(
            transformers.T5Config(
                **o,
                d_model=32,
                d_kv=8,
                d_ff=40,
                num_layers=3,
                num_decoder_layers=2,
                num_heads=4,
                vocab_size=99,
                feed_forward_proj="gated-gelu",
                decoder_start_token_id=0,
            )
        ),
        _spec(
            "tiny-t5-v1.1",
            "t5",
            num_layers=3,
            decoder_layers=2,
            head_dim=8,
            mlp="gated",
            bias=False,
            norm="rmsnorm",
            relative_attention_buckets=32,
        ),
        "SEQ_2_SEQ_LM",
        {
            "q": r".*Attention\.q",
            "k": r".*Attention\.k",
            "v": r".*Attention\.v",
            "o": r".*Attention\.o",
            "gate": r".*DenseReluDense\.wi_0",
            "up": r".*DenseReluDense\.wi_1",
            "down": r".*DenseReluDense\.wo",
        },
    ),
    "bart": Family(
        lambda **o: transformers.BartForConditionalGeneration(
            transformers.BartConfig(
                **o,
                d_model=32,
                encoder_layers=2,
                decoder_layers=3,
                encoder_attention_heads=4,
                decoder_attention_heads=4,
                encoder_ffn_dim=40,
                decoder_ffn_dim=40,
                vocab_size=99,
                max_position_embeddings=64,
            )
        ),
        _spec(
            "tiny-bart",
            "bart",
            decoder_layers=3,
            max_positions=66,  # BART's learned positions carry an offset of 2 rows
            embedding_norm=True,
            final_norm=False,
        ),
        "SEQ_2_SEQ_LM",
        {
            "q": r".*\.q_proj",
            "k": r".*\.k_proj",
            "v": r".*\.v_proj",
            "o": r".*\.out_proj",
            "up": r".*\.fc1",
            "down": r".*\.fc2",
        },
    ),
}
DECODERS = ["gpt2", "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3"]


def build(name: str, **config_overrides: Any):
    """The tiny model of family ``name``, seeded (config fields may be overridden, e.g. the attention
    implementation)."""
    torch.manual_seed(0)
    return FAMILIES[name].build(**config_overrides)
