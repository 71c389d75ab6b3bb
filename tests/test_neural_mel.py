"""Wav2Lip's audio front end: the same mel spectrogram as its training code (librosa), windowed per video frame."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
from scipy import signal

from streamer.avatar.neural import mel as wav2lip_mel

SR = 16_000


def speech_like(seconds: float, seed: int = 0) -> np.ndarray:
    """A gliding voiced tone with harmonics, bursts of noise and a silent gap: energy in every mel band."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f0 = 120 + 80 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    noise = rng.standard_normal(t.size) * (np.sin(2 * np.pi * 1.3 * t) > 0.6)
    x = 0.2 * voiced + 0.05 * noise
    x[int(0.4 * SR):int(0.6 * SR)] = 0.0
    return x.astype(np.float32)


def wav2lip_training_mel(wav: np.ndarray) -> np.ndarray:
    """audio.melspectrogram of Rudrabha/Wav2Lip with its hparams, through librosa (reflect padding, as librosa 0.7
    padded the STFT by default when the network was trained)."""
    emphasised = signal.lfilter([1, -0.97], [1], wav)
    stft = librosa.stft(y=emphasised, n_fft=800, hop_length=200, win_length=800, pad_mode="reflect")
    basis = librosa.filters.mel(sr=SR, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    db = 20 * np.log10(np.maximum(1e-5, basis @ np.abs(stft))) - 20
    return np.clip(8 * (db + 100) / 100 - 4, -4, 4)


def test_filter_bank_is_librosas_slaney_default():
    expected = librosa.filters.mel(sr=SR, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    np.testing.assert_allclose(wav2lip_mel.mel_basis(), expected, rtol=1e-5, atol=1e-8)


def test_mel_matches_the_training_code():
    wav = speech_like(2.3)
    ours = wav2lip_mel.melspectrogram(wav)
    expected = wav2lip_training_mel(wav)
    assert ours.shape == expected.shape == (80, 1 + wav.size // 200)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, atol=1e-4)


def test_mel_of_silence_is_the_clipped_floor():
    assert np.all(wav2lip_mel.melspectrogram(np.zeros(SR, np.float32)) == -4.0)


def test_a_loud_tone_reaches_the_top_of_the_range_in_its_own_band():
    t = np.arange(SR) / SR
    mel = wav2lip_mel.melspectrogram((0.9 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32))
    centres_hz = librosa.mel_frequencies(82, fmin=55, fmax=7600)[1:-1]
    loudest = int(np.argmax(mel[:, 20:-20].mean(axis=1)))
    assert abs(centres_hz[loudest] - 1000) < 60
    assert mel[loudest, 20:-20].min() > 2.0


def test_integer_samples_are_refused():
    with pytest.raises(ValueError, match="float samples"):
        wav2lip_mel.melspectrogram(np.zeros(1600, np.int16))


def inference_py_windows(mel: np.ndarray, fps: float) -> list[np.ndarray]:
    """The chunking loop of Wav2Lip's inference.py, for the windows that fit inside the audio."""
    chunks = []
    step = 80.0 / fps
    i = 0
    while int(i * step) + 16 <= mel.shape[1]:
        start = int(i * step)
        chunks.append(mel[:, start:start + 16])
        i += 1
    return chunks


@pytest.mark.parametrize("fps", [25, 30])
def test_windows_follow_wav2lip_indexing(fps):
    mel = wav2lip_mel.melspectrogram(speech_like(1.7, seed=fps))
    expected = inference_py_windows(mel, fps)
    windows = wav2lip_mel.mel_windows(mel, fps, len(expected))
    assert windows.shape == (len(expected), 1, 80, 16)
    np.testing.assert_array_equal(windows[:, 0], np.stack(expected))


@pytest.mark.parametrize("fps", [25, 30])
def test_window_of_frame_j_starts_at_80_j_over_fps(fps):
    columns = np.tile(np.arange(200, dtype=np.float32), (80, 1))  # each mel frame holds its own index
    windows = wav2lip_mel.mel_windows(columns, fps, 40)
    assert [int(w[0, 0, 0]) for w in windows] == [int(80 * j / fps) for j in range(40)]
    np.testing.assert_array_equal(windows[7, 0, 5], int(80 * 7 / fps) + np.arange(16))


def test_windows_past_the_end_of_the_audio_are_padded_with_silence():
    mel = wav2lip_mel.melspectrogram(speech_like(1.0))  # 81 mel frames
    windows = wav2lip_mel.mel_windows(mel, 25, 30)  # frame 29 starts at mel frame 92
    assert windows.shape == (30, 1, 80, 16)
    np.testing.assert_array_equal(windows[22, 0, :, :81 - 70], mel[:, 70:81])
    assert np.all(windows[22, 0, :, 81 - 70:] == -4.0)
    assert np.all(windows[29] == -4.0)


def test_resampling_48k_keeps_speech_band_and_drops_what_16k_cannot_carry():
    t = np.arange(48_000) / 48_000
    kept = wav2lip_mel.resample_to_16k(np.sin(2 * np.pi * 440 * t).astype(np.float32), 48_000)
    dropped = wav2lip_mel.resample_to_16k(np.sin(2 * np.pi * 10_000 * t).astype(np.float32), 48_000)
    assert kept.shape == dropped.shape == (16_000,)
    assert kept.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(kept))
    assert int(np.argmax(spectrum)) == 440  # 1 s of audio: bin k is k Hz
    assert np.sqrt(np.mean(kept[1000:-1000] ** 2)) == pytest.approx(np.sqrt(0.5), rel=0.01)
    assert np.sqrt(np.mean(dropped[1000:-1000] ** 2)) < 0.01
