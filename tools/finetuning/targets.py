"""Which projections a PEFT method adapts by default, following HuggingFace peft's own per-model mapping.

peft picks default ``target_modules`` from ``TRANSFORMERS_MODELS_TO_<METHOD>_TARGET_MODULES_MAPPING``
(peft 0.21, ``peft/utils/constants.py``), keyed by the config's ``model_type``, and matches each entry against
module names by suffix: an entry ``t`` selects a module named ``m`` when ``m == t`` or ``m`` ends with
``"." + t``. The tables below transcribe those mappings for the families the presets cover (in peft's module
names) and each family's module names, and the same suffix rule turns them into abstract projections. That is
how peft's quirks survive: BERT's IA3 entry ``output.dense`` also selects ``attention.output.dense`` (the
``o`` projection), and T5's AdaLoRA entry ``wi`` selects nothing in a gated T5 v1.1, whose MLP is ``wi_0`` /
``wi_1``. For a family peft has no entry for (Qwen3-MoE, DeepSeek-V2/V3), the tool refuses as peft does
(``Please specify target_modules``).

Mixtures of experts: transformers ≥ 5 stores a layer's routed experts as two 3-D parameters
(``experts.gate_up_proj``, E × 2I × h, and ``experts.down_proj``) and its router as a parameter, not as
``nn.Linear`` modules, so peft's module names (Mixtral's IA3 entry ``w2``) no longer select them; peft adapts
them through ``target_parameters`` with one rank-r pair per expert — r·(h + 2I) for the fused gate_up, which
is how ``expert_gate_up`` is counted here. (For "all-linear" and the v4 names gate_proj/up_proj/w1/w3 on these
model types, peft 0.21 converts the config and gives the fused gate_up rank 2r; the counts here keep one
rank r for every targeted matrix.)
"""

from __future__ import annotations

from typing import Literal

from tools.errors import ToolInputError
from tools.finetuning.architecture import Family, LinearKind, LinearLayer, TransformerSpec, linear_layers

__all__ = [
    "EXPERT_PARAMETERS",
    "IA3_FEEDFORWARD",
    "PEFT_TARGETS",
    "attention_kinds",
    "hf_module_names",
    "ia3_feedforward",
    "resolve_targets",
]

_MappedMethod = Literal["lora", "adalora", "vera", "ia3"]
#: Which peft mapping a method's default comes from: LoRA's for LoRA, DoRA (a LoRA option in peft) and DyLoRA.
_MAPPING_OF: dict[str, _MappedMethod] = {"adalora": "adalora", "vera": "vera", "ia3": "ia3"}

#: peft 0.21's default target modules, by method and transformers model_type, in peft's own names
#: (TRANSFORMERS_MODELS_TO_{LORA,ADALORA,VERA,IA3}_TARGET_MODULES_MAPPING). VeRA's is a copy of LoRA's.
PEFT_TARGETS: dict[_MappedMethod, dict[str, list[str]]] = {
    "lora": {
        "bert": ["query", "value"],
        "gpt2": ["c_attn"],
        "llama": ["q_proj", "v_proj"],
        "mistral": ["q_proj", "v_proj"],
        "mixtral": ["q_proj", "v_proj"],
        "qwen2": ["q_proj", "v_proj"],
        "qwen3": ["q_proj", "v_proj"],
        "gemma": ["q_proj", "v_proj"],
        "gemma2": ["q_proj", "v_proj"],
        "t5": ["q", "v"],
        "bart": ["q_proj", "v_proj"],
    },
    "adalora": {
        "bert": ["query", "value"],
        "gpt2": ["c_attn"],
        "llama": ["q_proj", "v_proj"],
        "qwen2": ["q_proj", "v_proj"],
        "qwen3": ["q_proj", "v_proj"],
        "gemma": ["q_proj", "v_proj"],
        "gemma2": ["q_proj", "v_proj"],
        "t5": ["q", "k", "v", "o", "wi", "wo"],
        "bart": ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"],
    },
    "ia3": {
        "bert": ["key", "value", "output.dense"],
        "gpt2": ["c_attn", "mlp.c_proj"],
        "llama": ["k_proj", "v_proj", "down_proj"],
        "mistral": ["k_proj", "v_proj", "down_proj"],
        "mixtral": ["k_proj", "v_proj", "w2"],
        "qwen2": ["q_proj", "v_proj", "down_proj"],
        "qwen3": ["q_proj", "v_proj", "down_proj"],
        "gemma": ["q_proj", "v_proj", "down_proj"],
        "gemma2": ["q_proj", "v_proj", "down_proj"],
        "t5": ["k", "v", "wo"],
        "bart": ["q_proj", "v_proj", "fc2"],
    },
}
PEFT_TARGETS["vera"] = dict(PEFT_TARGETS["lora"])

#: peft's TRANSFORMERS_MODELS_TO_IA3_FEEDFORWARD_MODULES_MAPPING: IA3 scales these modules' *input*.
IA3_FEEDFORWARD: dict[str, list[str]] = {
    "bert": ["output.dense"],
    "gpt2": ["mlp.c_proj"],
    "llama": ["down_proj"],
    "mistral": ["down_proj"],
    "mixtral": ["w2"],
    "qwen2": ["down_proj"],
    "qwen3": ["down_proj"],
    "gemma": ["down_proj"],
    "gemma2": ["down_proj"],
    "t5": ["wo"],
    "bart": ["fc2"],
}

_DECODER_NAMES: dict[LinearKind, str] = {
    "q": "self_attn.q_proj",
    "k": "self_attn.k_proj",
    "v": "self_attn.v_proj",
    "o": "self_attn.o_proj",
    "gate": "mlp.gate_proj",
    "up": "mlp.up_proj",
    "down": "mlp.down_proj",
}
#: DeepSeek-V2/V3: multi-head latent attention, dense first layers, shared experts (nn.Linear modules all).
_DEEPSEEK_NAMES: dict[LinearKind, str] = {
    "q": "self_attn.q_proj",
    "q_a": "self_attn.q_a_proj",
    "q_b": "self_attn.q_b_proj",
    "kv_a": "self_attn.kv_a_proj_with_mqa",
    "kv_b": "self_attn.kv_b_proj",
    "o": "self_attn.o_proj",
    "gate": "mlp.gate_proj",
    "up": "mlp.up_proj",
    "down": "mlp.down_proj",
    "shared_gate": "mlp.shared_experts.gate_proj",
    "shared_up": "mlp.shared_experts.up_proj",
    "shared_down": "mlp.shared_experts.down_proj",
}
#: The parameters (not modules) of a mixture-of-experts layer in transformers ≥ 5: peft's target_parameters.
EXPERT_PARAMETERS: dict[LinearKind, str] = {
    "router": "mlp.gate.weight",
    "expert_gate_up": "mlp.experts.gate_up_proj",
    "expert_down": "mlp.experts.down_proj",
}

#: Each family's module names (the tail of the path inside a block) for each abstract projection.
_MODULE_NAMES: dict[Family, dict[LinearKind, str]] = {
    "bert": {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "o": "attention.output.dense",
        "up": "intermediate.dense",
        "down": "output.dense",
        "pooler": "pooler.dense",
    },
    "gpt2": {"qkv": "attn.c_attn", "o": "attn.c_proj", "up": "mlp.c_fc", "down": "mlp.c_proj"},
    "llama": _DECODER_NAMES,
    "mistral": _DECODER_NAMES,
    "mixtral": _DECODER_NAMES,
    "qwen2": _DECODER_NAMES,
    "qwen3": _DECODER_NAMES,
    "qwen3_moe": _DECODER_NAMES,
    "deepseek_v2": _DEEPSEEK_NAMES,
    "deepseek_v3": _DEEPSEEK_NAMES,
    "gemma": _DECODER_NAMES,
    "gemma2": _DECODER_NAMES,
    "phi3": {
        "qkv": "self_attn.qkv_proj",
        "o": "self_attn.o_proj",
        "gate_up": "mlp.gate_up_proj",
        "down": "mlp.down_proj",
    },
    "t5": {"q": "SelfAttention.q", "k": "SelfAttention.k", "v": "SelfAttention.v", "o": "SelfAttention.o"},
    "bart": {
        "q": "self_attn.q_proj",
        "k": "self_attn.k_proj",
        "v": "self_attn.v_proj",
        "o": "self_attn.out_proj",
        "up": "fc1",
        "down": "fc2",
    },
}


def hf_module_names(spec: TransformerSpec) -> dict[LinearKind, str]:
    """The transformers module name (tail) of each projection of ``spec``; empty for a custom layout."""
    if spec.family is None:
        return {}
    names = dict(_MODULE_NAMES[spec.family])
    if spec.family == "t5":  # v1.0 ReLU: wi, wo; v1.1 gated-GELU: wi_0 (gate), wi_1 (up), wo
        gated = spec.mlp == "gated"
        names.update(
            {"up": "DenseReluDense.wi_1" if gated else "DenseReluDense.wi", "down": "DenseReluDense.wo"}
        )
        if gated:
            names["gate"] = "DenseReluDense.wi_0"
    return names


def _selects(entry: str, module: str) -> bool:
    """peft's suffix rule (``check_target_module_exists``) for a plain-string target entry."""
    return module == entry or module.endswith("." + entry)


def _mapped(spec: TransformerSpec, entries: list[str]) -> list[LinearKind]:
    names = hf_module_names(spec)
    kinds = [layer.kind for layer in linear_layers(spec)]
    return [kind for kind in kinds if kind in names and any(_selects(e, names[kind]) for e in entries)]


_ATTENTION: frozenset[LinearKind] = frozenset({"q", "k", "v", "o", "qkv", "q_a", "q_b", "kv_a", "kv_b"})


def attention_kinds(spec: TransformerSpec) -> list[LinearKind]:
    """The attention projections of ``spec``, in block order (q, k, v, o; qkv, o; or MLA's)."""
    return [layer.kind for layer in linear_layers(spec) if layer.kind in _ATTENTION]


def _layout_default(spec: TransformerSpec, method: str) -> list[LinearKind]:
    """Defaults for a custom layout (no family): peft's LLaMA/GPT-2 choice, by analogy (MLA: the query and the
    latent's up-projection to keys and values)."""
    fused = spec.attention == "fused"
    mlp: list[LinearKind] = ["down"] if any(layer.kind == "down" for layer in linear_layers(spec)) else []
    if spec.attention == "mla":
        query: LinearKind = "q_b" if spec.q_lora_rank else "q"
        return [query, "kv_b", *mlp] if method == "ia3" else [query, "kv_b"]
    if method == "ia3":
        return ["qkv", *mlp] if fused else ["k", "v", *mlp]
    return ["qkv"] if fused else ["q", "v"]


def _method_default(spec: TransformerSpec, method: str) -> list[LinearKind]:
    if method in ("qlora", "qa_lora"):  # the QLoRA / QA-LoRA papers adapt every linear layer
        return [layer.kind for layer in linear_layers(spec) if layer.kind != "pooler"]
    if method in ("longlora", "s_lora"):  # the LongLoRA and S-LoRA papers adapt the attention projections
        return attention_kinds(spec)
    mapped = _MAPPING_OF.get(method, "lora")
    if spec.family is None:
        return _layout_default(spec, method)
    entries = PEFT_TARGETS[mapped].get(spec.family)
    if entries is None:
        kinds = ", ".join(layer.kind for layer in linear_layers(spec))
        raise ToolInputError(
            "target_modules",
            f"peft has no default {mapped} targets for {spec.family} models: name them ({kinds}) or "
            "'all-linear'",
        )
    return _mapped(spec, entries)


def ia3_feedforward(spec: TransformerSpec) -> set[LinearKind]:
    """The projections whose input IA3 rescales (peft's feedforward_modules default); the others' output."""
    if spec.family is None or spec.family not in IA3_FEEDFORWARD:
        return {"down"}
    return set(_mapped(spec, IA3_FEEDFORWARD[spec.family]))


def resolve_targets(
    spec: TransformerSpec, method: str, targets: list[LinearKind] | Literal["all-linear"] | None
) -> list[LinearLayer]:
    """The linear layers a method adapts, checked against what the base has (None = the method's default)."""
    layers = linear_layers(spec)
    if targets == "all-linear":
        return layers
    if targets is None:
        targets = _method_default(spec, method)
    by_kind = {layer.kind: layer for layer in layers}
    chosen: list[LinearLayer] = []
    for kind in dict.fromkeys(targets):
        if kind not in by_kind:
            hint = ""
            if kind in ("q", "k", "v") and "qkv" in by_kind:
                hint = " (its attention uses one fused projection: target 'qkv')"
            elif kind == "qkv":
                hint = " (its attention has separate projections: target 'q', 'k', 'v')"
            elif kind in ("gate", "up") and "gate_up" in by_kind:
                hint = " (its MLP fuses gate and up: target 'gate_up')"
            elif kind in ("gate", "up", "down") and "expert_down" in by_kind:
                hint = " (its MLPs are experts: target 'expert_gate_up', 'expert_down', 'router')"
            elif kind in ("q", "k", "v") and "kv_b" in by_kind:
                hint = " (multi-head latent attention: target 'q_a', 'q_b', 'kv_a', 'kv_b', 'o')"
            have = ", ".join(by_kind)
            raise ToolInputError(
                "target_modules", f"the base has no {kind!r} projection{hint}; it has: {have}"
            )
        chosen.append(by_kind[kind])
    if not chosen:
        raise ToolInputError("target_modules", "must name at least one projection, or be 'all-linear'")
    return chosen
