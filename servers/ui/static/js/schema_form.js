// A form generated from a JSON schema (an MCP tool's inputSchema): enums as choices, arrays, nested objects,
// unions, defaults, and the schema's bounds checked before anything is sent.
//
// buildForm(schema) returns { element, read() }; read() gives { value, errors: [{ path, message }] } and marks
// each bad field with a message that names it.

import { h } from "./dom.js";

export function buildForm(schema) {
  const root = schema || {};
  const editor = objectEditor(root, root, "", { required: true });
  const summary = h("div", { class: "form-errors", role: "alert", hidden: true });
  return {
    element: h("div", { class: "schema-form" }, summary, editor.element),
    read() {
      const errors = [];
      const value = editor.read(errors);
      summary.hidden = errors.length === 0;
      summary.textContent = errors.length
        ? `Fix ${errors.length === 1 ? "this field" : `these ${errors.length} fields`} before running: ` +
          errors.map((e) => `${e.path} ${e.message}`).join("; ")
        : "";
      return { value: value ?? {}, errors };
    },
  };
}

function resolve(schema, root) {
  let current = schema || {};
  for (let depth = 0; current.$ref && depth < 20; depth += 1) {
    const name = current.$ref.split("/").pop();
    current = { ...(root.$defs?.[name] || {}), ...Object.fromEntries(Object.entries(current).filter(([k]) => k !== "$ref")) };
  }
  return current;
}

function variantsOf(schema) {
  return schema.anyOf || schema.oneOf || null;
}

function editorFor(schema, root, path, options) {
  const resolved = resolve(schema, root);
  const variants = variantsOf(resolved);
  if (variants) {
    const real = variants.map((v) => resolve(v, root)).filter((v) => v.type !== "null");
    const nullable = real.length < variants.length;
    const base = { ...resolved, anyOf: undefined, oneOf: undefined };
    if (real.length === 1) return editorFor({ ...base, ...real[0] }, root, path, { ...options, nullable });
    if (real.every((v) => isScalar(v) || (v.type === "array" && isScalar(resolve(v.items || {}, root))))) {
      return textEditor(base, real, root, path, { ...options, nullable });
    }
    return unionEditor(base, real, root, path, { ...options, nullable });
  }
  if (resolved.enum) return enumEditor(resolved, path, options);
  if (resolved.const !== undefined) return constEditor(resolved);
  switch (resolved.type) {
    case "boolean":
      return booleanEditor(resolved, path);
    case "integer":
    case "number":
    case "string":
      return textEditor(resolved, [resolved], root, path, options);
    case "array":
      return isScalar(resolve(resolved.items || {}, root))
        ? textEditor(resolved, [resolved], root, path, options)
        : arrayEditor(resolved, root, path, options);
    case "object":
      return objectEditor(resolved, root, path, options);
    default:
      return jsonEditor(resolved, path, options);
  }
}

// ------------------------------------------------------------------------------------------- fields

function field(path, schema, control, { required } = {}) {
  const name = path.split(".").pop() || "arguments";
  const error = h("div", { class: "field-error", role: "alert", hidden: true });
  const label = h("label", { class: "field-label" }, name, required ? h("span", { class: "req", title: "required" }, " *") : "");
  const help = schema.description ? h("div", { class: "field-help" }, schema.description) : null;
  const element = h("div", { class: "field", dataset: { path } }, label, control, help, error);
  return {
    element,
    label,
    setError(message) {
      error.hidden = !message;
      error.textContent = message ? `${path}: ${message}` : "";
      element.classList.toggle("invalid", Boolean(message));
    },
  };
}

function report(errors, frame, path, message) {
  frame.setError(message);
  if (message) errors.push({ path, message });
}

function bounds(schema, number) {
  if (schema.minimum !== undefined && number < schema.minimum) return `must be at least ${schema.minimum}`;
  if (schema.maximum !== undefined && number > schema.maximum) return `must be at most ${schema.maximum}`;
  if (schema.exclusiveMinimum !== undefined && number <= schema.exclusiveMinimum) return `must be greater than ${schema.exclusiveMinimum}`;
  if (schema.exclusiveMaximum !== undefined && number >= schema.exclusiveMaximum) return `must be less than ${schema.exclusiveMaximum}`;
  return null;
}

// One scalar from text, checked against its schema: [value, problem].
function parseScalar(schema, text) {
  const type = schema.type;
  if (type === "integer" || type === "number") {
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return [null, `${JSON.stringify(text)} is not a number`];
    const number = Number(text);
    if (type === "integer" && !Number.isInteger(number)) return [null, `${text} is not a whole number`];
    return [number, bounds(schema, number)];
  }
  if (type === "null") return text === "null" ? [null, null] : [null, "must be null"];
  if (schema.enum && !schema.enum.includes(text)) return [null, `must be one of ${schema.enum.join(", ")}`];
  if (schema.minLength !== undefined && text.length < schema.minLength) return [null, `needs at least ${schema.minLength} characters`];
  if (schema.maxLength !== undefined && text.length > schema.maxLength) return [null, `allows at most ${schema.maxLength} characters`];
  if (schema.pattern && !new RegExp(schema.pattern, "u").test(text)) return [null, `must match ${schema.pattern}`];
  return [text, null];
}

function isScalar(schema) {
  const variants = variantsOf(schema);
  if (variants) return variants.every((v) => ["number", "integer", "string", "null"].includes(v.type));
  return ["number", "integer", "string"].includes(schema.type) || Boolean(schema.enum);
}

function enumEditor(schema, path, { required } = {}) {
  const select = h("select", { name: path });
  if (!required || schema.default === undefined) select.append(h("option", { value: "" }, required ? "choose…" : "(default)"));
  for (const choice of schema.enum) select.append(h("option", { value: String(choice) }, String(choice)));
  if (schema.default !== undefined && schema.default !== null) select.value = String(schema.default);
  const frame = field(path, schema, select, { required });
  return {
    element: frame.element,
    read(errors) {
      if (!select.value) {
        report(errors, frame, path, required ? "is required: choose one" : null);
        return undefined;
      }
      report(errors, frame, path, null);
      return schema.enum.find((choice) => String(choice) === select.value);
    },
  };
}

function constEditor(schema) {
  return { element: h("span", { hidden: true }), read: () => schema.const };
}

function booleanEditor(schema, path) {
  const input = h("input", { type: "checkbox", name: path, checked: schema.default === true });
  const frame = field(path, schema, input);
  frame.element.classList.add("checkbox");
  return { element: frame.element, read: () => input.checked };
}

// One line of text read as a value of one of `shapes`: a number, a string, or a list of them typed
// "0.5, 0.5" (or as a JSON array). With several shapes (an int or a pair; "same"), the first that fits wins.
function textEditor(schema, shapes, root, path, { required, nullable } = {}) {
  const input = h("input", { type: "text", name: path, autocomplete: "off", placeholder: placeholderOf(schema, shapes, root) });
  const fallback = schema.default;
  if (fallback !== undefined && fallback !== null) input.value = Array.isArray(fallback) ? fallback.join(", ") : String(fallback);
  const frame = field(path, schema, input, { required });
  return {
    element: frame.element,
    read(errors) {
      const text = input.value.trim();
      if (!text) {
        report(errors, frame, path, required && !nullable ? "is required" : null);
        return undefined;
      }
      const listy = text.startsWith("[") || /[,\s]/.test(text);
      const fitting = shapes.length === 1 ? shapes : shapes.filter((shape) => (shape.type === "array") === listy);
      let first = null;
      for (const shape of fitting) {
        const [value, problem] = shape.type === "array" ? parseList(shape, root, text) : parseScalar(shape, text);
        if (!problem) {
          report(errors, frame, path, null);
          return value;
        }
        first = first || problem;
      }
      report(errors, frame, path, first || `must be ${shapes.map((shape) => describe(shape, root)).join(", or ")}`);
      return undefined;
    },
  };
}

function describe(shape, root) {
  if (shape.type === "array") {
    const n = shape.minItems === shape.maxItems && shape.minItems ? `${shape.minItems} ` : "";
    return `a list of ${n}${resolve(shape.items || {}, root).type || "value"}s`;
  }
  if (shape.enum) return shape.enum.join(" / ");
  return shape.type === "integer" ? "a whole number" : `a ${shape.type}`;
}

function placeholderOf(schema, shapes, root) {
  if (shapes.length > 1) return shapes.map((shape) => describe(shape, root)).join(", or ");
  if (schema.default !== undefined && schema.default !== null) return `default ${JSON.stringify(schema.default)}`;
  if (schema.type === "array") return "comma-separated, e.g. 0.5, 0.5";
  return schema.type === "integer" || schema.type === "number" ? "a number" : "";
}

// A list typed as text: [values, problem]; each item may be any of the item schema's variants.
function parseList(schema, root, text) {
  const items = resolve(schema.items || {}, root);
  const variants = variantsOf(items) ? variantsOf(items).map((v) => resolve(v, root)) : [items];
  const parts = text.startsWith("[") ? safeJsonList(text) : text.split(/[,\s]+/).filter(Boolean);
  if (!parts) return [undefined, "is not a list: separate the values with commas"];
  const values = [];
  for (const [index, part] of parts.entries()) {
    let value;
    let problem = null;
    for (const variant of variants) {
      [value, problem] = parseScalar(variant, String(part));
      if (!problem) break;
    }
    if (problem) return [undefined, `item ${index + 1}: ${problem}`];
    values.push(value);
  }
  return [values, sizeProblem(schema, values.length)];
}

function safeJsonList(text) {
  try {
    const value = JSON.parse(text);
    return Array.isArray(value) ? value.map((v) => (v === null ? "null" : String(v))) : null;
  } catch {
    return null;
  }
}

function sizeProblem(schema, count) {
  if (schema.minItems !== undefined && count < schema.minItems) return `needs at least ${schema.minItems} item${schema.minItems === 1 ? "" : "s"}`;
  if (schema.maxItems !== undefined && count > schema.maxItems) return `allows at most ${schema.maxItems} items`;
  return null;
}

// An array of objects: one sub-form per item, added and removed with buttons.
function arrayEditor(schema, root, path, { required } = {}) {
  const list = h("div", { class: "array-items" });
  const editors = [];
  const frame = field(path, schema, list, { required });
  const add = () => {
    const itemPath = `${path}[${editors.length}]`;
    const editor = editorFor(schema.items || {}, root, itemPath, { required: true });
    const remove = h("button", { type: "button", class: "link", onclick: () => {
      const at = editors.indexOf(editor);
      editors.splice(at, 1);
      wrapper.remove();
    } }, "remove");
    const wrapper = h("div", { class: "array-item" }, editor.element, remove);
    editors.push(editor);
    list.append(wrapper);
  };
  frame.element.append(h("button", { type: "button", class: "secondary", onclick: add }, `+ add ${path.split(".").pop()} item`));
  if (required && (schema.minItems || 0) > 0) add();
  return {
    element: frame.element,
    read(errors) {
      const values = editors.map((editor) => editor.read(errors));
      report(errors, frame, path, sizeProblem(schema, values.length));
      return values.length || required ? values : undefined;
    },
  };
}

function objectEditor(schema, root, path, { required } = {}) {
  const props = schema.properties || {};
  const needed = new Set(schema.required || []);
  const editors = Object.entries(props).map(([name, sub]) => [
    name,
    editorFor(sub, root, path ? `${path}.${name}` : name, { required: needed.has(name) }),
  ]);
  const body = h("div", { class: "object-fields" }, editors.map(([, editor]) => editor.element));
  const element = path ? h("fieldset", { class: "object" }, h("legend", {}, path.split(".").pop()), body) : body;
  return {
    element,
    read(errors) {
      const value = {};
      for (const [name, editor] of editors) {
        const item = editor.read(errors);
        if (item !== undefined) value[name] = item;
      }
      return Object.keys(value).length || required ? value : undefined;
    },
  };
}

// Several shapes allowed (a layer of one of several types): pick one, fill it in.
function unionEditor(base, variants, root, path, { required, nullable } = {}) {
  const discriminator = base.discriminator?.propertyName;
  const label = (variant, index) => {
    if (discriminator && variant.properties?.[discriminator]?.const !== undefined) return String(variant.properties[discriminator].const);
    if (variant.title) return variant.title;
    if (variant.type === "array") return `list of ${variant.minItems === variant.maxItems && variant.minItems ? variant.minItems : ""} ${variant.items?.type || "items"}`.replace(/\s+/g, " ");
    if (variant.enum) return variant.enum.join(" / ");
    return variant.type || `option ${index + 1}`;
  };
  const select = h("select", { name: `${path}#variant`, "aria-label": `${path} kind` });
  if (!required || nullable) select.append(h("option", { value: "" }, "(default)"));
  variants.forEach((variant, index) => select.append(h("option", { value: String(index) }, label(variant, index))));
  const slot = h("div", { class: "variant" });
  const frame = field(path, base, h("div", {}, select, slot), { required });
  let active = null;
  const choose = () => {
    slot.textContent = "";
    active = select.value === "" ? null : editorFor({ ...variants[Number(select.value)], description: undefined }, root, path, { required: true });
    if (active) {
      const inner = active.element.querySelector(".field-label");
      if (inner && inner.closest(".field") === active.element) inner.remove();
      slot.append(active.element);
    }
  };
  select.addEventListener("change", choose);
  const fallback = base.default;
  const initial = fallback !== undefined && fallback !== null ? variants.findIndex((v) => matches(v, fallback)) : required && !nullable ? 0 : -1;
  select.value = initial >= 0 ? String(initial) : "";
  choose();
  if (active && fallback !== undefined && fallback !== null) {
    const input = active.element.querySelector("input[type=text]");
    if (input) input.value = Array.isArray(fallback) ? fallback.join(", ") : String(fallback);
  }
  return {
    element: frame.element,
    read(errors) {
      if (!active) {
        report(errors, frame, path, required && !nullable ? "is required: choose a kind" : null);
        return undefined;
      }
      frame.setError(null);
      return active.read(errors);
    },
  };
}

function matches(schema, value) {
  if (schema.enum) return schema.enum.includes(value);
  if (schema.type === "array") return Array.isArray(value);
  if (schema.type === "integer") return Number.isInteger(value);
  if (schema.type === "number") return typeof value === "number";
  if (schema.type === "string") return typeof value === "string";
  if (schema.type === "boolean") return typeof value === "boolean";
  return false;
}

function jsonEditor(schema, path, { required } = {}) {
  const area = h("textarea", { name: path, rows: "3", placeholder: "JSON" });
  const frame = field(path, schema, area, { required });
  return {
    element: frame.element,
    read(errors) {
      const text = area.value.trim();
      if (!text) {
        report(errors, frame, path, required ? "is required" : null);
        return undefined;
      }
      try {
        const value = JSON.parse(text);
        report(errors, frame, path, null);
        return value;
      } catch (error) {
        report(errors, frame, path, `is not valid JSON (${error.message})`);
        return undefined;
      }
    },
  };
}
