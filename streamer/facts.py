"""The old fact guard's names, kept for code that still imports them: the checking lives in `streamer.claims`.

The fact guard checked numbers (any number of the brief passed, with any unit); the claim guard checks claims, each
grounded in the brief field of its kind for its product. ``FactGuard(brief, product_id)`` is now that check without
the compliance lint. New code uses `streamer.claims.ClaimGuard`; this module goes once nothing imports it.
"""

from __future__ import annotations

from .brief import Brief
from .claims import ClaimGuard, NumberMention, Problem, numbers_in, parse_zh_number

__all__ = ["FactGuard", "NumberMention", "numbers_in", "parse_zh_number"]


class FactGuard:
    """The claims of a sentence the brief does not back, for ``product_id`` (or for any product of the room)."""

    def __init__(self, brief: Brief, product_id: str | None = None) -> None:
        self._guard = ClaimGuard(brief)
        self._product_id = product_id

    def unsupported(self, text: str) -> list[Problem]:
        return self._guard.ungrounded(text, self._product_id)

    def check(self, text: str) -> bool:
        return not self.unsupported(text)
