"""What every A2A server shares: the card (derived from the MCP tool list), bearer tokens, the task store."""

from __future__ import annotations

import asyncio
import sys
from contextlib import asynccontextmanager

import pytest
from a2a.client.card_resolver import parse_agent_card
from mcp import Client

from agents.mcp.client import mcp_tool_to_spec
from agents.models.offline.engine import OfflineBrain
from agents.models.testing import ScriptedModel
from servers.a2a.card import THEME_EXAMPLES, skills_from_tools
from servers.a2a.specialist import open_specialist
from servers.a2a.store import StoreError, open_task_store
from tests.servers.a2a.support import JsonRpc, asgi_client, user_message
from tools.catalog import TOOLS, Theme


@asynccontextmanager
async def specialist(mcp_server, **options):
    async with (
        open_specialist(url="http://specialist/", mcp=mcp_server, **options) as a2a,
        asgi_client(a2a.app) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def mcp_tools(mcp_server):
    async def listing():
        async with Client(mcp_server) as client:
            return list((await client.list_tools()).tools)

    return asyncio.run(listing())


# ------------------------------------------------------------------------------------------------- card


async def test_the_card_is_public_and_parses_with_the_sdk(mcp_server):
    async with specialist(mcp_server, model_override=ScriptedModel()) as client:
        response = await client.get("/.well-known/agent-card.json")
    assert response.status_code == 200
    card = parse_agent_card(response.json())  # the SDK's own validation of a fetched card
    assert card.name == "protoplay-ml-specialist"
    interface = card.supported_interfaces[0]
    assert (interface.url, interface.protocol_binding, interface.protocol_version) == (
        "http://specialist/",
        "JSONRPC",
        "1.0",
    )
    assert card.capabilities.streaming
    assert "image/png" in card.default_output_modes
    assert not card.security_schemes  # no token, no scheme


def test_skills_group_every_mcp_tool_by_theme_in_catalogue_order(mcp_tools):
    skills = skills_from_tools(mcp_tools, theme_order=[theme.value for theme in Theme])
    assert [skill.name.lower() for skill in skills] == [theme.value for theme in Theme]
    by_theme = {skill.tags[0]: set(skill.tags[1:]) for skill in skills}
    expected = {theme.value: {spec.name for spec in TOOLS if spec.theme == theme} for theme in Theme}
    assert by_theme == expected  # each tool exactly where the catalogue puts it; nothing kept by hand
    complexity = next(skill for skill in skills if skill.id == "model-complexity")
    # the description carries each tool's signature (required parameters bare, optional ones with '?')
    signature = "compare_models(models, input_size?, max_params_millions?, max_gmacs?, plot?)"
    assert signature in complexity.description
    assert all(skill.examples for skill in skills)


def test_a_new_tool_joins_its_theme_skill_without_code_changes(mcp_tools):
    extra = mcp_tools[0].model_copy(update={"name": "brand_new_tool", "meta": {"protoplay/theme": "notes"}})
    skills = skills_from_tools([*mcp_tools, extra])
    notes = next(skill for skill in skills if skill.id == "notes")
    assert "brand_new_tool" in notes.tags


@pytest.mark.parametrize("theme", sorted(THEME_EXAMPLES))
def test_each_skill_example_reaches_a_tool_of_its_theme(mcp_tools, theme):
    """The examples are phrased so that even the offline model routes them to the right tool."""
    specs = [mcp_tool_to_spec(tool) for tool in mcp_tools]
    theme_of = {tool.name: tool.meta["protoplay/theme"] for tool in mcp_tools}
    brain = OfflineBrain()
    for example in THEME_EXAMPLES[theme]:
        reply = brain.respond([{"role": "user", "content": example}], specs)
        assert reply.tool_calls, f"{example!r} got text: {reply.text!r}"
        assert theme_of[reply.tool_calls[0][0]] == theme, (example, reply.tool_calls)


async def test_a_token_declares_a_bearer_scheme_and_the_card_stays_public(mcp_server):
    async with specialist(mcp_server, model_override=ScriptedModel(), token="s3cret") as client:
        response = await client.get("/.well-known/agent-card.json")
    assert response.status_code == 200
    card = response.json()
    assert card["securitySchemes"]["bearer"]["httpAuthSecurityScheme"]["scheme"] == "Bearer"
    assert card["securityRequirements"] == [{"schemes": {"bearer": {}}}]


# ------------------------------------------------------------------------------------------------- auth


async def test_requests_without_the_right_token_get_401_and_create_nothing(mcp_server):
    model = ScriptedModel(["hello back"])
    async with specialist(mcp_server, model_override=model, token="s3cret") as client:
        anonymous, wrong, right = (
            JsonRpc(client),
            JsonRpc(client, token="nope"),
            JsonRpc(client, token="s3cret"),
        )
        for rpc in (anonymous, wrong):
            response = await rpc.raw("SendMessage", {"message": user_message("hello")})
            assert response.status_code == 401
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert "Authorization: Bearer" in response.json()["message"]
        assert (await client.post("/", json={})).status_code == 401  # whatever the body
        assert model.requests == []  # nothing reached the agent
        assert (await right.call("ListTasks", {}))["tasks"] == []  # and nothing was stored
        task = await right.send("hello")
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"


async def test_a_1_0_method_without_the_version_header_is_served_as_1_0(mcp_server):
    # By the spec a header-less request is A2A 0.3 — but no 0.3 method is called ListTasks or SendMessage, so
    # such a request can only mean 1.0 (the official TCK sends them this way).
    async with specialist(mcp_server, model_override=ScriptedModel(["hi"])) as client:
        rpc = JsonRpc(client)
        listed = (await rpc.raw("ListTasks", {}, headers={})).json()
        sent = (await rpc.raw("SendMessage", {"message": user_message("hello")}, headers={})).json()
        stated = (await rpc.raw("ListTasks", {}, headers={"A2A-Version": "2.0"})).json()
    assert listed["result"]["tasks"] == []
    assert sent["result"]["task"]["status"]["state"] == "TASK_STATE_COMPLETED"
    assert stated["error"]["code"] == -32009  # a version the server does not speak is still refused


# ------------------------------------------------------------------------------------------------- store


async def test_an_unusable_task_store_url_is_reported_in_words(monkeypatch):
    with pytest.raises(StoreError, match="not a SQLAlchemy URL"):
        async with open_task_store("no scheme here", table="t"):
            pass
    with pytest.raises(StoreError, match=r"cannot open the task store postgresql://user:\*\*\*@127\.0\.0\.1"):
        async with open_task_store("postgresql://user:secret@127.0.0.1:1/tasks", table="t"):  # nothing on :1
            pass
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # as if the driver were not installed
    with pytest.raises(StoreError, match=r"pip install 'protoplay\[postgresql\]'"):
        async with open_task_store("postgresql://user@127.0.0.1/tasks", table="t"):
            pass


async def test_the_default_store_is_sqlite_in_protoplay_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PROTOPLAY_HOME", str(tmp_path))
    async with open_task_store(None, table="specialist_tasks") as storage:
        assert type(storage.store).__name__ == "DatabaseTaskStore"
        assert storage.replicas is not None and storage.events is None
    assert (tmp_path / "tasks.db").is_file()


async def test_memory_store_keeps_nothing_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("PROTOPLAY_HOME", str(tmp_path))
    async with open_task_store("memory", table="t") as storage:
        assert type(storage.store).__name__ == "InMemoryTaskStore"
        assert storage.replicas is None  # nothing outlives the process, so nothing to recover
    assert not (tmp_path / "tasks.db").exists()
