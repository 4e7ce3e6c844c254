"""The JSON-RPC endpoint: A2A 1.0 and 0.3 on one URL, with the parameter checks the SDK leaves to the server.

a2a-sdk's dispatcher routes 0.3 method names (``message/send``, ``tasks/get``...) to its 0.3 adapter when
compatibility is on, and PascalCase 1.0 names (``SendMessage``...) to the 1.0 handler. A request without an
``A2A-Version`` header is A2A 0.3 by the spec, so it may call the 0.3 methods.

What the SDK (1.3) leaves to us, done here:

- a 1.0 method name (``SendMessage``...) without an ``A2A-Version`` header: the SDK treats the request as 0.3
  and refuses it (``-32009``), although no 0.3 method has that name — so such a request can only mean 1.0.
  Clients that omit the header (the official A2A TCK among them) are served as 1.0 instead
  (:class:`VersionedContextBuilder`); a header naming another version is still refused by the SDK;
- a 0.3 method sent with ``A2A-Version: 1.0`` would reach the SDK's 0.3 adapter and come back as an internal
  error; it is answered ``-32601`` naming the 1.0 method to call;
- it parses params with ``ignore_unknown_fields``, which also turns an unknown enum name into 0 — so
  ``ListTasks`` with ``"status": "TASK_STATE_DONE"`` would silently list every task. Such a filter is answered
  ``-32602`` with the valid names (:class:`ProtoplayDispatcher`);
- a message that names its task but not its context gets a brand-new context id, although the spec says the
  server infers it from the task: the agent would see the continuation of a task as another conversation.
  :class:`TaskContextBuilder` gives it the task's context.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from a2a.server.agent_execution import RequestContext, SimpleRequestContextBuilder
from a2a.server.routes.common import DefaultServerCallContextBuilder
from a2a.server.routes.jsonrpc_dispatcher import JsonRpcDispatcher
from a2a.utils.constants import PROTOCOL_VERSION_1_0, VERSION_HEADER
from a2a.utils.errors import A2AError, InvalidParamsError, MethodNotFoundError

if TYPE_CHECKING:
    from a2a.server.cluster import VersionedTaskStore
    from a2a.server.context import ServerCallContext
    from a2a.server.id_generator import IDGenerator
    from a2a.server.request_handlers import RequestHandler
    from a2a.server.tasks import TaskStore
    from a2a.types import SendMessageRequest, Task
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

__all__ = [
    "ProtoplayDispatcher",
    "TaskContextBuilder",
    "VersionedContextBuilder",
    "jsonrpc_routes",
    "list_tasks_status_problem",
]

#: The 1.0 name of each 0.3 method, for the answer to a 0.3 method sent with a 1.0 header.
_METHODS_1_0 = {
    "message/send": "SendMessage",
    "message/stream": "SendStreamingMessage",
    "tasks/get": "GetTask",
    "tasks/cancel": "CancelTask",
    "tasks/resubscribe": "SubscribeToTask",
    "tasks/pushNotificationConfig/set": "CreateTaskPushNotificationConfig",
    "tasks/pushNotificationConfig/get": "GetTaskPushNotificationConfig",
    "tasks/pushNotificationConfig/list": "ListTaskPushNotificationConfigs",
    "tasks/pushNotificationConfig/delete": "DeleteTaskPushNotificationConfig",
    "agent/getAuthenticatedExtendedCard": "GetExtendedAgentCard",
}


class VersionedContextBuilder(DefaultServerCallContextBuilder):
    """The SDK's call context, with ``A2A-Version: 1.0`` implied for a 1.0 method sent without the header
    (the dispatcher marks such a request in ``request.state``)."""

    def build(self, request: Request) -> ServerCallContext:
        context = super().build(request)
        if getattr(request.state, "implied_a2a_version", None):
            context.state.setdefault("headers", {})[VERSION_HEADER] = PROTOCOL_VERSION_1_0
        return context


class ProtoplayDispatcher(JsonRpcDispatcher):
    """The SDK's JSON-RPC dispatcher (0.3 compatibility on): a 1.0 method without a version header is served
    as 1.0; a 0.3 method with a 1.0 header is answered ``-32601`` naming the 1.0 method; a ``ListTasks``
    status filter that names no task state is answered ``-32602`` (the SDK's lenient parsing drops it)."""

    async def handle_requests(self, request: Request) -> Response:
        try:
            body = await request.json()  # Starlette keeps the parsed body: the SDK reads it again for free
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None  # the SDK answers a parse error itself
        if isinstance(body, dict):
            error = self._early_error(body.get("method"), body.get("params"), request)
            if error is not None:
                request_id = body.get("id")
                valid_id = isinstance(request_id, str | int) and not isinstance(request_id, bool)
                return self._generate_error_response(request_id if valid_id else None, error)
        return await super().handle_requests(request)

    def _early_error(self, method: Any, params: Any, request: Request) -> A2AError | None:
        version = request.headers.get(VERSION_HEADER, "")
        if method in self.METHOD_TO_MODEL and not version:
            request.state.implied_a2a_version = True  # only 1.0 has this method: serve it as 1.0
        if method in _METHODS_1_0 and version.startswith("1."):
            return MethodNotFoundError(
                message=f"{method} is an A2A 0.3 method; with '{VERSION_HEADER}: {version}' call "
                f"{_METHODS_1_0[method]} (or leave the header out to speak 0.3)."
            )
        if method == "ListTasks":
            problem = list_tasks_status_problem(params)
            if problem is not None:
                return InvalidParamsError(message=problem)
        return None


def list_tasks_status_problem(params: Any) -> str | None:
    """Why a ``ListTasks`` request's ``params.status`` names no task state (``None``: it does, or none)."""
    from a2a.types import TaskState

    if not isinstance(params, dict) or params.get("status") in (None, ""):
        return None
    status = params["status"]
    valid = [name for name in TaskState.keys() if name != "TASK_STATE_UNSPECIFIED"]  # noqa: SIM118 - an enum wrapper, not a dict
    if status in ("TASK_STATE_UNSPECIFIED", 0) or (isinstance(status, str) and status in valid):
        return None  # a state, or protobuf's default (no filter, as if absent)
    if isinstance(status, int) and not isinstance(status, bool) and status in TaskState.values():
        return None  # protobuf JSON also accepts an enum's number
    return f"params.status: {status!r} is not a task state; use one of {', '.join(valid)}"


def jsonrpc_routes(handler: RequestHandler, path: str = "/") -> list[Route]:
    """One ``POST path`` route answering A2A 1.0 and 0.3 JSON-RPC requests."""
    from starlette.routing import Route

    dispatcher = ProtoplayDispatcher(
        request_handler=handler, enable_v0_3_compat=True, context_builder=VersionedContextBuilder()
    )
    return [Route(path, endpoint=dispatcher.handle_requests, methods=["POST"])]


class TaskContextBuilder(SimpleRequestContextBuilder):
    """Builds the request context of a message; one that continues a task without naming its context gets
    the task's context (read from the task store, as the caller may see it). New tasks' ids come from
    ``task_ids`` when given (a store that must know which tasks are new hands one out), else the SDK's."""

    def __init__(self, store: TaskStore | VersionedTaskStore, *, task_ids: IDGenerator | None = None) -> None:
        from a2a.server.cluster import LegacyTaskStoreAdapter, VersionedTaskStore

        super().__init__(task_id_generator=task_ids)
        self._store = store if isinstance(store, VersionedTaskStore) else LegacyTaskStoreAdapter(store)

    async def build(
        self,
        context: ServerCallContext,
        params: SendMessageRequest | None = None,
        task_id: str | None = None,
        context_id: str | None = None,
        task: Task | None = None,
    ) -> RequestContext:
        if task_id and not context_id:
            stored = None if task is not None else await self._store.get(task_id, context)
            known = task if task is not None else (stored.task if stored is not None else None)
            if known is not None and known.context_id:
                context_id = known.context_id
                if params is not None:
                    params.message.context_id = context_id
        return await super().build(context, params, task_id, context_id, task)
