"""Chinese words added to the dictionary of :mod:`.zh` (kept apart: that table is near the module size limit).

Each entry carries a Chinese word onto the English word tool schemas and the slot readers use; longest
entries still win when the merged dictionary is applied.
"""

from __future__ import annotations

__all__ = ["MORE_WORDS"]

MORE_WORDS = {
    # "从 512 到 10", "512 到 10": from one value to another, as "from 512 to 10" reads
    "到": "to",
    # "你的知识笔记": the project's notes, not knowledge distillation (知识蒸馏)
    "知识笔记": "notes",
}
