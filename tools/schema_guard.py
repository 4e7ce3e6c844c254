"""What pydantic's lax mode lets through that a tool must not take: ``true`` or ``false`` where a number is
expected (lax mode reads ``{"kernel_size": true}`` as a 1×1 kernel).

:func:`misplaced_boolean` walks raw arguments (parsed JSON) along the tool's JSON schema and names the first
boolean standing where only a number may; both the CLI path (:func:`tools.catalog.validate_arguments`) and
the MCP server refuse such a call naming that field. Everything else lax mode accepts (``3.0`` or ``"3"``
for an integer) stays accepted: it means what it says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["boolean_refusal", "misplaced_boolean"]

_NUMERIC = {"integer", "number"}


def misplaced_boolean(schema: Mapping[str, Any], arguments: Any) -> tuple[str, str] | None:
    """``(field path, expected type)`` of the first ``true``/``false`` given where ``schema`` wants only a
    number or an integer (``("layers.0.kernel_size", "integer")``); ``None`` when there is none."""
    found = _walk(schema, arguments, schema.get("$defs", {}), ())
    if found is None:
        return None
    path, expected = found
    return ".".join(str(part) for part in path) or "arguments", expected


def _walk(schema: Mapping[str, Any], value: Any, defs: Mapping[str, Any], path: tuple) -> tuple | None:
    schema = _resolve(schema, defs)
    if isinstance(value, bool):
        expected = _numbers_only(schema, defs)
        return (path, expected) if expected else None
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        candidates = [_resolve(branch, defs) for branch in branches]
        candidates = [branch for branch in candidates if _could_be(branch, value)]
        # Flagged only when every branch the value could take flags it: a boolean one branch accepts is fine.
        results = [_walk(branch, value, defs, path) for branch in candidates]
        return results[0] if results and all(result is not None for result in results) else None
    if isinstance(value, Mapping):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, extra if isinstance(extra, Mapping) else None)
            found = _walk(sub, item, defs, (*path, key)) if sub is not None else None
            if found:
                return found
    elif isinstance(value, list):
        prefix = schema.get("prefixItems") or []
        items = schema.get("items")
        for index, item in enumerate(value):
            sub = prefix[index] if index < len(prefix) else items
            found = _walk(sub, item, defs, (*path, index)) if isinstance(sub, Mapping) else None
            if found:
                return found
    return None


def _resolve(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 32:
        schema = defs.get(str(schema["$ref"]).rsplit("/", 1)[-1], {})
        seen += 1
    return schema


def _types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    return set(declared) if isinstance(declared, list) else set()


def _numbers_only(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> str:
    """``"integer"`` or ``"number"`` when the schema takes numbers and no boolean; ``""`` otherwise."""
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        kinds = [_numbers_only(_resolve(branch, defs), defs) for branch in branches]
        takes_boolean = any(_takes_boolean(_resolve(branch, defs)) for branch in branches)
        return "" if takes_boolean else next((kind for kind in kinds if kind), "")
    types = _types(schema)
    if not types & _NUMERIC or _takes_boolean(schema):
        return ""
    return "integer" if types & _NUMERIC == {"integer"} else "number"


def _takes_boolean(schema: Mapping[str, Any]) -> bool:
    allowed = list(schema.get("enum") or ()) + ([schema["const"]] if "const" in schema else [])
    if any(isinstance(item, bool) for item in allowed):
        return True
    return "boolean" in _types(schema) or (not schema.get("type") and not allowed and not schema.get("anyOf"))


def _could_be(branch: Mapping[str, Any], value: Any) -> bool:
    """Whether an object or list ``value`` could be of ``branch``: its JSON type, and for an object its
    fixed-value keys (a discriminator such as ``type``)."""
    if not isinstance(value, Mapping | list):
        return True
    kind = "object" if isinstance(value, Mapping) else "array"
    types = _types(branch)
    if types and kind not in types:
        return False
    for key, sub in (branch.get("properties") or {}).items() if isinstance(value, Mapping) else ():
        fixed = [sub["const"]] if "const" in sub else sub.get("enum")
        if fixed and key in value and value[key] not in fixed:
            return False
    return True


def boolean_refusal(schema: Mapping[str, Any], arguments: Any) -> tuple[str, str] | None:
    """``(field, reason)`` refusing the first misplaced boolean (:func:`misplaced_boolean`), or ``None``."""
    found = misplaced_boolean(schema, arguments)
    if found is None:
        return None
    field, expected = found
    return field, f"must be {'an integer' if expected == 'integer' else 'a number'}, not true or false"
