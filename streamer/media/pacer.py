"""Pacing to the wall clock for live outputs.

Media time t is due at ``anchor + t`` on a monotonic clock; the target is always computed from the anchor, so
sleep error never accumulates. If the process falls behind by more than ``max_lag_s`` (a stalled machine), the
pacer re-anchors instead of bursting to catch up; the media timeline itself never skips.

A scheduled start goes on air at a wall-clock time (``hold_until``): that time is converted to the monotonic clock
once, when the hold is set, so a wall clock stepped during the hold changes nothing; and the hold never exceeds
``max_hold_s``, so a clock stepped before the conversion cannot keep a stream off the air for an hour. A start that
is ready only after its on-air time goes on air at once: that lateness is the start's (the session reports it),
not a late frame.

The first frames of a stream cost more than the rest (the encoder's first frames, cold caches: ~0.3 s of work for
the first six frames at 720p). So the first frame goes out at once but its time is set ``lead_in_s`` later: the
first frames may be made up to that far ahead of their time, a cushion that shrinks to nothing by media time
``lead_in_until_s`` (the stream runs that much faster than real time meanwhile: 3.3 s of media in 3 s). After that,
frames are made when they are due, so an interrupt reaches the air within a frame.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

MAX_HOLD_S = 60.0  # the longest a start waits for its on-air time: the scheduler's lead plus a margin, at most
LEAD_IN_S = 0.3  # how far ahead of their time the first frames may be made
LEAD_IN_UNTIL_S = 3.0  # media time by which that cushion is gone


class Pacer:
    def __init__(self, now: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, max_lag_s: float = 1.0,
                 late_after_s: float = 0.1, wall: Callable[[], float] = time.time,
                 max_hold_s: float = MAX_HOLD_S, lead_in_s: float = LEAD_IN_S,
                 lead_in_until_s: float = LEAD_IN_UNTIL_S) -> None:
        self._now = now
        self._sleep = sleep
        self._wall = wall
        self._max_lag_s = max_lag_s
        self._max_hold_s = max_hold_s
        self._lead_in_s = lead_in_s
        self._lead_in_until_s = lead_in_until_s
        self._anchor: float | None = None
        self.on_air: float | None = None  # when media time 0 is due on the monotonic clock; None: when ready
        self.reanchors = 0
        self._late_after_s = late_after_s
        self.lag_s = 0.0  # how late the last wait was (0 when on time)
        self.max_lag_s = 0.0
        self.late = 0  # waits that came later than late_after_s: the machine could not keep up

    def hold_until(self, on_air_at: float) -> float:
        """Put media time 0 on air at wall-clock ``on_air_at`` (epoch seconds), at most ``max_hold_s`` from now.
        Call before the first wait; returns the monotonic time it is due."""
        if self._anchor is not None:
            raise RuntimeError("the pacer is already running: a hold goes before the first frame")
        self.on_air = self._now() + min(on_air_at - self._wall(), self._max_hold_s)
        return self.on_air

    async def wait_until(self, media_t: float) -> None:
        now = self._now()
        if self._anchor is None:
            start = now if self.on_air is None else max(now, self.on_air)  # ready late: on air now
            self._anchor = start + self._lead_in(media_t) - media_t
            if start > now:
                await self._sleep(start - now)
            return
        due = self._anchor + media_t
        delay = due - self._lead_in(media_t) - now
        if delay > 0:
            self.lag_s = 0.0
            await self._sleep(delay)
            return
        self.lag_s = max(0.0, now - due)
        self.max_lag_s = max(self.max_lag_s, self.lag_s)
        if self.lag_s > self._late_after_s:
            self.late += 1
        if self.lag_s > self._max_lag_s:
            self._anchor = now - media_t
            self.reanchors += 1

    def _lead_in(self, media_t: float) -> float:
        """How far ahead of its time the frame at ``media_t`` may be made: ``lead_in_s`` at the start, none later."""
        return self._lead_in_s * max(0.0, 1.0 - media_t / self._lead_in_until_s) if self._lead_in_until_s > 0 else 0.0
