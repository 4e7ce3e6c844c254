// Talking to the playground's server: JSON requests, and the live event stream.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// A JSON request; a non-2xx answer throws ApiError with the server's sentence (never leaves a caller hanging).
export async function api(path, { method = "GET", body } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (error) {
    throw new ApiError(`the playground server does not answer (${error.message}); is protoplay ui still running?`, 0);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: text.trim() };
  }
  if (!response.ok) {
    const message = (data && data.error) || `HTTP ${response.status}`;
    throw new ApiError(message, response.status);
  }
  return data;
}

export const post = (path, body) => api(path, { method: "POST", body });

// The event stream: one EventSource, dispatched by event type to listeners; reconnects by itself.
export class EventBus {
  constructor(statusElement) {
    this.listeners = new Map();
    this.statusElement = statusElement;
    this.connect();
  }

  on(type, listener) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(listener);
  }

  connect() {
    this.source = new EventSource("/api/events");
    this.source.onmessage = (message) => this.dispatch(JSON.parse(message.data));
    this.source.onerror = () => this.setStatus("reconnecting…", "warn");
  }

  dispatch(event) {
    if (event.type === "ready") {
      this.setStatus("live", "ok");
    } else if (event.type === "overflow") {
      this.source.close();
      this.setStatus("catching up…", "warn");
      setTimeout(() => this.connect(), 100);
    }
    for (const listener of this.listeners.get(event.type) || []) {
      try {
        listener(event);
      } catch (error) {
        console.error("event listener failed", error);
      }
    }
  }

  setStatus(text, level) {
    if (!this.statusElement) return;
    this.statusElement.textContent = text;
    this.statusElement.dataset.level = level;
  }
}
