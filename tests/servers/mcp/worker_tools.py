"""Tools for the worker-pool tests: they run in worker processes, which import this module by name, so it
imports nothing but what they need."""

from __future__ import annotations

import os
import time
from typing import Annotated

from pydantic import Field

from tools import PlotResult, ToolInputError, report_progress


class _Ran(PlotResult):
    pid: int = Field(description="The process that ran the call.")
    steps: int = Field(description="Steps run.")


def stepping_tool(
    steps: Annotated[int, Field(ge=0, le=100_000, description="Steps of 10 ms.")] = 0,
    fail: Annotated[bool, Field(description="Raise a ToolInputError.")] = False,
) -> _Ran:
    """Reports progress every 10 ms step; says which process ran it."""
    if fail:
        raise ToolInputError("steps", "refused on purpose")
    for step in range(steps):
        report_progress(step + 1, steps, f"step {step + 1}")
        time.sleep(0.01)
    return _Ran(pid=os.getpid(), steps=steps)


def crashing_tool() -> _Ran:
    """Raises an unexpected exception."""
    raise RuntimeError("boom in the worker")


def dying_tool() -> _Ran:
    """Ends its process abruptly (as the system's out-of-memory killer would)."""
    os._exit(9)
