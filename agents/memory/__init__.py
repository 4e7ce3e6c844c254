"""Agent memory: the short-term window, long-term facts, saved sessions — behind a small protocol
(:mod:`agents.memory.backend`) with two stores: SQLite in ``$PROTOPLAY_HOME/memory.db`` (the default) and
PostgreSQL (:func:`open_memory` opens either from a URL)."""

from agents.memory.backend import LongTermBackend, Memory, MemoryScope, SessionBackend, SessionInfo
from agents.memory.backends import MemoryStoreError, MemoryStores, open_memory
from agents.memory.long_term import LongTermMemory
from agents.memory.sessions import Session, SessionStore
from agents.memory.short_term import ShortTermMemory
from agents.memory.store import SQLiteStore

__all__ = [
    "LongTermBackend",
    "LongTermMemory",
    "Memory",
    "MemoryScope",
    "MemoryStoreError",
    "MemoryStores",
    "SQLiteStore",
    "Session",
    "SessionBackend",
    "SessionInfo",
    "SessionStore",
    "ShortTermMemory",
    "open_memory",
]
