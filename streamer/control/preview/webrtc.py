"""WebRTC preview (aiortc): a video track fed from the preview hub, one peer connection per viewer.

Signalling is one HTTP round trip (the browser posts a complete offer, gets a complete answer). The preview is
what the worker already sends for the MJPEG fallback, decoded once per frame off the event loop; pts are wall time
since the track started (90 kHz), because preview frames arrive at an uneven rate. Audio is not previewed here:
the stream itself, at full rate with its sound, is played through WHEP (``whep``, kept here as ``whep``).
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import time

import av
import cv2
import numpy as np

from .hub import PreviewFrame, PreviewHub
from .whep import WhepViewers

log = logging.getLogger(__name__)

VIDEO_CLOCK_HZ = 90_000
IDLE_REPEAT_S = 0.5  # resend the last frame this often when none come, so the browser keeps the picture
MAX_PEERS = 32


def _decode(jpeg: bytes) -> np.ndarray:
    bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("preview frame is not a JPEG")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _track_class() -> type:
    from aiortc import MediaStreamTrack
    from aiortc.mediastreams import MediaStreamError

    class PreviewTrack(MediaStreamTrack):
        kind = "video"

        def __init__(self, hub: PreviewHub, stream_id: str) -> None:
            super().__init__()
            self.hub = hub
            self.stream_id = stream_id
            self._start = time.monotonic()
            self._last: PreviewFrame | None = None
            self._image: np.ndarray | None = None

        async def recv(self) -> av.VideoFrame:
            if self.readyState != "live":
                raise MediaStreamError
            frame = await self.hub.next(self.stream_id, self._last, IDLE_REPEAT_S)
            if self.hub.closed:
                self.stop()
                raise MediaStreamError
            if frame is not None and frame is not self._last:
                self._last = frame
                self._image = await asyncio.to_thread(_decode, frame.jpeg)
            if self._image is None:  # nothing yet: a black frame keeps the connection alive
                self._image = np.zeros((180, 320, 3), np.uint8)
            out = av.VideoFrame.from_ndarray(self._image, format="rgb24")
            out.pts = int((time.monotonic() - self._start) * VIDEO_CLOCK_HZ)
            out.time_base = fractions.Fraction(1, VIDEO_CLOCK_HZ)
            return out

    return PreviewTrack


class WebRTCPreviews:
    def __init__(self, hub: PreviewHub) -> None:
        self.hub = hub
        self._peers: set = set()
        self.whep = WhepViewers()

    @property
    def peers(self) -> int:
        return len(self._peers)

    async def answer(self, stream_id: str, sdp: str, kind: str) -> dict[str, str]:
        from aiortc import RTCPeerConnection, RTCSessionDescription

        if len(self._peers) >= MAX_PEERS:
            raise RuntimeError(f"at most {MAX_PEERS} WebRTC previews at once; use the MJPEG preview")
        pc = RTCPeerConnection()
        self._peers.add(pc)

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self._drop(pc)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
            pc.addTrack(_track_class()(self.hub, stream_id))
            await pc.setLocalDescription(await pc.createAnswer())  # gathers candidates: the answer is complete
        except Exception:
            await self._drop(pc)
            raise
        return {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}

    async def _drop(self, pc: object) -> None:
        if pc in self._peers:
            self._peers.discard(pc)
            await pc.close()  # type: ignore[attr-defined]

    async def close(self) -> None:
        await asyncio.gather(*(self._drop(pc) for pc in list(self._peers)), return_exceptions=True)
        await self.whep.close()
