"""Flood control with bounded memory: a duplicate window and a per-user rate limit.

Both remember at most ``max_keys`` keys (least recently seen are forgotten first), so a flood of 10,000 distinct
users or texts costs a fixed amount of memory. Time comes from an injected clock (seconds, monotonic) so tests run
minutes of chat in microseconds.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["Clock", "DuplicateWindow", "RateLimiter"]

Clock = Callable[[], float]


class DuplicateWindow:
    """Remembers texts (already reduced to a skeleton) for ``window_s``; ``seen(key)`` is True for a repeat.

    Many viewers asking 多少钱 at once deserve one answer, not ten.
    """

    def __init__(self, window_s: float = 20.0, max_keys: int = 4096, clock: Clock = time.monotonic) -> None:
        self.window_s = window_s
        self.max_keys = max_keys
        self._clock = clock
        self._last: OrderedDict[str, float] = OrderedDict()

    def seen(self, key: str) -> bool:
        now = self._clock()
        last = self._last.get(key)
        self._last[key] = now
        self._last.move_to_end(key)
        while len(self._last) > self.max_keys:
            self._last.popitem(last=False)
        return last is not None and now - last < self.window_s

    def __len__(self) -> int:
        return len(self._last)


class RateLimiter:
    """A token bucket per user: ``burst`` comments at once, then one every ``per_s`` seconds."""

    def __init__(self, burst: int = 3, per_s: float = 10.0, max_keys: int = 4096,
                 clock: Clock = time.monotonic) -> None:
        self.burst = burst
        self.per_s = per_s
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # user -> (tokens, updated)

    def allow(self, user: str) -> bool:
        now = self._clock()
        tokens, updated = self._buckets.get(user, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - updated) / self.per_s)
        allowed = tokens >= 1.0
        self._buckets[user] = (tokens - 1.0 if allowed else tokens, now)
        self._buckets.move_to_end(user)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed

    def __len__(self) -> int:
        return len(self._buckets)
