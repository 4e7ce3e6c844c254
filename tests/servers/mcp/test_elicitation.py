"""A tool call without a required argument asks the user for it (form elicitation) when the client can be
asked, under both protocol generations; otherwise it fails as it always did."""

from __future__ import annotations

import anyio
import pytest
from mcp import Client
from mcp_types import ElicitRequestFormParams, ElicitResult

# The spec's form-field schema (2025-11-25 PrimitiveSchemaDefinition); the SDK keeps it in an internal module.
from mcp_types._v2025_11_25 import PrimitiveSchemaDefinition
from pydantic import TypeAdapter

from servers.mcp.elicitation import elicitation_form, missing_required
from tools.catalog import TOOLS

MODES = ["auto", "legacy"]  # 2026-07-28: input_required and a retry; 2025-11-25: elicitation/create mid-call
#: Tools whose required parameters cannot be form fields (the spec's forms hold primitives only).
NOT_ELICITABLE = {
    "classification_loss": "logits is a 2-D list",
    "distillation_loss": "student_logits and teacher_logits are 2-D lists",
    "custom_network_complexity": "layers is a list of objects",
    "detection_metrics": "predictions is a list of objects (boxes with scores)",
    "ood_detect": "logits is a 2-D list",
}
_FIELD = TypeAdapter(PrimitiveSchemaDefinition)
_FIELD_KEYS = {"type", "title", "description", "minLength", "maxLength", "format", "minimum", "maximum"}
_FIELD_KEYS |= {"enum"}


class _User:
    """A client's elicitation callback: answers every form with ``action`` and ``content``."""

    def __init__(self, action: str = "accept", content: dict | None = None) -> None:
        self.action, self.content = action, content
        self.asked: list[ElicitRequestFormParams] = []

    async def __call__(self, context, params):
        self.asked.append(params)
        return ElicitResult(action=self.action, content=self.content if self.action == "accept" else None)


@pytest.fixture(scope="module")
def listed_tools(mcp_server) -> dict:
    async def listing():
        async with Client(mcp_server) as client:
            return {tool.name: tool for tool in (await client.list_tools()).tools}

    return anyio.run(listing)


@pytest.mark.parametrize("name", [spec.name for spec in TOOLS])
def test_every_required_parameter_is_a_spec_valid_form_field_or_named_as_not_elicitable(listed_tools, name):
    schema = listed_tools[name].input_schema
    missing = missing_required(schema, {})
    form = elicitation_form(name, schema, missing)
    if name in NOT_ELICITABLE:
        assert form is None
        return
    if not missing:
        assert form is not None and form.fields == ()
        return
    assert form is not None, f"{name}: list it in NOT_ELICITABLE with the reason, or make it elicitable"
    assert form.requested_schema["required"] == missing
    for field in form.requested_schema["properties"].values():
        _FIELD.validate_python(field)
        assert set(field) <= _FIELD_KEYS


@pytest.mark.parametrize("mode", MODES)
async def test_a_missing_list_is_asked_as_text_and_the_tool_runs_with_the_answer(mcp_server, mode):
    user = _User(content={"p": "0.25, 0.25, 0.5"})
    async with Client(mcp_server, mode=mode, elicitation_callback=user) as client:
        result = await client.call_tool("entropy", {"base": "2"})
    assert not result.is_error
    # Hand derivation: H = 0.25·2 + 0.25·2 + 0.5·1 = 1.5 bits.
    assert result.structured_content["entropy"] == pytest.approx(1.5)
    [form] = user.asked
    assert form.message == "entropy needs p to run (missing from the call): please fill in the form."
    assert list(form.requested_schema["properties"]) == ["p"]  # `base` was given; nothing optional is asked
    assert form.requested_schema["properties"]["p"]["type"] == "string"


@pytest.mark.parametrize("mode", MODES)
async def test_a_missing_integer_keeps_its_bounds_in_the_form(mcp_server, mode):
    user = _User(content={"out_features": 10})
    async with Client(mcp_server, mode=mode, elicitation_callback=user) as client:
        result = await client.call_tool("linear_params", {"in_features": 784})
    # torch.nn.Linear(784, 10): 784·10 weights + 10 biases.
    assert result.structured_content["params"] == 7850
    field = user.asked[0].requested_schema["properties"]["out_features"]
    assert (field["type"], field["minimum"], field["maximum"]) == ("integer", 1, 100_000_000)


async def test_an_enum_stays_an_enum_and_several_fields_share_one_form(mcp_server):
    user = _User(content={"kind": "lstm", "input_size": 10, "hidden_size": 20})
    async with Client(mcp_server, mode="legacy", elicitation_callback=user) as client:
        result = await client.call_tool("rnn_params", {})
    # One LSTM layer: 4·(H·(I + H) + 2H) = 4·(20·30 + 40) = 2,560 (torch keeps two bias vectors).
    assert result.structured_content["params"] == 2560
    schema = user.asked[0].requested_schema
    assert schema["required"] == ["kind", "input_size", "hidden_size"]
    assert schema["properties"]["kind"]["enum"] == ["lstm", "gru", "rnn"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_a_declined_or_cancelled_form_is_an_error_naming_the_field(mcp_server, mode, action):
    user = _User(action=action)
    async with Client(mcp_server, mode=mode, elicitation_callback=user) as client:
        result = await client.call_tool("entropy", {})
    verb = {"decline": "declined", "cancel": "cancelled"}[action]
    assert result.is_error
    reason = f"p: required; the form asking for it was {verb}, so entropy did not run"
    assert result.content[0].text.endswith(reason)


async def test_an_answer_that_is_not_a_list_of_numbers_is_named(mcp_server):
    user = _User(content={"p": "0.5, half"})
    async with Client(mcp_server, mode="legacy", elicitation_callback=user) as client:
        result = await client.call_tool("entropy", {})
    assert result.is_error
    assert result.content[0].text.endswith("p: '0.5, half' is not a list of numbers separated by commas")


async def test_the_answer_meets_the_tools_own_validation(mcp_server):
    user = _User(content={"p": "0.5, -0.5"})
    async with Client(mcp_server, mode="legacy", elicitation_callback=user) as client:
        result = await client.call_tool("entropy", {})
    assert result.is_error
    assert result.content[0].text.endswith("p: probabilities cannot be negative; p[1] = -0.5")


async def test_nan_in_a_loss_curve_arrives_as_null_the_divergence_evidence(mcp_server):
    user = _User(content={"train_loss": "2.0, 1.5, nan", "val_loss": "2.1, 1.7, inf"})
    async with Client(mcp_server, mode="legacy", elicitation_callback=user) as client:
        result = await client.call_tool("diagnose_training", {"plot": False})
    assert not result.is_error
    assert result.structured_content["verdict"] == "diverging"


async def test_without_elicitation_support_the_call_fails_as_before(mcp_server):
    async with Client(mcp_server, mode="legacy") as client:
        result = await client.call_tool("entropy", {})
    assert result.is_error
    assert result.content[0].text.endswith("p: is required")


async def test_a_parameter_that_cannot_be_a_form_field_is_not_asked(mcp_server):
    user = _User(content={"logits": "1, 2"})
    async with Client(mcp_server, mode="legacy", elicitation_callback=user) as client:
        result = await client.call_tool("ood_detect", {})
    assert result.is_error and user.asked == []
