"""The built-in offline model: deterministic, schema-driven, speaking the OpenAI chat-completions wire
format."""

from agents.models.offline.engine import OfflineBrain, OfflineReply

__all__ = ["OfflineBrain", "OfflineReply"]
