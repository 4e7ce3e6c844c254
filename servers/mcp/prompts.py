"""Guided prompts: a user's situation in, a step-by-step plan of tool calls out.

Each prompt turns its (string) arguments into the exact JSON arguments of the tools it asks the model to
call, validated against those tools' schemas when the prompt is rendered: a prompt never suggests a call the
tool would reject, and a bad argument is a protocol error naming it (``-32602``). The most relevant note is
attached as an embedded resource, so the model has the background even where it cannot read resources.
"""

from __future__ import annotations

import difflib
import inspect
import json
import math
import re
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts.base import Message, Prompt, UserMessage
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, EmbeddedResource, TextResourceContents
from mcp_types import Prompt as PromptListing
from pydantic import Field

from tools.errors import ToolInputError

__all__ = ["PROMPT_TOOLS", "add_prompts", "check_prompt_request", "prompt_argument_choices"]

#: Prompt → the tool whose parameters share its argument names (for argument completion).
PROMPT_TOOLS: Mapping[str, str] = {
    "diagnose-training": "diagnose_training",
    "choose-backbone": "compare_models",
    "plan-finetune": "finetune_memory",
    "pick-optimizer": "recommend_optimizer",
    "plan-deployment": "llm_throughput",
}


def add_prompts(server: MCPServer) -> None:
    """Register the guided prompts on ``server``."""
    for name, fn, title in (
        ("diagnose-training", diagnose_training, "Diagnose a training run"),
        ("choose-backbone", choose_backbone, "Choose a backbone under constraints"),
        ("plan-finetune", plan_finetune, "Plan a fine-tune for a model and a GPU"),
        ("pick-optimizer", pick_optimizer, "Pick an optimizer"),
        ("plan-deployment", plan_deployment, "Plan serving an LLM under a latency target"),
    ):
        server.add_prompt(Prompt.from_function(fn, name=name, title=title, description=inspect.getdoc(fn)))


def check_prompt_request(
    prompts: Sequence[PromptListing], name: str, arguments: Mapping[str, Any] | None
) -> None:
    """Reject a ``prompts/get`` the prompt cannot render: an unknown prompt, an argument it does not take, a
    required one left out — each a protocol error (``-32602``) whose message says what to send instead."""
    listing = {prompt.name: prompt for prompt in prompts}
    prompt = listing.get(name)
    if prompt is None:
        close = difflib.get_close_matches(name, listing, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise MCPError(
            code=INVALID_PARAMS,
            message=f"unknown prompt {name!r}; {hint}prompts: {', '.join(listing)}",
            data={"prompt": name},
        )
    declared = [argument.name for argument in prompt.arguments or ()]
    for given in arguments or {}:
        if given not in declared:
            raise _invalid(given, f"{name} takes no argument {given!r}; it takes: {', '.join(declared)}")
    for argument in prompt.arguments or ():
        if argument.required and argument.name not in (arguments or {}):
            raise _invalid(argument.name, f"required by {name}" + _described(argument.description))


def prompt_argument_choices(prompt: str, argument: str) -> list[str] | None:
    """Allowed values of a prompt argument, read from the enum of the same-named tool parameter."""
    from tools.catalog import get_tool

    tool = PROMPT_TOOLS.get(prompt)
    if tool is None:
        return None
    parameter = typing.get_type_hints(get_tool(tool).fn, include_extras=True).get(argument)
    return _literal_values(parameter) if parameter is not None else None


# ------------------------------------------------------------------------------------------------ prompts


def diagnose_training(
    train_loss: Annotated[str, Field(description="Training loss per epoch, e.g. '2.1, 1.6, 1.2, 0.9'.")],
    val_loss: Annotated[str, Field(description="Validation loss per epoch, same number of values.")],
    train_metric: Annotated[
        str | None, Field(description="Optional training metric (e.g. accuracy) per epoch.")
    ] = None,
    val_metric: Annotated[str | None, Field(description="Optional validation metric per epoch.")] = None,
    context: Annotated[
        str | None, Field(description="Anything else worth knowing: model, data size, lr schedule …")
    ] = None,
) -> list[Message]:
    """Diagnose a training run from its loss curves: over-/under-fitting, divergence, instability; remedies.

    Returns a guided request: call diagnose_training on your curves, read the verdict and its evidence, then
    rank the remedies from the notes (过拟合 / 欠拟合 / 梯度爆炸).
    """
    arguments: dict[str, Any] = {"train_loss": _numbers("train_loss", train_loss)}
    arguments["val_loss"] = _numbers("val_loss", val_loss)
    if train_metric:
        arguments["train_metric"] = _numbers("train_metric", train_metric)
    if val_metric:
        arguments["val_metric"] = _numbers("val_metric", val_metric)
    _check("diagnose_training", arguments)
    text = "\n".join(
        [
            f"I trained a model for {len(arguments['train_loss'])} epochs; what do the curves say?",
            *([f"Context: {context.strip()}"] if context and context.strip() else []),
            "",
            "1. Call the `diagnose_training` tool with exactly these arguments (null marks a NaN/inf loss):",
            _json_block(arguments),
            "2. Give the verdict in one line, then the evidence the tool reports: the gap between the "
            "curves at the end, their trends, the epoch of the best validation loss and where early "
            "stopping would stop.",
            "3. Recommend the remedies that fit this verdict, most effective first, each with one sentence "
            "on why it applies to these curves (the attached notes list causes and remedies).",
            "4. If the loss diverged or exploded, say what to check next: learning rate, gradient clipping, "
            "initialisation — and offer to run `gradient_flow` for the network's depth and activation.",
            "Show the plot the tool returns.",
        ]
    )
    return [UserMessage(text), *_notes("overfitting")]


def choose_backbone(
    max_params_millions: Annotated[
        str | None, Field(description="Parameter budget in millions, e.g. '5' for a phone.")
    ] = None,
    max_gmacs: Annotated[
        str | None, Field(description="Compute budget in GMACs per image, e.g. '0.6'.")
    ] = None,
    input_size: Annotated[
        str | None,
        Field(description="Input resolution, e.g. '224' or '224x224' (default: each model's own)."),
    ] = None,
    device: Annotated[
        str | None, Field(description="Where it runs: phone, edge, desktop GPU, server …")
    ] = None,
    task: Annotated[str | None, Field(description="What it is for, e.g. 'image classification'.")] = None,
) -> list[Message]:
    """Choose a vision backbone under a parameter / compute budget: the zoo's candidates side by side.

    Returns a guided request: compare the zoo's architectures with compare_models, keep those within budget,
    read the params-vs-MACs Pareto front and recommend two or three with their trade-offs.
    """
    from tools.complexity.backbones import architecture_names

    budget, bounds = [], {}
    if max_params_millions:
        bounds["max_params_millions"] = _number("max_params_millions", max_params_millions, positive=True)
        budget.append(f"at most {bounds['max_params_millions']:g} M parameters")
    if max_gmacs:
        bounds["max_gmacs"] = _number("max_gmacs", max_gmacs, positive=True)
        budget.append(f"at most {bounds['max_gmacs']:g} GMACs per image")
    size = _input_size(input_size) if input_size else None
    calls = []
    names = architecture_names(curated_only=True)  # the backbones the notes discuss
    chunk = _max_items("compare_models", "models") or len(names)
    for start in range(0, len(names), chunk):
        arguments: dict[str, Any] = {"models": names[start : start + chunk], **bounds}  # drawn on the plot
        if size is not None:
            arguments["input_size"] = size
        _check("compare_models", arguments)
        calls.append(_json_block(arguments))
    text = "\n".join(
        [
            f"I need a backbone for {task.strip() if task else 'image classification'}"
            f"{' on ' + device.strip() if device else ''}"
            f"{' with ' + ' and '.join(budget) if budget else ''}.",
            "",
            "1. Measure the candidates: call `compare_models` "
            + ("with these arguments:" if len(calls) == 1 else f"{len(calls)} times, with these arguments:"),
            *calls,
            "2. Keep only the models within the budget"
            + (" (" + "; ".join(budget) + "; the result's within_budget lists them)" if budget else "")
            + ", and mark which of them lie on the Pareto front of parameters vs MACs.",
            "3. Recommend two or three candidates with their trade-offs (parameters, MACs, weight "
            "memory, the architectural idea that makes them efficient). If none fits, name the closest "
            "model and which constraint to relax.",
            "4. Offer `model_complexity` with per_layer=true for the winner, to see where its cost lies.",
        ]
    )
    return [UserMessage(text), *_notes("model-complexity")]


def plan_finetune(
    params_billion: Annotated[str, Field(description="Model size in billions of parameters, e.g. '7'.")],
    gpu_memory_gb: Annotated[str, Field(description="Memory of one GPU in GB, e.g. '24'.")],
    seq_len: Annotated[
        str | None, Field(description="Training sequence length in tokens (optional).")
    ] = None,
    batch_size: Annotated[str | None, Field(description="Micro-batch size per GPU (optional).")] = None,
    task: Annotated[str | None, Field(description="What the fine-tune is for (optional).")] = None,
) -> list[Message]:
    """Plan fine-tuning a model of a given size on one GPU: full vs LoRA vs QLoRA memory, then a method.

    Returns a guided request: compute the memory of each method with finetune_memory, pick the cheapest one
    that fits with headroom, size its adapters with peft_trainable_params
    (参数高效微调 PEFT, LoRA 低秩适配, QLoRA).
    """
    shared: dict[str, Any] = {
        "params_billion": _number("params_billion", params_billion, positive=True),
        "gpu_memory_gb": _number("gpu_memory_gb", gpu_memory_gb, positive=True),
    }
    if seq_len:
        shared["seq_len"] = _integer("seq_len", seq_len)
    if batch_size:
        shared["batch_size"] = _integer("batch_size", batch_size)
    calls = []
    for method in ("full", "lora", "qlora"):
        arguments = {**shared, "method": method}
        _check("finetune_memory", arguments)
        calls.append(_json_block(arguments))
    text = "\n".join(
        [
            f"I want to fine-tune a {shared['params_billion']:g}B-parameter model on one "
            f"{shared['gpu_memory_gb']:g} GB GPU{' for ' + task.strip() if task else ''}.",
            "",
            "1. Call `finetune_memory` three times, once per method:",
            *calls,
            "2. Put the three memory breakdowns (weights, gradients, optimizer states, activations, "
            "total) side by side and say which fit the GPU and with how much headroom.",
            "3. Recommend the method: the simplest one that fits with headroom, and what it costs in "
            "quality or speed. Then call `peft_trainable_params` for it (LoRA or QLoRA, r = 8 or 16, on "
            "all linear layers of the closest preset) to show how many parameters are trained.",
            "4. If nothing fits, say what to change: gradient checkpointing, a shorter sequence, a "
            "smaller batch.",
        ]
    )
    return [UserMessage(text), *_notes("peft")]


def pick_optimizer(
    task: Annotated[str | None, Field(description="The task, e.g. image_classification, nlp, …")] = None,
    model_family: Annotated[
        str | None, Field(description="The model family, e.g. resnet, transformer, …")
    ] = None,
    data: Annotated[
        str | None, Field(description="The data, e.g. dense, sparse, noisy, small, large.")
    ] = None,
    priority: Annotated[
        str | None, Field(description="What matters most, e.g. generalization, fast_convergence, low_memory.")
    ] = None,
) -> list[Message]:
    """Pick an optimizer for a task and model: a ranked recommendation, then a real comparison run.

    Returns a guided request: rank optimizers with recommend_optimizer, then compare the top ones with
    compare_optimizers and tune the winner's learning rate with learning_rate_sweep (优化器).
    """
    given = {"task": task, "model_family": model_family, "data": data, "priority": priority}
    arguments = {key: value.strip() for key, value in given.items() if value and value.strip()}
    _check("recommend_optimizer", arguments)
    described = (
        ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in arguments.items()) or "no constraints given"
    )
    text = "\n".join(
        [
            f"Help me pick an optimizer ({described}).",
            "",
            "1. Call `recommend_optimizer` with these arguments:",
            _json_block(arguments),
            "2. Show the top three as a table (adaptive learning rate, momentum, regularisation, strengths, "
            "weaknesses, suggested hyper-parameters) with the tool's reason for each rank.",
            "3. Let the numbers speak: call `compare_optimizers` with the top three that have "
            "`runnable: true` (under the keys the tool gives them) on a problem that resembles my case "
            "(the ill-conditioned quadratic for badly scaled features, logistic regression for a "
            "classifier), and show the loss curves.",
            "4. Call `learning_rate_sweep` for the winner around its suggested learning rate and "
            "recommend one.",
        ]
    )
    return [UserMessage(text), *_notes("optimizers")]


def plan_deployment(
    model: Annotated[
        str,
        Field(description="The model: a preset (llama-3.1-8b, qwen2.5-72b, …) or a size, e.g. '7' or '70B'."),
    ],
    gpu: Annotated[
        str, Field(description="The GPU: t4, l4, a10g, rtx-4090, l40s, a100-80gb, h100-sxm, h200, mi300x, …")
    ],
    num_gpus: Annotated[
        str | None, Field(description="GPUs for one replica, split by tensor parallelism (default 1).")
    ] = None,
    target_tpot_ms: Annotated[
        str | None, Field(description="Latency target: most milliseconds per output token, e.g. '50'.")
    ] = None,
    context_len: Annotated[
        str | None, Field(description="Tokens per request, prompt plus output, e.g. '8192'.")
    ] = None,
) -> list[Message]:
    """Plan serving an LLM (推理部署) on a GPU budget under a latency target: memory, roofline, throughput.

    Returns a guided request: check the model's memory in 16-bit and 4-bit on the GPUs with
    llm_inference_memory, see why decoding is memory-bound with roofline, size the batch for the latency
    target with llm_throughput, then recommend a configuration (weights, KV cache, GPUs, batch) step by step.
    """
    from tools.inference.gpus import resolve_gpu

    shared: dict[str, Any] = _model_argument(model)
    shared["gpu"] = gpu.strip().lower()
    if num_gpus:
        shared["num_gpus"] = _integer("num_gpus", num_gpus)
    try:
        if resolve_gpu(shared["gpu"])[0].tflops.get("bf16") is None:
            shared["dtype"] = "fp16"  # no bf16 tensor cores (Turing): serve in fp16
    except ToolInputError:
        pass  # an unknown GPU: the tools' own check below names the field
    context = _integer("context_len", context_len) if context_len else None
    sized = {**shared, **({"context_len": context} if context else {})}
    memory_calls = [{**sized, "quantization": q} for q in ("none", "awq")]
    throughput: dict[str, Any] = dict(shared)
    if context:
        output = min(512, max(1, context // 4))
        throughput.update(prompt_len=max(1, context - output), output_len=output)
    if target_tpot_ms:
        throughput["target_tpot_ms"] = _number("target_tpot_ms", target_tpot_ms, positive=True)
    calls = [("llm_inference_memory", call) for call in memory_calls]
    calls += [("roofline", {**sized, "plot": True}), ("llm_throughput", throughput)]
    for tool, arguments in calls:
        _check_run(tool, arguments)
    target = (
        f" at no more than {throughput['target_tpot_ms']:g} ms per output token" if target_tpot_ms else ""
    )
    count = shared.get("num_gpus", 1)
    gpus = f"{count} × {shared['gpu']}" if count > 1 else f"one {shared['gpu']}"
    what = shared.get("model") or f"a {shared['params_billion']:g}B model"
    text = "\n".join(
        [
            f"I want to serve {what} on {gpus}{target}"
            f"{f', with up to {context:,} tokens per request' if context else ''}.",
            "",
            "1. Memory (显存): call `llm_inference_memory` twice, unquantised and with AWQ 4-bit weights:",
            *(_json_block(call) for call in memory_calls),
            "2. Say which fits, with how much headroom, and the largest batch and context each allows (the "
            "KV cache, not the weights, usually sets the batch).",
            "3. Why decoding is memory-bound: call `roofline` with these arguments and read prefill and "
            "decode against the GPU's ridge point; show the plot:",
            _json_block({**sized, "plot": True}),
            "4. Speed: call `llm_throughput` with these arguments — time to first token, time per output "
            "token, tokens/s, the what-if rows (bigger batch, 4-bit weights, fp8 KV cache, more GPUs)"
            + (" and the largest batch that meets the target:" if target_tpot_ms else ":"),
            _json_block(throughput),
            "5. Recommend a configuration step by step: weight format, KV-cache dtype, tensor-parallel size, "
            "maximum batch (vLLM max_num_seqs) and context; say these are roofline upper bounds to confirm "
            "with a benchmark on the real GPUs. If nothing fits or meets the target, say what to change "
            "(more or larger GPUs, 4-bit weights, a shorter context, speculative decoding).",
        ]
    )
    return [UserMessage(text), *_notes("roofline", "kv-cache", "inference-quantization")]


# ----------------------------------------------------------------------------------------------- helpers


def _model_argument(text: str) -> dict[str, Any]:
    """A preset name → {"model": name}; "7", "7B", "70 b" → {"params_billion": 7.0}."""
    from tools.finetuning.presets import PRESETS

    name = text.strip().lower()
    if name in PRESETS:
        return {"model": name}
    size = re.fullmatch(r"(\d+(?:\.\d+)?)\s*b?", name)
    if size is None or float(size.group(1)) <= 0:
        raise _invalid(
            "model", f"{text!r} is neither a preset (e.g. llama-3.1-8b) nor a size in billions (e.g. 7B)"
        )
    return {"params_billion": float(size.group(1))}


def _check_run(tool: str, arguments: Mapping[str, Any]) -> None:
    """Reject the prompt's arguments exactly as the tool would, running it (the inference tools are
    analytic and answer in well under a millisecond) so a context beyond the model's maximum is caught too."""
    from tools.catalog import call_tool

    _check(tool, arguments)
    try:
        call_tool(tool, {**arguments, "plot": False} if tool == "roofline" else arguments)
    except ToolInputError as exc:
        raise _invalid(exc.field, exc.reason) from None


def _check(tool: str, arguments: Mapping[str, Any]) -> None:
    """Reject the prompt's arguments exactly as the tool would (the message names the field)."""
    from tools.catalog import validate_arguments

    try:
        validate_arguments(tool, arguments)
    except ToolInputError as exc:
        raise _invalid(exc.field, exc.reason) from None


def _described(description: str | None) -> str:
    return f" ({description.rstrip('.')})" if description else ""


def _invalid(field: str, reason: str) -> MCPError:
    return MCPError(code=INVALID_PARAMS, message=f"{field}: {reason}", data={"field": field})


def _numbers(field: str, text: str) -> list[float | None]:
    """Numbers separated by commas, spaces or semicolons (a JSON list works too); NaN/inf/null → None."""
    values: list[float | None] = []
    for token in re.split(r"[\s,;\[\]]+", text.strip()):
        if not token:
            continue
        if token.lower() in ("null", "none"):
            values.append(None)
            continue
        try:
            value = float(token)
        except ValueError:
            raise _invalid(field, f"{token!r} is not a number; give numbers separated by commas") from None
        values.append(value if math.isfinite(value) else None)
    if not values:
        raise _invalid(field, "no numbers given; give one value per epoch separated by commas")
    return values


def _number(field: str, text: str, *, positive: bool = False) -> float:
    values = _numbers(field, text)
    if len(values) != 1 or values[0] is None:
        raise _invalid(field, f"must be one finite number (got {text!r})")
    if positive and values[0] <= 0:
        raise _invalid(field, f"must be > 0 (got {text!r})")
    return values[0]


def _integer(field: str, text: str) -> int:
    value = _number(field, text, positive=True)
    if value != int(value):
        raise _invalid(field, f"must be a whole number (got {text!r})")
    return int(value)


def _input_size(text: str) -> int | list[int]:
    """'224', '224x224' → 224; '224x160' → [224, 160] (for the tool's schema to accept or reject)."""
    sizes = [_integer("input_size", part) for part in re.split(r"[x×*, ]+", text.strip()) if part]
    if len(sizes) not in (1, 2):
        raise _invalid("input_size", f"give one size or height x width (got {text!r})")
    return sizes[0] if len(set(sizes)) == 1 else sizes


def _max_items(tool: str, parameter: str) -> int | None:
    """A list parameter's max_length, so a prompt can split a long list into several valid calls."""
    from tools.catalog import get_tool

    hint = typing.get_type_hints(get_tool(tool).fn, include_extras=True).get(parameter)
    for meta in typing.get_args(hint)[1:]:
        for constraint in getattr(meta, "metadata", [meta]):
            if hasattr(constraint, "max_length") and constraint.max_length is not None:
                return int(constraint.max_length)
    return None


def _literal_values(annotation: Any) -> list[str] | None:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return [str(value) for value in typing.get_args(annotation)]
    for arg in typing.get_args(annotation) if origin is not None else ():
        values = _literal_values(arg)
        if values:
            return values
    return None


def _json_block(arguments: Mapping[str, Any]) -> str:
    return "```json\n" + json.dumps(arguments, ensure_ascii=False) + "\n```"


def _notes(*slugs: str) -> list[Message]:
    """The named notes as embedded resources (skipping any the notes do not have)."""
    from tools import knowledge

    known = set(knowledge.topic_slugs())
    return [
        UserMessage(
            EmbeddedResource(
                type="resource",
                resource=TextResourceContents(
                    uri=f"notes://{slug}", mime_type="text/markdown", text=knowledge.read_note(slug)
                ),
            )
        )
        for slug in slugs
        if slug in known
    ]
