"""Bearer-token checks for the A2A servers (the SDK declares security schemes in the card, checks none)."""

from __future__ import annotations

import hmac
import json
from typing import Any

from servers.a2a.card import CARD_PATH

__all__ = ["BearerAuth"]


class BearerAuth:
    """ASGI middleware: ``Authorization: Bearer <token>`` on every request except ``GET`` of the card.

    A request without the right token is answered 401 (with ``WWW-Authenticate: Bearer``) and never reaches
    the A2A handler, so it creates nothing. The token is compared in constant time.
    """

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self._public(scope) or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "error": "unauthorized",
                "message": "This A2A server requires 'Authorization: Bearer <token>' (see its agent card).",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="protoplay"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _public(scope: dict[str, Any]) -> bool:
        return scope.get("method") in ("GET", "HEAD") and scope.get("path") == CARD_PATH

    def _authorized(self, scope: dict[str, Any]) -> bool:
        for key, value in scope.get("headers") or ():
            if key == b"authorization":
                return hmac.compare_digest(value, self._expected)
        return False
