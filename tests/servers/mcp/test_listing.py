"""The saved listing a spawned server starts from: a full build's answers, rebuilt when the code changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp_types import ResourceTemplateReference

import tools
from servers.mcp import listing as mcp_listing
from servers.mcp.server import spawned_server


async def _everything_listed(server) -> dict:
    async with Client(server, mode="legacy") as client:
        return {
            "instructions": client.instructions,
            "server": client.server_info.version,
            "tools": [t.model_dump() for t in (await client.list_tools(cache_mode="refresh")).tools],
            "resources": [
                r.model_dump() for r in (await client.list_resources(cache_mode="refresh")).resources
            ],
            "templates": [
                t.model_dump()
                for t in (await client.list_resource_templates(cache_mode="refresh")).resource_templates
            ],
            "prompts": [p.model_dump() for p in (await client.list_prompts(cache_mode="refresh")).prompts],
            "capabilities": client.server_capabilities.model_dump(),
        }


def test_the_first_start_builds_and_saves_the_listing():
    assert mcp_listing.load() is None
    server = spawned_server()
    assert type(server).__name__ == "_CatalogueServer"  # built in full
    saved = json.loads(mcp_listing.cache_path().read_text())
    assert saved["fingerprint"] == mcp_listing.fingerprint()
    assert mcp_listing.cache_path().is_relative_to(os.environ["PROTOPLAY_HOME"])


def test_a_saved_listing_answers_exactly_like_a_full_build(mcp_server):
    spawned_server()  # saves
    prelisted = spawned_server()
    assert type(prelisted).__name__ == "_PreListedServer"
    assert anyio.run(_everything_listed, prelisted) == anyio.run(_everything_listed, mcp_server)


def test_the_prelisted_server_builds_the_catalogue_on_the_first_call():
    spawned_server()
    anyio.run(_use_every_kind_of_request, spawned_server())


async def _use_every_kind_of_request(prelisted) -> None:
    assert type(prelisted).__name__ == "_PreListedServer"
    async with Client(prelisted) as client:
        result = await client.call_tool("linear_params", {"in_features": 3, "out_features": 2})
        assert result.structured_content["params"] == 8  # hand: 3·2 weights + 2 biases
        note = await client.read_resource("notes://lora")
        assert note.contents[0].text.startswith("# ")
        prompt = await client.get_prompt("pick-optimizer", {"task": "nlp"})
        assert "recommend_optimizer" in prompt.messages[0].content.text
        bad = await client.call_tool("linear_params", {"in_features": 0, "out_features": 2})
        assert bad.is_error and "in_features" in bad.content[0].text
        completed = await client.complete(
            ResourceTemplateReference(type="ref/resource", uri="notes://{topic}"),
            {"name": "topic", "value": "qlo"},
        )
        assert completed.completion.values == ["qlora"]


def test_a_listing_of_other_code_is_not_used(monkeypatch):
    spawned_server()
    assert mcp_listing.load() is not None
    monkeypatch.setattr(mcp_listing, "fingerprint", lambda: "code edited since")
    assert mcp_listing.load() is None
    assert type(spawned_server()).__name__ == "_CatalogueServer"
    assert json.loads(mcp_listing.cache_path().read_text())["fingerprint"] == "code edited since"


def test_editing_a_note_changes_the_fingerprint():
    before = mcp_listing.fingerprint()
    note = next(Path(tools.__path__[0]).glob("notes/*.md"))
    stat = note.stat()
    try:
        os.utime(note, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert mcp_listing.fingerprint() != before
    finally:
        os.utime(note, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert mcp_listing.fingerprint() == before


@pytest.mark.parametrize("content", ["", "{not json", '{"fingerprint": 3}', '["a", "list"]'])
def test_an_unreadable_listing_is_ignored_and_replaced(content):
    path = mcp_listing.cache_path()
    path.parent.mkdir(parents=True)
    path.write_text(content)
    assert mcp_listing.load() is None
    assert type(spawned_server()).__name__ == "_CatalogueServer"
    assert mcp_listing.load() is not None


def test_an_unwritable_cache_folder_only_costs_the_full_build(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("PROTOPLAY_HOME", str(blocker))  # cache/ cannot be created under a file
    assert type(spawned_server()).__name__ == "_CatalogueServer"
    assert mcp_listing.load() is None


_HANDSHAKE = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"},
        },
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]


def _imported(importtime_log: str) -> set[str]:
    return {
        line.split("|")[-1].strip() for line in importtime_log.splitlines() if line.startswith("import time")
    }


def _start_and_list(command: list[str], env: dict[str, str]) -> tuple[list[dict], set[str]]:
    """Spawn, list the tools, quit. Stdin stays open until the answer is in: EOF cancels requests in flight.

    stderr (the import-time log, tens of kB) goes to a file: a full pipe would block the server.
    """
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, env=env
        )
        try:
            process.stdin.write("".join(json.dumps(message) + "\n" for message in _HANDSHAKE))
            process.stdin.flush()
            while (answer := json.loads(process.stdout.readline())).get("id") != 2:
                pass
            process.stdin.close()
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        log.seek(0)
        return answer["result"]["tools"], _imported(log.read())


def test_serve_mcp_skips_typer_and_starts_from_the_saved_listing(protoplay_exe, subprocess_env):
    command = [sys.executable, "-X", "importtime", protoplay_exe, "serve", "mcp"]
    (cold_tools, cold), (warm_tools, warm) = (_start_and_list(command, subprocess_env) for _ in range(2))
    assert warm_tools == cold_tools and len(cold_tools) > 20
    for imported in (cold, warm):
        assert "typer" not in imported  # the fast path in servers/__main__.py
        assert not imported & {"torch", "torchvision", "matplotlib"}
    assert "tools.catalog" in cold
    assert "tools.catalog" not in warm  # the second start lists from the saved copy
