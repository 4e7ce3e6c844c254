"""The Demos panel's server side: a scenario played by :class:`servers.a2a.demo.DemoPlay`, live.

Each :data:`~servers.a2a.demo.DemoEvent` is published as ``{"type": "demo", "run", "kind", ...}``; the
demo's agents record their trace in the run's ``session``, which the page's timeline follows. When the
coordinator asks the user something, the run publishes a ``question`` (with the scenario's own answer as a
suggestion) and waits for the page's answer. The servers stay up after the run, for the Agents panel, until
the next run or the end of the playground.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from typing import TYPE_CHECKING, Any

from agents.errors import AgentError

if TYPE_CHECKING:
    from servers.a2a.demo import DemoEvent, DemoPlay
    from servers.ui.hub import EventHub
    from servers.ui.runtime import UIOptions

__all__ = ["DemoBusy", "DemoDesk", "NoQuestion"]

log = logging.getLogger(__name__)


class DemoBusy(AgentError):
    """A demo is already running."""


class NoQuestion(AgentError):
    """An answer arrived while no demo waits for one."""


class DemoDesk:
    """One demo at a time, and the servers of the last one."""

    def __init__(self, hub: EventHub, options: UIOptions) -> None:
        self.hub = hub
        self.options = options
        self._numbers = itertools.count(1)
        self._play: DemoPlay | None = None
        self._task: asyncio.Task[None] | None = None
        self._answer: asyncio.Future[str] | None = None
        self._run = ""

    @staticmethod
    def scenarios() -> list[dict[str, Any]]:
        from servers.a2a.demo import list_scenarios

        return [
            {
                "name": s.name,
                "title": s.title,
                "summary": s.summary,
                "steps": [
                    {"say": step.say, "action": step.action, "note": step.note, "expect": step.expect}
                    for step in s.steps
                ],
            }
            for s in list_scenarios()
        ]

    def agents(self) -> list[dict[str, str]]:
        """The last demo's servers, while they run."""
        if self._play is None or not self._play.servers.coordinator_url:
            return []
        servers = self._play.servers
        rows = [{"url": servers.coordinator_url, "label": "demo coordinator"}]
        if servers.specialist is not None and not servers.specialist.done():
            rows.append({"url": servers.specialist_url, "label": "demo specialist"})
        return rows

    async def start(self, name: str) -> dict[str, str]:
        """Play scenario ``name``; returns the run id and its trace session. Raises :class:`DemoBusy` while
        another runs and :class:`~servers.a2a.demo.DemoError` for an unknown name."""
        from servers.a2a.demo import DemoPlay, load_scenario

        if self._task is not None and not self._task.done():
            raise DemoBusy("a demo is still running; wait for it to finish")
        scenario = load_scenario(name)
        await self._close_play()
        self._run = run = f"d{next(self._numbers)}"
        play = DemoPlay(
            scenario,
            listener=lambda event: self._publish(run, event),
            options=self.options.model_options(),
            answer=lambda question, scripted: self._ask(run, question, scripted),
        )
        self._play = play
        self._task = asyncio.create_task(self._play_through(run, play), name=f"demo-{run}")
        return {"run": run, "session": play.session, "title": scenario.title}

    def answer(self, run: str, text: str) -> None:
        """The page's answer to the question run ``run`` waits on."""
        if run != self._run or self._answer is None or self._answer.done():
            raise NoQuestion("run: no demo is waiting for an answer")
        if not text.strip():
            raise NoQuestion("text: write an answer first")
        self._answer.set_result(text)

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close_play()

    async def _close_play(self) -> None:
        if self._play is not None:
            await self._play.close()
            self._play = None

    async def _play_through(self, run: str, play: DemoPlay) -> None:
        publish = self._publisher(run)
        publish("started", session=play.session, title=play.scenario.title)
        try:
            await play.play()
        except asyncio.CancelledError:
            raise
        except AgentError as error:
            publish("failed", message=str(error))
        except Exception as error:  # a crash: logged with its traceback, one line on the page
            log.exception("demo %s crashed", play.scenario.name)
            publish(
                "failed", message=f"internal error ({type(error).__name__}); details in the playground's log"
            )
        else:
            publish("finished", problems=play.problems)

    async def _ask(self, run: str, question: str, scripted: str) -> str:
        self._answer = asyncio.get_running_loop().create_future()
        self._publisher(run)("question", question=question, suggestion=scripted)
        try:
            return await self._answer
        finally:
            self._answer = None

    def _publisher(self, run: str) -> Any:
        def publish(kind: str, **fields: Any) -> None:
            self.hub.publish({"type": "demo", "run": run, "kind": kind, **fields})

        return publish

    def _publish(self, run: str, event: DemoEvent) -> None:
        kind, fields = describe_demo_event(event)
        self._publisher(run)(kind, **fields)


def describe_demo_event(event: DemoEvent) -> tuple[str, dict[str, Any]]:
    """A demo event's kind (its class name in snake case) and its fields, as JSON."""
    import dataclasses
    import re

    from agents.a2a.tasks import PeerResult, PeerUpdate
    from servers.ui.peers import result_json

    fields: dict[str, Any] = {}
    for item in dataclasses.fields(event):
        value = getattr(event, item.name)
        if isinstance(value, PeerUpdate):
            value = dataclasses.asdict(value)
        elif isinstance(value, PeerResult):
            value = result_json(value)
        fields[item.name] = value
    kind = re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()
    return kind, fields
