"""Face finding for photo hosts with OpenCV's Haar cascade files, evaluated in numpy.

OpenCV 5's Python wheels no longer ship ``cv2.CascadeClassifier`` nor the cascade data, so this module reads the
standard cascade XML (Debian's ``opencv-data`` package, or ``cv2.data`` where a build still bundles it) and runs the
boosted stump stages itself: integral images per scale, variance-normalised Haar features, early rejection of
windows stage by stage. Used once when a photo pack loads, never per frame. Where ``cv2.CascadeClassifier`` exists
it is used instead.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

CASCADE = "haarcascade_frontalface_default.xml"
CASCADE_DIRS = ("/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades",
                "/usr/local/share/opencv4/haarcascades")
MAX_SIDE = 480  # detection runs on a copy no larger than this: faces in a portrait are big
SCALE_STEP = 1.1
MIN_NEIGHBOURS = 3


def cascade_path() -> str | None:
    dirs = [getattr(getattr(cv2, "data", None), "haarcascades", "")] + list(CASCADE_DIRS)
    for d in dirs:
        if d and (Path(d) / CASCADE).is_file():
            return str(Path(d) / CASCADE)
    return None


@dataclass(frozen=True)
class _Stage:
    threshold: float
    feats: np.ndarray  # (n,) feature index per weak classifier
    thresh: np.ndarray  # (n,) node thresholds
    left: np.ndarray
    right: np.ndarray


@dataclass(frozen=True)
class Cascade:
    size: tuple[int, int]  # window (w, h)
    stages: list[_Stage]
    rects: list[list[tuple[int, int, int, int, float]]]  # per feature: (x, y, w, h, weight)


@functools.lru_cache(maxsize=2)
def load_cascade(path: str) -> Cascade:
    root = ET.parse(path).getroot().find("cascade")
    if root is None or root.findtext("stageType") != "BOOST" or root.findtext("featureType") != "HAAR":
        raise ValueError(f"{path}: not a boosted Haar cascade in OpenCV's current XML format")
    size = (int(root.findtext("width") or 0), int(root.findtext("height") or 0))
    stages = []
    for st in root.find("stages") or []:
        nodes = [list(map(float, (wc.findtext("internalNodes") or "").split())) for wc in st.find("weakClassifiers") or []]
        leaves = [list(map(float, (wc.findtext("leafValues") or "").split())) for wc in st.find("weakClassifiers") or []]
        if any(len(n) != 4 for n in nodes):
            raise ValueError(f"{path}: only stump (depth-1) cascades are supported")
        stages.append(_Stage(float(st.findtext("stageThreshold") or 0), np.array([int(n[2]) for n in nodes]),
                             np.array([n[3] for n in nodes]), np.array([lv[0] for lv in leaves]),
                             np.array([lv[1] for lv in leaves])))
    rects = []
    for f in root.find("features") or []:
        if (f.findtext("tilted") or "0").strip() == "1":
            raise ValueError(f"{path}: tilted Haar features are not supported")
        rs = []
        for r in f.find("rects") or []:
            v = (r.text or "").split()
            rs.append((int(v[0]), int(v[1]), int(v[2]), int(v[3]), float(v[4])))
        rects.append(rs)
    return Cascade(size, stages, rects)


def _windows_passing(c: Cascade, gray: np.ndarray, step: int) -> np.ndarray:
    """Top-left corners (N, 2) of windows at this image scale that pass every stage."""
    ii, sq = cv2.integral2(gray, sdepth=cv2.CV_64F)
    ww, wh = c.size
    h, w = gray.shape
    ys, xs = np.mgrid[0:h - wh:step, 0:w - ww:step]
    x, y = xs.ravel(), ys.ravel()

    def rect_sum(img: np.ndarray, x: np.ndarray, y: np.ndarray, rx: int, ry: int, rw: int, rh: int) -> np.ndarray:
        x0, y0 = x + rx, y + ry
        return img[y0 + rh, x0 + rw] - img[y0, x0 + rw] - img[y0 + rh, x0] + img[y0, x0]

    # OpenCV normalises by the window's contrast measured inside a one-pixel border
    area = (ww - 2) * (wh - 2)
    s = rect_sum(ii, x, y, 1, 1, ww - 2, wh - 2)
    s2 = rect_sum(sq, x, y, 1, 1, ww - 2, wh - 2)
    nf = area * s2 - s * s
    nf = np.where(nf > 0, np.sqrt(np.maximum(nf, 0)), 1.0)
    for st in c.stages:
        total = np.zeros(x.size)
        for fi, th, lv, rv in zip(st.feats, st.thresh, st.left, st.right, strict=True):
            val = sum(wt * rect_sum(ii, x, y, rx, ry, rw, rh) for rx, ry, rw, rh, wt in c.rects[fi])
            total += np.where(val < th * nf, lv, rv)
        keep = total >= st.threshold
        x, y, nf = x[keep], y[keep], nf[keep]
        if x.size == 0:
            break
    return np.stack([x, y], axis=1)


def detect_faces(rgb: np.ndarray, min_size: int = 40) -> list[tuple[int, int, int, int]]:
    """Faces (x, y, w, h) in ``rgb``, largest first; [] when there is none or no cascade data is installed."""
    path = cascade_path()
    if path is None:
        return []
    gray = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    if hasattr(cv2, "CascadeClassifier"):  # OpenCV 4 builds: the native detector
        found = cv2.CascadeClassifier(path).detectMultiScale(gray, SCALE_STEP, MIN_NEIGHBOURS,
                                                              minSize=(min_size, min_size))
        boxes = [(int(f[0]), int(f[1]), int(f[2]), int(f[3])) for f in found]
        return sorted(boxes, key=lambda f: -f[2] * f[3])
    c = load_cascade(path)
    k = min(1.0, MAX_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=k, fy=k, interpolation=cv2.INTER_AREA) if k < 1 else gray
    hits = []
    scale = max(1.0, min_size * k / c.size[0])
    while small.shape[0] / scale > c.size[1] + 2 and small.shape[1] / scale > c.size[0] + 2:
        img = cv2.resize(small, None, fx=1 / scale, fy=1 / scale, interpolation=cv2.INTER_LINEAR)
        for px, py in _windows_passing(c, img, 1 if scale < 2 else 2):
            hits.append((px * scale / k, py * scale / k, c.size[0] * scale / k))
        scale *= SCALE_STEP
    return _group(hits)


def _group(hits: list[tuple[float, float, float]]) -> list[tuple[int, int, int, int]]:
    """Merge overlapping detections; keep clusters with enough neighbours (as OpenCV's groupRectangles does)."""
    clusters: list[list[tuple[float, float, float]]] = []
    for h in hits:
        for cl in clusters:
            cx, cy, cs = (float(np.mean([v[i] for v in cl])) for i in range(3))
            if abs(h[0] - cx) <= 0.2 * cs and abs(h[1] - cy) <= 0.2 * cs and abs(h[2] - cs) <= 0.2 * cs:
                cl.append(h)
                break
        else:
            clusters.append([h])
    faces = []
    for cl in clusters:
        if len(cl) >= MIN_NEIGHBOURS:
            x, y, s = (float(np.mean([v[i] for v in cl])) for i in range(3))
            faces.append((int(round(x)), int(round(y)), int(round(s)), int(round(s))))
    return sorted(faces, key=lambda f: -f[2] * f[3])
