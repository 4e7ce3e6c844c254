"""The official MCP conformance suite (npm `@modelcontextprotocol/conformance`, pinned in node/package.json)
against `protoplay serve mcp --transport http`.

Every scenario the suite has is either applicable to a server with protoplay's real catalogue — and must pass
all its checks — or listed below as not applicable, with the reason: most scenarios call the suite's own
fixture tools, prompts and resources (`test_simple_text`, `test_simple_prompt`, `test://static-text` …),
which a real server does not have. The behaviour those fixtures stand for is checked on protoplay's real tools
with the TypeScript SDK in test_node_clients.py, where one exists. A new scenario in a new suite version fails
`test_every_scenario_is_classified` until someone decides which list it belongs to.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

APPLICABLE = {
    "server-initialize": "the initialize handshake",
    "ping": "ping",
    "logging-set-level": "logging/setLevel answers {}",
    "completion-complete": "completion/complete answers a completion (no values for the suite's prompt)",
    "tools-list": "tools/list",
    "resources-list": "resources/list",
    "prompts-list": "prompts/list",
    "server-sse-multiple-streams": "several POST SSE streams on one session",
    "dns-rebinding-protection": "a foreign Host header is refused, localhost accepted",
}
_FIXTURE = "calls the suite's fixture {}, which a real server does not have"
NOT_APPLICABLE = {
    "tools-call-simple-text": _FIXTURE.format("tool test_simple_text")
    + " (it passes only because an unknown tool is an isError text result)",
    "tools-call-error": _FIXTURE.format("tool test_error_handling")
    + " (it passes only because an unknown tool is an isError result)",
    "tools-call-image": _FIXTURE.format("tool test_image_content")
    + "; image content from the plotting tools: test_node_clients.py",
    "tools-call-audio": _FIXTURE.format("tool test_audio_content") + "; no protoplay tool returns audio",
    "tools-call-embedded-resource": _FIXTURE.format("tool test_embedded_resource"),
    "tools-call-mixed-content": _FIXTURE.format("tool test_multiple_content_types"),
    "tools-call-with-logging": _FIXTURE.format("tool test_tool_with_logging")
    + "; a real long tool's logs after logging/setLevel: test_node_clients.py",
    "tools-call-with-progress": _FIXTURE.format("tool test_tool_with_progress")
    + "; a real long tool's progress: test_node_clients.py",
    "tools-call-sampling": _FIXTURE.format("tool test_sampling")
    + "; protoplay never asks the client's model",
    "tools-call-elicitation": _FIXTURE.format("tool test_elicitation")
    + "; elicitation of a real tool's missing argument: test_node_clients.py",
    "elicitation-sep1034-defaults": _FIXTURE.format("tool test_elicitation_sep1034_defaults"),
    "elicitation-sep1330-enums": _FIXTURE.format("tool test_elicitation_sep1330_enums"),
    "json-schema-2020-12": _FIXTURE.format("tool json_schema_2020_12_tool"),
    "server-sse-polling": _FIXTURE.format("tool test_reconnection"),
    "resources-read-text": _FIXTURE.format("resource test://static-text")
    + "; reading notes://lora: test_node_clients.py",
    "resources-read-binary": _FIXTURE.format("resource test://static-binary")
    + "; protoplay serves text only",
    "resources-templates-read": _FIXTURE.format("template test://template/{id}/data")
    + "; reading arch://LeNet-5 from its template: test_node_clients.py",
    "resources-subscribe": "protoplay declares no resources.subscribe: its notes and tables never change",
    "resources-unsubscribe": "protoplay declares no resources.subscribe: its notes and tables never change",
    "prompts-get-simple": _FIXTURE.format("prompt test_simple_prompt")
    + "; rendering plan-finetune: test_node_clients.py",
    "prompts-get-with-args": _FIXTURE.format("prompt test_prompt_with_arguments"),
    "prompts-get-embedded-resource": _FIXTURE.format("prompt test_prompt_with_embedded_resource")
    + "; plan-finetune embeds notes://peft: test_node_clients.py",
    "prompts-get-with-image": _FIXTURE.format("prompt test_prompt_with_image"),
}


@pytest.fixture(scope="module")
def suite_results(node_clients, mcp_http_url, tmp_path_factory) -> dict[str, list[dict]]:
    """Scenario → its checks, from one run of the whole suite (``--suite all``)."""
    out = tmp_path_factory.mktemp("conformance")
    run = subprocess.run(
        [node_clients.bin / "conformance", "server", "--url", mcp_http_url, "--suite", "all", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env=node_clients.env,
    )
    checks = out.glob("server-*/checks.json")
    results = {_scenario(path.parent): json.loads(path.read_text()) for path in checks}
    assert results, f"the suite wrote no results:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return results


def _scenario(folder: Path) -> str:
    """``server-<scenario>-<timestamp>`` → ``<scenario>`` (the timestamp is ISO 8601 with dashes)."""
    return re.sub(r"-\d{4}-\d{2}-\d{2}T[\d-]+Z$", "", folder.name.removeprefix("server-"))


def test_every_scenario_is_classified(suite_results):
    assert not set(APPLICABLE) & set(NOT_APPLICABLE)
    assert set(suite_results) == set(APPLICABLE) | set(NOT_APPLICABLE)


@pytest.mark.parametrize("scenario", sorted(APPLICABLE))
def test_an_applicable_scenario_passes_every_check(suite_results, scenario):
    checks = suite_results[scenario]
    failed = [check for check in checks if check["status"] not in ("SUCCESS", "INFO")]
    assert checks and not failed, json.dumps(failed, indent=2)
