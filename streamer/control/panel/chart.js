// The room's health over the last ten minutes (one report a second): frames per second and late frames on the left
// axis, the reply decision time in ms on the right. Drawn by the vendored uPlot (vendor/uPlot.iife.min.js, loaded
// as a classic script before the modules); labels come from i18n and are redrawn when the language changes.
import { currentLang, t } from "./i18n.js";

export const POINTS = 600;
const HEIGHT = 160;

// "19:00:05": the browser's clock, the same in every language
function clock(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString(currentLang() === "zh" ? "zh-CN" : "en-GB", { hour12: false });
}

export class HealthChart {
  constructor(box) {
    this.box = box;
    this.plot = null;
    this.reset();
  }

  // columns: time (s), fps, frames late since the previous report, reply decided in (ms)
  reset() {
    this.data = [[], [], [], []];
    this.lastLate = null;
    this.redraw();
  }

  add(health) {
    const late = Number(health.late_frames ?? 0);
    const newLate = this.lastLate == null ? 0 : Math.max(0, late - this.lastLate);
    this.lastLate = late;
    const row = [Date.now() / 1000, Number(health.fps_now ?? 0), newLate,
      health.responder_ms == null ? null : Number(health.responder_ms)];
    row.forEach((v, i) => this.data[i].push(v));
    if (this.data[0].length > POINTS) for (const col of this.data) col.shift();
    this.box.dataset.points = String(this.data[0].length);
    if (this.plot) this.plot.setData(this.data);
    else this.redraw();
  }

  // built again on a language change: uPlot keeps its series labels and legend from construction
  redraw() {
    if (this.plot) { this.plot.destroy(); this.plot = null; }
    if (!window.uPlot) return;
    const axis = { stroke: "#8d93a5", grid: { stroke: "#2c3242" }, ticks: { stroke: "#2c3242" } };
    this.plot = new window.uPlot({
      width: Math.max(280, this.box.clientWidth || 420),
      height: HEIGHT,
      legend: { live: false },
      scales: {
        x: { time: false },
        fps: { range: (u, lo, hi) => [0, Math.max(30, hi)] },
        ms: { range: (u, lo, hi) => [0, Math.max(100, hi)] },
      },
      series: [
        { label: t("time"), value: (u, v) => (v == null ? "-" : clock(v)) },
        { label: t("fps_now"), scale: "fps", stroke: "#4caf50", width: 1.5 },
        { label: t("late_frames_new"), scale: "fps", stroke: "#e5534b", width: 1.5 },
        { label: t("responder_ms"), scale: "ms", stroke: "#4f8cff", width: 1.5, spanGaps: true },
      ],
      axes: [
        { ...axis, values: (u, ticks) => ticks.map(clock), space: 70 },
        { ...axis, scale: "fps", label: t("fps_axis"), size: 44 },
        { ...axis, scale: "ms", side: 1, label: t("ms_axis"), size: 50, grid: { show: false } },
      ],
    }, this.data, this.box);
  }
}
