"""Fault matrix, disk full while recording: a served stream records to a file on a small filesystem and pushes to a
real nginx-rtmp ingest. What must hold: when the disk fills, the recording stops with an ``alert`` (kind
``recording``, the path, the error) that the run's history keeps, and the RTMP output and the session go on, with
no frame late because of it.

The small filesystem is a tmpfs of ``RECORD_BYTES`` mounted over the service's recordings folder (we run as root).
Where mounting is not permitted, the run's recording file is a link to ``/dev/full``, whose every write fails with
ENOSPC: the same error from the kernel, just sooner.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from faults import figure, scale
from media_probe import probe
from rtmp_server import RtmpServer
from test_control_support import LiveServer
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
