"""Face tracking for neural packs: where the face is in every frame of a reference video, and the square crop each
lip-sync model repaints.

The repo's Haar detector (``avatar/haar.py``) runs in numpy and takes most of a second on a full frame, so it runs on
a few frames per second only: the first on the whole frame, the rest inside a window around the last face found, with
a full-frame retry when the face is lost. Boxes between detections are interpolated, then smoothed over time so the
crop never jitters (a jittering crop shows as a shaking mouth once the model's output is pasted back).

The crop per model follows what its authors cut: Wav2Lip's inference takes the detector's box padded downward so the
chin is in (its ``--pads 0 10 0 0``); MuseTalk 1.5 centres the crop on the nose with the chin-to-nose distance above
and below, plus ``extra_margin`` (10 px) at the bottom. A Haar box spans from the forehead to just under the lips,
so both become a square a little taller than the box, reaching below the chin; each is then kept inside the frame.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from ...errors import ConfigError
from ..haar import cascade_path, detect_faces

log = logging.getLogger(__name__)

DETECTIONS_PER_S = 4.0
MAX_DETECTIONS = 80  # a long video is sampled more sparsely: each detection takes most of a second
SEARCH_MARGIN = 0.25  # of the face width: the window around the last face searched in the next detection
MIN_FOUND = 0.7  # of the sampled frames must show a face
MAX_GAP_S = 1.0  # nor may the face be missing for longer than this
CENTRE_SMOOTH_S = 0.12  # Gaussian sigma of the face centre over time
SIZE_SMOOTH_S = 0.4  # the Haar box's size jitters more than its position: smooth it harder


@dataclass(frozen=True)
class CropSpec:
    """A model's square crop in units of the Haar box height, measured from the box top."""

    top: float
    bottom: float


CROPS = {
    "wav2lip": CropSpec(top=0.0, bottom=1.28),  # box top to below the chin (Wav2Lip's downward pad)
    "musetalk": CropSpec(top=0.04, bottom=1.32),  # nose-centred half-face distance each way + extra_margin
}


@dataclass(frozen=True)
class FaceTrack:
    """Smoothed face boxes, one per frame: (N, 4) float x, y, w, h; and how many sampled frames showed a face."""

    boxes: np.ndarray
    sampled: int
    found: int


Frames = Callable[[int], np.ndarray]  # frame index -> (h, w, 3) uint8 RGB


def track_faces(frame_at: Frames, n: int, fps: float, size: tuple[int, int], min_face: int,
                source: str) -> FaceTrack:
    """Find the face in ``n`` frames (read through ``frame_at``), ConfigError when most frames show none or the face
    is smaller than ``min_face`` pixels."""
    if cascade_path() is None:
        raise ConfigError(f"{source}: cannot look for the face: OpenCV's face detector data is not installed "
                          "(Debian: apt-get install opencv-data)")
    step = max(1, int(round(fps / DETECTIONS_PER_S)), -(-n // MAX_DETECTIONS))
    samples = sorted(set(range(0, n, step)) | {n - 1})
    raw: dict[int, tuple[float, float, float, float]] = {}
    last: tuple[float, float, float, float] | None = None
    missed = 0
    for i in samples:
        face = _detect(frame_at(i), last, min(size) // 10)
        if face is not None:
            raw[i] = last = face
        else:
            missed += 1
            if missed > (1 - MIN_FOUND) * len(samples):  # the verdict is in: stop paying for detections
                break
    _check_found(raw, samples, fps, source)
    widths = np.array([f[2] for f in raw.values()])
    if float(np.median(widths)) < min_face:
        raise ConfigError(f"{source}: the face is too small ({int(np.median(widths))} px wide; this model needs at "
                          f"least {min_face} px): use a closer or higher-resolution video")
    boxes = _smooth(_interpolate(raw, n), fps)
    return FaceTrack(boxes, len(samples), len(raw))


def _detect(rgb: np.ndarray, last: tuple[float, float, float, float] | None,
            min_size: int) -> tuple[float, float, float, float] | None:
    """The face nearest the last one (searched around it first), else the largest in the frame."""
    if last is not None:
        x, y, w, h = last
        m = SEARCH_MARGIN * w
        H, W = rgb.shape[:2]
        x0, y0 = int(max(0, x - m)), int(max(0, y - m))
        x1, y1 = int(min(W, x + w + m)), int(min(H, y + h + m))
        near = detect_faces(np.ascontiguousarray(rgb[y0:y1, x0:x1]), min_size=max(min_size, int(0.75 * w)))
        fits = [f for f in near if 0.7 * w <= f[2] <= 1.4 * w]
        if fits:
            cx, cy = x + w / 2, y + h / 2
            fx, fy, fw, fh = min(fits, key=lambda f: abs(x0 + f[0] + f[2] / 2 - cx) + abs(y0 + f[1] + f[3] / 2 - cy))
            return float(x0 + fx), float(y0 + fy), float(fw), float(fh)
    # the cascade's hits depend on where its scale grid falls: a second grid finds faces the first missed
    for grid in (min_size, int(min_size * 1.6)):
        found = detect_faces(rgb, min_size=grid)
        if found:
            fx, fy, fw, fh = found[0]
            return float(fx), float(fy), float(fw), float(fh)
    return None


def _check_found(raw: dict[int, tuple[float, float, float, float]], samples: list[int], fps: float,
                 source: str) -> None:
    if not raw:
        raise ConfigError(f"{source}: no face found; use a video of one front-facing, evenly lit face")
    if len(raw) < MIN_FOUND * len(samples):
        raise ConfigError(f"{source}: no face in most frames (found in {len(raw)} of {len(samples)} sampled "
                          f"frames, {MIN_FOUND:.0%} needed); use a video where one front-facing face stays in view")
    missing_from: int | None = None
    for i in samples:
        if i not in raw and missing_from is None:
            missing_from = i
        if i in raw and missing_from is not None:
            if (i - missing_from) / fps > MAX_GAP_S:
                raise ConfigError(f"{source}: no face from {missing_from / fps:.1f} s to {i / fps:.1f} s; use a "
                                  "video where the face stays in view")
            missing_from = None
    if missing_from is not None and (samples[-1] - missing_from) / fps > MAX_GAP_S:
        raise ConfigError(f"{source}: no face from {missing_from / fps:.1f} s to the end; use a video where the face "
                          "stays in view")


def _interpolate(raw: dict[int, tuple[float, float, float, float]], n: int) -> np.ndarray:
    """(n, 3) centre x, centre y, box side per frame, linear between detections, held beyond the first and last."""
    idx = np.array(sorted(raw), dtype=np.float64)
    vals = np.array([[x + w / 2, y + h / 2, (w + h) / 2] for x, y, w, h in (raw[int(i)] for i in idx)])
    t = np.arange(n, dtype=np.float64)
    return np.stack([np.interp(t, idx, vals[:, k]) for k in range(3)], axis=1)


def _gaussian(v: np.ndarray, sigma: float) -> np.ndarray:
    if sigma < 0.5 or len(v) < 2:
        return v
    r = int(3 * sigma)
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    padded = np.pad(v, r, mode="edge")
    return np.convolve(padded, k / k.sum(), mode="valid")


def _smooth(cxcys: np.ndarray, fps: float) -> np.ndarray:
    cx = _gaussian(cxcys[:, 0], CENTRE_SMOOTH_S * fps)
    cy = _gaussian(cxcys[:, 1], CENTRE_SMOOTH_S * fps)
    side = _gaussian(cxcys[:, 2], SIZE_SMOOTH_S * fps)
    return np.stack([cx - side / 2, cy - side / 2, side, side], axis=1)


def crop_boxes(track: FaceTrack, model: str, size: tuple[int, int]) -> np.ndarray:
    """(N, 4) int32 x0, y0, x1, y1: the model's square crop around each frame's face, inside the ``size`` frame."""
    spec = CROPS[model]
    W, H = size
    x, y, w, h = (track.boxes[:, k] for k in range(4))
    side = np.minimum(np.round((spec.bottom - spec.top) * h), min(W, H)).astype(np.int64)
    x0 = np.round(x + w / 2 - side / 2).astype(np.int64)
    y0 = np.round(y + spec.top * h).astype(np.int64)
    x0 = np.clip(x0, 0, W - side)
    y0 = np.clip(y0, 0, H - side)
    return np.stack([x0, y0, x0 + side, y0 + side], axis=1).astype(np.int32)


def cut_crop(rgb: np.ndarray, box: np.ndarray, face_size: int) -> np.ndarray:
    """The box's pixels resized to the model's ``face_size`` square."""
    x0, y0, x1, y1 = (int(v) for v in box)
    patch = rgb[y0:y1, x0:x1]
    interp = cv2.INTER_AREA if x1 - x0 > face_size else cv2.INTER_LANCZOS4
    return cv2.resize(patch, (face_size, face_size), interpolation=interp)


def blend_mask(face_size: int) -> np.ndarray:
    """(S, S) float32: 1 over the mouth, jaw and chin, fading smoothly to exactly 0 well inside the crop border, so
    a repainted crop pasted back leaves no seam. The upper face stays the source's (both models repaint the lower
    half: Wav2Lip's masked input, MuseTalk's upper_boundary_ratio 0.5)."""
    s = face_size
    core = np.zeros((s, s), np.float32)
    cv2.ellipse(core, (s // 2, int(0.72 * s)), (int(0.33 * s), int(0.19 * s)), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    soft = cv2.GaussianBlur(core, (0, 0), 0.06 * s)
    soft = np.clip(soft / max(float(soft.max()), 1e-6), 0.0, 1.0)
    # exact zeros above the nose (0.42 S) and near every edge (4 % of S), smoothstep ramps up from there
    pos = np.arange(s) / s
    edge = _smoothstep((np.minimum(pos, pos[::-1]) - 0.04) / 0.08)
    below_nose = _smoothstep((pos - 0.42) / 0.16)
    ramp = np.outer(edge * below_nose, edge)
    return (soft * ramp).astype(np.float32)


def find_lips(rgb: np.ndarray, face: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the lips in a face box: the largest patch redder than the skin around it (Otsu's threshold
    on redness) in the lower middle of the box; the usual Haar-box proportions when nothing stands out. Its centre
    is where the lips meet, which is what the photo host's mouth warp splits."""
    x, y, w, h = face
    H, W = rgb.shape[:2]
    guess = (int(x + 0.3 * w), int(y + 0.74 * h), max(1, int(0.4 * w)), max(1, int(0.12 * h)))
    x0, x1 = int(max(0, x + 0.2 * w)), int(min(W, x + 0.8 * w))
    y0, y1 = int(max(0, y + 0.55 * h)), int(min(H, y + 1.05 * h))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return guess
    band = rgb[y0:y1, x0:x1].astype(np.float32)
    red = cv2.GaussianBlur(band[..., 0] - 0.5 * (band[..., 1] + band[..., 2]), (0, 0), max(1.0, w / 150))
    lo, hi = float(red.min()), float(red.max())
    scaled = ((red - lo) * (255 / max(hi - lo, 1e-6))).astype(np.uint8)
    _, lips = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(lips)
    if count < 2 or float(red.max() - np.median(red)) < 8:
        return guess
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    bx, by, bw, bh = (int(stats[best, k]) for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH,
                                                     cv2.CC_STAT_HEIGHT))
    if not (0.15 * w <= bw <= 0.7 * w and 0.03 * h <= bh <= 0.3 * h):
        return guess
    return x0 + bx, y0 + by, bw, bh


def _smoothstep(v: np.ndarray) -> np.ndarray:
    v = np.clip(v, 0.0, 1.0)
    return v * v * (3 - 2 * v)
