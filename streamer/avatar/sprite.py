"""The layered 2D host: loads a sprite pack at the output scale once, then composites one frame in about a millisecond.

Body layers move with breathing (sub-pixel, from pre-shifted copies); head layers turn and sway around the neck
pivot with one small warp each; eyes and mouth are pasted into a copy of the head before it turns, so they move
with it exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import ConfigError
from .blend import Sprite, blend_pm_into_pm, from_premul, over, over_pm, place
from .host import HostFrame, HostPose
from .pack import Manifest, load_image, same_size

SUBPIXEL = 4  # breathing moves body layers in quarter pixels
HEAD_PAD = 16  # room around a turning head, pixels
# how much each mouth parameter matters when picking the nearest sprite (open, width, round, press, fv)
MOUTH_WEIGHTS = np.array([3.0, 4.0, 1.5, 2.5, 2.5], np.float32)


@dataclass
class _BodyLayer:
    variants: list[Sprite]  # one per quarter-pixel vertical phase
    x: int
    y: int


@dataclass
class _HeadLayer:
    pm: np.ndarray  # premultiplied RGBA at output scale
    x: int
    y: int


def _body_layer(rgba: np.ndarray, at: tuple[float, float], scale: float) -> _BodyLayer:
    variants = []
    x = y = 0
    for k in range(SUBPIXEL):
        pm, x_k, y_k = place(rgba, at, scale, shift=(0.0, k / SUBPIXEL))
        if k == 0:
            x, y = x_k, y_k
        # every phase shares one origin, so a shift that crossed a pixel boundary lands one row lower
        pad = y_k - y
        if pad:
            pm = np.pad(pm, ((pad, 0), (0, 0), (0, 0)))
        variants.append(from_premul(pm))
    return _BodyLayer(variants, x, y)


class SpriteHost:
    """A ``Host`` drawn from a sprite pack scaled so that its canvas is ``height`` pixels tall."""

    def __init__(self, pack_dir: Path, m: Manifest, height: int) -> None:
        assert m.canvas and m.anchor and m.head and m.mouth and m.eyes
        self.name = m.name
        self.motion = m.motion
        self.gestures = m.gestures
        s = height / m.canvas[1]
        self.scale = s
        self.size = (int(round(m.canvas[0] * s)), int(round(m.canvas[1] * s)))
        self.anchor = (m.anchor[0] * s, m.anchor[1] * s)
        self.pivot = (m.head.pivot[0] * s, m.head.pivot[1] * s)
        self._order: list[tuple[str, object]] = []
        head_rgba: dict[str, tuple[np.ndarray, tuple[int, int]]] = {}
        for spec in m.layers:
            rgba = load_image(pack_dir, spec.file, f"layer {spec.name!r}")
            self._check_fits(pack_dir, m, spec.file, rgba, spec.at)
            if spec.follows == "head":
                pm, x, y = place(rgba, spec.at, s)
                self._order.append(("head", _HeadLayer(pm, x, y)))
                head_rgba[spec.name] = (rgba, spec.at)
            else:
                kind = "slot" if spec.gesture_slot else "body"
                self._order.append((kind, _body_layer(rgba, spec.at, s)))
        self._face_index = next(i for i, (k, layer) in enumerate(self._order)
                                if k == "head" and m.layers[i].name == m.head.layer)
        face = self._order[self._face_index][1]
        assert isinstance(face, _HeadLayer)
        self._mouths, self._mouth_params, self._mouth_names = self._load_mouths(pack_dir, m, face)
        spr, mx, my = self._mouths[0]
        ys, xs = np.nonzero(spr.alpha >= 250)  # the sprite's unfeathered core is the mouth itself
        self.mouth_rect = (face.x + mx + int(xs.min()), face.y + my + int(ys.min()),
                           int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
        self._eyes = self._load_eyes(pack_dir, m, face)
        self._gesture_frames = {
            name: [_body_layer(load_image(pack_dir, f.file, f"gesture {name!r} frame"), f.at, s) for f in g.frames]
            for name, g in m.gestures.items()}

    # -- loading ------------------------------------------------------------------------------------------------
    @staticmethod
    def _check_fits(pack_dir: Path, m: Manifest, file: str, rgba: np.ndarray, at: tuple[int, int]) -> None:
        assert m.canvas
        h, w = rgba.shape[:2]
        if at[0] < 0 or at[1] < 0 or at[0] + w > m.canvas[0] or at[1] + h > m.canvas[1]:
            raise ConfigError(f"avatar pack {pack_dir}: {file} is {w}x{h} at {list(at)}, which does not fit the "
                              f"{m.canvas[0]}x{m.canvas[1]} canvas")

    def _relative(self, rgba: np.ndarray, at: tuple[int, int], face: _HeadLayer) -> tuple[Sprite, int, int]:
        # placed on the same pixel grid as the face, then expressed relative to the face image
        pm, x, y = place(rgba, at, self.scale)
        return from_premul(pm, into_premul=True), x - face.x, y - face.y

    def _load_mouths(self, pack_dir: Path, m: Manifest, face: _HeadLayer
                     ) -> tuple[list[tuple[Sprite, int, int]], np.ndarray, list[str]]:
        assert m.mouth
        imgs = {name: load_image(pack_dir, v.file, f"viseme {name!r}") for name, v in m.mouth.visemes.items()}
        same_size(pack_dir, imgs, "mouth")
        sprites, params, names = [], [], []
        for name, v in m.mouth.visemes.items():
            self._check_fits(pack_dir, m, v.file, imgs[name], m.mouth.at)
            sprites.append(self._relative(imgs[name], m.mouth.at, face))
            params.append((v.open, v.width, v.round, v.press, v.fv))
            names.append(name)
        return sprites, np.array(params, np.float32), names

    def _load_eyes(self, pack_dir: Path, m: Manifest, face: _HeadLayer) -> dict[str, tuple[Sprite, int, int]]:
        assert m.eyes
        imgs = {str(name): load_image(pack_dir, f, f"eyes {name!r}") for name, f in m.eyes.frames.items()}
        if imgs:
            same_size(pack_dir, imgs, "eyes")
        return {name: self._relative(img, m.eyes.at, face) for name, img in imgs.items()}

    # -- per frame ----------------------------------------------------------------------------------------------
    def mouth_name(self, params: np.ndarray) -> str:
        return self._mouth_names[self._nearest(params)]

    def _nearest(self, params: np.ndarray) -> int:
        d = ((self._mouth_params - params[None, :]) * MOUTH_WEIGHTS) ** 2
        return int(np.argmin(d.sum(axis=1)))

    def prepare(self, frames: Sequence[HostFrame]) -> None:
        """Nothing to do ahead: the scene computes the mouth shapes of the window for a drawn host."""

    def draw(self, frame: np.ndarray, x: int, y: int, pose: HostPose, clip_bottom: int | None = None) -> None:
        idle = pose.idle
        s = self.scale
        body_dy = idle.breath_dy * s
        by = math.floor(body_dy)
        phase = min(int((body_dy - by) * SUBPIXEL), SUBPIXEL - 1)
        head_m = self._head_matrix(idle.head_deg, idle.head_dx * s, (idle.breath_dy + idle.head_dy) * s)
        for i, (kind, layer) in enumerate(self._order):
            if kind == "head":
                assert isinstance(layer, _HeadLayer)
                pm = self._face(layer, pose) if i == self._face_index else layer.pm
                self._draw_head(frame, x, y, layer, pm, head_m, clip_bottom)
                continue
            assert isinstance(layer, _BodyLayer)
            if kind == "slot" and pose.gesture is not None:
                name, k = pose.gesture
                layer = self._gesture_frames[name][k]
            over(frame, layer.variants[phase], x + layer.x, y + layer.y + by, clip_bottom)

    def _face(self, face: _HeadLayer, pose: HostPose) -> np.ndarray:
        img = face.pm.copy()
        eyes = self._eyes.get(pose.eyes)
        if eyes is not None:
            blend_pm_into_pm(img, *eyes)
        blend_pm_into_pm(img, *self._mouths[self._nearest(pose.mouth)])
        return img

    def _head_matrix(self, deg: float, dx: float, dy: float) -> np.ndarray:
        """Affine map from host-box pixels to host-box pixels: turn about the neck pivot, then move."""
        a = math.radians(deg)
        c, s_ = math.cos(a), math.sin(a)
        px, py = self.pivot
        rot = np.array([[c, s_], [-s_, c]])
        t = np.array([px + dx, py + dy]) - rot @ np.array([px, py])
        return np.hstack([rot, t[:, None]])

    def _draw_head(self, frame: np.ndarray, x: int, y: int, layer: _HeadLayer, pm: np.ndarray, m: np.ndarray,
                   clip_bottom: int | None) -> None:
        h, w = pm.shape[:2]
        # where the layer's origin lands, rounded down, leaves a sub-pixel remainder that the warp carries
        ox = math.floor(m[0, 0] * layer.x + m[0, 1] * layer.y + m[0, 2]) - HEAD_PAD
        oy = math.floor(m[1, 0] * layer.x + m[1, 1] * layer.y + m[1, 2]) - HEAD_PAD
        local = m.copy()
        local[:, 2] = m[:, :2] @ np.array([layer.x, layer.y]) + m[:, 2] - np.array([ox, oy])
        out = cv2.warpAffine(pm, local, (w + 2 * HEAD_PAD, h + 2 * HEAD_PAD), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT)
        over_pm(frame, out, x + ox, y + oy, clip_bottom)
