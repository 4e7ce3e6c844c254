// The trace as a sequence diagram: one lane per party, one row per protocol message, updating live.
//
// Only the rows in view are in the DOM (a 10,000-event trace renders as fast as a short one). Each trace event
// says who recorded it (`agent`) and who is at the other end (`peer`): `out` is an arrow from the recorder
// to the peer, `in` the other way. The chat agent's model requests also tell what the user said and when the
// model answered: those become dashed user ↔ agent arrows, marked as derived from the model request.

import { api } from "./api.js";
import { clear, formatMs, h, jsonText } from "./dom.js";

const ROW = 30;
const GUTTER = 62;
const MIN_LANE = 90;
const CHAT_AGENT = "protoplay-agent";
// The names the playground's panel and the demo's scripted user record under: they play the user's part.
const USERS = new Set(["protoplay-ui", "protoplay-demo-user", "client"]);
const RANK = { user: 0, agent: 1, model: 2, "MCP server": 3 };
export const PROTOCOLS = ["user", "llm", "mcp", "a2a"];

function summaryOf(event) {
  if (typeof event.summary === "string") return event.summary;
  const payload = event.payload;
  if (payload && typeof payload === "object" && typeof payload.summary === "string") return payload.summary;
  if (typeof payload === "string") return payload;
  return JSON.stringify(payload ?? null);
}

const keyOf = (e) => `${e.ts}|${e.protocol}|${e.direction}|${e.peer}|${e.method}|${e.agent || ""}`;

export class TimelineModel {
  constructor() {
    this.reset();
  }

  reset() {
    this.events = [];
    this.rows = [];
    this.lanes = new Map();
    this.laneList = [];
    this.start = null;
    this.keys = new Set();
  }

  lane(name, role) {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = { name, role, order: this.lanes.size, index: 0 };
      this.lanes.set(name, lane);
      this.laneList.push(lane);
      this.laneList.sort((a, b) => RANK[a.role] - RANK[b.role] || a.order - b.order);
      this.laneList.forEach((item, index) => (item.index = index));
      this.lanesChanged = true;
    }
    return lane;
  }

  // Adds one trace event (compact row or full event); returns the rows it produced.
  add(event, { full = false } = {}) {
    const index = this.events.length;
    this.events.push({ event, full });
    this.keys.add(keyOf(event));
    const time = Date.parse(event.ts);
    if (this.start === null && !Number.isNaN(time)) this.start = time;
    const offset = Number.isNaN(time) || this.start === null ? null : (time - this.start) / 1000;
    const recorder = event.agent || (event.protocol === "llm" || event.protocol === "mcp" ? CHAT_AGENT : "agent");
    const peer = event.peer || "?";
    const peerRole =
      event.protocol === "llm" ? "model" : event.protocol === "mcp" ? "MCP server" : USERS.has(peer) ? "user" : "agent";
    const self = this.lane(recorder, USERS.has(recorder) ? "user" : "agent");
    const other = this.lane(peer, peerRole);
    const summary = summaryOf(event);
    const produced = [];
    const row = (from, to, protocol, method, text, extra = {}) => {
      const item = { index, from, to, protocol, method, summary: text, offset, duration: null, ...extra };
      this.rows.push(item);
      produced.push(item);
    };
    const chatAgent = event.protocol === "llm" && (!event.agent || event.agent === CHAT_AGENT);
    if (chatAgent && event.direction === "out" && summary.includes("; user: ")) {
      const you = this.lane("you", "user");
      row(you, self, "user", "message", summary.split("; user: ").slice(1).join("; user: "), { derived: true });
    }
    const [from, to] = event.direction === "in" ? [other, self] : [self, other];
    row(from, to, event.protocol, event.method, summary, { duration: event.duration_ms ?? null });
    if (chatAgent && event.direction === "in" && summary.startsWith("answer: ")) {
      row(self, this.lane("you", "user"), "user", "answer", summary.slice("answer: ".length), { derived: true });
    }
    return produced;
  }

  has(event) {
    return this.keys.has(keyOf(event));
  }
}

export class Timeline {
  constructor(container, { name = "timeline", compact = false } = {}) {
    this.name = name;
    this.model = new TimelineModel();
    this.filters = new Set(PROTOCOLS);
    this.visible = [];
    this.session = null;
    this.selected = null;
    this.pending = null;
    this.frame = 0;
    this.follow = true;
    this.build(container, compact);
  }

  build(container, compact) {
    this.countEl = h("span", { class: "tl-count" }, "no trace");
    const toggles = PROTOCOLS.map((protocol) =>
      h(
        "label",
        { class: `tl-filter proto-${protocol}` },
        h("input", {
          type: "checkbox",
          checked: true,
          "aria-label": `show ${protocol}`,
          onchange: (e) => this.setFilter(protocol, e.target.checked),
        }),
        protocol === "user" ? "user" : protocol,
      ),
    );
    this.head = h("div", { class: "tl-head" });
    this.canvas = h("div", { class: "tl-canvas" });
    this.scroller = h("div", { class: "tl-scroll", tabindex: "0" }, this.head, this.canvas);
    this.detail = h("div", { class: "tl-detail", hidden: true });
    this.root = h(
      "div",
      { class: `timeline${compact ? " compact" : ""}`, dataset: { name: this.name } },
      h("div", { class: "tl-toolbar" }, h("span", { class: "tl-filters" }, toggles), this.countEl),
      this.scroller,
      this.detail,
    );
    container.append(this.root);
    this.scroller.addEventListener("scroll", () => {
      const s = this.scroller;
      this.follow = s.scrollTop + s.clientHeight >= s.scrollHeight - ROW * 2;
      this.schedule();
    }, { passive: true });
    new ResizeObserver(() => this.schedule(true)).observe(this.scroller);
  }

  // Show a saved trace (and keep following it live); 404 = nothing recorded yet.
  async load(session) {
    this.session = session;
    this.model.reset();
    this.visible = [];
    this.selected = null;
    this.detail.hidden = true;
    this.pending = [];
    this.follow = true;
    this.countEl.textContent = "loading…";
    this.schedule(true);
    let error = null;
    if (session) {
      try {
        const data = await api(`/api/traces/${encodeURIComponent(session)}`);
        if (this.session !== session) return;
        for (const event of data.events) this.model.add(event);
      } catch (failure) {
        if (failure.status !== 404) error = failure.message;
      }
    }
    if (this.session !== session) return;
    const waiting = this.pending || [];
    this.pending = null;
    for (const event of waiting) if (!this.model.has(event)) this.model.add(event, { full: true });
    this.refilter();
    this.render(true);
    if (error) this.countEl.textContent = `could not load the trace: ${error}`;
    document.dispatchEvent(
      new CustomEvent("protoplay:timeline-rendered", {
        detail: { timeline: this.name, session, events: this.model.events.length },
      }),
    );
  }

  // A trace event from the live stream: kept when it belongs to the session shown.
  live(event) {
    if (!this.session || event.session !== this.session) return;
    if (this.pending) {
      this.pending.push(event);
      return;
    }
    for (const row of this.model.add(event, { full: true })) {
      if (this.filters.has(row.protocol)) this.visible.push(row);
    }
    this.schedule();
    document.dispatchEvent(new CustomEvent("protoplay:trace-shown", { detail: { timeline: this.name, event } }));
  }

  setFilter(protocol, on) {
    if (on) this.filters.add(protocol);
    else this.filters.delete(protocol);
    this.refilter();
    this.schedule(true);
  }

  refilter() {
    this.visible = this.model.rows.filter((row) => this.filters.has(row.protocol));
  }

  schedule(full = false) {
    this.full = this.full || full;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render(this.full);
    });
  }

  geometry() {
    const lanes = this.model.laneList.length || 1;
    const width = Math.max(this.scroller.clientWidth - GUTTER - 8, lanes * MIN_LANE);
    const step = width / lanes;
    return { width: GUTTER + width, x: (lane) => GUTTER + (lane.index + 0.5) * step, step };
  }

  render(full = false) {
    this.full = false;
    const geometry = this.geometry();
    const height = this.visible.length * ROW;
    if (full || this.model.lanesChanged || !this.rowsEl) this.renderLanes(geometry, height);
    this.model.lanesChanged = false;
    this.canvas.style.height = `${Math.max(height, ROW)}px`;
    this.canvas.style.width = `${geometry.width}px`;
    this.head.style.width = `${geometry.width}px`;
    if (this.lines) for (const line of this.lines) line.style.height = `${Math.max(height, ROW)}px`;
    const n = this.model.events.length;
    this.countEl.textContent = n ? `${n.toLocaleString()} events · ${this.visible.length.toLocaleString()} rows` : "no events yet";
    if (this.follow) this.scroller.scrollTop = this.scroller.scrollHeight;
    const top = Math.max(0, Math.floor(this.scroller.scrollTop / ROW) - 10);
    const bottom = Math.min(this.visible.length, top + Math.ceil(this.scroller.clientHeight / ROW) + 20);
    // Rows keep their position while events arrive (they are only appended), so a live update draws just
    // the new rows; a filter, a selection or a new lane redraws the window.
    for (const [i, el] of this.drawn) {
      if (i < top || i >= bottom) {
        el.remove();
        this.drawn.delete(i);
      }
    }
    for (let i = top; i < bottom; i += 1) {
      if (this.drawn.has(i)) continue;
      const el = this.renderRow(this.visible[i], i, geometry);
      this.rowsEl.append(el);
      this.drawn.set(i, el);
    }
  }

  renderLanes(geometry, height) {
    clear(this.head);
    clear(this.canvas);
    this.lines = [];
    for (const lane of this.model.laneList) {
      const x = geometry.x(lane);
      this.head.append(
        h(
          "div",
          { class: `tl-lane role-${lane.role.replace(/\s/g, "-")}`, style: `left:${x}px;width:${geometry.step - 8}px`, title: lane.name },
          h("span", { class: "tl-role" }, lane.role),
          h("span", { class: "tl-name" }, lane.name.replace(/^protoplay-(?=.)/, "")),
        ),
      );
      const line = h("div", { class: "tl-line", style: `left:${x}px;height:${height}px` });
      this.lines.push(line);
      this.canvas.append(line);
    }
    this.rowsEl = h("div", { class: "tl-rows" });
    this.drawn = new Map();
    this.canvas.append(this.rowsEl);
  }

  renderRow(row, position, geometry) {
    const x1 = geometry.x(row.from);
    const x2 = geometry.x(row.to);
    const left = Math.min(x1, x2);
    const right = x1 <= x2;
    const took = row.duration !== null ? ` (${formatMs(row.duration)})` : "";
    const el = h(
      "div",
      {
        class: `tl-row proto-${row.protocol}${row.derived ? " derived" : ""}${row === this.selected ? " selected" : ""}`,
        style: `top:${position * ROW}px`,
        role: "button",
        tabindex: "-1",
        title: `${row.from.name} → ${row.to.name}: ${row.method}${took}\n${row.summary}`,
        onclick: () => this.select(row),
      },
      h("span", { class: "tl-time" }, row.offset === null ? "" : `+${row.offset.toFixed(3)}s`),
      h("div", { class: `tl-arrow ${right ? "to-right" : "to-left"}`, style: `left:${left}px;width:${Math.abs(x2 - x1)}px` }),
      h(
        "span",
        { class: "tl-label", style: `left:${left + 6}px;max-width:${Math.max(geometry.width - left - 12, 80)}px` },
        h("b", {}, row.method),
        took,
        " ",
        row.summary,
      ),
    );
    return el;
  }

  async select(row) {
    this.selected = row;
    this.schedule(true);
    const record = this.model.events[row.index];
    clear(this.detail);
    this.detail.hidden = false;
    const close = h("button", { class: "link", onclick: () => { this.detail.hidden = true; } }, "close");
    const title = `${row.from.name} → ${row.to.name} · ${row.protocol} ${row.method}`;
    this.detail.append(h("div", { class: "tl-detail-head" }, h("strong", {}, title), close));
    if (row.derived) this.detail.append(h("p", { class: "muted" }, "Derived from the model request below (what the user said, or the model's final answer)."));
    let event = record.event;
    if (!record.full) {
      try {
        event = await api(`/api/traces/${encodeURIComponent(this.session)}/${row.index}`);
        this.model.events[row.index] = { event, full: true };
      } catch (error) {
        this.detail.append(h("p", { class: "error" }, error.message));
      }
    }
    if (this.selected !== row) return;
    const timing = `recorded ${event.ts}${event.duration_ms != null ? ` · took ${formatMs(event.duration_ms)}` : ""}`;
    this.detail.append(h("p", { class: "muted" }, timing), h("pre", { class: "tl-json" }, jsonText(event, { clip: 2000 })));
  }
}
