"""Push notifications: task updates delivered to a real webhook on loopback, with the client's token, in
order, retried with backoff; and the webhook policy (http(s) only; private addresses only when allowed)."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest
from a2a.server.context import ServerCallContext
from a2a.server.id_generator import IDGeneratorContext
from a2a.server.tasks import InMemoryPushNotificationConfigStore
from a2a.types import TaskPushNotificationConfig, TaskStatusUpdateEvent

from agents.models.testing import ScriptedModel, call
from servers.a2a.push import PushConfigs, RetryPolicy, WebhookPolicy, WebhookSender
from servers.a2a.store import open_task_store
from tests.servers.a2a.support import WebhookReceiver, specialist_rpc, user_message

FAIR_COIN = {"p": [0.5, 0.5], "base": "2"}
FAST = RetryPolicy(attempts=3, backoff_s=0.01, max_backoff_s=0.05, timeout_s=5)


def specialist(mcp_server, model, *, allow_private_webhooks=True):
    return specialist_rpc(
        mcp_server, model, allow_private_webhooks=allow_private_webhooks, push_retry=FAST, trace_enabled=False
    )


async def push_one_task(mcp_server, hook: WebhookReceiver, *, until: int) -> None:
    """One entropy task (6 updates) with a webhook at ``hook``; returns once ``until`` requests arrived and a
    moment passed in which a request too many would show up."""
    async with specialist(mcp_server, entropy_model()) as rpc:
        params = {"message": user_message("entropy"), "configuration": {}}
        params["configuration"]["taskPushNotificationConfig"] = {"url": hook.url}
        await rpc.call("SendMessage", params)
        await hook.wait_for(lambda h: len(h.received) >= until)
        await asyncio.sleep(0.2)


def entropy_model() -> ScriptedModel:
    return ScriptedModel([call("entropy", FAIR_COIN), "H = 1 bit."])


def kinds(bodies: list[dict]) -> list[str]:
    """``task``, ``statusUpdate:TASK_STATE_WORKING``, ``artifactUpdate:answer``... for 1.0 bodies."""
    out = []
    for body in bodies:
        (kind,) = body
        if kind == "statusUpdate":
            out.append(f"statusUpdate:{body[kind]['status']['state']}")
        elif kind == "artifactUpdate":
            out.append(f"artifactUpdate:{body[kind]['artifact']['name']}")
        else:
            out.append(kind)
    return out


def completed(receiver: WebhookReceiver) -> bool:
    return any(
        body.get("statusUpdate", {}).get("status", {}).get("state") == "TASK_STATE_COMPLETED"
        or body.get("status", {}).get("state") == "completed"
        for body in receiver.accepted()
    )


# ------------------------------------------------------------------------------------------------- delivery


async def test_every_update_reaches_the_webhook_in_order_with_the_token(mcp_server):
    async with WebhookReceiver().serving() as hook, specialist(mcp_server, entropy_model()) as rpc:
        config = {"id": "mine", "url": hook.url, "token": "client-secret"}
        params = {"message": user_message("entropy of a fair coin"), "configuration": {}}
        params["configuration"]["taskPushNotificationConfig"] = config
        task = (await rpc.call("SendMessage", params))["task"]
        await hook.wait_for(completed)
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert kinds(hook.accepted()) == [
        "task",
        "statusUpdate:TASK_STATE_WORKING",  # running entropy(...)
        "statusUpdate:TASK_STATE_WORKING",  # entropy done
        "artifactUpdate:answer",
        "artifactUpdate:tool-results",
        "statusUpdate:TASK_STATE_COMPLETED",
    ]
    assert {r["headers"]["x-a2a-notification-token"] for r in hook.received} == {"client-secret"}
    assert all(r["headers"]["content-type"] == "application/json" for r in hook.received)
    ids = [
        next(iter(body.values())).get("taskId") or body.get("task", {}).get("id") for body in hook.accepted()
    ]
    assert set(ids) == {task["id"]}


async def test_a_webhook_set_on_a_waiting_task_gets_the_rest_with_its_authorization(mcp_server):
    model = ScriptedModel(
        [call("ask_user", {"question": "Which base?"}), call("entropy", FAIR_COIN), "1 bit."]
    )
    async with WebhookReceiver().serving() as hook, specialist(mcp_server, model) as rpc:
        asked = await rpc.send("entropy of [0.5, 0.5]")
        config = {
            "taskId": asked["id"],
            "id": "later",
            "url": hook.url,
            "authentication": {"scheme": "Bearer", "credentials": "hook-credential"},
        }
        created = await rpc.call("CreateTaskPushNotificationConfig", config)
        fetched = await rpc.call("GetTaskPushNotificationConfig", {"taskId": asked["id"], "id": "later"})
        listed = await rpc.call("ListTaskPushNotificationConfigs", {"taskId": asked["id"]})
        await rpc.send("base 2", task_id=asked["id"])
        await hook.wait_for(completed)
        await rpc.call("DeleteTaskPushNotificationConfig", {"taskId": asked["id"], "id": "later"})
        after = await rpc.call("ListTaskPushNotificationConfigs", {"taskId": asked["id"]})
    assert asked["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
    assert created["url"] == fetched["url"] == hook.url and created["taskId"] == asked["id"]
    assert [c["id"] for c in listed["configs"]] == ["later"]
    assert after.get("configs", []) == []
    assert kinds(hook.accepted())[0] == "statusUpdate:TASK_STATE_WORKING"  # nothing from before it was set
    assert kinds(hook.accepted())[-1] == "statusUpdate:TASK_STATE_COMPLETED"
    assert {r["headers"]["authorization"] for r in hook.received} == {"Bearer hook-credential"}
    assert all("x-a2a-notification-token" not in r["headers"] for r in hook.received)  # none was given


async def test_a_webhook_registered_through_a2a_0_3_receives_whole_tasks_in_0_3_json(mcp_server):
    async with WebhookReceiver().serving() as hook, specialist(mcp_server, entropy_model()) as rpc:
        message = {
            "kind": "message",
            "messageId": str(uuid.uuid4()),
            "role": "user",
            "parts": [{"kind": "text", "text": "entropy of a fair coin"}],
        }
        config = {"url": hook.url, "token": "old-client"}
        params = {"message": message, "configuration": {"blocking": True, "pushNotificationConfig": config}}
        response = await rpc.raw("message/send", params, headers={})  # no A2A-Version header: 0.3
        await hook.wait_for(completed)
    task = response.json()["result"]
    bodies = hook.accepted()
    # 0.3 webhooks get the task itself (kind "task", lower-case states), growing as it goes.
    assert {body["kind"] for body in bodies} == {"task"} and {body["id"] for body in bodies} == {task["id"]}
    assert [body["status"]["state"] for body in bodies] == [
        "working",
        "working",
        "working",
        "working",
        "working",
        "completed",
    ]
    last = bodies[-1]
    assert [artifact["name"] for artifact in last["artifacts"]] == ["answer", "tool-results"]
    assert last["artifacts"][0]["parts"] == [{"kind": "text", "text": "H = 1 bit."}]
    assert "artifacts" not in bodies[0]
    assert {r["headers"]["x-a2a-notification-token"] for r in hook.received} == {"old-client"}


# ------------------------------------------------------------------------------------------------- retries


async def test_a_failing_webhook_is_retried_with_backoff_and_later_updates_wait_their_turn(mcp_server):
    async with (
        WebhookReceiver(answers=(503, 502)).serving() as hook,
        specialist(mcp_server, entropy_model()) as rpc,
    ):
        params = {"message": user_message("entropy"), "configuration": {}}
        params["configuration"]["taskPushNotificationConfig"] = {"url": hook.url, "token": "t"}
        await rpc.call("SendMessage", params)
        await hook.wait_for(completed)
    statuses = [r["status"] for r in hook.received]
    assert statuses[:3] == [503, 502, 200]  # the first update: two failures, then accepted on the third try
    assert hook.received[0]["body"] == hook.received[1]["body"] == hook.received[2]["body"]
    assert kinds(hook.accepted())[0] == "task"  # nothing overtook the retried update
    assert len(hook.accepted()) == 6 and statuses[3:] == [200] * 5


async def test_a_webhook_that_keeps_failing_is_tried_a_bounded_number_of_times(mcp_server):
    async with WebhookReceiver(answers=(500,) * 100).serving() as hook:
        await push_one_task(mcp_server, hook, until=6 * FAST.attempts)
    assert len(hook.received) == 6 * FAST.attempts  # 6 updates, each tried `attempts` times, then given up


@pytest.mark.parametrize("status", [400, 401, 404])
async def test_a_webhook_that_refuses_is_not_retried(mcp_server, status):
    async with WebhookReceiver(answers=(status,) * 100).serving() as hook:
        await push_one_task(mcp_server, hook, until=6)
    assert len(hook.received) == 6  # one try per update


async def test_redirects_are_not_followed(mcp_server):
    async with WebhookReceiver(answers=(307,) * 100).serving() as hook:
        await push_one_task(mcp_server, hook, until=6)
    assert {r["path"] for r in hook.received} == {"/hook"}  # never /elsewhere


def test_backoff_doubles_up_to_its_cap_and_honours_a_short_retry_after():
    policy = RetryPolicy(backoff_s=0.5, max_backoff_s=3.0)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.delay(1, "2") == 2.0 and policy.delay(1, "120") == 3.0
    assert policy.delay(2, "Wed, 21 Oct 2015 07:28:00 GMT") == 1.0  # a date: back to the schedule


# ------------------------------------------------------------------------------------------------- policy


async def test_a_loopback_webhook_is_refused_by_default_with_the_flag_that_allows_it(mcp_server):
    async with (
        WebhookReceiver().serving() as hook,
        specialist(mcp_server, entropy_model(), allow_private_webhooks=False) as rpc,
    ):
        params = {"message": user_message("entropy"), "configuration": {}}
        params["configuration"]["taskPushNotificationConfig"] = {"url": hook.url}
        error = await rpc.error("SendMessage", params)
        tasks = await rpc.call("ListTasks", {})
    assert error["code"] == -32602
    assert "127.0.0.1 is a loopback address" in error["message"]
    assert "--allow-private-webhooks" in error["message"]
    assert tasks["tasks"] == [] and hook.received == []  # refused before anything ran


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/hook", "only http and https webhooks are called, not ftp"),
        ("file:///etc/passwd", "only http and https webhooks are called, not file"),
        ("http:///hook", "it names no host"),
        ("http://127.0.0.1:99999/hook", "it is not a valid URL"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
        ("http://0.0.0.0:9/hook", "0.0.0.0 is an unspecified address"),
        ("http://224.0.0.1/hook", "224.0.0.1 is a multicast address"),
        ("http://[::ffff:169.254.169.254]/hook", "is a link-local address"),
    ],
)
async def test_never_called_even_when_private_webhooks_are_allowed(url, reason):
    refusal = await WebhookPolicy(allow_private=True).refusal(url)
    assert refusal is not None and reason in refusal


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("http://192.168.1.20/hook", "private"),
        ("http://100.64.0.1/hook", "private"),  # shared address space (carrier-grade NAT)
        ("http://[fd00::1]/hook", "private"),
    ],
)
async def test_private_addresses_only_with_the_flag(url, kind):
    assert kind in (await WebhookPolicy().refusal(url) or "")
    assert await WebhookPolicy(allow_private=True).refusal(url) is None


async def test_a_public_address_is_allowed_and_nothing_is_contacted_to_decide():
    # A literal address needs no DNS; the policy only classifies it.
    assert await WebhookPolicy().refusal("https://8.8.8.8/hook") is None


async def test_a_host_that_does_not_resolve_is_refused(monkeypatch):
    async def no_dns(*args, **kwargs):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", no_dns)
    assert (
        await WebhookPolicy().refusal("https://hooks.example/x")
        == "its host hooks.example cannot be resolved"
    )


async def test_the_policy_is_checked_again_before_each_delivery():
    """A config that got into the store some other way (an older server, a looser replica) is not called."""
    async with WebhookReceiver().serving() as hook, open_task_store("memory", table="t") as store:
        configs = store.push_config_store()
        config = TaskPushNotificationConfig(task_id="t1", id="c1", url=hook.url, token="x")
        await configs.set_info("t1", config, ServerCallContext())
        sender = WebhookSender(configs, policy=WebhookPolicy(allow_private=False), retry=FAST)
        event = TaskStatusUpdateEvent(task_id="t1", context_id="c")
        await sender.send_notification("t1", event)
        await sender.aclose()
        allowed = WebhookSender(configs, policy=WebhookPolicy(allow_private=True), retry=FAST)
        await allowed.send_notification("t1", event)
        await allowed.aclose()  # lets the queued notification go out first
    assert len(hook.received) == 1  # only from the sender whose policy allows loopback


async def test_a_store_that_cannot_list_the_webhooks_costs_the_update_not_the_task(caplog):
    """The task's work never waits on its webhooks: a failing lookup is logged and the update skipped."""

    class Failing:
        async def get_info_for_dispatch(self, task_id):
            raise ConnectionError("the database went away")

    sender = WebhookSender(Failing(), policy=WebhookPolicy(), retry=FAST)
    event = TaskStatusUpdateEvent(task_id="t1", context_id="c")
    await asyncio.wait_for(sender.send_notification("t1", event), timeout=5)  # returns, raises nothing
    await sender.aclose()
    assert "could not read the webhooks of task t1" in caplog.text


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_push_configs_live_beside_the_tasks_in_the_database(tmp_path, request, backend):
    """They survive a restart, and with PostgreSQL a replica sees a config registered through another."""
    sqlite = f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"
    url = sqlite if backend == "sqlite" else request.getfixturevalue("postgres_url")
    config = TaskPushNotificationConfig(task_id="t1", id="c1", url="https://8.8.8.8/hook", token="x")
    async with open_task_store(url, table="specialist_tasks") as store:
        await store.push_config_store().set_info("t1", config, ServerCallContext())
        async with open_task_store(url, table="specialist_tasks") as other:  # another replica, at once
            beside = await other.push_config_store().get_info_for_dispatch("t1")
    async with open_task_store(url, table="specialist_tasks") as store:  # as after a restart
        again = await store.push_config_store().get_info_for_dispatch("t1")
    for found in (beside, again):
        assert [(c.id, c.url, c.token) for c in found] == [("c1", "https://8.8.8.8/hook", "x")]
    async with open_task_store("memory", table="specialist_tasks") as memory:
        assert isinstance(memory.push_config_store().inner, InMemoryPushNotificationConfigStore)


class CountingStore(InMemoryPushNotificationConfigStore):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    async def get_info_for_dispatch(self, task_id):
        self.lookups += 1
        return await super().get_info_for_dispatch(task_id)


async def test_webhook_lookups_are_reused_briefly_and_dropped_when_this_server_changes_them():
    inner = CountingStore()
    configs = PushConfigs(inner, ttl_s=60)
    context = ServerCallContext()
    assert await configs.get_info_for_dispatch("t1") == []
    assert await configs.get_info_for_dispatch("t1") == []
    assert inner.lookups == 1  # a task's updates within ttl_s cost one lookup
    config = TaskPushNotificationConfig(task_id="t1", id="c1", url="https://8.8.8.8/hook")
    await configs.set_info("t1", config, context)
    assert [c.id for c in await configs.get_info_for_dispatch("t1")] == ["c1"]  # seen at once
    await configs.delete_info("t1", context, "c1")
    assert await configs.get_info_for_dispatch("t1") == []
    assert inner.lookups == 3
    expired = PushConfigs(inner, ttl_s=0)
    await expired.get_info_for_dispatch("t1")
    await expired.get_info_for_dispatch("t1")
    assert inner.lookups == 5  # with no reuse window, every update asks the store


async def test_a_task_this_server_just_created_needs_no_lookup_until_a_config_is_registered():
    inner = CountingStore()
    configs = PushConfigs(inner, ttl_s=60)
    ids = configs.new_task_ids()
    fresh, other = ids.generate(IDGeneratorContext()), ids.generate(IDGeneratorContext())
    assert fresh != other
    assert await configs.get_info_for_dispatch(fresh) == []
    assert inner.lookups == 0  # nobody can have registered a webhook for it elsewhere yet
    config = TaskPushNotificationConfig(task_id=fresh, id="c1", url="https://8.8.8.8/hook")
    await configs.set_info(fresh, config, ServerCallContext())  # as SendMessage's configuration does
    assert [c.id for c in await configs.get_info_for_dispatch(fresh)] == ["c1"]
    assert inner.lookups == 1
    await inner.set_info(other, config, ServerCallContext())  # another replica, straight into the store
    assert await PushConfigs(inner, ttl_s=0).get_info_for_dispatch(other) != []  # there all along...
    assert await configs.get_info_for_dispatch(other) == []  # ...but seen here only after ttl_s


async def test_configs_registered_through_0_3_are_remembered_as_such():
    configs = PushConfigs(InMemoryPushNotificationConfigStore())
    old, new = ServerCallContext(), ServerCallContext()
    old.state["method"] = "tasks/pushNotificationConfig/set"
    new.state["method"] = "CreateTaskPushNotificationConfig"
    a = TaskPushNotificationConfig(task_id="t1", id="a", url="https://8.8.8.8/a")
    b = TaskPushNotificationConfig(task_id="t1", id="b", url="https://8.8.8.8/b")
    await configs.set_info("t1", a, old)
    await configs.set_info("t1", b, new)
    legacy = {c.id: configs.is_legacy(c) for c in await configs.get_info_for_dispatch("t1")}
    assert legacy == {"a": True, "b": False}
    await configs.set_info("t1", a, new)  # re-registered through 1.0: 1.0 payloads from now on
    assert not configs.is_legacy(a)
