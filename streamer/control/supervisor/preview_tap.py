"""The worker's frame tap for the panel preview: every few frames, downscale and JPEG-encode, then send.

Runs in the session's encode thread, so it must be cheap: one resize and one JPEG of a small frame, a few times a
second. Sending never blocks (the outbox drops previews when the link is behind). The WebRTC viewers get the
full-rate encoded stream instead, from a feed output beside the worker's socket (``feed_path``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from .protocol import Preview

JPEG_QUALITY = 70


class PreviewTap:
    def __init__(self, fps: int, preview_fps: float, max_width: int, send: Callable[[Preview, bytes], None],
                 on_first_frame: Callable[[], None]) -> None:
        self.every = max(1, round(fps / preview_fps))
        self.max_width = max_width
        self._send = send
        self._on_first_frame = on_first_frame
        self._first = True

    def __call__(self, k: int, rgb: np.ndarray, pcm: np.ndarray) -> None:
        if self._first:
            self._first = False
            self._on_first_frame()
        if k % self.every:
            return
        h, w = rgb.shape[:2]
        if w > self.max_width:
            rgb = cv2.resize(rgb, (self.max_width, round(h * self.max_width / w) // 2 * 2),
                             interpolation=cv2.INTER_AREA)
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if ok:
            self._send(Preview(k=k), jpeg.tobytes())


def feed_path(worker_socket: Path) -> Path:
    """Where a worker serves its encoded stream to the service's WebRTC viewers (media/feed.py): beside its link
    socket, under a suffix the service's adoption does not take for a worker's (``*.sock``)."""
    return worker_socket.with_suffix(".feed")
