"""The one error type for expected tool failures."""

from __future__ import annotations

__all__ = ["ToolInputError"]


class ToolInputError(ValueError):
    """An input the caller must correct.

    The message names the offending field and the reason, and is written for the peer (a user, a model, an
    MCP client) who has to fix the call: ``"p: must sum to 1 (got 0.9); pass normalize=true to rescale"``.
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")
