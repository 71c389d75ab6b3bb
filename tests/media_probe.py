"""Reads a recorded stream back with PyAV and reports what a viewer's player would see."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np


@dataclass
class Probe:
    video_codec: str
    audio_codec: str
    frames: int
    video_pts_s: list[float]
    audio_start_s: float
    audio_end_s: float
    audio_rms: float
    sample_rate: int

    @property
    def video_start_s(self) -> float:
        return self.video_pts_s[0]

    @property
    def duration_s(self) -> float:
        """Time covered by the video: last frame's pts plus one frame period."""
        return self.video_pts_s[-1] - self.video_pts_s[0] + self.mean_period_s

    @property
    def mean_period_s(self) -> float:
        return float(np.mean(np.diff(self.video_pts_s)))

    @property
    def max_gap_s(self) -> float:
        return float(np.max(np.diff(self.video_pts_s)))


def probe(path: Path | str) -> Probe:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        a = c.streams.audio[0]
        pts = sorted(float(f.pts * f.time_base) for f in c.decode(v))
    with av.open(str(path)) as c:
        a = c.streams.audio[0]
        chunks, starts, ends = [], [], []
        for f in c.decode(a):
            x = f.to_ndarray()
            chunks.append(x.reshape(-1).astype(np.float32))
            t0 = float(f.pts * f.time_base)
            starts.append(t0)
            ends.append(t0 + f.samples / f.sample_rate)
        audio = np.concatenate(chunks)
        return Probe(v.codec_context.name, a.codec_context.name, len(pts), pts, min(starts), max(ends),
                     float(np.sqrt(np.mean(audio * audio))), a.codec_context.sample_rate)
