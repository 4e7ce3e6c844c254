"""The agent package's errors: one base, each with a message written for the user who reads it."""

from __future__ import annotations

__all__ = ["AgentError", "MaxStepsExceeded", "ModelAPIError", "ToolServerError", "unwrap"]


def unwrap(exc: BaseException) -> BaseException:
    """The first leaf of an exception group (asyncio task groups wrap what crosses them)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


class AgentError(Exception):
    """Base of every expected agent failure. ``str(error)`` is a complete sentence for the user.

    ``setting`` names the setting that would fix it (``max_steps``, ``mcp_token``...) when there is one; the
    layer that knows how users set it (a command-line flag, a form field) adds that to the message.
    """

    setting: str | None = None


class MaxStepsExceeded(AgentError):
    """The model kept asking for tools for ``max_steps`` steps without giving an answer."""

    setting = "max_steps"

    def __init__(self, max_steps: int, last_tools: list[str]) -> None:
        self.max_steps = max_steps
        self.last_tools = last_tools
        called = ", ".join(last_tools) or "no tool"
        super().__init__(
            f"Stopped after {max_steps} model steps without a final answer (the last step called {called}). "
            "The conversation is kept as it was before this turn; rephrase the question or allow more steps."
        )


class ModelAPIError(AgentError):
    """The model endpoint failed after the client's retries (rate limit, server error, timeout, bad
    key...)."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        self.status_code = status_code
        super().__init__(message)


class ToolServerError(AgentError):
    """The MCP tool server could not be reached or started."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        self.setting = setting
        super().__init__(message)
