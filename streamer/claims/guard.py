"""The claim guard: the one check every sentence passes before it may be spoken.

    guard = ClaimGuard(brief)
    guard.problems("今天只要48元", "cup-01")  # -> [Problem(category="price", text="48元", reason=...)]

A sentence may be spoken when the compliance lint finds nothing in it and every claim it makes is grounded in the
brief (see ``grounds.py``) for the product it is about: the product the sentence names at that point, else the
product being talked about (``product_id``). With no product at all a claim must be backed by some product of the
room. Results are cached per (sentence, product): templates and replies repeat, and the check must stay cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..brief import Brief
from ..compliance import lint
from .check import PHRASE_KINDS, CheckedBrief, check_brief
from .grounds import Grounds
from .kinds import Claim, ClaimKind

__all__ = ["ClaimGuard", "Problem"]

_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a sentence must not be said: a lint finding (``category`` is the lint's) or an ungrounded claim."""

    category: str
    text: str
    reason: str
    suggestion: str = ""
    claim: Claim | None = None

    @property
    def compliance(self) -> bool:
        return self.claim is None

    def __str__(self) -> str:
        return self.reason


class ClaimGuard:
    """Checks sentences against the compliance lint and the brief's facts (checked once, at construction)."""

    def __init__(self, brief: Brief, checked: CheckedBrief | None = None) -> None:
        self.brief = brief
        self.checked = checked or check_brief(brief)
        self.reader = self.checked.reader
        self.grounds: dict[str, Grounds] = {p.product.id: p.grounds(self.reader) for p in self.checked.products}
        room = [t for t in (brief.room.host_name, brief.room.persona) if t]
        room_numbers = {(c.value, c.unit) for t in room for c in self.reader.read(t) if c.value is not None}
        for g in self.grounds.values():
            g.numbers |= room_numbers
        self._cache: dict[tuple[str, str | None], list[Problem]] = {}

    def problems(self, text: str, product_id: str | None = None) -> list[Problem]:
        """Why ``text`` cannot be said about ``product_id`` (empty: it may be said)."""
        key = (text, product_id)
        found = self._cache.get(key)
        if found is None:
            found = self._check(text, product_id)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = found
        return list(found)

    def ok(self, text: str, product_id: str | None = None) -> bool:
        return not self.problems(text, product_id)

    def ungrounded(self, text: str, product_id: str | None = None) -> list[Problem]:
        """Only the claims of ``text`` the brief does not back (no lint)."""
        return [p for p in self.problems(text, product_id) if not p.compliance]

    def _check(self, text: str, product_id: str | None) -> list[Problem]:
        g = self.grounds.get(product_id) if product_id else None
        found = lint(text, g.product.kind if g else None)  # what the product is decides some wording rules
        out = [Problem(str(f.category), f.text, f"compliance {f.rule}: {f.text!r} ({f.message})", f.suggestion)
               for f in found]
        claims = self.reader.read(text)
        for c in claims:
            if c.kind in PHRASE_KINDS and any(f.start < c.end and c.start < f.end for f in found):
                continue  # the lint already refuses these words, with its own advice
            why = self._why_not(c, claims, product_id)
            if why:
                out.append(Problem(c.kind.value, c.text, f"ungrounded {c.kind.value}: {why}", claim=c))
        return out

    def _candidates(self, c: Claim, product_id: str | None) -> list[Grounds]:
        pid = c.product_id or product_id
        if pid in self.grounds:
            return [self.grounds[pid]]
        return list(self.grounds.values())

    def _why_not(self, c: Claim, claims: list[Claim], product_id: str | None) -> str | None:
        first: str | None = None
        for g in self._candidates(c, product_id):
            if c.kind is ClaimKind.STOCK and c.value is None and "sold_out" not in c.tags:
                # scarcity is true only next to the real stock figure: 库存就80件，先到先得
                backed = any(o.kind is ClaimKind.STOCK and o.value is not None and g.why_not(o) is None
                             for o in claims)
                why = None if backed else f"scarcity {c.text!r} without the real stock"
            else:
                why = g.why_not(c)
            if why is None:
                return None
            first = first or why
        return first
