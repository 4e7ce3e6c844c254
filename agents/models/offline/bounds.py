"""How much the offline model reads, and where its work runs: what the transport and ``serve llm`` share.

- :data:`MAX_REQUEST_CHARS`: the newest user message may be at most this long; a longer one is answered with
  a message saying so (in the user's language) instead of being understood. Earlier user messages the model
  may re-read are cut to the same length. What the model reads is therefore bounded whatever the request.
- :class:`OfflineWorkers`: one ``POST /chat/completions`` body → the response, computed in a worker thread
  so the event loop keeps serving other requests while the model works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from agents.messages import has_cjk
from agents.models.offline.engine import OfflineBrain, OfflineReply
from agents.models.offline.wire import WireResponse, handle_chat_completions

__all__ = ["MAX_REQUEST_CHARS", "BoundedBrain", "OfflineWorkers", "too_long_reply"]

T = TypeVar("T")

MAX_REQUEST_CHARS = 8_000
"""About 2,000 tokens: any question with its numbers fits; a pasted document does not."""


def too_long_reply(length: int) -> str:
    """What the offline model answers to a message of ``length`` characters over the limit."""
    return (
        f"Your message is {length:,} characters long; the offline model reads requests of up to "
        f"{MAX_REQUEST_CHARS:,} characters. Shorten it (one question at a time works best), or set "
        "OPENAI_BASE_URL / OPENAI_API_KEY to use a general-purpose model."
    )


def _too_long_reply_zh(length: int) -> str:
    return (
        f"你的消息有 {length:,} 个字符；离线模型最多读取 {MAX_REQUEST_CHARS:,} 个字符的请求。请缩短它"
        "（一次问一个问题最好），或设置 OPENAI_BASE_URL / OPENAI_API_KEY 使用通用模型。"
    )


class BoundedBrain(OfflineBrain):
    """The offline model (``inner``, else a fresh one) reading no more than :data:`MAX_REQUEST_CHARS` of any
    user message. Same interface; safe to share between threads like the brain itself."""

    def __init__(self, inner: OfflineBrain | None = None) -> None:
        super().__init__()
        self._inner = inner

    def respond(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], *, tool_choice: Any = None
    ) -> OfflineReply:
        if messages and messages[-1].get("role") == "user":
            text = _text(messages[-1].get("content"))
            if len(text) > MAX_REQUEST_CHARS:
                chinese = has_cjk(text[:500])
                return OfflineReply(text=(_too_long_reply_zh if chinese else too_long_reply)(len(text)))
        bounded = [_bounded(message) for message in messages]
        if self._inner is not None:
            return self._inner.respond(bounded, tools, tool_choice=tool_choice)
        return super().respond(bounded, tools, tool_choice=tool_choice)


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def _bounded(message: dict[str, Any]) -> dict[str, Any]:
    """A user message cut to :data:`MAX_REQUEST_CHARS` (others unchanged): the model re-reads earlier
    requests (a pending question's original request, the request an answer is written for)."""
    if message.get("role") != "user":
        return message
    text = _text(message.get("content"))
    if len(text) <= MAX_REQUEST_CHARS and not isinstance(message.get("content"), list):
        return message
    return {**message, "content": text[:MAX_REQUEST_CHARS]}


class OfflineWorkers:
    """Runs the offline model off the event loop: each request in a worker thread, at most ``threads`` at a
    time (later ones wait their turn without blocking anything else)."""

    def __init__(self, brain: OfflineBrain | None = None, *, threads: int = 4) -> None:
        self.brain = brain if isinstance(brain, BoundedBrain) else BoundedBrain(brain)
        self.threads = threads
        self._limiter: anyio.CapacityLimiter | None = None

    async def answer(self, raw: bytes) -> WireResponse:
        """The response to one ``POST /chat/completions`` body (see :func:`handle_chat_completions`)."""
        return await self.run(handle_chat_completions, self.brain, raw)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in one of the worker threads."""
        if self._limiter is None:  # created on first use: it belongs to the running event loop
            self._limiter = anyio.CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)
