// The playground page: tabs, the header's status, the live event stream, and the Timeline tab.

import { AgentsPanel } from "./agents.js";
import { api, EventBus } from "./api.js";
import { ChatPanel } from "./chat.js";
import { $, clear, h } from "./dom.js";
import { DemosPanel } from "./demos.js";
import { MemoryPanel } from "./memory.js";
import { Timeline } from "./timeline.js";
import { ToolsPanel } from "./tools.js";

class TracePanel {
  constructor(root, bus, chat) {
    this.chat = chat;
    this.picker = $("#trace-picker", root);
    this.timeline = new Timeline($(".trace-timeline", root), { name: "traces" });
    this.picker.addEventListener("change", () => this.timeline.load(this.picker.value));
    $("#trace-refresh", root).addEventListener("click", () => this.refresh());
    bus.on("trace", (event) => this.timeline.live(event.event));
  }

  async show() {
    await this.refresh();
    if (!this.timeline.session && this.picker.value) this.timeline.load(this.picker.value);
  }

  async refresh() {
    const current = this.picker.value || this.chat.session;
    const data = await api("/api/traces");
    clear(this.picker);
    const names = new Set();
    if (this.chat.session) {
      this.picker.append(h("option", { value: this.chat.session }, `${this.chat.session} (this chat)`));
      names.add(this.chat.session);
    }
    for (const trace of data.traces) {
      if (names.has(trace.session)) continue;
      names.add(trace.session);
      this.picker.append(h("option", { value: trace.session }, `${trace.session} — ${trace.events.toLocaleString()} events`));
    }
    if (current && names.has(current)) this.picker.value = current;
  }
}

async function showStatus(bus) {
  const status = $("#status-model");
  try {
    const data = await api("/api/status");
    status.textContent = `model: ${data.model}${data.offline ? " (offline)" : ""} · MCP: ${data.mcp}`;
    status.title = data.error || `${data.model_description}\nMCP: ${data.mcp}`;
    if (data.runtime === "failed") bus.setStatus(`agent not ready: ${data.error}`, "error");
  } catch (error) {
    status.textContent = error.message;
  }
}

function main() {
  const bus = new EventBus($("#status-live"));
  const chat = new ChatPanel($("#panel-chat"), bus);
  const panels = {
    chat,
    timeline: new TracePanel($("#panel-timeline"), bus, chat),
    tools: new ToolsPanel($("#panel-tools")),
    agents: new AgentsPanel($("#panel-agents"), bus),
    demos: new DemosPanel($("#panel-demos"), bus),
    memory: new MemoryPanel($("#panel-memory")),
  };
  const select = (name) => {
    for (const tab of document.querySelectorAll("[role=tab]")) {
      const on = tab.dataset.panel === name;
      tab.setAttribute("aria-selected", String(on));
      $(`#panel-${tab.dataset.panel}`).hidden = !on;
    }
    if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
    panels[name].show?.();
  };
  for (const tab of document.querySelectorAll("[role=tab]")) tab.addEventListener("click", () => select(tab.dataset.panel));
  const first = location.hash.slice(1);
  select(first in panels ? first : "chat");
  chat.start();
  showStatus(bus);
  bus.on("ready", () => showStatus(bus));
  document.body.dataset.ready = "true";
}

main();
