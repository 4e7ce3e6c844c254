"""The PostgreSQL task store on a real server: owner scoping, compare-and-swap versions, cancel, listing
pages and filters, following a task another replica runs."""

from __future__ import annotations

import asyncio

import pytest
from a2a.server.cluster import ConcurrentTaskModificationError, TaskVersion
from a2a.types import ListTasksRequest, Task, TaskState, TaskStatus

from servers.a2a.recovery import owner_context
from servers.a2a.store import StoreError, open_task_store

ALICE, BOB = owner_context("alice"), owner_context("bob")


@pytest.fixture
async def storage(postgres_url):
    async with open_task_store(postgres_url, table="specialist_tasks") as opened:
        yield opened


def _task(
    task_id: str, state: TaskState = TaskState.TASK_STATE_WORKING, *, context: str = "ctx", at: int = 0
) -> Task:
    status = TaskStatus(state=state)
    status.timestamp.FromNanoseconds(1_700_000_000_000_000_000 + at)
    return Task(id=task_id, context_id=context, status=status)


async def test_a_task_is_saved_durably_and_read_back_by_its_owner_only(storage):
    store = storage.store
    version = await store.save(_task("t1"), prev_version=TaskVersion.MISSING, context=ALICE)
    stored = await store.get("t1", ALICE)
    assert stored.task == _task("t1") and stored.version == version
    assert await store.get("t1", BOB) is None
    await store.delete("t1", BOB)  # not bob's to delete
    assert await store.get("t1", ALICE) is not None
    await store.delete("t1", ALICE)
    assert await store.get("t1", ALICE) is None


async def test_two_writers_of_one_version_conflict(storage):
    store = storage.store
    first = await store.save(_task("t1"), prev_version=TaskVersion.MISSING, context=ALICE)
    with pytest.raises(ConcurrentTaskModificationError):
        await store.save(_task("t1"), prev_version=TaskVersion.MISSING, context=ALICE)  # created twice
    second = await store.save(_task("t1", TaskState.TASK_STATE_COMPLETED), prev_version=first, context=ALICE)
    assert second.is_after(first)
    with pytest.raises(ConcurrentTaskModificationError):  # a replica still holding version 1
        await store.save(_task("t1", TaskState.TASK_STATE_FAILED), prev_version=first, context=ALICE)
    assert (await store.get("t1", ALICE)).task.status.state == TaskState.TASK_STATE_COMPLETED


async def test_a_cancel_wins_over_the_runner_but_not_over_an_ended_task(storage):
    store = storage.store
    version = await store.save(_task("running"), prev_version=TaskVersion.MISSING, context=ALICE)
    await store.save(
        _task("running", TaskState.TASK_STATE_CANCELED), prev_version=TaskVersion(99), context=ALICE
    )
    with pytest.raises(ConcurrentTaskModificationError):  # the runner's next update loses
        await store.save(
            _task("running", TaskState.TASK_STATE_COMPLETED), prev_version=version, context=ALICE
        )
    done = await store.save(
        _task("done", TaskState.TASK_STATE_COMPLETED), prev_version=TaskVersion.MISSING, context=ALICE
    )
    with pytest.raises(ConcurrentTaskModificationError):
        await store.save(_task("done", TaskState.TASK_STATE_CANCELED), prev_version=done, context=ALICE)


async def test_list_pages_newest_first_with_filters_and_a_total(storage):
    store = storage.store
    for number in range(5):
        state = TaskState.TASK_STATE_COMPLETED if number % 2 else TaskState.TASK_STATE_WORKING
        context = "even" if number % 2 == 0 else "odd"
        await store.save(
            _task(f"t{number}", state, context=context, at=number),
            prev_version=TaskVersion.MISSING,
            context=ALICE,
        )
    await store.save(_task("bobs"), prev_version=TaskVersion.MISSING, context=BOB)

    seen, token = [], ""
    for _ in range(5):
        page = await store.list(ListTasksRequest(page_size=2, page_token=token), ALICE)
        assert page.total_size == 5
        seen += [task.id for task in page.tasks]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["t4", "t3", "t2", "t1", "t0"]
    odd = await store.list(ListTasksRequest(context_id="odd"), ALICE)
    assert [task.id for task in odd.tasks] == ["t3", "t1"] and odd.total_size == 2
    working = await store.list(ListTasksRequest(status=TaskState.TASK_STATE_WORKING), ALICE)
    assert [task.id for task in working.tasks] == ["t4", "t2", "t0"]


async def test_a_follower_gets_each_new_version_until_the_task_is_gone(storage):
    store = storage.store
    version = await store.save(_task("t1"), prev_version=TaskVersion.MISSING, context=ALICE)
    follow = storage.events.subscribe("t1", after=version).__aiter__()
    pending = asyncio.ensure_future(follow.__anext__())
    await asyncio.sleep(0.3)
    assert not pending.done()  # nothing new yet
    await store.save(_task("t1", TaskState.TASK_STATE_COMPLETED), prev_version=version, context=ALICE)
    update = await asyncio.wait_for(pending, 5)
    assert update.event.status.state == TaskState.TASK_STATE_COMPLETED and update.version.is_after(version)
    await store.delete("t1", ALICE)
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(follow.__anext__(), 5)


async def test_a_table_of_another_layout_is_refused_in_words(postgres_url):
    import asyncpg

    conn = await asyncpg.connect(postgres_url)
    await conn.execute("CREATE TABLE specialist_tasks (id varchar(36) PRIMARY KEY, status json)")
    await conn.close()
    with pytest.raises(StoreError, match="table 'specialist_tasks' exists with another layout"):
        async with open_task_store(postgres_url, table="specialist_tasks"):
            pass


async def test_a_burst_of_concurrent_writes_all_land(storage):
    """Writes go in batches (one statement for all queued while others are in flight): every one of a burst
    must come back with its own result, the last one too."""
    store = storage.store

    async def life(number: int) -> TaskVersion:
        task_id = f"t{number}"
        version = await store.save(_task(task_id), prev_version=TaskVersion.MISSING, context=ALICE)
        await asyncio.sleep(0.001 * (number % 7))
        return await store.save(
            _task(task_id, TaskState.TASK_STATE_COMPLETED), prev_version=version, context=ALICE
        )

    async with asyncio.timeout(30):
        versions = await asyncio.gather(*(life(number) for number in range(200)))
    assert versions == [TaskVersion(2)] * 200
    done = await store.list(ListTasksRequest(status=TaskState.TASK_STATE_COMPLETED, page_size=1), ALICE)
    assert done.total_size == 200


async def test_a_write_right_after_the_last_batch_ended_is_not_stranded(storage):
    """With one batch in flight at a time, each write waits for the previous batch: the write queued in the
    step its batch ended must start the next batch itself (nothing else would)."""
    from servers.a2a.postgres import PostgresTaskStore

    store = PostgresTaskStore(storage.store.pool, "specialist_tasks", batches_in_flight=1)
    async with asyncio.timeout(10):
        version = await store.save(_task("t1"), prev_version=TaskVersion.MISSING, context=ALICE)
        version = await store.save(_task("t1"), prev_version=version, context=ALICE)
        version = await store.save(
            _task("t1", TaskState.TASK_STATE_COMPLETED), prev_version=version, context=ALICE
        )
    assert version == TaskVersion(3)
