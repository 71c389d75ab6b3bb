"""Media for WebRTC peers, timed on the session's clock: items due at ``anchor + media time``, and the aiortc track
that sends them.

Video and audio share one ``Anchor``: an item's due time is the anchor plus its media time (frame *k* at k/fps,
audio at its sample count), so a peer that sends each item when it is due sends the session's timing: the RTP
timestamps (from the media times) and the RTCP sender reports (from the send times) agree, and a receiver plays
audio and video in sync whatever the jitter of the packets' way here. The anchor trails the first item by
``latency_s`` (the jitter of the way, and the AAC encoder's packets trailing the video of the same instant by up to
two frames); an item later than ``reanchor_s`` past due (the source stalled) starts a new epoch, and so does a
source that restarted (``restart``). A track counts its pts on across epochs from its own start.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import time
from collections import deque
from dataclasses import dataclass

import av

from .opus import AUDIO_RATE

log = logging.getLogger(__name__)

VIDEO_RATE = 90_000  # H.264's RTP clock (Opus's is 48 kHz)
VIDEO_QUEUE = 90  # items a peer may trail by before it skips to the next keyframe (3 s at 30 fps)
AUDIO_QUEUE = 150  # 3 s of 20 ms packets
STALE_S = 1.0  # an item this far past due is dropped, not sent late (a peer whose connection came up late)
H264_AND_OPUS = {"video": {"video/h264", "video/rtx"}, "audio": {"audio/opus"}}  # what a peer is offered


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One packet for a peer, due at ``due`` (monotonic); ``pts`` in its RTP clock (90 kHz or 48 kHz), the media
    time of its epoch."""

    kind: str  # video | audio
    epoch: int
    anchor: float
    due: float
    pts: int
    data: bytes
    keyframe: bool


class Anchor:
    """Due times for one source's items (not thread-safe: one thread stamps them)."""

    def __init__(self, latency_s: float, reanchor_s: float) -> None:
        self.latency_s = latency_s
        self.reanchor_s = reanchor_s
        self.epoch = 0
        self._anchor: float | None = None

    def restart(self) -> None:
        """The source starts over (its media times restart): a new epoch from its next item."""
        self._anchor = None

    def item(self, kind: str, t: float, pts: int, data: bytes, keyframe: bool) -> MediaItem:
        now = time.monotonic()
        if self._anchor is None or self._anchor + t < now - self.reanchor_s:
            if self._anchor is not None:
                log.info("the media fell behind its clock; re-anchored")
            self.epoch += 1
            self._anchor = now + self.latency_s - t
        return MediaItem(kind, self.epoch, self._anchor, self._anchor + t, pts, data, keyframe)


def track_class() -> type:
    """The aiortc track class (aiortc is imported on first use)."""
    from aiortc import MediaStreamTrack
    from aiortc.mediastreams import MediaStreamError

    class FeedTrack(MediaStreamTrack):
        """One viewer's video or audio: the feed's items, each sent at its due time, with pts that count on across
        epochs (a worker restart) from this track's start."""

        def __init__(self, kind: str) -> None:
            super().__init__()
            self.kind = kind
            self.rate = VIDEO_RATE if kind == "video" else AUDIO_RATE
            self.time_base = fractions.Fraction(1, self.rate)
            self._items: deque[MediaItem] = deque()
            self._wake = asyncio.Event()
            self._need_key = kind == "video"
            self._t0 = time.monotonic()
            self._epoch = -1
            self._offset = 0
            self.sent = 0

        def offer(self, item: MediaItem) -> None:
            if len(self._items) >= (VIDEO_QUEUE if self.kind == "video" else AUDIO_QUEUE):
                if self.kind == "video":  # a video packet cannot be skipped alone: skip to the next keyframe
                    self._items.clear()
                    self._need_key = True
                else:
                    self._items.popleft()
            self._items.append(item)
            self._wake.set()

        async def recv(self) -> av.Packet:
            while True:
                if self.readyState != "live":
                    raise MediaStreamError
                if not self._items:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                item = self._items.popleft()
                if time.monotonic() - item.due > STALE_S or (self._need_key and not item.keyframe):
                    self._need_key = self.kind == "video"
                    continue
                self._need_key = False
                if item.epoch != self._epoch:
                    self._epoch = item.epoch
                    self._offset = round((item.anchor - self._t0) * self.rate)
                wait = item.due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                packet = av.Packet(item.data)
                packet.pts = packet.dts = self._offset + item.pts
                packet.time_base = self.time_base
                self.sent += 1
                return packet

        def stop(self) -> None:
            super().stop()
            self._wake.set()

    return FeedTrack
