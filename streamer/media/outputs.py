"""Outputs: each one muxes the shared encoded packets to a destination from its own thread.

A file output is lossless: ``send`` blocks when its queue is full, so a file render runs as fast as the disk allows;
beside a live stream (``keep_pace``) it must not hold up a frame, so on a slow disk it drops like a live output and
the recording gets a gap. A live (RTMP) output never blocks the session: when it is disconnected or its queue is
full it drops packets and resumes at the next keyframe; a dropped or refused connection, or an ingest that stopped
reading, reconnects with exponential backoff. Each RTMP connection is pushed from a process of its own
(media/rtmp_push.py), so no ingest can stall the session. A file output whose write fails (disk full, the volume
gone) stops for good: it tells ``on_failed`` once, from its thread, and from then on drops what it is sent without
blocking, so the live outputs and the session go on.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import av

from ..errors import OutputError
from .encoder import EncodedPacket
from .rtmp_push import PushProcess

log = logging.getLogger(__name__)

FILE_FORMATS = {".flv": "flv", ".mp4": "mp4", ".mkv": "matroska", ".mov": "mov"}
LIVE_QUEUE_PACKETS = 300  # about 2 s of 30 fps video plus its AAC packets
FILE_QUEUE_PACKETS = 120
RECONNECT_BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)
NETWORK_TIMEOUT_S = 5.0  # an ingest that has not accepted the publish by then is given up on, and retried
CONNECT_POLL_S = 0.02
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
    alert_kind = "output"  # the ``kind`` of the alert a session raises when this output stops for good

    def __init__(self, target: str) -> None:
        self.target = target
        self.stats = OutputStats()
        self._queue: queue.Queue[object] = queue.Queue(LIVE_QUEUE_PACKETS if self.live else FILE_QUEUE_PACKETS)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._templates: tuple[av.stream.Stream, av.stream.Stream] | None = None
        self._gap = False  # producer side: packets were dropped, wait for a keyframe before queueing again
        self._lossless = not self.live  # send blocks rather than drop
        self._on_failed: Callable[[str], None] | None = None

    def start(self, video_template: av.stream.Stream, audio_template: av.stream.Stream,
              on_failed: Callable[[str], None] | None = None) -> None:
        """Open and start the thread. ``on_failed(error)`` is called once, from the output's thread, if the output
        stops for good while running."""
        self._templates = (video_template, audio_template)
        self._on_failed = on_failed
        self.check()
        self._thread = threading.Thread(target=self._run, name=f"output:{self.display}", daemon=True)
        self._thread.start()

    def keep_pace(self) -> None:
        """Before ``start``: this output serves a live session, so ``send`` never blocks; when the destination falls
        behind (a slow disk under a recording) packets are dropped up to the next keyframe, as for a live output."""
        if self._thread is not None:
            raise RuntimeError("keep_pace() after start()")
        self._lossless = False
        self._queue = queue.Queue(LIVE_QUEUE_PACKETS)

    @property
    def display(self) -> str:
        """The target with any stream key hidden, for logs and the panel."""
        return self.target

    def check(self) -> None:  # noqa: B027 - optional hook: only files can be checked before connecting
        """Raise OutputError before the stream starts if the destination can never work."""

    def send(self, packet: EncodedPacket) -> None:
        if self.stats.state == "failed":
            self.stats.packets_dropped += 1
            return
        if self._lossless:
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

    def _open_container(self, url: str, fmt: str,
                        options: dict[str, str]) -> tuple[av.container.OutputContainer, list[av.stream.Stream]]:
        assert self._templates is not None
        container = av.open(url, "w", format=fmt, options=options)
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
    alert_kind = "recording"

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
            log.error("%s: write failed, recording stopped: %s", self.target, e)
            _close_quietly(self._container)
            if self._on_failed is not None:
                try:
                    self._on_failed(str(e))
                except Exception:  # whoever listens, the queue below must keep moving
                    log.exception("%s: failure listener failed", self.target)
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
        self._push: PushProcess | None = None  # the current connection, pushed from a process of its own
        self._spare: PushProcess | None = None

    @property
    def display(self) -> str:
        return redact_stream_key(self.target)

    def close(self, timeout_s: float = 10.0) -> None:
        super().close(timeout_s)
        for push in (self._push, self._spare):
            if push is not None:
                push.kill()  # an ingest that stopped reading: its push goes, and a write blocked on it ends

    def _run(self) -> None:
        try:
            self._connect_and_pump()
        finally:
            for push in (self._push, self._spare):
                if push is not None:
                    push.finish()  # idempotent: the one that pushed has finished already

    def _connect_and_pump(self) -> None:
        assert self._templates is not None
        attempt = 0
        push: PushProcess | None = None
        while not self._stop.is_set():
            self.stats.state = "reconnecting" if self.stats.connects else "starting"
            try:
                if push is None or not push.ready:
                    # a spent process is replaced by the spare, and the next spare starts now, so a reconnect
                    # waits for no interpreter
                    push, self._spare = self._spare or PushProcess(), PushProcess()
                    self._push = push
                push.begin(self.target, self._templates, NETWORK_TIMEOUT_S)
                self._pump(push)
            except (OSError, av.FFmpegError) as e:
                reason = (push.reason if push is not None else "") or str(e)
                if push is not None and push.state == "failed" and push.proc.poll() is None:
                    push.drop_attempt()  # it said no before anything was sent: the same process tries again
                elif push is not None:
                    push.abort()
                if push is not None and push.state in ("lost", "connected"):  # connected: a write to it failed
                    attempt = self._backoff(0, f"connection lost: {reason}")
                else:
                    attempt = self._backoff(attempt, f"connect failed: {reason}")
                continue
            push.finish()
            break
        self.stats.state = "closed"

    def _pump(self, push: PushProcess) -> None:
        """Once the ingest accepted, send the queued packets from a video keyframe on, until the session closes the
        output; raises when the push fails."""
        assert push.container is not None
        started = False
        while not self._stop.is_set():
            push.poll()
            if push.state in ("failed", "lost"):
                raise OSError(push.reason)
            if push.state == "connecting":  # the queue keeps the packets meanwhile (dropping, never blocking)
                self._stop.wait(CONNECT_POLL_S)
                continue
            if self.stats.state != "live":
                self.stats.connects += 1
                self.stats.state = "live"
                log.info("%s: connected", self.display)
            try:
                item = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if item is _STOP:
                return
            assert isinstance(item, EncodedPacket)
            if not (started or (item.kind == "video" and item.keyframe)):
                self.stats.packets_dropped += 1
                continue
            started = True
            self._mux(push.container, push.streams, item)
            self.stats.packets_sent += 1

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


def redact_stream_key(url: str) -> str:
    """An RTMP URL as it may be logged or shown: the stream key (the last path part) and any query masked;
    ``rtmp://host/live/****``. Ingest URLs carry the key in the path, and whoever has it can broadcast."""
    parts = urlsplit(url)
    path = parts.path.rsplit("/", 1)[0] + "/****" if parts.path.count("/") > 1 else parts.path
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{path}"


def open_output(target: str) -> Output:
    """An Output for an rtmp:// URL, a whip+http(s):// ingest (media/whip_push.py), a feed+unix:// socket (the
    service's WebRTC feed, media/feed.py) or a file path."""
    if target.startswith("feed+unix://"):
        from .feed import FeedOutput  # these build on Output: imported here, not at the top

        return FeedOutput(target)
    if target.startswith(("whip+http://", "whip+https://")):
        from .whip_push import WhipOutput

        return WhipOutput(target)
    if "://" in target:
        return RtmpOutput(target)
    return FileOutput(target)
