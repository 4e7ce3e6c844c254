"""Command line A2A client: ``protoplay a2a card|send|tasks|get|cancel URL ...`` against any A2A agent.

Built on the project's peer client (:class:`agents.a2a.client.PeerClient`), so it speaks what that client
speaks: A2A 1.0, or 0.3 when an agent's card offers only 0.3. Output is for people (states, the answer,
artifacts, the files saved from them); ``--json`` prints the protocol's own JSON (A2A 1.0 field names).
Expected failures (unreachable agent, refused token, unknown task) are one ``error:`` line, exit 1; a task
that ends failed, canceled or rejected exits 1 too.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from agents.config import Env
from agents.text import one_line
from servers.cli.a2a import check_http_url
from servers.cli.options import JsonOpt, OtlpEndpointOpt, start_telemetry
from servers.serving import fail

if TYPE_CHECKING:
    from a2a.types import AgentCard, Artifact, Part, Task

    from agents.a2a.client import PeerClient
    from agents.a2a.tasks import PeerResult, PeerUpdate

__all__ = ["register"]

client_app = typer.Typer(
    help="Talk to an A2A agent (1.0 or 0.3): read its card, send it a message and follow the task, list, get "
    "and cancel its tasks.",
    no_args_is_help=True,
)

T = TypeVar("T")
TOKEN_ENV = Env.A2A_PEER_TOKEN.value
CLIENT_SERVICE = "protoplay-a2a-client"
"""The ``service.name`` of ``a2a send``'s OpenTelemetry spans."""
#: The states a task can be in, as ``--status`` takes them (A2A's spelling).
STATES = (
    "submitted",
    "working",
    "input-required",
    "auth-required",
    "completed",
    "failed",
    "canceled",
    "rejected",
)
_FAILED = ("failed", "canceled", "rejected")

UrlArg = Annotated[
    str,
    typer.Argument(
        metavar="URL", help="The agent's base URL (its card is at URL/.well-known/agent-card.json)."
    ),
]
TaskArg = Annotated[str, typer.Argument(metavar="TASK", help="The task id.")]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar=TOKEN_ENV,
        show_default=False,
        help=f"Send 'Authorization: Bearer TOKEN' (or set {TOKEN_ENV}).",
    ),
]
TimeoutOpt = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=1,
        max=86_400,
        help="Seconds to wait for the task to settle; then it is cancelled at the agent.",
    ),
]
SaveDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--save-dir",
        help=f"Where to write the files a task produced (default: ${Env.HOME}/a2a-files/TASK).",
    ),
]


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    """Add the ``a2a`` command group to ``app``."""
    app.add_typer(client_app, name="a2a")


# ------------------------------------------------------------------------------------------------- commands


@client_app.command("card")
def card_command(url: UrlArg, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Show an agent's card: name, interfaces and protocol versions, capabilities, security, skills."""
    card = _run(url, token, 30.0, lambda peer: peer.discover(session="cli"))
    if as_json:
        _print_json(card)
        return
    typer.echo(f"{card.name} {card.version}".rstrip())
    if card.description:
        typer.echo(f"  {card.description}")
    for interface in card.supported_interfaces:
        typer.echo(
            f"  interface: {interface.protocol_binding} A2A {interface.protocol_version} at {interface.url}"
        )
    caps = card.capabilities
    typer.echo(
        f"  streaming: {'yes' if caps.streaming else 'no'}; "
        f"push notifications: {'yes' if caps.push_notifications else 'no'}"
    )
    schemes = ", ".join(card.security_schemes) or "none (no token needed)"
    typer.echo(f"  security: {schemes}")
    typer.echo(f"  skills ({len(card.skills)}):")
    for skill in card.skills:
        typer.echo(f"    {skill.id}: {skill.name}")
        for example in list(skill.examples)[:2]:
            typer.echo(f"      e.g. {example}")


@client_app.command("send")
def send_command(
    url: UrlArg,
    text: Annotated[str, typer.Argument(help="The message to send.")],
    stream: Annotated[
        bool, typer.Option("--stream", help="Follow the task by its stream and print each update.")
    ] = False,
    task: Annotated[
        str | None, typer.Option("--task", help="Continue this task (e.g. answer its question).")
    ] = None,
    context: Annotated[
        str | None, typer.Option("--context", help="Send within this context (a conversation).")
    ] = None,
    token: TokenOpt = None,
    timeout: TimeoutOpt = 300.0,
    save_dir: SaveDirOpt = None,
    as_json: JsonOpt = False,
    otlp_endpoint: OtlpEndpointOpt = None,
) -> None:
    """Send a message; wait until its task completes, fails or asks for input; print the outcome."""
    from agents.telemetry import span

    start_telemetry(otlp_endpoint, service=CLIENT_SERVICE)  # before a2a-sdk is imported
    updates: list[PeerUpdate] = []

    async def on_update(update: PeerUpdate) -> None:
        updates.append(update)
        if stream and not as_json:
            typer.echo("  " + one_line(f"[{update.state}] {update.text}", 160))

    async def send(peer: PeerClient) -> tuple[PeerResult, Task | None]:
        result = await peer.send(text, session="cli", task_id=task, context_id=context, on_update=on_update)
        stored = await peer.get_task(result.task_id, session="cli") if result.task_id else None
        return result, stored

    with span("a2a send", {"url.full": url}):  # one trace: the card, the message, reading the task
        result, stored = _run(url, token, timeout, send, streaming=stream)
    if as_json:
        document: dict[str, Any] = (
            {"task": _to_dict(stored)} if stored is not None else {"message": result.text}
        )
        if stream:
            document["updates"] = [{"state": u.state, "kind": u.kind, "text": u.text} for u in updates]
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    elif stored is not None:
        _print_task(stored, save_dir)
    else:
        typer.echo(result.text)  # the agent answered with a message, no task
    if stored is not None and result.state in ("input-required", "auth-required"):
        typer.echo(f'\nanswer with: protoplay a2a send {url} "..." --task {stored.id}', err=True)
    if result.state in _FAILED:
        raise typer.Exit(1)


@client_app.command("tasks")
def tasks_command(
    url: UrlArg,
    context: Annotated[str | None, typer.Option("--context", help="Only the tasks of this context.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help=f"Only tasks in this state: {', '.join(STATES)}.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="How many tasks to show.")] = 20,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the agent's tasks, newest first (A2A 1.0 agents; 0.3 has no listing)."""
    if status is not None and status not in STATES:
        raise fail(f"--status must be one of {', '.join(STATES)} (got {status!r})")
    page = _run(
        url,
        token,
        30.0,
        lambda peer: peer.list_tasks(session="cli", context_id=context, status=status, page_size=limit),
    )
    if as_json:
        _print_json(page)
        return
    from agents.a2a.tasks import message_text, state_name

    shown = len(page.tasks)
    typer.echo(
        f"{page.total_size} task{'s' if page.total_size != 1 else ''}"
        + (f", newest {shown}:" if shown else "")
    )
    for item in page.tasks:
        when = (
            item.status.timestamp.ToDatetime().strftime("%Y-%m-%d %H:%M:%S")
            if item.status.HasField("timestamp")
            else ""
        )
        said = message_text(item.status.message) if item.status.HasField("message") else ""
        typer.echo(f"  {state_name(item.status.state):<15} {item.id}  {when}  {one_line(said, 80)}".rstrip())


@client_app.command("get")
def get_command(
    url: UrlArg,
    task_id: TaskArg,
    token: TokenOpt = None,
    save_dir: SaveDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a task: its state, last message and artifacts (files are saved)."""
    stored = _run(url, token, 30.0, lambda peer: peer.get_task(task_id, session="cli"))
    if as_json:
        _print_json(stored)
    else:
        _print_task(stored, save_dir)


@client_app.command("cancel")
def cancel_command(url: UrlArg, task_id: TaskArg, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Ask the agent to cancel a task; show the task as it then stands."""
    stored = _run(url, token, 30.0, lambda peer: peer.cancel(task_id, session="cli"))
    if as_json:
        _print_json(stored)
    else:
        _print_task(stored, None)


# ------------------------------------------------------------------------------------------------- helpers


def _run(
    url: str,
    token: str | None,
    timeout: float,
    action: Callable[[PeerClient], Awaitable[T]],
    *,
    streaming: bool = False,
) -> T:
    """Run ``action`` with a peer client bound to ``url``; an expected failure becomes one ``error:`` line."""
    from agents.a2a.client import PeerClient, PeerError
    from servers.a2a.card import protoplay_version

    check_http_url(url, what="URL")

    async def main() -> T:
        peer = PeerClient(
            url,
            token=token,
            timeout_s=timeout,
            streaming=streaming,
            user_agent=f"protoplay-cli/{protoplay_version()}",
        )
        async with peer:
            return await action(peer)

    try:
        return asyncio.run(main())
    except PeerError as exc:
        hint = "; pass the agent's token with --token" if exc.setting == "peer_token" else ""
        raise fail(f"{str(exc).rstrip('.')}{hint}." if hint else str(exc), code=1) from None


def _print_task(task: Task, save_dir: Path | None) -> None:
    from agents.a2a.tasks import message_text, state_name

    said = message_text(task.status.message) if task.status.HasField("message") else ""
    typer.echo(f"task {task.id}  context {task.context_id}  [{state_name(task.status.state)}]")
    if said:
        typer.echo(f"\n{said}")
    if not task.artifacts:
        return
    typer.echo("\nartifacts:")
    folder = save_dir if save_dir is not None else _default_folder(task.id)
    for artifact in task.artifacts:
        for line in _artifact_lines(artifact, folder, said):
            typer.echo(line)


def _artifact_lines(artifact: Artifact, folder: Path, said: str) -> list[str]:
    """One line per part (files saved under ``folder``); a text part is shown whole unless it repeats
    ``said``, the status message."""
    name = artifact.name or artifact.artifact_id
    lines = []
    for index, part in enumerate(artifact.parts):
        if part.HasField("text"):
            if part.text.strip() == said.strip():
                lines.append(f"  {name}: text, {len(part.text)} chars (the message above)")
            else:
                lines.append(f"  {name}:\n" + "\n".join(f"    {row}" for row in part.text.splitlines()))
        elif part.HasField("data"):
            size = len(json.dumps(_to_dict(part.data)))
            lines.append(f"  {name}: data, {size:,} bytes of JSON (--json shows it)")
        elif part.HasField("raw"):
            path = _save(folder, _file_name(artifact, part, index), part.raw)
            lines.append(f"  {name}: {part.media_type or 'bytes'}, {len(part.raw):,} bytes → saved {path}")
        elif part.HasField("url"):
            lines.append(f"  {name}: {part.media_type or 'file'} at {part.url}")
    return lines or [f"  {name}: (empty)"]


def _file_name(artifact: Artifact, part: Part, index: int) -> str:
    import mimetypes

    if part.filename:
        stem = Path(part.filename).name
    else:
        suffix = mimetypes.guess_extension(part.media_type or "") or ".bin"
        stem = f"{artifact.name or artifact.artifact_id}{f'-{index + 1}' if index else ''}{suffix}"
    return re.sub(r"[^\w.\-]+", "_", stem).lstrip(".") or "file.bin"


def _save(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise fail(f"--save-dir: cannot write {path}: {exc.strerror or exc}") from None
    return path.resolve()


def _default_folder(task_id: str) -> Path:
    from agents.config import protoplay_home

    return protoplay_home() / "a2a-files" / re.sub(r"[^\w\-]+", "_", task_id)


def _to_dict(message: Any) -> Any:
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(message)


def _print_json(message: AgentCard | Task | Any) -> None:
    typer.echo(json.dumps(_to_dict(message), indent=2, ensure_ascii=False))
