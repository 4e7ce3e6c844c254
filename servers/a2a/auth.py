"""Bearer tokens and the principals they identify, for the A2A servers (the SDK declares security schemes in
the card and scopes tasks by ``call_context.user``, but checks no token itself).

- ``--token TOKEN``: one shared token; every caller who has it is the same, anonymous principal (``""``), as
  a server without a token is.
- ``--tokens FILE``: one ``TOKEN NAME`` pair per line (``#`` starts a comment); each token identifies the
  principal ``NAME``. Tasks belong to the principal that created them (``ListTasks``/``GetTask`` show only
  the caller's own), and so do the coordinator's conversations and memories.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.authentication import BaseUser

from servers.a2a.card import CARD_PATH

__all__ = ["ANONYMOUS", "BearerAuth", "Principal", "TokensFileError", "load_tokens", "principal_of"]

ANONYMOUS = ""
"""The principal of every caller when the server has no tokens file (no token, or one shared ``--token``)."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: A tokens file larger than this is not a tokens file (and is not read whole into memory).
_MAX_FILE_BYTES = 1 << 20


class TokensFileError(ValueError):
    """The ``--tokens`` file is unusable; the message names the file (and line) and the reason."""


class Principal(BaseUser):
    """Who sent a request, as its token says (the SDK reads ``display_name`` as the task owner)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.name


def principal_of(call_context: Any) -> str:
    """The principal of an SDK ``ServerCallContext`` (``ANONYMOUS`` when no token identified one)."""
    user = getattr(call_context, "user", None)
    return str(getattr(user, "user_name", "") or ANONYMOUS)


def load_tokens(path: Path | str) -> dict[str, str]:
    """``token → principal name`` from a tokens file; raises :class:`TokensFileError` naming what is wrong.

    Names are 1-64 letters, digits, ``.``, ``_`` or ``-`` (they also name trace files); several tokens may
    name one principal (rotation); a token may appear once.
    """
    path = Path(path).expanduser()
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise TokensFileError(f"--tokens {path}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > _MAX_FILE_BYTES:
        raise TokensFileError(f"--tokens {path}: larger than 1 MiB; is it the right file?")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TokensFileError(f"--tokens {path}: not UTF-8 text") from None
    tokens: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        where = f"--tokens {path}, line {number}"
        if len(fields) != 2:
            raise TokensFileError(f"{where}: expected 'TOKEN NAME', got {len(fields)} field(s)")
        token, name = fields
        if not _NAME.fullmatch(name):
            raise TokensFileError(
                f"{where}: the name {name[:70]!r} must be 1-64 letters, digits, '.', '_' or '-'"
            )
        if token in tokens:
            raise TokensFileError(f"{where}: this token already names {tokens[token]!r}")
        tokens[token] = name
    if not tokens:
        raise TokensFileError(f"--tokens {path}: no 'TOKEN NAME' line in it")
    return tokens


class BearerAuth:
    """ASGI middleware: ``Authorization: Bearer <token>`` on every request except ``GET`` of the card.

    ``tokens`` maps each accepted token to its principal's name; the request's ``scope["user"]`` becomes that
    :class:`Principal`, which the SDK turns into the task owner. A request without a known token is answered
    401 (with ``WWW-Authenticate: Bearer``) and never reaches the A2A handler, so it creates nothing. Tokens
    are compared in constant time.
    """

    def __init__(self, app: Any, tokens: Mapping[str, str]) -> None:
        self.app = app
        self._tokens = [(f"Bearer {token}".encode(), Principal(name)) for token, name in tokens.items()]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self._public(scope):
            await self.app(scope, receive, send)
            return
        principal = self._principal(scope)
        if principal is not None:
            await self.app({**scope, "user": principal}, receive, send)
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

    def _principal(self, scope: dict[str, Any]) -> Principal | None:
        for key, value in scope.get("headers") or ():
            if key == b"authorization":
                found = None
                for expected, principal in self._tokens:  # every comparison runs: no early exit to time
                    if hmac.compare_digest(value, expected):
                        found = principal
                return found
        return None
