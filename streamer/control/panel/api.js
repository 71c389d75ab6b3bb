// REST and /ws client for the panel. The token lives in sessionStorage (gone when the tab closes).
const KEY = "streamer.token";

export const auth = {
  get token() { return sessionStorage.getItem(KEY) || ""; },
  set token(v) { if (v) sessionStorage.setItem(KEY, v); else sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail
      : Array.isArray(detail) ? detail.map((d) => `${d.field || (d.loc || []).join(".")}: ${d.msg}`).join("; ")
      : JSON.stringify(detail));
    this.status = status;
  }
}

export async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${auth.token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({ detail: res.statusText }));
  if (!res.ok) throw new ApiError(res.status, data.detail);
  return data;
}

// One /ws connection with reconnects (1, 2, 4 … 15 s). onMessage gets every server message.
export class Live {
  constructor(onMessage, onState) {
    this.onMessage = onMessage;
    this.onState = onState;
    this.delay = 1000;
    this.closed = false;
    this.nextId = 1;
    this.pending = new Map();
  }

  connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/ws?token=${encodeURIComponent(auth.token)}`);
    this.ws = ws;
    ws.onopen = () => { this.delay = 1000; this.onState(true); };
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if ((msg.type === "result" || msg.type === "error") && this.pending.has(msg.id)) {
        const { resolve, reject } = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.type === "result") resolve(msg); else reject(new Error(msg.message));
      }
      this.onMessage(msg);
    };
    ws.onclose = () => {
      this.onState(false);
      if (!this.closed) setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 15000);
    };
  }

  send(message) {
    const id = `p${this.nextId++}`;
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) { reject(new Error("not connected")); return; }
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ ...message, id }));
    });
  }

  close() { this.closed = true; if (this.ws) this.ws.close(); }
}
