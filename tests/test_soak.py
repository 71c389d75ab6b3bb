"""The soak script, in its short CI version: `scripts/soak.py` drives `streamer serve`, one 720p stream pushing to
nginx-rtmp, comments every 5 s and the recorder, for one real minute, and reports one JSON object. The RSS slope is
not judged here (too short to mean anything); the 2-hour run judges it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT_S = 200  # 60 s on air, plus start-up, settling and the stop (about 75 s in all)
STOP_TIMEOUT_S = 60  # pytest-timeout (300 s) still bounds the whole

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("soak")
    samples = tmp / "samples.jsonl"
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "soak.py"), "--minutes", "1",
                             "--warmup-minutes", "0.3", "--comment-every", "5", "--samples", str(samples)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "TMPDIR": str(tmp)})  # its work dir (kept when it fails) goes here
    try:
        out, err = proc.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.terminate()  # SIGTERM: the script stops the service and nginx before it exits
        out, err = proc.communicate(timeout=STOP_TIMEOUT_S)
    assert out.strip(), f"no report (exit {proc.returncode}): {err[-3000:]}"
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    assert "error" not in result, result["error"]
    result["sample_rows"] = [json.loads(line) for line in samples.read_text().splitlines()]
    return result


def test_frame_and_sample_counters_stay_exact(report: dict[str, Any]) -> None:
    assert report["frames"] >= 30 * 30  # at least 30 s of video, even on a machine too busy to keep real time
    assert report["counters_exact"] is True


def test_no_frame_is_late(report: dict[str, Any]) -> None:
    assert report["late_frames"] == 0


def test_every_posted_comment_is_recorded_with_its_decision(report: dict[str, Any]) -> None:
    assert report["comments_posted"] >= 10  # one every 5 s for a minute
    assert report["comments_refused"] == []
    assert report["comments_recorded"] == report["comments_posted"]
    assert report["decisions_recorded"] == report["comments_posted"]


def test_the_transcript_has_every_sentence_the_host_ended(report: dict[str, Any]) -> None:
    assert report["speech_ends_ws"] > 0
    assert report["transcript_rows"] == report["speech_ends_ws"]
    assert report["transcript_complete"] is True


def test_rss_is_sampled_for_the_service_and_the_worker(report: dict[str, Any]) -> None:
    rows = report["sample_rows"]
    assert len(rows) >= 6  # one every 10 s over 60 s
    assert all(r["service_rss_mb"] > 0 for r in rows)
    assert all(r["worker_rss_mb"] > 0 for r in rows)
    assert report["worker_rss_mb_warm"] is not None and report["service_rss_mb_warm"] is not None


def test_the_worker_never_restarts(report: dict[str, Any]) -> None:
    assert report["worker_restarts"] == 0
    assert len(report["worker_pids"]) == 1


def test_the_ingest_records_the_stream_without_gaps(report: dict[str, Any]) -> None:
    assert report["recording_frames"] >= report["frames"]
    assert report["recording_max_gap_ms"] <= 1000 / 30 + 1  # FLV timestamps are whole milliseconds
