"""A circuit breaker for a chat model on a live path: a dead or hung model costs one timeout per cool-down, not one
per reply.

    breaker = CircuitBreaker(failures_to_open=3, cooldown_s=30)
    if breaker.allow():            # closed, or the one probe after a cool-down
        try: ...; breaker.success()
        except ...: breaker.failure("timed out")
    else: ...                      # open: answer without the model

closed --N failures in a row--> open --cooldown_s--> half-open (one call allowed: the probe) --success--> closed
                                  ^------------------------------------------------ failure --'

The clock is injected (``clock``: seconds, monotonic), so tests can walk through cool-downs without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

__all__ = ["BreakerState", "CircuitBreaker"]

BreakerState = Literal["closed", "open", "half_open"]

FAILURES_TO_OPEN = 3
COOLDOWN_S = 30.0


class CircuitBreaker:
    def __init__(self, *, failures_to_open: int = FAILURES_TO_OPEN, cooldown_s: float = COOLDOWN_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if failures_to_open < 1 or cooldown_s <= 0:
            raise ValueError("failures_to_open must be at least 1 and cooldown_s positive")
        self.failures_to_open = failures_to_open
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._state: BreakerState = "closed"
        self._opened_at = 0.0
        self._probing = False
        self.consecutive_failures = 0
        self.opened = 0  # how many times it opened, for health figures
        self.rejected = 0  # calls refused while open
        self.last_error: str | None = None

    @property
    def state(self) -> BreakerState:
        if self._state == "open" and self._clock() - self._opened_at >= self.cooldown_s:
            self._state = "half_open"
            self._probing = False
        return self._state

    def allow(self) -> bool:
        """Whether a call may go to the model now. In half-open state only the first caller gets through."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probing:
            self._probing = True
            return True
        self.rejected += 1
        return False

    def success(self) -> None:
        self._state = "closed"
        self._probing = False
        self.consecutive_failures = 0

    def failure(self, error: str) -> None:
        self.last_error = error
        self.consecutive_failures += 1
        if self._state == "half_open" or self.consecutive_failures >= self.failures_to_open:
            if self._state != "open":
                self.opened += 1
            self._state = "open"
            self._opened_at = self._clock()
            self._probing = False

    def abandon(self) -> None:
        """The call ended without a verdict (the viewer's reply was interrupted): a later call may probe."""
        self._probing = False

    def health(self) -> dict[str, object]:
        return {"state": self.state, "consecutive_failures": self.consecutive_failures, "opened": self.opened,
                "rejected": self.rejected, "last_error": self.last_error}
