"""The reply guard: the one place a reply meets the compliance lint and the fact guard before it may be spoken.

`ReplyGuard(brief).problems(text, product_id)` lists why ``text`` must not go on air: a lint finding (extreme words,
price fraud, ...) or a number the brief does not back (scoped to the product being discussed, so another
product's price cannot leak into an answer). Empty means the reply may be spoken. Keeping both calls here means a
change in either API is a change in this file only.
"""

from __future__ import annotations

from ..brief import Brief
from ..compliance import lint
from ..facts import FactGuard

__all__ = ["ReplyGuard"]


class ReplyGuard:
    def __init__(self, brief: Brief) -> None:
        self._brief = brief
        self._facts: dict[str | None, FactGuard] = {None: FactGuard(brief)}

    def _fact_guard(self, product_id: str | None) -> FactGuard:
        if product_id not in self._facts:
            self._facts[product_id] = FactGuard(self._brief, product_id)
        return self._facts[product_id]

    def problems(self, text: str, product_id: str | None = None) -> list[str]:
        """Why ``text`` cannot be said (one line each), or an empty list."""
        out = [f"compliance {f.rule}: {f.text!r} ({f.message})" for f in lint(text)]
        out += [f"unsupported number {n.text!r}" for n in self._fact_guard(product_id).unsupported(text)]
        return out

    def ok(self, text: str, product_id: str | None = None) -> bool:
        return not self.problems(text, product_id)
