"""protoplay's ML utilities: pure, typed functions on torch with no protocol code.

Importing this package is cheap: torch, torchvision and matplotlib are imported inside the tools that need
them. The registry of tools lives in :mod:`tools.catalog`.
"""

from tools.errors import ToolInputError

__all__ = ["ToolInputError"]
