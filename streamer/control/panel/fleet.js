// The fleet overview: one tile per room the token can see, for an operator who runs many rooms at once. Each tile
// shows a thumbnail (the room's latest preview JPEG, fetched again every THUMB_EVERY_MS while the grid is on screen:
// plain HTTP, never one WebRTC connection per tile), the room's state and the figures of its last `health` event,
// replies per minute counted from its `decision` events, and its raised alerts. Sort and filter stay in the page.
// Room names, output names and error texts reach the page through textContent only.
import { auth } from "./api.js";
import { currentLang, t } from "./i18n.js";

const THUMB_EVERY_MS = 1500;
const RENDER_EVERY_MS = 250;
const REPLY_WINDOW_MS = 60_000;
const PAGE = 100;
// most urgent first when sorted by state
const STATE_ORDER = ["failed", "restarting", "starting", "stopping", "live", "stopped"];
const STATES = ["live", "starting", "restarting", "stopping", "stopped", "failed"];

function node(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text != null) n.textContent = String(text);
  return n;
}

// The URL of a Link header's rel="next", or null.
function nextLink(header) {
  const m = /<([^>]+)>\s*;\s*rel="next"/.exec(header || "");
  return m ? m[1] : null;
}

// "piper" while the first engine speaks; "espeak (fallback)" when another one does or the first one's breaker is open.
function ttsText(tts) {
  if (!tts || !tts.engine) return "-";
  const breakers = Object.entries(tts.breakers || {});
  const onFallback = breakers.length > 0 && (tts.engine !== breakers[0][0] || breakers[0][1] === "open");
  return onFallback ? `${tts.engine} (${t("fleet_fallback")})` : tts.engine;
}

function llmText(llm) {
  if (!llm || llm.backend === "none") return t("fleet_none");
  const breaker = llm.breaker && llm.breaker !== "closed" ? ` · ${llm.breaker}` : "";
  return `${llm.fallbacks ?? 0} ${t("llm_fallbacks")}${breaker}`;
}

class Tile {
  constructor(room, onOpen) {
    this.id = room.id;
    this.root = node("article", "fleet-tile");
    this.root.dataset.id = room.id;
    this.root.tabIndex = 0;
    this.root.setAttribute("role", "button");
    this.root.addEventListener("click", () => onOpen(this.id));
    this.root.addEventListener("keydown", (e) => { if (e.key === "Enter") onOpen(this.id); });
    this.thumb = node("div", "fleet-thumb");
    this.img = node("img");
    this.img.alt = "";
    this.img.hidden = true;
    this.placeholder = node("span", "fleet-placeholder");
    this.thumb.append(this.img, this.placeholder);
    const head = node("div", "fleet-head");
    this.name = node("strong", "fleet-name");
    this.state = node("span", "badge");
    head.append(this.name, this.state);
    this.stats = node("dl", "fleet-stats");
    this.outputs = node("ul", "fleet-outputs");
    this.alerts = node("div", "fleet-alerts");
    this.root.append(this.thumb, head, this.alerts, this.stats, this.outputs);
    this.inFlight = false;
    this.url = null;
  }

  render(room, alerts) {
    const h = room.health || {};
    this.root.dataset.state = room.state;
    this.root.classList.toggle("alerting", alerts.length > 0);
    this.name.textContent = room.name;
    this.name.title = room.name;
    this.state.textContent = t(room.state);
    this.state.className = `badge state-${room.state}`;
    this.placeholder.textContent = room.state === "live" ? t("connecting") : t("no_preview");
    const rows = [
      ["fps", t("fleet_fps"), room.state === "live" && h.fps_now != null ? Number(h.fps_now).toFixed(1) : "-"],
      ["late_frames", t("late_frames"), h.late_frames ?? "-"],
      ["comments_pending", t("comments_pending"), h.comments_pending ?? "-"],
      ["replies_per_min", t("fleet_replies"), room.replies.length],
      ["tts", t("fleet_tts"), ttsText(h.tts)],
      ["llm", t("fleet_llm"), llmText(h.llm)],
    ];
    this.stats.replaceChildren(...rows.flatMap(([key, label, value]) => {
      const dd = node("dd", null, value);
      dd.dataset.key = key;
      dd.title = String(value);
      return [node("dt", null, label), dd];
    }));
    this.outputs.replaceChildren(...Object.entries(h.outputs || {}).map(([name, o]) => {
      const li = node("li", `out-${o.state}`);
      li.dataset.state = o.state;
      li.append(node("span", "fleet-out-name", name), node("span", "fleet-out-state", t(`fleet_out_${o.state}`)));
      if (o.last_error) li.title = o.last_error;
      return li;
    }));
    this.alerts.replaceChildren(...alerts.map((a) => {
      const b = node("span", `badge alert-${a.kind}`, t(`alert_${a.kind}`));
      b.title = a.message || "";
      return b;
    }));
  }

  // Fetch the latest preview JPEG with the token in a header (an <img src> cannot send one) and show it.
  async refresh(live) {
    if (!live) { this.clear(); return; }
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      const res = await fetch(`/api/streams/${encodeURIComponent(this.id)}/preview.jpg`,
        { headers: { Authorization: `Bearer ${auth.token}` }, cache: "no-store" });
      if (!res.ok) return;
      const url = URL.createObjectURL(await res.blob());
      const old = this.url;
      this.url = url;
      this.img.src = url;
      this.img.hidden = false;
      this.placeholder.hidden = true;
      if (old) URL.revokeObjectURL(old);
    } catch {
      // the service is restarting or the network blinked: the next tick tries again
    } finally {
      this.inFlight = false;
    }
  }

  clear() {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.img.removeAttribute("src");
    this.img.hidden = true;
    this.placeholder.hidden = false;
  }
}

export class Fleet {
  // root: the fleet's container; main: the room view it replaces; alerts(): the raised alerts (id -> alert);
  // open(id): show that room.
  constructor(root, main, { alerts, open }) {
    this.root = root;
    this.main = main;
    this.alerts = alerts;
    this.open = open;
    this.rooms = new Map();
    this.tiles = new Map();
    this.timer = null;
    this.loading = null;
    this.pending = null;
    this.build();
  }

  build() {
    this.filter = node("input", "fleet-filter");
    this.filter.type = "search";
    this.filter.maxLength = 200;
    this.filter.addEventListener("input", () => this.render());
    this.stateFilter = node("select", "fleet-state-filter");
    this.sort = node("select", "fleet-sort");
    for (const sel of [this.stateFilter, this.sort]) sel.addEventListener("change", () => this.render());
    this.count = node("span", "muted small fleet-count");
    this.bar = node("div", "row wrap fleet-bar");
    this.heading = node("h2");
    this.sortLabel = node("span", "muted small");
    this.bar.append(this.heading, this.filter, this.stateFilter, this.sortLabel, this.sort, this.count);
    this.grid = node("div", "fleet-grid");
    this.empty = node("p", "muted");
    this.root.replaceChildren(this.bar, this.grid, this.empty);
    this.labels();
  }

  labels() {
    this.lang = currentLang();
    this.heading.textContent = t("fleet_title");
    this.filter.placeholder = t("fleet_filter_ph");
    this.filter.setAttribute("aria-label", t("fleet_filter_ph"));
    this.sortLabel.textContent = t("fleet_sort");
    const options = (sel, items) => {
      const value = sel.value;
      sel.replaceChildren(...items.map(([v, label]) => { const o = node("option", null, label); o.value = v; return o; }));
      sel.value = value || items[0][0];
    };
    options(this.stateFilter, [["", t("fleet_all_states")], ...STATES.map((s) => [s, t(s)])]);
    options(this.sort, [["name", t("fleet_by_name")], ["state", t("fleet_by_state")],
      ["late", t("fleet_by_late")], ["alerts", t("fleet_by_alerts")]]);
    this.stateFilter.setAttribute("aria-label", t("fleet_all_states"));
    this.sort.setAttribute("aria-label", t("fleet_sort"));
    this.empty.textContent = t("fleet_no_rooms");
  }

  get visible() { return !this.root.hidden; }

  show() {
    this.main.hidden = true;
    this.root.hidden = false;
    this.load();
    this.tick();
    if (!this.timer) this.timer = setInterval(() => this.tick(), THUMB_EVERY_MS);
  }

  hide() {
    this.root.hidden = true;
    this.main.hidden = false;
    clearInterval(this.timer);
    this.timer = null;
    for (const tile of this.tiles.values()) tile.clear();
  }

  // Every room the token sees, page by page (the Link header's rel="next").
  load() {
    if (this.loading) return this.loading;
    this.loading = (async () => {
      const seen = new Map();
      let url = `/api/streams?limit=${PAGE}`;
      while (url) {
        const res = await fetch(url, { headers: { Authorization: `Bearer ${auth.token}` } });
        if (!res.ok) throw new Error(`GET /api/streams: ${res.status}`);
        for (const s of await res.json()) seen.set(s.id, s);
        url = nextLink(res.headers.get("Link"));
      }
      for (const id of [...this.rooms.keys()]) if (!seen.has(id)) this.rooms.delete(id);
      for (const [id, s] of seen) {
        const room = this.rooms.get(id) || { health: null, replies: [] };
        this.rooms.set(id, { ...room, id, name: s.name, state: s.state });
      }
      this.render();
    })().finally(() => { this.loading = null; });
    return this.loading;
  }

  // Every /ws message app.js receives; the fleet keeps what its tiles show.
  onMessage(msg) {
    if (msg.type === "hello") { this.load(); return; }
    const room = this.rooms.get(msg.stream);
    if (msg.type === "state") {
      if (!room) { this.load(); return; }
      room.state = msg.state;
      if (msg.state !== "live") room.health = null;  // a stopped room shows no stale figures
    } else if (msg.type === "health" && room) {
      room.health = msg;
    } else if (msg.type === "decision" && room && msg.action === "reply") {
      room.replies.push(Date.now());
    } else {
      return;
    }
    if (this.visible) this.soon();
  }

  // Health comes once a second from every room: draw the grid at most every RENDER_EVERY_MS, not per event.
  soon() {
    if (this.pending) return;
    this.pending = setTimeout(() => { this.pending = null; this.render(); }, RENDER_EVERY_MS);
  }

  tick() {
    const now = Date.now();
    for (const room of this.rooms.values()) {
      while (room.replies.length && now - room.replies[0] > REPLY_WINDOW_MS) room.replies.shift();
    }
    for (const [id, tile] of this.tiles) if (!tile.root.hidden) tile.refresh(this.rooms.get(id)?.state === "live");
  }

  render() {
    if (this.lang !== currentLang()) this.labels();  // rebuilt only when the language changed: an open list stays open
    const byRoom = new Map();
    for (const a of this.alerts().values()) byRoom.set(a.stream, [...(byRoom.get(a.stream) || []), a]);
    for (const id of [...this.tiles.keys()]) {
      if (!this.rooms.has(id)) { this.tiles.get(id).root.remove(); this.tiles.delete(id); }
    }
    const q = this.filter.value.trim().toLowerCase();
    const wanted = this.stateFilter.value;
    const late = (r) => r.health?.late_frames ?? -1;
    const rank = (r) => { const i = STATE_ORDER.indexOf(r.state); return i < 0 ? STATE_ORDER.length : i; };
    const byName = (a, b) => a.name.localeCompare(b.name);
    const order = {
      name: byName,
      state: (a, b) => rank(a) - rank(b) || byName(a, b),
      late: (a, b) => late(b) - late(a) || byName(a, b),
      alerts: (a, b) => (byRoom.get(b.id)?.length || 0) - (byRoom.get(a.id)?.length || 0) || byName(a, b),
    }[this.sort.value] || byName;
    let shown = 0;
    for (const room of [...this.rooms.values()].sort(order)) {
      let tile = this.tiles.get(room.id);
      if (!tile) { tile = new Tile(room, (id) => { this.hide(); this.open(id); }); this.tiles.set(room.id, tile); }
      tile.render(room, byRoom.get(room.id) || []);
      const match = (!q || room.name.toLowerCase().includes(q) || room.id.toLowerCase().includes(q))
        && (!wanted || room.state === wanted);
      tile.root.hidden = !match;
      if (match) shown += 1;
      this.grid.append(tile.root);  // appending in order moves an existing tile, its thumbnail kept
    }
    this.count.textContent = `${shown} / ${this.rooms.size}`;
    this.empty.hidden = shown > 0;
  }
}
