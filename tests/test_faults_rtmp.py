"""Fault matrix, RTMP rows: the ingest is killed mid-stream, refuses or never answers, or reads very slowly.

Each scenario is a real-time `streamer run` with two outputs: an RTMP push to a real nginx-rtmp (through a throttling
TCP proxy for the slow ingest) and a file recording. What must hold, whatever the ingest does:

- the session keeps its clock: every frame on time (0 late frames) and the frame count exact;
- the file recording is complete, with no gap longer than one frame;
- the RTMP output copes by itself: it reconnects when the ingest comes back, retries a refusing or silent ingest with
  backoff (never hammering it, never giving up), and drops packets rather than queueing without bound behind a
  slow one; no connect attempt, however long it waits, holds up a frame.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from faults import figure, scale
from media_probe import probe
from ports import bound_socket, port_of, refused_port
from rtmp_server import RtmpServer
from test_control_support import wait_for

pytestmark = pytest.mark.slow
FPS = 15
SIZE = "320x180"
FRAME_S = 1 / FPS
STARTUP_S = 30  # interpreter, imports, the voice and the first encoder on a loaded two-core machine
RETRY = re.compile(r"^(\S+ \S+) WARNING streamer\.media\.outputs: \S+: (connect failed|connection lost): .*; "
                   r"retrying in ([\d.]+) s$", re.M)


@dataclass
class Retry:
    at: datetime
    why: str
    delay_s: float


def retries(stderr: str) -> list[Retry]:
    """The RTMP output's retries, as the product logged them."""
    return [Retry(datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f"), m[2], float(m[3])) for m in RETRY.finditer(stderr)]


class LiveRun:
    """`streamer run --realtime` in a subprocess, as an operator starts it, with its stats read at the end."""

    def __init__(self, brief: Path, outs: list[str], duration_s: float, *extra: str) -> None:
        self.duration_s = duration_s
        args = ["run", str(brief), "--realtime", "--duration", f"{duration_s:g}", "--size", SIZE,
                "--fps", str(FPS), "--voice", "espeak:en-us", "--stats", *extra]
        for out in outs:
            args += ["--out", out]
        self.proc = subprocess.Popen([sys.executable, "-m", "streamer.cli", *args], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr = ""

    def finish(self) -> dict[str, Any]:
        out, self.stderr = self.proc.communicate(timeout=self.duration_s + STARTUP_S + 30)
        assert self.proc.returncode == 0, self.stderr[-2000:]
        return json.loads(out)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=10)

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        return kb / 1024


@pytest.fixture
def live_runs() -> Iterator[list[LiveRun]]:
    runs: list[LiveRun] = []
    yield runs
    for run in runs:  # a failed assertion must not leave a stream running
        run.kill()


def rtmp_stats(stats: dict[str, Any]) -> dict[str, Any]:
    [out] = [v for k, v in stats["outputs"].items() if k.startswith("rtmp://")]
    return out


def recording(path: Path) -> tuple[int, float]:
    """The file output's frame count and its largest gap between frames (ms)."""
    p = probe(path)
    return p.frames, round(p.max_gap_s * 1000, 1)


def assert_complete(frames: int, gap_ms: float, duration_s: float) -> None:
    """Every frame is in the recording, and no gap is longer than one frame."""
    assert frames == round(duration_s * FPS)
    assert gap_ms <= 1.5 * FRAME_S * 1000


def test_a_killed_ingest_is_reconnected_by_itself_while_the_recording_has_no_gap(
        rtmp_server: RtmpServer, garden_brief: Path, tmp_path: Path, live_runs: list[LiveRun]) -> None:
    on_air_s, down_s = 4 * scale(), 2 * scale()
    duration_s = on_air_s + down_s + 10 * scale()  # after the restart: backoff, a keyframe, then several seconds
    rec = tmp_path / "rec.mkv"
    run = LiveRun(garden_brief, [f"{rtmp_server.url}/show", str(rec)], duration_s)
    live_runs.append(run)
    wait_for(lambda: rtmp_server.recordings(), STARTUP_S, "the push to reach the ingest")
    time.sleep(on_air_s)
    killed = time.monotonic()
    rtmp_server.kill()
    time.sleep(down_s)
    rtmp_server.start()
    up = time.monotonic()
    wait_for(lambda: len(rtmp_server.recordings()) >= 2, 20, "the output to publish again", every_s=0.05)
    reconnect_s = time.monotonic() - up  # from the ingest listening again to our stream being on it again
    stats = run.finish()

    rtmp = rtmp_stats(stats)
    frames, gap_ms = recording(rec)
    figure("rtmp_killed", reconnect_s=round(reconnect_s, 2), outage_s=round(up - killed + reconnect_s, 2),
           late_frames=stats["late_frames"], file_max_gap_ms=gap_ms, connects=rtmp["connects"],
           rtmp_dropped=rtmp["dropped"])
    assert_complete(frames, gap_ms, duration_s)
    assert stats["frames"] == round(duration_s * FPS) and stats["late_frames"] == 0
    assert rtmp["connects"] == 2
    assert reconnect_s < 10  # the longest backoff step (8 s) and a connect
    rtmp_server.stop()
    resumed = probe(rtmp_server.recordings()[-1])
    assert resumed.frames >= 3 * FPS * scale()  # several seconds pushed after the restart
    assert resumed.max_gap_s <= 1.5 * FRAME_S


def test_a_refusing_ingest_is_retried_with_backoff_while_the_stream_goes_on(
        garden_brief: Path, tmp_path: Path, live_runs: list[LiveRun]) -> None:
    duration_s = 10 * scale()
    rec = tmp_path / "rec.mkv"
    with refused_port() as port:
        run = LiveRun(garden_brief, [f"rtmp://127.0.0.1:{port}/live/show", str(rec)], duration_s)
        live_runs.append(run)
        stats = run.finish()

    tries = retries(run.stderr)
    rtmp = rtmp_stats(stats)
    frames, gap_ms = recording(rec)
    figure("rtmp_refused", attempts=len(tries), retry_delays_s=[t.delay_s for t in tries],
           attempt_at_s=[round((t.at - tries[0].at).total_seconds(), 2) for t in tries],
           late_frames=stats["late_frames"], file_max_gap_ms=gap_ms)
    assert_complete(frames, gap_ms, duration_s)
    assert stats["frames"] == round(duration_s * FPS) and stats["late_frames"] == 0
    assert rtmp["connects"] == 0 and rtmp["sent"] == 0
    assert {t.why for t in tries} == {"connect failed"}
    assert len(tries) >= 3  # it kept trying through the show ...
    delays = [t.delay_s for t in tries]
    assert delays == sorted(delays) and delays[-1] >= 4 * delays[0]  # ... backing off ...
    for before, after in pairwise(tries):
        assert (after.at - before.at).total_seconds() >= before.delay_s  # ... and never sooner than it said


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port whose SYNs go unanswered, like an ingest host behind a dropping firewall: a listener that
    never accepts, with its accept queue already full."""
    with bound_socket() as listener:
        listener.listen(0)
        fillers = [socket.socket() for _ in range(3)]
        for s in fillers:
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port_of(listener)))
        try:
            yield port_of(listener)
        finally:
            for s in fillers:
                s.close()


def test_an_ingest_host_that_never_answers_is_retried_without_stalling_the_session(
        silent_port: int, garden_brief: Path, tmp_path: Path, live_runs: list[LiveRun]) -> None:
    duration_s = 8 * scale()
    rec = tmp_path / "rec.mkv"
    run = LiveRun(garden_brief, [f"rtmp://127.0.0.1:{silent_port}/live/show", str(rec)], duration_s)
    live_runs.append(run)
    stats = run.finish()

    tries = retries(run.stderr)
    frames, gap_ms = recording(rec)
    figure("rtmp_unanswered", attempts=len(tries), late_frames=stats["late_frames"],
           max_lag_ms=round(stats["max_lag_s"] * 1000), file_max_gap_ms=gap_ms)
    assert_complete(frames, gap_ms, duration_s)
    assert stats["frames"] == round(duration_s * FPS) and stats["late_frames"] == 0  # no frame waited on a connect
    assert tries and {t.why for t in tries} == {"connect failed"}
    assert rtmp_stats(stats)["connects"] == 0


class SlowIngest:
    """A TCP proxy in front of the ingest that reads what the streamer sends at ``bytes_per_s``, with a small
    receive buffer, so the streamer's socket fills up and its writes block: TCP back-pressure from a slow uplink."""

    def __init__(self, upstream_port: int, bytes_per_s: int) -> None:
        self.upstream_port = upstream_port
        self.bytes_per_s = bytes_per_s
        self.forwarded = 0
        self._stop = threading.Event()
        self._listener = bound_socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # inherited by the accepted socket
        self._listener.listen(1)
        self._listener.settimeout(0.2)
        self.port = port_of(self._listener)
        self._threads = [threading.Thread(target=self._accept, name="slow-ingest", daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            for src, dst, rate in ((client, upstream, self.bytes_per_s), (upstream, client, 0)):
                t = threading.Thread(target=self._pipe, args=(src, dst, rate), name="slow-ingest-pipe", daemon=True)
                t.start()
                self._threads.append(t)

    def _pipe(self, src: socket.socket, dst: socket.socket, bytes_per_s: int) -> None:
        chunk = 512 if bytes_per_s else 65536
        src.settimeout(0.2)
        try:
            while not self._stop.is_set():
                try:
                    data = src.recv(chunk)
                except TimeoutError:
                    continue
                if not data:
                    break
                dst.sendall(data)
                if bytes_per_s:
                    self.forwarded += len(data)
                    time.sleep(len(data) / bytes_per_s)
        except OSError:
            pass  # either side went away: the pipe ends
        finally:
            for s in (src, dst):
                s.close()

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(5)
        self._listener.close()


def test_a_slow_ingest_slows_neither_the_session_nor_the_recording_and_its_backlog_stays_bounded(
        rtmp_server: RtmpServer, garden_brief: Path, tmp_path: Path, live_runs: list[LiveRun]) -> None:
    duration_s = 14 * scale()
    rec = tmp_path / "rec.mkv"
    ingest = SlowIngest(rtmp_server.port, bytes_per_s=4000)  # a small fraction of what the stream needs
    try:
        # at 6 Mbit/s the kernel socket buffers (a few MB on loopback) fill within seconds, then the output queue
        run = LiveRun(garden_brief, [f"rtmp://127.0.0.1:{ingest.port}/live/show", str(rec)], duration_s,
                      "--bitrate", "6000000", "--preset", "ultrafast")
        live_runs.append(run)
        wait_for(lambda: ingest.forwarded, STARTUP_S, "the push to reach the slow ingest")
        rss = [run.rss_mb()]
        deadline = time.monotonic() + duration_s
        while time.monotonic() < deadline and run.proc.poll() is None:
            time.sleep(0.5)
            rss.append(run.rss_mb())
        stats = run.finish()
    finally:
        ingest.close()

    rtmp = rtmp_stats(stats)
    frames, gap_ms = recording(rec)
    warm = len(rss) // 3
    figure("rtmp_slow", late_frames=stats["late_frames"], file_max_gap_ms=gap_ms, rtmp_sent=rtmp["sent"],
           rtmp_dropped=rtmp["dropped"], ingest_bytes_per_s=ingest.bytes_per_s,
           rss_growth_mb=round(max(rss[warm:]) - rss[warm], 1))
    assert_complete(frames, gap_ms, duration_s)
    assert stats["frames"] == round(duration_s * FPS) and stats["late_frames"] == 0
    assert rtmp["connects"] >= 1 and rtmp["sent"] > 0  # it did get through, slowly ...
    assert rtmp["dropped"] > 0  # ... and dropped what the ingest could not take instead of queueing it all


def lost_line(stderr: str) -> str:
    return next((line for line in stderr.splitlines() if "connection lost" in line), "")


class StallingIngest(SlowIngest):
    """A TCP proxy in front of the ingest that forwards at full speed, then, on ``stall()``, stops reading from the
    streamer's first connection without closing it, while the ingest behind loses it (a half-dead route: the ingest
    frees the stream name; the streamer's writes just stop moving). Later connections forward."""

    def __init__(self, upstream_port: int) -> None:
        self.stalled = threading.Event()
        self._lock = threading.Lock()
        self._first: socket.socket | None = None
        super().__init__(upstream_port, 0)

    def stall(self) -> None:
        self.stalled.set()

    def _pipe(self, src: socket.socket, dst: socket.socket, bytes_per_s: int) -> None:
        client = dst if src.getpeername()[1] == self.upstream_port else src
        with self._lock:
            self._first = self._first or client
        if client is not self._first:
            super()._pipe(src, dst, bytes_per_s)
            return
        src.settimeout(0.2)
        try:
            while not self._stop.is_set() and not self.stalled.is_set():
                try:
                    data = src.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                dst.sendall(data)
                self.forwarded += len(data)
        except OSError:
            pass
        finally:  # the ingest's side goes; the streamer's stays open and unread until close()
            (dst if src is client else src).close()

    def close(self) -> None:
        super().close()
        if self._first is not None:
            self._first.close()


def test_an_ingest_that_stops_reading_is_given_up_and_reconnected_while_the_stream_goes_on(
        rtmp_server: RtmpServer, garden_brief: Path, tmp_path: Path, live_runs: list[LiveRun]) -> None:
    from streamer.media.rtmp_push import STALL_S

    on_air_s = 3 * scale()
    duration_s = on_air_s + STALL_S + 14 * scale()  # the kernel's buffers fill, the stall, a reconnect, then more
    rec = tmp_path / "rec.mkv"
    ingest = StallingIngest(rtmp_server.port)
    try:
        # a high bitrate fills the kernel's socket buffers in seconds, so the pipe to the push stops moving soon
        run = LiveRun(garden_brief, [f"rtmp://127.0.0.1:{ingest.port}/live/show", str(rec)], duration_s,
                      "--bitrate", "6000000", "--preset", "ultrafast")
        live_runs.append(run)
        wait_for(lambda: ingest.forwarded, STARTUP_S, "the push to reach the ingest")
        time.sleep(on_air_s)
        ingest.stall()
        stalled_at = datetime.now()
        wait_for(lambda: len(rtmp_server.recordings()) >= 2, STALL_S + 20, "the output to publish again",
                 every_s=0.05)
        stats = run.finish()
    finally:
        ingest.close()

    rtmp = rtmp_stats(stats)
    frames, gap_ms = recording(rec)
    [lost] = [t for t in retries(run.stderr) if t.why == "connection lost"]
    given_up_s = (lost.at - stalled_at).total_seconds()
    figure("rtmp_stalled", given_up_after_s=round(given_up_s, 1), connects=rtmp["connects"],
           late_frames=stats["late_frames"], file_max_gap_ms=gap_ms, rtmp_dropped=rtmp["dropped"])
    assert "the ingest took no data for" in lost_line(run.stderr), run.stderr[-3000:]
    assert STALL_S <= given_up_s < STALL_S + 15  # not before the stall bound; then soon (kernel buffers fill first)
    assert_complete(frames, gap_ms, duration_s)
    assert stats["frames"] == round(duration_s * FPS) and stats["late_frames"] == 0
    assert rtmp["connects"] == 2 and rtmp["state"] == "closed"
    rtmp_server.stop()
    resumed = probe(rtmp_server.recordings()[-1])
    assert resumed.frames >= 3 * FPS * scale()  # several seconds pushed over the new connection
