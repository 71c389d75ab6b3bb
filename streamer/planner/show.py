"""The script a session speaks: an endless iterator of lines with the planner behind it within reach.

The session only needs ``next(script)``; whoever runs the stream keeps the ``Show`` to change it live:
``show.planner.update(brief)`` after a price or stock change, ``show.planner.observe(RoomPulse(...))`` with what
the room did. Both apply from the next product block (the lines of the current block are already planned).
After an update the old show's planned lines are stale: ``Show(planner, carry_on=product_id)`` goes on with the
product on screen, planned again from the new facts, and the rest of the loop that was running, so the show neither
starts over nor presents that product twice in a row.
"""

from __future__ import annotations

from collections.abc import Iterator

from .script import ScriptLine
from .template import TemplatePlanner


class Show(Iterator[ScriptLine]):
    """``carried_on``: this show goes on from ``carry_on``'s block (False: there was none; it starts a new loop)."""

    def __init__(self, planner: TemplatePlanner, *, carry_on: str | None = None) -> None:
        self.planner = planner
        carried = planner.carry_on(carry_on) if carry_on is not None else None
        self.carried_on = carried is not None
        blocks = carried if carried is not None else planner.product_blocks()
        self._lines = (line for block in blocks for seg in block for line in seg.lines())

    def __next__(self) -> ScriptLine:
        return next(self._lines)
