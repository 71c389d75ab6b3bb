"""Test helper: a reference video of a drawn face (the portrait tests/test_avatar_photo.py draws, which OpenCV's Haar
cascade detects), moving and scaling slightly from frame to frame as a presenter does, encoded as H.264 with PyAV.

``face_poses`` says where the face is in every frame, so tests can check what a tracker found against the truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from test_avatar_photo import LIPS, draw_portrait

PORTRAIT = (640, 480)  # the canvas (w, h): the drawn 480 px wide portrait with room at each side
SIDE_PX = 80
FACE_CENTRE = (240 + SIDE_PX, 252)  # where draw_portrait puts the face, in canvas pixels
FACE_AXES = (118, 150)  # the face ellipse's half width and half height
EYES = ((195 + SIDE_PX, 227), (285 + SIDE_PX, 227))
PORTRAIT_LIPS = (LIPS[0] + SIDE_PX, LIPS[1])
BACKGROUND = (200, 215, 230)
BASE_SCALE = 0.78  # portrait pixels to video pixels for a 360 px tall video: the detector finds this face reliably


@dataclass(frozen=True)
class FacePose:
    """Where frame i shows the portrait: video = portrait * scale + (dx, dy)."""

    scale: float
    dx: float
    dy: float

    def point(self, xy: tuple[float, float]) -> tuple[float, float]:
        return xy[0] * self.scale + self.dx, xy[1] * self.scale + self.dy

    @property
    def centre(self) -> tuple[float, float]:
        return self.point(FACE_CENTRE)

    @property
    def lips(self) -> tuple[float, float]:
        return self.point(PORTRAIT_LIPS)

    @property
    def eyes(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return self.point(EYES[0]), self.point(EYES[1])

    @property
    def face_height(self) -> float:
        return 2 * FACE_AXES[1] * self.scale


def face_poses(n: int, fps: float, size: tuple[int, int]) -> list[FacePose]:
    """The pose of each of ``n`` frames: the face centred a little above the middle, swaying a few pixels and
    growing and shrinking by a few percent over a couple of seconds."""
    w, h = size
    base = BASE_SCALE * h / 360
    poses = []
    for i in range(n):
        t = i / fps
        scale = base * (1 + 0.03 * math.sin(2 * math.pi * t / 1.7))
        cx = w / 2 + 0.025 * h * math.sin(2 * math.pi * t / 2.3)
        cy = 0.48 * h + 0.012 * h * math.sin(2 * math.pi * t / 1.9 + 1.0)
        poses.append(FacePose(scale, cx - FACE_CENTRE[0] * scale, cy - FACE_CENTRE[1] * scale))
    return poses


def draw_frame(portrait: np.ndarray, pose: FacePose, size: tuple[int, int]) -> np.ndarray:
    m = np.float32([[pose.scale, 0, pose.dx], [0, pose.scale, pose.dy]])
    return cv2.warpAffine(portrait, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def write_face_video(path: Path, seconds: float = 2.0, fps: int = 25, size: tuple[int, int] = (480, 360),
                     face: bool = True) -> Path:
    """An H.264 MP4 of ``seconds`` at ``fps`` of the drawn face (``face=False``: the same scene with nobody)."""
    drawn = draw_portrait(face=face, w=PORTRAIT[0] - 2 * SIDE_PX, h=PORTRAIT[1])
    portrait = cv2.copyMakeBorder(drawn, 0, 0, SIDE_PX, SIDE_PX, cv2.BORDER_CONSTANT, value=BACKGROUND)
    n = max(1, int(round(seconds * fps)))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "18", "preset": "veryfast"}
        for pose in face_poses(n, fps, size):
            frame = av.VideoFrame.from_ndarray(draw_frame(portrait, pose, size), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def decode_frames(path: Path) -> np.ndarray:
    """Every frame of a video as (N, h, w, 3) uint8 RGB, decoded independently of the code under test."""
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
