"""RTMP pushes in processes of their own: an FLV stream in on stdin, out to the ingest.

PyAV connects an output (TCP connect, RTMP handshake, publish) and writes its trailer while holding the GIL, and
applies no timeout to output I/O. Done in the session's process, every connect froze all of the session's threads,
frames included: about 0.2 s against nginx on loopback, longer over a real network, and for good against an ingest
that accepts the connection and never answers. Here only this process waits; the session's ``RtmpOutput`` feeds it
through a pipe, drops what the pipe cannot take, and kills it when the ingest does not answer in time. An ingest
that accepts the publish and then stops reading (a hung server, a half-dead route) would block the pipe for good:
once the pipe has taken no byte for ``STALL_S`` the push is given up as lost, so the output reconnects by itself.

Protocol, per attempt: the session writes one JSON line ``{"url", "width", "height", "header_bytes"}`` (on stdin, so
the stream key never shows in a process list) and the FLV header; the process connects and says ``connected`` on
stdout, or ``failed <reason>``. After a failed connect it waits for the next attempt, so retrying a refusing ingest
starts no new interpreter. Once connected, the FLV packets follow; when the connection is lost the process says
``failed <reason>`` and exits with status 1. The end of stdin ends the push cleanly.
"""

from __future__ import annotations

import io
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from typing import IO, Any, BinaryIO

import av

CONNECTED = "connected"
FAILED = "failed"
EXIT_WAIT_S = 5.0
STALL_S = 10.0  # a connected ingest that takes no byte for this long has stopped reading: the push is lost
# the streams are known from the header: the demuxer need not look ahead into the packets
PROBE_OPTIONS = {"probesize": "32", "analyzeduration": "1"}
FLV_OPTIONS = {"flvflags": "no_duration_filesize"}


class PushProcess:
    """The session's end of a push process: the FLV muxer writing into its stdin, and what it reported.

    The process starts (and imports PyAV) as soon as this is made, then waits for ``begin``: a spare made ahead
    connects without an interpreter's start-up. Nothing but the header is written until the ingest accepted the
    publish (``connected``); after that, writes block while the ingest is slow, without holding the GIL, and the
    output's bounded queue drops what piles up meanwhile. A push that has not answered in time is killed."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, bufsize=0)
        self._stdin: IO[bytes] = self.proc.stdin  # type: ignore[assignment]
        os.set_blocking(self._stdin.fileno(), False)  # writes wait in select, so a stall is seen (write_all)
        self._said: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read_status, name="rtmp-push:status", daemon=True)
        self._reader.start()
        self._timer: threading.Timer | None = None
        self._pipe: _HeldPipe | None = None
        self.container: av.container.OutputContainer | None = None
        self.streams: list[av.stream.Stream] = []
        self.state = "idle"  # idle (ready for an attempt) | connecting | connected | failed | lost
        self.reason = ""

    @property
    def ready(self) -> bool:
        """Alive and waiting for an attempt."""
        return self.state == "idle" and self.proc.poll() is None

    def begin(self, url: str, templates: tuple[av.stream.Stream, av.stream.Stream], timeout_s: float) -> None:
        """Hand over the target and the FLV header, from which the process connects within ``timeout_s``."""
        assert isinstance(templates[0], av.video.stream.VideoStream)
        video = templates[0].codec_context
        self.state, self.reason = "connecting", ""
        self._pipe = _HeldPipe(self._stdin)
        self.container = av.open(self._pipe, "w", format="flv", options={**FLV_OPTIONS, "flush_packets": "1"})
        self.streams = [self.container.add_stream_from_template(t) for t in templates]
        self.container.start_encoding()
        header = self._pipe.release()
        first = {"url": url, "width": video.width, "height": video.height, "header_bytes": len(header)}
        self._timer = threading.Timer(timeout_s, self._no_answer, args=(timeout_s,))
        self._timer.daemon = True
        self._timer.start()
        write_all(self._stdin.fileno(), json.dumps(first).encode() + b"\n" + header)

    def poll(self) -> None:
        """Take in what the process said: ``state`` becomes connected, failed (a connect that did not succeed) or
        lost (a connection that ended)."""
        while True:
            try:
                line = self._said.get_nowait()
            except queue.Empty:
                break
            if line == CONNECTED:
                self._cancel_timer()
                self.state = "connected"
            elif line.startswith(FAILED):
                self._cancel_timer()
                self.reason = line.removeprefix(FAILED).strip()
                self.state = "lost" if self.state == "connected" else "failed"
        if self.state in ("connecting", "connected") and self.proc.poll() is not None:
            self._reader.join(EXIT_WAIT_S)  # what it said last says why
            if self._said.empty():
                self.reason = self.reason or "the push process ended"
                self.state = "lost" if self.state == "connected" else "failed"
            else:
                self.poll()

    def drop_attempt(self) -> None:
        """After a failed connect: forget this attempt's muxer (its trailer goes nowhere, so the pipe stays clean
        for the next attempt's first line)."""
        self._cancel_timer()
        if self._pipe is not None:
            self._pipe.discard()
        self._close_container()
        if self.state == "failed":
            self.state = "idle"

    def finish(self) -> None:
        """End the push cleanly: the trailer, end of input, and the process's exit (killed if it hangs). A spare
        that never began just exits."""
        self._cancel_timer()
        self._close_container()
        try:
            self._stdin.close()
        except OSError:
            pass  # it already went
        try:
            self.proc.wait(EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """The process goes at once, and with it any write blocked on its pipe (safe from any thread)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(EXIT_WAIT_S)

    def abort(self) -> None:
        """After a lost connection, or a process that did not answer: it goes, with this attempt's muxer."""
        self._cancel_timer()
        self.kill()
        if self._pipe is not None:
            self._pipe.discard()
        self._close_container()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _close_container(self) -> None:
        if self.container is not None:
            try:
                self.container.close()
            except (OSError, av.FFmpegError):
                pass  # the pipe is broken: nothing more can reach the ingest
            self.container = None

    def _read_status(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self._said.put(raw.decode(errors="replace").strip())
        self.proc.stdout.close()

    def _no_answer(self, timeout_s: float) -> None:
        self.reason = f"no answer within {timeout_s:.0f} s"
        self.kill()


class _HeldPipe(io.RawIOBase):
    """Where the session's FLV muxer writes: the header is held back until ``release`` (it goes after the first
    line, which says how long it is), then every write goes straight into the pipe, until ``discard``."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe: IO[bytes] | None = pipe
        self._held: bytearray | None = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        if self._held is not None:
            self._held += b
        elif self._pipe is not None:
            write_all(self._pipe.fileno(), b)
        return len(b)

    def release(self) -> bytes:
        held, self._held = bytes(self._held or b""), None
        return held

    def discard(self) -> None:
        self._held, self._pipe = None, None


def write_all(fd: int, data: bytes | memoryview, stall_s: float = STALL_S) -> None:
    """Write everything to the non-blocking pipe ``fd``, waiting while it is full (without the GIL), for as long as
    it keeps taking bytes; OSError when it took none for ``stall_s`` (the ingest behind it stopped reading) or the
    reader is gone."""
    view = memoryview(data).cast("B")
    progress = time.monotonic()
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            n = 0
        if n:
            view, progress = view[n:], time.monotonic()
            continue
        left = stall_s - (time.monotonic() - progress)
        if left <= 0:
            raise OSError(f"the ingest took no data for {stall_s:.0f} s")
        select.select([], [fd], [], left)


class _Replay(io.RawIOBase):
    """The header once more, then the rest of the stream as it arrives (never waiting for a full buffer)."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._rest.read1(len(b))  # type: ignore[attr-defined]
        b[:len(data)] = data
        return len(data)


def connect(url: str, width: int, height: int,
            header: bytes) -> tuple[av.container.OutputContainer, dict[str, av.stream.Stream]]:
    """Publish to ``url`` with the streams the FLV ``header`` describes; raises when the ingest does not accept."""
    dst = av.open(url, "w", format="flv", options=FLV_OPTIONS)
    try:
        with av.open(io.BytesIO(header), "r", format="flv") as described:
            outs: dict[str, av.stream.Stream] = {
                s.type: dst.add_stream_from_template(s) for s in (described.streams.video[0],
                                                                   described.streams.audio[0])}
        video = outs["video"]
        assert isinstance(video, av.video.stream.VideoStream)
        video.codec_context.width, video.codec_context.height = width, height
        dst.start_encoding()
    except BaseException:
        try:
            dst.close()
        except (OSError, av.FFmpegError):
            pass
        raise
    return dst, outs


def relay(dst: av.container.OutputContainer, outs: dict[str, av.stream.Stream], header: bytes,
          rest: BinaryIO) -> None:
    """Remux the packets on ``rest`` to ``dst`` until the stream ends; raises when the connection is lost."""
    with dst, av.open(_Replay(header, rest), "r", format="flv", options=PROBE_OPTIONS) as src:
        for packet in src.demux():
            if packet.dts is None or packet.stream.type not in outs:  # None: the end-of-stream marker
                continue
            packet.stream = outs[packet.stream.type]
            dst.mux(packet)


def _say(status: BinaryIO, line: str) -> None:
    status.write(line.encode() + b"\n")
    status.flush()


def main() -> int:
    source, status = sys.stdin.buffer, sys.stdout.buffer
    while first := source.readline().strip():  # nothing: the end of input, or a spare that was not needed
        target = json.loads(first)
        url = target["url"]
        header = source.read(target["header_bytes"])
        try:
            dst, outs = connect(url, target["width"], target["height"], header)
        except (OSError, av.FFmpegError, IndexError) as e:  # IndexError: the header lacked a stream
            _say(status, f"{FAILED} {str(e).replace(url, '(url)')}")
            continue  # only the header was sent: ready for the next attempt
        _say(status, CONNECTED)
        try:
            relay(dst, outs, header, source)
        except (OSError, av.FFmpegError) as e:
            _say(status, f"{FAILED} {str(e).replace(url, '(url)')}")
            return 1
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
