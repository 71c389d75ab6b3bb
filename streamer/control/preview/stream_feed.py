"""One live stream's encoded media for its WebRTC viewers: read from the worker's feed (media/feed.py), timed on one
anchor, and handed to every viewer's tracks.

The worker sends its session's H.264 packets (frame index *k*, time base 1/fps) and AAC packets (sample counts), as
its encoder produced them; this turns the AAC into Opus once for all viewers (media/opus.py) and stamps every item
with the moment it is due on one anchor for video and audio alike (media/rtc_media.py), so every viewer's peer
sends the session's audio-master timing. A reconnected feed (a restarted worker) is a new epoch.

Reading, decoding and encoding run in a thread of their own; items reach the event loop with
``call_soon_threadsafe``. While nobody watches there is no feed: the service connects only for a first viewer, and
hangs up after the last one goes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import av

from ...media.feed import FeedHeader, read_header, read_packet
from ...media.opus import AUDIO_RATE, OpusTranscoder
from ...media.rtc_media import VIDEO_RATE, Anchor, MediaItem

log = logging.getLogger(__name__)

LATENCY_S = 0.12
REANCHOR_S = 0.5  # a packet this late against the anchor starts a new epoch (the session stalled)
RETRY_S = 0.5
GONE_S = 30.0  # no feed this long while viewers wait: the stream is over for them
SUN_PATH_MAX = 107


class StreamFeed:
    """The reader thread of one stream's feed. ``deliver`` runs on ``loop`` for every item; ``gone`` once, when
    the feed has been away for ``GONE_S``."""

    def __init__(self, stream_id: str, path: Path, loop: asyncio.AbstractEventLoop,
                 deliver: Callable[[MediaItem], None], gone: Callable[[], None]) -> None:
        self.stream_id = stream_id
        self.path = path
        self.header: FeedHeader | None = None
        self._loop = loop
        self._deliver = deliver
        self._gone = gone
        self._closed = threading.Event()
        self._sock: socket.socket | None = None
        self._clock = Anchor(LATENCY_S, REANCHOR_S)
        self._thread = threading.Thread(target=self._run, name=f"webrtc-feed:{stream_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked read
            except OSError:
                pass

    # --- the reader thread -----------------------------------------------------------------------------------
    def _run(self) -> None:
        away_since = time.monotonic()
        while not self._closed.is_set():
            try:
                sock = _connect(self.path)
            except OSError:
                if time.monotonic() - away_since > GONE_S:
                    self._call(self._gone)
                    return
                self._closed.wait(RETRY_S)
                continue
            self._sock = sock
            try:
                self._read(sock)
            except (OSError, ValueError, av.FFmpegError) as e:
                log.info("stream %s: the feed broke (%s: %s)", self.stream_id, type(e).__name__, e)
            finally:
                self._sock = None
                sock.close()
            away_since = time.monotonic()

    def _read(self, sock: socket.socket) -> None:
        src = sock.makefile("rb")
        header = read_header(src)
        if header is None:
            return
        self.header = header
        self._clock.restart()
        audio = OpusTranscoder(header.audio_extradata)
        while not self._closed.is_set() and (packet := read_packet(src)) is not None:
            if packet.kind == "video":
                t = float(packet.pts * packet.time_base)
                data = header.video_extradata + packet.data if packet.keyframe else packet.data
                self._emit("video", t, round(t * VIDEO_RATE), data, packet.keyframe)
            else:
                for pts, data in audio.transcode(packet):
                    self._emit("audio", pts / AUDIO_RATE, pts, data, False)

    def _emit(self, kind: str, t: float, pts: int, data: bytes, keyframe: bool) -> None:
        self._call(self._deliver, self._clock.item(kind, t, pts, data, keyframe))

    def _call(self, fn: Callable[..., None], *args: object) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop closed: the service is going
            self._closed.set()


def _connect(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        if len(os.fsencode(path)) <= SUN_PATH_MAX:
            sock.connect(str(path))
        else:
            fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                sock.connect(f"/proc/self/fd/{fd}/{path.name}")
            finally:
                os.close(fd)
    except OSError:
        sock.close()
        raise
    return sock
