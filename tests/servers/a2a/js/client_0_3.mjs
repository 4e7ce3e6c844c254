// An A2A 0.3 client (@a2a-js/sdk 0.3) against a protoplay server: node client_0_3.mjs URL [WEBHOOK_URL]
// Prints one JSON object: what each step saw (the Python test asserts on it). A2A_TOKEN: bearer token to send.
import { randomUUID } from "node:crypto";
import {
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
  createAuthenticatingFetchWithRetry,
} from "a2a-js-0.3/client";
import { bearerFetch, steps } from "./common.mjs";

const [url, webhook] = process.argv.slice(2);
const fetchImpl = bearerFetch(createAuthenticatingFetchWithRetry);
const { report, step, print } = steps();
const message = (text, extra = {}) => ({
  kind: "message",
  messageId: randomUUID(),
  role: "user",
  parts: [{ kind: "text", text }],
  ...extra,
});
const texts = (parts) => (parts ?? []).filter((p) => p.kind === "text").map((p) => p.text);
const summary = (task) => ({
  kind: task.kind,
  id: task.id,
  contextId: task.contextId,
  state: task.status?.state,
  status: texts(task.status?.message?.parts).join("\n"),
  artifacts: (task.artifacts ?? []).map((a) => ({ name: a.name, kinds: a.parts.map((p) => p.kind) })),
});

const card = await new DefaultAgentCardResolver({ fetchImpl }).resolve(url);
report.card = {
  name: card.name,
  url: card.url,
  protocolVersion: card.protocolVersion,
  preferredTransport: card.preferredTransport,
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
  const result = await client.sendMessage({ message: message("Entropy of [0.5, 0.25, 0.25] in bits") });
  taskId = result.id;
  return summary(result);
});
await step("get", async () => summary(await client.getTask({ id: taskId, historyLength: 1 })));
await step("stream", async () => {
  const kinds = [];
  let last;
  for await (const event of client.sendMessageStream({ message: message("Explain LoRA") })) {
    kinds.push(event.kind === "status-update" ? `status-update:${event.status.state}` : event.kind);
    last = event;
  }
  return { kinds, final: last?.kind === "status-update" ? last.status.state : last?.kind };
});
await step("cancel_completed", async () => summary(await client.cancelTask({ id: taskId })));
await step("get_unknown", async () => summary(await client.getTask({ id: "no-such-task" })));
if (webhook) {
  await step("push_send", async () => {
    const result = await client.sendMessage({
      message: message("KL divergence between p = [0.9, 0.1] and q = [0.5, 0.5]"),
      configuration: { blocking: true, pushNotificationConfig: { id: "hook-1", url: webhook, token: "js-0.3-token" } },
    });
    taskId = result.id;
    return summary(result);
  });
  await step("push_get", async () => {
    const config = await client.getTaskPushNotificationConfig({ id: taskId, pushNotificationConfigId: "hook-1" });
    return { taskId: config.taskId, id: config.pushNotificationConfig.id, url: config.pushNotificationConfig.url };
  });
  await step("push_set", async () => {
    const config = await client.setTaskPushNotificationConfig({
      taskId,
      pushNotificationConfig: { id: "hook-2", url: webhook, token: "second" },
    });
    return { taskId: config.taskId, id: config.pushNotificationConfig.id };
  });
  await step("push_list", async () =>
    (await client.listTaskPushNotificationConfig({ id: taskId })).map((c) => c.pushNotificationConfig.id).sort()
  );
  await step("push_delete", async () => {
    await client.deleteTaskPushNotificationConfig({ id: taskId, pushNotificationConfigId: "hook-2" });
    return (await client.listTaskPushNotificationConfig({ id: taskId })).map((c) => c.pushNotificationConfig.id);
  });
  await step("push_refused", async () =>
    client.setTaskPushNotificationConfig({
      taskId,
      pushNotificationConfig: { id: "hook-3", url: "ftp://127.0.0.1/hook" },
    })
  );
}
print();
