"""What a sentence claims: the `Claim` the reader produces and the kinds a claim can be.

A claim is one thing a sentence asserts that a viewer could rely on when buying: a price, a reference ("was") price,
a discount, how many are left, when it ships, what comes free, what the shop promises after the sale, what it does
for the body, who vouches for it, how it compares with other products, that it is the best. A number that asserts
none of these (a spec value, a link number, a count in a selling point) is a claim of kind ``number``: it is still
checked against the brief, with its unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Claim", "ClaimKind"]


class ClaimKind(StrEnum):
    PRICE = "price"                      # 99元, 24.99 dollars, "just 49"
    REFERENCE_PRICE = "reference_price"  # 原价/专柜价/日常价/市场价/划线价, was/regular/retail/MSRP
    DISCOUNT = "discount"                # 8折, 50% off, 省60元, you save 15 dollars
    STOCK = "stock"                      # 库存500件, 仅剩3件, only 3 left, almost gone
    SHIPPING = "shipping"                # 48小时发货, 包邮, next-day delivery, free shipping
    PROMOTION = "promotion"              # 送杯套, 买一送一, 两件立减10元, free gift, second cup at half price
    GUARANTEE = "guarantee"              # 7天无理由退货, 保修, warranty, refund, money-back
    EFFICACY = "efficacy"                # 祛痘, 降血糖, cures, detox, lose weight
    ENDORSEMENT = "endorsement"          # 专家推荐, 医生, 明星同款, dermatologist approved, clinically proven
    COMPARISON = "comparison"            # 比大牌还好用, 胜过, better than X, outperforms
    SUPERLATIVE = "superlative"          # 最好, 第一, 全网最低, the best, #1
    POPULATION = "population"            # 孕妇可用, 婴儿也能吃, safe for babies
    NUMBER = "number"                    # 500ml, 3号链接, 12小时保温, 30袋


@dataclass(frozen=True, slots=True)
class Claim:
    """One claim in a sentence.

    ``start``/``end`` index the sentence; ``text`` is that span. ``value`` is the number the claim states, when it
    states one (a discount is stored as percent off: 8折 -> 20.0); ``unit`` is its normalised unit (``money``, ``ml``,
    ``hour``, ``link``, ``%``, a counting word such as ``件``, or ``""`` for a bare number) and ``currency`` the ISO
    code when the sentence names one. ``tags`` name what a claim without a number promises (``free_shipping``,
    ``next_day``, ``lifetime``, ``bogo``...); ``item`` is the gift a promotion names. ``product_id`` is the product
    the sentence names at that point, or None when it names none.
    """

    kind: ClaimKind
    start: int
    end: int
    text: str
    value: float | None = None
    unit: str = ""
    currency: str | None = None
    tags: frozenset[str] = field(default_factory=frozenset)
    item: str = ""
    product_id: str | None = None
    spelled: bool = False  # the number is a word (一, one), not digits

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)
