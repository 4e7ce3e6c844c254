"""The agent runtime the playground's panels share, opened in the background.

:class:`RuntimeHolder` opens :func:`agents.runtime.open_agent` (model, MCP connection, memory, trace) in a
task of its own when a request first needs it (:meth:`RuntimeHolder.runtime`; that request waits), so the
page itself is served and painted before the MCP server is even spawned. When opening fails (an MCP URL that
does not answer), the request gets the reason and the next request tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents.config import DEFAULTS

if TYPE_CHECKING:
    from agents.models.base import Model
    from agents.runtime import AgentRuntime

__all__ = ["RuntimeHolder", "UIOptions", "failure_reason"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UIOptions:
    """How the playground's agents are set up (the ``protoplay ui`` flags)."""

    mcp: Any
    """The MCP server: a :class:`~agents.mcp.client.StdioServer`, a streamable-HTTP URL, or a server object
    (in-process, tests)."""
    mcp_token: str | None = None
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    api: str | None = None
    """The wire to the model: ``chat`` (chat completions) or ``responses``; ``None``: the environment's."""
    peers: tuple[str, ...] = ()
    """A2A agents offered in the Agents panel."""
    max_steps: int = DEFAULTS.max_steps
    budget_tokens: int = DEFAULTS.context_tokens
    summarize: bool = False
    model_override: Model | None = field(default=None, repr=False)
    """A model object to use instead of the configured one (tests)."""

    def model_options(self) -> dict[str, Any]:
        """The model settings demos run their agents with."""
        return {"model": self.model, "base_url": self.base_url, "api_key": self.api_key}


class RuntimeHolder:
    """Opens the runtime in the background and hands it to whoever needs it. Use it in the loop that
    created it; :meth:`aclose` closes the runtime (after ``before_close``, e.g. stopping the turns)."""

    def __init__(self, options: UIOptions) -> None:
        self.options = options
        self.before_close: Callable[[], Awaitable[None]] | None = None
        self._runtime: AgentRuntime | None = None
        self._opening: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._failure: BaseException | None = None
        self._closing = asyncio.Event()

    @property
    def status(self) -> dict[str, Any]:
        """What the header shows: the model, the MCP server, and whether the runtime is up."""
        from agents.config import resolve_model_config
        from agents.mcp.client import describe_target

        options = self.options
        config = resolve_model_config(
            model=options.model, base_url=options.base_url, api_key=options.api_key, api=options.api
        )
        override = options.model_override
        if self._runtime is not None:
            state = "ready"
        elif self._failure is not None:
            state = "failed"
        else:
            state = "starting" if self._opening is not None else "idle"
        return {
            "model": override.name if override is not None else config.model,
            "model_description": config.describe(),
            "offline": config.offline,
            "mcp": describe_target(options.mcp),
            "runtime": state,
            "error": failure_reason(self._failure) if self._failure else None,
        }

    def start(self) -> None:
        """Start opening the runtime in the background (again, after a failure)."""
        if self._opening is None or self._opening.done():
            self._failure = None
            self._ready.clear()
            self._opening = asyncio.create_task(self._hold_runtime(), name="playground-runtime")

    async def runtime(self) -> AgentRuntime:
        """The agent runtime, opened on first need. Raises the reason it could not be opened (an
        :class:`~agents.errors.AgentError` for a server that cannot be reached), and tries again next time."""
        if self._runtime is None and (self._opening is None or self._failure is not None):
            self.start()
        await self._ready.wait()
        if self._runtime is None:
            assert self._failure is not None
            raise self._failure
        return self._runtime

    async def _hold_runtime(self) -> None:
        # Opened and closed in this one task: the MCP client's task groups must exit where they entered.
        # Its libraries load in a worker thread meanwhile, so the page is served while they do.
        await asyncio.to_thread(_load_libraries)
        from agents.runtime import open_agent

        options = self.options
        try:
            async with open_agent(
                mcp=options.mcp,
                mcp_token=options.mcp_token,
                model=options.model,
                base_url=options.base_url,
                api_key=options.api_key,
                api=options.api,
                session_name="playground",
                persist=False,
                max_steps=options.max_steps,
                budget_tokens=options.budget_tokens,
                summarize=options.summarize,
                model_override=options.model_override,
            ) as runtime:
                self._runtime = runtime
                self._ready.set()
                await self._closing.wait()
                if self.before_close is not None:
                    await self.before_close()
        except Exception as exc:  # reported to each request that needs the runtime; retried on the next
            log.warning("the agent runtime could not be opened: %s", failure_reason(exc), exc_info=True)
            self._failure = exc
        finally:
            self._runtime = None
            self._ready.set()

    async def aclose(self) -> None:
        self._closing.set()
        if self._opening is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._opening


def _load_libraries() -> None:
    import mcp.client.stdio
    import mcp.client.streamable_http  # noqa: F401

    import agents.runtime  # noqa: F401 - the model client, the MCP client, memory


def failure_reason(exc: BaseException) -> str:
    """The sentence to show for a failure: an agent error's own, else a short generic one."""
    from agents.errors import AgentError, unwrap

    leaf = unwrap(exc)
    if isinstance(leaf, AgentError):
        return str(leaf)
    return f"internal error ({type(leaf).__name__}); details in the playground's log"
