"""Named architectures: the common checkpoints from BERT to 405B decoders and 671B mixtures of experts, each
transcribed from its ``config.json`` with the total its framework reports.

One table for the whole project: the fine-tuning calculators (``base``) and the inference tools (``model``)
both resolve names here. ``known_params`` is what ``sum(p.numel() for p in model.parameters())`` gives for the
transformers model built from the config (checked on the meta device in the tests) and, where the model card
publishes one, the published total. Names resolve the way people write them: case, spaces, punctuation
and variant suffixes do not matter ("Mixtral-8x7B-Instruct-v0.1", "qwen3 30b a3b", "DeepSeek-R1",
"千问3-8B"), and a few short names are aliases (``PRESET_ALIASES``: "ds-v3", "ds-r1").
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import BeforeValidator, Discriminator, Tag

from tools.errors import ToolInputError
from tools.finetuning.architecture import check_spec
from tools.finetuning.preset_types import Preset
from tools.finetuning.preset_types import decoder as _decoder
from tools.finetuning.presets_moe import MOE_PRESETS
from tools.finetuning.spec import TransformerSpec

__all__ = [
    "PRESETS",
    "PRESET_ALIASES",
    "BaseChoice",
    "Preset",
    "PresetChoice",
    "PresetName",
    "canonical_preset",
    "resolve_base",
]

PresetName = Literal[
    "bert-base",
    "bert-large",
    "gpt2-small",
    "gpt2-medium",
    "llama-7b",
    "llama-2-7b",
    "llama-2-13b",
    "llama-2-70b",
    "llama-3-8b",
    "llama-3-70b",
    "llama-3.1-8b",
    "llama-3.1-70b",
    "llama-3.1-405b",
    "llama-3.2-1b",
    "llama-3.2-3b",
    "mistral-7b",
    "qwen2.5-0.5b",
    "qwen2.5-1.5b",
    "qwen2.5-3b",
    "qwen2.5-7b",
    "qwen2.5-14b",
    "qwen2.5-32b",
    "qwen2.5-72b",
    "qwen3-0.6b",
    "qwen3-1.7b",
    "qwen3-4b",
    "qwen3-8b",
    "qwen3-14b",
    "qwen3-32b",
    "qwen3-30b-a3b",
    "qwen3-235b-a22b",
    "mixtral-8x7b",
    "mixtral-8x22b",
    "deepseek-v2-lite",
    "deepseek-v3",
    "deepseek-r1",
    "gemma-2b",
    "gemma-7b",
    "gemma-2-2b",
    "gemma-2-9b",
    "gemma-2-27b",
    "phi-3-mini",
    "phi-3-medium",
    "t5-small",
    "t5-base",
    "t5-large",
    "flan-t5-base",
    "flan-t5-large",
    "flan-t5-xl",
    "bart-base",
    "bart-large",
    "ds-v3",
    "ds-r1",
]

#: Short names people write that are not spellings of a preset's name (schema choices, like the GPUs' "a100").
PRESET_ALIASES: dict[str, str] = {"ds-v3": "deepseek-v3", "ds-r1": "deepseek-r1"}


def _bert(name: str, h: int, layers: int, heads: int) -> TransformerSpec:
    return TransformerSpec(
        name=name,
        family="bert",
        hidden_size=h,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=4 * h,
        vocab_size=30522,
        max_positions=512,
        type_vocab_size=2,
        embedding_norm=True,
        final_norm=False,
        output_head="none",
        pooler=True,
    )


def _gpt2(name: str, h: int, layers: int, heads: int) -> TransformerSpec:
    return TransformerSpec(
        name=name,
        family="gpt2",
        hidden_size=h,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=4 * h,
        vocab_size=50257,
        max_positions=1024,
        attention="fused",
    )


def _t5(name: str, d: int, layers: int, heads: int, d_ff: int, *, gated: bool) -> TransformerSpec:
    # T5 v1.0: ReLU wi/wo, head tied to the shared embedding; v1.1 / FLAN-T5: gated-GELU wi_0/wi_1/wo, untied.
    return TransformerSpec(
        name=name,
        family="t5",
        hidden_size=d,
        num_layers=layers,
        decoder_layers=layers,
        num_heads=heads,
        head_dim=64,
        intermediate_size=d_ff,
        vocab_size=32128,
        mlp="gated" if gated else "standard",
        bias=False,
        norm="rmsnorm",
        output_head="untied" if gated else "tied",
        relative_attention_buckets=32,
    )


def _bart(name: str, d: int, layers: int, heads: int) -> TransformerSpec:
    # Learned positions with BART's offset of 2 rows per stack; a LayerNorm after each stack's embeddings.
    return TransformerSpec(
        name=name,
        family="bart",
        hidden_size=d,
        num_layers=layers,
        decoder_layers=layers,
        num_heads=heads,
        intermediate_size=4 * d,
        vocab_size=50265,
        max_positions=1026,
        max_context=1024,
        embedding_norm=True,
        final_norm=False,
    )


def _gemma2(name: str, shape: tuple[int, int, int, int, int, int], head_dim: int) -> TransformerSpec:
    # Gemma-2: four norms per block, and every other layer (the even ones) attends a 4096-token window.
    return _decoder(
        name,
        "gemma2",
        shape,
        context=8192,
        tied=True,
        head_dim=head_dim,
        norms_per_block=4,
        window=4096,
        window_layers=shape[1] // 2,
    )


def _qwen(
    name: str, shape: tuple[int, int, int, int, int, int], *, context: int, tied: bool
) -> TransformerSpec:
    # Qwen2 / Qwen2.5: bias on the query, key and value projections only.
    return _decoder(name, "qwen2", shape, context=context, tied=tied, bias=["q", "k", "v"])


_LLAMA3 = (4096, 32, 32, 8, 14336, 128256)
_LLAMA3_70B = (8192, 80, 64, 8, 28672, 128256)

PRESETS: dict[str, Preset] = {
    "bert-base": Preset(
        _bert("bert-base", 768, 12, 12), "bert-base-uncased config.json (BertModel with pooler)", 109_482_240
    ),
    "bert-large": Preset(
        _bert("bert-large", 1024, 24, 16),
        "bert-large-uncased config.json (BertModel with pooler)",
        335_141_888,
    ),
    "gpt2-small": Preset(_gpt2("gpt2-small", 768, 12, 12), "openai-community/gpt2 config.json", 124_439_808),
    "gpt2-medium": Preset(
        _gpt2("gpt2-medium", 1024, 24, 16), "openai-community/gpt2-medium config.json", 354_823_168
    ),
    "llama-7b": Preset(
        _decoder("llama-7b", "llama", (4096, 32, 32, 32, 11008, 32000), context=2048),
        "huggyllama/llama-7b config.json",
        6_738_415_616,
    ),
    "llama-2-7b": Preset(
        _decoder("llama-2-7b", "llama", (4096, 32, 32, 32, 11008, 32000), context=4096),
        "meta-llama/Llama-2-7b-hf config.json",
        6_738_415_616,
    ),
    "llama-2-13b": Preset(
        _decoder("llama-2-13b", "llama", (5120, 40, 40, 40, 13824, 32000), context=4096),
        "meta-llama/Llama-2-13b-hf config.json",
        13_015_864_320,
    ),
    "llama-2-70b": Preset(
        _decoder("llama-2-70b", "llama", (8192, 80, 64, 8, 28672, 32000), context=4096),
        "meta-llama/Llama-2-70b-hf config.json (GQA, 8 KV heads)",
        68_976_648_192,
    ),
    "llama-3-8b": Preset(
        _decoder("llama-3-8b", "llama", _LLAMA3, context=8192),
        "meta-llama/Meta-Llama-3-8B config.json (GQA, 8 KV heads)",
        8_030_261_248,
    ),
    "llama-3-70b": Preset(
        _decoder("llama-3-70b", "llama", _LLAMA3_70B, context=8192),
        "meta-llama/Meta-Llama-3-70B config.json (GQA, 8 KV heads)",
        70_553_706_496,
    ),
    "llama-3.1-8b": Preset(
        _decoder("llama-3.1-8b", "llama", _LLAMA3, context=131072),
        "meta-llama/Llama-3.1-8B config.json (128k context with RoPE scaling)",
        8_030_261_248,
    ),
    "llama-3.1-70b": Preset(
        _decoder("llama-3.1-70b", "llama", _LLAMA3_70B, context=131072),
        "meta-llama/Llama-3.1-70B config.json (128k context with RoPE scaling)",
        70_553_706_496,
    ),
    "llama-3.1-405b": Preset(
        _decoder("llama-3.1-405b", "llama", (16384, 126, 128, 8, 53248, 128256), context=131072),
        "meta-llama/Llama-3.1-405B config.json (GQA, 8 KV heads)",
        405_853_388_800,
    ),
    "llama-3.2-1b": Preset(
        _decoder("llama-3.2-1b", "llama", (2048, 16, 32, 8, 8192, 128256), context=131072, tied=True),
        "meta-llama/Llama-3.2-1B config.json (tied embeddings)",
        1_235_814_400,
    ),
    "llama-3.2-3b": Preset(
        _decoder("llama-3.2-3b", "llama", (3072, 28, 24, 8, 8192, 128256), context=131072, tied=True),
        "meta-llama/Llama-3.2-3B config.json (tied embeddings)",
        3_212_749_824,
    ),
    "mistral-7b": Preset(
        _decoder("mistral-7b", "mistral", (4096, 32, 32, 8, 14336, 32000), context=32768, window=4096),
        "mistralai/Mistral-7B-v0.1 config.json (GQA, 8 KV heads, sliding window 4096)",
        7_241_732_096,
    ),
    "qwen2.5-0.5b": Preset(
        _qwen("qwen2.5-0.5b", (896, 24, 14, 2, 4864, 151936), context=32768, tied=True),
        "Qwen/Qwen2.5-0.5B config.json (q/k/v bias, tied embeddings); model card: 0.49B",
        494_032_768,
    ),
    "qwen2.5-1.5b": Preset(
        _qwen("qwen2.5-1.5b", (1536, 28, 12, 2, 8960, 151936), context=32768, tied=True),
        "Qwen/Qwen2.5-1.5B config.json (q/k/v bias, tied embeddings); model card: 1.54B",
        1_543_714_304,
    ),
    "qwen2.5-3b": Preset(
        _qwen("qwen2.5-3b", (2048, 36, 16, 2, 11008, 151936), context=32768, tied=True),
        "Qwen/Qwen2.5-3B config.json (q/k/v bias, tied embeddings); model card: 3.09B",
        3_085_938_688,
    ),
    "qwen2.5-7b": Preset(
        _qwen("qwen2.5-7b", (3584, 28, 28, 4, 18944, 152064), context=131072, tied=False),
        "Qwen/Qwen2.5-7B config.json (q/k/v bias, GQA 4 KV heads); model card: 7.61B",
        7_615_616_512,
    ),
    "qwen2.5-14b": Preset(
        _qwen("qwen2.5-14b", (5120, 48, 40, 8, 13824, 152064), context=131072, tied=False),
        "Qwen/Qwen2.5-14B config.json (q/k/v bias, GQA 8 KV heads); model card: 14.7B",
        14_770_033_664,
    ),
    "qwen2.5-32b": Preset(
        _qwen("qwen2.5-32b", (5120, 64, 40, 8, 27648, 152064), context=131072, tied=False),
        "Qwen/Qwen2.5-32B config.json (q/k/v bias, GQA 8 KV heads); model card: 32.5B",
        32_763_876_352,
    ),
    "qwen2.5-72b": Preset(
        _qwen("qwen2.5-72b", (8192, 80, 64, 8, 29568, 152064), context=131072, tied=False),
        "Qwen/Qwen2.5-72B config.json (q/k/v bias, GQA 8 KV heads); model card: 72.7B",
        72_706_203_648,
    ),
    "gemma-2b": Preset(
        _decoder("gemma-2b", "gemma", (2048, 18, 8, 1, 16384, 256000), context=8192, tied=True, head_dim=256),
        "google/gemma-2b config.json (multi-query attention, head_dim 256)",
        2_506_172_416,
    ),
    "gemma-7b": Preset(
        _decoder(
            "gemma-7b", "gemma", (3072, 28, 16, 16, 24576, 256000), context=8192, tied=True, head_dim=256
        ),
        "google/gemma-7b config.json (16 heads × 256 = 4096 ≠ hidden 3072)",
        8_537_680_896,
    ),
    "gemma-2-2b": Preset(
        _gemma2("gemma-2-2b", (2304, 26, 8, 4, 9216, 256000), head_dim=256),
        "google/gemma-2-2b config.json (4 norms per block; every other layer attends a 4096-token window)",
        2_614_341_888,
    ),
    "gemma-2-9b": Preset(
        _gemma2("gemma-2-9b", (3584, 42, 16, 8, 14336, 256000), head_dim=256),
        "google/gemma-2-9b config.json (4 norms per block; every other layer attends a 4096-token window)",
        9_241_705_984,
    ),
    "gemma-2-27b": Preset(
        _gemma2("gemma-2-27b", (4608, 46, 32, 16, 36864, 256000), head_dim=128),
        "google/gemma-2-27b config.json (4 norms per block; every other layer attends a 4096-token window)",
        27_227_128_320,
    ),
    "phi-3-mini": Preset(
        _decoder("phi-3-mini", "phi3", (3072, 32, 32, 32, 8192, 32064), context=4096, fused=True),
        "microsoft/Phi-3-mini-4k-instruct config.json (fused qkv_proj and gate_up_proj; its sliding_window "
        "2047 is not modelled); model card: 3.8B",
        3_821_079_552,
    ),
    "phi-3-medium": Preset(
        _decoder("phi-3-medium", "phi3", (5120, 40, 40, 10, 17920, 32064), context=4096, fused=True),
        "microsoft/Phi-3-medium-4k-instruct config.json (fused qkv_proj and gate_up_proj, GQA 10 KV heads); "
        "model card: 14B",
        13_960_238_080,
    ),
    "t5-small": Preset(
        _t5("t5-small", 512, 6, 8, 2048, gated=False),
        "google-t5/t5-small config.json (encoder-decoder, 6 + 6 blocks)",
        60_506_624,
    ),
    "t5-base": Preset(
        _t5("t5-base", 768, 12, 12, 3072, gated=False),
        "google-t5/t5-base config.json (encoder-decoder, 12 + 12 blocks)",
        222_903_552,
    ),
    "t5-large": Preset(
        _t5("t5-large", 1024, 24, 16, 4096, gated=False),
        "google-t5/t5-large config.json (encoder-decoder, 24 + 24 blocks)",
        737_668_096,
    ),
    "flan-t5-base": Preset(
        _t5("flan-t5-base", 768, 12, 12, 2048, gated=True),
        "google/flan-t5-base config.json (T5 v1.1: gated-GELU, untied head)",
        247_577_856,
    ),
    "flan-t5-large": Preset(
        _t5("flan-t5-large", 1024, 24, 16, 2816, gated=True),
        "google/flan-t5-large config.json (T5 v1.1: gated-GELU, untied head)",
        783_150_080,
    ),
    "flan-t5-xl": Preset(
        _t5("flan-t5-xl", 2048, 24, 32, 5120, gated=True),
        "google/flan-t5-xl config.json (T5 v1.1: gated-GELU, untied head)",
        2_849_757_184,
    ),
    "bart-base": Preset(
        _bart("bart-base", 768, 6, 12), "facebook/bart-base config.json (encoder-decoder, 6 + 6)", 139_420_416
    ),
    "bart-large": Preset(
        _bart("bart-large", 1024, 12, 16),
        "facebook/bart-large config.json (encoder-decoder, 12 + 12)",
        406_291_456,
    ),
}

PRESETS.update(MOE_PRESETS)

# the Literal is the schema's enum (presets and their aliases); the table is the data
if set(get_args(PresetName)) != set(PRESETS) | set(PRESET_ALIASES):
    raise RuntimeError("PresetName and PRESETS list different names")

#: What people add to a checkpoint's name: a variant suffix (instruct, chat, base, hf, it, the version).
_VARIANT = re.compile(r"[-_ ]+(instruct|chat|base|hf|it)([-_ ]?v?\d+(\.\d+)*)?$")
_CHINESE = {"通义千问": "qwen", "千问": "qwen", "深度求索": "deepseek"}


def _key(text: str) -> str:
    """A spelling reduced to what tells presets apart: lower case, Chinese names in Latin letters, the variant
    suffix dropped, only letters, digits and dots kept ("Mixtral-8x7B-Instruct-v0.1" → "mixtral8x7b")."""
    text = text.strip().lower()
    for chinese, latin in _CHINESE.items():
        text = text.replace(chinese, f" {latin}")
    text = _VARIANT.sub("", text)
    return re.sub(r"[^a-z0-9.]", "", text)


_BY_KEY: dict[str, str] = {_key(name): PRESET_ALIASES.get(name, name) for name in get_args(PresetName)}


def canonical_preset(value: object) -> object:
    """The preset a spelling names ("Qwen3-30B-A3B", "qwen3 30b a3b", "ds-v3" → its preset name); anything
    else is returned unchanged for the schema to judge."""
    if isinstance(value, str):
        return _BY_KEY.get(_key(value), value)
    return value


#: A preset name, however it is written (the schema's enum lists the canonical spellings).
PresetChoice = Annotated[PresetName, BeforeValidator(canonical_preset)]


def _tag(value: object) -> str:
    """Which branch of a 'name or structure' choice a raw value belongs to (errors then name that branch)."""
    return "name" if isinstance(value, str) else "spec"


#: A preset name or a full architecture: a tagged choice, so a bad value is reported against one branch
#: (``base.name`` / ``model.spec.num_heads``). The fine-tuning and inference tools take it alike.
BaseChoice = Annotated[
    Annotated[PresetChoice, Tag("name")] | Annotated[TransformerSpec, Tag("spec")], Discriminator(_tag)
]


def resolve_base(base: str | TransformerSpec, *, field: str = "base") -> tuple[TransformerSpec, str]:
    """The spec behind ``base`` (a preset name, however written, or a spec) and a label saying where it comes
    from.

    Checks that the spec is self-consistent; a problem is a :class:`ToolInputError` naming ``field.<attr>``.
    """
    if isinstance(base, str):
        name = str(canonical_preset(base))
        try:
            preset = PRESETS[name]
        except KeyError:
            raise ToolInputError(field, f"unknown preset {base!r}; known: {', '.join(PRESETS)}") from None
        return preset.spec, f"{name} ({preset.source})"
    check_spec(base, field=field)
    return base, f"{base.name} (custom spec)"
