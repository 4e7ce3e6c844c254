"""The catalogue's argument validation: one line naming each field and what it allows, and string enums that
accept the numbers they spell."""

from __future__ import annotations

import re
import typing

import pytest

from tests.servers.mcp.calls import VALID_CALLS
from tools.catalog import TOOLS, arguments_model, call_tool, validate_arguments
from tools.errors import ToolInputError


def _problem(name: str, arguments: dict) -> ToolInputError:
    with pytest.raises(ToolInputError) as err:
        validate_arguments(name, arguments)
    return err.value


def test_an_enum_names_its_choices_and_what_was_sent():
    err = _problem("rnn_params", {"kind": "lstmm", "input_size": 3, "hidden_size": 4})
    assert str(err) == "kind: must be one of 'lstm', 'gru' or 'rnn'; got 'lstmm'"


def test_an_unknown_argument_lists_the_tools_arguments():
    err = _problem("entropy", {"p": [1.0], "bse": "2"})
    assert str(err) == "bse: is not an argument of this tool (it takes p, base, normalize)"


def test_union_branch_labels_never_appear_in_the_field_path():
    # pydantic's locations carry branch labels ("spec", "conv2d", "list[...]"); messages name what was sent
    err = _problem("peft_trainable_params", {"method": "lora", "base": {"hidden_size": "a"}})
    assert err.field == "base.hidden_size"
    assert "base.num_layers: is required" in err.reason and ".spec" not in str(err)
    err = _problem(
        "custom_network_complexity", {"layers": [{"type": "conv2d", "bogus": 1}], "input_shape": [1]}
    )
    assert str(err) == (
        "layers.0.out_channels: is required; layers.0.kernel_size: is required; layers.0.bogus: unknown field"
    )
    err = _problem("custom_network_complexity", {"layers": [{"type": "conv9d"}], "input_shape": [1]})
    assert err.field == "layers.0" and err.reason.startswith(
        "unknown type 'conv9d'; expected one of 'conv2d'"
    )


def test_messages_are_one_line_without_pydantic_codes_or_urls():
    for name, arguments in [
        ("entropy", {"p": "x"}),
        ("model_complexity", {"model": "resnet18", "per_layer": "sometimes", "batch_size": 0}),
        ("conv2d_params", {"kernel_size": 3, "in_channels": 3, "out_channels": 3, "padding": [1, -1]}),
    ]:
        text = str(_problem(name, arguments))
        assert "\n" not in text and "http" not in text and "type=" not in text and "input_value" not in text


def _numeric_enum_parameters():
    """(tool, parameter, choice) for every string enum parameter whose choices spell numbers."""

    def choices(annotation) -> list:
        if typing.get_origin(annotation) is typing.Literal:
            return list(typing.get_args(annotation))
        return [c for arg in typing.get_args(annotation) for c in choices(arg)]  # unions, Optional

    return [
        (spec.name, name, choice)
        for spec in TOOLS
        for name, field in arguments_model(spec.name).model_fields.items()
        for choice in choices(field.annotation)
        if isinstance(choice, str) and re.fullmatch(r"\d+(\.\d+)?", choice)
    ]


def test_every_enum_choice_that_spells_a_number_accepts_the_number():
    cases = _numeric_enum_parameters()
    assert ("entropy", "base", "2") in cases and ("entropy", "base", "10") in cases  # the guard sees them
    for tool, parameter, choice in cases:
        number = float(choice) if "." in choice else int(choice)
        arguments = {**VALID_CALLS[tool], parameter: number}  # a valid call with the number swapped in
        assert validate_arguments(tool, arguments)[parameter] == choice


def test_a_number_is_read_as_its_text_only_where_it_names_a_choice():
    assert call_tool("entropy", {"p": [0.5, 0.5], "base": 2}).unit == "bits"
    assert call_tool("entropy", {"p": [0.5, 0.5], "base": 2.0}).unit == "bits"
    with pytest.raises(ToolInputError, match="base: must be one of 'e', '2' or '10'"):
        call_tool("entropy", {"p": [0.5, 0.5], "base": 2.5})
    with pytest.raises(ToolInputError, match="base: must be one of"):
        call_tool("entropy", {"p": [0.5, 0.5], "base": True})  # a boolean is not a number here
    with pytest.raises(ToolInputError, match="kind: must be one of"):
        call_tool("rnn_params", {"kind": 1, "input_size": 3, "hidden_size": 4})  # no choice spells 1
