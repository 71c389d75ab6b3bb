// The operator panel: log in, pick a stream, watch (preview, captions, comments, health) and steer it.
// Everything a viewer or a brief wrote reaches the page through textContent only (see el()).
import { api, auth, Live } from "./api.js";
import { HealthChart } from "./chart.js";
import { Fleet } from "./fleet.js";
import { applyStrings, currentLang, setLang, t } from "./i18n.js";
import { Preview } from "./preview.js";

const $ = (sel) => document.querySelector(sel);
const FEED_MAX = 100;
const CAPTIONS_MAX = 30;

const state = { me: null, streams: new Map(), selected: null, live: null, alerts: new Map() };
const preview = new Preview($("#preview-video"), $("#preview-img"), $("#preview-mode"));
const chart = new HealthChart($("#health-chart"));
// fleet overview (fleet.js): every room in a grid; a tile opens its room here
const fleet = new Fleet($("#fleet"), $("#main"), { alerts: () => state.alerts, open: (id) => select(id) });
$("#fleet-toggle").addEventListener("click", () => (fleet.visible ? fleet.hide() : fleet.show()));

// Build an element; string children become text nodes, never HTML.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function showError(target, err) {
  target.textContent = err ? String(err.message || err) : "";
}

function fmtTime(iso) {
  return iso ? new Date(iso).toLocaleString(currentLang() === "zh" ? "zh-CN" : "en-GB") : "";
}

// "2026-12-02 19:00 Asia/Shanghai": a schedule's times in its own zone, named, whatever the browser's zone is
function fmtInZone(iso, tz) {
  if (!iso) return "";
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${tz}`;
}

// a word the server sends (a state, a source, an intent) in the panel's language; unknown words pass as they are
function serverWord(prefix, word) {
  if (word == null || word === "") return "";
  const text = t(`${prefix}${word}`);
  return text === `${prefix}${word}` ? word : text;
}

// --- login -----------------------------------------------------------------------------------------------
async function login(token) {
  auth.token = token;
  try {
    state.me = await api("GET", "/api/me");
  } catch (e) {
    auth.token = "";
    throw e;
  }
  $("#login").hidden = true;
  $("#main").hidden = false;
  $("#logout").hidden = false;
  $("#whoami").textContent = `${state.me.name} · ${t(`role_${state.me.role}`)}`;
  document.body.dataset.role = state.me.role;
  await loadStreams();
  await loadAlerts();
  state.live = new Live(onMessage, (up) => {
    const badge = $("#ws-state");
    badge.dataset.i18n = up ? "online" : "offline";
    badge.textContent = t(badge.dataset.i18n);
    badge.classList.toggle("ok", up);
  });
  state.live.connect();
}

$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    await login($("#token").value.trim());
  } catch {
    $("#login-error").textContent = t("bad_token");
  }
});

$("#logout").addEventListener("click", () => {
  auth.token = "";
  location.reload();
});

$("#lang").addEventListener("click", () => {
  setLang(currentLang() === "zh" ? "en" : "zh");
  $("#lang").textContent = currentLang() === "zh" ? "English" : "中文";
  renderStreams();
  renderAlerts();
  if (state.selected) renderState(state.selected);
  if (state.me) $("#whoami").textContent = `${state.me.name} · ${t(`role_${state.me.role}`)}`;
  chart.redraw();
  if (state.selected) { loadSchedules(state.selected); loadRuns(state.selected); }
});

// --- alerts: the service's rules (docs/websocket-api.md, Alerts); active ones in a strip above the rooms -------
async function loadAlerts() {
  const rows = await api("GET", "/api/alerts?state=raised&limit=500");
  state.alerts = new Map(rows.map((a) => [a.id, a]));
  renderAlerts();
}

function onAlert(msg) {
  if (msg.state === "raised") state.alerts.set(msg.id, msg);
  else state.alerts.delete(msg.id);
  renderAlerts();
}

function renderAlerts() {
  let strip = $("#alerts");
  if (!strip) {
    strip = el("section", { id: "alerts", class: "alerts", role: "status", "aria-live": "polite" });
    $("#main").before(strip);
  }
  const byRoom = new Map();
  for (const a of state.alerts.values()) byRoom.set(a.stream, [...(byRoom.get(a.stream) || []), a]);
  strip.hidden = byRoom.size === 0;
  strip.replaceChildren(el("strong", {}, t("alerts")), ...[...byRoom].map(([sid, list]) => el("button",
    { class: "alert-room", dataset: { stream: sid }, onclick: () => select(sid) },
    el("span", { class: "name" }, state.streams.get(sid)?.name || sid),
    ...list.map((a) => el("span", { class: `badge alert-${a.kind}`, title: a.message }, t(`alert_${a.kind}`))))));
  fleet.render();  // fleet: alerts on their tiles
}

// --- streams ---------------------------------------------------------------------------------------------
async function loadStreams() {
  const rows = await api("GET", "/api/streams");
  state.streams = new Map(rows.map((s) => [s.id, s]));
  renderStreams();
  if (!state.selected && rows.length) await select(rows[0].id);
}

function renderStreams() {
  const list = $("#stream-list");
  list.replaceChildren(...[...state.streams.values()].map((s) => el("li",
    { class: s.id === state.selected ? "selected" : "", dataset: { id: s.id }, onclick: () => select(s.id) },
    el("span", { class: "name" }, s.name),
    el("span", { class: `badge state-${s.state}` }, t(s.state)))));
}

// Opening the room already open (or opening) keeps its forms as the operator left them: the room picked at log-in
// and a click on it a moment later must not wipe what was typed in between. A room the operator has since left
// is not drawn when its answer comes late.
async function select(id) {
  if (id === state.selected) return;
  state.selected = id;
  renderStreams();
  let s;
  try {
    s = await api("GET", `/api/streams/${encodeURIComponent(id)}`);
  } catch (err) {
    if (state.selected === id) state.selected = null;  // a click tries again
    throw err;
  }
  if (state.selected !== id) return;
  state.streams.set(id, { ...state.streams.get(id), ...s });
  $("#detail").hidden = false;
  $("#stream-name").textContent = s.name;
  $("#product-select").replaceChildren(...s.products.map((p) => el("option", { value: p.id }, `${p.name} (${p.id})`)));
  $("#product-forms").replaceChildren(...(s.brief.products || []).map(productForm));
  $("#feed").replaceChildren();
  $("#captions").replaceChildren();
  $("#caption").textContent = "";
  $("#health-stats").replaceChildren();
  clearHistorySearch();
  chart.reset();
  renderState(id);
  await Promise.all([loadSchedules(id), loadRuns(id), loadHistory(id)]);
}

function renderState(id) {
  const s = state.streams.get(id);
  if (!s) return;
  const badge = $("#stream-state");
  badge.textContent = t(s.state);
  badge.className = `badge state-${s.state}`;
  $("#detail").dataset.state = s.state;
  if (s.state === "live" && preview.streamId !== id) preview.show(id);
  if (s.state !== "live" && s.state !== "starting" && preview.streamId === id) preview.stop();
  followState(s.state);
}

const RUNNING = ["starting", "live", "restarting"];

// Controls follow the stream: Start while it is down, Stop while it runs, commands only while it is live. A stream
// that is not running shows so: no caption as if spoken now, its last health figures marked as from before the stop.
function followState(streamState) {
  const running = RUNNING.includes(streamState);
  $("#btn-start").disabled = running || streamState === "stopping";
  $("#btn-stop").disabled = !running;
  const commands = ".controls button, .controls select, #say-form button, #comment-form button";
  for (const c of document.querySelectorAll(commands)) c.disabled = streamState !== "live";
  const note = $("#health-note");
  note.hidden = running;
  note.textContent = running ? "" : t(streamState === "stopping" ? "health_stopping" : "health_stopped");
  $("#health-stats").classList.toggle("stale", !running);
  if (!running) {
    $("#caption").textContent = "";
    for (const dd of $("#health-stats").querySelectorAll("dd")) dd.textContent = "-";
  }
  if (!running && preview.streamId === null) preview.setState("ended");
}

async function loadHistory(id) {
  const [comments, lines] = await Promise.all([
    api("GET", `/api/streams/${encodeURIComponent(id)}/comments?limit=30`),
    api("GET", `/api/streams/${encodeURIComponent(id)}/transcript?limit=10`),
  ]);
  for (const c of comments) {
    addComment({ ref: c.ref, user: c.user, text: c.text });
    if (c.action) addDecision({ ref: c.ref, action: c.action, intent: c.intent, text: c.reply });
  }
  for (const l of lines) addCaption(l.text, l.source);
}

// --- live events -----------------------------------------------------------------------------------------
function onMessage(msg) {
  fleet.onMessage(msg);  // fleet: state, health and decisions of every room
  if (msg.type === "hello") {
    for (const s of msg.streams) if (state.streams.has(s.id)) state.streams.get(s.id).state = s.state;
    renderStreams();
    if (state.selected) renderState(state.selected);
    return;
  }
  if (msg.type === "state") {
    const s = state.streams.get(msg.stream);
    if (!s) { loadStreams(); return; }
    s.state = msg.state;
    renderStreams();
    if (msg.stream === state.selected) {
      renderState(msg.stream);
      if (msg.state === "live" || msg.state === "stopped") loadRuns(msg.stream);
    }
    return;
  }
  if (msg.type === "alert" && msg.id) { onAlert(msg); return; }  // a rule's alert (database ones have no id)
  if (msg.stream !== state.selected) return;
  // a report or a line that crosses the stop on the wire is not shown as live
  if (["speech_start", "health"].includes(msg.type) && !RUNNING.includes(state.streams.get(msg.stream)?.state)) return;
  switch (msg.type) {
    case "speech_start":
      $("#caption").textContent = msg.text;
      addCaption(msg.text, msg.source);
      break;
    case "speech_end":
      if ($("#caption").textContent === msg.text) $("#caption").textContent = "";
      break;
    case "comment": addComment(msg); break;
    case "decision": addDecision(msg); break;
    case "product": $("#product-select").value = msg.product_id; break;
    case "product_update": showProductFacts(msg.product_id, msg.changes); break;
    case "health": showHealth(msg); break;
    default: break;
  }
}

function addCaption(text, source) {
  const list = $("#captions");
  const tag = el("span", { class: "tag" }, serverWord("src_", source));
  list.prepend(el("li", { class: `src-${source}` }, tag, " ", text));
  while (list.children.length > CAPTIONS_MAX) list.lastChild.remove();
}

function addComment(c) {
  const feed = $("#feed");
  if (feed.querySelector(`li[data-ref="${CSS.escape(c.ref)}"]`)) return;
  feed.prepend(el("li", { dataset: { ref: c.ref } },
    el("strong", { class: "user" }, c.user || "?"), " ",
    el("span", { class: "text" }, c.text),
    el("span", { class: "decision badge" }, t("pending")),
    el("div", { class: "reply" })));
  while (feed.children.length > FEED_MAX) feed.lastChild.remove();
}

function addDecision(d) {
  const item = $("#feed").querySelector(`li[data-ref="${CSS.escape(d.ref)}"]`);
  if (!item) return;
  const badge = item.querySelector(".decision");
  badge.textContent = d.intent ? `${t(d.action)} · ${serverWord("intent_", d.intent)}` : t(d.action);
  badge.dataset.action = d.action;
  item.dataset.action = d.action;
  if (d.text) item.querySelector(".reply").textContent = d.text;
}

// "openai:qwen · closed · 2 fallbacks", and the last model error when there was one (shown as text, never HTML)
function llmState(llm) {
  if (!llm || llm.backend === "none") return "-";
  const parts = [llm.backend, serverWord("breaker_", llm.breaker), `${llm.fallbacks} ${t("llm_fallbacks")}`];
  if (llm.last_error) parts.push(llm.last_error);
  return parts.join(" · ");
}

function sourcesState(sources) {
  // viewers never write here, but a platform's error text might echo theirs: el() sets text, never HTML
  return (sources || []).map((s) => `${s.name}: ${s.connected ? t("up") : t("down")} · ${s.messages_per_min}/min` +
    (s.last_error ? ` · ${s.last_error}` : "")).join(", ") || "-";
}

function showHealth(h) {
  chart.add(h);
  const outputs = Object.entries(h.outputs || {})
    .map(([name, o]) => `${name}: ${serverWord("output_", o.state)}`).join(", ") || "-";
  const rows = [
    ["fps_now", h.fps_now], ["late_frames", h.late_frames], ["lag", h.lag_s?.toFixed?.(3)],
    ["av_offset", h.av_offset_ms], ["comments_pending", h.comments_pending],
    ["responder_ms", h.responder_ms == null ? "-" : Math.round(h.responder_ms)], ["outputs_state", outputs],
    ["llm_state", llmState(h.llm)], ["sources_state", sourcesState(h.comment_sources)],
  ];
  $("#health-stats").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, t(k)), el("dd", { dataset: { key: k } }, v ?? "-")]));
}

// --- controls --------------------------------------------------------------------------------------------
async function command(body) {
  showError($("#command-error"), null);
  try {
    return await api("POST", `/api/streams/${encodeURIComponent(state.selected)}/commands`, body);
  } catch (e) {
    showError($("#command-error"), e);
    return null;
  }
}

async function lifecycle(action) {
  showError($("#command-error"), null);
  try {
    const s = await api("POST", `/api/streams/${encodeURIComponent(state.selected)}/${action}`);
    Object.assign(state.streams.get(s.id), s);
    renderStreams();
    renderState(s.id);
  } catch (e) {
    showError($("#command-error"), e);
  }
}

$("#btn-start").addEventListener("click", () => lifecycle("start"));
$("#btn-stop").addEventListener("click", () => lifecycle("stop"));
$("#btn-interrupt").addEventListener("click", () => command({ type: "interrupt" }));
$("#btn-pause").addEventListener("click", () => command({ type: "pause_script" }));
$("#btn-resume").addEventListener("click", () => command({ type: "resume_script" }));
$("#btn-switch").addEventListener("click", () => command({ type: "switch_product", product_id: $("#product-select").value }));

$("#say-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("#say-text").value.trim();
  const say = { type: "say", text, urgent: $("#say-urgent").checked };
  if ($("#say-force").checked) say.force = true;  // operators and admins only; recorded in the transcript
  if (text && await command(say)) {
    $("#say-text").value = "";
    $("#say-force").checked = false;
  }
});

$("#comment-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("#comment-text").value.trim();
  const user = $("#comment-user").value.trim() || "viewer";
  if (text && await command({ type: "comment", text, user })) $("#comment-text").value = "";
});

// --- product facts -----------------------------------------------------------------------------------------
// One form per product: price, list price, stock and promotions, sent as an update_product command (operators
// and admins). The server checks the result as a brief and names the field that is wrong; an empty list price or
// stock clears it.
function productForm(p) {
  const field = (name, value, step) => el("label", {}, el("span", { "data-i18n": name }, t(name)),
    el("input", { name, type: "number", step, value: value ?? "" }));
  const form = el("form", { class: "product-form", dataset: { id: p.id } },
    el("strong", {}, `${p.name} (${p.id})`),
    el("div", { class: "row" }, field("price", p.price, "any"), field("list_price", p.list_price, "any"),
      field("stock", p.stock, "1")),
    el("label", {}, el("span", { "data-i18n": "promotions" }, t("promotions")),
      el("textarea", { name: "promotions", rows: "2", spellcheck: "false" }, (p.promotions || []).join("\n"))),
    el("button", { type: "submit", "data-i18n": "update" }, t("update")),
    el("p", { class: "ok", role: "status" }),
    el("p", { class: "error", role: "alert" }));
  form.addEventListener("submit", (e) => { e.preventDefault(); updateProduct(form, p.id); });
  return form;
}

async function updateProduct(form, productId) {
  const ok = form.querySelector(".ok");
  const error = form.querySelector(".error");
  ok.textContent = "";
  showError(error, null);
  const num = (v) => (v.trim() === "" ? null : Number(v));
  const body = {
    type: "update_product", product_id: productId, list_price: num(form.list_price.value),
    stock: num(form.stock.value), promotions: form.promotions.value.split("\n").map((x) => x.trim()).filter(Boolean),
  };
  if (num(form.price.value) !== null) body.price = num(form.price.value);
  try {
    await api("POST", `/api/streams/${encodeURIComponent(state.selected)}/commands`, body);
    ok.textContent = t("updated");
  } catch (err) {
    showError(error, err);
  }
}

// Another operator (or an API client) changed a product: show the facts the stream now has.
function showProductFacts(productId, changes) {
  const form = $("#product-forms").querySelector(`form[data-id="${CSS.escape(productId)}"]`);
  if (!form) return;
  for (const [name, [, now]] of Object.entries(changes || {})) {
    if (name === "promotions") form.promotions.value = (now || []).join("\n");
    else if (form.elements[name]) form.elements[name].value = now ?? "";
  }
}

// The stream's reply model; fields left empty come from the server's STREAMER_LLM_* settings.
function llmSettings(f) {
  const llm = {};
  if (f.llm_backend.value) llm.backend = f.llm_backend.value;
  if (f.llm_base_url.value.trim()) llm.base_url = f.llm_base_url.value.trim();
  if (f.llm_model.value.trim()) llm.model = f.llm_model.value.trim();
  if (f.llm_api_key.value) llm.api_key = f.llm_api_key.value;
  if (f.llm_first_s.value) llm.first_sentence_timeout_s = Number(f.llm_first_s.value);
  return llm;
}

$("#new-stream-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  const error = f.querySelector(".error");
  showError(error, null);
  try {
    const s = await api("POST", "/api/streams", {
      name: f.name.value, brief_yaml: f.brief_yaml.value,
      settings: {
        size: f.size.value, fps: Number(f.fps.value), voice: f.voice.value.trim() || null,
        avatar: f.avatar.value || null,
        outputs: f.outputs.value.split("\n").map((x) => x.trim()).filter(Boolean),
        comments: f.comments.value.split("\n").map((x) => x.trim()).filter(Boolean),
        llm: llmSettings(f),
      },
    });
    f.reset();
    await loadStreams();
    await select(s.id);
  } catch (err) {
    showError(error, err);
  }
});

// --- schedules and runs ----------------------------------------------------------------------------------
async function loadSchedules(id) {
  const rows = await api("GET", `/api/streams/${encodeURIComponent(id)}/schedules`);
  $("#schedule-rows").replaceChildren(...rows.map(scheduleRow));
}

// A window's times are wall-clock times in its own zone: shown in that zone and named, never the browser's.
function scheduleRow(s) {
  const canManage = state.me.role !== "developer";
  const row = el("tr", { dataset: { id: s.id } },
    el("td", {}, t(s.kind) + (s.kind === "weekly" ? ` (${s.days.join(",")})` : "")),
    el("td", { class: "window" }, `${s.start} – ${s.end}`),
    el("td", {}, s.tz),
    el("td", {}, s.products.join(", ") || "-"),
    el("td", { class: "next" }, s.open_now ? `${t("open_now")} · ${t("closes")} ${fmtInZone(s.next_close, s.tz)}`
      : fmtInZone(s.next_open, s.tz)),
    el("td", {}, canManage ? el("span", { class: "row" },
      el("button", { type: "button", class: "edit", onclick: () => row.replaceWith(scheduleEditor(s)) }, t("edit")),
      el("button", { type: "button", class: "delete", onclick: () => deleteSchedule(s.id) }, t("delete"))) : ""));
  return row;
}

// The row becomes a form; Save replaces the window (PUT), and the server's reason shows when it refuses.
function scheduleEditor(s) {
  const input = (name, value, attrs = {}) => el("input", { name, value: value ?? "", class: "short", ...attrs });
  const kind = el("select", { name: "kind" },
    ...["daily", "weekly", "once"].map((k) => el("option", { value: k }, t(k))));
  kind.value = s.kind;
  const error = el("p", { class: "error", role: "alert" });
  const form = el("form", { class: "schedule-edit row wrap" }, kind,
    input("start", s.start, { required: "", "aria-label": t("start_time") }),
    input("end", s.end, { required: "", "aria-label": t("end_time") }),
    input("tz", s.tz, { "aria-label": t("tz") }),
    input("days", s.days.join(","), { title: t("days_hint") }),
    input("products", s.products.join(","), { "aria-label": t("products") }),
    input("rotate_every_s", s.rotate_every_s, { type: "number", min: "5" }),
    el("button", { type: "submit", class: "save" }, t("save")),
    el("button", { type: "button", class: "cancel", onclick: () => form.closest("tr").replaceWith(scheduleRow(s)) },
      t("cancel")),
    error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    showError(error, null);
    const list = (v) => v.split(",").map((x) => x.trim()).filter(Boolean);
    try {
      const saved = await api("PUT", `/api/schedules/${s.id}`, {
        kind: kind.value, start: form.start.value.trim(), end: form.end.value.trim(), tz: form.tz.value.trim(),
        days: list(form.days.value).map(Number), products: list(form.products.value),
        rotate_every_s: Number(form.rotate_every_s.value), enabled: s.enabled,
      });
      form.closest("tr").replaceWith(scheduleRow(saved));
    } catch (err) {
      showError(error, err);
    }
  });
  return el("tr", { class: "editing", dataset: { id: s.id } }, el("td", { colspan: "6" }, form));
}

async function deleteSchedule(scheduleId) {
  await api("DELETE", `/api/schedules/${scheduleId}`);
  await loadSchedules(state.selected);
}

$("#schedule-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  const error = f.querySelector(".error");
  showError(error, null);
  const list = (v) => v.split(",").map((x) => x.trim()).filter(Boolean);
  try {
    await api("POST", `/api/streams/${encodeURIComponent(state.selected)}/schedules`, {
      kind: f.kind.value, start: f.start.value.trim(), end: f.end.value.trim(), tz: f.tz.value.trim(),
      days: list(f.days.value).map(Number), products: list(f.products.value),
      rotate_every_s: Number(f.rotate_every_s.value),
    });
    await loadSchedules(state.selected);
  } catch (err) {
    showError(error, err);
  }
});

async function loadRuns(id) {
  const rows = await api("GET", `/api/streams/${encodeURIComponent(id)}/runs?limit=20`);
  $("#run-rows").replaceChildren(...rows.map((r) => el("tr", {},
    el("td", {}, r.id), el("td", {}, fmtTime(r.started_at)), el("td", {}, serverWord("run_", r.reason)),
    el("td", {}, fmtTime(r.ended_at)), el("td", {}, serverWord("run_", r.end_reason)), el("td", {}, r.restarts))));
}

// --- transcript and comment search, export ---------------------------------------------------------------
// The same filter for the list shown here and for the file: the export streams every matching row (the server
// neutralises spreadsheet formulas in the CSV). Fetched with the token in the header, never in a URL.
function historyQuery(suffix = "") {
  const what = $("#history-what").value;
  const q = $("#history-q").value.trim();
  const params = new URLSearchParams(q ? { q } : {});
  return { what, path: `/api/streams/${encodeURIComponent(state.selected)}/${what}${suffix}`, params };
}

function clearHistorySearch() {
  $("#history-results").replaceChildren();
  $("#history-results").hidden = true;
  showError($("#history-error"), null);
}

$("#history-search").addEventListener("submit", async (e) => {
  e.preventDefault();
  clearHistorySearch();
  const { what, path, params } = historyQuery();
  params.set("limit", "100");
  try {
    const rows = await api("GET", `${path}?${params}`);
    const items = rows.reverse().map((r) => el("li", {},
      el("span", { class: "tag" }, `${fmtTime(r.said_at || r.received_at)} · ${what === "transcript" ? r.source : r.user}`),
      " ", r.text));
    $("#history-results").replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, t("no_results"))]));
    $("#history-results").hidden = false;
  } catch (err) {
    showError($("#history-error"), err);
  }
});

async function exportHistory(format) {
  showError($("#history-error"), null);
  const { path, params } = historyQuery("/export");
  params.set("format", format);
  try {
    const res = await fetch(`${path}?${params}`, { headers: { Authorization: `Bearer ${auth.token}` } });
    if (!res.ok) throw new Error((await res.json().catch(() => ({}))).detail || res.statusText);
    const name = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "");
    const url = URL.createObjectURL(await res.blob());
    const link = el("a", { href: url, download: name ? name[1] : `export.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (err) {
    showError($("#history-error"), err);
  }
}

for (const link of [$("#export-csv"), $("#export-jsonl")]) {
  link.addEventListener("click", (e) => { e.preventDefault(); exportHistory(link.dataset.format); });
}

// --- start -----------------------------------------------------------------------------------------------
applyStrings();
$("#lang").textContent = currentLang() === "zh" ? "English" : "中文";
if (auth.token) login(auth.token).catch(() => { $("#login").hidden = false; });
