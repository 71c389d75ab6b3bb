"""End to end: `streamer run` with real voices, then read the encoded file back. The host's mouth in the decoded
video must follow the loudness of the decoded audio with the best lag within one frame: the audio-master clock,
the renderer and the muxer agree on time."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from conftest import run_cli
from test_lipsync import best_lag, openness

from streamer.brief import load_brief
from streamer.scene import SceneRenderer

FPS = 30
SIZE = (640, 360)
RATE = 48_000


def decoded_audio(path: Path) -> np.ndarray:
    """Mono audio placed on the file's timeline by pts (so any A/V offset in the file shows up)."""
    with av.open(str(path)) as c:
        frames = [(float(f.pts * f.time_base), f.to_ndarray()[0]) for f in c.decode(audio=0)]
    end = max(t for t, _ in frames) + 2
    out = np.zeros(int(end * RATE), np.float32)
    for t, x in frames:
        i = int(round(t * RATE))
        if i >= 0:
            out[i:i + x.size] = x[: out.size - i]
    return out


def loudness_at_frames(pcm: np.ndarray, n: int) -> np.ndarray:
    half = RATE // FPS // 2
    return np.array([float(np.sqrt(np.mean(pcm[max(c - half, 0):c + half] ** 2)))
                     for c in (k * RATE // FPS for k in range(n))])


@pytest.mark.slow
@pytest.mark.parametrize("brief_fixture", ["garden_brief", "tea_brief"])  # piper (en), espeak-ng (zh)
def test_mouth_in_the_encoded_stream_follows_the_encoded_voice(
        tmp_path: Path, brief_fixture: str, request: pytest.FixtureRequest) -> None:
    brief_path = request.getfixturevalue(brief_fixture)
    out = tmp_path / "sync.mp4"
    r = run_cli("run", str(brief_path), "--out", str(out), "--duration", "12", "--size", "640x360")
    assert r.returncode == 0, r.stderr
    box = SceneRenderer(load_brief(brief_path), SIZE, FPS).mouth_box()
    with av.open(str(out)) as c:
        mouth = np.array([openness(f.to_ndarray(format="rgb24"), box) for f in c.decode(video=0)], np.float64)
    loud = loudness_at_frames(decoded_audio(out), mouth.size)
    lag, corr = best_lag(mouth, loud)
    assert abs(lag) <= 1, f"mouth is {lag} frames off the voice"
    assert corr > 0.5, f"mouth barely follows the voice (r={corr:.2f})"
