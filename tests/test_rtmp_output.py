"""Pushing to a real RTMP ingest (nginx + libnginx-mod-rtmp on loopback) and reading back what it recorded."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from media_probe import probe
from ports import refused_port
from rtmp_server import RtmpServer

pytestmark = pytest.mark.slow
FRAME_S = 1 / 30
STARTUP_S = 20  # interpreter, imports and the first encoder on a loaded two-core machine


def test_rtmp_push_is_constant_30fps_h264_aac_with_speech_in_real_time(
        rtmp_server: RtmpServer, garden_brief: Path) -> None:
    t0 = time.monotonic()
    r = run_cli("run", str(garden_brief), "--out", f"{rtmp_server.url}/show", "--duration", "8",
                "--size", "640x360", "--stats")
    wall = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    assert stats["frames"] == 240 and stats["samples"] == 240 * 1600  # counters agree exactly
    rtmp_server.stop()
    [rec] = rtmp_server.recordings()
    p = probe(rec)
    assert (p.video_codec, p.audio_codec) == ("h264", "aac")
    assert p.frames == 240
    assert p.mean_period_s == pytest.approx(FRAME_S, rel=0.01)
    assert p.max_gap_s <= 1.5 * FRAME_S
    assert abs(p.duration_s - 8.0) <= FRAME_S
    assert abs(p.audio_start_s - p.video_start_s) <= FRAME_S
    assert p.audio_rms > 0.02, "speech should be audible"
    # paced in real time, never faster; the upper bound allows a loaded CI's start-up (11 s seen under two suites)
    assert 7.5 <= wall <= 8.0 + STARTUP_S


def test_push_resumes_by_itself_after_the_ingest_dies_and_comes_back(
        rtmp_server: RtmpServer, garden_brief: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamer.cli", "run", str(garden_brief), "--out", f"{rtmp_server.url}/show",
         "--duration", "14", "--size", "640x360", "--stats"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(5)
    rtmp_server.kill()
    time.sleep(2)
    rtmp_server.start()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    stats = json.loads(out)
    assert stats["frames"] == 14 * 30  # the session kept its clock while the ingest was down
    [output] = stats["outputs"].values()
    assert output["connects"] >= 2
    assert "connection lost" in err or "connect failed" in err
    rtmp_server.stop()
    recordings = rtmp_server.recordings()
    assert len(recordings) >= 2
    resumed = probe(recordings[-1])
    assert resumed.frames > 3 * 30  # several seconds pushed after the restart
    assert resumed.max_gap_s <= 1.5 * FRAME_S


def test_a_dead_rtmp_destination_never_blocks_a_file_output(tmp_path: Path, garden_brief: Path) -> None:
    out = tmp_path / "keep.mp4"
    with refused_port() as port:
        r = run_cli("run", str(garden_brief), "--out", f"rtmp://127.0.0.1:{port}/live/x", "--out", str(out),
                    "--duration", "4", "--size", "320x180", "--stats")
    assert r.returncode == 0, r.stderr
    assert "connect failed" in r.stderr  # the reason is logged, then it retries
    assert probe(out).frames == 120
