// The Tools panel: the MCP catalogue grouped by theme, a form per tool generated from its input schema, the
// MCP request and response of each call (and its plot), resources to read and prompts to fill in.

import { api, post } from "./api.js";
import { $, clear, errorBox, formatMs, h, jsonBlock, markdown } from "./dom.js";
import { buildForm } from "./schema_form.js";

export class ToolsPanel {
  constructor(root) {
    this.root = root;
    this.list = $(".catalogue", root);
    this.view = $(".tool-view", root);
    this.filter = $("#tool-filter", root);
    this.filter.addEventListener("input", () => this.renderList());
    this.loaded = false;
  }

  async show() {
    if (this.loaded) return;
    clear(this.list).append(h("p", { class: "muted" }, "Listing the MCP server's tools…"));
    try {
      this.catalogue = await api("/api/catalogue");
      this.loaded = true;
      this.renderList();
    } catch (error) {
      clear(this.list).append(errorBox(error.message), h("button", { class: "secondary", onclick: () => this.show() }, "Try again"));
    }
  }

  renderList() {
    const query = this.filter.value.trim().toLowerCase();
    const match = (text) => !query || text.toLowerCase().includes(query);
    clear(this.list);
    const themes = new Map();
    for (const tool of this.catalogue.tools) {
      if (!match(`${tool.name} ${tool.description} ${tool.theme}`)) continue;
      if (!themes.has(tool.theme)) themes.set(tool.theme, []);
      themes.get(tool.theme).push(tool);
    }
    for (const [theme, tools] of themes) {
      this.list.append(h("h3", { class: "theme" }, theme));
      for (const tool of tools) {
        this.list.append(h("button", { class: "item", dataset: { tool: tool.name }, onclick: () => this.openTool(tool), title: tool.description }, tool.name));
      }
    }
    const resources = [...this.catalogue.resources, ...this.catalogue.resource_templates].filter((r) => match(`${r.uri || r.uriTemplate} ${r.name}`));
    if (resources.length) {
      this.list.append(h("h3", { class: "theme" }, "resources"));
      for (const resource of resources) {
        const label = resource.uri || resource.uriTemplate;
        this.list.append(h("button", { class: "item", onclick: () => this.openResource(resource), title: resource.description || "" }, label));
      }
    }
    const prompts = this.catalogue.prompts.filter((p) => match(`${p.name} ${p.description || ""}`));
    if (prompts.length) {
      this.list.append(h("h3", { class: "theme" }, "prompts"));
      for (const prompt of prompts) this.list.append(h("button", { class: "item", onclick: () => this.openPrompt(prompt) }, prompt.name));
    }
  }

  select(name) {
    for (const button of this.list.querySelectorAll(".item")) button.classList.toggle("current", button.textContent === name);
  }

  openTool(tool) {
    this.select(tool.name);
    const form = buildForm(tool.input_schema);
    const result = h("div", { class: "call-result" });
    const run = h("button", { class: "primary", type: "submit" }, "Run");
    const element = h(
      "form",
      {
        class: "tool-form",
        novalidate: true,
        onsubmit: async (event) => {
          event.preventDefault();
          const { value, errors } = form.read();
          if (errors.length) return; // the form shows what to fix; nothing is sent
          run.disabled = true;
          clear(result).append(h("p", { class: "muted" }, `calling ${tool.name}…`));
          try {
            this.renderCall(result, await post("/api/tools/call", { name: tool.name, arguments: value }));
          } catch (error) {
            clear(result).append(errorBox(error.message));
          } finally {
            run.disabled = false;
          }
        },
      },
      form.element,
      h("div", { class: "actions" }, run, tool.long_running ? h("span", { class: "muted" }, " long-running: may take a few seconds") : ""),
    );
    clear(this.view).append(
      h("h2", {}, tool.title || tool.name),
      h("p", { class: "muted" }, `${tool.theme} · MCP tool `, h("code", {}, tool.name)),
      h("div", { class: "description" }, markdown(tool.description)),
      element,
      result,
    );
  }

  renderCall(target, call) {
    clear(target);
    const response = call.response.result || {};
    const status = call.is_error ? "error" : "ok";
    target.append(h("p", {}, h("span", { class: `status ${status}` }, status), ` in ${formatMs(call.duration_ms)}`));
    if (call.is_error) {
      const text = (response.content || []).filter((c) => c.type === "text").map((c) => c.text).join("\n") || call.response.error?.message;
      target.append(errorBox(text || "the tool failed"));
    }
    for (const block of response.content || []) {
      if (block.type === "image") target.append(h("img", { class: "plot", src: `data:${block.mimeType};base64,${block.data}`, alt: "plot" }));
    }
    if (response.structuredContent) target.append(jsonBlock(response.structuredContent, "structured result", { open: true }));
    target.append(jsonBlock(call.request, "MCP request (tools/call)"), jsonBlock(call.response, "MCP response"));
  }

  openResource(resource) {
    const label = resource.uri || resource.uriTemplate;
    this.select(label);
    const result = h("div", { class: "call-result" });
    const variables = [...(resource.uriTemplate || "").matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const inputs = variables.map((name) => h("input", { type: "text", name, placeholder: name, "aria-label": name }));
    const read = async (event) => {
      event.preventDefault();
      let uri = resource.uri;
      if (!uri) {
        const missing = inputs.find((input) => !input.value.trim());
        if (missing) {
          clear(result).append(errorBox(`${missing.name}: fill it in to read the resource`));
          return;
        }
        uri = variables.reduce((text, name, i) => text.replace(`{${name}}`, encodeURIComponent(inputs[i].value.trim())), resource.uriTemplate);
      }
      clear(result).append(h("p", { class: "muted" }, `reading ${uri}…`));
      try {
        const data = await post("/api/resources/read", { uri });
        clear(result);
        for (const content of data.response.result.contents || []) {
          if (content.text !== undefined) result.append(h("div", { class: "resource-text" }, content.mimeType === "text/markdown" ? markdown(content.text) : h("pre", {}, content.text)));
        }
        result.append(jsonBlock(data.request, "MCP request (resources/read)"), jsonBlock(data.response, "MCP response"));
      } catch (error) {
        clear(result).append(errorBox(error.message));
      }
    };
    clear(this.view).append(
      h("h2", {}, resource.name || label),
      h("p", { class: "muted" }, "MCP resource ", h("code", {}, label)),
      resource.description ? h("p", {}, resource.description) : "",
      h("form", { class: "tool-form", onsubmit: read }, inputs.map((input) => h("div", { class: "field" }, h("label", { class: "field-label" }, input.name), input)), h("div", { class: "actions" }, h("button", { class: "primary", type: "submit" }, "Read"))),
      result,
    );
  }

  openPrompt(prompt) {
    this.select(prompt.name);
    const result = h("div", { class: "call-result" });
    const args = prompt.arguments || [];
    const inputs = args.map((arg) => h("input", { type: "text", name: arg.name, placeholder: arg.description || arg.name }));
    const get = async (event) => {
      event.preventDefault();
      const missing = args.find((arg, i) => arg.required && !inputs[i].value.trim());
      if (missing) {
        clear(result).append(errorBox(`${missing.name}: this argument is required`));
        return;
      }
      const values = Object.fromEntries(args.map((arg, i) => [arg.name, inputs[i].value.trim()]).filter(([, v]) => v));
      try {
        const data = await post("/api/prompts/get", { name: prompt.name, arguments: values });
        clear(result);
        for (const message of data.response.result.messages || []) {
          result.append(h("div", { class: `bubble ${message.role === "user" ? "user" : "assistant"}` }, h("div", { class: "bubble-who" }, message.role), h("div", { class: "bubble-body" }, markdown(message.content?.text || JSON.stringify(message.content)))));
        }
        result.append(jsonBlock(data.request, "MCP request (prompts/get)"), jsonBlock(data.response, "MCP response"));
      } catch (error) {
        clear(result).append(errorBox(error.message));
      }
    };
    clear(this.view).append(
      h("h2", {}, prompt.title || prompt.name),
      h("p", { class: "muted" }, "MCP prompt ", h("code", {}, prompt.name)),
      prompt.description ? h("p", {}, prompt.description) : "",
      h("form", { class: "tool-form", onsubmit: get }, args.map((arg, i) => h("div", { class: "field" }, h("label", { class: "field-label" }, arg.name, arg.required ? h("span", { class: "req" }, " *") : ""), inputs[i], arg.description ? h("div", { class: "field-help" }, arg.description) : "")), h("div", { class: "actions" }, h("button", { class: "primary", type: "submit" }, "Get prompt"))),
      result,
    );
  }
}
