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
from tools.complexity import backbones, layers
from tools.errors import ToolInputError
from tools.finetuning import calculators as finetuning
from tools.information import losses, measures, ood
from tools.optimizers import choice as optimizer_choice
from tools.optimizers import experiments as optimizers
from tools.training import diagnostics, gradients

__all__ = ["TOOLS", "Theme", "ToolSpec", "arguments_model", "call_tool", "get_tool", "validate_arguments"]


class Theme(StrEnum):
    """The themes tools are grouped by (A2A skills, CLI listing, README)."""

    INFORMATION_THEORY = "information theory"
    MODEL_COMPLEXITY = "model complexity"
    FINE_TUNING = "fine-tuning"
    OPTIMIZERS = "optimizers"
    TRAINING_DIAGNOSTICS = "training diagnostics"
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
    ToolSpec(losses.classification_loss, Theme.INFORMATION_THEORY),
    ToolSpec(losses.distillation_loss, Theme.INFORMATION_THEORY),
    # layer calculators and backbones
    ToolSpec(layers.conv2d_params, Theme.MODEL_COMPLEXITY),
    ToolSpec(layers.linear_params, Theme.MODEL_COMPLEXITY),
    ToolSpec(layers.rnn_params, Theme.MODEL_COMPLEXITY),
    ToolSpec(layers.transformer_params, Theme.MODEL_COMPLEXITY),
    ToolSpec(backbones.list_architectures, Theme.MODEL_COMPLEXITY),
    ToolSpec(backbones.model_complexity, Theme.MODEL_COMPLEXITY),
    ToolSpec(backbones.compare_models, Theme.MODEL_COMPLEXITY, long_running=True),
    ToolSpec(backbones.custom_network_complexity, Theme.MODEL_COMPLEXITY),
    # fine-tuning
    ToolSpec(finetuning.peft_trainable_params, Theme.FINE_TUNING),
    ToolSpec(finetuning.finetune_memory, Theme.FINE_TUNING),
    # optimizers
    ToolSpec(optimizer_choice.recommend_optimizer, Theme.OPTIMIZERS),
    ToolSpec(optimizers.compare_optimizers, Theme.OPTIMIZERS, long_running=True),
    ToolSpec(optimizers.learning_rate_sweep, Theme.OPTIMIZERS, long_running=True),
    # training diagnostics
    ToolSpec(diagnostics.diagnose_training, Theme.TRAINING_DIAGNOSTICS),
    ToolSpec(gradients.gradient_flow, Theme.TRAINING_DIAGNOSTICS, long_running=True),
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


def _field_path(loc: tuple[int | str, ...]) -> str:
    """``("padding", "list[constrained-int]", 0)`` → ``"padding.0"``: keep field names and list indices only,
    dropping the union-branch labels pydantic inserts, so the message names the field the caller wrote."""
    parts = [str(part) for part in loc if isinstance(part, int) or str(part).isidentifier()]
    return ".".join(parts) or "arguments"


def validate_arguments(name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``arguments`` (parsed JSON) against the tool's schema; return them as keyword arguments.

    Every problem is reported at once as one :class:`ToolInputError` naming each field and its reason.
    """
    model = arguments_model(name)
    try:
        validated = model.model_validate(dict(arguments))
    except ValidationError as exc:
        problems: dict[str, list[str]] = {}
        for err in exc.errors(include_url=False):
            problems.setdefault(_field_path(err["loc"]), []).append(err["msg"])
        fields = list(problems)
        reasons = [" or ".join(dict.fromkeys(problems[fields[0]]))]
        reasons += [f"{field}: {' or '.join(dict.fromkeys(problems[field]))}" for field in fields[1:]]
        raise ToolInputError(fields[0], "; ".join(reasons)) from None
    return {key: getattr(validated, key) for key in model.model_fields}


def call_tool(name: str, arguments: Mapping[str, Any]) -> BaseModel:
    """Validate the arguments and run the tool (the CLI path; the MCP server validates on its own)."""
    spec = get_tool(name)
    return spec.fn(**validate_arguments(name, arguments))
