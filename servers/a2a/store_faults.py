"""A task store whose failures reach clients as one plain sentence, never as SQL.

A damaged ``tasks.db`` (or a database that went away) makes SQLAlchemy raise errors whose text holds the
statement and its parameters — other callers' task ids and contents. The SDK would send that text to the
client as an internal error. :class:`FaultTolerantStore` logs the error with its traceback and raises the
SDK's ``InternalError`` with a sentence saying what is wrong and what to do.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from a2a.server.tasks import TaskStore
from a2a.utils.errors import InternalError

if TYPE_CHECKING:
    from a2a.server.context import ServerCallContext
    from a2a.types import ListTasksRequest, ListTasksResponse, Task

__all__ = ["FaultTolerantStore"]

log = logging.getLogger(__name__)


class FaultTolerantStore(TaskStore):
    """Delegates to ``store``; a database error becomes an ``InternalError`` with a readable message."""

    def __init__(self, store: TaskStore) -> None:
        self.store = store
        self.where = _describe(store)

    async def save(self, task: Task, context: ServerCallContext) -> None:
        try:
            await self.store.save(task, context)
        except Exception as exc:
            raise self._fault(exc, "save a task") from None

    async def get(self, task_id: str, context: ServerCallContext) -> Task | None:
        try:
            return await self.store.get(task_id, context)
        except Exception as exc:
            raise self._fault(exc, "read a task") from None

    async def list(self, params: ListTasksRequest, context: ServerCallContext) -> ListTasksResponse:
        try:
            return await self.store.list(params, context)
        except Exception as exc:
            raise self._fault(exc, "list tasks") from None

    async def delete(self, task_id: str, context: ServerCallContext) -> None:
        try:
            await self.store.delete(task_id, context)
        except Exception as exc:
            raise self._fault(exc, "delete a task") from None

    def _fault(self, exc: Exception, doing: str) -> Exception:
        from sqlalchemy.exc import DBAPIError, SQLAlchemyError

        if not isinstance(exc, SQLAlchemyError):
            return exc  # the SDK's own errors (and bugs) pass as they are
        log.error("the task store %s failed to %s", self.where, doing, exc_info=exc)
        reason = str(exc.orig) if isinstance(exc, DBAPIError) else type(exc).__name__
        if _damaged(reason):
            message = (
                f"the task store {self.where} is damaged ({reason}): the server cannot {doing}; move the "
                "file away and restart the server to start a fresh one"
            )
        else:
            message = (
                f"the task store {self.where} failed to {doing} ({reason}); details are in the server log"
            )
        return InternalError(message=message)


def _damaged(reason: str) -> bool:
    return any(sign in reason for sign in ("malformed", "not a database", "corrupt"))


def _describe(store: TaskStore) -> str:
    """The store's database as a user knows it: the SQLite file, or the URL without its password."""
    engine: Any = getattr(store, "engine", None)
    if engine is None:
        return "(in memory)"
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return str(url.database)
    return str(url.render_as_string(hide_password=True))
