"""What every comment source shares: the `CommentSource` shape and reconnect `Backoff`.

A source is an object with ``stream()``, an async generator of `Comment` that runs until the source ends (the live
chat closed) or the consumer stops iterating. Sources reconnect by themselves on network errors, waiting longer each
time (`Backoff`), and reset the wait once a connection has delivered something.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from ..model import Comment

__all__ = ["Backoff", "CommentSource", "Sleep"]

Sleep = Callable[[float], Awaitable[None]]


class CommentSource(Protocol):
    def stream(self) -> AsyncIterator[Comment]: ...


class Backoff:
    """Exponential reconnect delays with jitter: ``initial_s``, doubled per failure, capped at ``max_s``.

    Jitter (up to ``jitter`` of the delay) keeps many sessions from reconnecting to one server in lockstep.
    """

    def __init__(self, initial_s: float = 1.0, max_s: float = 60.0, jitter: float = 0.2,
                 sleep: Sleep = asyncio.sleep, rng: random.Random | None = None) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self.jitter = jitter
        self.failures = 0
        self._sleep = sleep
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        base = min(self.max_s, self.initial_s * (2 ** self.failures))
        self.failures += 1
        return base * (1 + self.jitter * self._rng.random())

    async def wait(self) -> float:
        delay = self.next_delay()
        await self._sleep(delay)
        return delay

    def reset(self) -> None:
        self.failures = 0
