"""How much one A2A message may carry: the body size (:class:`servers.serving.BodyLimit`, before parsing) and,
once parsed, each part of the message (:class:`MessageLimits`), checked before a task is created or stored.

A refused message is a JSON-RPC ``InvalidParams`` error naming the part and the limit; nothing is created.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from a2a.utils.errors import InvalidParamsError

if TYPE_CHECKING:
    from a2a.types import Message

__all__ = ["MessageLimits", "jsonrpc_error_body"]


@dataclass(frozen=True)
class MessageLimits:
    """Per-message bounds of an A2A server (the defaults suit the specialist and the coordinator)."""

    max_parts: int = 32
    """Parts in one message."""
    max_text_chars: int = 100_000
    """Characters in one text part (~25k tokens: more than any request to these agents needs)."""
    max_data_bytes: int = 1024 * 1024
    """Serialized size of one structured (``data``) part."""
    max_raw_bytes: int = 2 * 1024 * 1024
    """Bytes of one file (``raw``) part."""
    max_url_chars: int = 2048
    """Characters of one ``url`` part."""

    def check(self, message: Message) -> None:
        """Raise ``InvalidParamsError`` naming the first part over its limit."""
        parts = message.parts
        if len(parts) > self.max_parts:
            raise InvalidParamsError(
                message=f"message.parts: {len(parts):,} parts; this agent reads at most {self.max_parts} "
                "per message"
            )
        for index, part in enumerate(parts):
            kind = part.WhichOneof("content")
            size, limit, unit = _measure(part, kind, self)
            if size > limit:
                raise InvalidParamsError(
                    message=f"message.parts[{index}].{kind}: {size:,} {unit}; this agent reads at most "
                    f"{limit:,} {unit} per {kind} part"
                )


def _measure(part: Any, kind: str | None, limits: MessageLimits) -> tuple[int, int, str]:
    if kind == "text":
        return len(part.text), limits.max_text_chars, "characters"
    if kind == "data":
        return part.data.ByteSize(), limits.max_data_bytes, "bytes"
    if kind == "raw":
        return len(part.raw), limits.max_raw_bytes, "bytes"
    if kind == "url":
        return len(part.url), limits.max_url_chars, "characters"
    return 0, 0, ""


def jsonrpc_error_body(message: str) -> dict[str, Any]:
    """The body of a 413 to a JSON-RPC client: an ``Invalid Request`` error with no id (the request was
    never read)."""
    return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}
