"""Outputs: each one muxes the shared encoded packets to a destination from its own thread.

A file output is lossless: ``send`` blocks when its queue is full, so a file render runs as fast as the disk allows.
A live (RTMP) output never blocks the session: when it is disconnected or its queue is full it drops packets and
resumes at the next keyframe; a dropped or refused connection reconnects with exponential backoff.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import av

from ..errors import OutputError
from .encoder import EncodedPacket

log = logging.getLogger(__name__)

FILE_FORMATS = {".flv": "flv", ".mp4": "mp4", ".mkv": "matroska", ".mov": "mov"}
LIVE_QUEUE_PACKETS = 300  # about 2 s of 30 fps video plus its AAC packets
FILE_QUEUE_PACKETS = 120
RECONNECT_BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)
NETWORK_TIMEOUT_S = 5.0
_STOP = object()


@dataclass(slots=True)
class OutputStats:
    state: str = "starting"  # starting | live | reconnecting | closed | failed
    packets_sent: int = 0
    packets_dropped: int = 0
    connects: int = 0
    last_error: str = ""


class Output(ABC):
    """Base: a queue and a worker thread. Subclasses open and close their container."""

    live: bool = False

    def __init__(self, target: str) -> None:
        self.target = target
        self.stats = OutputStats()
        self._queue: queue.Queue[object] = queue.Queue(LIVE_QUEUE_PACKETS if self.live else FILE_QUEUE_PACKETS)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._templates: tuple[av.stream.Stream, av.stream.Stream] | None = None
        self._gap = False  # producer side: packets were dropped, wait for a keyframe before queueing again

    def start(self, video_template: av.stream.Stream, audio_template: av.stream.Stream) -> None:
        self._templates = (video_template, audio_template)
        self.check()
        self._thread = threading.Thread(target=self._run, name=f"output:{self.display}", daemon=True)
        self._thread.start()

    @property
    def display(self) -> str:
        """The target with any stream key hidden, for logs and the panel."""
        return self.target

    def check(self) -> None:  # noqa: B027 - optional hook: only files can be checked before connecting
        """Raise OutputError before the stream starts if the destination can never work."""

    def send(self, packet: EncodedPacket) -> None:
        if not self.live:
            self._queue.put(packet)
            return
        if self._gap:
            if not (packet.kind == "video" and packet.keyframe):
                self.stats.packets_dropped += 1
                return
            self._gap = False
        try:
            self._queue.put_nowait(packet)
        except queue.Full:
            self.stats.packets_dropped += 1
            self._gap = True

    def close(self, timeout_s: float = 10.0) -> None:
        """Flush what is queued (files: everything; live: up to the timeout) and close the container."""
        if self._thread is None:
            return
        deadline = time.monotonic() + timeout_s
        while self._thread.is_alive():
            try:
                self._queue.put(_STOP, timeout=0.1)
                break
            except queue.Full:
                if time.monotonic() > deadline:
                    break
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            self._stop.set()  # give up on a stuck live destination; the daemon thread ends with the process
            log.warning("%s: did not flush within %.0f s", self.display, timeout_s)

    @abstractmethod
    def _run(self) -> None: ...

    def _open_container(self, url: str, fmt: str, options: dict[str, str],
                        timeout: float | None = None) -> tuple[av.container.OutputContainer, list[av.stream.Stream]]:
        assert self._templates is not None
        container = av.open(url, "w", format=fmt, options=options, timeout=timeout)
        streams = [container.add_stream_from_template(t) for t in self._templates]
        container.start_encoding()
        return container, streams

    @staticmethod
    def _mux(container: av.container.OutputContainer, streams: list[av.stream.Stream], p: EncodedPacket) -> None:
        packet = av.Packet(p.data)
        packet.pts, packet.dts, packet.duration, packet.time_base = p.pts, p.dts, p.duration, p.time_base
        packet.is_keyframe = p.keyframe
        packet.stream = streams[0] if p.kind == "video" else streams[1]
        container.mux(packet)


class FileOutput(Output):
    live = False

    def __init__(self, target: str) -> None:
        super().__init__(target)
        suffix = Path(target).suffix.lower()
        if suffix not in FILE_FORMATS:
            raise OutputError(f"{target}: unsupported file type {suffix or '(none)'}; use "
                              f"{', '.join(FILE_FORMATS)} or an rtmp:// URL")
        self._format = FILE_FORMATS[suffix]
        self._container: av.container.OutputContainer | None = None
        self._streams: list[av.stream.Stream] = []

    def check(self) -> None:
        path = Path(self.target)
        parent = path.parent if str(path.parent) else Path(".")
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(f"{self.target}: cannot create directory {parent} ({e.strerror})") from None
        if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise OutputError(f"{self.target}: not writable")
        try:  # open here, not in the thread, so an unwritable file fails before the stream starts
            options = {"movflags": "+faststart"} if self._format in ("mp4", "mov") else {}
            self._container, self._streams = self._open_container(self.target, self._format, options)
        except (OSError, av.FFmpegError) as e:
            raise OutputError(f"{self.target}: cannot open for writing ({e})") from None

    def _run(self) -> None:
        assert self._container is not None
        self.stats.state, self.stats.connects = "live", 1
        try:
            while (item := self._queue.get()) is not _STOP:
                assert isinstance(item, EncodedPacket)
                self._mux(self._container, self._streams, item)
                self.stats.packets_sent += 1
            self._container.close()
            self.stats.state = "closed"
        except (OSError, av.FFmpegError) as e:
            self.stats.state, self.stats.last_error = "failed", str(e)
            log.error("%s: write failed: %s", self.target, e)
            self._drain()

    def _drain(self) -> None:
        """After a fatal error keep accepting packets so the session is never blocked by a dead file."""
        while self._queue.get() is not _STOP:
            self.stats.packets_dropped += 1


class RtmpOutput(Output):
    live = True

    def __init__(self, target: str) -> None:
        super().__init__(target)
        parts = urlsplit(target)
        if parts.scheme not in ("rtmp", "rtmps") or not parts.hostname:
            raise OutputError(f"{target}: not an rtmp:// URL with a host")

    @property
    def display(self) -> str:
        parts = urlsplit(self.target)
        path = parts.path.rsplit("/", 1)[0] + "/****" if parts.path.count("/") > 1 else parts.path
        return f"{parts.scheme}://{parts.netloc}{path}"

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            self.stats.state = "reconnecting" if self.stats.connects else "starting"
            try:
                container, streams = self._open_container(
                    self.target, "flv",
                    {"flvflags": "no_duration_filesize"},
                    timeout=NETWORK_TIMEOUT_S)
            except (OSError, av.FFmpegError) as e:
                attempt = self._backoff(attempt, f"connect failed: {e}")
                continue
            self.stats.connects += 1
            self.stats.state = "live"
            log.info("%s: connected", self.display)
            try:
                finished = self._pump(container, streams)
            except (OSError, av.FFmpegError) as e:
                _close_quietly(container)
                attempt = self._backoff(0, f"connection lost: {e}")
                continue
            _close_quietly(container)
            if finished:
                break
            attempt = 0
        self.stats.state = "closed"

    def _pump(self, container: av.container.OutputContainer, streams: list[av.stream.Stream]) -> bool:
        """Send packets until stopped; start at a video keyframe. True when the session closed the output."""
        started = False
        while not self._stop.is_set():
            try:
                item = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if item is _STOP:
                return True
            assert isinstance(item, EncodedPacket)
            if not started:
                if not (item.kind == "video" and item.keyframe):
                    self.stats.packets_dropped += 1
                    continue
                started = True
            self._mux(container, streams, item)
            self.stats.packets_sent += 1
        return True

    def _backoff(self, attempt: int, reason: str) -> int:
        delay = RECONNECT_BACKOFF_S[min(attempt, len(RECONNECT_BACKOFF_S) - 1)]
        self.stats.last_error = reason
        log.warning("%s: %s; retrying in %.1f s", self.display, reason, delay)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and not self._stop.is_set():
            try:  # keep the queue moving while disconnected so the session never waits on us
                item = self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            if item is _STOP:
                self._stop.set()
                break
            self.stats.packets_dropped += 1
        return attempt + 1


def _close_quietly(container: av.container.OutputContainer) -> None:
    try:
        container.close()
    except (OSError, av.FFmpegError) as e:
        log.debug("closing a broken container: %s", e)


def open_output(target: str) -> Output:
    """An Output for an rtmp:// URL or a file path."""
    if "://" in target:
        return RtmpOutput(target)
    return FileOutput(target)
