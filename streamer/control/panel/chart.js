// A small line chart of the last minute of health reports (fps and lag), drawn on a canvas.
const POINTS = 60;

export class HealthChart {
  constructor(canvas) {
    this.canvas = canvas;
    this.fps = [];
    this.lag = [];
  }

  reset() { this.fps = []; this.lag = []; this.draw(); }

  add(health) {
    this.fps.push(Number(health.fps_now ?? health.fps ?? 0));
    this.lag.push(Number(health.lag_s ?? 0));
    if (this.fps.length > POINTS) { this.fps.shift(); this.lag.shift(); }
    this.draw();
  }

  draw() {
    const c = this.canvas.getContext("2d");
    const { width: w, height: h } = this.canvas;
    c.clearRect(0, 0, w, h);
    c.strokeStyle = "#334";
    c.strokeRect(0.5, 0.5, w - 1, h - 1);
    const maxFps = Math.max(30, ...this.fps);
    this.line(c, this.fps, maxFps, "#4caf50", w, h);
    this.line(c, this.lag, Math.max(0.5, ...this.lag), "#ff9800", w, h);
    c.fillStyle = "#9aa";
    c.font = "11px sans-serif";
    c.fillText(`fps ${this.fps.at(-1)?.toFixed(1) ?? "-"}  (max ${maxFps.toFixed(0)})`, 6, 14);
    c.fillText(`lag ${this.lag.at(-1)?.toFixed(3) ?? "-"} s`, 6, 28);
  }

  line(c, values, max, color, w, h) {
    if (values.length < 2) return;
    c.strokeStyle = color;
    c.beginPath();
    values.forEach((v, i) => {
      const x = (i / (POINTS - 1)) * (w - 4) + 2;
      const y = h - 4 - (v / max) * (h - 8);
      if (i === 0) c.moveTo(x, y); else c.lineTo(x, y);
    });
    c.stroke();
  }
}
