"""The studio behind the host, painted once per renderer: a warm wall, a lit arch framing the host, soft bokeh
lights, shelves with blurred product boxes, and the desk the host stands behind.
"""

from __future__ import annotations

import random

import cv2
import numpy as np

from .layout import Layout, Scene


def _c(rgba: tuple[int, int, int, int]) -> np.ndarray:
    return np.array(rgba[:3], np.float32)


def paint_background(scene: Scene, layout: Layout, w: int, h: int) -> np.ndarray:
    """(h, w, 3) uint8 RGB studio background with the desk."""
    top, bottom = _c(scene.color("wall_top", "#FBEFE6")), _c(scene.color("wall_bottom", "#F2D3C2"))
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img: np.ndarray = np.broadcast_to(top * (1 - t) + bottom * t, (h, w, 3)).copy()
    hx = layout.host.x * w
    # a lit arch behind the host: frames the face and separates the dark hair from the wall
    arch = np.zeros((h, w), np.float32)
    aw, atop = 0.19 * max(w, h * 1.3) * (0.75 if h > w else 1.0), 0.12 * h
    ab = int(h * (layout.desk.top if layout.desk else 1.0))
    cv2.rectangle(arch, (int(hx - aw), int(atop + aw)), (int(hx + aw), ab), 1.0, -1)
    cv2.ellipse(arch, (int(hx), int(atop + aw)), (int(aw), int(aw)), 0, 180, 360, 1.0, -1, cv2.LINE_AA)
    soft = cv2.GaussianBlur(arch, (0, 0), max(2.0, h * 0.004))[..., None]
    img = img * (1 - soft) + _c(scene.color("arch", "#FFF8F2")) * soft
    glow = cv2.GaussianBlur(arch, (0, 0), h * 0.08)[..., None]
    img = img + (glow - arch[..., None]).clip(0, 1) * 18.0  # light spilling onto the wall around the arch
    ring = cv2.GaussianBlur(arch, (0, 0), 1.0) - cv2.erode(arch, np.ones((5, 5), np.uint8))
    line = np.clip(ring, 0, 1)[..., None] * 0.5
    img = img * (1 - line) + _c(scene.color("arch_line", "#E9B99C")) * line
    _shelves(img, hx, aw, w, h, ab)
    _bokeh(img, w, h)
    if layout.desk is not None:
        _desk(img, scene, int(round(layout.desk.top * h)), w, h)
    return np.clip(img, 0, 255).astype(np.uint8)


def _shelves(img: np.ndarray, hx: float, aw: float, w: int, h: int, floor: int) -> None:
    """Two shelves with softly blurred boxes on the side away from the card: a store, out of focus."""
    layer: np.ndarray = np.zeros((h, w, 3), np.float32)
    alpha: np.ndarray = np.zeros((h, w), np.float32)
    rng = random.Random(7)
    palette = [(244, 180, 160), (250, 214, 170), (200, 222, 214), (232, 196, 214), (255, 236, 210)]
    x0, x1 = int(0.02 * w), int(hx - aw - 0.03 * w)
    if x1 - x0 < 0.06 * w:
        return
    for y in (int(0.42 * h), int(0.66 * h)):
        if y >= floor:
            continue
        cv2.rectangle(layer, (x0, y), (x1, y + max(3, h // 120)), (226, 190, 168), -1)
        cv2.rectangle(alpha, (x0, y), (x1, y + max(3, h // 120)), 1.0, -1)
        x = x0 + int(0.01 * w)
        while x < x1 - 0.04 * w:
            bw, bh = int(rng.uniform(0.035, 0.06) * w), int(rng.uniform(0.07, 0.13) * h)
            col = palette[rng.randrange(len(palette))]
            cv2.rectangle(layer, (x, y - bh), (x + bw, y), col, -1)
            cv2.rectangle(alpha, (x, y - bh), (x + bw, y), 1.0, -1)
            x += bw + int(0.008 * w)
    sigma = max(1.5, h * 0.006)
    layer = cv2.GaussianBlur(layer, (0, 0), sigma)
    a = cv2.GaussianBlur(alpha, (0, 0), sigma)[..., None] * 0.85
    img[:] = img * (1 - a) + layer / np.maximum(a / 0.85, 1e-3) * a


def _bokeh(img: np.ndarray, w: int, h: int) -> None:
    rng = random.Random(11)
    light: np.ndarray = np.zeros((h, w), np.float32)
    for _ in range(9):
        x = rng.uniform(0.0, 1.0) * w
        y = rng.uniform(0.02, 0.4) * h
        r = rng.uniform(0.015, 0.04) * h
        cv2.circle(light, (int(x), int(y)), int(r), rng.uniform(0.25, 0.6), -1, cv2.LINE_AA)
    light = cv2.GaussianBlur(light, (0, 0), h * 0.006)[..., None]
    img[:] = img + light * (np.array([255, 250, 238], np.float32) - img) * 0.6


def _desk(img: np.ndarray, scene: Scene, top: int, w: int, h: int) -> None:
    """A desk across the bottom; its top edge is where the host is clipped, so it sits on a whole pixel row."""
    lip = max(3, int(h * 0.022))
    surface, front = _c(scene.color("desk_top", "#F7F1EC")), _c(scene.color("desk_front", "#E6D6CB"))
    img[top:top + lip] = surface
    t = np.linspace(0, 1, max(h - top - lip, 1), dtype=np.float32)[:, None, None]
    img[top + lip:] = front * (1 - 0.12 * t)
    img[top + lip:top + lip + max(1, h // 360)] = front * 0.85  # the edge between top and front
    img[top:top + max(1, h // 540)] = np.minimum(surface * 1.03, 255)
    # soft shadow the desk casts on the wall just above it
    shade = np.linspace(0.1, 0.0, max(2, int(h * 0.02)), dtype=np.float32)[::-1]
    rows = slice(top - shade.size, top)
    img[rows] = img[rows] * (1 - shade[:, None, None])
