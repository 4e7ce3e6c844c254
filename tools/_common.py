"""Shared building blocks of the tool modules: bounded types, plot results, progress hooks (drawing itself:
:mod:`tools.plotting`).

Nothing here imports torch or matplotlib at module level; the catalogue must stay cheap to import.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

__all__ = [
    "MAX_VECTOR",
    "FiniteFloat",
    "PlotResult",
    "ProgressCallback",
    "ResultModel",
    "enum_text",
    "finite_or_none",
    "progress_reporter",
    "report_progress",
]

#: Longest list a tool accepts as one distribution / curve / vector (keeps a call well under 1 GB and 10 s).
MAX_VECTOR = 1_000_000


def finite_or_none(x: float | None) -> float | None:
    """``x``, or ``None`` when it is missing, NaN or infinite (results never carry NaN or infinity)."""
    return x if x is not None and math.isfinite(x) else None


def enum_text(value: object) -> object:
    """A number written where a string enum is expected becomes its text: ``2`` and ``2.0`` → ``"2"``.

    Models and the MCP Inspector often send ``"base": 2`` for the choice ``"2"``. Used as a
    ``BeforeValidator`` on a Literal of strings, so the schema still lists the strings; a number that names
    no choice is still refused, with the allowed values.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


#: A float that must be finite: NaN and ±inf are rejected by validation with a message naming the field.
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class ResultModel(BaseModel):
    """Base of every tool result: a plain, JSON-serialisable pydantic model.

    Results never hold NaN or infinity (JSON has neither): an infinite quantity is `None` plus a flag.
    """

    model_config = ConfigDict(extra="forbid")


class PlotResult(ResultModel):
    """A result that may carry a PNG drawing of its own numbers.

    The image is a private attribute, so it never appears in the JSON schema or the structured content: the
    numbers travel as data, the picture as image content (MCP) or a file (CLI, agent).
    """

    _png: bytes | None = PrivateAttr(default=None)

    @property
    def png(self) -> bytes | None:
        """The PNG bytes of the plot, or ``None`` when none was drawn."""
        return self._png

    def with_png(self, png: bytes | None) -> PlotResult:
        self._png = png
        return self


ProgressCallback = Callable[[float, float | None, str | None], None]
"""``callback(done, total, message)``; it may raise to abort the running tool (how cancellation works)."""

_progress: ContextVar[ProgressCallback | None] = ContextVar("protoplay_tool_progress", default=None)


def report_progress(done: float, total: float | None = None, message: str | None = None) -> None:
    """Tell whoever runs the tool how far it got. A no-op unless a reporter is installed.

    Long tools call this between units of work; the installed callback may raise (e.g. on cancellation),
    which aborts the tool at that point.
    """
    callback = _progress.get()
    if callback is not None:
        callback(done, total, message)


@contextmanager
def progress_reporter(callback: ProgressCallback | None) -> Iterator[None]:
    """Install ``callback`` as the progress reporter for tools called inside the block (this context only)."""
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)
