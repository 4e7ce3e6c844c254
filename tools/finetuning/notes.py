"""What each fine-tuning method changes, in one paragraph, with its source and general formula.

The paragraphs summarise the notes (``explain(<topic>)`` gives the full note); the sources are the papers and
the peft classes the counts are checked against.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["METHODS", "MethodInfo"]


@dataclass(frozen=True)
class MethodInfo:
    """Reference text for one method."""

    title: str
    """Display name with the Chinese term."""
    topic: str | None
    """The notes topic (``explain(topic)``) that covers it."""
    formula: str
    """The trainable count, symbolically."""
    source: str
    """Paper, and how the count was checked."""
    note: str
    """What the method changes, in one paragraph."""


_PEFT = "count equals peft 0.21 get_nb_trainable_parameters()"

METHODS: dict[str, MethodInfo] = {
    "full": MethodInfo(
        title="Full fine-tuning (全量微调)",
        topic=None,
        formula="every base parameter",
        source="parameter count of the base",
        note=(
            "Every weight of the network is updated. Best quality ceiling, but gradients and optimizer "
            "states exist for all parameters (≈16 bytes/parameter with AdamW in mixed precision) and each "
            "task needs a full copy of the model."
        ),
    ),
    "lora": MethodInfo(
        title="LoRA (低秩适配, low-rank adaptation)",
        topic="lora",
        formula="Σ over adapted layers r·(d_in + d_out)",
        source=f"Hu et al. 2021, arXiv:2106.09685; {_PEFT} (LoraConfig)",
        note=(
            "LoRA freezes W and learns a low-rank update ΔW = (α/r)·B·A with A ∈ R^{r×d_in} (random init) "
            "and B ∈ R^{d_out×r} (zero init, so training starts from the base model). Only A and B are "
            "trained; after training B·A can be merged into W, so inference costs nothing extra. Typical "
            "targets are the attention projections (q, v) or every linear layer."
        ),
    ),
    "dora": MethodInfo(
        title="DoRA (权重分解低秩适配, weight-decomposed LoRA)",
        topic="dora",
        formula="Σ over adapted layers r·(d_in + d_out) + d_out",
        source=f"Liu et al. 2024, arXiv:2402.09353; {_PEFT} (LoraConfig(use_dora=True))",
        note=(
            "DoRA splits each adapted weight into a magnitude vector m (one scalar per output feature) "
            "and a direction W/‖W‖; LoRA updates the direction and m is trained directly. The cost over "
            "LoRA is d_out parameters per layer plus a norm computation in training; it can be merged "
            "like LoRA and tends to close part of the gap to full fine-tuning at low rank."
        ),
    ),
    "qlora": MethodInfo(
        title="QLoRA (量化低秩适配, quantized LoRA)",
        topic="qlora",
        formula="Σ over all linear layers r·(d_in + d_out)",
        source=(
            f"Dettmers et al. 2023, arXiv:2305.14314; LoRA count on every linear layer (the paper's "
            f"setting); {_PEFT}"
        ),
        note=(
            "QLoRA stores the frozen base in 4-bit NormalFloat (NF4, 量化) with double quantisation of the "
            "block constants, dequantises on the fly to bf16 for compute, and trains LoRA adapters on "
            "every linear layer. Paged optimizers absorb memory spikes. The trainable count is LoRA's; "
            "the saving is in weight memory (≈0.52 bytes/parameter instead of 2)."
        ),
    ),
    "qa_lora": MethodInfo(
        title="QA-LoRA (量化感知低秩适配, quantization-aware LoRA)",
        topic="qa-lora",
        formula="Σ over adapted layers r·(d_in/L + d_out)",
        source=(
            "Xu et al. 2023, arXiv:2309.14717 (A acts on the input average-pooled over groups of "
            "L); not in peft, derived from the paper"
        ),
        note=(
            "QA-LoRA quantises the base group-wise (INT4/INT3, group size L along d_in) and makes the "
            "adapter act on the input pooled within each group, so A has only d_in/L columns. Because "
            "each group's update is a constant, it can be folded into the quantisation zero points after "
            "training: the merged model stays low-bit, unlike QLoRA whose merge needs 16-bit weights."
        ),
    ),
    "longlora": MethodInfo(
        title="LongLoRA (长上下文低秩适配)",
        topic="longlora",
        formula="LoRA on q,k,v,o + embeddings + normalization layers",
        source=(
            "Chen et al. 2023, arXiv:2309.12307 (LoRA+: embeddings ≈1.94 %, norms ≈0.004 % of "
            "Llama2-7B); not in peft, derived from the paper"
        ),
        note=(
            "LongLoRA extends the context window cheaply: training uses shifted sparse attention "
            "(S²-Attn, attention within shifted groups, no new parameters) and an improved LoRA that also "
            "unfreezes the embedding and normalisation layers, which the paper found essential for "
            "long-context adaptation. Inference keeps standard full attention."
        ),
    ),
    "dylora": MethodInfo(
        title="DyLoRA (动态低秩适配, dynamic LoRA)",
        topic="dylora",
        formula="LoRA at r_max: Σ r_max·(d_in + d_out)",
        source=(
            "Valipour et al. 2023 (EACL), arXiv:2210.07558: parameters of rank r_max, ranks b ~ U[r_min, "
            "r_max] trained by truncation; not in peft, derived from the paper"
        ),
        note=(
            "DyLoRA trains one LoRA adapter for a whole range of ranks: each step samples a rank b and "
            "uses only the first b rows of A and columns of B, so every prefix is a usable adapter. The "
            "trained parameters are those of r_max; at deployment any rank b ≤ r_max can be cut out "
            "without retraining, trading quality for size."
        ),
    ),
    "adalora": MethodInfo(
        title="AdaLoRA (自适应低秩适配, adaptive budget LoRA)",
        topic="adalora",
        formula="Σ over adapted layers init_r·(d_in + d_out + 1)",
        source=(
            f"Zhang et al. 2023 (ICLR), arXiv:2303.10512; {_PEFT} (AdaLoraConfig, A r×d_in, E r×1, B d_out×r)"
        ),
        note=(
            "AdaLoRA parameterises ΔW = P·Λ·Q in SVD form (P, Q regularised to be orthogonal, Λ the "
            "singular values) and prunes the least important singular values during training, moving rank "
            "budget to the matrices that matter. It starts at init_r per matrix and ends with an average "
            "of target_r."
        ),
    ),
    "vera": MethodInfo(
        title="VeRA (基于向量的随机矩阵适配, vector-based random matrix adaptation)",
        topic="vera",
        formula="Σ over adapted layers r + d_out",
        source=f"Kopiczko et al. 2024 (ICLR), arXiv:2310.11454; {_PEFT} (VeraConfig)",
        note=(
            "VeRA shares one pair of frozen random low-rank matrices A, B across all layers and learns "
            "only two scaling vectors per layer: ΔW = Λ_b·B·Λ_d·A with λ_d ∈ R^r and λ_b ∈ R^{d_out}. "
            "Trainable parameters drop by an order of magnitude or more versus LoRA, at a higher rank "
            "(hundreds)."
        ),
    ),
    "ia3": MethodInfo(
        title="IA3 ((IA)³, 激活缩放 infused adapter by inhibiting and amplifying inner activations)",
        topic="ia3",
        formula="d_out per attention target (keys, values) + d_in per feed-forward target",
        source=f"Liu et al. 2022, arXiv:2205.05638 (T-Few); {_PEFT} (IA3Config)",
        note=(
            "IA3 learns vectors that rescale activations element-wise: the keys and values in attention "
            "and the input of the feed-forward down projection. They initialise to ones (the identity) "
            "and can be merged into the weights, so the method adds almost no parameters and no inference "
            "cost."
        ),
    ),
    "prompt_tuning": MethodInfo(
        title="Prompt tuning (提示微调, soft prompts)",
        topic="prompt-tuning",
        formula="n_virtual_tokens·h",
        source=f"Lester et al. 2021, arXiv:2104.08691; {_PEFT} (PromptTuningConfig)",
        note=(
            "Prompt tuning prepends n trainable embedding vectors (a soft prompt) to the input and trains "
            "only them; the model is untouched and one model can serve many tasks by swapping prompts. It "
            "works well on large models and lags full fine-tuning on small ones."
        ),
    ),
    "prefix_tuning": MethodInfo(
        title="Prefix tuning (前缀微调)",
        topic="prefix-tuning",
        formula="n_virtual_tokens·L·2·d (d = KV width)",
        source=f"Li & Liang 2021, arXiv:2101.00190; {_PEFT} (PrefixTuningConfig)",
        note=(
            "Prefix tuning prepends trainable key and value vectors to the attention of every layer, "
            "steering all layers rather than only the input. The original trains the prefix through an "
            "MLP reparameterisation (prefix_projection) for stability; only the resulting prefixes are "
            "needed at inference."
        ),
    ),
    "p_tuning_v2": MethodInfo(
        title="P-Tuning v2 (深度提示微调, deep prompt tuning)",
        topic="p-tuning-v2",
        formula="n_virtual_tokens·L·2·d (d = KV width)",
        source=f"Liu et al. 2022 (ACL), arXiv:2110.07602; = peft PREFIX_TUNING, {_PEFT}",
        note=(
            "P-Tuning v2 applies trainable prompts at every layer (prefix tuning's deep prompts) to "
            "natural-language understanding tasks, usually without the reparameterisation and with a task "
            "head, and matches full fine-tuning across model scales and on hard sequence-labelling tasks "
            "where shallow prompt tuning fails."
        ),
    ),
    "p_tuning": MethodInfo(
        title="P-tuning (提示编码器, prompt encoder)",
        topic="p-tuning-v2",
        formula="n·h + MLP(h→e→e→h)",
        source=f"Liu et al. 2021, arXiv:2103.10385; {_PEFT} (PromptEncoderConfig, MLP reparameterisation)",
        note=(
            "P-tuning generates continuous input prompts with a small encoder (an MLP here, an LSTM in "
            "the paper) over trainable embeddings, which stabilises optimisation of the prompt; only the "
            "input layer is prompted. P-Tuning v2 later moved the prompts to every layer."
        ),
    ),
    "s_lora": MethodInfo(
        title="S-LoRA (多适配器服务, serving many LoRA adapters)",
        topic="s-lora",
        formula="Σ over adapters r_i·Σ_layers(d_in + d_out)",
        source="Sheng et al. 2023 (MLSys 2024), arXiv:2311.03285; adapter memory derived from the paper",
        note=(
            "S-LoRA is a serving system, not a training method: one base model in GPU memory serves "
            "thousands of LoRA adapters. Adapters live in host memory and are paged into a unified GPU "
            "pool shared with the KV cache (Unified Paging); custom kernels batch requests that use "
            "different adapters and ranks, without merging them into the weights."
        ),
    ),
}
