"""Who may talk to the playground: the access token, and the Host and Origin checks.

Like Jupyter, the server prints a URL that carries a random token (``/?token=…``). Opening it sets a cookie
(HttpOnly, SameSite=Strict, named after the port) and redirects to ``/`` so the token leaves the address bar;
from then on the page's requests, its event stream and its images carry the cookie. Scripts may send
``Authorization: Bearer TOKEN`` instead. Anything else gets 401.

Before the token is even looked at, the Host header and a browser's Origin are checked against the names the
MCP HTTP server allows (:func:`servers.serving.allowed_names`), with the same answers: 421 for a foreign Host,
403 for a foreign Origin (DNS rebinding, cross-site requests); and a POST must carry JSON (400 otherwise),
which a cross-site form cannot send. (The MCP SDK's own checker is not imported: loading ``mcp.server`` would
cost the page half a second of start-up.)
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["AccessGuard", "cookie_name"]


def cookie_name(port: int) -> str:
    """The token cookie of the playground on ``port`` (cookies ignore ports: two playgrounds on one host
    must not overwrite each other's)."""
    return f"protoplay-ui-{port}"


class AccessGuard:
    """ASGI middleware: Host/Origin/Content-Type checks, then the token (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        port: int,
        host: str = "127.0.0.1",
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        from servers.serving import allowed_names

        self.app = app
        self._token = token.encode()
        self._cookie = cookie_name(port)
        self._hosts, self._origins = allowed_names(host, allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refused = self._check_headers(request) or self._check_token(request)
        if refused is not None:
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _check_headers(self, request: Request) -> Response | None:
        if request.method == "POST" and not request.headers.get("content-type", "").startswith(
            "application/json"
        ):
            return PlainTextResponse("Invalid Content-Type header", status_code=400)
        if not _allowed(request.headers.get("host"), self._hosts):
            return PlainTextResponse("Invalid Host header", status_code=421)
        origin = request.headers.get("origin")
        if origin is not None and not _allowed(origin, self._origins):
            return PlainTextResponse("Invalid Origin header", status_code=403)
        return None

    def _check_token(self, request: Request) -> Response | None:
        query_token = request.query_params.get("token")
        if query_token is not None and self._valid(query_token):
            if request.method == "GET" and request.url.path == "/":
                return self._enter(request, query_token)
            return None
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer ") and self._valid(header[7:].strip()):
            return None
        cookie = SimpleCookie(request.headers.get("cookie", "")).get(self._cookie)
        if cookie is not None and self._valid(cookie.value):
            return None
        return _unauthorized(request)

    def _valid(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self._token)

    def _enter(self, request: Request, token: str) -> Response:
        """Set the cookie and redirect to the same page without the token in its address."""
        rest = [(key, value) for key, value in parse_qsl(request.url.query) if key != "token"]
        target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(self._cookie, token, httponly=True, samesite="strict", path="/")
        return response


def _allowed(value: str | None, allowed: list[str]) -> bool:
    """``value`` is one of ``allowed``, where ``name:*`` stands for ``name`` with any port."""
    if not value:
        return False
    return value in allowed or any(
        pattern.endswith(":*") and value.startswith(pattern[:-1]) and value[len(pattern) - 1 :].isdigit()
        for pattern in allowed
    )


def _unauthorized(request: Request) -> Response:
    message = (
        "this playground needs its access token: open the URL `protoplay ui` printed (it ends in ?token=…), "
        "or send 'Authorization: Bearer TOKEN'"
    )
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=401)
    return PlainTextResponse(f"401 Unauthorized: {message}\n", status_code=401)
