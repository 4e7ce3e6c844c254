"""The logging capability: declared, `logging/setLevel` honoured, long tools log what they are doing."""

from __future__ import annotations

from mcp import Client
from mcp_types import LoggingMessageNotificationParams

from tests.servers.mcp.calls import PROGRESS_CALL, VALID_CALLS

LONG_TOOL, LONG_ARGUMENTS = PROGRESS_CALL  # learning_rate_sweep over four learning rates


class _Logs:
    """A client's logging callback that keeps what arrives."""

    def __init__(self) -> None:
        self.received: list[LoggingMessageNotificationParams] = []

    async def __call__(self, params: LoggingMessageNotificationParams) -> None:
        self.received.append(params)

    @property
    def lines(self) -> list[str]:
        return [str(params.data) for params in self.received]


async def test_the_logging_capability_is_declared_to_a_2025_11_25_client(mcp_server):
    async with Client(mcp_server, mode="legacy") as client:
        assert client.server_capabilities.logging is not None


async def test_a_long_tool_logs_its_start_its_steps_and_its_end(mcp_server):
    logs = _Logs()
    async with Client(mcp_server, mode="legacy", logging_callback=logs) as client:
        result = await client.call_tool(LONG_TOOL, LONG_ARGUMENTS)
    assert not result.is_error
    lines = logs.lines
    assert lines[0] == "learning_rate_sweep: started"
    assert "learning_rate_sweep: sgd at lr=0.001" in lines  # the tool's own progress message
    assert lines[-1].startswith("learning_rate_sweep: finished in ")
    assert {params.level for params in logs.received} == {"info"}
    assert {params.logger for params in logs.received} == {"protoplay.learning_rate_sweep"}


async def test_a_quick_tool_logs_nothing(mcp_server):
    logs = _Logs()
    async with Client(mcp_server, mode="legacy", logging_callback=logs) as client:
        await client.set_logging_level("debug")
        assert not (await client.call_tool("entropy", VALID_CALLS["entropy"])).is_error
    assert logs.received == []


async def test_set_level_above_info_silences_the_progress_log(mcp_server):
    logs = _Logs()
    async with Client(mcp_server, mode="legacy", logging_callback=logs) as client:
        assert (await client.set_logging_level("warning")).model_dump(exclude_none=True) == {}
        assert not (await client.call_tool(LONG_TOOL, LONG_ARGUMENTS)).is_error
    assert logs.received == []


async def test_the_level_is_per_connection(mcp_server):
    quiet, chatty = _Logs(), _Logs()
    async with (
        Client(mcp_server, mode="legacy", logging_callback=quiet) as first,
        Client(mcp_server, mode="legacy", logging_callback=chatty) as second,
    ):
        await first.set_logging_level("error")
        await first.call_tool(LONG_TOOL, LONG_ARGUMENTS)
        await second.call_tool(LONG_TOOL, LONG_ARGUMENTS)
    assert quiet.received == []
    assert chatty.lines[0] == "learning_rate_sweep: started"


async def test_a_long_tool_that_fails_logs_why_it_stopped_as_a_warning(mcp_server):
    logs = _Logs()
    arguments = {"models": ["ResNet-18", "ResNet-51"]}  # valid arguments; the tool rejects the name
    async with Client(mcp_server, mode="legacy", logging_callback=logs) as client:
        assert (await client.call_tool("compare_models", arguments)).is_error
    assert [params.level for params in logs.received] == ["info", "warning"]
    assert logs.lines[1].startswith("compare_models: stopped: models[1]: unknown architecture 'ResNet-51'")


async def test_a_long_tool_call_rejected_by_validation_logs_nothing(mcp_server):
    logs = _Logs()
    async with Client(mcp_server, mode="legacy", logging_callback=logs) as client:
        assert (await client.call_tool(LONG_TOOL, {**LONG_ARGUMENTS, "optimizer": "sgdd"})).is_error
    assert logs.received == []


async def test_2026_07_28_clients_get_logs_only_when_the_request_opts_in(mcp_server):
    # 2026-07-28 removed logging/setLevel (SEP-2577): a request opts in through `_meta`, which
    # Client(log_level=...) stamps on every request.
    silent, opted_in = _Logs(), _Logs()
    async with Client(mcp_server, logging_callback=silent) as client:
        await client.call_tool(LONG_TOOL, LONG_ARGUMENTS)
    async with Client(mcp_server, logging_callback=opted_in, log_level="info") as client:
        await client.call_tool(LONG_TOOL, LONG_ARGUMENTS)
    assert silent.received == []
    assert opted_in.lines[0] == "learning_rate_sweep: started"
    assert opted_in.lines[-1].startswith("learning_rate_sweep: finished in ")
