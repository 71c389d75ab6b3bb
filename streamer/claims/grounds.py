"""What one product's brief backs, by kind of claim, and whether a claim is backed (grounded) by it.

Each kind is grounded only by the brief field of its kind, for that product, with its unit:

- a price by ``price``, ``list_price`` or money stated in a ``promotions`` entry (48元 is never grounded by 48小时);
- a reference price (原价, was) only by ``list_price``; a discount by the saving ``list_price - price`` (as money or
  percent, ±1 point) or by money/percent in ``promotions``;
- stock by ``stock``; a scarcity phrase (仅剩, almost gone) only in a sentence that also states the real stock;
  sold out (售罄, out of stock) only when ``stock`` is 0;
- shipping promises (tags such as ``free_shipping``, numbers such as 48 hours) by ``shipping`` or ``promotions``;
  gifts and offers by ``promotions`` (the gift named must be the one the promotion names); guarantees by
  ``after_sales``;
- a plain number (a spec, a link, a count) by a field of the product that says the same value with the same unit.

Endorsements, comparisons with other products and superlatives are never grounded: the brief check reports them
in the brief too, so no field that passed the check can contain them. Efficacy is grounded only for a product whose
``kind`` is medical, and only as the words of one of its checked fields. A special-population safety claim
(孕妇可用, safe for babies) is grounded only for a product whose name names that group (婴儿奶瓶 may talk about
babies). Only fields that passed the brief check ground anything (see ``check.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..brief import Product
from .cues import POPULATION_GROUPS
from .kinds import Claim, ClaimKind
from .reader import ClaimReader
from .units import DOLLAR, MONEY

__all__ = ["Grounds"]

K = ClaimKind
PERCENT_SLACK = 1.0  # "about 37% off" for 37.5 % is the brief's saving, said the way people say it
_DOLLARS = frozenset({"USD", "CAD", "AUD", "HKD", "SGD", "NZD", "TWD"})
_EN_STOP = frozenset("a an the with of for to on and or your every each order orders".split())


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 0.005


def _has(values: Iterable[float], v: float) -> bool:
    return any(_close(v, x) for x in values)


@dataclass
class Grounds:
    """The facts of one product that claims may rest on, indexed by kind and unit."""

    product: Product
    money: set[float] = field(default_factory=set)
    savings: set[float] = field(default_factory=set)
    percent_off: set[float] = field(default_factory=set)
    numbers: set[tuple[float, str]] = field(default_factory=set)
    shipping: set[tuple[float, str]] = field(default_factory=set)
    guarantee: set[tuple[float, str]] = field(default_factory=set)
    promo: set[tuple[float, str]] = field(default_factory=set)
    shipping_tags: set[str] = field(default_factory=set)
    guarantee_tags: set[str] = field(default_factory=set)
    promo_tags: set[str] = field(default_factory=set)
    promo_texts: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, product: Product, reader: ClaimReader, texts: Iterable[str], promotions: Iterable[str],
              shipping: Iterable[str], after_sales: Iterable[str]) -> Grounds:
        """Index ``product``: ``texts`` are all its speakable texts, the others those of the field of that name."""
        p = product
        g = cls(p, money={p.price} | ({p.list_price} if p.list_price else set()))
        if p.list_price and p.list_price > p.price:
            g.savings.add(round(p.list_price - p.price, 2))
            g.percent_off.add(round((p.list_price - p.price) / p.list_price * 100, 2))
        g.numbers |= {(p.price, MONEY)} | ({(p.list_price, MONEY)} if p.list_price else set())
        if isinstance(p.link, int):
            g.numbers.add((float(p.link), "link"))
        elif isinstance(p.link, str):
            g.numbers |= {(c.value, "link") for c in reader.read(p.link) if c.value is not None}
        g.groups = {name for name, regex in POPULATION_GROUPS.items() if regex.search(p.name)}
        promotions, shipping, after_sales = list(promotions), list(shipping), list(after_sales)
        g.texts = [t for t in texts if t] + promotions + shipping + after_sales
        for t in g.texts:
            g.numbers |= {(c.value, c.unit) for c in reader.read(t) if c.value is not None}
        g.promo_texts = promotions
        for t in promotions:
            claims = reader.read(t)
            g.promo |= {(c.value, c.unit) for c in claims if c.value is not None}
            g.promo_tags |= {tag for c in claims for tag in c.tags}
            g.money |= {c.value for c in claims if c.value is not None and c.unit == MONEY}
            g.savings |= {c.value for c in claims if c.value is not None and c.unit == MONEY}
            g.percent_off |= {c.value for c in claims if c.value is not None and c.unit == "%"}
        for t in shipping + promotions:
            claims = reader.read(t)
            g.shipping |= {(c.value, c.unit) for c in claims if c.value is not None}
            g.shipping_tags |= {tag for c in claims if c.kind is K.SHIPPING for tag in c.tags}
        for t in after_sales + promotions:
            claims = reader.read(t)
            g.guarantee |= {(c.value, c.unit) for c in claims if c.value is not None}
            g.guarantee_tags |= {tag for c in claims if c.kind is K.GUARANTEE for tag in c.tags}
        return g

    @property
    def medical(self) -> bool:
        return self.product.kind == "medical"

    # --- grounding -----------------------------------------------------------------------------------------

    def why_not(self, c: Claim) -> str | None:
        """None when the brief backs ``c``, else why not (one short English phrase)."""
        p = self.product
        if c.currency and c.currency != p.currency and not (c.currency == DOLLAR and p.currency in _DOLLARS):
            return f"{c.text!r} is in {c.currency}, the product is sold in {p.currency}"
        check = _CHECKS.get(c.kind)
        return check(self, c) if check else None

    def _price(self, c: Claim) -> str | None:
        if c.value is not None and _has(self.money, c.value):
            return None
        return f"{c.text!r} is not a price of {self.product.id} (price {self.product.price:g})"

    def _reference(self, c: Claim) -> str | None:
        lp = self.product.list_price
        if lp is not None and c.value is not None and _close(c.value, lp):
            return None
        return f"reference price {c.text!r} is not the list_price" + (f" ({lp:g})" if lp else " (none given)")

    def _discount(self, c: Claim) -> str | None:
        if c.value is None:
            return f"discount {c.text!r} is not in the brief"
        if c.unit == "%":
            if any(abs(c.value - x) <= PERCENT_SLACK for x in self.percent_off):
                return None
        elif _has(self.savings, c.value):
            return None
        return f"discount {c.text!r} is neither list_price - price nor in promotions"

    def _stock(self, c: Claim) -> str | None:
        stock = self.product.stock
        if "sold_out" in c.tags:
            return None if stock == 0 else f"{c.text!r}: the brief's stock is not 0"
        if c.value is None:
            return f"scarcity {c.text!r} without the real stock"
        if stock is not None and _close(c.value, stock):
            return None
        return f"stock {c.text!r} is not the brief's stock" + (f" ({stock})" if stock is not None else " (none given)")

    def _tagged(self, c: Claim, tags: set[str], numbers: set[tuple[float, str]], where: str) -> str | None:
        missing = c.tags - tags
        if missing:
            return f"{c.text!r} is not promised in {where}"
        if c.value is not None and not self._number_in(c, numbers):
            return f"{c.text!r} is not in {where}"
        return None

    def _shipping(self, c: Claim) -> str | None:
        return self._tagged(c, self.shipping_tags, self.shipping, "shipping")

    def _guarantee(self, c: Claim) -> str | None:
        return self._tagged(c, self.guarantee_tags, self.guarantee, "after_sales")

    def _promotion(self, c: Claim) -> str | None:
        why = self._tagged(c, self.promo_tags, self.promo, "promotions")
        if why is None and c.item and not any(_item_in(c.item, t) for t in self.promo_texts):
            why = f"gift {c.item!r} is not in promotions"
        return why

    def _efficacy(self, c: Claim) -> str | None:
        if self.medical and any(c.text.lower() in t.lower() for t in self.texts):
            return None
        return f"efficacy claim {c.text!r} for a product that is not a medical one"

    def _population(self, c: Claim) -> str | None:
        if c.tags <= self.groups:
            return None
        return f"safety claim {c.text!r} for a special population"

    def _never(self, c: Claim) -> str | None:
        return f"{c.kind.value} {c.text!r} cannot be backed by a brief"

    def _number(self, c: Claim) -> str | None:
        if self._number_in(c, self.numbers) or (not c.unit and c.value is not None and _has(self.money, c.value)):
            return None
        unit = f" {c.unit}" if c.unit else ""
        return f"{c.text!r} ({c.value:g}{unit}) is not in the brief for {self.product.id}"

    @staticmethod
    def _number_in(c: Claim, numbers: set[tuple[float, str]]) -> bool:
        return c.value is not None and any(u == c.unit and _close(v, c.value) for v, u in numbers)


_CHECKS = {
    K.PRICE: Grounds._price, K.REFERENCE_PRICE: Grounds._reference, K.DISCOUNT: Grounds._discount,
    K.STOCK: Grounds._stock, K.SHIPPING: Grounds._shipping, K.GUARANTEE: Grounds._guarantee,
    K.PROMOTION: Grounds._promotion, K.EFFICACY: Grounds._efficacy, K.POPULATION: Grounds._population,
    K.ENDORSEMENT: Grounds._never, K.COMPARISON: Grounds._never, K.SUPERLATIVE: Grounds._never,
    K.NUMBER: Grounds._number,
}


def _item_in(item: str, promotion: str) -> bool:
    """Whether a promotion names the gift ``item``: its words (en) or most character pairs (zh)."""
    item, promotion = item.lower(), promotion.lower()
    if re.search(r"[\u4e00-\u9fff]", item):
        pairs = {item[i:i + 2] for i in range(len(item) - 1)} or {item}
        return sum(p in promotion for p in pairs) / len(pairs) >= 0.6
    words = [w.rstrip("s") for w in re.findall(r"[a-z]+", item) if w not in _EN_STOP]
    have = {w.rstrip("s") for w in re.findall(r"[a-z]+", promotion)}
    return bool(words) and all(w in have for w in words)
