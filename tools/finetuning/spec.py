"""The typed description of a transformer: one pydantic model of every architecture fact the counts use.

Dense decoders and encoders (MHA, GQA, MQA; fused or separate projections), mixture-of-experts MLPs (Mixtral,
Qwen3-MoE, DeepSeek's shared experts and dense first layers) and DeepSeek's multi-head latent attention (MLA).
The counts themselves live in :mod:`tools.finetuning.architecture`; this module only says what a spec is.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Family", "LinearKind", "TransformerSpec"]

#: Abstract names of the linear projections a transformer may have (peft's ``target_modules``, abstracted).
#: ``qkv`` is a fused query/key/value projection (GPT-2 ``c_attn``, Phi-3 ``qkv_proj``); ``gate_up`` a fused
#: gate and up projection (Phi-3 ``gate_up_proj``). Multi-head latent attention (DeepSeek-V2/V3) has ``q_a`` /
#: ``q_b`` (the query's down- and up-projection through q_lora_rank; ``q`` when there is none), ``kv_a`` (the
#: joint key/value latent plus the shared rotary key, ``kv_a_proj_with_mqa``) and ``kv_b`` (latent → per-head
#: keys and values). A mixture-of-experts layer has a ``router``, each routed expert a fused
#: ``expert_gate_up`` and an ``expert_down`` (transformers ≥ 5 stores them so: ``experts.gate_up_proj``,
#: ``experts.down_proj``),
#: and DeepSeek's shared experts ``shared_gate`` / ``shared_up`` / ``shared_down``; ``gate`` / ``up`` /
#: ``down`` are the dense MLPs (DeepSeek's first layers).
LinearKind = Literal[
    "q",
    "k",
    "v",
    "o",
    "qkv",
    "q_a",
    "q_b",
    "kv_a",
    "kv_b",
    "gate",
    "up",
    "gate_up",
    "down",
    "router",
    "expert_gate_up",
    "expert_down",
    "shared_gate",
    "shared_up",
    "shared_down",
    "pooler",
]

#: The transformers ``model_type`` a spec follows, which decides peft's default target modules.
Family = Literal[
    "bert",
    "gpt2",
    "llama",
    "mistral",
    "mixtral",
    "qwen2",
    "qwen3",
    "qwen3_moe",
    "gemma",
    "gemma2",
    "phi3",
    "t5",
    "bart",
    "deepseek_v2",
    "deepseek_v3",
]


class TransformerSpec(BaseModel):
    """The architecture facts that decide parameter counts, adapters, memory and inference cost."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        "custom", max_length=64, description="A label for this architecture (shown in results)."
    )
    family: Family | None = Field(
        None,
        description="The transformers model_type it follows (bert, gpt2, llama, mistral, mixtral, qwen2, "
        "qwen3, qwen3_moe, gemma, gemma2, phi3, t5, bart, deepseek_v2, deepseek_v3): decides peft's default "
        "target modules. Null: defaults from the layout.",
    )
    hidden_size: int = Field(
        ge=1, le=131_072, description="Model width d_model (BERT hidden_size, GPT-2 n_embd)."
    )
    num_layers: int = Field(
        ge=1, le=4096, description="Number of transformer blocks (the encoder's, for encoder-decoders)."
    )
    num_heads: int = Field(ge=1, le=4096, description="Attention (query) heads per layer.")
    num_kv_heads: int | None = Field(
        None,
        ge=1,
        le=4096,
        description="Key/value heads: fewer than num_heads is grouped-query attention (GQA), 1 is "
        "multi-query (MQA); null = num_heads (MHA).",
    )
    head_dim: int | None = Field(
        None, ge=1, le=4096, description="Per-head width; null = hidden_size / num_heads."
    )
    intermediate_size: int = Field(
        ge=1, le=1_048_576, description="Feed-forward inner width (4·h in BERT/GPT-2)."
    )
    vocab_size: int = Field(ge=1, le=4_194_304, description="Token embedding rows.")
    max_positions: int = Field(
        0,
        ge=0,
        le=1_048_576,
        description="Rows of a learned absolute position table (per stack); 0 for rotary/ALiBi/relative.",
    )
    type_vocab_size: int = Field(
        0, ge=0, le=1024, description="Token-type (segment) embedding rows; BERT has 2."
    )
    attention: Literal["separate", "fused", "mla"] = Field(
        "separate",
        description="separate q/k/v/o projections, one fused qkv projection plus o (GPT-2 c_attn, Phi-3 "
        "qkv_proj), or DeepSeek's multi-head latent attention (mla: give kv_lora_rank, qk_nope_head_dim, "
        "qk_rope_head_dim, v_head_dim and optionally q_lora_rank).",
    )
    q_lora_rank: int | None = Field(
        None,
        ge=1,
        le=65536,
        description="MLA: rank of the query's low-rank projection (DeepSeek-V3 1536); null = a plain q_proj "
        "(DeepSeek-V2-Lite).",
    )
    kv_lora_rank: int | None = Field(
        None,
        ge=1,
        le=65536,
        description="MLA: width of the compressed key/value latent each token caches (DeepSeek 512).",
    )
    qk_nope_head_dim: int | None = Field(
        None, ge=1, le=4096, description="MLA: per-head query/key width without rotary embedding (128)."
    )
    qk_rope_head_dim: int | None = Field(
        None,
        ge=1,
        le=4096,
        description="MLA: width of the rotary part of queries and of the one key shared by all heads (64).",
    )
    v_head_dim: int | None = Field(None, ge=1, le=4096, description="MLA: per-head value width (128).")
    qk_norm: bool = Field(
        False,
        description="An RMSNorm over head_dim on the queries and on the keys in every layer (Qwen3 q_norm, "
        "k_norm): 2·head_dim parameters per layer.",
    )
    mlp: Literal["standard", "gated", "gated_fused"] = Field(
        "standard",
        description="standard up/down (BERT, GPT-2, T5 v1.0), gated gate/up/down (LLaMA SwiGLU, T5 v1.1 "
        "wi_0/wi_1/wo) or gated with one fused gate_up projection (Phi-3).",
    )
    num_experts: int = Field(
        0,
        ge=0,
        le=4096,
        description="Mixture of experts (混合专家, MoE): routed experts per MoE layer (config "
        "num_local_experts / num_experts / n_routed_experts: Mixtral 8, Qwen3-MoE 128, DeepSeek-V3 256); "
        "0 = a dense model.",
    )
    experts_per_token: int | None = Field(
        None,
        ge=1,
        le=4096,
        description="MoE: experts each token is routed to (top-k, config num_experts_per_tok): Mixtral 2, "
        "Qwen3-MoE and DeepSeek-V3 8.",
    )
    moe_intermediate_size: int | None = Field(
        None,
        ge=1,
        le=1_048_576,
        description="MoE: inner width of one expert (config moe_intermediate_size); null = "
        "intermediate_size (Mixtral).",
    )
    shared_experts: int = Field(
        0,
        ge=0,
        le=256,
        description="MoE: experts every token passes through besides the routed ones (DeepSeek "
        "n_shared_experts): one gated MLP of shared_experts × moe_intermediate_size per MoE layer.",
    )
    dense_layers: int = Field(
        0,
        ge=0,
        le=4096,
        description="MoE: leading layers with a dense MLP of intermediate_size instead of experts (DeepSeek "
        "first_k_dense_replace: V3 3, V2-Lite 1).",
    )
    bias: bool | list[LinearKind] = Field(
        True,
        description="Which linear layers carry biases: true = all (BERT, GPT-2, BART), false = none (LLaMA), "
        "or a list of projections, e.g. ['q', 'k', 'v'] for Qwen2.",
    )
    norm: Literal["layernorm", "rmsnorm"] = Field(
        "layernorm", description="layernorm (weight and bias) or rmsnorm (weight only)."
    )
    norms_per_block: int = Field(
        2,
        ge=1,
        le=8,
        description="Norms in each block: 2 (before attention and FFN); Gemma-2 has 4. An encoder-decoder's "
        "decoder blocks have one more, for cross-attention.",
    )
    embedding_norm: bool = Field(False, description="A norm right after the embeddings (BERT, BART).")
    final_norm: bool = Field(True, description="A norm after the last block (GPT-2 ln_f, LLaMA norm, T5).")
    output_head: Literal["none", "tied", "untied"] = Field(
        "tied",
        description="LM head: none (encoder only), tied to the token embeddings, or a separate matrix.",
    )
    pooler: bool = Field(False, description="BERT's pooler: one h×h linear on the first token.")
    decoder_layers: int = Field(
        0,
        ge=0,
        le=4096,
        description="Encoder-decoder models (T5, BART): decoder blocks (self-attention, cross-attention, "
        "FFN); num_layers then counts the encoder's. 0 = a single stack.",
    )
    relative_attention_buckets: int = Field(
        0,
        ge=0,
        le=4096,
        description="T5's relative position bias: buckets × heads in each stack's first block; 0 = none.",
    )
    max_context: int | None = Field(
        None,
        ge=1,
        le=16_777_216,
        description="Longest context in tokens (config max_position_embeddings); null = max_positions, or "
        "unknown.",
    )
    sliding_window: int | None = Field(
        None,
        ge=1,
        le=16_777_216,
        description="Attention window of sliding-window layers (Mistral-7B-v0.1: 4096): their KV cache "
        "keeps at most this many tokens. Null = full attention.",
    )
    sliding_window_layers: int | None = Field(
        None,
        ge=0,
        le=4096,
        description="How many layers use the window (Gemma-2: every other one); null = all.",
    )

    @property
    def kv_heads(self) -> int:
        return self.num_kv_heads or self.num_heads

    @property
    def head_width(self) -> int:
        return self.head_dim or self.hidden_size // self.num_heads

    @property
    def qk_head_width(self) -> int:
        """Per-head width of queries and keys (MLA: the non-rotary plus the rotary part)."""
        if self.attention == "mla":
            return (self.qk_nope_head_dim or 0) + (self.qk_rope_head_dim or 0)
        return self.head_width

    @property
    def v_head_width(self) -> int:
        """Per-head width of the values (MLA: v_head_dim)."""
        return (self.v_head_dim or 0) if self.attention == "mla" else self.head_width

    @property
    def q_width(self) -> int:
        """Width of all query heads together (= hidden size unless head_dim says otherwise)."""
        return self.num_heads * self.qk_head_width

    @property
    def kv_cache_width(self) -> int:
        """Elements one token caches in one layer: 2 × kv_heads × head_dim (keys and values), or for MLA the
        compressed latent plus the shared rotary key, kv_lora_rank + qk_rope_head_dim (as vLLM and SGLang
        cache it)."""
        if self.attention == "mla":
            return (self.kv_lora_rank or 0) + (self.qk_rope_head_dim or 0)
        return 2 * self.kv_width

    @property
    def moe_layers(self) -> int:
        """Layers whose MLP is a mixture of experts (all but the dense first ones); 0 for a dense model."""
        return self.num_layers - self.dense_layers if self.num_experts else 0

    @property
    def expert_width(self) -> int:
        """Inner width of one expert."""
        return self.moe_intermediate_size or self.intermediate_size

    @property
    def kv_width(self) -> int:
        """Width of the keys (or the values) of one token in one layer: kv_heads × head_dim."""
        return self.kv_heads * self.head_width

    @property
    def stacks(self) -> int:
        """1 for encoder-only and decoder-only models, 2 for encoder-decoders (each stack has its own
        position table, embedding norm, final norm and relative bias)."""
        return 2 if self.decoder_layers else 1

    @property
    def context_limit(self) -> int | None:
        """The longest context the model supports, where known."""
        return self.max_context or self.max_positions or None

    @property
    def windowed_layers(self) -> int:
        """Layers whose attention (and KV cache) is limited to the sliding window."""
        if self.sliding_window is None:
            return 0
        return self.num_layers if self.sliding_window_layers is None else self.sliding_window_layers

    def norm_params(self) -> int:
        """Parameters of one norm over the hidden size."""
        return (2 if self.norm == "layernorm" else 1) * self.hidden_size

    def has_bias(self, kind: LinearKind) -> bool:
        return self.bias if isinstance(self.bias, bool) else kind in self.bias
