"""Fault matrix, disk full or slow while recording: a served stream records to a file on a small filesystem and pushes to a
real nginx-rtmp ingest. What must hold: when the disk fills, the recording stops with an ``alert`` (kind
``recording``, the path, the error) that the run's history keeps, and the RTMP output and the session go on, with
no frame late because of it.

The small filesystem is a tmpfs of ``RECORD_BYTES`` mounted over the service's recordings folder (we run as root).
Where mounting is not permitted, the run's recording file is a link to ``/dev/full``, whose every write fails with
ENOSPC: the same error from the kernel, just sooner.

A slow disk (a network volume, a dying drive) is a FIFO in place of the recording file, read far slower than the
stream is written: the recording must fall behind with gaps, never the live stream.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from faults import figure, scale
from media_probe import probe
from rtmp_server import RtmpServer
from test_control_support import LiveServer, wait_for
from test_faults_rtmp import FPS, STARTUP_S, LiveRun, assert_complete, recording
from ws_events import event_log

RECORD_BYTES = 256 * 1024  # about 5 s of the stream below
BITRATE = 300_000
AFTER_S = 4.0  # how long the stream is watched after the recording stopped


@contextmanager
def small_disk(folder: Path, size_bytes: int) -> Iterator[str]:
    """``folder`` on a filesystem that fills after ``size_bytes``; says which ENOSPC source it is."""
    folder.mkdir(parents=True)
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(folder)],
                                 capture_output=True, timeout=10).returncode == 0
    except OSError:  # no mount(8) here
        mounted = False
    try:
        yield f"tmpfs {size_bytes // 1024} KiB" if mounted else "/dev/full"
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=10)


def _recording_alert(sid: str) -> Any:
    return lambda e: e["type"] == "alert" and e.get("kind") == "recording" and e.get("stream") == sid


def _outputs(health: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the recording file's figures, the RTMP output's)."""
    outs = health["outputs"]
    [file] = [v for k, v in outs.items() if not k.startswith("rtmp://")]
    [rtmp] = [v for k, v in outs.items() if k.startswith("rtmp://")]
    return file, rtmp


async def test_a_full_disk_stops_the_recording_with_an_alert_and_the_live_output_goes_on(
        tmp_path: Path, rtmp_server: RtmpServer) -> None:
    recordings = tmp_path / "data" / "recordings"  # where the service records each run (controller.py)
    with small_disk(recordings, int(RECORD_BYTES * scale())) as disk, LiveServer(tmp_path) as server:
        sid = server.create_stream("recorded room", record=True, bitrate=BITRATE,
                                   outputs=[f"{rtmp_server.url}/show"])
        if disk == "/dev/full":
            (recordings / f"{sid}-run1.mkv").symlink_to("/dev/full")  # the first run of a fresh database
        async with event_log(server) as log:
            await asyncio.to_thread(server.start_live, sid)
            live_at = time.time()
            alert = await log.until(_recording_alert(sid), 60 * scale(), "the recording alert")
            health = lambda: log.seen(lambda e: e["type"] == "health" and e.get("stream") == sid)[-1]  # noqa: E731
            late_before = [h for h in log.seen(lambda e: e["type"] == "health" and e.get("stream") == sid)
                           if h["at"] <= alert["at"]][-1]["late_frames"]
            await log.until(lambda e: e["type"] == "health" and e["at"] > alert["at"], 5, "a health report")
            _, rtmp_then = _outputs(health())
            await asyncio.sleep(AFTER_S * scale())
            file_now, rtmp_now = _outputs(health())
            late, state = health()["late_frames"], server.state(sid)
            assert server.client.post(f"/api/streams/{sid}/stop").status_code == 200
            stopped_at = time.time()
            await asyncio.to_thread(server.wait_state, sid, "stopped")
        [run] = server.client.get(f"/api/streams/{sid}/runs").json()
    rtmp_server.stop()
    [pushed] = rtmp_server.recordings()
    on_ingest_s = probe(pushed).duration_s

    assert alert["path"].startswith(str(recordings)) and "No space left on device" in alert["error"]
    assert state == "live" and late == late_before  # no frame late because of it (a loaded CI may be late before)
    assert file_now["state"] == "failed" and rtmp_now["state"] == "live"
    assert rtmp_now["sent"] > rtmp_then["sent"]  # still pushing after the recording stopped
    assert on_ingest_s > (alert["at"] - live_at) + AFTER_S * scale() * 0.8  # the ingest got the time after it too
    assert "recording" in run["last_error"] and "No space left on device" in run["last_error"]
    figure("disk_full", disk=disk, recording_survived_s=round(alert["at"] - live_at, 2),
           live_after_alert_s=round(stopped_at - alert["at"], 2), ingest_s=round(on_ingest_s, 2),
           rtmp_packets_after_alert=rtmp_now["sent"] - rtmp_then["sent"], late_frames=late,
           late_frames_after_alert=late - late_before,
           recording_packets_dropped=file_now["dropped"])


class SlowDisk:
    """A FIFO at ``path`` read at ``bytes_per_s`` until ``catch_up()``, then as fast as it comes: a recording target
    slower than the stream. What was read is kept, to be probed as the recording."""

    def __init__(self, path: Path, bytes_per_s: int) -> None:
        os.mkfifo(path)
        self.path, self.bytes_per_s = path, bytes_per_s
        self.got = bytearray()
        self._fast = threading.Event()
        self._thread = threading.Thread(target=self._read, name="slow-disk", daemon=True)
        self._thread.start()

    def catch_up(self) -> None:
        self._fast.set()

    def _read(self) -> None:
        with open(self.path, "rb", buffering=0) as f:  # waits for the writer
            while chunk := f.read(65536 if self._fast.is_set() else 1024):
                self.got += chunk
                if not self._fast.is_set():
                    time.sleep(len(chunk) / self.bytes_per_s)

    def close(self, timeout_s: float) -> Path:
        """Wait for the writer to finish; the recording as a file."""
        self.catch_up()
        self._thread.join(timeout_s)
        out = self.path.with_name("read-" + self.path.name)
        out.write_bytes(self.got)
        return out


def test_a_slow_disk_gives_the_recording_gaps_and_never_holds_up_the_live_stream(
        garden_brief: Path, tmp_path: Path, rtmp_server: RtmpServer) -> None:
    duration_s = 16 * scale()
    slow = SlowDisk(tmp_path / "slow.mkv", bytes_per_s=2000)  # the stream writes about 40 KB/s
    rec = tmp_path / "rec.mkv"  # a second recording on a fast disk, and the live push beside it
    run = LiveRun(garden_brief, [str(slow.path), str(rec), f"{rtmp_server.url}/show"], duration_s,
                  "--bitrate", str(BITRATE))
    try:
        wait_for(lambda: slow.got, STARTUP_S, "the recording to start")
        time.sleep(duration_s * 0.6)  # long enough for the pipe and the output's queue to fill, and drops to begin
        slow.catch_up()  # the disk recovers while the stream still runs
        stats = run.finish()
    finally:
        run.kill()
    read = slow.close(10)

    outs = stats["outputs"]
    [(_, on_slow)] = [(k, v) for k, v in outs.items() if k.endswith("slow.mkv")]
    frames, gap_ms = recording(rec)
    got = probe(read)
    figure("disk_slow", late_frames=stats["late_frames"], max_lag_ms=round(stats["max_lag_s"] * 1000),
           slow_recording_dropped=on_slow["dropped"],
           slow_recording_sent=on_slow["sent"], slow_recording_frames=got.frames,
           slow_recording_last_s=round(got.video_pts_s[-1], 2),
           slow_recording_max_gap_s=round(got.max_gap_s, 2), other_recording_max_gap_ms=gap_ms)
    # the stream kept its clock: held up by the recording it fell 5.4 s behind (10 late frames, then it raced to
    # catch up); a frame or two may be late on a loaded machine, never by that much
    assert stats["frames"] == round(duration_s * FPS) and stats["max_lag_s"] < 0.25 and stats["late_frames"] <= 2
    assert_complete(frames, gap_ms, duration_s)  # the other recording lost nothing
    assert on_slow["dropped"] > 0 and on_slow["state"] == "closed"  # the slow one fell behind, by dropping
    assert 0 < got.frames < frames and got.max_gap_s > 1  # what reached it plays, with a gap where it dropped ...
    assert got.video_pts_s[-1] > duration_s - 3  # ... and it resumed once the disk kept up again
    rtmp_server.stop()
    [pushed] = rtmp_server.recordings()
    assert probe(pushed).frames >= (duration_s - 2) * FPS  # the live push went on throughout
