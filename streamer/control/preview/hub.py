"""The latest preview JPEG of every live stream, with waiters, for MJPEG, WebSocket-JPEG and WebRTC viewers.

Only the newest frame is kept: a slow viewer skips frames instead of building a backlog. ``put`` is synchronous
(it is called from the supervisor's message callback); waiters sleep on a per-stream event that is swapped for a
fresh one on every frame.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass(slots=True)
class PreviewFrame:
    k: int
    jpeg: bytes
    at: float = field(default_factory=time.monotonic)


class PreviewHub:
    def __init__(self) -> None:
        self._frames: dict[str, PreviewFrame] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self.received = 0
        self.closed = False

    def _event(self, stream_id: str) -> asyncio.Event:
        ev = self._wake.get(stream_id)
        if ev is None:
            ev = self._wake[stream_id] = asyncio.Event()
        return ev

    def put(self, stream_id: str, k: int, jpeg: bytes) -> None:
        self._frames[stream_id] = PreviewFrame(k, jpeg)
        self.received += 1
        old = self._event(stream_id)
        self._wake[stream_id] = asyncio.Event()
        old.set()

    def latest(self, stream_id: str) -> PreviewFrame | None:
        return self._frames.get(stream_id)

    async def next(self, stream_id: str, after: PreviewFrame | None, timeout_s: float = 5.0) -> PreviewFrame | None:
        """The first frame other than ``after`` (the latest at once when None); None on timeout or shutdown."""
        while not self.closed:
            frame = self._frames.get(stream_id)
            if frame is not None and frame is not after:
                return frame
            try:
                await asyncio.wait_for(self._event(stream_id).wait(), timeout_s)
            except TimeoutError:
                return None
        return None

    def drop(self, stream_id: str) -> None:
        self._frames.pop(stream_id, None)

    def close(self) -> None:
        self.closed = True
        for ev in self._wake.values():
            ev.set()
