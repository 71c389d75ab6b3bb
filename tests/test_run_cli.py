"""`streamer run` to files: frame-exact renders, real-time pacing, clean shutdown and clear errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from media_probe import probe

FRAME_S = 1 / 30


@pytest.mark.slow
def test_twenty_second_render_of_an_unseen_brief_has_600_frames(tmp_path: Path, tea_brief: Path) -> None:
    out = tmp_path / "tea.mp4"
    r = run_cli("run", str(tea_brief), "--out", str(out), "--duration", "20", "--stats")
    assert r.returncode == 0, r.stderr
    p = probe(out)
    assert p.frames == 600
    assert p.video_codec == "h264" and p.audio_codec == "aac" and p.sample_rate == 48_000
    assert p.max_gap_s <= 1.5 * FRAME_S
    assert p.audio_rms > 0.02
    stats = json.loads(r.stdout)
    assert stats["samples"] == 600 * 1600 and stats["utterances"] >= 3


@pytest.mark.parametrize("suffix", [".flv", ".mkv"])
def test_other_containers_render_frame_exact(tmp_path: Path, garden_brief: Path, suffix: str) -> None:
    out = tmp_path / f"g{suffix}"
    r = run_cli("run", str(garden_brief), "--out", str(out), "--duration", "2", "--size", "320x180")
    assert r.returncode == 0, r.stderr
    assert probe(out).frames == 60


@pytest.mark.slow
def test_realtime_file_render_takes_the_requested_wall_time(tmp_path: Path, garden_brief: Path) -> None:
    t0 = time.monotonic()
    r = run_cli("run", str(garden_brief), "--out", str(tmp_path / "rt.flv"), "--duration", "5", "--realtime",
                "--size", "320x180", "--stats")
    wall = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    assert stats["frames"] == 150 and stats["samples"] == 150 * 1600
    assert 4.9 <= wall <= 5.0 + 20.0  # never faster than real time; start-up takes seconds on a loaded CI


@pytest.mark.slow
def test_sigterm_stops_cleanly_with_a_playable_mp4(tmp_path: Path, garden_brief: Path) -> None:
    out = tmp_path / "stopped.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "streamer.cli", "run", str(garden_brief), "--out", str(out),
                             "--realtime", "--size", "320x180", "--stats"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60  # on air first (start-up takes seconds on a loaded machine), then a second
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 20_000):
        time.sleep(0.2)
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    frames = json.loads(stdout)["frames"]
    assert frames > 30
    assert probe(out).frames == frames  # everything rendered was flushed into a finished file


def _one_clear_line(r: subprocess.CompletedProcess[str], *words: str) -> None:
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0]


def test_missing_brief_is_one_clear_line(tmp_path: Path) -> None:
    _one_clear_line(run_cli("run", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "x.mp4")), "not found")


def test_malformed_brief_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("language: en\nproducts: [{id: a, name: A, price: [oops\n", encoding="utf-8")
    _one_clear_line(run_cli("run", str(bad), "--out", str(tmp_path / "x.mp4")), "YAML")


def test_invalid_brief_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("language: en\nproducts: [{id: a, name: A, price: -3}]\n", encoding="utf-8")
    _one_clear_line(run_cli("run", str(bad), "--out", str(tmp_path / "x.mp4")), "products[0].price")


def test_unwritable_output_is_one_clear_line(garden_brief: Path) -> None:
    _one_clear_line(run_cli("run", str(garden_brief), "--out", "/proc/streamer/out.mp4", "--duration", "1"),
                    "/proc/streamer/out.mp4")


def test_unknown_voice_is_one_clear_line(tmp_path: Path, garden_brief: Path) -> None:
    _one_clear_line(run_cli("run", str(garden_brief), "--out", str(tmp_path / "x.mp4"), "--voice", "bogus:foo"),
                    "bogus")


def test_unsupported_output_type_is_one_clear_line(tmp_path: Path, garden_brief: Path) -> None:
    _one_clear_line(run_cli("run", str(garden_brief), "--out", str(tmp_path / "x.gif")), ".gif")


def test_run_builds_the_same_llm_responder_as_served_streams(tmp_path: Path, garden_brief: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMER_LLM_BACKEND", "openai")
    monkeypatch.setenv("STREAMER_LLM_MODEL", "test-model")
    monkeypatch.setenv("STREAMER_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    r = run_cli("run", str(garden_brief), "--out", str(tmp_path / "g.flv"), "--duration", "1", "--size", "320x180",
                "--stats")
    assert r.returncode == 0, r.stderr
    llm = json.loads(r.stdout)["llm"]
    assert llm["backend"] == "openai:test-model" and llm["breaker"] == "closed"
