"""Rules shared by `protoplay serve mcp|a2a|llm`: the bind check, the log level, the request body limit."""

from __future__ import annotations

import gc
import logging
import weakref

import httpx
import pytest
import typer

from servers.serving import (
    BodyLimit,
    check_bind,
    configure_logging,
    format_size,
    is_loopback,
    parse_size,
    settle_heap,
)


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


# ------------------------------------------------------------------------------------------ body size


@pytest.mark.parametrize(
    ("text", "size"),
    [("1000", 1000), ("512k", 512 * 1024), ("4M", 4 * 1024**2), ("4MiB", 4 * 1024**2), ("1 GB", 1024**3)],
)
def test_sizes_are_bytes_or_binary_units(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "-5", "4 MB of it", "1.5M", "lots"])
def test_a_size_that_is_not_one_is_refused_with_an_example(text):
    with pytest.raises(ValueError, match=r"e\.g\. 4M"):
        parse_size(text)


def test_sizes_print_in_whole_units_or_bytes():
    assert [format_size(n) for n in (4 * 1024**2, 64 * 1024, 1000)] == ["4 MiB", "64 KiB", "1,000 bytes"]


class _Echo:
    """An ASGI app that answers with the body it read, and counts how often it was called."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope, receive, send):
        self.calls += 1
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


def _limited(app, limit=1000):
    limited = BodyLimit(app, max_bytes=limit, error_body=lambda message: {"problem": message})
    return httpx.AsyncClient(transport=httpx.ASGITransport(limited), base_url="http://test")


async def test_a_declared_body_over_the_limit_gets_413_and_the_app_never_runs():
    echo = _Echo()
    async with _limited(echo) as client:
        response = await client.post("/", content=b"x" * 1001)
    assert response.status_code == 413 and echo.calls == 0
    assert response.json() == {
        "problem": "request body too large: 1,001 bytes; this server reads at most 1,000 bytes "
        "(--max-body-size raises the limit)"
    }


async def test_a_streamed_body_of_unknown_length_is_cut_off_at_the_limit():
    async def chunks():
        for _ in range(30):
            yield b"y" * 100

    echo = _Echo()
    async with _limited(echo) as client:
        response = await client.post("/", content=chunks())  # chunked: no Content-Length
    assert response.status_code == 413 and echo.calls == 0
    assert "more than 1,000 bytes" in response.json()["problem"]


async def test_a_body_within_the_limit_reaches_the_app_whole():
    async def chunks():
        for index in range(10):
            yield bytes([65 + index]) * 100

    echo = _Echo()
    async with _limited(echo) as client:
        exact = await client.post("/", content=b"z" * 1000)
        streamed = await client.post("/", content=chunks())
    assert exact.status_code == 200 and exact.content == b"z" * 1000
    assert streamed.status_code == 200 and streamed.content == b"".join(
        bytes([65 + i]) * 100 for i in range(10)
    )
    assert echo.calls == 2


class _Node:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()  # the rest of the test process collects as before


def test_settle_heap_freezes_what_lives_and_collects_what_is_garbage_first(unfrozen):
    living = _Node()
    garbage = _Node()  # a reference cycle: only the collector can free it
    dead = weakref.ref(garbage)
    del garbage
    settle_heap()
    assert dead() is None, "garbage from start-up must be collected, not frozen for ever"
    assert gc.get_freeze_count() > 0
    assert all(obj is not living for obj in gc.get_objects(generation=2)), "what lives is out of reach"
