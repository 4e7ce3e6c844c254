// The Agents panel: any A2A agent by URL — its card and skills, a message and its task followed live
// (states, artifacts), the agent's tasks listed and cancellable.

import { api, post } from "./api.js";
import { $, clear, errorBox, h, jsonBlock, markdown, sendOnEnter } from "./dom.js";

const TERMINAL = new Set(["completed", "failed", "canceled", "rejected"]);

export class AgentsPanel {
  constructor(root, bus) {
    this.root = root;
    this.url = $("#agent-url", root);
    this.known = $("#known-agents", root);
    this.cardView = $(".agent-card", root);
    this.log = $(".task-log", root);
    this.message = $("#agent-message", root);
    this.taskLine = $(".task-line", root);
    this.tasksView = $(".task-list", root);
    this.runs = new Map();
    this.task = null;
    $("#agent-open", root).addEventListener("click", () => this.openCard());
    this.url.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); this.openCard(); } });
    $("#agent-send", root).addEventListener("click", () => this.send());
    $("#agent-tasks", root).addEventListener("click", () => this.listTasks());
    $("#agent-new-task", root).addEventListener("click", () => this.setTask(null));
    sendOnEnter(this.message, () => this.send());
    bus.on("a2a", (event) => this.onEvent(event));
  }

  async show() {
    try {
      const data = await api("/api/a2a/known");
      clear(this.known);
      for (const agent of data.agents) this.known.append(h("option", { value: agent.url }, agent.label));
      if (!this.url.value && data.agents.length) this.url.value = data.agents[0].url;
    } catch (error) {
      clear(this.cardView).append(errorBox(error.message));
    }
  }

  async openCard() {
    clear(this.cardView).append(h("p", { class: "muted" }, "Reading the agent card…"));
    try {
      const card = await post("/api/a2a/card", { url: this.url.value });
      this.cardUrl = this.url.value;
      this.renderCard(card);
      this.setTask(null);
    } catch (error) {
      clear(this.cardView).append(errorBox(error.message));
    }
  }

  renderCard(card) {
    const interfaces = (card.supportedInterfaces || []).map((i) => `${i.protocolBinding || ""} ${i.url || ""}`.trim());
    const streaming = card.capabilities?.streaming ? "streams updates" : "no streaming";
    clear(this.cardView).append(
      h("h2", {}, card.name || "(unnamed agent)"),
      h("p", { class: "muted" }, [`version ${card.version || "?"}`, streaming, ...interfaces].join(" · ")),
      h("p", {}, card.description || ""),
      card.securitySchemes ? h("p", { class: "muted" }, `security: ${Object.keys(card.securitySchemes).join(", ")}`) : "",
      h("h3", {}, `Skills (${(card.skills || []).length})`),
      h("div", { class: "skills" }, (card.skills || []).map((skill) => h(
        "div",
        { class: "skill" },
        h("strong", {}, skill.name), " ", h("code", {}, skill.id),
        h("p", {}, skill.description || ""),
        h("div", {}, (skill.tags || []).map((tag) => h("span", { class: "chip" }, tag))),
        (skill.examples || []).length ? h("ul", { class: "examples" }, skill.examples.map((example) => h("li", {}, h("button", { class: "link", onclick: () => { this.message.value = example; this.message.focus(); } }, example)))) : "",
      ))),
      jsonBlock(card, "the whole card (JSON)"),
    );
  }

  setTask(task) {
    this.task = task;
    const continuing = task && !TERMINAL.has(task.state);
    this.taskLine.textContent = continuing
      ? `the next message continues task ${task.id} (${task.state})`
      : `the next message starts a new task${task ? ` (task ${task.id} ended ${task.state})` : ""}`;
  }

  async send() {
    const text = this.message.value.trim();
    if (!text) return;
    const url = this.cardUrl || this.url.value;
    const entry = h("div", { class: "task-entry" }, h("div", { class: "bubble user" }, h("div", { class: "bubble-who" }, "you"), h("div", { class: "bubble-body" }, text)));
    this.log.append(entry);
    try {
      const body = { url, text };
      if (this.task && !TERMINAL.has(this.task.state)) Object.assign(body, { task_id: this.task.id, context_id: this.task.context_id });
      const started = await post("/api/a2a/send", body);
      this.message.value = "";
      const states = h("div", { class: "states" });
      const updates = h("div", { class: "updates" });
      const final = h("div", { class: "final" });
      entry.append(states, updates, final);
      this.runs.set(started.run, { states, updates, final, seen: [] });
    } catch (error) {
      entry.append(errorBox(error.message));
    }
    this.log.scrollTop = this.log.scrollHeight;
  }

  onEvent(event) {
    const run = this.runs.get(event.run);
    if (!run) return;
    if (event.state && run.seen.at(-1) !== event.state) {
      run.seen.push(event.state);
      run.states.append(h("span", { class: `state state-${event.state}` }, event.state));
    }
    if (event.kind === "update" && event.text) {
      run.updates.append(h("div", { class: "update" }, event.update_kind === "artifact" ? `artifact ${event.text}` : event.text));
    } else if (event.kind === "result") {
      this.setTask({ id: event.task_id, context_id: event.context_id, state: event.state });
      const head = event.state === "input-required" ? "The agent asks: " : "";
      run.final.append(h("div", { class: `bubble assistant state-${event.state}` }, h("div", { class: "bubble-who" }, `agent · task ${event.task_id} · ${event.state}`), h("div", { class: "bubble-body" }, head ? h("strong", {}, head) : "", markdown(event.text || "(no text)"))));
      for (const artifact of event.artifacts.filter((a) => a.name !== "answer")) run.final.append(renderArtifact(artifact));
    } else if (event.kind === "failed") {
      run.final.append(errorBox(event.message));
    }
    this.log.scrollTop = this.log.scrollHeight;
  }

  async listTasks() {
    clear(this.tasksView).append(h("p", { class: "muted" }, "Listing tasks…"));
    const url = this.cardUrl || this.url.value;
    try {
      const data = await post("/api/a2a/tasks", { url });
      clear(this.tasksView);
      if (!data.tasks.length) this.tasksView.append(h("p", { class: "muted" }, "No tasks yet."));
      const table = h("table", { class: "md-table" }, h("tr", {}, ["task", "state", "last message", "updated", ""].map((t) => h("th", {}, t))));
      for (const task of data.tasks) {
        const cancel = TERMINAL.has(task.state) ? "" : h("button", { class: "secondary", onclick: async () => {
          try {
            const after = await post("/api/a2a/cancel", { url, task_id: task.id });
            cancel.replaceWith(h("span", { class: `state state-${after.state}` }, after.state));
          } catch (error) {
            cancel.replaceWith(errorBox(error.message));
          }
        } }, "Cancel");
        table.append(h("tr", {}, h("td", {}, h("code", {}, task.id)), h("td", {}, h("span", { class: `state state-${task.state}` }, task.state)), h("td", {}, task.text.slice(0, 160)), h("td", { class: "muted" }, task.updated), h("td", {}, cancel)));
      }
      if (data.tasks.length) this.tasksView.append(h("div", { class: "table-wrap" }, table));
    } catch (error) {
      clear(this.tasksView).append(errorBox(error.message));
    }
  }
}

export function renderArtifact(artifact) {
  const box = h("div", { class: "artifact" }, h("div", { class: "muted" }, `artifact ${artifact.name || artifact.id}`));
  for (const part of artifact.parts) {
    if (part.kind === "text") box.append(h("div", { class: "bubble-body" }, markdown(part.text)));
    else if (part.kind === "data") box.append(jsonBlock(part.data, "data"));
    else if (part.kind === "image") box.append(h("img", { class: "plot", src: part.src, alt: artifact.name || "image" }));
    else box.append(h("p", { class: "muted" }, `${part.kind}: ${part.media_type || part.url || ""}`));
  }
  return box;
}
