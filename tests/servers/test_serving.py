"""Start-up rules shared by `protoplay serve mcp|a2a|llm`: the bind check and the log level."""

from __future__ import annotations

import logging

import pytest
import typer

from servers.serving import check_bind, configure_logging, is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_hosts(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.org"])
def test_hosts_other_machines_can_reach(host):
    assert not is_loopback(host)


def test_a_loopback_bind_passes_silently(capsys):
    check_bind("127.0.0.1", allow_remote=False, server="the MCP server")
    assert capsys.readouterr().err == ""


def test_a_wide_bind_without_allow_remote_exits_2(capsys):
    with pytest.raises(typer.Exit) as stopped:
        check_bind("0.0.0.0", allow_remote=False, server="the MCP server")
    assert stopped.value.exit_code == 2
    assert "0.0.0.0 is reachable from other machines; pass --allow-remote" in capsys.readouterr().err


def test_an_allowed_wide_bind_warns_and_says_whether_a_token_is_needed(capsys):
    check_bind("0.0.0.0", allow_remote=True, server="the A2A server", token_env="TOKEN_VAR")
    assert capsys.readouterr().err == (
        "warning: binding 0.0.0.0: the A2A server is reachable from other machines and NO token is required "
        "(set --token or TOKEN_VAR)\n"
    )
    check_bind("0.0.0.0", allow_remote=True, server="the endpoint", note="; note")
    assert (
        capsys.readouterr().err
        == "warning: binding 0.0.0.0: the endpoint is reachable from other machines; note\n"
    )


def test_configure_logging_sets_the_root_level_and_rejects_unknown_names(capsys):
    root = logging.getLogger()
    before = root.level
    try:
        assert configure_logging("info") == "INFO" and root.level == logging.INFO
        with pytest.raises(typer.Exit):
            configure_logging("loud")
        assert "--log-level must be one of" in capsys.readouterr().err
    finally:
        root.setLevel(before)
