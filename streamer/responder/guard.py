"""The reply guard: every reply meets the claim guard (compliance lint + claims grounded in the brief) before air.

`ReplyGuard(brief).problems(text, product_id)` lists why ``text`` must not go on air, one line each: a lint finding
(extreme words, price fraud, ...) or a claim the brief does not back for the product being discussed (a price that
is another product's, 1元, next-day delivery the shop does not offer, an expert who recommends it). Empty means the
reply may be spoken. The responders only see this interface; the checking itself is `claims.ClaimGuard`.
"""

from __future__ import annotations

from ..brief import Brief
from ..claims import ClaimGuard

__all__ = ["ReplyGuard"]


class ReplyGuard:
    def __init__(self, brief: Brief) -> None:
        self.claims = ClaimGuard(brief)

    def problems(self, text: str, product_id: str | None = None) -> list[str]:
        """Why ``text`` cannot be said (one line each), or an empty list."""
        return [p.reason for p in self.claims.problems(text, product_id)]

    def ok(self, text: str, product_id: str | None = None) -> bool:
        return self.claims.ok(text, product_id)
