"""Variant rotation: like dealing from a shuffled deck, so a pool of N templates repeats only every N draws.

Each key (product and segment kind) has its own deck. When a deck runs out it is reshuffled for the next epoch, with
the seed, key and epoch as the shuffle's seed: the same seed always deals the same show, and the first card of a new
epoch is never the last card of the previous one.
"""

from __future__ import annotations

import random


class Decks:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._state: dict[str, tuple[int, list[int], int]] = {}  # key -> (epoch, order, next position)

    def draw(self, key: str, n: int) -> int:
        """The next variant index in ``range(n)`` for ``key``."""
        if n <= 1:
            return 0
        epoch, order, pos = self._state.get(key, (-1, [], 0))
        if pos >= len(order) or len(order) != n:
            last = order[pos - 1] if order and pos > 0 else None
            epoch += 1
            order = list(range(n))
            random.Random(f"{self.seed}|{key}|{epoch}").shuffle(order)
            if order[0] == last:
                order[0], order[-1] = order[-1], order[0]
            pos = 0
        self._state[key] = (epoch, order, pos + 1)
        return order[pos]
