"""How much a show repeats itself, and the memory that keeps it from repeating.

Platforms take a show that says the same sentences on a cycle for a recording (录播) and limit or ban it. Two
figures tell a live show from a loop: the shortest time between two sayings of one sentence, word for word, and the
share of distinct sentences among all said. ``RepeatMemory`` is what the planner consults before it says a line;
``figures`` measures a planned show (times are estimated speaking seconds from the start of the show).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

REPEAT_WINDOW_S = 45 * 60.0  # the planner avoids saying a sentence again within this time (the target is 30 min)


class RepeatMemory:
    """When each sentence was last said, forgotten once it is older than the window."""

    def __init__(self, window_s: float = REPEAT_WINDOW_S) -> None:
        self.window_s = window_s
        self._said: dict[str, float] = {}
        self._pruned_at = 0.0

    def last(self, sentence: str) -> float | None:
        return self._said.get(sentence)

    def fresh(self, sentence: str, now_s: float) -> bool:
        """True when ``sentence`` was not said within the window before ``now_s``."""
        t = self._said.get(sentence)
        return t is None or now_s - t >= self.window_s

    def said(self, sentence: str, now_s: float) -> None:
        self._said[sentence] = now_s
        if now_s - self._pruned_at > self.window_s:  # keeps a 24/7 show's memory to about two windows of lines
            self._said = {s: t for s, t in self._said.items() if now_s - t < self.window_s}
            self._pruned_at = now_s


@dataclass(frozen=True, slots=True)
class Figures:
    """Repetition figures of a show: ``min_gap_s`` is None when no sentence was said twice."""

    sentences: int
    distinct: int
    min_gap_s: float | None

    @property
    def distinct_ratio(self) -> float:
        return self.distinct / self.sentences if self.sentences else 0.0


def figures(timed: Iterable[tuple[float, str]]) -> Figures:
    """Figures of ``(start second, sentence)`` pairs in the order they are said."""
    last: dict[str, float] = {}
    gap: float | None = None
    count = 0
    for t, sentence in timed:
        count += 1
        if sentence in last and (gap is None or t - last[sentence] < gap):
            gap = t - last[sentence]
        last[sentence] = t
    return Figures(sentences=count, distinct=len(last), min_gap_s=None if gap is None else round(gap, 2))
