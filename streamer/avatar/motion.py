"""Life when nobody is talking: breathing, head sway, blinks at random (but reproducible) moments, and gestures.

Everything here is a function of session time so frames can be rendered in any order and re-rendered identically:
blink times come from a seeded generator, sway from incommensurate sines (it never visibly loops). A 24/7 show
blinks about a thousand times an hour, so the blinker keeps only the blinks of the last ``BLINK_MEMORY_S`` before
the latest moment asked for: frames that far back or later still render identically, older ones with open eyes.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass

from .pack import GestureSpec, MotionSpec

# blink phases in seconds from the blink's start: eyelids half down, shut, half up, open
BLINK_HALF_S = 0.04
BLINK_CLOSED_S = 0.11
BLINK_END_S = 0.16
DOUBLE_BLINK_P = 0.15
BLINK_MEMORY_S = 120.0  # blinks kept behind the latest moment asked for (a few dozen floats)


class Blinker:
    """Blink start times drawn from a seeded RNG; ``eyes(t)`` says "open", "half" or "closed"."""

    def __init__(self, interval_s: tuple[float, float], seed: int) -> None:
        self._lo, self._hi = interval_s
        self._rng = random.Random(seed)
        self._starts: list[float] = []
        self._next = self._rng.uniform(0.6, self._hi)

    def _extend(self, t: float) -> None:
        while self._next <= t + BLINK_END_S:
            self._starts.append(self._next)
            if self._rng.random() < DOUBLE_BLINK_P:
                self._starts.append(self._next + BLINK_END_S + 0.12)
                self._next += BLINK_END_S + 0.12
            self._next += self._rng.uniform(self._lo, self._hi)

    def eyes(self, t: float) -> str:
        self._extend(t)
        if self._starts and self._starts[0] < t - 2 * BLINK_MEMORY_S:  # trimmed now and then, not every frame
            del self._starts[:bisect.bisect_left(self._starts, t - BLINK_MEMORY_S)]
        i = bisect.bisect_right(self._starts, t) - 1
        if i < 0:
            return "open"
        dt = t - self._starts[i]
        if dt < BLINK_HALF_S:
            return "half"
        if dt < BLINK_CLOSED_S:
            return "closed"
        if dt < BLINK_END_S:
            return "half"
        return "open"


@dataclass(frozen=True, slots=True)
class Idle:
    """Body offset (canvas units, negative is up) and head turn for one moment."""

    breath_dy: float
    head_deg: float
    head_dx: float
    head_dy: float


def idle(m: MotionSpec, t: float, seed: int, speech_level: float = 0.0) -> Idle:
    """Breathing and sway at time ``t``. ``speech_level`` (0..1, slow loudness) adds a little talking head motion."""
    ph = (seed % 997) * 0.61
    breath = 0.5 - 0.5 * math.cos(2 * math.pi * t / m.breath_period_s + 0.35 * math.sin(2 * math.pi * t / 23.0))
    sway = (0.55 * math.sin(2 * math.pi * t / 7.3 + ph) + 0.3 * math.sin(2 * math.pi * t / 3.1 + 2 * ph)
            + 0.15 * math.sin(2 * math.pi * t / 11.9 + 3 * ph))
    deg = m.sway_deg * (sway + 0.5 * speech_level * math.sin(2 * math.pi * t / 1.7 + ph))
    dx = m.sway_px * math.sin(2 * math.pi * t / 9.7 + ph)
    nod = 2.0 * speech_level  # the head dips slightly on stressed, loud syllables
    return Idle(-m.breath_px * breath, deg, dx, nod)


class GesturePlayer:
    """Plays one gesture at a time: rise, hold while the sentence lasts (at most hold_max_s), fall back to rest.

    A cue for a new sentence while the arm is up lowers it from that sentence's start and then plays the new
    gesture for what is left of that sentence. Frames must be asked for in time order.
    """

    def __init__(self, gestures: dict[str, GestureSpec]) -> None:
        self._gestures = gestures
        self._name: str | None = None
        self._start = 0.0
        self._hold_end = 0.0
        self._last_cue: tuple[str, float] | None = None
        self._pending: tuple[str, float, float] | None = None

    def cue(self, name: str | None, start_s: float, end_s: float) -> None:
        """The sentence on air asks for ``name``; repeated calls for the same sentence are ignored."""
        if name is None or name not in self._gestures or self._last_cue == (name, start_s):
            return
        self._last_cue = (name, start_s)
        if self._name is not None:
            self._pending = (name, start_s, end_s)
            self._hold_end = min(self._hold_end, start_s)
            return
        self._begin(name, start_s, end_s)

    def _begin(self, name: str, start_s: float, end_s: float) -> None:
        g = self._gestures[name]
        self._name, self._start = name, start_s
        self._hold_end = start_s + g.rise_s + min(g.hold_max_s, max(0.0, end_s - start_s - g.rise_s - g.fall_s))

    def frame(self, t: float) -> tuple[str, int] | None:
        """(gesture name, frame index) at time ``t``, or None when the arm is at rest."""
        if self._name is None:
            return None
        g = self._gestures[self._name]
        n = len(g.frames) - 1
        if t < self._start:
            return None
        if t < self._start + g.rise_s and t < self._hold_end:
            u = (t - self._start) / g.rise_s
        elif t < self._hold_end:
            u = 1.0
        else:
            # falling from wherever the rise had got to when the hold ended
            top = min(1.0, (self._hold_end - self._start) / g.rise_s)
            u = top - (t - self._hold_end) / g.fall_s
            if u <= 0:
                self._name = None
                pending, self._pending = self._pending, None
                if pending is not None and pending[2] - t > 1.0:  # enough of its sentence left to be worth it
                    self._begin(pending[0], t, pending[2])
                return None
        return self._name, int(round(u * n))
