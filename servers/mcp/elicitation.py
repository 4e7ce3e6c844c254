"""Ask the user for a tool's missing required arguments instead of failing the call (MCP elicitation).

When a ``tools/call`` leaves out required arguments and the client declared form elicitation, the server asks
the client for them with a form built from the tool's own input schema (each missing parameter's type,
title, description, bounds and enum), then runs the tool with the answers merged in — the tool validates them
exactly as it validates any call. A client without elicitation gets the error it always got; so does a call
whose missing argument cannot be a form field (an object, a nested list).

Form fields are the spec's primitives (string, number, integer, boolean, enum). A flat list parameter (``p``
of ``entropy``, ``models`` of ``compare_models``) is asked as text, "0.5, 0.5", and split here.

Both protocol generations: on 2025-11-25 the server sends ``elicitation/create`` to the client mid-call; on
2026-07-28 (no server-to-client requests) the call answers ``input_required`` with the same form, and the
client retries the call with the user's answer (SEP-2322).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import (
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitResult,
    InputRequiredResult,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

__all__ = ["ElicitationForm", "complete_arguments", "elicitation_form", "missing_required"]

#: Key of the one input request this module sends on 2026-07-28 (keys are the server's to choose).
INPUT_KEY: Final = "protoplay/missing_arguments"
_SCALARS = ("string", "number", "integer", "boolean")
#: The JSON Schema keywords a form field may carry (MCP's PrimitiveSchemaDefinition, 2025-11-25).
_FIELD_KEYWORDS = {
    "string": ("title", "description", "minLength", "maxLength", "enum", "default", "format"),
    "number": ("title", "description", "minimum", "maximum", "default"),
    "integer": ("title", "description", "minimum", "maximum", "default"),
    "boolean": ("title", "description", "default"),
}
_STRING_FORMATS = ("email", "uri", "date", "date-time")
_LIST_SEPARATORS = re.compile(r"[\s,;\[\]]+")


@dataclass(frozen=True)
class ElicitationForm:
    """The form asking for one tool call's missing arguments."""

    tool: str
    """The tool being called."""
    fields: tuple[str, ...]
    """The missing parameters, in the tool's order."""
    requested_schema: dict[str, Any]
    """The flat object schema sent to the client (every field required)."""
    parsers: Mapping[str, Callable[[Any], Any]]
    """Per field: the user's answer → the tool's argument (lists arrive as text and are split)."""

    @property
    def message(self) -> str:
        """What the client shows above the form."""
        names = ", ".join(self.fields)
        return f"{self.tool} needs {names} to run (missing from the call): please fill in the form."

    def arguments(self, content: Mapping[str, Any] | None) -> dict[str, Any]:
        """The answered form as tool arguments; a field left out or not parseable names itself."""
        content = content or {}
        values: dict[str, Any] = {}
        for name in self.fields:
            if content.get(name) is None:
                raise ToolError(f"{name}: required, and the answer to the form left it empty")
            values[name] = self.parsers[name](content[name])
        return values


def missing_required(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> list[str]:
    """The required parameters of ``schema`` that ``arguments`` leaves out, in the schema's order."""
    required = schema.get("required") or []
    return [name for name in required if name not in arguments]


def elicitation_form(tool: str, schema: Mapping[str, Any], missing: Sequence[str]) -> ElicitationForm | None:
    """The form asking for ``missing``, or ``None`` when one of them cannot be a form field."""
    properties = schema.get("properties") or {}
    fields: dict[str, dict[str, Any]] = {}
    parsers: dict[str, Callable[[Any], Any]] = {}
    for name in missing:
        converted = _form_field(name, properties.get(name) or {})
        if converted is None:
            return None
        fields[name], parsers[name] = converted
    requested = {"type": "object", "properties": fields, "required": list(fields)}
    return ElicitationForm(tool, tuple(fields), requested, parsers)


async def complete_arguments(
    context: Context, tool: str, schema: Mapping[str, Any], arguments: dict[str, Any]
) -> dict[str, Any] | InputRequiredResult:
    """``arguments`` with the missing required ones asked of the user, when the client can be asked.

    Returns the arguments unchanged when nothing is missing, the client declared no form elicitation or a
    missing parameter cannot be a form field (the tool then rejects the call as before); an
    ``InputRequiredResult`` to return as is on 2026-07-28 until the client retries with the answer. A declined
    or cancelled form raises :class:`ToolError` naming the first missing field.
    """
    missing = missing_required(schema, arguments)
    if not missing or not _supports_form_elicitation(context):
        return arguments
    form = elicitation_form(tool, schema, missing)
    if form is None:
        return arguments
    request = context.request_context
    if request.protocol_version in MODERN_PROTOCOL_VERSIONS:
        answer = (context.input_responses or {}).get(INPUT_KEY)
        if not isinstance(answer, ElicitResult):
            return InputRequiredResult(input_requests={INPUT_KEY: _elicit_request(form)})
    elif request.session.can_send_request:
        answer = await request.session.elicit_form(
            form.message, form.requested_schema, related_request_id=request.request_id
        )
    else:
        return arguments
    if answer.action != "accept":
        verb = "declined" if answer.action == "decline" else "cancelled"
        field = form.fields[0]
        raise ToolError(f"{field}: required; the form asking for it was {verb}, so {tool} did not run")
    return {**arguments, **form.arguments(answer.content)}


# ----------------------------------------------------------------------------------------------- internals


def _supports_form_elicitation(context: Context) -> bool:
    try:
        capabilities = context.client_capabilities
    except ValueError:  # no request (a direct call on the server object)
        return False
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None:
        return False
    # An empty elicitation capability means form mode (2025-11-25, kept for backward compatibility).
    return elicitation.form is not None or elicitation.url is None


def _elicit_request(form: ElicitationForm) -> ElicitRequest:
    return ElicitRequest(
        params=ElicitRequestFormParams(message=form.message, requested_schema=form.requested_schema)
    )


def _form_field(name: str, prop: Mapping[str, Any]) -> tuple[dict[str, Any], Callable[[Any], Any]] | None:
    """One parameter's schema as a form field and the parser of its answer, or ``None``."""
    prop = _single_scalar_arm(prop)
    kind = prop.get("type")
    if kind in _SCALARS:
        field = {"type": kind, **{k: prop[k] for k in _FIELD_KEYWORDS[kind] if k in prop}}
        if kind == "string" and field.get("format") not in (None, *_STRING_FORMATS):
            del field["format"]
        if "enum" in field and not all(isinstance(value, str) for value in field["enum"]):
            return None
        field.setdefault("title", name)
        return field, _identity
    items = prop.get("items") if kind == "array" else None
    item = _single_scalar_arm(items) if isinstance(items, Mapping) else {}
    if item.get("type") in ("number", "integer", "string"):
        description = (prop.get("description") or "").rstrip()
        field = {
            "type": "string",
            "title": prop.get("title") or name,
            "description": f"{description} Separate the values with commas.".strip(),
        }
        nullable = any(arm.get("type") == "null" for arm in (items or {}).get("anyOf") or ())
        return field, _list_parser(name, item["type"], nullable=nullable)
    return None


def _single_scalar_arm(prop: Mapping[str, Any]) -> Mapping[str, Any]:
    """A union with exactly one scalar arm → that arm, keeping the title and description: ``kernel_size``
    (an int or a pair), ``base`` (a preset name or a description object), a nullable number."""
    arms = prop.get("anyOf") or prop.get("oneOf")
    if not isinstance(arms, list):
        return prop
    scalars = [arm for arm in arms if isinstance(arm, Mapping) and arm.get("type") in _SCALARS]
    if len(scalars) != 1:
        return prop
    described = {key: prop[key] for key in ("title", "description", "default") if key in prop}
    return {**scalars[0], **described}


def _identity(value: Any) -> Any:
    return value


def _list_parser(name: str, item_type: str, *, nullable: bool) -> Callable[[Any], list[Any]]:
    noun = {"number": "numbers", "integer": "whole numbers", "string": "values"}[item_type]

    def convert(token: str) -> Any:
        if item_type == "string":
            return token
        if nullable and token.lower() in ("null", "none"):
            return None
        value = int(token) if item_type == "integer" else float(token)
        # JSON has no NaN: a tool that takes NaN as evidence (diagnose_training) asks for null instead.
        return None if nullable and not math.isfinite(value) else value

    def parse(answer: Any) -> list[Any]:
        if isinstance(answer, list):
            tokens = [str(item) for item in answer]
        elif item_type == "string":
            tokens = [token.strip() for token in str(answer).split(",")]
        else:
            tokens = _LIST_SEPARATORS.split(str(answer))
        try:
            return [convert(token) for token in tokens if token]
        except ValueError:
            raise ToolError(f"{name}: {answer!r} is not a list of {noun} separated by commas") from None

    return parse
