// The Memory panel: long-term memories listed (newest first) or searched, forgotten one by one, exported.

import { api, post } from "./api.js";
import { $, clear, errorBox, h } from "./dom.js";

export class MemoryPanel {
  constructor(root) {
    this.root = root;
    this.query = $("#memory-query", root);
    this.list = $(".memory-list", root);
    this.notice = $(".memory-notice", root);
    $("#memory-search", root).addEventListener("click", () => this.load());
    this.query.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); this.load(); } });
  }

  show() {
    this.load();
  }

  async load() {
    const query = this.query.value.trim();
    clear(this.notice);
    try {
      const data = await api(`/api/memory?query=${encodeURIComponent(query)}`);
      clear(this.list);
      if (!data.memories.length) {
        this.list.append(h("p", { class: "muted" }, query ? `Nothing matches "${query}".` : "No memories yet: ask the agent to remember something."));
      }
      for (const memory of data.memories) this.list.append(this.row(memory));
    } catch (error) {
      this.notice.append(errorBox(error.message));
    }
  }

  row(memory) {
    const forget = h("button", { class: "secondary", "aria-label": `forget memory ${memory.id}` }, "Forget");
    const el = h("div", { class: "memory", dataset: { id: memory.id } },
      h("div", { class: "memory-text" }, memory.text),
      h("div", { class: "muted" }, `#${memory.id} · ${memory.kind} · ${memory.created}`, memory.score !== undefined ? ` · relevance ${memory.score}` : ""),
      h("div", {}, (memory.tags || []).map((tag) => h("span", { class: "chip" }, tag))),
      forget);
    forget.addEventListener("click", async () => {
      forget.disabled = true;
      try {
        await post("/api/memory/forget", { id: memory.id });
        el.remove();
        clear(this.notice).append(h("p", { class: "ok", role: "status" }, `Forgot memory #${memory.id}.`));
      } catch (error) {
        forget.disabled = false;
        clear(this.notice).append(errorBox(error.message));
      }
    });
    return el;
  }
}
