"""The MCP server in-process through `mcp.Client`, under both protocol generations (2026-07-28, legacy)."""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import subprocess
import sys
import time
from typing import Annotated
from urllib.parse import quote

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, PromptReference, ResourceTemplateReference
from pydantic import Field

from servers.mcp.server import build_server
from tests.servers.mcp.calls import PROGRESS_CALL, VALID_CALLS
from tools._common import PlotResult, ResultModel, report_progress
from tools.catalog import TOOLS, Theme, ToolSpec, call_tool, validate_arguments
from tools.errors import ToolInputError

MODES = ["auto", "legacy"]  # auto negotiates 2026-07-28 in-process; legacy forces the 2025-11-25 handshake
CATALOGUE = [spec.name for spec in TOOLS]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

_expected: dict[str, dict] = {}


@pytest.fixture(params=MODES)
def connect(request, mcp_server):
    """Open a client on the shared server under one protocol generation.

    (A function, not an async fixture: the client's task group must be entered and left in the test's task.)
    """
    return lambda: Client(mcp_server, mode=request.param)


def _valid_call(name: str) -> dict:
    if name not in VALID_CALLS:
        pytest.fail(f"catalogue tool {name!r} has no entry in tests/servers/mcp/calls.py VALID_CALLS")
    return VALID_CALLS[name]


def _direct(name: str) -> dict:
    """The tool's own answer, called without MCP (computed once, shared by both protocol generations)."""
    if name not in _expected:
        _expected[name] = _without_timings(call_tool(name, _valid_call(name)).model_dump(mode="json"))
    return _expected[name]


def _without_timings(data):
    """Drop wall-clock measurements (e.g. compare_optimizers' per-run `seconds`): the only fields that differ
    between two identical calls."""
    if isinstance(data, dict):
        return {
            key: _without_timings(value)
            for key, value in data.items()
            if not (key == "seconds" or key.endswith(("_seconds", "_ms")) or "elapsed" in key)
        }
    if isinstance(data, list):
        return [_without_timings(item) for item in data]
    return data


# ------------------------------------------------------------------------------------------------- tools


def test_the_valid_call_table_covers_exactly_the_catalogue():
    assert sorted(VALID_CALLS) == sorted(CATALOGUE)


async def test_every_tool_is_listed_with_input_and_output_schemas(connect):
    async with connect() as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert sorted(listed) == sorted(CATALOGUE)
        for spec in TOOLS:
            tool = listed[spec.name]
            assert tool.description == spec.description
            assert tool.input_schema["type"] == "object"
            assert tool.input_schema["additionalProperties"] is False  # unknown names rejected, as on the CLI
            assert tool.output_schema is not None and tool.output_schema["type"] == "object"
            assert tool.annotations.read_only_hint is True
            assert tool.annotations.destructive_hint is False
            assert tool.annotations.idempotent_hint is True
            assert tool.annotations.open_world_hint is False
            assert tool.meta["protoplay/theme"] == str(spec.theme)
            assert tool.meta["protoplay/longRunning"] is spec.long_running
            for name, schema in tool.input_schema["properties"].items():
                assert schema.get("description"), f"{spec.name}.{name} has no description"


@pytest.mark.parametrize("name", CATALOGUE)
async def test_every_tool_answers_its_valid_call_like_the_tool_itself(connect, name):
    async with connect() as client:
        result = await client.call_tool(name, _valid_call(name))
        assert not result.is_error, result.content[0].text
        assert _without_timings(result.structured_content) == _direct(name)
        assert json.loads(result.content[0].text) == result.structured_content


async def test_a_plot_tool_returns_image_content_and_the_numbers(connect):
    async with connect() as client:
        result = await client.call_tool("diagnose_training", VALID_CALLS["diagnose_training"])
        images = [block for block in result.content if block.type == "image"]
        assert len(images) == 1 and images[0].mime_type == "image/png"
        assert base64.b64decode(images[0].data).startswith(PNG_MAGIC)
        assert (
            result.structured_content["verdict"] == "overfitting"
        )  # val turns up at epoch 4 while train falls
        assert "png" not in json.dumps(result.structured_content).lower()


async def test_the_roofline_returns_its_plot_and_the_phases(connect):
    async with connect() as client:
        result = await client.call_tool("roofline", VALID_CALLS["roofline"])
        images = [block for block in result.content if block.type == "image"]
        assert len(images) == 1 and base64.b64decode(images[0].data).startswith(PNG_MAGIC)
        phases = {p["phase"]: p for p in result.structured_content["phases"]}
        assert phases["prefill"]["bound"] == "compute" and phases["decode"]["bound"] == "memory"


async def test_plot_false_returns_no_image(connect):
    async with connect() as client:
        result = await client.call_tool(
            "diagnose_training", {**VALID_CALLS["diagnose_training"], "plot": False}
        )
        assert not result.is_error
        assert [block.type for block in result.content] == ["text"]


# -------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("name", "arguments", "field"),
    [
        ("entropy", {"p": "0.5, 0.5"}, "p"),  # wrong type (schema)
        ("entropy", {"p": [0.5, -0.5]}, "p"),  # negative probability (the tool's own check)
        ("entropy", {"p": [0.5, 0.4]}, "p"),  # does not sum to 1 (the tool's own check)
        ("entropy", {}, "p"),  # missing required field
        ("entropy", {"p": [1.0], "normalise": True}, "normalise"),  # misspelt optional argument
        ("linear_params", {"in_features": 0, "out_features": 10}, "in_features"),  # below the bound
        ("gradient_flow", {"depth": 6, "width": 16, "activation": "swish"}, "activation"),  # not in the enum
        ("model_complexity", {"model": "resnet5000"}, "model"),  # unknown architecture
        ("explain", {"topic": "no such topic at all"}, "topic"),  # unknown topic
        ("llm_inference_memory", {"model": "llama-2-7b", "context_len": 32768}, "context_len"),  # > maximum
        ("roofline", {"model": "llama-2-7b", "gpu": "tpu-v9"}, "gpu"),  # unknown GPU
        ("llm_throughput", {"model": "llama-2-7b", "gpu": "l4", "num_gpus": 3}, "num_gpus"),  # 32 heads / 3
    ],
)
async def test_invalid_arguments_are_an_error_result_naming_the_field(connect, name, arguments, field):
    async with connect() as client:
        result = await client.call_tool(name, arguments)
        assert result.is_error
        text = result.content[0].text
        assert text.startswith(f"Error executing tool {name}")
        assert field in text


async def test_the_tool_error_text_is_the_tools_own_message(connect):
    async with connect() as client:
        with pytest.raises(ToolInputError) as direct:
            call_tool("entropy", {"p": [0.5, 0.4]})
        result = await client.call_tool("entropy", {"p": [0.5, 0.4]})
        assert result.content[0].text == f"Error executing tool entropy: {direct.value}"


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("entropy", {"p": [0.5, 0.5], "base": "3"}, "base: must be one of 'e', '2' or '10'; got '3'"),
        ("rnn_params", {"kind": "lstmm", "input_size": 3, "hidden_size": 4}, "kind: must be one of 'lstm'"),
        ("entropy", {"q": [1.0]}, "p: is required; q: is not an argument of this tool (it takes p, base"),
        (
            "custom_network_complexity",
            {"layers": [{"type": "conv3d"}], "input_shape": [3, 8, 8]},
            "layers.0: unknown type 'conv3d'; expected one of 'conv2d'",
        ),
        ("model_complexity", {"model": "resnet18", "batch_size": 0}, "batch_size: input should be greater"),
    ],
)
async def test_schema_errors_read_like_the_cli_one_line_no_pydantic_urls(connect, name, arguments, expected):
    with pytest.raises(ToolInputError) as direct:
        call_tool(name, arguments)  # the CLI path
    async with connect() as client:
        result = await client.call_tool(name, arguments)
    text = result.content[0].text
    assert result.is_error and text == f"Error executing tool {name}: {direct.value}"
    assert expected in text
    assert "\n" not in text and "pydantic" not in text and "http" not in text and "type=" not in text


async def test_an_enum_choice_written_as_a_number_is_accepted(connect):
    # "base": 2 is what models and the MCP Inspector send for the choice "2"; 10.0 likewise means "10"
    async with connect() as client:
        bits = await client.call_tool("entropy", {"p": [0.5, 0.5], "base": 2})
        hartleys = await client.call_tool("entropy", {"p": [0.5, 0.5], "base": 10.0})
        three = await client.call_tool("entropy", {"p": [0.5, 0.5], "base": 3})
    assert not bits.is_error and bits.structured_content["unit"] == "bits"
    assert bits.structured_content["entropy"] == 1.0  # a fair coin: 1 bit (hand derivation)
    assert hartleys.structured_content["unit"] == "hartleys"
    assert three.is_error and "base: must be one of 'e', '2' or '10'" in three.content[0].text


def crashing_tool(x: Annotated[int, Field(ge=0, le=10, description="Anything.")]) -> ResultModel:
    """A tool with a bug."""
    raise RuntimeError(f"secret internal detail {x}")


async def test_an_unexpected_exception_is_logged_and_answered_with_a_short_generic_error(caplog):
    server = build_server(tools=[ToolSpec(crashing_tool, Theme.NOTES), *TOOLS[:1]])
    with caplog.at_level(logging.ERROR):
        async with Client(server) as client:
            result = await client.call_tool("crashing_tool", {"x": 3})
            assert result.is_error
            assert result.content[0].text == "Error executing tool crashing_tool"
            assert "secret" not in result.content[0].text
            again = await client.call_tool("entropy", VALID_CALLS["entropy"])  # the server lives on
            assert not again.is_error
    assert any(record.exc_info for record in caplog.records)
    assert "RuntimeError: secret internal detail 3" in caplog.text  # the traceback stays on the server


class _Ratio(ResultModel):
    ratio: float = Field(description="A number that should be finite.")


def nan_tool(x: Annotated[float, Field(description="Anything.")]) -> _Ratio:
    """A tool with a bug: its result holds NaN, which JSON cannot carry."""
    return _Ratio(ratio=math.nan)


async def test_a_non_finite_result_is_a_crash_not_output(caplog):
    async with Client(build_server(tools=[ToolSpec(nan_tool, Theme.NOTES)])) as client:
        with caplog.at_level(logging.ERROR):
            result = await client.call_tool("nan_tool", {"x": 1.0})
    assert result.is_error and result.content[0].text == "Error executing tool nan_tool"
    assert "Out of range float values are not JSON compliant" in caplog.text


def test_the_closed_input_schema_is_what_pydantic_derives():
    from servers.mcp.tools import catalogue_tool

    for spec in TOOLS:
        tool = catalogue_tool(spec)
        assert tool.parameters == tool.fn_metadata.arg_model.model_json_schema(by_alias=True), spec.name


def test_a_tool_that_breaks_the_conventions_is_refused_at_build_time():
    def untyped(x: Annotated[int, Field(description="x")]):
        """No result model."""

    with pytest.raises(TypeError, match="untyped"):
        build_server(tools=[ToolSpec(untyped, Theme.NOTES)])


# ---------------------------------------------------------------------------------- progress, cancelling


async def test_a_long_tool_reports_progress(connect):
    async with connect() as client:
        name, arguments = PROGRESS_CALL
        reports: list[tuple[float, float | None, str | None]] = []

        async def on_progress(progress, total, message):
            reports.append((progress, total, message))

        result = await client.call_tool(name, arguments, progress_callback=on_progress)
        assert not result.is_error
        assert len(reports) >= 2
        assert [p for p, _, _ in reports] == sorted({p for p, _, _ in reports})  # strictly increasing
        assert reports[-1][0] == reports[-1][1]  # the last report says done


_slow_steps: list[int] = []


class _Count(PlotResult):
    steps: int = Field(description="Steps run.")


def slow_tool(steps: Annotated[int, Field(ge=1, le=10_000, description="Steps of 10 ms.")]) -> _Count:
    """A long tool: reports progress every 10 ms step."""
    for step in range(steps):
        _slow_steps.append(step)
        report_progress(step + 1, steps, f"step {step + 1}")
        time.sleep(0.01)
    return _Count(steps=steps)


@pytest.mark.parametrize("mode", MODES)
async def test_cancelling_a_call_stops_the_tool_at_its_next_report(mode):
    server = build_server(tools=[ToolSpec(slow_tool, Theme.NOTES, long_running=True)])
    _slow_steps.clear()
    async with Client(server, mode=mode) as client:
        started = anyio.Event()

        async def on_progress(progress, total, message):
            started.set()

        async with anyio.create_task_group() as group:
            group.start_soon(
                lambda: client.call_tool("slow_tool", {"steps": 1000}, progress_callback=on_progress)
            )
            with anyio.fail_after(10):
                await started.wait()
            group.cancel_scope.cancel()
        await anyio.sleep(0.2)  # 20 more steps if the tool kept running
        steps_after_cancel = len(_slow_steps)
        await anyio.sleep(0.2)
        assert len(_slow_steps) == steps_after_cancel < 10
        assert not (await client.call_tool("slow_tool", {"steps": 2})).is_error  # the server still answers


async def test_cancelling_a_real_long_tool_stops_it_between_optimizers(mcp_server, monkeypatch):
    from servers.mcp import tools as mcp_tools

    reports: list[str] = []
    forward = mcp_tools._ProgressBridge.__call__

    def recorded(self, done, total=None, message=None):
        try:
            forward(self, done, total, message)
        except BaseException as exc:
            reports.append(f"raised {type(exc).__name__}")
            raise
        reports.append(f"reported {done}/{total}")

    monkeypatch.setattr(mcp_tools._ProgressBridge, "__call__", recorded)
    arguments = {"problem": "rosenbrock", "steps": 5000, "plot": False}  # 7 runs of ~0.4 s each
    async with Client(mcp_server) as client:
        started = anyio.Event()

        async def on_progress(progress, total, message):
            started.set()

        async with anyio.create_task_group() as group:
            group.start_soon(
                lambda: client.call_tool("compare_optimizers", arguments, progress_callback=on_progress)
            )
            with anyio.fail_after(20):
                await started.wait()
            group.cancel_scope.cancel()
        with anyio.fail_after(10):  # the run in progress finishes, then the next report stops the tool
            while not reports[-1].startswith("raised"):
                await anyio.sleep(0.05)
        settled = list(reports)
        await anyio.sleep(1.0)  # two more optimizers' worth of time
        assert reports == settled, reports
        assert len([r for r in reports if r.startswith("reported")]) < 7, reports


# --------------------------------------------------------------------------------------------- resources


async def test_every_note_and_architecture_is_listed_as_a_resource(connect):
    async with connect() as client:
        from tools.complexity.backbones import architecture_names
        from tools.knowledge import topic_slugs

        resources = {str(resource.uri): resource for resource in (await client.list_resources()).resources}
        assert {f"notes://{slug}" for slug in topic_slugs()} <= set(resources)
        assert {f"arch://{quote(name, safe='')}" for name in architecture_names()} <= set(resources)
        assert len(resources) == len(topic_slugs()) + len(architecture_names())
        assert all(resource.mime_type == "text/markdown" for resource in resources.values())
        templates = {
            template.uri_template for template in (await client.list_resource_templates()).resource_templates
        }
        assert templates == {"notes://{topic}", "arch://{name}"}


async def test_a_note_reads_as_its_markdown(connect):
    async with connect() as client:
        from tools.knowledge import read_note

        contents = (await client.read_resource("notes://lora")).contents
        assert contents[0].text == read_note("lora")
        assert contents[0].mime_type == "text/markdown"
        by_alias = (await client.read_resource("notes://KL散度")).contents  # through the template
        assert by_alias[0].text == read_note("cross-entropy-vs-kl")


async def test_an_architecture_reads_as_its_layer_table(connect):
    async with connect() as client:
        from tools.complexity.backbones import model_complexity

        expected = model_complexity(model="LeNet-5", per_layer=True)
        text = (await client.read_resource("arch://LeNet-5")).contents[0].text
        assert text.startswith("# LeNet-5")
        assert f"| params | {expected.params:,} |" in text
        assert text.count("\n|") > len(expected.layers)  # a row per layer, plus the summary table


async def test_an_unknown_resource_is_invalid_params_with_the_closest_names(connect):
    async with connect() as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource("notes://lorra")
        assert caught.value.code == INVALID_PARAMS
        assert "lora" in caught.value.message


async def test_resource_template_arguments_complete(connect):
    async with connect() as client:
        notes = await client.complete(
            ResourceTemplateReference(type="ref/resource", uri="notes://{topic}"),
            {"name": "topic", "value": "lo"},
        )
        assert "lora" in notes.completion.values and "longlora" in notes.completion.values
        arch = await client.complete(
            ResourceTemplateReference(type="ref/resource", uri="arch://{name}"),
            {"name": "name", "value": "res"},
        )
        assert "ResNet-50" in arch.completion.values
        assert all(value.lower().startswith("res") for value in arch.completion.values)


# ------------------------------------------------------------------------------------------------ prompts

PROMPT_ARGUMENTS = {
    "diagnose-training": {"train_loss": "2.0, 1.5, 1.1, 0.9", "val_loss": "2.1 1.7 1.6 nan"},
    "choose-backbone": {"max_params_millions": "5", "device": "phone", "input_size": "224x224"},
    "plan-finetune": {"params_billion": "7", "gpu_memory_gb": "24", "seq_len": "1024"},
    "pick-optimizer": {"task": "nlp", "model_family": "transformer"},
    "plan-deployment": {
        "model": "llama-3.1-8b",
        "gpu": "l40s",
        "target_tpot_ms": "40",
        "context_len": "8192",
    },
}


def _json_blocks(text: str) -> list[dict]:
    """The ```json blocks of a prompt: the exact tool arguments it asks the model to use."""
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, flags=re.DOTALL)]


def _calls(text: str) -> list[tuple[str, dict]]:
    """Each ```json block with the tool the prompt names (in backticks) last before it."""
    calls = []
    for match in re.finditer(r"```json\n(.*?)\n```", text, flags=re.DOTALL):
        tools = re.findall(r"`([a-z_]+)`", text[: match.start()])
        calls.append((tools[-1], json.loads(match.group(1))))
    return calls


async def test_the_prompts_are_listed_with_their_arguments(connect):
    async with connect() as client:
        prompts = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
        assert sorted(prompts) == sorted(PROMPT_ARGUMENTS)
        for prompt in prompts.values():
            assert prompt.description and prompt.arguments
            assert "\n    " not in prompt.description  # the docstring cleaned, as for tools
            assert all(argument.description for argument in prompt.arguments)
        assert {a.name for a in prompts["plan-finetune"].arguments if a.required} == {
            "params_billion",
            "gpu_memory_gb",
        }


@pytest.mark.parametrize("name", sorted(PROMPT_ARGUMENTS))
async def test_a_prompt_renders_tool_calls_the_tool_accepts(connect, name):
    async with connect() as client:
        rendered = await client.get_prompt(name, PROMPT_ARGUMENTS[name])
        first = rendered.messages[0]
        assert first.role == "user"
        calls = _calls(first.content.text)
        assert calls, "the prompt names no concrete tool call"
        for tool, arguments in calls:
            validate_arguments(tool, arguments)  # raises if the prompt suggests a rejected call
        notes = [m.content for m in rendered.messages[1:]]
        assert notes and all(
            block.type == "resource" and block.resource.uri.startswith("notes://") for block in notes
        )


async def test_a_prompt_carries_the_users_numbers_into_the_call(connect):
    async with connect() as client:
        rendered = await client.get_prompt("diagnose-training", PROMPT_ARGUMENTS["diagnose-training"])
        (arguments,) = _json_blocks(rendered.messages[0].content.text)
        assert arguments == {
            "train_loss": [2.0, 1.5, 1.1, 0.9],
            "val_loss": [2.1, 1.7, 1.6, None],
        }  # nan → null


async def test_choose_backbone_compares_the_curated_zoo(connect):
    async with connect() as client:
        from tools.complexity.backbones import architecture_names

        rendered = await client.get_prompt("choose-backbone", {"max_params_millions": "5"})
        calls = _json_blocks(rendered.messages[0].content.text)
        names = [name for call in calls for name in call["models"]]
        assert names == architecture_names(curated_only=True)  # the backbones the notes discuss
        assert all(call["max_params_millions"] == 5 for call in calls)  # the plots draw the budget
        assert "at most 5 M parameters" in rendered.messages[0].content.text


@pytest.mark.parametrize(
    ("name", "arguments", "field"),
    [
        ("diagnose-training", {"train_loss": "1, 0.5, x", "val_loss": "1, 1, 1"}, "train_loss"),
        ("diagnose-training", {"train_loss": "1, 0.5, 0.4", "val_loss": "1"}, "val_loss"),
        ("plan-finetune", {"params_billion": "-7", "gpu_memory_gb": "24"}, "params_billion"),
        ("pick-optimizer", {"task": "knitting"}, "task"),
        ("plan-deployment", {"model": "gpt-5", "gpu": "h100"}, "model"),
        ("plan-deployment", {"model": "llama-2-7b", "gpu": "h100", "context_len": "32768"}, "context_len"),
        ("plan-deployment", {"model": "llama-2-7b", "gpu": "h100", "num_gpus": "3"}, "num_gpus"),
        ("plan-deployment", {"model": "7B", "gpu": "tpu-v9"}, "gpu"),
    ],
)
async def test_a_bad_prompt_argument_is_invalid_params_naming_it(connect, name, arguments, field):
    async with connect() as client:
        with pytest.raises(MCPError) as caught:
            await client.get_prompt(name, arguments)
        assert caught.value.code == INVALID_PARAMS
        assert caught.value.message.startswith(f"{field}:")


async def test_plan_deployment_walks_memory_roofline_and_throughput(connect):
    async with connect() as client:
        rendered = await client.get_prompt("plan-deployment", PROMPT_ARGUMENTS["plan-deployment"])
        text = rendered.messages[0].content.text
        calls = _calls(text)
        assert [tool for tool, _ in calls] == ["llm_inference_memory"] * 2 + ["roofline", "llm_throughput"]
        assert [arguments.get("quantization") for _, arguments in calls[:2]] == ["none", "awq"]
        throughput = calls[-1][1]
        assert (
            throughput["target_tpot_ms"] == 40 and throughput["prompt_len"] + throughput["output_len"] == 8192
        )
        for tool, arguments in calls:  # every suggested call runs
            assert call_tool(tool, {**arguments, "plot": False} if tool == "roofline" else arguments)
        assert "serve llama-3.1-8b on one l40s at no more than 40 ms per output token" in text
        notes = {m.content.resource.uri for m in rendered.messages[1:]}
        assert notes == {"notes://roofline", "notes://kv-cache", "notes://inference-quantization"}
        bare = await client.get_prompt("plan-deployment", {"model": "7B", "gpu": "t4"})
        (first, *_) = _calls(bare.messages[0].content.text)
        assert first[1]["params_billion"] == 7 and first[1]["dtype"] == "fp16"  # the T4 has no bf16


async def test_enum_prompt_arguments_complete_from_the_tool_schema(connect):
    async with connect() as client:
        completed = await client.complete(
            PromptReference(type="ref/prompt", name="pick-optimizer"), {"name": "model_family", "value": "tr"}
        )
        assert completed.completion.values == ["transformer"]


# --------------------------------------------------------------------------------------------- start-up


def test_building_and_listing_imports_no_torch_torchvision_or_matplotlib():
    script = (
        "import sys, anyio\n"
        "from mcp import Client\n"
        "from servers.mcp.server import build_server\n"
        "async def main():\n"
        "    async with Client(build_server()) as c:\n"
        "        await c.list_tools(); await c.list_resources(); await c.list_prompts()\n"
        "anyio.run(main)\n"
        "print(sorted(m for m in ('torch', 'torchvision', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]", out.stderr
