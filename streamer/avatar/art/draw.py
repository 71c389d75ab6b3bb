"""A tiny vector painter for generating avatar art: smooth closed shapes, tapered strokes, gradients, soft shading.

Used only when an avatar pack is generated (never per frame). Shapes are given in design units; a ``Layer`` paints
them ``ss`` times larger and ``Layer.rgba()`` averages the supersamples down, which is what anti-aliases the edges.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw

Point = tuple[float, float]
Color = tuple[int, int, int]


def catmull_rom(points: Sequence[Point], closed: bool = True, steps: int = 16) -> list[Point]:
    """A smooth curve through ``points`` (centripetal-free, uniform Catmull-Rom), as a dense polyline."""
    pts = [np.asarray(p, np.float64) for p in points]
    n = len(pts)
    out: list[Point] = []
    last = n if closed else n - 1
    for i in range(last):
        p0 = pts[(i - 1) % n] if closed or i > 0 else pts[0]
        p1, p2 = pts[i], pts[(i + 1) % n]
        p3 = pts[(i + 2) % n] if closed or i + 2 < n else pts[-1]
        for s in range(steps):
            t = s / steps
            t2, t3 = t * t, t * t * t
            q = 0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                       + (-p0 + 3 * p1 - 3 * p2 + p3) * t3)
            out.append((float(q[0]), float(q[1])))
    if not closed:
        out.append((float(pts[-1][0]), float(pts[-1][1])))
    return out


def stroke_outline(points: Sequence[Point], w0: float, w1: float, w_mid: float | None = None,
                   steps: int = 12) -> list[Point]:
    """The outline of a tapered brush stroke along a smooth curve: width ``w0`` at the start, ``w1`` at the end."""
    line = np.asarray(catmull_rom(points, closed=False, steps=steps))
    n = len(line)
    d = np.gradient(line, axis=0)
    d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1)
    u = np.linspace(0.0, 1.0, n)
    if w_mid is None:
        w = w0 + (w1 - w0) * u
    else:
        w = np.where(u < 0.5, w0 + (w_mid - w0) * u * 2, w_mid + (w1 - w_mid) * (u - 0.5) * 2)
    left = line + normal * (w / 2)[:, None]
    right = line - normal * (w / 2)[:, None]
    return [tuple(p) for p in np.concatenate([left, right[::-1]])]


def mirror(points: Sequence[Point], cx: float) -> list[Point]:
    """Reflect points about the vertical line x = cx (faces and bodies are drawn symmetric, then varied)."""
    return [(2 * cx - x, y) for x, y in points]


class Layer:
    """An RGBA painting surface covering the design-space box (x0, y0, w, h), painted at ``ss`` samples per unit."""

    def __init__(self, box: tuple[float, float, float, float], ss: int = 3) -> None:
        self.x0, self.y0, w, h = box
        self.ss = ss
        self.h, self.w = int(round(h * ss)), int(round(w * ss))
        self.rgb: np.ndarray = np.zeros((self.h, self.w, 3), np.float32)
        self.a: np.ndarray = np.zeros((self.h, self.w), np.float32)
        self._grid: tuple[np.ndarray, np.ndarray] | None = None

    # -- geometry -----------------------------------------------------------------------------------------------
    def _px(self, pts: Sequence[Point]) -> list[tuple[float, float]]:
        return [((x - self.x0) * self.ss, (y - self.y0) * self.ss) for x, y in pts]

    def mask(self, points: Sequence[Point], smooth: bool = True) -> np.ndarray:
        """Coverage (0..1) of a closed shape; ``smooth`` passes the points through a Catmull-Rom spline."""
        poly = catmull_rom(points) if smooth else list(points)
        img = Image.new("L", (self.w, self.h), 0)
        ImageDraw.Draw(img).polygon(self._px(poly), fill=255)
        return np.asarray(img, np.float32) / 255.0

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, angle_deg: float = 0.0) -> np.ndarray:
        m = np.zeros((self.h, self.w), np.uint8)
        c = (int(round((cx - self.x0) * self.ss * 16)), int(round((cy - self.y0) * self.ss * 16)))
        axes = (int(round(rx * self.ss * 16)), int(round(ry * self.ss * 16)))
        cv2.ellipse(m, c, axes, angle_deg, 0, 360, 255, -1, cv2.LINE_AA, 4)
        return m.astype(np.float32) / 255.0

    def stroke(self, points: Sequence[Point], w0: float, w1: float, w_mid: float | None = None) -> np.ndarray:
        return self.mask(stroke_outline(points, w0, w1, w_mid), smooth=False)

    def blur(self, m: np.ndarray, radius: float) -> np.ndarray:
        """Gaussian blur with sigma ``radius`` design units."""
        s = max(radius * self.ss, 0.1)
        return cv2.GaussianBlur(m, (0, 0), s)

    def shift(self, m: np.ndarray, dx: float, dy: float) -> np.ndarray:
        mat = np.array([[1, 0, dx * self.ss], [0, 1, dy * self.ss]], np.float32)
        return cv2.warpAffine(m, mat, (self.w, self.h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Design-space x and y of every sample (computed once per layer)."""
        if self._grid is None:
            yy, xx = np.mgrid[0:self.h, 0:self.w].astype(np.float32)
            self._grid = (xx / self.ss + self.x0, yy / self.ss + self.y0)
        return self._grid

    def capsule(self, p: Point, q: Point, r0: float, r1: float) -> np.ndarray:
        """A limb segment: round ends of radius r0 at p and r1 at q joined by straight sides."""
        dx, dy = q[0] - p[0], q[1] - p[1]
        n = max((dx * dx + dy * dy) ** 0.5, 1e-6)
        nx, ny = -dy / n, dx / n
        quad = [(p[0] + nx * r0, p[1] + ny * r0), (q[0] + nx * r1, q[1] + ny * r1),
                (q[0] - nx * r1, q[1] - ny * r1), (p[0] - nx * r0, p[1] - ny * r0)]
        m = np.maximum(self.mask(quad, smooth=False), self.ellipse(p[0], p[1], r0, r0))
        return np.maximum(m, self.ellipse(q[0], q[1], r1, r1))

    def linear(self, p0: Point, p1: Point) -> np.ndarray:
        """0 at p0 rising to 1 at p1 along the line p0->p1, clamped: the ramp for gradients."""
        xx, yy = self.grid()
        dx, dy = p1[0] - p0[0], p1[1] - p0[1]
        t = ((xx - p0[0]) * dx + (yy - p0[1]) * dy) / max(dx * dx + dy * dy, 1e-9)
        return np.clip(t, 0.0, 1.0)

    def radial(self, cx: float, cy: float, r: float) -> np.ndarray:
        """1 at the centre falling to 0 at radius r (smoothstep), for highlights and blush."""
        xx, yy = self.grid()
        d = np.hypot(xx - cx, yy - cy) / r
        t = np.clip(1.0 - d, 0.0, 1.0)
        return t * t * (3 - 2 * t)

    # -- painting -----------------------------------------------------------------------------------------------
    def paint(self, coverage: np.ndarray, color: Color | np.ndarray, opacity: float = 1.0) -> None:
        """Composite ``color`` (a constant or an (H, W, 3) image, 0..255) over the layer where ``coverage`` says."""
        a = np.clip(coverage * opacity, 0.0, 1.0)
        col = np.asarray(color, np.float32)
        # rgb is kept premultiplied while painting; rgba() divides it back out
        self.rgb = self.rgb * (1 - a)[..., None] + col * a[..., None]
        self.a = a + self.a * (1 - a)

    def gradient(self, coverage: np.ndarray, c0: Color, c1: Color, p0: Point, p1: Point,
                 opacity: float = 1.0) -> None:
        t = self.linear(p0, p1)[..., None]
        col = np.asarray(c0, np.float32) * (1 - t) + np.asarray(c1, np.float32) * t
        self.paint(coverage, col, opacity)

    def tint(self, coverage: np.ndarray, color: Color, opacity: float, clip: np.ndarray | None = None) -> None:
        """Paint on top of what is there without extending the layer's silhouette (shading, blush, highlights)."""
        cov = coverage if clip is None else coverage * clip
        k = np.clip(cov * opacity, 0.0, 1.0)
        col = np.asarray(color, np.float32)
        self.rgb = self.rgb * (1 - k)[..., None] + col * (k * self.a)[..., None]

    def rgba(self) -> np.ndarray:
        """The layer at one sample per design unit: (h, w, 4) uint8, straight (not premultiplied) alpha."""
        h, w = self.h // self.ss, self.w // self.ss
        premul = cv2.resize(self.rgb, (w, h), interpolation=cv2.INTER_AREA)
        a = cv2.resize(self.a, (w, h), interpolation=cv2.INTER_AREA)
        rgb = premul / np.maximum(a, 1e-6)[..., None]
        out = np.dstack([np.clip(rgb, 0, 255), np.clip(a * 255, 0, 255)])
        return np.round(out).astype(np.uint8)
