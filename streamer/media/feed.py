"""The session's encoded stream, served to one local reader on a Unix socket (``feed+unix:///path``).

WebRTC viewers are served by the control service, in another process; this output hands it the very packets every
other output gets (the session's one H.264 encode, and its AAC, which the service turns into Opus), so a WHEP viewer
costs the session no encode at all. Nobody connected: packets are not even queued. A reader connected: packets go
out from a video keyframe on, through a bounded queue that drops (and resumes at the next keyframe) when the reader
is slow, so the session never waits on it. A new connection replaces the old one (a restarted service).

Wire format, after the reader connects: one header (u32 length, JSON: the codecs' sizes and extradata, hex) then
packets, each ``_PACKET`` (kind, keyframe, pts, time base, length) and its bytes. ``read_header``/``read_packet``
are the reading side.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import av

from ..errors import OutputError
from .encoder import EncodedPacket
from .outputs import _STOP, Output

log = logging.getLogger(__name__)

SCHEME = "feed+unix"
FEED_DISPLAY = "webrtc feed"
ACCEPT_POLL_S = 0.2
SEND_TIMEOUT_S = 2.0  # a reader that takes nothing this long is dropped
_LENGTH = struct.Struct("!I")
_PACKET = struct.Struct("!BBqIII")  # kind (0 video, 1 audio), keyframe, pts, time base num/den, data length
MAX_HEADER_BYTES = 1 << 20
MAX_PACKET_BYTES = 16 << 20
SUN_PATH_MAX = 107


@dataclass(frozen=True, slots=True)
class FeedHeader:
    width: int
    height: int
    fps: int
    video_extradata: bytes
    sample_rate: int
    channels: int
    audio_extradata: bytes


@dataclass(frozen=True, slots=True)
class FeedPacket:
    kind: str  # video | audio
    keyframe: bool
    pts: int
    time_base: Fraction
    data: bytes


def feed_url(path: Path) -> str:
    return f"{SCHEME}://{path}"


class FeedOutput(Output):
    live = False  # nothing waits for it to connect; ``send`` never blocks

    def __init__(self, target: str) -> None:
        super().__init__(target)
        parts = urlsplit(target)
        if parts.scheme != SCHEME or not parts.path.startswith("/"):
            raise OutputError(f"{target}: not a {SCHEME}:///absolute/path URL")
        self.path = Path(parts.path)
        self._listener: socket.socket | None = None
        self._watched = False  # a reader is connected (written by the output's thread, read by the encode thread)
        self._gap = True

    @property
    def display(self) -> str:
        return FEED_DISPLAY

    def check(self) -> None:
        self.path.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            _bind(sock, self.path)
        except OSError as e:
            sock.close()
            raise OutputError(f"{self.display}: cannot listen on {self.path} ({e.strerror})") from None
        finally:
            os.umask(old)
        sock.listen(2)
        sock.settimeout(ACCEPT_POLL_S)
        self._listener = sock
        self.stats.state = "idle"

    def send(self, packet: EncodedPacket) -> None:
        if not self._watched:
            self._gap = True
            return
        if self._gap:
            if not (packet.kind == "video" and packet.keyframe):
                return
            self._gap = False
        try:
            self._queue.put_nowait(packet)
        except queue.Full:
            self.stats.packets_dropped += 1
            self._gap = True

    def _run(self) -> None:
        assert self._listener is not None
        try:
            while not self._stopped_while_idle():
                try:
                    conn, _ = self._listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    break
                if self._serve(conn):
                    break
        finally:
            self._listener.close()
            self.path.unlink(missing_ok=True)
            self.stats.state = "closed"

    def _stopped_while_idle(self) -> bool:
        while True:
            try:
                if self._queue.get_nowait() is _STOP:
                    return True
            except queue.Empty:
                return self._stop.is_set()

    def _serve(self, conn: socket.socket) -> bool:
        """Send to one reader until it goes (False) or the session closes the output (True)."""
        conn.settimeout(SEND_TIMEOUT_S)
        self.stats.connects += 1
        try:
            conn.sendall(self._header())
            self._watched, self.stats.state = True, "live"
            while not self._stop.is_set():
                try:
                    item = self._queue.get(timeout=0.5)
                except queue.Empty:
                    continue
                if item is _STOP:
                    return True
                assert isinstance(item, EncodedPacket)
                if item.pts is None:
                    continue
                kind = 0 if item.kind == "video" else 1
                conn.sendall(_PACKET.pack(kind, item.keyframe, item.pts, item.time_base.numerator,
                                          item.time_base.denominator, len(item.data)) + item.data)
                self.stats.packets_sent += 1
            return True
        except OSError as e:
            log.info("%s: the reader went (%s)", self.display, type(e).__name__)
            return False
        finally:
            self._watched, self.stats.state = False, "idle"
            conn.close()

    def _header(self) -> bytes:
        assert self._templates is not None
        video, audio = (t.codec_context for t in self._templates)
        assert isinstance(video, av.VideoCodecContext) and isinstance(audio, av.AudioCodecContext)
        fps = video.framerate or (1 / video.time_base if video.time_base else 30)
        data = json.dumps({"width": video.width, "height": video.height, "fps": int(fps),
                           "video_extradata": (video.extradata or b"").hex(), "sample_rate": audio.sample_rate,
                           "channels": audio.layout.nb_channels,
                           "audio_extradata": (audio.extradata or b"").hex()}).encode()
        return _LENGTH.pack(len(data)) + data


def _bind(sock: socket.socket, path: Path) -> None:
    """Unix socket paths are limited to 107 bytes; a longer one is bound through an open fd of its folder."""
    if len(os.fsencode(path)) <= SUN_PATH_MAX:
        sock.bind(str(path))
        return
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        sock.bind(f"/proc/self/fd/{fd}/{path.name}")
    finally:
        os.close(fd)


def _read_exact(src: BinaryIO, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = src.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def read_header(src: BinaryIO) -> FeedHeader | None:
    """The feed's header from a blocking reader; None when the feed closed first."""
    head = _read_exact(src, _LENGTH.size)
    if head is None:
        return None
    (n,) = _LENGTH.unpack(head)
    if n > MAX_HEADER_BYTES:
        raise ValueError(f"feed header too large ({n} bytes)")
    raw = _read_exact(src, n)
    if raw is None:
        return None
    d: dict[str, Any] = json.loads(raw)
    return FeedHeader(int(d["width"]), int(d["height"]), int(d["fps"]), bytes.fromhex(d["video_extradata"]),
                      int(d["sample_rate"]), int(d["channels"]), bytes.fromhex(d["audio_extradata"]))


def read_packet(src: BinaryIO) -> FeedPacket | None:
    """The next packet; None when the feed closed."""
    head = _read_exact(src, _PACKET.size)
    if head is None:
        return None
    kind, key, pts, num, den, n = _PACKET.unpack(head)
    if n > MAX_PACKET_BYTES or den == 0:
        raise ValueError(f"not a feed packet ({n} bytes, time base {num}/{den})")
    data = _read_exact(src, n)
    if data is None:
        return None
    return FeedPacket("video" if kind == 0 else "audio", bool(key), pts, Fraction(num, den), data)
