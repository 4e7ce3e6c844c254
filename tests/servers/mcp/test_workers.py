"""Heavy tool calls under admission control: a bounded pool of worker processes, queueing with a clear "busy",
workers replaced before their memory piles up, and cancellation that kills the worker.

The test tools run in the worker processes, so they live in a small module a worker imports by name
(:mod:`tests.servers.mcp.worker_tools`) and report what they did through their results.
"""

from __future__ import annotations

import os

import anyio
import pytest
from mcp import Client

from servers.mcp.server import build_server
from servers.mcp.workers import PoolBusy, PoolSettings, ToolWorkerPool, WorkerCrashed
from tests.servers.mcp.worker_tools import crashing_tool, dying_tool, stepping_tool
from tools import ToolInputError
from tools.catalog import Theme, ToolSpec
from tools.training.gradients import gradient_flow


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) counts as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def _wait_until(condition, timeout: float = 30) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.05)


# ------------------------------------------------------------------------------------------ the pool


async def test_a_call_runs_in_another_process_and_gives_the_same_result():
    pool = ToolWorkerPool(PoolSettings(workers=1))
    try:
        output = await pool.call(gradient_flow, {"depth": 6, "width": 16, "activation": "sigmoid", "seed": 3})
    finally:
        pool.close()
    here = gradient_flow(depth=6, width=16, activation="sigmoid", seed=3)
    assert output.data == here.model_dump(mode="json")  # the same numbers, computed in the worker
    assert output.png is not None and output.png.startswith(b"\x89PNG")
    assert pool.started == 1


async def test_a_warm_worker_takes_the_next_call():
    pool = ToolWorkerPool(PoolSettings(workers=1))
    try:
        first = await pool.call(stepping_tool, {})
        second = await pool.call(stepping_tool, {})
    finally:
        pool.close()
    assert first.data["pid"] == second.data["pid"] != os.getpid()
    assert pool.started == 1


async def test_a_worker_is_replaced_after_max_calls():
    pool = ToolWorkerPool(PoolSettings(workers=1, max_calls=1))
    try:
        pids = [(await pool.call(stepping_tool, {})).data["pid"] for _ in range(3)]
    finally:
        pool.close()
    assert len(set(pids)) == 3 and pool.started == 3
    await _wait_until(lambda: not any(_alive(pid) for pid in pids[:2]))


async def test_a_worker_that_grew_past_the_memory_ceiling_is_replaced():
    pool = ToolWorkerPool(PoolSettings(workers=1, max_rss_bytes=1))  # every worker exceeds one byte
    try:
        first = (await pool.call(stepping_tool, {})).data["pid"]
        second = (await pool.call(stepping_tool, {})).data["pid"]
    finally:
        pool.close()
    assert first != second
    await _wait_until(lambda: not _alive(first))


async def test_a_worker_is_measured_by_its_own_memory_not_its_parents():
    # Linux carries a parent's peak RSS across fork and exec into the child's getrusage: a large server must
    # not see every fresh worker as over the ceiling.
    ballast = bytearray(400 * 1024 * 1024)
    ballast[::4096] = b"x" * len(ballast[::4096])  # touch every page: this process is now > 400 MB resident
    pool = ToolWorkerPool(PoolSettings(workers=1, max_rss_bytes=300 * 1024 * 1024))
    try:
        pids = [(await pool.call(stepping_tool, {})).data["pid"] for _ in range(2)]
    finally:
        pool.close()
        del ballast
    assert pids[0] == pids[1] and pool.started == 1


async def test_an_idle_worker_exits_on_its_own():
    pool = ToolWorkerPool(PoolSettings(workers=1, idle_s=0.5))
    pid = (await pool.call(stepping_tool, {})).data["pid"]
    await _wait_until(lambda: not _alive(pid))
    again = (await pool.call(stepping_tool, {})).data["pid"]  # a new worker starts on demand
    pool.close()
    assert again != pid and pool.started == 2


async def test_calls_beyond_the_queue_are_refused_at_once_as_busy():
    pool = ToolWorkerPool(PoolSettings(workers=1, queue=1))
    outcomes: list[object] = []

    async def call() -> None:
        try:
            outcomes.append((await pool.call(stepping_tool, {"steps": 50})).data["steps"])
        except PoolBusy as busy:
            outcomes.append(str(busy))

    try:
        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(call)
    finally:
        pool.close()
    assert outcomes.count(50) == 2  # one ran, one waited for it and ran
    refused = [outcome for outcome in outcomes if outcome != 50]
    assert (
        refused
        == [
            "the server is busy: it runs at most 1 heavy tool call at a time and 1 more is waiting; "
            "try again in a minute"
        ]
        * 2
    )


async def test_a_call_that_waits_too_long_is_refused_as_busy():
    pool = ToolWorkerPool(PoolSettings(workers=1, wait_s=0.2))
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(pool.call, stepping_tool, {"steps": 300})
            await _wait_until(lambda: pool.running == 1)
            with pytest.raises(PoolBusy, match=r"this call waited 0\.2 s for one to finish"):
                await pool.call(stepping_tool, {})
    finally:
        pool.close()


async def test_progress_reported_in_the_worker_reaches_the_caller():
    pool = ToolWorkerPool(PoolSettings(workers=1))
    reports: list[tuple[float, float | None, str | None]] = []

    async def progress(done, total, message):
        reports.append((done, total, message))

    try:
        await pool.call(stepping_tool, {"steps": 30}, progress=progress)
    finally:
        pool.close()
    assert reports and reports[-1] == (30, 30, "step 30")
    assert [done for done, _, _ in reports] == sorted({done for done, _, _ in reports})


async def test_cancelling_a_call_kills_its_worker_and_the_pool_serves_on():
    pool = ToolWorkerPool(PoolSettings(workers=1))
    started = anyio.Event()

    async def progress(done, total, message):
        started.set()

    try:
        first = (await pool.call(stepping_tool, {})).data["pid"]
        with anyio.move_on_after(30):
            async with anyio.create_task_group() as group:
                group.start_soon(lambda: pool.call(stepping_tool, {"steps": 100_000}, progress=progress))
                await started.wait()
                group.cancel_scope.cancel()
        await _wait_until(lambda: not _alive(first))  # the worker that ran it is gone
        after = (await pool.call(stepping_tool, {})).data["pid"]
    finally:
        pool.close()
    assert after != first and pool.running == 0


async def test_expected_errors_and_crashes_come_back_as_such():
    pool = ToolWorkerPool(PoolSettings(workers=1))
    try:
        with pytest.raises(ToolInputError, match="steps: refused on purpose"):
            await pool.call(stepping_tool, {"fail": True})
        with pytest.raises(WorkerCrashed) as crashed:
            await pool.call(crashing_tool, {})
        with pytest.raises(WorkerCrashed, match="stopped unexpectedly"):
            await pool.call(dying_tool, {})
        assert (await pool.call(stepping_tool, {"steps": 1})).data["steps"] == 1
    finally:
        pool.close()
    assert "RuntimeError: boom in the worker" in crashed.value.details


# ------------------------------------------------------------------------------------------ over MCP


def _server(settings: PoolSettings):
    specs = [ToolSpec(fn, Theme.NOTES, long_running=True) for fn in (stepping_tool, crashing_tool)]
    return build_server(tools=specs, workers=settings)


async def test_over_mcp_a_busy_server_says_so_in_an_error_result():
    results = []
    async with (
        Client(_server(PoolSettings(workers=1, queue=0))) as client,
        anyio.create_task_group() as group,
    ):

        async def call() -> None:
            results.append(await client.call_tool("stepping_tool", {"steps": 100}))

        group.start_soon(call)
        group.start_soon(call)
    refused = [result for result in results if result.is_error]
    assert (
        len(refused) == 1
        and "the server is busy: it runs at most 1 heavy tool call" in refused[0].content[0].text
    )
    served = [result for result in results if not result.is_error]
    assert served[0].structured_content["steps"] == 100


async def test_over_mcp_a_crash_in_a_worker_is_a_short_error_and_the_traceback_is_logged(caplog):
    async with Client(_server(PoolSettings(workers=1))) as client:
        crashed = await client.call_tool("crashing_tool", {})
        fine = await client.call_tool("stepping_tool", {"steps": 2})
    assert (
        crashed.is_error
        and "crashing_tool crashed (the server log has the details)" in crashed.content[0].text
    )
    assert "Traceback" not in crashed.content[0].text
    assert "RuntimeError: boom in the worker" in caplog.text
    assert not fine.is_error


async def test_the_catalogue_server_runs_its_long_tools_in_workers():
    pool = ToolWorkerPool(PoolSettings(workers=1))
    async with Client(build_server(workers=pool)) as client:
        reports: list[float] = []

        async def on_progress(progress, total, message):
            reports.append(progress)

        result = await client.call_tool(
            "gradient_flow", {"depth": 3, "width": 8, "plot": False}, progress_callback=on_progress
        )
        light = await client.call_tool("linear_params", {"in_features": 4, "out_features": 2})
    pool.close()
    assert not result.is_error and result.structured_content["verdict"] in (
        "vanishing",
        "exploding",
        "healthy",
    )
    assert not light.is_error and pool.started == 1  # the quick tool ran in this process
