// The Demos panel: pick a scenario, run it, watch the transcript and the timeline fill in live; answer the
// coordinator's questions in the page (the scenario's own answer is offered).

import { api, post } from "./api.js";
import { $, clear, errorBox, h, markdown, sendOnEnter } from "./dom.js";
import { renderArtifact } from "./agents.js";
import { Timeline } from "./timeline.js";

export class DemosPanel {
  constructor(root, bus) {
    this.root = root;
    this.list = $(".demo-list", root);
    this.transcript = $(".demo-transcript", root);
    this.timeline = new Timeline($(".demo-timeline", root), { name: "demo", compact: true });
    this.run = null;
    this.loaded = false;
    bus.on("demo", (event) => this.onEvent(event));
    bus.on("trace", (event) => this.timeline.live(event.event));
  }

  async show() {
    if (this.loaded) return;
    try {
      const data = await api("/api/demos");
      this.loaded = true;
      clear(this.list);
      for (const demo of data.demos) {
        this.list.append(h("div", { class: "demo", dataset: { demo: demo.name } },
          h("strong", {}, demo.title), h("p", { class: "muted", title: demo.summary }, demo.summary),
          h("button", { class: "primary", onclick: () => this.start(demo.name) }, `Run ${demo.name}`)));
      }
    } catch (error) {
      clear(this.list).append(errorBox(error.message));
    }
  }

  async start(name) {
    clear(this.transcript);
    try {
      const started = await post("/api/demos/run", { name });
      this.run = started.run;
      this.transcript.append(h("h3", {}, started.title));
      this.timeline.load(started.session);
    } catch (error) {
      this.transcript.append(errorBox(error.message));
    }
  }

  line(text, cls = "") {
    const el = h("div", { class: `demo-line ${cls}` }, text);
    this.transcript.append(el);
    this.transcript.scrollTop = this.transcript.scrollHeight;
    return el;
  }

  onEvent(event) {
    if (event.run !== this.run) return;
    switch (event.kind) {
      case "servers_started":
        this.line(`specialist ${event.specialist_url} · coordinator ${event.coordinator_url}`, "muted");
        break;
      case "step_note":
        this.line(`(${event.text})`, "note");
        break;
      case "specialist_stopped":
        this.line(`[${event.number}] ✖ the specialist at ${event.url} is stopped`, "action");
        break;
      case "specialist_restarted":
        this.line(`[${event.number}] ▶ the specialist is back at ${event.url}`, "action");
        break;
      case "user_said":
        this.transcript.append(h("div", { class: "bubble user" }, h("div", { class: "bubble-who" }, `[${event.number}] user → coordinator${event.answering ? " (answering)" : ""}`), h("div", { class: "bubble-body" }, event.text)));
        break;
      case "task_update": {
        const update = event.update;
        const source = update.metadata?.source;
        if (source) this.line(`${source} ▸ ${update.text}`, "relayed");
        else if (update.kind === "artifact") this.line(`coordinator ▸ artifact ${update.text}`, "muted");
        else if (update.text && update.state === "working") this.line(`coordinator ▸ ${update.text}`, "progress");
        break;
      }
      case "user_cancels":
        this.line(`✋ the user cancels the coordinator's task ${event.task_id}`, "action");
        break;
      case "coordinator_replied": {
        const result = event.result;
        const reply = h("div", { class: `bubble assistant state-${result.state}` },
          h("div", { class: "bubble-who" }, `[${event.number}] coordinator → user · ${result.state}`),
          h("div", { class: "bubble-body" }, markdown(result.text || "(no text)")));
        this.transcript.append(reply);
        for (const artifact of result.artifacts.filter((a) => a.name !== "answer")) this.transcript.append(renderArtifact(artifact));
        break;
      }
      case "peer_task_ended":
        this.line(`${event.peer} task ${event.task_id}: ${event.state} (GetTask on the specialist)`, "muted");
        break;
      case "question":
        this.ask(event);
        break;
      case "finished":
        this.line(event.problems.length ? `finished, but: ${event.problems.join("; ")}` : "✔ demo finished", "done");
        break;
      case "failed":
        this.transcript.append(errorBox(event.message));
        break;
      default:
        break;
    }
    this.transcript.scrollTop = this.transcript.scrollHeight;
  }

  ask(event) {
    const input = h("textarea", { id: "demo-answer", rows: "3", "aria-label": "your answer" });
    input.value = event.suggestion;
    const notice = h("div");
    const box = h("div", { class: "question", role: "note" },
      h("strong", {}, "The coordinator asks:"), h("div", { class: "bubble-body" }, markdown(event.question)),
      h("p", { class: "muted" }, "Answer it (the scenario's answer is filled in; edit it if you like). Enter sends."),
      input, notice);
    const send = async () => {
      try {
        await post("/api/demos/answer", { run: this.run, text: input.value });
        box.replaceWith(h("div", { class: "question answered" }, h("strong", {}, "The coordinator asked:"), h("div", { class: "bubble-body" }, markdown(event.question))));
      } catch (error) {
        clear(notice).append(errorBox(error.message));
      }
    };
    box.append(h("button", { class: "primary", onclick: send }, "Send answer"));
    sendOnEnter(input, send);
    this.transcript.append(box);
    input.focus();
  }
}
