"""Slot filling for serving and fine-tuning requests: presets by loose names, GPU counts, context lengths,
choices two slots accept, and defaults that are never asked for — in English and Chinese."""

from __future__ import annotations

from agents.models.offline.language import prepare
from agents.models.offline.reading import enum_words, known_names, model_stem, read
from agents.models.offline.slots import fill


def filled(views, tool: str, text: str):
    offered = list(views.values())
    return fill(views[tool], read(prepare(text), known_names(offered), enum_words(offered)))


def test_a_field_with_a_stated_default_is_never_asked_for(views):
    # quantization says "Default: none, or what weight_bits says": leaving both out is a complete request
    found = filled(views, "llm_inference_memory", "KV cache of llama-2-7b at 4096 tokens")
    assert found.missing == []
    assert found.arguments == {"model": "llama-2-7b", "context_len": 4096}


def test_a_model_or_its_size_is_still_required(views):
    assert [
        slot.name for slot in filled(views, "llm_inference_memory", "how much memory at 4k?").missing
    ] == ["model"]


def test_loose_model_names_resolve_to_presets(views):
    def model(text: str):
        return filled(views, "peft_trainable_params", f"LoRA on {text}").arguments.get("base")

    assert model("qwen 7b") == "qwen2.5-7b"  # family and size, the newest version listed
    assert model("llama 70b") == "llama-3.1-70b"
    assert model("llama 7b") == "llama-7b"  # a spelling that is a preset keeps meaning it
    assert model("Llama-3.1-8B-Instruct") == "llama-3.1-8b"
    assert model("llama2 7b") == "llama-2-7b"
    assert model_stem("Mistral-7B-Instruct-v0.2") == "mistral7b"


def test_gpu_counts_in_both_languages(views):
    def args(text: str):
        return filled(views, "llm_inference_memory", text).arguments

    assert args("llama-3.1-70b on 2x A100 80GB")["num_gpus"] == 2
    assert args("llama-3.1-70b on 4 H100s")["num_gpus"] == 4
    chinese = args("70B 4-bit 两张 48G 卡 32k 上下文能跑吗?")
    assert chinese == {
        "params_billion": 70,
        "weight_bits": 4,
        "num_gpus": 2,
        "gpu_memory_gb": 48,
        "context_len": 32768,  # "32k" context: 32 × 1,024
    }
    assert args("2张A100 跑 llama-2-70b")["num_gpus"] == 2


def test_a_gpu_model_number_is_the_gpu_not_its_memory(views):
    found = filled(views, "llm_inference_memory", "can a single 4090 run llama-2-13b in fp16?")
    assert found.arguments == {"model": "llama-2-13b", "dtype": "fp16", "gpu": "rtx-4090"}


def test_one_word_fills_one_slot_the_words_around_it_name(views):
    kv = filled(views, "llm_inference_memory", "llama-3.1-8b with an fp8 kv cache").arguments
    assert kv == {"model": "llama-3.1-8b", "kv_cache_dtype": "fp8"}
    weights = filled(views, "llm_inference_memory", "llama-3.1-8b in fp8").arguments
    assert weights == {"model": "llama-3.1-8b", "quantization": "fp8"}
    one_model = filled(views, "llm_throughput", "tokens per second of llama-2-7b on an h100").arguments
    assert "draft_model" not in one_model and one_model["model"] == "llama-2-7b"


def test_projections_written_as_letters(views):
    found = filled(views, "peft_trainable_params", "LoRA r 16 on llama2 7b, q k v o")
    assert found.arguments == {
        "method": "lora",
        "base": "llama-2-7b",
        "r": 16,
        "target_modules": ["q", "k", "v", "o"],
    }
    assert filled(views, "peft_trainable_params", "lora on llama-2-7b, all-linear").arguments[
        "target_modules"
    ] == ("all-linear")


def test_two_3090s_are_two_rtx_3090s_in_chinese(views):
    found = filled(views, "llm_inference_memory", "两张 3090 能跑 qwen2.5-72b int4 吗")
    assert found.arguments["gpu"] == "rtx-3090" and "gpu_memory_gb" not in found.arguments
    assert found.arguments["num_gpus"] == 2
