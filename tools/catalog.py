"""The one registry of tools: everything that exposes ML utilities (MCP server, CLI, offline model, A2A card)
derives from this list and nothing else.

A tool is a plain typed function: its name is the function name, its description the docstring, its input
schema the annotated parameters (``Annotated[..., Field(description=..., ge=..., le=...)]``) and its output
schema the pydantic result model it returns. Expected failures raise :class:`tools.errors.ToolInputError`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError, create_model

from tools import knowledge
from tools.complexity import backbones, layers, network, recurrent
from tools.detection import metrics as detection
from tools.errors import ToolInputError
from tools.finetuning import calculators as finetuning
from tools.inference import memory as inference_memory
from tools.inference import roofline, throughput
from tools.information import gaussian, losses, measures, ood
from tools.optimizers import choice as optimizer_choice
from tools.optimizers import experiments as optimizers
from tools.schema_guard import boolean_refusal
from tools.training import diagnostics, gradients

__all__ = [
    "TOOLS",
    "Theme",
    "ToolSpec",
    "arguments_model",
    "call_tool",
    "get_tool",
    "validate_arguments",
    "validation_problem",
]


class Theme(StrEnum):
    """The themes tools are grouped by (A2A skills, CLI listing, README)."""

    INFORMATION_THEORY = "information theory"
    MODEL_COMPLEXITY = "model complexity"
    FINE_TUNING = "fine-tuning"
    INFERENCE = "inference and deployment"
    OPTIMIZERS = "optimizers"
    TRAINING_DIAGNOSTICS = "training diagnostics"
    OBJECT_DETECTION = "object detection"
    OOD = "out-of-distribution detection"
    NOTES = "notes"


@dataclass(frozen=True)
class ToolSpec:
    """One catalogue entry."""

    fn: Callable[..., BaseModel]
    """The tool function; its signature and docstring are the contract."""
    theme: Theme
    """Which group of the catalogue it belongs to."""
    long_running: bool = False
    """True when a call may take seconds: it reports progress (``tools._common.report_progress``)."""

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def description(self) -> str:
        return inspect.getdoc(self.fn) or ""

    @property
    def summary(self) -> str:
        """The first line of the description."""
        return self.description.split("\n", 1)[0]


TOOLS: tuple[ToolSpec, ...] = (
    # information theory and losses
    ToolSpec(measures.entropy, Theme.INFORMATION_THEORY),
    ToolSpec(measures.cross_entropy, Theme.INFORMATION_THEORY),
    ToolSpec(measures.kl_divergence, Theme.INFORMATION_THEORY),
    ToolSpec(gaussian.gaussian_kl, Theme.INFORMATION_THEORY),
    ToolSpec(losses.classification_loss, Theme.INFORMATION_THEORY),
    ToolSpec(losses.distillation_loss, Theme.INFORMATION_THEORY),
    # layer calculators and backbones
    ToolSpec(layers.conv2d_params, Theme.MODEL_COMPLEXITY),
    ToolSpec(layers.linear_params, Theme.MODEL_COMPLEXITY),
    ToolSpec(recurrent.rnn_params, Theme.MODEL_COMPLEXITY),
    ToolSpec(layers.transformer_params, Theme.MODEL_COMPLEXITY),
    ToolSpec(backbones.list_architectures, Theme.MODEL_COMPLEXITY),
    ToolSpec(backbones.model_complexity, Theme.MODEL_COMPLEXITY),
    ToolSpec(backbones.compare_models, Theme.MODEL_COMPLEXITY, long_running=True),
    ToolSpec(network.custom_network_complexity, Theme.MODEL_COMPLEXITY),
    # fine-tuning
    ToolSpec(finetuning.peft_trainable_params, Theme.FINE_TUNING),
    ToolSpec(finetuning.finetune_memory, Theme.FINE_TUNING),
    # LLM inference and deployment
    ToolSpec(inference_memory.llm_inference_memory, Theme.INFERENCE),
    ToolSpec(roofline.roofline, Theme.INFERENCE),
    ToolSpec(throughput.llm_throughput, Theme.INFERENCE),
    # optimizers
    ToolSpec(optimizer_choice.recommend_optimizer, Theme.OPTIMIZERS),
    ToolSpec(optimizers.compare_optimizers, Theme.OPTIMIZERS, long_running=True),
    ToolSpec(optimizers.learning_rate_sweep, Theme.OPTIMIZERS, long_running=True),
    # training diagnostics
    ToolSpec(diagnostics.diagnose_training, Theme.TRAINING_DIAGNOSTICS),
    ToolSpec(gradients.gradient_flow, Theme.TRAINING_DIAGNOSTICS, long_running=True),
    # object detection
    ToolSpec(detection.detection_metrics, Theme.OBJECT_DETECTION),
    # out-of-distribution detection
    ToolSpec(ood.ood_detect, Theme.OOD),
    # knowledge
    ToolSpec(knowledge.list_topics, Theme.NOTES),
    ToolSpec(knowledge.explain, Theme.NOTES),
)

_BY_NAME: Mapping[str, ToolSpec] = {spec.name: spec for spec in TOOLS}


def get_tool(name: str) -> ToolSpec:
    """The catalogue entry called ``name``; an unknown name raises ToolInputError with close matches."""
    try:
        return _BY_NAME[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(_BY_NAME), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known tools: {', '.join(_BY_NAME)}"
        raise ToolInputError("tool", f"unknown tool {name!r}{hint}") from None


@cache
def arguments_model(name: str) -> type[BaseModel]:
    """The pydantic model of the tool's arguments, built once from its signature (its JSON schema is the
    tool's input schema)."""
    spec = get_tool(name)
    fields: dict[str, Any] = {}
    for param in inspect.signature(spec.fn, eval_str=True).parameters.values():
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (param.annotation, default)
    return create_model(f"{name}_arguments", __config__={"extra": "forbid"}, **fields)


@cache
def _input_schema(name: str) -> dict[str, Any]:
    return arguments_model(name).model_json_schema()


def _field_path(loc: tuple[int | str, ...], given: object) -> str:
    """``("layers", 0, "conv2d", "stride")`` → ``"layers.0.stride"``: follow ``loc`` through the arguments as
    given and keep only the keys and indices found there, dropping the union-branch labels pydantic inserts
    (``conv2d``, ``spec``, ``list[constrained-int]``), so the message names the field the caller wrote."""
    parts: list[str] = []
    for position, part in enumerate(loc, start=1):
        found_in_object = isinstance(given, Mapping) and part in given
        found_in_list = isinstance(given, list) and isinstance(part, int) and 0 <= part < len(given)
        if found_in_object or found_in_list:
            given = given[part]  # type: ignore[index]
        elif not (position == len(loc) and isinstance(given, Mapping)):
            continue  # a branch label, not something the caller wrote (a missing or unknown key is kept)
        parts.append(str(part))
    return ".".join(parts) or "arguments"


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _reason(error: Mapping[str, Any], arguments: list[str]) -> str:
    """One pydantic error as a short reason naming what is allowed (never pydantic's type codes or URLs)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    got = _shown(error.get("input"))
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}; got {got}"
    if kind == "union_tag_invalid":
        field = str(ctx["discriminator"]).strip("'")
        return f"unknown {field} {ctx['tag']!r}; expected one of {ctx['expected_tags']}"
    if kind == "union_tag_not_found":
        return f"needs a {ctx['discriminator']} field"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        if len(error["loc"]) == 1 and arguments:
            return f"is not an argument of this tool (it takes {', '.join(arguments)})"
        return "unknown field"
    message = str(error["msg"])
    return f"{message[:1].lower()}{message[1:]} (got {got})"


def validation_problem(
    exc: ValidationError, *, given: Mapping[str, Any], parameters: list[str]
) -> ToolInputError:
    """Every problem of a failed validation of the arguments ``given`` as one :class:`ToolInputError` on one
    line: each field with its reason and what it allows (``"base: must be one of 'e', '2' or '10'; got
    'x'"``); ``parameters`` (the tool's) are listed when the caller wrote an unknown one. Shared by the CLI
    path (:func:`validate_arguments`) and the MCP adapter, so both word a bad call alike."""
    problems: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False):
        problems.setdefault(_field_path(err["loc"], given), []).append(_reason(err, parameters))
    fields = list(problems)
    reasons = [" or ".join(dict.fromkeys(problems[fields[0]]))]
    reasons += [f"{field}: {' or '.join(dict.fromkeys(problems[field]))}" for field in fields[1:]]
    return ToolInputError(fields[0], "; ".join(reasons))


def validate_arguments(name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``arguments`` (parsed JSON) against the tool's schema; return them as keyword arguments.

    Every problem is reported at once as one :class:`ToolInputError` naming each field and its reason.
    """
    model = arguments_model(name)
    refused = boolean_refusal(_input_schema(name), arguments)
    if refused is not None:  # lax validation would read true as 1
        raise ToolInputError(*refused)
    try:
        validated = model.model_validate(dict(arguments))
    except ValidationError as exc:
        raise validation_problem(exc, given=arguments, parameters=list(model.model_fields)) from None
    return {key: getattr(validated, key) for key in model.model_fields}


def call_tool(name: str, arguments: Mapping[str, Any]) -> BaseModel:
    """Validate the arguments and run the tool (the CLI path; the MCP server validates on its own)."""
    spec = get_tool(name)
    return spec.fn(**validate_arguments(name, arguments))
