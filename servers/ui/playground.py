"""The web playground's server side: the desks every panel talks to, around one shared agent runtime.

:func:`open_playground` opens the event hub (trace events flow to the pages from then on) and sets up the
desks — chat, A2A agents, demos — around the agent runtime, which opens in the background when a request
first needs it (:class:`~servers.ui.runtime.RuntimeHolder`). Everything is closed when its block ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from servers.ui.chat import ChatDesk
from servers.ui.demos import DemoDesk
from servers.ui.hub import EventHub
from servers.ui.peers import PeerDesk
from servers.ui.runtime import RuntimeHolder, UIOptions

__all__ = ["Playground", "UIOptions", "open_playground"]


class Playground:
    """What the pages talk to. Valid inside :func:`open_playground`'s block, in the loop that opened it."""

    def __init__(self, options: UIOptions, hub: EventHub) -> None:
        self.options = options
        self.hub = hub
        self.holder = RuntimeHolder(options)
        self.chat = ChatDesk(self.holder, hub)
        self.demos = DemoDesk(hub, options)
        self.peers = PeerDesk(hub, known=lambda: self.demos.agents(), peers=options.peers)
        self.holder.before_close = self.chat.stop_all

    @property
    def status(self) -> dict[str, Any]:
        return self.holder.status

    async def aclose(self) -> None:
        await self.demos.aclose()
        await self.peers.aclose()
        await self.holder.aclose()


@contextlib.asynccontextmanager
async def open_playground(options: UIOptions) -> AsyncIterator[Playground]:
    """The playground with its event hub watching traces (the runtime opens when first needed); all closed on
    exit."""
    hub = EventHub()
    hub.watch_traces()
    playground = Playground(options, hub)
    try:
        yield playground
    finally:
        try:
            await playground.aclose()
        finally:
            hub.close()
