// An A2A 1.0 client (@a2a-js/sdk 1.x) against a protoplay server: node client_1.mjs URL [WEBHOOK_URL]
// Prints one JSON object: what each step saw (the Python test asserts on it). A2A_TOKEN: bearer token to send.
import { randomUUID } from "node:crypto";
import { Role, TaskState } from "a2a-js-1";
import {
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
  createAuthenticatingFetchWithRetry,
} from "a2a-js-1/client";
import { bearerFetch, steps } from "./common.mjs";

const [url, webhook] = process.argv.slice(2);
const fetchImpl = bearerFetch(createAuthenticatingFetchWithRetry);
const { report, step, print } = steps();
const message = (text) => ({
  messageId: randomUUID(),
  contextId: "",
  taskId: "",
  role: Role.ROLE_USER,
  parts: [{ content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "" }],
  metadata: undefined,
  extensions: [],
  referenceTaskIds: [],
});
const request = (text, configuration = undefined) => ({
  tenant: "",
  message: message(text),
  configuration,
  metadata: undefined,
});
const texts = (parts) => (parts ?? []).filter((p) => p.content?.$case === "text").map((p) => p.content.value);
const summary = (task) => ({
  id: task.id,
  contextId: task.contextId,
  state: TaskState[task.status?.state],
  status: texts(task.status?.message?.parts).join("\n"),
  artifacts: (task.artifacts ?? []).map((a) => ({ name: a.name, kinds: a.parts.map((p) => p.content?.$case) })),
});

const card = await new DefaultAgentCardResolver({ fetchImpl }).resolve(url);
report.card = {
  name: card.name,
  interfaces: card.supportedInterfaces.map((i) => `${i.protocolBinding} ${i.protocolVersion} ${i.url}`),
  streaming: card.capabilities?.streaming,
  pushNotifications: card.capabilities?.pushNotifications,
  skills: card.skills.length,
};
const factory = new ClientFactory(
  ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
    transports: [new JsonRpcTransportFactory({ fetchImpl })],
  })
);
const client = await factory.createFromAgentCard(card);

let taskId;
await step("send", async () => {
  const result = await client.sendMessage(request("Entropy of [0.5, 0.25, 0.25] in bits"));
  taskId = result.id;
  return summary(result);
});
await step("get", async () => summary(await client.getTask({ tenant: "", id: taskId, historyLength: 1 })));
await step("list_completed", async () => {
  const page = await client.listTasks({ tenant: "", contextId: "", status: TaskState.TASK_STATE_COMPLETED, pageToken: "" });
  return { ids: page.tasks.map((t) => t.id), states: [...new Set(page.tasks.map((t) => TaskState[t.status.state]))] };
});
await step("list_bad_status", async () => client.listTasks({ tenant: "", contextId: "", status: 42, pageToken: "" }));
await step("stream", async () => {
  const kinds = [];
  let last;
  for await (const event of client.sendMessageStream(request("Explain LoRA"))) {
    const kind = event.payload?.$case;
    kinds.push(kind === "statusUpdate" ? `statusUpdate:${TaskState[event.payload.value.status.state]}` : kind);
    last = event.payload;
  }
  return { kinds, final: last?.$case === "statusUpdate" ? TaskState[last.value.status.state] : last?.$case };
});
await step("cancel_completed", async () => summary(await client.cancelTask({ tenant: "", id: taskId, metadata: undefined })));
await step("get_unknown", async () => summary(await client.getTask({ tenant: "", id: "no-such-task" })));
if (webhook) {
  const hook = (id, hookToken) => ({ tenant: "", id, taskId: "", url: webhook, token: hookToken, authentication: undefined });
  await step("push_send", async () => {
    const result = await client.sendMessage(
      request("KL divergence between p = [0.9, 0.1] and q = [0.5, 0.5]", {
        acceptedOutputModes: [],
        taskPushNotificationConfig: hook("hook-1", "js-1-token"),
        returnImmediately: false,
      })
    );
    taskId = result.id;
    return summary(result);
  });
  await step("push_get", async () => {
    const config = await client.getTaskPushNotificationConfig({ tenant: "", taskId, id: "hook-1" });
    return { taskId: config.taskId, id: config.id, url: config.url };
  });
  await step("push_create", async () => {
    const config = await client.createTaskPushNotificationConfig({ ...hook("hook-2", "second"), taskId });
    return { taskId: config.taskId, id: config.id };
  });
  await step("push_list", async () =>
    (await client.listTaskPushNotificationConfig({ tenant: "", taskId, pageSize: 10, pageToken: "" })).configs
      .map((c) => c.id)
      .sort()
  );
  await step("push_delete", async () => {
    await client.deleteTaskPushNotificationConfig({ tenant: "", taskId, id: "hook-2" });
    const page = await client.listTaskPushNotificationConfig({ tenant: "", taskId, pageSize: 10, pageToken: "" });
    return page.configs.map((c) => c.id);
  });
  await step("push_refused", async () =>
    client.createTaskPushNotificationConfig({ ...hook("hook-3", ""), taskId, url: "http://169.254.169.254/hook" })
  );
}
print();
