"""The photo host: one portrait whose mouth opens by warping the lips and jaw, with the gap filled by an inner mouth.

The mouth comes from the manifest's ``mouth_box`` or, failing that, from OpenCV's frontal-face Haar cascade. Per
frame only a small region around the mouth is remapped; the warp fades to nothing at that region's edge, so there is
no box to see. The whole portrait rises and falls with breathing by a pixel or so, so idle frames are never frozen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from ..errors import ConfigError
from .blend import from_premul, over, premultiply, resize_premul
from .haar import cascade_path, detect_faces
from .host import HostFrame, HostPose
from .pack import GestureSpec, Manifest, MotionSpec, load_image

MAX_OPEN = 0.42  # widest opening, as a fraction of the mouth width
EDGE_FEATHER = 0.02  # of the portrait's height: soft borders where an opaque portrait meets the scene
SUBPIXEL = 4


def find_mouth(rgb: np.ndarray, source: str) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the lips: the largest face OpenCV's cascade finds, then the reddest band in its lower part.
    ConfigError when no face can be found."""
    if cascade_path() is None:
        raise ConfigError(f"{source}: no mouth_box in the manifest and OpenCV's face detector data is not installed "
                          "(Debian: apt-get install opencv-data); add mouth_box: {x, y, w, h} to the manifest")
    faces = detect_faces(rgb, min_size=max(24, min(rgb.shape[:2]) // 8))
    if not faces:
        raise ConfigError(f"{source}: no face found in the portrait; use a front-facing, evenly lit picture or "
                          "give the lips' position as mouth_box: {x, y, w, h} in the manifest")
    return _lips_in_face(rgb, faces[0])


def _lips_in_face(rgb: np.ndarray, face: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    x, y, w, h = face
    H, W = rgb.shape[:2]
    x0, x1 = max(0, x + w // 4), min(W, x + 3 * w // 4)
    y0, y1 = max(0, y + int(0.6 * h)), min(H, y + int(1.0 * h))
    guess = (int(x + 0.3 * w), int(y + 0.74 * h), int(0.4 * w), int(0.12 * h))  # Haar-box proportions
    if x1 - x0 < 8 or y1 - y0 < 8:
        return guess
    band = rgb[y0:y1, x0:x1].astype(np.float32)
    red = cv2.GaussianBlur(band[..., 0] - 0.5 * (band[..., 1] + band[..., 2]), (0, 0), max(1.0, w / 100))
    rows = np.sort(red, axis=1)[:, -max(3, red.shape[1] // 4):].mean(axis=1)
    if rows.max() - np.median(rows) < 8:  # no lip colour stands out: keep the proportional guess
        return guess
    ym = int(np.argmax(rows))
    lips_rows = np.nonzero(rows > np.median(rows) + 0.5 * (rows.max() - np.median(rows)))[0]
    lh = int(np.clip(lips_rows.max() - lips_rows.min() + 1, 0.06 * h, 0.2 * h))
    line = red[ym]
    cols = np.nonzero(line > np.median(line) + 0.5 * (line.max() - np.median(line)))[0]
    lw = int(np.clip(cols.max() - cols.min() + 1 if cols.size else 0.4 * w, 0.25 * w, 0.6 * w))
    cx = x0 + (int((cols.min() + cols.max()) / 2) if cols.size else (x1 - x0) // 2)
    # the warp splits the lips where they meet: the darkest row across the middle of the lips
    luma = band[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    c0, c1 = max(0, cx - x0 - lw // 4), max(1, cx - x0 + lw // 4)
    r0, r1 = max(0, ym - lh), min(band.shape[0], ym + lh + 1)
    seam = r0 + int(np.argmin(luma[r0:r1, c0:c1].mean(axis=1)))
    return cx - lw // 2, y0 + seam - lh // 2, lw, lh


class PhotoHost:
    """A ``Host`` made from a portrait, scaled so that it is ``height`` pixels tall."""

    def __init__(self, pack_dir: Path, m: Manifest, height: int) -> None:
        assert m.portrait is not None
        self.name = m.name
        self.motion: MotionSpec = m.motion
        self.gestures: dict[str, GestureSpec] = {}  # a photograph cannot raise an arm
        rgba = load_image(pack_dir, m.portrait, "portrait")
        source = f"avatar pack {pack_dir}: portrait {m.portrait!r}"
        if m.mouth_box is not None:
            b = m.mouth_box
            ph, pw = rgba.shape[:2]
            if b.x < 0 or b.y < 0 or b.x + b.w > pw or b.y + b.h > ph:
                raise ConfigError(f"{source}: mouth_box {b.x},{b.y} {b.w}x{b.h} lies outside the {pw}x{ph} picture")
            box = (b.x, b.y, b.w, b.h)
        else:
            box = find_mouth(np.ascontiguousarray(rgba[..., :3]), source)
        s = height / rgba.shape[0]
        self.scale = s
        pm = resize_premul(premultiply(rgba), s)
        h, w = pm.shape[:2]
        if rgba[..., 3].min() == 255:  # an opaque photo: soften its border into the scene
            pm = _feather_edges(pm, max(2, int(EDGE_FEATHER * h)))
        self._pm = pm
        self.size = (w, h)
        self.anchor = (w / 2, float(h))
        bx, by, bw, bh = (int(round(v * s)) for v in box)
        self.mouth_box = (bx, by, bw, bh)
        self.mouth_rect = self.mouth_box
        self._prepare_mouth()
        self._variants = [self._shifted(k / SUBPIXEL) for k in range(SUBPIXEL)]
        self._sprites = [from_premul(v.copy()) for v in self._variants]

    def _shifted(self, dy: float) -> np.ndarray:
        if dy == 0:
            return self._pm
        h, w = self._pm.shape[:2]
        m = np.array([[1, 0, 0], [0, 1, dy]], np.float32)
        return cv2.warpAffine(self._pm, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def _prepare_mouth(self) -> None:
        """Fixed parts of the warp: the region, its grids and the lip and jaw profiles (only amounts vary)."""
        mx, my, mw, mh = self.mouth_box
        h, w = self._pm.shape[:2]
        self.cx, self.cy = mx + mw / 2, my + mh / 2  # where the lips meet
        a = mw / 2
        x0, x1 = max(0, int(self.cx - 2.0 * a)), min(w, int(self.cx + 2.0 * a) + 1)
        y0, y1 = max(0, int(self.cy - 1.6 * mh)), min(h, int(self.cy + 3.2 * mh + 0.6 * a) + 1)
        self.roi = (x0, y0, x1, y1)
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        self._xx, self._yy = xx, yy
        u = (xx - self.cx) / a
        self._lip = np.sqrt(np.clip(1 - u * u, 0, 1))  # elliptical lip opening: corners stay closed
        self._jaw = np.clip(1.6 - np.abs(u) * 0.8, 0, 1) ** 2  # the jaw moves as a whole, fading at the cheeks
        below = (yy - self.cy) / (mh * 1.4)
        v = np.clip(below, 0, 1)
        chin = self.cy + 2.4 * mh + 0.4 * a
        fall = np.clip((chin + 0.5 * a - yy) / (0.5 * a + 1e-6), 0, 1)  # the neck under the chin stays put
        self._low = (self._lip * (1 - v) + self._jaw * v) * fall
        above = np.clip((self.cy - yy) / (mh * 1.2), 0, 1)
        self._up = self._lip * (1 - above) ** 2
        self._side = np.clip(1 - np.hypot(u / 1.8, (yy - self.cy) / (2.2 * mh)), 0, 1)
        mid = self._pm[int(self.cy + mh * 0.3), int(self.cx)].astype(np.float32)
        alpha = max(mid[3], 1.0) / 255.0
        lip = mid[:3] / alpha
        self._inner = np.clip(lip * np.array([0.42, 0.22, 0.26]), 0, 255)
        self._teeth = np.array([236, 230, 222], np.float32)

    def _mouth_region(self, src: np.ndarray, params: np.ndarray) -> np.ndarray:
        """The region around the mouth of ``src`` (premultiplied RGBA) with the mouth in pose ``params``."""
        open_, width, rnd = float(params[0]), float(params[1]), float(params[2])
        x0, y0, x1, y1 = self.roi
        if open_ < 0.01 and abs(width - 1) < 0.02 and rnd < 0.02:
            return src[y0:y1, x0:x1]
        mw = self.mouth_box[2]
        d = open_ * MAX_OPEN * mw
        up = 0.22 * d
        sx = 1.0 + 0.6 * (width - 1.0) - 0.22 * rnd  # spread or pucker the lips sideways
        xx, yy = self._xx, self._yy
        map_x = self.cx + (xx - self.cx) / (1 + (sx - 1) * self._side)
        map_y = np.where(yy >= self.cy, yy - d * self._low, yy + up * self._up)
        region = cv2.remap(src, map_x.astype(np.float32), map_y.astype(np.float32), cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
        if d > 0.5:
            # the gap between the lips: from the raised upper lip down to the lowered lower lip, anti-aliased
            top = self.cy - up * self._up
            bot = self.cy + d * self._lip
            cover = np.clip(yy - top + 0.5, 0, 1) * np.clip(bot - yy + 0.5, 0, 1) * (self._lip > 0.05)
            depth = np.clip((yy - top) / np.maximum(bot - top, 1), 0, 1)
            inner = self._inner[None, None, :] * (0.7 + 0.5 * np.abs(depth - 0.5))[..., None]
            teeth_h = min(0.3 * d, 0.11 * mw)
            teeth = np.clip(top + teeth_h - yy + 0.5, 0, 1)[..., None] * (open_ > 0.12)
            fill = inner * (1 - teeth) + self._teeth * teeth
            alpha = region[..., 3:4].astype(np.float32)
            c = cover[..., None]
            region[..., :3] = (region[..., :3] * (1 - c) + fill * c * alpha / 255.0).astype(np.uint8)
        return region

    def prepare(self, frames: Sequence[HostFrame]) -> None:
        """Nothing to do ahead: the scene computes the mouth shapes of the window for a drawn host."""

    def draw(self, frame: np.ndarray, x: int, y: int, pose: HostPose, clip_bottom: int | None = None) -> None:
        # breathing lifts the whole picture by a pixel or two, in quarter-pixel steps (pre-shifted copies)
        dy = pose.idle.breath_dy * self.scale * 0.6
        by = math.floor(dy)
        phase = min(int((dy - by) * SUBPIXEL), SUBPIXEL - 1)
        src, spr = self._variants[phase], self._sprites[phase]
        region = self._mouth_region(src, pose.mouth)
        x0, y0, x1, y1 = self.roi
        # the sprite's mouth region is rewritten in place each frame; the rest of it never changes
        a = region[..., 3]
        spr.rgb[y0:y1, x0:x1] = region[..., :3]
        spr.alpha[y0:y1, x0:x1] = a
        spr.inv[y0:y1, x0:x1] = (255 - a)[..., None]
        over(frame, spr, x, y + by, clip_bottom)


def _feather_edges(pm: np.ndarray, r: int) -> np.ndarray:
    h, w = pm.shape[:2]
    ramp_x = np.clip(np.minimum(np.arange(w) + 0.5, w - np.arange(w) - 0.5) / r, 0, 1)
    ramp_y = np.clip(np.minimum(np.arange(h) + 0.5, h - np.arange(h) - 0.5) / r, 0, 1)
    ramp_y[h // 2:] = 1.0  # the bottom edge is usually cut by the desk or the frame
    k = (ramp_y[:, None] * ramp_x[None, :])[..., None]
    return np.round(pm.astype(np.float32) * k).astype(np.uint8)
