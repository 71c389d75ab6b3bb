"""The script a session speaks: an endless iterator of lines with the planner behind it within reach.

The session only needs ``next(script)``; whoever runs the stream keeps the ``Show`` to change it live:
``show.planner.update(brief)`` after a price or stock change, ``show.planner.observe(RoomPulse(...))`` with what
the room did. Both apply from the next product block (the lines of the current block are already planned).
"""

from __future__ import annotations

from collections.abc import Iterator

from .script import ScriptLine
from .template import TemplatePlanner


class Show(Iterator[ScriptLine]):
    def __init__(self, planner: TemplatePlanner) -> None:
        self.planner = planner
        self._lines = self._generate()

    def _generate(self) -> Iterator[ScriptLine]:
        for block in self.planner.product_blocks():
            for seg in block:
                yield from seg.lines()

    def __next__(self) -> ScriptLine:
        return next(self._lines)
