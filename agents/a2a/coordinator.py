"""The coordinator's tools: one delegation tool per skill of each peer agent, built from the peers' cards.

A :class:`PeerToolbox` is a :class:`agents.toolbox.Toolbox`, so the ordinary function-calling agent becomes a
coordinator by being given one::

    async with PeerClient("http://127.0.0.1:9101") as specialist:
        toolbox = PeerToolbox([specialist])
        await toolbox.start()
        agent = Agent(model, toolbox, memory=memory, system_prompt=COORDINATOR_SYSTEM_PROMPT)
        result = await agent.run(text, session=session, context_id=context_id, observer=relay)

What a delegation call does (the turn's :class:`~agents.toolbox.TurnContext` carries the user's text, the
A2A context and the observer):

- sends the request to the peer as an A2A message and follows the task (stream or polling) until it settles,
  relaying every update to the turn's observer;
- a request written as several bullet points ("- ...") is split into one task per bullet, run concurrently;
- a request left out forwards the user's message of this turn as it is;
- when the peer asks a question (``input-required``) the question is returned to the model and the task is
  remembered as *pending* for this session: the next call to that peer in the session answers it (same task),
  unless the call names another ``task_id``;
- a peer that is down, too slow or fails its task gives an error result naming the peer and the reason; after
  a failure to reach it, its card is read again (and the call retried once if that works).

Artifacts the peer returns travel in ``ToolOutcome.extra["artifacts"]`` (the A2A server forwards them); plots
are also saved under ``$PROTOPLAY_HOME/images/`` and their paths shown to the model.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import Counter
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.a2a.client import PeerClient, PeerError, PeerUnavailable
from agents.a2a.compose import compose_answers
from agents.a2a.tasks import PeerResult, UpdateCallback, artifact_summary
from agents.images import save_image
from agents.local_tools import validation_message
from agents.messages import ToolSpec
from agents.text import one_line
from agents.toolbox import ToolOutcome, TurnContext, error_outcome

if TYPE_CHECKING:
    from a2a.types import AgentSkill, Artifact

__all__ = [
    "COORDINATOR_SYSTEM_PROMPT",
    "DelegateArguments",
    "PeerToolbox",
    "split_requests",
]

COORDINATOR_SYSTEM_PROMPT = (
    "You are protoplay's coordinator. You compute nothing yourself: each of your ask_* tools delegates to a "
    "specialist agent over A2A. Split the user's goal into self-contained requests — the specialist does not "
    "see this conversation, so include every number and name it needs; independent requests may go in "
    "parallel calls, or as bullet points ('- ...') in one request. When a specialist asks a question, answer "
    "it by calling the same tool again with the answer if this conversation or your memory holds it; "
    "otherwise ask the user with ask_user. Compose the final answer from the specialists' answers (mention "
    "saved plot files) and say plainly when a specialist could not help. Use remember/recall for what the "
    "user wants kept. Answer briefly, in the user's language."
)

_MAX_PARALLEL = 8
"""At most this many tasks are sent for one call (more bullets are refused with a message)."""


class DelegateArguments(BaseModel):
    """The arguments of every delegation tool (its JSON schema is what the model sees)."""

    model_config = ConfigDict(extra="forbid")

    request: str | None = Field(
        None,
        min_length=1,
        max_length=20_000,
        description=(
            "What to ask the specialist, written to stand alone (it does not see this conversation: include "
            "every number and identifier it needs). Several bullet points ('- ...') become separate tasks "
            "run in parallel. Omit it to forward the user's latest message as it is."
        ),
    )
    task_id: str | None = Field(
        None,
        max_length=200,
        description=(
            "Continue this task of the specialist (one that asked a question) with request as the answer. By "
            "default a question the specialist asked in this conversation is answered by the next call."
        ),
    )


@dataclass(frozen=True)
class _Route:
    peer: PeerClient
    skill_id: str
    skill_name: str


@dataclass
class _Pending:
    """A peer task waiting for an answer to its question."""

    task_id: str
    context_id: str
    question: str


@dataclass
class PeerToolbox:
    """Delegation tools over a set of peers (see the module docstring). Safe for concurrent sessions."""

    peers: Sequence[PeerClient]
    images_dir: Path | None = None
    """Where PNG artifacts are saved (default ``$PROTOPLAY_HOME/images``)."""
    retry_after_s: float = 5.0
    """A peer whose card could not be read is tried again at most this often (when tools are listed)."""
    _routes: dict[str, _Route] = field(default_factory=dict, init=False)
    _specs: list[ToolSpec] = field(default_factory=list, init=False)
    _pending: dict[tuple[str, str], _Pending] = field(default_factory=dict, init=False)
    _last_try: dict[str, float] = field(default_factory=dict, init=False)

    async def start(self, *, session: str = "startup") -> list[str]:
        """Read every peer's card (concurrently); returns the problems of the peers that could not be read."""
        await asyncio.gather(*(self._discover(peer, session) for peer in self.peers))
        self._rebuild()
        return [peer.last_error or f"{peer.url}: unknown error" for peer in self.peers if peer.card is None]

    @property
    def reachable(self) -> bool:
        """Whether at least one peer's card is known (so there is something to delegate to)."""
        return any(peer.card is not None for peer in self.peers)

    def unreachable_message(self) -> str:
        problems = "; ".join(peer.last_error or peer.url for peer in self.peers if peer.card is None)
        return (
            f"No specialist agent is reachable right now ({problems}). Nothing was delegated; send the "
            "request again once a specialist is up."
        )

    # ------------------------------------------------------------------------------------------ Toolbox

    async def tool_specs(self, context: TurnContext) -> list[ToolSpec]:
        session = context.session
        now = time.monotonic()
        missing = [
            peer
            for peer in self.peers
            if peer.card is None and now - self._last_try.get(peer.url, -1e9) >= self.retry_after_s
        ]
        if missing:
            await asyncio.gather(*(self._discover(peer, session) for peer in missing))
            self._rebuild()
        return self._specs

    async def call(self, name: str, arguments: dict[str, Any], context: TurnContext) -> ToolOutcome:
        session = context.session
        started = time.perf_counter()
        route = self._routes.get(name)
        if route is None:
            return error_outcome(f"there is no delegation tool named {name!r}")
        try:
            args = DelegateArguments.model_validate(arguments)
        except ValidationError as exc:
            return error_outcome(validation_message(exc))
        text = args.request or context.user_text
        if not text:
            return error_outcome("request: say what to ask the specialist")
        pending = self._pending.get((session, route.peer.url))
        if args.task_id or pending is not None:
            task_id = args.task_id or pending.task_id  # type: ignore[union-attr]
            context_id = pending.context_id if pending and pending.task_id == task_id else None
            requests = [(text, task_id, context_id)]
        else:
            parts = split_requests(text)
            if len(parts) > _MAX_PARALLEL:
                return error_outcome(
                    f"request: {len(parts)} bullet points; send at most {_MAX_PARALLEL} per call"
                )
            requests = [(part, None, context.context_id) for part in parts]
        observer = context.observer
        outcomes = await asyncio.gather(
            *(self._delegate(route, req, tid, cid, session, observer) for req, tid, cid in requests)
        )
        return self._outcome(route, [req for req, _, _ in requests], outcomes, session, started)

    def describe_call(self, name: str, arguments: dict[str, Any] | str) -> str:
        """One line for a status update: who is asked what."""
        route = self._routes.get(name)
        if route is None:
            return f"calling {name}"
        request = arguments.get("request") if isinstance(arguments, dict) else None
        what = one_line(request, 120) if request else "the user's request"
        return f"asking {route.peer.name} ({route.skill_name}): {what}"

    def pending_question(self, session: str) -> str | None:
        """The question a peer asked in ``session`` that is still unanswered (``None`` if none)."""
        saved = self.pending(session)
        return saved["question"] if saved else None

    def pending(self, session: str) -> dict[str, str] | None:
        """The unanswered peer question of ``session`` as plain data (kept with a task across restarts)."""
        for (name, peer_url), pending in self._pending.items():
            if name == session:
                ids = {"task_id": pending.task_id, "context_id": pending.context_id}
                return {"peer": peer_url, **ids, "question": pending.question}
        return None

    def restore_pending(self, session: str, saved: dict[str, str]) -> None:
        """Put back what :meth:`pending` returned (after a restart, or on another replica)."""
        if {"peer", "task_id", "context_id", "question"} <= saved.keys():
            pending = _Pending(saved["task_id"], saved["context_id"], saved["question"])
            self._pending.setdefault((session, saved["peer"]), pending)

    # ------------------------------------------------------------------------------------------ internals

    async def _discover(self, peer: PeerClient, session: str) -> None:
        self._last_try[peer.url] = time.monotonic()
        with contextlib.suppress(PeerError):
            await peer.discover(session=session)

    def _rebuild(self) -> None:
        """Tool specs from the cards now known (a peer keeps its tools while it is down)."""
        routes: dict[str, _Route] = {}
        specs: list[ToolSpec] = []
        skill_ids = [skill.id for peer in self.peers if peer.card for skill in peer.card.skills]
        for peer in self.peers:
            if peer.card is None:
                continue
            for skill in peer.card.skills:
                base = _slug(skill.id)
                unique = skill_ids.count(skill.id) == 1
                name = (f"ask_{base}" if unique else f"ask_{_slug(peer.name)}_{base}")[:64]
                routes[name] = _Route(peer, skill.id, skill.name or skill.id)
                specs.append(_spec(name, peer, skill))
        self._routes, self._specs = routes, specs

    async def _delegate(
        self,
        route: _Route,
        text: str,
        task_id: str | None,
        context_id: str | None,
        session: str,
        observer: UpdateCallback | None,
    ) -> PeerResult | PeerError:
        peer = route.peer

        def send() -> Awaitable[PeerResult]:
            return peer.send(
                text,
                session=session,
                task_id=task_id,
                context_id=context_id,
                metadata={"protoplay/skill": route.skill_id},
                on_update=observer,
            )

        try:
            try:
                return await send()
            except PeerUnavailable as first:
                if first.task_id:  # the task exists at the peer: sending again would duplicate it
                    return first
                # It may have restarted or moved: read its card again, and try once more if that works.
                try:
                    await peer.discover(session=session)
                except PeerError:
                    return PeerUnavailable(
                        f"{first} Reading its card again failed too, so nothing was delegated; try again "
                        "once it is back."
                    )
                self._rebuild()
                return await send()
        except PeerError as error:
            return error

    def _outcome(
        self,
        route: _Route,
        requests: list[str],
        results: list[PeerResult | PeerError],
        session: str,
        started: float,
    ) -> ToolOutcome:
        peer = route.peer
        key = (session, peer.url)
        self._pending.pop(key, None)
        elapsed = (time.perf_counter() - started) * 1e3
        artifacts: list[tuple[str, Artifact]] = []
        images: list[Path] = []
        rows: list[dict[str, Any]] = []
        question: str | None = None
        for request, result in zip(requests, results, strict=True):
            if isinstance(result, PeerError):
                rows.append({"request": request, "state": "unreachable", "error": str(result)})
                continue
            row: dict[str, Any] = {"request": request, "task_id": result.task_id, "state": result.state}
            if result.needs_input:
                question = question or result.text
                self._pending[key] = _Pending(result.task_id, result.context_id, result.text)
                row["question"] = result.text
            elif result.state == "completed":
                row["answer"] = result.text
                data = _data_parts(result.artifacts)
                if data:
                    row["results"] = data
            else:
                row["error"] = result.text or f"the task ended {result.state}"
            for artifact in result.artifacts:
                artifacts.append((peer.name, artifact))
                images += self._save_images(peer.name, artifact, session)
            rows.append(row)
        failures = [
            row for row in rows if row["state"] not in ("completed", "input-required", "auth-required")
        ]
        if len(failures) == len(rows):
            reasons = " ".join(row["error"] for row in failures)
            return replace(
                error_outcome(reasons, duration_ms=elapsed), extra={"peer_failed": True, "peer": peer.name}
            )
        payload: dict[str, Any] = {"agent": peer.name, "skill": route.skill_id}
        if len(rows) == 1:
            payload |= rows[0]
            if question:
                payload["next_step"] = (
                    "The specialist is waiting for this answer: call the same tool with request=<the "
                    "answer> if the conversation has it, otherwise ask the user."
                )
        else:
            payload["tasks"] = len(rows)
            payload["states"] = dict(Counter(row["state"] for row in rows))
            payload["answer"] = compose_answers(rows)
        attached = _artifact_list(artifact for _, artifact in artifacts if artifact.name != "answer")
        if attached:
            payload["artifacts"] = attached
        if images:
            payload["saved_images"] = [str(path) for path in images]
        extra = {"artifacts": artifacts, "peer": peer.name, "peer_question": question}
        content = json.dumps(payload, ensure_ascii=False, default=str)
        return ToolOutcome(content, payload, False, tuple(images), elapsed, extra)

    def _save_images(self, peer: str, artifact: Artifact, session: str) -> list[Path]:
        """The artifact's images, saved (a picture the peer already saved on this machine is not copied)."""
        saved = []
        for part in artifact.parts:
            if not part.HasField("raw") or not part.media_type.startswith("image/"):
                continue
            stem = _slug(f"{session}-{peer}-{Path(part.filename or artifact.name or 'image').stem}", "-")
            saved.append(
                save_image(part.raw, stem=stem, mime_type=part.media_type, directory=self.images_dir)
            )
        return saved


def split_requests(text: str) -> list[str]:
    """Bullet points ("- a", "* b", "1. c") as separate requests when there are at least two; else the text.

    Lines before the first bullet (an introduction) are dropped: each bullet must stand on its own.
    """
    bullets = re.findall(r"(?m)^\s*(?:[-*•]|\d+[.)])\s+(.+?)\s*$", text)
    return bullets if len(bullets) >= 2 else [text.strip()]


def _spec(name: str, peer: PeerClient, skill: AgentSkill) -> ToolSpec:
    examples = "; ".join(f'"{example}"' for example in list(skill.examples)[:3])
    description = (
        f"Delegate to the agent {peer.name} over A2A — {skill.name}: {skill.description}"
        + (f" Example requests: {examples}." if examples else "")
        + " It answers with text, structured results and plots, or asks a question when something is missing."
    )
    schema = DelegateArguments.model_json_schema()
    schema.pop("title", None)
    schema.pop("description", None)
    return {"type": "function", "function": {"name": name, "description": description, "parameters": schema}}


def _data_parts(artifacts: Sequence[Artifact]) -> list[Any]:
    from google.protobuf.json_format import MessageToDict

    return [
        MessageToDict(part.data) for artifact in artifacts for part in artifact.parts if part.HasField("data")
    ]


def _artifact_list(artifacts: Iterable[Artifact]) -> list[str]:
    """``["tool-results (data)", "2 × plot (image/png, 19 kB)"]``: each kind of artifact once, counted."""
    counts = Counter(artifact_summary(artifact) for artifact in artifacts)
    return [summary if count == 1 else f"{count} × {summary}" for summary, count in counts.items()]


def _slug(text: str, joiner: str = "_") -> str:
    return re.sub(r"[^A-Za-z0-9]+", joiner, text).strip(joiner).lower() or "peer"
