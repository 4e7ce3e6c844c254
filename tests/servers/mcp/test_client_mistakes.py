"""A client's mistake (an unknown prompt, a missing prompt argument, an unknown resource) is a -32602 error
naming what to send instead, and never a traceback in the server log; a crash in a prompt still is one."""

from __future__ import annotations

import logging

import pytest
from mcp import Client
from mcp.server.mcpserver.prompts.base import Prompt
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS

from servers.mcp.server import build_server

MODES = ["auto", "legacy"]  # 2026-07-28 in-process, and the 2025-11-25 handshake


@pytest.fixture(params=MODES)
def connect(request, mcp_server):
    return lambda: Client(mcp_server, mode=request.param)


async def _error(call) -> MCPError:
    with pytest.raises(MCPError) as caught:
        await call
    return caught.value


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]


async def test_an_unknown_prompt_is_invalid_params_listing_the_prompts(connect, caplog):
    with caplog.at_level(logging.DEBUG):
        async with connect() as client:
            error = await _error(client.get_prompt("plan-finetuning", {"params_billion": "7"}))
    assert error.code == INVALID_PARAMS  # was 0 on the wire (the SDK's bare ValueError), -32603 in-process
    assert error.message.startswith("unknown prompt 'plan-finetuning'; did you mean 'plan-finetune'?")
    assert "diagnose-training, choose-backbone, plan-finetune, pick-optimizer" in error.message
    _no_traceback(caplog)


async def test_a_missing_required_prompt_argument_is_named(connect, caplog):
    with caplog.at_level(logging.DEBUG):
        async with connect() as client:
            error = await _error(client.get_prompt("plan-finetune", {"params_billion": "7"}))
    assert error.code == INVALID_PARAMS
    assert error.message.startswith("gpu_memory_gb: required by plan-finetune (Memory of one GPU in GB")
    assert error.data == {"field": "gpu_memory_gb"}
    _no_traceback(caplog)


async def test_an_argument_the_prompt_does_not_take_is_named(connect, caplog):
    with caplog.at_level(logging.DEBUG):
        async with connect() as client:
            error = await _error(client.get_prompt("pick-optimizer", {"model": "resnet"}))
    assert error.code == INVALID_PARAMS
    assert error.message == (
        "model: pick-optimizer takes no argument 'model'; it takes: task, model_family, data, priority"
    )
    _no_traceback(caplog)


async def test_an_unknown_resource_scheme_is_resource_not_found_naming_the_templates(connect, caplog):
    # SEP-2164 (final; the spec's resources page, "Error Handling"): resource not found is -32602, with the
    # URI in `data`; -32002 is retired.
    with caplog.at_level(logging.DEBUG):
        async with connect() as client:
            error = await _error(client.read_resource("test://static-text"))
    assert error.code == INVALID_PARAMS
    assert error.message == (
        "unknown resource 'test://static-text': protoplay serves notes://{topic} and arch://{name} "
        "(resources/list lists every one)"
    )
    assert error.data == {"uri": "test://static-text"}
    _no_traceback(caplog)


async def test_an_unknown_architecture_is_resource_not_found_listing_the_zoo(connect, caplog):
    with caplog.at_level(logging.DEBUG):
        async with connect() as client:
            error = await _error(client.read_resource("arch://ResNet-51"))
    assert error.code == INVALID_PARAMS
    assert error.message.startswith("model: unknown architecture 'ResNet-51'")
    assert "ResNet-50" in error.message
    _no_traceback(caplog)


def _broken_prompt(topic: str) -> str:
    """A prompt with a bug."""
    raise RuntimeError(f"secret internal detail about {topic}")


async def test_a_crashing_prompt_is_logged_with_its_traceback_and_answered_briefly(caplog):
    server = build_server(tools=[])
    server.add_prompt(Prompt.from_function(_broken_prompt, name="broken"))
    with caplog.at_level(logging.ERROR):
        async with Client(server, mode="legacy") as client:
            error = await _error(client.get_prompt("broken", {"topic": "lora"}))
            assert (await client.get_prompt("pick-optimizer", {})).messages  # the server lives on
    assert error.code == INTERNAL_ERROR
    assert error.message == "internal error rendering the prompt 'broken' (see the server log)"
    assert "secret" not in error.message
    assert "RuntimeError: secret internal detail about lora" in caplog.text
