"""Agent memory: the short-term window, long-term facts, saved sessions (all in
``$PROTOPLAY_HOME/memory.db``)."""

from agents.memory.long_term import LongTermMemory, Memory
from agents.memory.sessions import Session, SessionStore
from agents.memory.short_term import ShortTermMemory
from agents.memory.store import SQLiteStore

__all__ = [
    "LongTermMemory",
    "Memory",
    "SQLiteStore",
    "Session",
    "SessionStore",
    "ShortTermMemory",
]
