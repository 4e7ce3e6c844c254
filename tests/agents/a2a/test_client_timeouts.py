"""`--peer-timeout` bounds the whole delegation, the card fetch included: a peer that accepts connections and
never answers is given up on within the timeout, with a message saying so."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from agents.a2a.client import PeerClient, PeerUnavailable


@contextlib.asynccontextmanager
async def silent_peer() -> AsyncIterator[str]:
    """A loopback server that accepts connections, reads, and never answers."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


async def test_the_card_fetch_is_bounded_by_the_peer_timeout():
    async with silent_peer() as url, PeerClient(url, timeout_s=0.5) as peer:
        with pytest.raises(PeerUnavailable, match=r"no answer within 0\.5 s"):
            async with asyncio.timeout(5):  # the test's own bound; the client's is what is checked
                await peer.discover()


async def test_a_delegation_to_a_silent_peer_ends_within_the_peer_timeout():
    async with silent_peer() as url, PeerClient(url, timeout_s=0.3) as peer:
        with pytest.raises(
            PeerUnavailable, match=r"Could not read the agent card .* no answer within 0\.3 s"
        ):
            async with asyncio.timeout(5):
                await peer.send("entropy of [0.5, 0.5]")


async def test_a_long_peer_timeout_does_not_stretch_the_card_fetch():
    async with silent_peer() as url, PeerClient(url, timeout_s=600, connect_timeout_s=0.2) as peer:
        with pytest.raises(PeerUnavailable, match=r"no answer within 0\.4 s"):  # twice the connect timeout
            async with asyncio.timeout(5):
                await peer.discover()
