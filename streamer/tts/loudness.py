"""Loudness for streaming: every utterance at about -16 LUFS integrated and never above -1 dBTP, whatever the engine.

Engines differ by several dB (espeak-ng English speaks near -21 LUFS, piper near -20, espeak-ng Mandarin near -18)
and piper and espeak-ng Mandarin reach 0 dBFS, which clips once AAC adds its overshoot. The TTS base class runs each
utterance through a ``LoudnessNormalizer`` after resampling, so every engine (piper, espeak, edge, openai, and the
fallback chain, which passes its engines' audio on untouched) comes out the same. numpy only; deterministic.

Measurement: ITU-R BS.1770-4. K-weighting (the standard pre-filter and RLB high-pass at 48 kHz, applied as their
impulse response, 2048 taps, by overlap-save FFT convolution), 400 ms blocks every 100 ms, absolute gate -70 LUFS,
relative gate -10 LU. An utterance shorter than one block is measured ungated over what there is.

Gain, per utterance, for a stream, with nothing held back: the first piece an engine hands over sets the starting
gain, target minus its loudness. piper and espeak-ng hand over a whole sentence at once, so for them that is the
exact integrated value. Streaming engines (edge, openai) hand over tens of ms at a time, too little to measure (and
often the silence before the first word): a first piece shorter than one 400 ms block starts at the gain this
engine ended its last utterance with (an engine's level changes little), or, for its first utterance, at the gain
for a typical engine (``TYPICAL_ENGINE_LUFS``). From one block on, the gain follows the running integrated
measurement, each change spread over a ``RAMP_S`` linear ramp.

The limiter takes 0.5-4 LU off speech at -16 LUFS (piper's peaks stand 20 dB over its loudness), so the gain gives
it back: on a whole-sentence first piece the limiter is run again with the missing loudness added until the result
is within ``SETTLED_LU`` (2-3 runs for our voices); later pieces add the difference between the loudness before and
after the limiter so far. Audio with nothing above the absolute gate (silence, hiss) is not brought up: it keeps the
engine's last gain, or its own level; the gain is bounded by ``MIN_GAIN_DB``/``MAX_GAIN_DB`` and the make-up by
``MAX_MAKEUP_DB``.

True peak: a look-ahead limiter on a 4x oversampled peak estimate (three windowed-sinc fractional-delay filters
between each pair of samples). Where the estimate exceeds ``CEILING_DBTP`` the gain needed there is held for
``HOLD_S`` and ramped in over the ``LOOKAHEAD_S`` before it (so the gain has fully dropped at the peak), then ramped
back out. The limiter delays audio by the look-ahead internally and returns exactly as many samples as it was given,
aligned with the input, so phoneme marks keep their times.
"""

from __future__ import annotations

import numpy as np

TARGET_LUFS = -16.0
CEILING_DBTP = -1.3  # 0.3 dB under the -1 dBTP target, for the error of a 4x peak estimate
BLOCK_S = 0.4  # the running measurement is trusted from one gating block on
TYPICAL_ENGINE_LUFS = -20.0  # where a streaming engine's first utterance starts, before it can be measured (ours: -18..-21)
RAMP_S = 0.05  # a gain change is spread over this much audio
MAX_GAIN_DB = 20.0
MIN_GAIN_DB = -30.0
MAX_MAKEUP_DB = 6.0  # loudness given back for what the limiter takes off speech peaks (0.5-4 LU for our voices)
MAKEUP_RUNS = 3  # limiter runs at most on a whole-sentence first piece, until it is within SETTLED_LU
SETTLED_LU = 0.5
LOOKAHEAD_S = 0.005  # the limiter's attack: gain falls over this much audio before a peak
HOLD_S = 0.04  # and stays down this long after it, so speech peaks a few ms apart do not make it flutter

_RATE = 48_000  # the session rate (streamer.tts.base.SAMPLE_RATE); the K-weighting taps are for this rate
_STEP = _RATE // 10  # 100 ms: the gating block hop
_BLOCK_STEPS = 4  # 400 ms blocks
_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0
_OVERSAMPLE = 4
_INTERP_HALF_TAPS = 8  # 16 taps per fractional phase
_OVERSHOOT_MARGIN = 0.5  # between-sample peaks are looked for next to samples within 6 dB of the ceiling


def _biquad_impulse(b: tuple[float, ...], a: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    y = np.zeros_like(x)
    x1 = x2 = y1 = y2 = 0.0
    for i, xi in enumerate(x.tolist()):
        yi = b[0] * xi + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
        x2, x1, y2, y1 = x1, xi, y1, yi
        y[i] = yi
    return y


def _k_weighting_taps(n: int = 2048) -> np.ndarray:
    """BS.1770-4's two 48 kHz biquads (high-shelf pre-filter, RLB high-pass) as one FIR; what ``n`` taps leave off
    decays from -89 dB, far below what changes a loudness figure."""
    impulse = np.zeros(n)
    impulse[0] = 1.0
    shelf = _biquad_impulse((1.53512485958697, -2.69169618940638, 1.19839281085285),
                            (1.0, -1.69065929318241, 0.73248077421585), impulse)
    return _biquad_impulse((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621), shelf)


def _interpolation_taps() -> np.ndarray:
    """Rows: filters giving x(n + k/4) for k = 1, 2, 3 from x[n - 7 .. n + 8] (Kaiser-windowed sinc)."""
    offsets = np.arange(-_INTERP_HALF_TAPS + 1, _INTERP_HALF_TAPS + 1)
    window = np.kaiser(2 * _INTERP_HALF_TAPS + 1, 8.0)
    rows = []
    for k in range(1, _OVERSAMPLE):
        t = offsets - k / _OVERSAMPLE
        taps = np.sinc(t) * np.interp(t, np.arange(-_INTERP_HALF_TAPS, _INTERP_HALF_TAPS + 1), window)
        rows.append(taps / taps.sum())
    return np.array(rows)


_K_TAPS = _k_weighting_taps()
_FFT_SIZE = 8192
_FFT_HOP = _FFT_SIZE - _K_TAPS.size + 1  # overlap-save: new samples filtered per FFT frame
_K_SPECTRUM = np.fft.rfft(_K_TAPS, _FFT_SIZE)
_INTERP = _interpolation_taps()


class KWeighting:
    """The BS.1770 K-weighting filter for a stream (overlap-save FFT convolution, every frame in one batch)."""

    def __init__(self) -> None:
        self._history = np.zeros(_K_TAPS.size - 1)

    def push(self, pcm: np.ndarray) -> np.ndarray:
        n = pcm.size
        if n == 0:
            return np.zeros(0)
        frames = -(-n // _FFT_HOP)
        x = np.zeros(self._history.size + frames * _FFT_HOP)
        x[: self._history.size] = self._history
        x[self._history.size : self._history.size + n] = pcm
        self._history = x[n : n + self._history.size].copy()
        windows = np.lib.stride_tricks.sliding_window_view(x, _FFT_SIZE)[::_FFT_HOP]
        y = np.fft.irfft(np.fft.rfft(windows, axis=1) * _K_SPECTRUM, _FFT_SIZE, axis=1)
        return y[:, _K_TAPS.size - 1 :].reshape(-1)[:n]


class LoudnessMeter:
    """Running BS.1770 integrated loudness of a mono 48 kHz stream fed in pieces of any size."""

    def __init__(self) -> None:
        self._filter = KWeighting()
        self._steps: list[float] = []  # K-weighted energy of each complete 100 ms step
        self._partial_energy = 0.0
        self._partial_n = 0
        self.measured_s = 0.0

    def push(self, pcm: np.ndarray) -> None:
        self.add_weighted(self._filter.push(pcm))

    def add_weighted(self, weighted: np.ndarray) -> None:
        """Count audio that is already K-weighted (one filter pass can feed several meters)."""
        if weighted.size == 0:
            return
        self.measured_s += weighted.size / _RATE
        energy = np.square(weighted)
        take = min(_STEP - self._partial_n, energy.size)
        self._partial_energy += float(energy[:take].sum())
        self._partial_n += take
        rest = energy[take:]
        if self._partial_n == _STEP:
            self._steps.append(self._partial_energy)
            whole = rest.size // _STEP * _STEP
            self._steps.extend(rest[:whole].reshape(-1, _STEP).sum(axis=1).tolist())
            self._partial_energy, self._partial_n = float(rest[whole:].sum()), rest.size - whole

    def integrated_lufs(self) -> float | None:
        """Gated loudness so far; None when nothing is above the absolute gate (silence)."""
        steps = np.array(self._steps)
        if steps.size >= _BLOCK_STEPS:
            blocks = np.convolve(steps, np.ones(_BLOCK_STEPS), "valid") / (_BLOCK_STEPS * _STEP)
        else:  # shorter than one block: the ungated mean over what there is
            n = steps.size * _STEP + self._partial_n
            blocks = np.array([(steps.sum() + self._partial_energy) / n]) if n else np.zeros(0)
        blocks = blocks[_lufs(blocks) > _ABSOLUTE_GATE_LUFS]
        if blocks.size == 0:
            return None
        relative_gate = float(_lufs(np.array([blocks.mean()]))[0]) + _RELATIVE_GATE_LU
        gated = blocks[_lufs(blocks) > relative_gate]
        return float(_lufs(np.array([gated.mean()]))[0])


def _lufs(mean_square: np.ndarray) -> np.ndarray:
    return -0.691 + 10 * np.log10(np.maximum(mean_square, 1e-20))


def true_peak_estimate(x: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Per sample, the largest magnitude of x at n, n + 1/4, n + 1/2, n + 3/4 (4x oversampled).

    Between-sample values are only computed next to samples above ``floor`` (elsewhere the sample magnitude is
    returned): speech band-limited to 12 kHz overshoots its samples by well under the 6 dB margin callers leave.
    """
    padded = np.concatenate([np.zeros(_INTERP_HALF_TAPS), x, np.zeros(_INTERP_HALF_TAPS)])
    peak = np.abs(x)
    near = np.flatnonzero(np.maximum(peak, np.concatenate([peak[1:], [0.0]])) > floor)
    if near.size:
        # row n of the windows is padded[n + 1 : n + 17] = x[n - 7 .. n + 8], what the taps weight
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * _INTERP_HALF_TAPS)[near + 1]
        peak[near] = np.maximum(peak[near], np.abs(windows @ _INTERP.T).max(axis=1))
    return peak


def _sliding_min(r: np.ndarray, width: int) -> np.ndarray:
    """out[i] = min(r[i : i + width]) for every full window (van Herk / Gil-Werman, O(n))."""
    n = r.size
    blocks = np.concatenate([r, np.ones((-n) % width)]).reshape(-1, width)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suffix[: n - width + 1], prefix[width - 1 : n])


class TruePeakLimiter:
    """Look-ahead limiter keeping the 4x-oversampled peak under ``ceiling_dbtp``; streams with no seams.

    ``push`` returns audio delayed by the look-ahead, ``flush`` the rest: together exactly the input's length, the
    same samples a single call on the whole utterance would give.
    """

    def __init__(self, ceiling_dbtp: float = CEILING_DBTP) -> None:
        self.ceiling_dbtp = ceiling_dbtp
        self.ceiling = 10 ** (ceiling_dbtp / 20)
        self._look = int(LOOKAHEAD_S * _RATE)
        self._hold = int(HOLD_S * _RATE)
        self._delay = self._look + _INTERP_HALF_TAPS  # future samples an output sample depends on
        self._context = self._look + self._hold + _INTERP_HALF_TAPS  # past samples it depends on
        self._buf = np.zeros(self._context)  # context, then input not yet output

    def push(self, pcm: np.ndarray) -> np.ndarray:
        self._buf = np.concatenate([self._buf, pcm.astype(np.float64)])
        return self._emit(self._buf.size - self._context - self._delay)

    def flush(self) -> np.ndarray:
        pending = self._buf.size - self._context
        self._buf = np.concatenate([self._buf, np.zeros(self._delay)])  # after the utterance: silence
        return self._emit(pending)

    def _emit(self, count: int) -> np.ndarray:
        if count <= 0:
            return np.zeros(0, np.float32)
        x = self._buf
        peak = true_peak_estimate(x, self.ceiling * _OVERSHOOT_MARGIN)
        need = np.minimum(1.0, self.ceiling / np.maximum(peak, 1e-12))
        start = self._context  # index in x of the first sample to output
        # held[j] = the lowest need in [j - hold, j + look); gain[n] = the mean of held[n - look + 1 .. n], so the
        # gain has fully fallen at a peak and stays down until hold after it
        window = need[start - self._look - self._hold + 1 : start + count + self._look - 1]
        if window.min() >= 1.0:
            gain = np.ones(count)
        else:
            held = _sliding_min(window, self._hold + self._look)
            sums = np.concatenate([[0.0], np.cumsum(held)])
            gain = (sums[self._look : self._look + count] - sums[:count]) / self._look
        out = (x[start : start + count] * gain).astype(np.float32)
        self._buf = x[count:]
        return out


class LoudnessNormalizer:
    """One utterance's gain to ``target_lufs`` and its true-peak limit, for audio arriving in pieces.

    ``start_gain``: the gain the same engine ended its last utterance with (``settled_gain``), used while a
    streaming engine's first piece is too short to measure.
    """

    def __init__(self, target_lufs: float = TARGET_LUFS, start_gain: float | None = None) -> None:
        self.target_lufs = target_lufs
        self.limiter = TruePeakLimiter()
        self._start_gain = start_gain
        self._weighting = KWeighting()
        self._input = LoudnessMeter()
        # the loudness the limiter takes off, given back in the gain: K(gain * x) ~ gain * K(x), gain being smooth
        self._before_limiter = LoudnessMeter()
        self._after_limiter = LoudnessMeter()
        self.gain: float | None = None  # linear, the gain applied to the latest sample; None before the first piece

    @property
    def settled_gain(self) -> float | None:
        """The gain the utterance ended with, if it had any audio to measure."""
        return self.gain if self._input.integrated_lufs() is not None else None

    def push(self, pcm: np.ndarray) -> np.ndarray:
        """Level a piece; returns as many samples as came in so far, less the limiter's 5 ms look-ahead."""
        if pcm.size == 0:
            return np.zeros(0, np.float32)
        weighted = self._weighting.push(pcm)
        self._input.add_weighted(weighted)
        gain: np.ndarray | float
        if self.gain is None:
            out, gain = self._first_piece(pcm)
        else:
            gain = self._follow(pcm.size)
            out = self.limiter.push(pcm * gain)
            self._after_limiter.push(out)
        self._before_limiter.add_weighted(weighted * gain)
        return out

    def flush(self) -> np.ndarray:
        """The rest of the utterance (the look-ahead the limiter held)."""
        return self.limiter.flush()

    def _gain_for(self, loudness: float) -> float:
        return float(10 ** (np.clip(self.target_lufs - loudness, MIN_GAIN_DB, MAX_GAIN_DB) / 20))

    def _first_piece(self, pcm: np.ndarray) -> tuple[np.ndarray, float]:
        """Set the starting gain and limit the first piece with it: (output, gain)."""
        loudness = self._input.integrated_lufs()
        if loudness is None:  # silence so far: nothing to bring up
            gain = 1.0 if self._start_gain is None else self._start_gain
        elif self._input.measured_s < BLOCK_S:  # a stream's first tens of ms: too little to go by
            gain = self._start_gain or 10 ** ((self.target_lufs - TYPICAL_ENGINE_LUFS) / 20)
        else:  # a whole sentence: limit it, and while that takes loudness off, give it back and limit it again
            measured = self._gain_for(loudness)
            wanted_lufs = loudness + 20 * np.log10(measured)  # the target, unless MAX_GAIN_DB capped the gain
            makeup_db = 0.0
            for attempt in range(MAKEUP_RUNS):
                limiter, after = TruePeakLimiter(self.limiter.ceiling_dbtp), LoudnessMeter()
                out = limiter.push(pcm * (measured * 10 ** (makeup_db / 20)))
                after.push(out)
                limited = after.integrated_lufs()
                short_lu = 0.0 if limited is None else wanted_lufs - limited
                more_db = float(np.clip(makeup_db + short_lu, 0.0, MAX_MAKEUP_DB))
                if abs(short_lu) <= SETTLED_LU or more_db == makeup_db or attempt == MAKEUP_RUNS - 1:
                    break
                makeup_db = more_db
            self.gain = measured * 10 ** (makeup_db / 20)
            self.limiter, self._after_limiter = limiter, after
            return out, self.gain
        self.gain = gain
        out = self.limiter.push(pcm * gain)
        self._after_limiter.push(out)
        return out, gain

    def _follow(self, n: int) -> np.ndarray | float:
        assert self.gain is not None
        old = self.gain
        loudness = self._input.integrated_lufs()
        if self._input.measured_s < BLOCK_S or loudness is None:
            return old
        new = self._gain_for(loudness) * _makeup(self._before_limiter.integrated_lufs(), self._after_limiter.integrated_lufs())
        self.gain = new
        ramp = min(n, int(RAMP_S * _RATE))
        gain = np.full(n, new)
        gain[:ramp] = old + (new - old) * (np.arange(1, ramp + 1) / ramp)
        return gain


def _makeup(before_lufs: float | None, after_lufs: float | None) -> float:
    """The gain that gives back the loudness a limiter took off (linear, at most MAX_MAKEUP_DB)."""
    if before_lufs is None or after_lufs is None:
        return 1.0
    return float(10 ** (np.clip(before_lufs - after_lufs, 0.0, MAX_MAKEUP_DB) / 20))
