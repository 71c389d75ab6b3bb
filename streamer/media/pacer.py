"""Pacing to the wall clock for live outputs.

Media time t is due at ``anchor + t`` on a monotonic clock; the target is always computed from the anchor, so
sleep error never accumulates. If the process falls behind by more than ``max_lag_s`` (a stalled machine), the
pacer re-anchors instead of bursting to catch up; the media timeline itself never skips.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Pacer:
    def __init__(self, now: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, max_lag_s: float = 1.0,
                 late_after_s: float = 0.1) -> None:
        self._now = now
        self._sleep = sleep
        self._max_lag_s = max_lag_s
        self._anchor: float | None = None
        self.reanchors = 0
        self._late_after_s = late_after_s
        self.lag_s = 0.0  # how late the last wait was (0 when on time)
        self.max_lag_s = 0.0
        self.late = 0  # waits that came later than late_after_s: the machine could not keep up

    async def wait_until(self, media_t: float) -> None:
        now = self._now()
        if self._anchor is None:
            self._anchor = now - media_t
        delay = self._anchor + media_t - now
        if delay > 0:
            self.lag_s = 0.0
            await self._sleep(delay)
            return
        self.lag_s = -delay
        self.max_lag_s = max(self.max_lag_s, self.lag_s)
        if self.lag_s > self._late_after_s:
            self.late += 1
        if self.lag_s > self._max_lag_s:
            self._anchor = now - media_t
            self.reanchors += 1
