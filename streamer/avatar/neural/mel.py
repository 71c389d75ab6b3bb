"""Wav2Lip's audio front end: the 80-bin mel spectrogram it was trained on, and one 16-frame window per video frame.

The released network only understands the exact features of its training code (``audio.py`` and ``hparams.py`` of
Rudrabha/Wav2Lip): 16 kHz audio, pre-emphasis 0.97, a centred STFT (n_fft 800, hop 200 = 80 mel frames a second,
periodic Hann window of 800, reflect padding as librosa 0.7 did), librosa's default Slaney mel filter bank (80 bins,
55 to 7600 Hz, area-normalised), dB with a -100 dB floor less a 20 dB reference level, then scaled symmetrically to
±4 and clipped. This module computes them with numpy and scipy only, so the inference service needs no librosa.

Video frame j of an utterance at ``fps`` sees mel frames ``int(j * 80 / fps)`` onwards, 16 of them (200 ms), as
Wav2Lip's ``inference.py`` indexes them. Windows running past the end of the audio are padded with silence (the
clipped floor, -4) rather than shifted back, so every frame of the utterance keeps its own instant.
"""

from __future__ import annotations

from functools import cache
from math import gcd

import numpy as np
from scipy import signal

SAMPLE_RATE = 16_000
N_FFT = 800
HOP = 200
WIN = 800
N_MELS = 80
FMIN_HZ = 55.0
FMAX_HZ = 7600.0
PREEMPHASIS = 0.97
MIN_LEVEL_DB = -100.0
REF_LEVEL_DB = 20.0
MAX_ABS = 4.0
MEL_FPS = SAMPLE_RATE / HOP  # mel frames per second of audio: 80
WINDOW_FRAMES = 16  # mel frames the network sees for one video frame
SILENCE = -MAX_ABS  # the normalised value of anything at or below the -100 dB floor


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above (27 mels per factor 6.4)."""
    hz = np.asarray(hz, np.float64)
    linear = hz / (200.0 / 3.0)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, np.float64)
    linear = mel * (200.0 / 3.0)
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log_part, linear)


@cache
def mel_basis() -> np.ndarray:
    """(80, 401) triangular filters on the STFT bins, each scaled to unit area (2 / its width in Hz)."""
    bin_hz = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges_mel = np.linspace(_hz_to_mel(np.array(FMIN_HZ)), _hz_to_mel(np.array(FMAX_HZ)), N_MELS + 2)
    edges_hz = _mel_to_hz(edges_mel)
    lo, mid, hi = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (bin_hz[None, :] - lo) / (mid - lo)
    falling = (hi - bin_hz[None, :]) / (hi - mid)
    tri = np.maximum(0.0, np.minimum(rising, falling))
    basis = tri * (2.0 / (hi - lo))
    basis.setflags(write=False)
    return basis


def _magnitudes(x: np.ndarray) -> np.ndarray:
    """|STFT| of a centred, reflect-padded signal: (401, 1 + len // HOP)."""
    pad = N_FFT // 2
    padded = np.pad(x, pad, mode="reflect")
    n_frames = 1 + (padded.size - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[:: HOP][:n_frames]
    window = signal.get_window("hann", WIN, fftbins=True)
    return np.abs(np.fft.rfft(frames * window, axis=1)).T


def melspectrogram(pcm16k: np.ndarray) -> np.ndarray:
    """Mono float audio at 16 kHz (-1..1) -> (80, 1 + len // 200) float32 normalised mel, as Wav2Lip trained on."""
    x = np.asarray(pcm16k)
    if x.ndim != 1:
        raise ValueError(f"melspectrogram wants mono audio (one dimension), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"melspectrogram wants float samples in -1..1, got {x.dtype}")
    x = x.astype(np.float64)
    if x.size <= N_FFT // 2:
        # reflect padding needs more samples than it mirrors; a clip this short (< 25 ms) is silence to the network
        x = np.pad(x, (0, N_FFT // 2 + 1 - x.size))
    emphasised = signal.lfilter([1.0, -PREEMPHASIS], [1.0], x)
    mel = mel_basis() @ _magnitudes(emphasised)
    db = 20.0 * np.log10(np.maximum(10.0 ** (MIN_LEVEL_DB / 20.0), mel)) - REF_LEVEL_DB
    scaled = 2.0 * MAX_ABS * (db - MIN_LEVEL_DB) / -MIN_LEVEL_DB - MAX_ABS
    return np.clip(scaled, -MAX_ABS, MAX_ABS).astype(np.float32)


def window_starts(fps: float, n_frames: int) -> np.ndarray:
    """The first mel frame each video frame sees: Wav2Lip's ``int(j * (80 / fps))``."""
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if n_frames < 0:
        raise ValueError(f"n_frames must not be negative, got {n_frames}")
    step = MEL_FPS / fps
    return np.array([int(j * step) for j in range(n_frames)], np.int64)


def mel_windows(mel: np.ndarray, fps: float, n_frames: int) -> np.ndarray:
    """(80, T) mel -> (n_frames, 1, 80, 16) float32: the window each video frame of the utterance is painted from."""
    if mel.ndim != 2 or mel.shape[0] != N_MELS:
        raise ValueError(f"mel_windows wants an ({N_MELS}, T) mel spectrogram, got shape {mel.shape}")
    starts = window_starts(fps, n_frames)
    needed = int(starts[-1]) + WINDOW_FRAMES if n_frames else 0
    padded = mel
    if needed > mel.shape[1]:
        padded = np.pad(mel, ((0, 0), (0, needed - mel.shape[1])), constant_values=SILENCE)
    idx = starts[:, None] + np.arange(WINDOW_FRAMES)[None, :]
    windows = padded[:, idx]  # (80, n, 16)
    return np.ascontiguousarray(windows.transpose(1, 0, 2)[:, None], dtype=np.float32)


def resample_to_16k(pcm: np.ndarray, rate: int) -> np.ndarray:
    """Mono float audio at ``rate`` Hz (the session's 48 kHz) -> float32 at 16 kHz, polyphase low-passed."""
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate}")
    x = np.asarray(pcm, np.float32)
    if x.ndim != 1:
        raise ValueError(f"resample_to_16k wants mono audio (one dimension), got shape {x.shape}")
    if rate == SAMPLE_RATE:
        return x.copy()
    g = gcd(SAMPLE_RATE, rate)
    return signal.resample_poly(x, SAMPLE_RATE // g, rate // g).astype(np.float32)
