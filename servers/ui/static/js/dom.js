// Small DOM helpers. Text from the agent, tools and peers is always set as text, never parsed as HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

// JSON for reading: long strings (base64 images) are clipped, the rest pretty-printed.
export function jsonText(value, { clip = 400 } = {}) {
  return JSON.stringify(
    value,
    (key, item) =>
      typeof item === "string" && item.length > clip ? `${item.slice(0, clip)}… (${item.length} chars)` : item,
    2,
  );
}

export function jsonBlock(value, summary, { open = false } = {}) {
  return h("details", { class: "json", open }, h("summary", {}, summary), h("pre", {}, jsonText(value)));
}

export function errorBox(message) {
  return h("div", { class: "error", role: "alert" }, message);
}

export function formatMs(ms) {
  if (ms === null || ms === undefined) return "";
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

// Enter sends, Shift+Enter inserts a newline.
export function sendOnEnter(textarea, send) {
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
}

// ------------------------------------------------------------------------------------------- markdown
// What the agent writes: paragraphs, headings, lists, tables, fenced code, **bold**, *italic*, _italic_, `code`.

export function markdown(text) {
  const root = document.createDocumentFragment();
  const lines = String(text ?? "").replace(/\r\n/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i += 1;
    } else if (line.startsWith("```")) {
      const code = [];
      i += 1;
      while (i < lines.length && !lines[i].startsWith("```")) code.push(lines[i++]);
      i += 1;
      root.append(h("pre", { class: "code" }, code.join("\n")));
    } else if (/^#{1,6}\s/.test(line)) {
      const level = Math.min(line.match(/^#+/)[0].length + 2, 6);
      root.append(inline(h(`h${level}`), line.replace(/^#+\s*/, "")));
      i += 1;
    } else if (/^\s*\|.*\|\s*$/.test(line)) {
      const rows = [];
      while (i < lines.length && /^\s*\|.*\|\s*$/.test(lines[i])) rows.push(lines[i++]);
      root.append(table(rows));
    } else if (/^\s*([-*•]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d+[.)]/.test(line);
      const list = h(ordered ? "ol" : "ul");
      while (i < lines.length && /^\s*([-*•]|\d+[.)])\s+/.test(lines[i])) {
        list.append(inline(h("li"), lines[i++].replace(/^\s*([-*•]|\d+[.)])\s+/, "")));
      }
      root.append(list);
    } else {
      const paragraph = [];
      while (i < lines.length && lines[i].trim() && !/^(```|#{1,6}\s|\s*\||\s*([-*•]|\d+[.)])\s)/.test(lines[i])) {
        paragraph.push(lines[i++]);
      }
      if (!paragraph.length) paragraph.push(lines[i++]);
      const p = h("p");
      paragraph.forEach((part, index) => {
        if (index) p.append(h("br"));
        inline(p, part);
      });
      root.append(p);
    }
  }
  return root;
}

function table(rows) {
  const cells = (row) => row.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
  const isRule = (row) => /^\s*\|?(\s*:?-{2,}:?\s*\|)+\s*:?-*:?\s*\|?\s*$/.test(row);
  const body = rows.filter((row) => !isRule(row));
  const hasHead = rows.length > 1 && isRule(rows[1]);
  const el = h("table", { class: "md-table" });
  body.forEach((row, index) => {
    const head = hasHead && index === 0;
    el.append(h("tr", {}, cells(row).map((cell) => inline(h(head ? "th" : "td"), cell))));
  });
  return h("div", { class: "table-wrap" }, el);
}

function inline(el, text) {
  // _italic_ only between non-word characters, so snake_case names stay as they are
  const pattern = /(\*\*[^*]+\*\*|`[^`]+`|\*[^*\s][^*]*\*|(?<!\w)_[^_\s][^_]*_(?!\w))/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) el.append(text.slice(last, match.index));
    const token = match[0];
    if (token.startsWith("**")) el.append(h("strong", {}, token.slice(2, -2)));
    else if (token.startsWith("`")) el.append(h("code", {}, token.slice(1, -1)));
    else if (token.startsWith("_")) el.append(h("em", {}, token.slice(1, -1)));
    else el.append(h("em", {}, token.slice(1, -1)));
    last = match.index + token.length;
  }
  if (last < text.length) el.append(text.slice(last));
  return el;
}
