"""Estimated phoneme timings for engines that give audio and a phoneme string but no alignment.

The espeak-ng command line (and a piper model that cannot be patched for alignments) tells us *which* phonemes it
spoke, not *when*. We estimate the when:

1. Find the voiced spans of the audio: 10 ms frames whose RMS is within ``SILENCE_DB`` of the loudest frame; gaps
   shorter than ``MIN_PAUSE_S`` (stop closures, short dips) are bridged, so what remains are real pauses.
2. The phonemes come grouped in clauses (espeak-ng prints one line per clause; it pauses at commas and full stops).
   When there are at least as many voiced spans as clauses, the spans are merged across their shortest gaps until
   there is one span per clause, and each clause is laid over its own span. Otherwise all phonemes are laid over the
   voiced time as a whole, skipping the silent gaps.
3. Inside a span, each phoneme gets time in proportion to a weight: vowels 2, consonants 1, a length mark adds 1
   (vowels are longer than consonants in running speech).

Limits: within a clause the timing is proportional, not measured, so individual phonemes can be off by a few tens of
milliseconds (typically under one video frame at 25 fps for consonants, more for long words); a clause whose pause
espeak did not realise (or a pause inside a clause) falls back to the whole-utterance spread. Good enough to drive a
mouth; not a forced aligner.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from streamer.tts.base import Mark

FRAME_S = 0.01
MIN_PAUSE_S = 0.12  # shorter silences are stop closures inside words, not pauses between clauses
SILENCE_DB = -38.0  # frames this far below the loudest frame count as silence
VOWELS = frozenset("aeiouyɑɐɒæɔəɘɚɛɜɝɞɤɨɪʉʊʌʏøœɶɯɵ")
_SKIP = frozenset("ˈˌ'\",.;:!?¡¿-_|()[]{}—–…·‖ \t\n0123456789^$")
_LENGTH = "ːˑ"


@dataclass(frozen=True, slots=True)
class Unit:
    """A symbol to place in time and its relative duration."""

    symbol: str
    weight: float = 1.0


def ipa_units(ipa: str) -> list[Unit]:
    """One unit per IPA segment (like piper's marks): stress, tone digits and pauses dropped, length marks and
    combining diacritics folded into the segment before them."""
    units: list[Unit] = []
    for ch in unicodedata.normalize("NFD", ipa):
        if ch in _SKIP or ch == "\u0361":  # tie bar: keep the two halves as separate segments
            continue
        if ch in _LENGTH or unicodedata.combining(ch):
            if units:
                last = units[-1]
                units[-1] = Unit(last.symbol + ch, last.weight + (1.0 if ch in _LENGTH else 0.0))
            continue
        units.append(Unit(ch, 2.0 if ch in VOWELS else 1.0))
    return units


def voiced_segments(pcm: np.ndarray, rate: int) -> list[tuple[float, float]]:
    """Voiced spans (start_s, end_s) of mono audio, with pauses shorter than MIN_PAUSE_S bridged."""
    hop = max(1, int(rate * FRAME_S))
    n = pcm.size // hop
    if n == 0:
        return []
    frames = pcm[: n * hop].astype(np.float32).reshape(n, hop)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    peak = float(rms.max())
    if peak < 1e-4:  # digital silence
        return []
    voiced = rms > peak * 10 ** (SILENCE_DB / 20)
    spans: list[list[int]] = []
    for i in np.flatnonzero(voiced):
        if spans and i - spans[-1][1] <= int(MIN_PAUSE_S / FRAME_S):
            spans[-1][1] = int(i) + 1
        else:
            spans.append([int(i), int(i) + 1])
    return [(a * FRAME_S, b * FRAME_S) for a, b in spans]


def spread(clauses: list[list[Unit]], segments: list[tuple[float, float]], offset_s: float = 0.0) -> list[Mark]:
    """Place the clauses' units over the voiced segments (see the module docstring); times shifted by offset_s."""
    clauses = [c for c in clauses if c]
    if not clauses or not segments:
        return []
    if len(segments) >= len(clauses):
        spans = _merge_to(segments, len(clauses))
        marks: list[Mark] = []
        for units, span in zip(clauses, spans, strict=True):
            marks += _lay(units, [span], offset_s)
        return marks
    return _lay([u for c in clauses for u in c], segments, offset_s)


def _merge_to(segments: list[tuple[float, float]], k: int) -> list[tuple[float, float]]:
    """Merge neighbouring segments across the shortest gaps until k remain (the longest gaps are the clause pauses)."""
    segs = list(segments)
    while len(segs) > k:
        i = min(range(len(segs) - 1), key=lambda j: segs[j + 1][0] - segs[j][1])
        segs[i : i + 2] = [(segs[i][0], segs[i + 1][1])]
    return segs


def _lay(units: list[Unit], segments: list[tuple[float, float]], offset_s: float) -> list[Mark]:
    """Map cumulative unit weight linearly onto the voiced time of the segments (gaps take no phonemes)."""
    total_w = sum(u.weight for u in units)
    lengths = [b - a for a, b in segments]
    total_t = sum(lengths)
    if total_w <= 0 or total_t <= 0:
        return []

    def at(voiced_t: float) -> float:
        # voiced time -> audio time: walk the segments until voiced_t falls inside one
        for (a, _b), length in zip(segments, lengths, strict=True):
            if voiced_t <= length:
                return a + voiced_t
            voiced_t -= length
        return segments[-1][1]

    marks, w = [], 0.0
    for u in units:
        start = at(w / total_w * total_t)
        w += u.weight
        end = at(w / total_w * total_t)
        marks.append(Mark(round(offset_s + start, 4), round(offset_s + end, 4), u.symbol))
    return marks
