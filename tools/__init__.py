"""protoplay's ML utilities: pure, typed functions on torch with no protocol code.

Importing this package is cheap: torch, torchvision and matplotlib are imported inside the tools that need
them. The registry of tools lives in :mod:`tools.catalog`. What adapters (the MCP server, tests) may rely on
is exported here: the error type, the plot-carrying result base, and the progress hook.
"""

from tools._common import PlotResult, ProgressCallback, progress_reporter, report_progress
from tools.errors import ToolInputError

__all__ = ["PlotResult", "ProgressCallback", "ToolInputError", "progress_reporter", "report_progress"]
