"""What the playground keeps, for the Memory and Timeline panels: long-term memories, saved traces, plots.

Memories are the runtime's :class:`~agents.memory.long_term.LongTermMemory` (the agent's own); traces are
read with :func:`agents.trace.read_trace`. A trace is sent as a compact list (one row per event, its payload
reduced to a summary) so a 10,000-event trace loads at once; one event's full payload is fetched on demand.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.trace import payload_summary

if TYPE_CHECKING:
    from agents.trace import TraceEvent
    from servers.ui.runtime import RuntimeHolder

__all__ = [
    "export_memories",
    "forget_memory",
    "image_path",
    "list_memories",
    "saved_traces",
    "trace_event",
    "trace_rows",
]

_SAFE_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
_SUMMARY_WIDTH = 200


async def list_memories(holder: RuntimeHolder, *, query: str = "", limit: int = 50) -> list[dict[str, Any]]:
    """The newest memories, or the ones matching ``query`` (best first)."""
    memory = (await holder.runtime()).memory
    found = await memory.recall(query, limit=limit) if query.strip() else await memory.newest(limit=limit)
    return [item.to_dict() for item in found]


async def forget_memory(holder: RuntimeHolder, memory_id: int) -> bool:
    return await (await holder.runtime()).memory.forget(memory_id)


async def export_memories(holder: RuntimeHolder) -> str:
    """Every memory as JSON, oldest first (what ``protoplay memory export`` writes)."""
    found = await (await holder.runtime()).memory.export()
    return json.dumps([item.to_dict() for item in found], indent=2, ensure_ascii=False) + "\n"


def saved_traces() -> list[dict[str, Any]]:
    from agents.trace import list_traces

    return [{"session": name, "events": count, "modified": mtime} for name, count, mtime in list_traces()]


def trace_rows(session: str) -> dict[str, Any]:
    """A saved trace as rows: ``ts, protocol, direction, peer, method, agent, duration_ms, summary`` (and
    how many lines were not events). Raises ``FileNotFoundError`` for a session without a trace."""
    from agents.trace import read_trace

    events = read_trace(session)
    return {"session": session, "events": [_row(event) for event in events], "skipped": events.skipped}


def trace_event(session: str, index: int) -> dict[str, Any]:
    """One event of a saved trace, payload and all. Raises ``FileNotFoundError`` when it does not exist."""
    from agents.trace import read_trace

    events = read_trace(session)
    if not 0 <= index < len(events):
        raise FileNotFoundError(f"{session}#{index}")
    return asdict(events[index])


def image_path(name: str) -> Path:
    """A plot the MCP client saved under ``$PROTOPLAY_HOME/images``; ``FileNotFoundError`` for anything
    else (other folders included)."""
    from agents.config import protoplay_home

    path = protoplay_home() / "images" / name
    if not _SAFE_FILE.match(name) or not path.is_file():
        raise FileNotFoundError(name)
    return path


def _row(event: TraceEvent) -> dict[str, Any]:
    return {
        "ts": event.ts,
        "protocol": event.protocol,
        "direction": event.direction,
        "peer": event.peer,
        "method": event.method,
        "agent": event.agent,
        "duration_ms": event.duration_ms,
        "summary": payload_summary(event.payload, _SUMMARY_WIDTH),
    }
