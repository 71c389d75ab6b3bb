"""Playout: the audio on air, cut into per-frame pieces on the session's sample counter.

An utterance starts on a frame boundary and plays sample by sample; a short breath of silence follows it before
the next one may start (not after a first clause, whose sentence goes on in the next piece). Between utterances
the output is silence and the host idles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..scene.state import Speaking
from .utterance import Utterance

PAUSE_S = 0.25  # breath between sentences


@dataclass(frozen=True, slots=True)
class Played:
    """An utterance that went on air, with the samples actually played (an interrupt cuts it short)."""

    utterance: Utterance
    start_sample: int
    samples_played: int

    @property
    def complete(self) -> bool:
        return self.samples_played >= self.utterance.pcm.size


class Playout:
    def __init__(self, sample_rate: int, on_played: Callable[[Played], None] | None = None) -> None:
        self.sample_rate = sample_rate
        self._pause = int(PAUSE_S * sample_rate)
        self._current: Utterance | None = None
        self._speaking: Speaking | None = None
        self._start = 0
        self._free_at = 0  # first sample at which the next utterance may begin
        self.last_source: str | None = None  # source of the utterance that ended last (script | reply | say)
        self._on_played = on_played

    @property
    def current(self) -> Utterance | None:
        return self._current

    def can_start(self, sample: int) -> bool:
        return self._current is None and sample >= self._free_at

    def free_at(self, *, breath: bool = True) -> int:
        """The first sample at which the next utterance may begin if nothing cuts in; without ``breath``, if the
        breath after the utterance on air (or the one that ended last) is skipped, as a reply after a script
        sentence skips it."""
        u = self._current
        if u is None:
            return self._free_at if breath else 0
        return self._start + u.pcm.size + (self._pause if breath and u.breath else 0)

    def speaking(self, utterance: Utterance, sample: int) -> Speaking:
        """What the scene sees of ``utterance`` when it begins at ``sample``: the same for a prediction made ahead
        of air time as for the real start, so the render stage can tell them apart only by where they start."""
        return Speaking(utterance.text, sample / self.sample_rate, utterance.pcm, utterance.marks, utterance.cue)

    def begin(self, utterance: Utterance, sample: int) -> None:
        assert self.can_start(sample)
        self._current, self._start = utterance, sample
        self._speaking = self.speaking(utterance, sample)

    def take(self, sample: int, n: int) -> tuple[np.ndarray, Speaking | None]:
        """The ``n`` samples from ``sample`` on, and the utterance speaking at ``sample`` (or None)."""
        u, speaking = self._current, self._speaking
        if u is None:
            return np.zeros(n, np.float32), None
        offset = sample - self._start
        out = np.zeros(n, np.float32)
        piece = u.pcm[offset: offset + n]
        out[: piece.size] = piece
        if offset + n >= u.pcm.size:
            self._finish(u.pcm.size, u.breath)
        return out, speaking

    def in_pause(self, sample: int, min_gap: int) -> bool:
        """True when ``sample`` falls in a pause of at least ``min_gap`` samples of the utterance on air."""
        u = self._current
        if u is None:
            return False
        offset = sample - self._start
        return any(a <= offset < b for a, b, gap in u.pauses if gap >= min_gap)

    def interrupt(self, sample: int, *, breath: bool = True) -> None:
        """Stop the current utterance at ``sample`` (the first sample not yet handed out). Without ``breath`` the
        next utterance may start at once (an urgent reply cutting in)."""
        if self._current is not None:
            self._finish(max(0, sample - self._start), breath)
        elif not breath:
            self._free_at = min(self._free_at, sample)

    def _finish(self, played: int, breath: bool = True) -> None:
        assert self._current is not None
        done = Played(self._current, self._start, min(played, self._current.pcm.size))
        self._free_at = self._start + done.samples_played + (self._pause if breath else 0)
        self.last_source = self._current.source
        self._current = self._speaking = None
        if self._on_played:
            self._on_played(done)
