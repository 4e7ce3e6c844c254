"""The event hub: every page gets every event in order; trace events arrive from any thread; a page that
stops reading is dropped instead of holding memory."""

from __future__ import annotations

import asyncio
import json
import threading

from agents.trace import TraceWriter
from servers.ui.hub import EventHub


async def next_events(stream, count: int) -> list[dict]:
    events = []
    while len(events) < count:
        line = await asyncio.wait_for(anext(stream), 5)
        if line.startswith("data: "):
            events.append(json.loads(line[6:]))
    return events


async def test_every_subscriber_gets_every_event_in_order():
    hub = EventHub()
    first, second = hub.stream(), hub.stream()
    assert (await next_events(first, 1))[0]["type"] == "ready"
    assert (await next_events(second, 1))[0]["type"] == "ready"
    for n in range(3):
        hub.publish({"type": "chat", "n": n})
    assert [e["n"] for e in await next_events(first, 3)] == [0, 1, 2]
    assert [e["n"] for e in await next_events(second, 3)] == [0, 1, 2]
    assert hub.listeners == 2
    await first.aclose()
    assert hub.listeners == 1


async def test_trace_events_recorded_in_other_threads_reach_the_page(tmp_path):
    hub = EventHub()
    hub.watch_traces()
    stream = hub.stream()
    await next_events(stream, 1)
    writer = TraceWriter(tmp_path, agent="worker")

    def record(n: int) -> None:
        writer.record("mcp", "out", "server", "tools/call", {"summary": f"call {n}"}, None, "threads")

    threads = [threading.Thread(target=record, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = await next_events(stream, 4)
    hub.close()
    writer.record("mcp", "out", "server", "tools/call", {"summary": "after close"}, None, "threads")
    writer.close()
    assert sorted(e["event"]["payload"]["summary"] for e in events) == [f"call {n}" for n in range(4)]
    assert {(e["type"], e["event"]["agent"]) for e in events} == {("trace", "worker")}
    hub.publish({"type": "chat", "n": "marker"})
    assert (await next_events(stream, 1))[0] == {"type": "chat", "n": "marker"}  # nothing after close


async def test_a_page_that_stops_reading_is_dropped_with_an_overflow_event():
    hub = EventHub(backlog=5)
    stream = hub.stream()
    await next_events(stream, 1)
    for n in range(8):
        hub.publish({"type": "chat", "n": n})
    assert hub.listeners == 0
    events = await next_events(stream, 6)
    assert [e.get("n") for e in events[:5]] == [0, 1, 2, 3, 4] and events[5] == {"type": "overflow"}
