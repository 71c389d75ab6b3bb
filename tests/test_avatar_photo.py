"""The photo host: a portrait whose lips and jaw are warped open, seamlessly, found by face detection or manifest."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from streamer.avatar import HostPose, Idle, load_host
from streamer.avatar.haar import cascade_path
from streamer.brief import load_brief
from streamer.errors import ConfigError
from streamer.scene import FrameState, SceneRenderer

LIPS = (240, 332)  # where the drawn lips meet, in portrait pixels


def draw_portrait(face: bool = True, w: int = 480, h: int = 600) -> np.ndarray:
    """A simple front-facing face: hair, skin, eyes, brows, nose, lips (RGB)."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (200, 215, 230)
    cv2.ellipse(img, (w // 2, h + 60), (220, 160), 0, 180, 360, (70, 90, 140), -1, cv2.LINE_AA)
    if face:
        cx, cy = w // 2, 252
        cv2.ellipse(img, (cx, cy - 20), (150, 175), 0, 0, 360, (60, 40, 30), -1, cv2.LINE_AA)
        cv2.rectangle(img, (cx - 45, cy + 120), (cx + 45, h - 80), (225, 180, 150), -1)
        cv2.ellipse(img, (cx, cy), (118, 150), 0, 0, 360, (235, 195, 165), -1, cv2.LINE_AA)
        for s in (-1, 1):
            ex = cx + s * 45
            cv2.ellipse(img, (ex, cy - 25), (24, 12), 0, 0, 360, (250, 250, 250), -1, cv2.LINE_AA)
            cv2.circle(img, (ex, cy - 25), 10, (70, 45, 30), -1, cv2.LINE_AA)
            cv2.circle(img, (ex, cy - 25), 4, (10, 10, 10), -1, cv2.LINE_AA)
            cv2.ellipse(img, (ex, cy - 55), (30, 8), 0, 200, 340, (60, 40, 30), 5, cv2.LINE_AA)
        cv2.line(img, (cx, cy - 10), (cx - 8, cy + 35), (200, 150, 125), 3, cv2.LINE_AA)
        cv2.ellipse(img, (cx, cy + 40), (16, 6), 0, 0, 180, (200, 150, 125), 2, cv2.LINE_AA)
        cv2.ellipse(img, LIPS, (42, 13), 0, 0, 360, (185, 85, 95), -1, cv2.LINE_AA)
        cv2.line(img, (LIPS[0] - 40, LIPS[1]), (LIPS[0] + 40, LIPS[1]), (120, 45, 55), 2, cv2.LINE_AA)
    return cv2.GaussianBlur(img, (0, 0), 1.2)


def make_pack(root: Path, img: np.ndarray, mouth_box: dict | None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(root / "portrait.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    lines = ["format: 1", "kind: photo", "name: test-photo", "portrait: portrait.png"]
    if mouth_box:
        lines.append("mouth_box: {" + ", ".join(f"{k}: {v}" for k, v in mouth_box.items()) + "}")
    (root / "manifest.yaml").write_text("\n".join(lines) + "\n")
    return root


def render(host, mouth_open: float) -> np.ndarray:
    frame = np.full((host.size[1], host.size[0], 3), 128, np.uint8)
    host.draw(frame, 0, 0, HostPose(np.array([mouth_open, 1, 0, 0, 0], np.float32), idle=Idle(0, 0, 0, 0)))
    return frame


@pytest.fixture
def manifest_pack(tmp_path: Path) -> Path:
    return make_pack(tmp_path / "p", draw_portrait(), {"x": 198, "y": 319, "w": 84, "h": 26})


def dark_pixels(frame: np.ndarray, box: tuple[int, int, int, int]) -> int:
    x, y, w, h = box
    roi = frame[y:y + h, x:x + w].astype(int)
    return int((roi.sum(axis=2) < 200).sum())


def test_opening_the_mouth_shows_a_dark_inner_mouth(manifest_pack: Path) -> None:
    host = load_host(str(manifest_pack), 600)
    box = (LIPS[0] - 45, LIPS[1] - 20, 90, 60)
    assert dark_pixels(render(host, 0.8), box) > dark_pixels(render(host, 0.0), box) + 400


def test_the_warp_has_no_visible_box_edge(manifest_pack: Path) -> None:
    host = load_host(str(manifest_pack), 600)
    diff = np.abs(render(host, 0.9).astype(int) - render(host, 0.0).astype(int)).sum(axis=2)
    x0, y0, x1, y1 = host.roi
    outside = diff.copy()
    outside[y0:y1, x0:x1] = 0
    assert outside.max() == 0, "pixels changed outside the mouth region"
    border = np.concatenate([diff[y0, x0:x1], diff[y1 - 1, x0:x1], diff[y0:y1, x0], diff[y0:y1, x1 - 1]])
    assert border.max() <= 6, "the warped region ends in a visible edge"
    assert diff.max() > 100, "the mouth did not move"


def test_far_from_the_mouth_the_face_is_untouched(manifest_pack: Path) -> None:
    host = load_host(str(manifest_pack), 600)
    eyes = (slice(210, 245), slice(180, 300))
    assert np.array_equal(render(host, 0.9)[eyes], render(host, 0.0)[eyes])


@pytest.mark.skipif(cascade_path() is None, reason="OpenCV Haar cascade data not installed (Debian: opencv-data)")
def test_face_detection_finds_the_lips_of_a_drawn_face(tmp_path: Path) -> None:
    host = load_host(str(make_pack(tmp_path / "auto", draw_portrait(), None)), 600)
    x, y, w, h = host.mouth_box
    assert abs(x + w / 2 - LIPS[0]) < 10 and abs(y + h / 2 - LIPS[1]) < 6


@pytest.mark.skipif(cascade_path() is None, reason="OpenCV Haar cascade data not installed (Debian: opencv-data)")
def test_a_portrait_without_a_face_or_mouth_box_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no face found"):
        load_host(str(make_pack(tmp_path / "noface", draw_portrait(face=False), None)), 600)


def test_a_mouth_box_outside_the_picture_is_refused(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "bad", draw_portrait(), {"x": 450, "y": 580, "w": 84, "h": 26})
    with pytest.raises(ConfigError, match="mouth_box .* outside"):
        load_host(str(pack), 600)


def test_the_scene_renders_a_photo_host(manifest_pack: Path) -> None:
    brief = load_brief("assets/briefs/demo_en.yaml")
    r = SceneRenderer(brief, (640, 360), 30, avatar=str(manifest_pack))
    assert r.render(FrameState(0, 0.0, None, brief.products[0])).shape == (360, 640, 3)
