"""What the task stores record about replicas: which one runs a task, and which ones are alive.

A replica is one A2A server process on a task store (several may share a PostgreSQL store behind a load
balancer). While a task is in flight its metadata names the replica running it (:data:`RUNNER_KEY`); every
replica heartbeats into the store's ``protoplay_replicas`` table. :mod:`servers.a2a.recovery` reads both to
fail the tasks of a replica that died (or of this server's previous run).
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["IN_FLIGHT", "REPLICAS_TABLE", "RUNNER_KEY", "Replica", "ReplicaRegistry", "ReplicaRow"]

RUNNER_KEY = "protoplay/replica"
"""Task metadata: the id of the replica that last started work on the task."""
IN_FLIGHT = ("TASK_STATE_SUBMITTED", "TASK_STATE_WORKING")
"""States of a task some replica is working on (``input-required`` waits for a message instead)."""
REPLICAS_TABLE = "protoplay_replicas"


@dataclass(frozen=True)
class Replica:
    """This server process, as the store knows it."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    """Random per process start (it is what tasks' metadata names, so it reveals nothing about the host)."""
    address: str | None = None
    """``hostname:port`` the server listens on; a later server on the same address is this one restarted,
    so it fails this one's tasks at once instead of waiting out the heartbeat timeout. ``None`` when not
    listening on a port of its own (in-process tests)."""

    @classmethod
    def listening_on(cls, port: int) -> Replica:
        return cls(address=f"{socket.gethostname()}:{port}")


@dataclass(frozen=True)
class ReplicaRow:
    """One replica as registered in the store."""

    id: str
    address: str | None
    heartbeat: float
    """Unix time of its last heartbeat (replicas' clocks are assumed to agree within seconds)."""


class ReplicaRegistry(Protocol):
    """The replicas of one task table, and the tasks each has in flight (each method: a statement or two)."""

    async def beat(self, replica: Replica, now: float) -> None:
        """Record a heartbeat at ``now``, registering ``replica`` if it is not (or no longer) registered."""

    async def replicas(self) -> Sequence[ReplicaRow]:
        """Every registered replica of this table."""

    async def orphans(self, replica_id: str) -> list[tuple[str, str]]:
        """``(task_id, owner)`` of every task in flight whose metadata names ``replica_id``."""

    async def forget(self, replica_id: str) -> None:
        """Remove the replica's row (its tasks have been dealt with)."""
