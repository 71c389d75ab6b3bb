"""Lip sync: the mouth parameters for any moment of an utterance, locked to the audio samples that play then.

``LipTrack`` is built once per utterance on a 5 ms grid whose point k sits exactly on sample k * HOP of the
utterance, and all smoothing is zero-phase (centred windows, symmetric kernels), so the mouth neither leads nor lags
the sound. With phoneme or word timings the shape comes from visemes blended by dominance (coarticulation) and the jaw
is scaled by loudness; without timings both come from the audio: loudness opens the jaw, the spectral centroid
tells spread vowels and hiss (bright) from rounded ones (dark).
"""

from __future__ import annotations

import numpy as np

from ..tts.base import SAMPLE_RATE, Mark
from .visemes import CLASSES, Segment, segments

HOP = 240  # samples between grid points: 5 ms at 48 kHz
WINDOW = 1600  # loudness window, one 30 fps frame of audio, centred on the grid point
FFT = 1024
REST = np.array(CLASSES["sil"].target, np.float32)
GATE_FLOOR = 0.06  # below this fraction of the utterance's speaking level the mouth counts as silent


def loudness(pcm: np.ndarray, n_points: int) -> np.ndarray:
    """RMS in a WINDOW centred on each grid point (zero-phase by construction)."""
    x = np.asarray(pcm, np.float64)
    c = np.concatenate([[0.0], np.cumsum(x * x)])
    centres = np.arange(n_points) * HOP
    lo = np.clip(centres - WINDOW // 2, 0, x.size)
    hi = np.clip(centres + WINDOW // 2, 0, x.size)
    return np.sqrt((c[hi] - c[lo]) / WINDOW).astype(np.float32)


def normalise(rms: np.ndarray) -> np.ndarray:
    """0..1 speaking level relative to this utterance (so quiet and loud voices move the mouth alike)."""
    if rms.size == 0 or float(rms.max()) < 1e-5:
        return np.zeros_like(rms)
    voiced = rms[rms > 0.1 * rms.max()]
    ref = float(np.percentile(voiced, 90)) if voiced.size else float(rms.max())
    level = np.clip(rms / max(ref, 1e-6), 0.0, 1.0)
    level = np.clip((level - GATE_FLOOR) / (1 - GATE_FLOOR), 0.0, 1.0)
    return level ** 0.6  # compress: quiet syllables still open the mouth visibly


def smooth(x: np.ndarray, sigma_points: float) -> np.ndarray:
    """Gaussian smoothing along axis 0, zero-phase, edges held."""
    if sigma_points <= 0 or x.shape[0] < 2:
        return x
    r = int(np.ceil(3 * sigma_points))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma_points) ** 2)
    k /= k.sum()
    pad = np.pad(x, [(r, r)] + [(0, 0)] * (x.ndim - 1), mode="edge")
    if x.ndim == 1:
        return np.convolve(pad, k, mode="valid").astype(np.float32)
    return np.stack([np.convolve(pad[:, j], k, mode="valid") for j in range(x.shape[1])], axis=1).astype(np.float32)


def coarticulate(segs: list[Segment], times: np.ndarray) -> np.ndarray:
    """Dominance-weighted blend of viseme targets (Cohen-Massaro): (len(times), 5) mouth parameters."""
    if not segs:
        return np.tile(REST, (times.size, 1))
    start = np.array([s.start_s for s in segs])[:, None]
    end = np.array([max(s.end_s, s.start_s + 1e-3) for s in segs])[:, None]
    cls = [CLASSES[s.viseme] for s in segs]
    target = np.array([c.target for c in cls], np.float32)
    alpha = np.array([c.dominance for c in cls])[:, None]
    spread = np.array([c.spread_s for c in cls])[:, None]
    d = np.maximum(0.0, np.maximum(start - times[None, :], times[None, :] - end))
    dom = alpha * np.exp(-((d / spread) ** 2))
    base = 0.02  # the rest shape wins only far from any speech
    num = dom.T @ target + base * REST
    return (num / (dom.sum(axis=0) + base)[:, None]).astype(np.float32)


def from_audio(pcm: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Mouth parameters from the sound alone: loudness for the jaw, spectral centroid for spread versus round."""
    n = level.size
    x = np.pad(np.asarray(pcm, np.float32), (FFT // 2, FFT // 2 + HOP * n))
    frames = np.lib.stride_tricks.as_strided(x, shape=(n, FFT), strides=(HOP * x.strides[0], x.strides[0]))
    spec = np.abs(np.fft.rfft(frames * np.hanning(FFT).astype(np.float32), axis=1))
    freqs = np.fft.rfftfreq(FFT, 1 / SAMPLE_RATE)
    band = (freqs > 80) & (freqs < 8000)
    power = spec[:, band] + 1e-9
    centroid = (power * freqs[band]).sum(axis=1) / power.sum(axis=1)
    bright = smooth(np.clip((centroid - 900.0) / 2400.0, 0.0, 1.0).astype(np.float32), 6)
    out = np.tile(REST, (n, 1))
    out[:, 0] = 0.85 * level
    hiss = np.clip((centroid - 3500.0) / 2000.0, 0.0, 1.0)  # s, sh, f: teeth nearly together
    out[:, 0] *= 1.0 - 0.7 * smooth(hiss.astype(np.float32), 4)
    out[:, 1] = 1.0 + 0.16 * (bright - 0.4)
    out[:, 2] = np.clip((0.35 - bright) * 2.5, 0.0, 1.0) * (level > 0.2)
    return smooth(out, 2)


class LipTrack:
    """Mouth parameters (open, width, round, press, fv) and a slow speaking level for one utterance."""

    def __init__(self, pcm: np.ndarray, marks: tuple[Mark, ...] | list[Mark] = ()) -> None:
        self.n_samples = int(np.asarray(pcm).size)
        n = self.n_samples // HOP + 2
        level = normalise(loudness(pcm, n))
        self.level = level
        segs = segments(marks) if marks else []
        if segs:
            params = coarticulate(segs, np.arange(n) * HOP / SAMPLE_RATE)
            # timings give the shape; the jaw follows what is actually heard, so a late or early mark never
            # opens the mouth over silence
            # a loud syllable opens the jaw a little even on a close vowel; closures (M, F) stay shut
            floor = 0.25 * (1.0 - np.maximum(params[:, 3], params[:, 4]))
            params[:, 0] = (floor + (1.0 - floor) * params[:, 0]) * np.minimum(1.0, 1.3 * smooth(level, 1))
            self.params = params
        else:
            self.params = from_audio(pcm, level)
        self.slow_level = smooth(level, 30)  # ~150 ms: drives nods, not the mouth

    def _index(self, rel_s: float) -> tuple[int, float] | None:
        pos = rel_s * SAMPLE_RATE / HOP
        if pos < 0 or rel_s * SAMPLE_RATE >= self.n_samples:
            return None
        i = int(pos)
        return i, pos - i

    def at(self, rel_s: float) -> np.ndarray:
        """Parameters at ``rel_s`` seconds after the utterance's first sample; the rest shape outside it."""
        ix = self._index(rel_s)
        if ix is None:
            return REST.copy()
        i, f = ix
        j = min(i + 1, self.params.shape[0] - 1)
        return self.params[i] * (1 - f) + self.params[j] * f

    def speech_level(self, rel_s: float) -> float:
        ix = self._index(rel_s)
        return 0.0 if ix is None else float(self.slow_level[ix[0]])
