"""The built-in offline model: deterministic, read from the offered tool specs and the project's notes,
usable in process (:class:`OfflineModel`) or on the OpenAI chat-completions wire (:mod:`.transport`,
``protoplay serve llm``)."""

from agents.models.offline.engine import OfflineBrain, OfflineReply
from agents.models.offline.model import OfflineModel

__all__ = ["OfflineBrain", "OfflineModel", "OfflineReply"]
