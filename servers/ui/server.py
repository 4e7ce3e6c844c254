"""Serving the playground: listen on loopback, open the playground, serve the app until cancelled.

``protoplay ui`` (:mod:`servers.cli.ui`) runs :func:`run_playground`; tests and the benchmark run it in a
task of their own loop.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

from servers.ui.playground import open_playground
from servers.ui.runtime import UIOptions

__all__ = ["DEFAULT_PORT", "new_token", "page_url", "run_playground"]

DEFAULT_PORT = 8321


def new_token() -> str:
    """A random access token (as Jupyter prints one)."""
    return secrets.token_urlsafe(24)


def page_url(base: str, token: str) -> str:
    """The URL that opens the page and hands it the token."""
    return f"{base.rstrip('/')}/?token={token}"


async def run_playground(
    options: UIOptions,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    token: str,
    allowed_hosts: tuple[str, ...] = (),
    on_ready: Callable[[str], Any] | None = None,
    ready: asyncio.Event | None = None,
    log_level: str = "warning",
) -> None:
    """Serve the playground on ``host:port`` (0: any free port) until cancelled. ``on_ready(url)`` gets the
    page's URL, token included, once the server accepts connections.

    Raises ``OSError`` with a readable message when the address cannot be bound.
    """
    from servers.a2a.app import listen, public_url, serve
    from servers.ui.app import build_app

    sock = listen(host, port)
    try:
        bound = sock.getsockname()[1]
        async with open_playground(options) as playground:
            app = build_app(playground, token=token, port=bound, host=host, allowed_hosts=allowed_hosts)
            started = ready or asyncio.Event()
            url = page_url(public_url(host, bound), token)
            announce = asyncio.create_task(_announce(started, on_ready, url))
            try:
                await serve(app, sock, log_level=log_level, ready=started)
            finally:
                announce.cancel()
    finally:
        sock.close()


async def _announce(ready: asyncio.Event, on_ready: Callable[[str], Any] | None, url: str) -> None:
    await ready.wait()
    if on_ready is not None:
        on_ready(url)
