"""Fast alpha compositing for per-frame work: premultiplied sprites blended in place with OpenCV's SIMD kernels.

A ``Sprite`` keeps premultiplied RGB and 255 - alpha as contiguous uint8 arrays, so ``over`` is one multiply and one
saturating add over just the sprite's rectangle; this is what keeps a 720p frame in the low milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True, slots=True)
class Sprite:
    rgb: np.ndarray  # (h, w, 3) uint8, premultiplied by alpha
    inv: np.ndarray  # (h, w, 3) uint8, 255 - alpha, repeated per channel
    alpha: np.ndarray  # (h, w) uint8
    pm4: np.ndarray | None = None  # (h, w, 4) premultiplied RGBA, for compositing onto a premultiplied image
    inv4: np.ndarray | None = None  # (h, w, 4) 255 - alpha

    @property
    def h(self) -> int:
        return int(self.rgb.shape[0])

    @property
    def w(self) -> int:
        return int(self.rgb.shape[1])


def premultiply(rgba: np.ndarray) -> np.ndarray:
    """Straight-alpha RGBA uint8 -> premultiplied RGBA uint8 (resampling premultiplied pixels avoids dark fringes)."""
    a = rgba[..., 3:4].astype(np.float32) / 255.0
    out = rgba.astype(np.float32)
    out[..., :3] *= a
    return np.round(out).astype(np.uint8)


def resize_premul(pm: np.ndarray, scale: float) -> np.ndarray:
    """Resample premultiplied RGBA by ``scale`` (area filter when shrinking, cubic when enlarging)."""
    if abs(scale - 1.0) < 1e-6:
        return pm
    h, w = pm.shape[:2]
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    out = cv2.resize(pm, size, interpolation=interp)
    # cubic overshoot can push colour above alpha, which premultiplied blending would turn into bright fringes
    return np.minimum(out, out[..., 3:4]) if scale > 1 else out


def from_premul(pm: np.ndarray, into_premul: bool = False) -> Sprite:
    """A Sprite from premultiplied RGBA; ``into_premul`` also keeps what ``blend_pm_into_pm`` needs."""
    a = np.ascontiguousarray(pm[..., 3])
    inv = cv2.cvtColor(255 - a, cv2.COLOR_GRAY2RGB)
    if not into_premul:
        return Sprite(np.ascontiguousarray(pm[..., :3]), inv, a)
    inv4 = cv2.cvtColor(255 - a, cv2.COLOR_GRAY2RGBA)
    inv4[..., 3] = 255 - a
    return Sprite(np.ascontiguousarray(pm[..., :3]), inv, a, np.ascontiguousarray(pm), inv4)


def place(rgba: np.ndarray, at: tuple[float, float], scale: float, shift: tuple[float, float] = (0.0, 0.0)
          ) -> tuple[np.ndarray, int, int]:
    """Scale a straight-alpha layer that sits at ``at`` (design units) and resample it onto the output pixel grid:
    returns premultiplied RGBA and its integer top-left. The fractional part of the scaled position (plus
    ``shift`` pixels) is baked in, so layers cut from one picture (a mouth from its head) stay aligned."""
    pm = resize_premul(premultiply(rgba), scale)
    fx, fy = at[0] * scale + shift[0], at[1] * scale + shift[1]
    ix, iy = int(np.floor(fx)), int(np.floor(fy))
    dx, dy = fx - ix, fy - iy
    if dx > 1e-3 or dy > 1e-3:
        h, w = pm.shape[:2]
        m = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
        pm = cv2.warpAffine(pm, m, (w + 1, h + 1), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return pm, ix, iy


def over(dst: np.ndarray, spr: Sprite, x: int, y: int, clip_bottom: int | None = None) -> None:
    """Composite ``spr`` onto ``dst`` (H, W, 3) uint8 in place with its top-left at (x, y); off-frame parts are
    clipped, and so is everything at or below row ``clip_bottom`` (a desk in front of the host)."""
    H, W = dst.shape[:2]
    bottom = H if clip_bottom is None else min(H, clip_bottom)
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + spr.w, W), min(y + spr.h, bottom)
    if x0 >= x1 or y0 >= y1:
        return
    sy, sx = slice(y0 - y, y1 - y), slice(x0 - x, x1 - x)
    region = dst[y0:y1, x0:x1]
    tmp = cv2.multiply(region, spr.inv[sy, sx], scale=1 / 255.0)
    cv2.add(tmp, spr.rgb[sy, sx], dst=region)


def over_pm(dst: np.ndarray, pm: np.ndarray, x: int, y: int, clip_bottom: int | None = None) -> None:
    """``over`` for a premultiplied RGBA array made this frame (a warped head)."""
    H, W = dst.shape[:2]
    h, w = pm.shape[:2]
    bottom = H if clip_bottom is None else min(H, clip_bottom)
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, bottom)
    if x0 >= x1 or y0 >= y1:
        return
    part = pm[y0 - y:y1 - y, x0 - x:x1 - x]
    inv = cv2.cvtColor(255 - part[..., 3], cv2.COLOR_GRAY2RGB)
    region = dst[y0:y1, x0:x1]
    tmp = cv2.multiply(region, inv, scale=1 / 255.0)
    cv2.add(tmp, cv2.cvtColor(part, cv2.COLOR_RGBA2RGB), dst=region)


def blend_pm_into_pm(dst: np.ndarray, spr: Sprite, x: int, y: int) -> None:
    """Composite a sprite onto a premultiplied RGBA image in place (eyes and mouth onto the head before it turns)."""
    H, W = dst.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + spr.w, W), min(y + spr.h, H)
    if x0 >= x1 or y0 >= y1:
        return
    sy, sx = slice(y0 - y, y1 - y), slice(x0 - x, x1 - x)
    region = dst[y0:y1, x0:x1]
    assert spr.pm4 is not None and spr.inv4 is not None, "make the sprite with from_premul(..., into_premul=True)"
    tmp = cv2.multiply(region, spr.inv4[sy, sx], scale=1 / 255.0)
    cv2.add(tmp, spr.pm4[sy, sx], dst=region)
