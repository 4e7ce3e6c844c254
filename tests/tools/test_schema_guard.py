"""Booleans are not numbers: `{"kernel_size": true}` is refused naming the field (pydantic's lax mode would
read it as 1); booleans where booleans belong pass. (Over MCP: tests/servers/mcp/test_strict_arguments.py.)"""

from __future__ import annotations

import pytest

from tests.servers.mcp.calls import VALID_CALLS
from tools.catalog import TOOLS, arguments_model, validate_arguments
from tools.errors import ToolInputError
from tools.schema_guard import misplaced_boolean


def _numeric_fields(name: str) -> list[str]:
    """Top-level fields of the tool that take a number or an integer and never a boolean."""
    schema = arguments_model(name).model_json_schema()
    flagged = (misplaced_boolean(schema, VALID_CALLS[name] | {field: True}) for field in schema["properties"])
    return [found[0] for found in flagged if found is not None]


def test_no_valid_call_of_the_catalogue_is_flagged():
    for spec in TOOLS:
        assert (
            misplaced_boolean(arguments_model(spec.name).model_json_schema(), VALID_CALLS[spec.name]) is None
        )


@pytest.mark.parametrize("name", [spec.name for spec in TOOLS])
def test_true_for_any_numeric_field_is_refused_naming_it(name):
    for field in _numeric_fields(name):
        with pytest.raises(ToolInputError) as refused:
            validate_arguments(name, VALID_CALLS[name] | {field: True})
        assert refused.value.field == field and "not true or false" in refused.value.reason


def test_the_numeric_fields_found_include_the_obvious_ones():
    # Guard on the walker itself: these fields are plain integers or numbers in their signatures.
    assert {"kernel_size", "in_channels", "out_channels", "groups"} <= set(_numeric_fields("conv2d_params"))
    assert {"depth", "width", "clip_norm", "seed"} <= set(_numeric_fields("gradient_flow"))
    assert "plot" not in _numeric_fields("gradient_flow") and "bias" not in _numeric_fields("conv2d_params")


@pytest.mark.parametrize(
    ("name", "arguments", "field"),
    [
        ("conv2d_params", {"kernel_size": [3, False], "in_channels": 3, "out_channels": 8}, "kernel_size.1"),
        (
            "custom_network_complexity",
            {
                "input_shape": [1, 32, 32],
                "layers": [{"type": "conv2d", "out_channels": 6, "kernel_size": True}],
            },
            "layers.0.kernel_size",
        ),
        ("entropy", {"p": [0.5, True]}, "p.1"),
        ("diagnose_training", {"train_loss": [1.0, 0.5], "val_loss": [1.0, False]}, "val_loss.1"),
    ],
    ids=["pair-element", "nested-layer", "list-element", "curve-value"],
)
def test_booleans_inside_lists_and_nested_objects_are_refused(name, arguments, field):
    with pytest.raises(ToolInputError) as refused:
        validate_arguments(name, arguments)
    assert refused.value.field == field


def test_booleans_where_booleans_belong_pass():
    validated = validate_arguments(
        "conv2d_params", {"kernel_size": 3, "in_channels": 3, "out_channels": 8, "bias": False}
    )
    assert validated["bias"] is False and validated["kernel_size"] == 3
