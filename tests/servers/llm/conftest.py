"""Fixtures for the tests of `protoplay serve llm` with clients nobody here wrote."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.processes import protoplay_serving


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``protoplay serve llm`` as a user starts it, on a free loopback port: its ``/v1`` base URL."""
    with protoplay_serving("llm", home=tmp_path_factory.mktemp("protoplay_home"), path="/v1") as url:
        yield url
