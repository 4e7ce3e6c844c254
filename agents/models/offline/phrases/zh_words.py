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
    # the data splits and metrics a training question speaks of ("训练集准确率 99% 测试集才 70%")
    "训练集": "training set",
    "测试集": "test set",
    "验证集": "validation set",
    "准确率": "accuracy",
    "正确率": "accuracy",
}
