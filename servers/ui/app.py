"""The playground's HTTP API and page: one Starlette app in front of a
:class:`~servers.ui.playground.Playground`.

Routes (all behind :class:`~servers.ui.guard.AccessGuard`):

- ``GET /`` the page, ``/static/…`` its files; ``GET /api/events`` the live event stream (SSE);
- ``GET /api/status``; chat: ``GET /api/chat/sessions``, ``GET /api/chat/sessions/{name}``,
  ``POST /api/chat/send``, ``POST /api/chat/stop``;
- tools: ``GET /api/catalogue``, ``POST /api/tools/call``, ``POST /api/resources/read``,
  ``POST /api/prompts/get``;
- agents: ``GET /api/a2a/known``, ``POST /api/a2a/card|send|tasks|cancel``;
- demos: ``GET /api/demos``, ``POST /api/demos/run``, ``POST /api/demos/answer``;
- ``GET /api/memory``, ``POST /api/memory/forget``, ``GET /api/memory/export``; ``GET /api/traces``,
  ``GET /api/traces/{session}``, ``GET /api/traces/{session}/{index}``; ``GET /api/images/{name}``.

Bodies are validated at the edge (pydantic); a bad one gets 400 with one line naming the field. Expected
failures answer ``{"error": sentence}`` (400, 404, 409, 502, 503); a crash is logged with its traceback and
answers 500 with a short message — the page shows it, and the next request works.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from agents.errors import AgentError, unwrap
from servers.ui import records
from servers.ui.guard import AccessGuard
from servers.ui.playground import Playground

__all__ = ["STATIC_DIR", "build_app"]

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
_NAME = Field(min_length=1, max_length=120)
_URL = Field(min_length=1, max_length=2000)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ChatSend(_Body):
    session: str = _NAME
    text: str = Field(min_length=1, max_length=20_000)


class ChatStop(_Body):
    session: str = _NAME


class ToolCall(_Body):
    name: str = _NAME
    arguments: dict[str, Any] = Field(default_factory=dict)


class ResourceRead(_Body):
    uri: str = _URL


class PromptGet(_Body):
    name: str = _NAME
    arguments: dict[str, str] = Field(default_factory=dict)


class PeerRef(_Body):
    url: str = _URL


class PeerSend(_Body):
    url: str = _URL
    text: str = Field(min_length=1, max_length=20_000)
    task_id: str | None = Field(default=None, max_length=200)
    context_id: str | None = Field(default=None, max_length=200)


class PeerCancel(_Body):
    url: str = _URL
    task_id: str = Field(min_length=1, max_length=200)


class DemoRun(_Body):
    name: str = _NAME


class DemoAnswer(_Body):
    run: str = _NAME
    text: str = Field(min_length=1, max_length=20_000)


class Forget(_Body):
    id: int = Field(ge=1)


Handler = Callable[[Request, Playground], Awaitable[Any]]


def build_app(
    playground: Playground,
    *,
    token: str,
    port: int,
    host: str = "127.0.0.1",
    allowed_hosts: tuple[str, ...] = (),
) -> Starlette:
    """The app for ``playground``, guarded by ``token`` (the cookie is named after ``port``)."""
    routes = [
        Route("/", _page),
        Route("/api/events", _events),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    routes += [
        Route(path, _endpoint(playground, handler), methods=[method]) for method, path, handler in _API
    ]
    guard = Middleware(AccessGuard, token=token, port=port, host=host, allowed_hosts=allowed_hosts)
    app = Starlette(routes=routes, middleware=[guard])
    app.state.playground = playground
    return app


async def _page(request: Request) -> Response:
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})


async def _events(request: Request) -> Response:
    playground: Playground = request.app.state.playground
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(playground.hub.stream(), media_type="text/event-stream", headers=headers)


def _endpoint(playground: Playground, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request, playground)
        except Exception as error:
            return _error_response(error)
        return result if isinstance(result, Response) else JSONResponse(result)

    return endpoint


async def _body(request: Request, model: type[_Body]) -> Any:
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as error:
        raise _BadRequest(_validation_message(error)) from None


class _BadRequest(Exception):
    """A request the API cannot read; the message names the field."""


def _validation_message(error: ValidationError) -> str:
    first = error.errors()[0]
    if first["type"] == "json_invalid":
        return f"the body is not valid JSON ({first['msg']})"
    field = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{field}: {first['msg'][0].lower()}{first['msg'][1:]}"


def _error_response(error: Exception) -> Response:
    from servers.a2a.demo import DemoError
    from servers.ui.chat import Busy
    from servers.ui.demos import DemoBusy

    leaf = unwrap(error)
    status = 400
    if isinstance(leaf, Busy | DemoBusy):
        status = 409
    elif isinstance(leaf, FileNotFoundError):
        return JSONResponse({"error": f"not found: {leaf}"}, status_code=404)
    elif isinstance(leaf, _BadRequest | DemoError):
        status = 400
    elif isinstance(leaf, AgentError):
        status = _agent_error_status(leaf)
    else:
        log.error("playground request crashed", exc_info=error)
        message = f"internal error ({type(leaf).__name__}); details in the playground's log. Try again."
        return JSONResponse({"error": message}, status_code=500)
    return JSONResponse({"error": _sentence(leaf)}, status_code=status)


def _agent_error_status(error: AgentError) -> int:
    from agents.a2a.client import PeerUnavailable
    from agents.errors import ToolServerError
    from servers.ui.catalogue import CatalogueError
    from servers.ui.peers import PeerInputError

    if isinstance(error, PeerInputError | CatalogueError):
        return 400
    if isinstance(error, ToolServerError):
        return 503
    if isinstance(error, PeerUnavailable):
        return 502
    return 400


def _sentence(error: BaseException) -> str:
    from servers.cli.options import user_message

    return user_message(error) if isinstance(error, AgentError) else str(error)


# ------------------------------------------------------------------------------------------------ handlers


async def _status(request: Request, playground: Playground) -> Any:
    return playground.status


async def _sessions(request: Request, playground: Playground) -> Any:
    return {"sessions": await playground.chat.saved_sessions()}


async def _session(request: Request, playground: Playground) -> Any:
    name = request.path_params["name"]
    return {"name": name, "messages": await playground.chat.history(name)}


async def _chat_send(request: Request, playground: Playground) -> Any:
    body = await _body(request, ChatSend)
    return {"turn": await playground.chat.send(body.session, body.text), "session": body.session}


async def _chat_stop(request: Request, playground: Playground) -> Any:
    body = await _body(request, ChatStop)
    return {"stopped": await playground.chat.stop(body.session)}


async def _catalogue(request: Request, playground: Playground) -> Any:
    from servers.ui.catalogue import list_catalogue

    return await list_catalogue(playground.holder)


async def _tool_call(request: Request, playground: Playground) -> Any:
    from servers.ui.catalogue import call_tool

    body = await _body(request, ToolCall)
    return await call_tool(playground.holder, body.name, body.arguments)


async def _resource(request: Request, playground: Playground) -> Any:
    from servers.ui.catalogue import read_resource

    return await read_resource(playground.holder, (await _body(request, ResourceRead)).uri)


async def _prompt(request: Request, playground: Playground) -> Any:
    from servers.ui.catalogue import get_prompt

    body = await _body(request, PromptGet)
    return await get_prompt(playground.holder, body.name, body.arguments)


async def _known(request: Request, playground: Playground) -> Any:
    return {"agents": playground.peers.known()}


async def _card(request: Request, playground: Playground) -> Any:
    return await playground.peers.card((await _body(request, PeerRef)).url)


async def _peer_send(request: Request, playground: Playground) -> Any:
    body = await _body(request, PeerSend)
    return await playground.peers.send(body.url, body.text, task_id=body.task_id, context_id=body.context_id)


async def _peer_tasks(request: Request, playground: Playground) -> Any:
    return {"tasks": await playground.peers.tasks((await _body(request, PeerRef)).url)}


async def _peer_cancel(request: Request, playground: Playground) -> Any:
    body = await _body(request, PeerCancel)
    return await playground.peers.cancel(body.url, body.task_id)


async def _demos(request: Request, playground: Playground) -> Any:
    return {"demos": playground.demos.scenarios()}


async def _demo_run(request: Request, playground: Playground) -> Any:
    return await playground.demos.start((await _body(request, DemoRun)).name)


async def _demo_answer(request: Request, playground: Playground) -> Any:
    body = await _body(request, DemoAnswer)
    playground.demos.answer(body.run, body.text)
    return {"answered": True}


async def _memories(request: Request, playground: Playground) -> Any:
    query = request.query_params.get("query", "")
    try:
        limit = int(request.query_params.get("limit", "50"))
    except ValueError:
        raise _BadRequest("limit: must be a whole number") from None
    if not 1 <= limit <= 500:
        raise _BadRequest("limit: must be between 1 and 500")
    return {
        "memories": await records.list_memories(playground.holder, query=query, limit=limit),
        "query": query,
    }


async def _forget(request: Request, playground: Playground) -> Any:
    memory_id = (await _body(request, Forget)).id
    if not await records.forget_memory(playground.holder, memory_id):
        raise FileNotFoundError(f"memory {memory_id}")
    return {"forgotten": memory_id}


async def _export(request: Request, playground: Playground) -> Any:
    text = await records.export_memories(playground.holder)
    headers = {"Content-Disposition": 'attachment; filename="protoplay-memories.json"'}
    return Response(text, media_type="application/json", headers=headers)


async def _traces(request: Request, playground: Playground) -> Any:
    return {"traces": records.saved_traces()}


async def _trace(request: Request, playground: Playground) -> Any:
    return records.trace_rows(request.path_params["session"])


async def _trace_event(request: Request, playground: Playground) -> Any:
    return records.trace_event(request.path_params["session"], request.path_params["index"])


async def _image(request: Request, playground: Playground) -> Any:
    return FileResponse(records.image_path(request.path_params["name"]))


_API: list[tuple[str, str, Handler]] = [
    ("GET", "/api/status", _status),
    ("GET", "/api/chat/sessions", _sessions),
    ("GET", "/api/chat/sessions/{name}", _session),
    ("POST", "/api/chat/send", _chat_send),
    ("POST", "/api/chat/stop", _chat_stop),
    ("GET", "/api/catalogue", _catalogue),
    ("POST", "/api/tools/call", _tool_call),
    ("POST", "/api/resources/read", _resource),
    ("POST", "/api/prompts/get", _prompt),
    ("GET", "/api/a2a/known", _known),
    ("POST", "/api/a2a/card", _card),
    ("POST", "/api/a2a/send", _peer_send),
    ("POST", "/api/a2a/tasks", _peer_tasks),
    ("POST", "/api/a2a/cancel", _peer_cancel),
    ("GET", "/api/demos", _demos),
    ("POST", "/api/demos/run", _demo_run),
    ("POST", "/api/demos/answer", _demo_answer),
    ("GET", "/api/memory", _memories),
    ("POST", "/api/memory/forget", _forget),
    ("GET", "/api/memory/export", _export),
    ("GET", "/api/traces", _traces),
    ("GET", "/api/traces/{session}", _trace),
    ("GET", "/api/traces/{session}/{index:int}", _trace_event),
    ("GET", "/api/images/{name}", _image),
]
