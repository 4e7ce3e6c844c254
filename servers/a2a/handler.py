"""The request handler of protoplay's A2A servers: the SDK's, with what its deployments need on top."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from a2a.server.request_handlers import DefaultRequestHandlerV2
from a2a.utils.errors import UnsupportedOperationError

from servers.a2a.executor import KIND
from servers.a2a.limits import MessageLimits
from servers.a2a.recovery import INTERRUPTED

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from a2a.server.context import ServerCallContext
    from a2a.server.events import Event
    from a2a.types import Message, SendMessageRequest, Task

__all__ = ["ProtoplayRequestHandler"]


class ProtoplayRequestHandler(DefaultRequestHandlerV2):
    """The SDK's request handler, except that:

    - a message to a task that its server's end interrupted (:mod:`servers.a2a.recovery`) is refused with
      the reason and what to do, instead of a bare "terminal state" error;
    - a task parked waiting for input frees its in-memory state after ``idle_release_s`` (any replica
      picks it up again from the store);
    - a message with a part over ``limits`` (:class:`servers.a2a.limits.MessageLimits`) is refused before
      anything runs or is stored.

    New tasks' ids come from the request context builder (see
    :class:`servers.a2a.jsonrpc.TaskContextBuilder`, which takes the store's generator when it has one).
    """

    def __init__(
        self, *, idle_release_s: float = 600.0, limits: MessageLimits | None = None, **options: Any
    ) -> None:
        super().__init__(interrupted_task_timeout=idle_release_s, **options)
        self.limits = limits or MessageLimits()

    async def on_message_send(self, params: SendMessageRequest, context: ServerCallContext) -> Task | Message:
        self.limits.check(params.message)
        try:
            return await super().on_message_send(params, context)
        except UnsupportedOperationError as error:
            raise await self._explained(error, params, context) from None

    async def on_message_send_stream(
        self, params: SendMessageRequest, context: ServerCallContext
    ) -> AsyncGenerator[Event, None]:
        self.limits.check(params.message)
        inner = super().on_message_send_stream(params, context)
        try:
            async for event in inner:
                yield event
        except UnsupportedOperationError as error:
            raise await self._explained(error, params, context) from None
        finally:
            await inner.aclose()

    async def _explained(
        self, error: UnsupportedOperationError, params: SendMessageRequest, context: ServerCallContext
    ) -> UnsupportedOperationError:
        task_id = params.message.task_id
        stored = await self._versioned_store.get(task_id, context) if task_id else None
        if stored is None:
            return error
        status = stored.task.status
        kind = status.message.metadata.fields.get(KIND) if status.HasField("message") else None
        if kind is None or kind.string_value != INTERRUPTED:
            return error
        reason = "".join(part.text for part in status.message.parts)
        return UnsupportedOperationError(message=f"Task {task_id} has ended: {reason}")
