"""Hypothesis throws malformed arguments at every tool through an MCP client.

Each case starts from the tool's valid call and breaks one thing: a value of the wrong type or random JSON,
NaN / ±inf / negatives / huge numbers where a number goes, a list one item longer than the schema allows, a
required field removed, an unknown field added. Every answer must be a valid result or an ``isError`` result
carrying a reason (never a protocol error, never a bare crash), and the tool must still answer its valid call
afterwards. The number of cases is printed at the end of the run (``MCP fuzz: N … cases``).
"""

from __future__ import annotations

import math
from typing import Any

import anyio.from_thread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp_types import CallToolResult

from tests.servers.mcp.calls import VALID_CALLS
from tools.catalog import TOOLS

CATALOGUE = [spec.name for spec in TOOLS]
EXAMPLES_PER_TOOL = 30  # per protocol generation: 23 tools × 2 × 30 = 1,380 cases in about a minute

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=16),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
BAD_NUMBERS = st.sampled_from([math.nan, math.inf, -math.inf, -1, -1.5, -1e9, 1e308, 2**63, 0]) | st.floats()


@pytest.fixture(scope="module", params=["auto", "legacy"])
def client_portal(request, mcp_server):
    """A connected client on an event loop in a background thread, callable from sync hypothesis tests."""
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(mcp_server, mode=request.param)) as client,
    ):
        yield portal, client


def _input_schema(portal, client, name: str) -> dict[str, Any]:
    listed = portal.call(client.list_tools)
    return next(tool.input_schema for tool in listed.tools if tool.name == name)


def _replace_number(value: Any, bad: float) -> Any:
    """Put ``bad`` where the first number in ``value`` is (or instead of ``value`` when it holds none)."""
    if isinstance(value, bool) or value is None:
        return bad
    if isinstance(value, int | float):
        return bad
    if isinstance(value, list) and value:
        return [_replace_number(value[0], bad), *value[1:]]
    if isinstance(value, dict) and value:
        key = next(iter(value))
        return {**value, key: _replace_number(value[key], bad)}
    return bad


def _oversized(schema: dict[str, Any], value: Any) -> list[Any]:
    limit = _max_items(schema)
    filler = value[0] if isinstance(value, list) and value else 0.0
    return [filler] * (limit + 1)


def _max_items(schema: dict[str, Any]) -> int | None:
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("type") == "array" and "maxItems" in option:
            return int(option["maxItems"])
    return None


def malformed_arguments(schema: dict[str, Any], valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    names = sorted(properties)
    required = sorted(schema.get("required", []))
    strategies = [
        st.text(min_size=1, max_size=12)
        .filter(lambda key: key not in properties)
        .flatmap(lambda key: JUNK.map(lambda junk: {**valid, key: junk}))
    ]  # an unknown field
    if names:
        strategies.append(
            st.tuples(st.sampled_from(names), JUNK).map(lambda pair: {**valid, pair[0]: pair[1]})
        )
        strategies.append(
            st.tuples(st.sampled_from(names), BAD_NUMBERS).map(
                lambda pair: {**valid, pair[0]: _replace_number(valid.get(pair[0]), pair[1])}
            )
        )
    lists = [name for name in names if _max_items(properties[name]) is not None]
    if lists:
        strategies.append(
            st.sampled_from(lists).map(lambda n: {**valid, n: _oversized(properties[n], valid.get(n))})
        )
    if required:
        strategies.append(st.sampled_from(required).map(lambda n: {k: v for k, v in valid.items() if k != n}))
    return st.one_of(strategies)


@pytest.mark.parametrize("name", CATALOGUE)
def test_malformed_arguments_get_a_result_or_an_error_never_a_failure(name, client_portal, fuzz_counter):
    portal, client = client_portal
    valid = VALID_CALLS[name]
    generic_crash = f"Error executing tool {name}"

    @settings(
        max_examples=EXAMPLES_PER_TOOL,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(malformed_arguments(_input_schema(portal, client, name), valid))
    def answer_is_valid_or_an_error(arguments: dict[str, Any]) -> None:
        result = portal.call(client.call_tool, name, arguments)  # a protocol error would raise here
        fuzz_counter[name] = fuzz_counter.get(name, 0) + 1
        assert isinstance(result, CallToolResult)
        if result.is_error:
            text = result.content[0].text
            assert text.startswith(generic_crash)
            assert text != generic_crash, f"{name} crashed on {arguments!r} (see the server log)"
        else:
            assert (
                result.structured_content is not None
            )  # the client has checked it against the output schema

    answer_is_valid_or_an_error()
    assert not portal.call(client.call_tool, name, valid).is_error  # the server still answers afterwards
