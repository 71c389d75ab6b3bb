"""The rule type shared by the Chinese and English rule tables, and the finding a rule produces."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Category(StrEnum):
    """Why a phrase cannot be said on air (China's Advertising Law and platform rules, and their US/EU twins)."""

    EXTREME = "extreme"            # 极限词: 最/第一/顶级/best in the world (广告法 art. 9(3))
    AUTHORITY = "authority"        # 国家级, 特供, 驰名商标, FDA approved: borrowed authority (art. 9(2), 14)
    FALSE_CLAIM = "false_claim"    # absolutes and guarantees: 绝对, 永不, 100%有效, guaranteed, risk-free (art. 4, 28)
    MEDICAL = "medical"            # efficacy claims for goods that are not medicine: 治疗, 减肥, cures (art. 17)
    PRICE_FRAUD = "price_fraud"    # 全网最低价, 跳楼价, fake urgency, below cost (价格法 art. 14; 明码标价规定)
    INDUCEMENT = "inducement"      # off-platform trading, paid reviews, pressure (platform rules)
    SUPERSTITION = "superstition"  # 招财, 转运, 辟邪 (art. 9(8))
    ENDORSEMENT = "endorsement"    # 专家推荐, 明星同款, dermatologist approved: unverifiable endorsers (art. 16, 18, 38)
    SPECIAL_POPULATION = "special_population"  # 孕妇也能用, safe for babies: safety claims for the vulnerable (art. 4, 28)
    COMPARISON = "comparison"      # 比大牌还好用, 吊打, better than <Brand>: comparing with or disparaging rivals (art. 13)


class ProductKind(StrEnum):
    """What the product is, when the caller knows: some wording is lawful for one kind and not for another.

    Medical words (消炎, heals) are what a medicine or a medical device is for; special-population safety (孕妇可用,
    safe for babies) is regulated for cosmetics, food and medicine but is a plain statement of use for a pram.
    """

    MEDICAL = "medical"    # registered medicines and medical devices
    COSMETIC = "cosmetic"
    FOOD = "food"          # food, drink and supplements
    OTHER = "other"        # everything else: housewares, clothes, electronics, toys, furniture


Replacement = str | Mapping[str, str] | Callable[[re.Match[str]], str] | None


@dataclass(frozen=True)
class Rule:
    """One pattern of forbidden wording.

    ``allow`` patterns mark contexts where a hit is fine (第一次, 最近, best to...): a hit inside the span of an
    allow match is not a finding. ``replacement`` rewrites the hit into a lawful phrase (a string, a mapping from the
    matched text, or a function); None means the sentence cannot be saved and must be dropped. ``skip_for`` names the
    product kinds for which the wording is lawful (medical words for a medicine); the rule always runs when the
    caller does not say what the product is.
    """

    id: str
    category: Category
    pattern: str
    message: str
    suggestion: str
    replacement: Replacement = None
    allow: tuple[str, ...] = ()
    skip_for: frozenset[ProductKind] = frozenset()
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    allow_regex: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern, re.IGNORECASE))
        object.__setattr__(self, "allow_regex", tuple(re.compile(a, re.IGNORECASE) for a in self.allow))

    def replace(self, m: re.Match[str]) -> str | None:
        r = self.replacement
        if r is None or isinstance(r, str):
            return r
        if callable(r):
            return r(m)
        return r.get(m.group(0).lower(), r.get(m.group(0)))


@dataclass(frozen=True, slots=True)
class Finding:
    """One violation: where it is (``start``/``end`` index into the text), why, and what to say instead."""

    category: Category
    rule: str
    start: int
    end: int
    text: str
    message: str
    suggestion: str
    replacement: str | None = None

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)

    def to_dict(self) -> dict[str, object]:
        return {"category": str(self.category), "rule": self.rule, "span": [self.start, self.end],
                "text": self.text, "message": self.message, "suggestion": self.suggestion,
                "replacement": self.replacement}
