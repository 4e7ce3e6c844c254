"""Node MCP clients nobody here wrote against `protoplay serve mcp`: the TypeScript SDK over streamable HTTP,
and the MCP Inspector CLI over stdio — 2.x (Node ≥ 22) and 0.15 (what `npx` resolves on Node 20), which
parse `--tool-arg` values differently (the README's quoting note)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers.mcp.calls import PROGRESS_CALL, VALID_CALLS
from tests.servers.mcp.conftest import MCP_NODE
from tools.catalog import TOOLS


@pytest.fixture(scope="module")
def sdk_report(node_clients, mcp_http_url) -> dict:
    """What the TypeScript SDK observed (node/sdk_probe.mjs): every valid call, logs, progress, elicitation,
    resources, a prompt and three mistakes."""
    run = subprocess.run(
        [node_clients.bin / "node", MCP_NODE / "sdk_probe.mjs", mcp_http_url],
        input=json.dumps({"valid": VALID_CALLS, "progress": PROGRESS_CALL}),
        capture_output=True,
        text=True,
        timeout=300,
        env=node_clients.env,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def test_the_sdk_sees_the_capabilities_including_logging(sdk_report):
    assert sdk_report["serverInfo"]["name"] == "protoplay"
    assert set(sdk_report["capabilities"]) >= {"tools", "resources", "prompts", "completions", "logging"}


def test_every_tool_answers_with_structured_content_the_sdk_validates(sdk_report):
    # The SDK checks each structuredContent against the listed outputSchema and throws on a mismatch.
    assert [tool["name"] for tool in sdk_report["tools"]] == [spec.name for spec in TOOLS]
    assert all(tool["hasOutputSchema"] for tool in sdk_report["tools"])
    failed = {name: call for name, call in sdk_report["calls"].items() if "thrown" in call or call["isError"]}
    assert failed == {}
    assert all(call["structured"] for call in sdk_report["calls"].values())


def test_plotting_tools_send_a_png_image_beside_the_numbers(sdk_report):
    images = {name for name, call in sdk_report["calls"].items() if call["imageMime"] == "image/png"}
    assert {"diagnose_training", "compare_optimizers", "gradient_flow"} <= images


def test_a_long_tool_sends_progress_and_logs_what_it_is_doing(sdk_report):
    progress = [update["progress"] for update in sdk_report["progress"]]
    assert progress == sorted(progress) and len(progress) >= 2
    assert sdk_report["progress"][-1]["progress"] == sdk_report["progress"][-1]["total"]
    lines = [entry["data"] for entry in sdk_report["logs"]]
    assert len(lines) >= 3
    assert lines[0] == "learning_rate_sweep: started"
    assert lines[-1].startswith("learning_rate_sweep: finished in ")


def test_a_missing_argument_is_asked_through_the_sdks_elicitation_handler(sdk_report):
    elicitation = sdk_report["elicitation"]
    [form] = elicitation["forms"]
    assert form["requestedSchema"]["required"] == ["p"]
    assert not elicitation["isError"]
    assert elicitation["structured"]["entropy"] == pytest.approx(1.5)  # the probe answers p = 0.25, 0.25, 0.5


def test_notes_and_layer_tables_read_and_complete(sdk_report):
    resources = sdk_report["resources"]
    assert resources["templates"] == ["notes://{topic}", "arch://{name}"]
    assert resources["note"]["mimeType"] == "text/markdown"
    assert resources["note"]["head"].startswith("# LoRA")
    assert resources["table"]["head"].startswith("# LeNet-5")
    assert "ResNet-50" in sdk_report["completion"]["values"]


def test_a_prompt_renders_with_its_note_embedded(sdk_report):
    assert sdk_report["prompt"][0] == {"role": "user", "type": "text", "uri": None}
    assert {"role": "user", "type": "resource", "uri": "notes://peft"} in sdk_report["prompt"]


def test_mistakes_reach_the_sdk_as_invalid_params(sdk_report):
    errors = sdk_report["errors"]
    assert {error["code"] for error in errors.values()} == {-32602}
    assert "did you mean 'plan-finetune'?" in errors["unknownPrompt"]["message"]
    assert "gpu_memory_gb: required by plan-finetune" in errors["missingPromptArgument"]["message"]
    assert "protoplay serves notes://{topic} and arch://{name}" in errors["unknownResource"]["message"]


# ------------------------------------------------------------------------------------ MCP Inspector CLI

KL_CALL = ["--method", "tools/call", "--tool-name", "kl_divergence"]
KL_CALL += ["--tool-arg", "p=[0.5,0.5]", "--tool-arg", "q=[0.9,0.1]"]


def _inspector(executable: Path, env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    protoplay = shutil.which("protoplay", path=str(Path(sys.executable).parent))
    assert protoplay is not None
    return subprocess.run(
        [executable, "--cli", protoplay, "serve", "mcp", *arguments],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def _tool_result(run: subprocess.CompletedProcess) -> dict:
    start = run.stdout.index("{")
    result, _ = json.JSONDecoder().raw_decode(run.stdout[start:])
    return result


@pytest.fixture(scope="module", params=["2.x", "0.15"])
def inspector(request, node_clients) -> tuple[str, Path, dict[str, str]]:
    if request.param == "2.x":
        return "2.x", node_clients.bin / "mcp-inspector", node_clients.env
    return "0.15", node_clients.inspector_0_15, node_clients.env


def test_the_inspector_lists_every_tool(inspector):
    _, executable, env = inspector
    run = _inspector(executable, env, "--method", "tools/list")
    assert [tool["name"] for tool in _tool_result(run)["tools"]] == [spec.name for spec in TOOLS]


def test_the_inspector_reads_a_note_and_renders_a_prompt(inspector):
    _, executable, env = inspector
    note = _tool_result(_inspector(executable, env, "--method", "resources/read", "--uri", "notes://lora"))
    assert note["contents"][0]["text"].startswith("# LoRA")
    prompt = _tool_result(
        _inspector(
            executable,
            env,
            *("--method", "prompts/get", "--prompt-name", "plan-finetune"),
            *("--prompt-args", "params_billion=7", "gpu_memory_gb=24"),
        )
    )
    assert "finetune_memory" in prompt["messages"][0]["content"]["text"]


def test_a_string_enum_value_is_written_bare_for_both_versions(inspector):
    """The README's quoting note: Inspector 0.15 converts a tool-arg value by the tool's schema, 2.x parses
    it as JSON (a bare 2 is the number 2, which the server accepts for the enum string '2'); so `base=2` works
    with both, while a quoted `base="2"` works only with 2.x (0.15 sends the quotes as part of the string)."""
    version, executable, env = inspector
    # Hand derivation: KL(p‖q) = ½·log2(0.5/0.9) + ½·log2(0.5/0.1) bits.
    expected = 0.5 * math.log2(0.5 / 0.9) + 0.5 * math.log2(0.5 / 0.1)
    answer = _tool_result(_inspector(executable, env, *KL_CALL, "--tool-arg", "base=2"))
    assert not answer.get("isError")
    assert json.loads(answer["content"][0]["text"])["kl_pq"] == pytest.approx(expected)
    quoted = _tool_result(_inspector(executable, env, *KL_CALL, "--tool-arg", 'base="2"'))
    if version == "2.x":
        assert not quoted.get("isError")
    else:
        assert quoted["isError"]
        assert quoted["content"][0]["text"].endswith("""base: must be one of 'e', '2' or '10'; got '"2"'""")
