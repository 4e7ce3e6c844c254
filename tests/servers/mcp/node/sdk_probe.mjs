// The TypeScript MCP SDK against `protoplay serve mcp --transport http`: what a Node client observes, printed
// as one JSON object for tests/servers/mcp/test_node_clients.py to judge (this script decides nothing).
//
//   node sdk_probe.mjs http://127.0.0.1:PORT/mcp
//
// The SDK's own checks run on the way: callTool validates every structuredContent against the tool's
// outputSchema (from tools/list) and throws when it does not match; a malformed message fails its zod schema.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

const url = new URL(process.argv[2]);
const client = new Client({ name: "protoplay-sdk-probe", version: "1.0.0" }, { capabilities: { elicitation: {} } });
const logs = [];
const forms = [];
client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
  logs.push(notification.params);
});
client.setRequestHandler(ElicitRequestSchema, async (request) => {
  forms.push(request.params);
  return { action: "accept", content: { p: "0.25, 0.25, 0.5" } };
});

async function error(promise) {
  try {
    await promise;
    return null;
  } catch (caught) {
    return { code: caught.code ?? null, message: caught.message };
  }
}

await client.connect(new StreamableHTTPClientTransport(url));
const report = {
  protocolVersion: client.transport.protocolVersion ?? null,
  serverInfo: client.getServerVersion(),
  capabilities: client.getServerCapabilities(),
};

const tools = (await client.listTools()).tools;
report.tools = tools.map((tool) => ({ name: tool.name, hasOutputSchema: Boolean(tool.outputSchema) }));

// Every tool's valid call (given on stdin by the test): the SDK validates each structuredContent.
const calls = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
}));
report.calls = {};
for (const [name, args] of Object.entries(calls.valid)) {
  try {
    const result = await client.callTool({ name, arguments: args });
    report.calls[name] = {
      isError: Boolean(result.isError),
      structured: result.structuredContent ?? null,
      contentTypes: result.content.map((block) => block.type),
      imageMime: result.content.find((block) => block.type === "image")?.mimeType ?? null,
    };
  } catch (caught) {
    report.calls[name] = { thrown: caught.message };
  }
}

// Logging and progress from one long tool.
await client.setLoggingLevel("debug");
logs.length = 0;
const progress = [];
const [longName, longArgs] = calls.progress;
await client.callTool({ name: longName, arguments: longArgs }, undefined, {
  onprogress: (update) => progress.push(update),
  resetTimeoutOnProgress: true,
});
report.progress = progress;
report.logs = [...logs];

// Elicitation: entropy without its required `p`.
const elicited = await client.callTool({ name: "entropy", arguments: { base: "2" } });
report.elicitation = { forms, structured: elicited.structuredContent ?? null, isError: Boolean(elicited.isError) };

// Resources: a concrete note, a templated layer table, a completion of the template's argument.
const note = await client.readResource({ uri: "notes://lora" });
const table = await client.readResource({ uri: "arch://LeNet-5" });
report.resources = {
  listed: (await client.listResources()).resources.length,
  templates: (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate),
  note: { mimeType: note.contents[0].mimeType, head: note.contents[0].text.slice(0, 40) },
  table: { mimeType: table.contents[0].mimeType, head: table.contents[0].text.slice(0, 40) },
};
report.completion = (
  await client.complete({ ref: { type: "ref/resource", uri: "arch://{name}" }, argument: { name: "name", value: "ResNet" } })
).completion;

// Prompts: one rendered (with its embedded note), then a client's mistakes.
const prompt = await client.getPrompt({ name: "plan-finetune", arguments: { params_billion: "7", gpu_memory_gb: "24" } });
report.prompt = prompt.messages.map((message) => ({
  role: message.role,
  type: message.content.type,
  uri: message.content.resource?.uri ?? null,
}));
report.errors = {
  unknownPrompt: await error(client.getPrompt({ name: "plan-finetuning" })),
  missingPromptArgument: await error(client.getPrompt({ name: "plan-finetune", arguments: { params_billion: "7" } })),
  unknownResource: await error(client.readResource({ uri: "test://static-text" })),
};

await client.close();
process.stdout.write(JSON.stringify(report));
