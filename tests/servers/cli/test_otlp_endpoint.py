"""``--otlp-endpoint``: every command that starts a protoplay process takes it, and a value it cannot use is
one line naming the flag (the spans themselves: ``tests/integration/test_otel_trace.py``)."""

from __future__ import annotations

import subprocess

import pytest
import typer

from servers.cli.main import app

COMMANDS = [
    ["ask"],
    ["chat"],
    ["demo"],
    ["serve", "mcp"],
    ["serve", "llm"],
    ["serve", "a2a", "specialist"],
    ["serve", "a2a", "coordinator"],
    ["a2a", "send"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_process_starting_command_takes_the_flag(command):
    found = typer.main.get_command(app)
    for name in command:
        found = found.commands[name]  # type: ignore[attr-defined]
    (option,) = [param for param in found.params if "--otlp-endpoint" in param.opts]
    assert option.metavar == "URL" and "OTEL_EXPORTER_OTLP_ENDPOINT" in option.help


@pytest.mark.parametrize(
    "command",
    [["ask", "entropy of [0.5, 0.5]"], ["serve", "llm"], ["serve", "mcp", "--transport", "http"]],
    ids=" ".join,
)
def test_a_value_that_is_not_an_http_url_is_one_line_naming_the_flag(protoplay_exe, subprocess_env, command):
    result = subprocess.run(
        [protoplay_exe, *command, "--otlp-endpoint", "collector:4318"],
        capture_output=True,
        text=True,
        env=subprocess_env,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "error: --otlp-endpoint: 'collector:4318' is not an http(s) URL; give the collector's OTLP/HTTP "
        "address, e.g. http://127.0.0.1:4318\n"
    )
    assert result.stdout == ""
