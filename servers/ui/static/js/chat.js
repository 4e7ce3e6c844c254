// The Chat panel: the function-calling agent with memory. Answers stream in; each tool call is a card; a
// question the agent asks is shown as a question (the next message answers it); sessions are listed and
// resumable; the timeline beside the chat follows the session live.

import { api, post } from "./api.js";
import { $, clear, errorBox, formatMs, h, jsonBlock, markdown, sendOnEnter } from "./dom.js";
import { Timeline } from "./timeline.js";

export class ChatPanel {
  constructor(root, bus) {
    this.root = root;
    this.session = null;
    this.turns = new Map();
    this.transcript = $(".transcript", root);
    this.input = $("#chat-input", root);
    this.sendButton = $("#chat-send", root);
    this.stopButton = $("#chat-stop", root);
    this.notice = $(".composer-notice", root);
    this.sessionList = $(".session-list", root);
    this.sessionName = $(".session-name", root);
    this.timeline = new Timeline($(".chat-timeline", root), { name: "chat", compact: true });
    sendOnEnter(this.input, () => this.send());
    this.sendButton.addEventListener("click", () => this.send());
    this.stopButton.addEventListener("click", () => this.stop());
    $("#new-session", root).addEventListener("click", () => this.newSession());
    bus.on("chat", (event) => this.onEvent(event));
    bus.on("trace", (event) => this.timeline.live(event.event));
  }

  start() {
    this.open(newSessionName(), { fresh: true });
    this.refreshSessions();
  }

  async refreshSessions() {
    try {
      const data = await api("/api/chat/sessions");
      clear(this.sessionList);
      for (const row of data.sessions) {
        const button = h(
          "button",
          { class: `session${row.name === this.session ? " current" : ""}`, onclick: () => this.open(row.name) },
          h("span", { class: "session-title" }, row.name),
          h("span", { class: "muted" }, `${row.turns} turn${row.turns === 1 ? "" : "s"}`),
        );
        this.sessionList.append(button);
      }
      if (!data.sessions.length) this.sessionList.append(h("p", { class: "muted" }, "No saved sessions yet."));
    } catch (error) {
      this.showNotice(error.message);
    }
  }

  newSession() {
    this.open(newSessionName(), { fresh: true });
  }

  async open(name, { fresh = false } = {}) {
    this.session = name;
    this.sessionName.textContent = name;
    this.turns.clear();
    clear(this.transcript);
    this.setRunning(false);
    this.showNotice("");
    for (const button of this.sessionList.querySelectorAll(".session")) {
      button.classList.toggle("current", button.querySelector(".session-title").textContent === name);
    }
    this.timeline.load(name);
    if (fresh) {
      this.transcript.append(h("p", { class: "muted hint" }, "Ask about entropy, KL divergence, backbones, fine-tuning, optimizers or training curves. Enter sends, Shift+Enter adds a line."));
      return;
    }
    try {
      const data = await api(`/api/chat/sessions/${encodeURIComponent(name)}`);
      if (this.session === name) this.renderHistory(data.messages);
    } catch (error) {
      this.showNotice(error.message);
    }
  }

  renderHistory(messages) {
    const results = new Map(messages.filter((m) => m.role === "tool").map((m) => [m.tool_call_id, m.content]));
    for (const message of messages) {
      if (message.role === "user") this.transcript.append(this.bubble("user", message.content));
      else if (message.role === "assistant") {
        for (const call of message.tool_calls || []) {
          const card = this.toolCard(call.function.name, safeParse(call.function.arguments));
          this.finishCard(card, { result: safeParse(results.get(call.id)), is_error: String(results.get(call.id) || "").startsWith("Error:"), images: [] });
          this.transcript.append(card.element);
        }
        if (message.content) this.transcript.append(this.bubble("assistant", message.content));
      }
    }
    this.scrollDown();
  }

  async send() {
    const text = this.input.value.trim();
    if (!text || this.running) return;
    this.showNotice("");
    this.sendButton.disabled = true;
    try {
      await post("/api/chat/send", { session: this.session, text });
      this.input.value = "";
      this.setRunning(true);
    } catch (error) {
      this.showNotice(error.message);
    } finally {
      this.sendButton.disabled = this.running;
    }
  }

  async stop() {
    try {
      await post("/api/chat/stop", { session: this.session });
    } catch (error) {
      this.showNotice(error.message);
    }
  }

  setRunning(running) {
    this.running = running;
    this.sendButton.disabled = running;
    this.stopButton.hidden = !running;
    this.root.classList.toggle("busy", running);
  }

  showNotice(message) {
    clear(this.notice);
    if (message) this.notice.append(errorBox(message));
  }

  onEvent(event) {
    if (event.session !== this.session) return;
    let turn = this.turns.get(event.turn);
    if (!turn) {
      $(".hint", this.transcript)?.remove();
      turn = { element: h("div", { class: "turn" }), cards: new Map(), answer: null, text: "" };
      this.turns.set(event.turn, turn);
      this.transcript.append(turn.element);
      this.setRunning(true);
    }
    const el = turn.element;
    switch (event.kind) {
      case "started":
        el.append(this.bubble("user", event.text));
        break;
      case "memories":
        el.append(h("div", { class: "memories" }, h("span", { class: "muted" }, "memories used: "),
          event.memories.map((m) => h("span", { class: "chip", title: `${m.kind} · ${m.created}` }, `#${m.id} ${m.text}`))));
        break;
      case "delta":
        if (!turn.answer) {
          turn.answer = this.bubble("assistant", "");
          el.append(turn.answer);
        }
        turn.text += event.text;
        this.scheduleAnswer(turn);
        break;
      case "tool_started": {
        const card = this.toolCard(event.name, event.arguments);
        turn.cards.set(event.id, card);
        turn.answer = null; // text after a tool call starts a new bubble
        turn.text = "";
        el.append(card.element);
        break;
      }
      case "tool_finished": {
        const card = turn.cards.get(event.id) || this.toolCard(event.name, event.arguments);
        this.finishCard(card, event);
        break;
      }
      case "finished":
        if (turn.answer) this.renderAnswer(turn);
        if (event.needs_input) {
          el.append(h("div", { class: "question", role: "note" }, h("strong", {}, "The agent asks:"), h("div", { class: "bubble-body" }, markdown(event.needs_input))));
          this.input.placeholder = "Answer the agent's question…";
        } else if (!event.text && !turn.answer) {
          el.append(h("p", { class: "muted" }, "(no answer)"));
        } else if (!turn.answer && event.text) {
          el.append(this.bubble("assistant", event.text));
        }
        this.endTurn();
        break;
      case "failed":
        el.append(errorBox(event.message));
        this.endTurn();
        break;
      case "stopped":
        el.append(h("p", { class: "muted" }, event.message));
        this.endTurn();
        break;
      default:
        break;
    }
    this.scrollDown();
  }

  endTurn() {
    this.setRunning(false);
    this.refreshSessions();
    if (this.input.placeholder.startsWith("Answer") && !this.transcript.lastElementChild?.querySelector(".question")) {
      this.input.placeholder = "Ask the agent…";
    }
    this.input.focus();
  }

  scheduleAnswer(turn) {
    if (turn.frame) return;
    turn.frame = requestAnimationFrame(() => {
      turn.frame = 0;
      this.renderAnswer(turn);
    });
  }

  renderAnswer(turn) {
    const body = $(".bubble-body", turn.answer);
    clear(body).append(markdown(turn.text));
    this.scrollDown();
  }

  bubble(role, text) {
    const body = h("div", { class: "bubble-body" });
    if (role === "assistant") body.append(markdown(text));
    else body.textContent = text;
    return h("div", { class: `bubble ${role}` }, h("div", { class: "bubble-who" }, role === "user" ? "you" : "agent"), body);
  }

  toolCard(name, args) {
    const status = h("span", { class: "status running" }, "running…");
    const duration = h("span", { class: "muted" });
    const body = h("div", { class: "tool-body" });
    const element = h(
      "div",
      { class: "tool-card", dataset: { tool: name } },
      h("div", { class: "tool-head" }, h("span", { class: "tool-icon" }, "⚙"), h("strong", { class: "tool-name" }, name), status, duration),
      h("code", { class: "tool-args" }, JSON.stringify(args)),
      body,
    );
    return { element, status, duration, body };
  }

  finishCard(card, event) {
    card.status.className = `status ${event.is_error ? "error" : "ok"}`;
    card.status.textContent = event.is_error ? "error" : "ok";
    if (event.duration_ms !== undefined) card.duration.textContent = formatMs(event.duration_ms);
    clear(card.body);
    if (event.is_error) card.body.append(h("div", { class: "error" }, String(event.result)));
    else card.body.append(jsonBlock(event.result, "result"));
    for (const src of event.images || []) card.body.append(h("img", { class: "plot", src, alt: `plot drawn by ${card.element.dataset.tool}`, loading: "lazy" }));
  }

  scrollDown() {
    this.transcript.scrollTop = this.transcript.scrollHeight;
  }
}

// ui-YYYYMMDD-HHMMSS, like the CLI's session names (-2, -3… keeps two made in one second apart).
const madeNames = new Set();
function newSessionName() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  const day = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const base = `ui-${day}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  let name = base;
  for (let n = 2; madeNames.has(name); n += 1) name = `${base}-${n}`;
  madeNames.add(name);
  return name;
}

function safeParse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
