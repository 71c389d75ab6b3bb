"""Reads a Chinese or English sentence into the claims it makes (``Claim``), so each can be checked on its own.

    ClaimReader({"cup-01": ["316不锈钢保温杯"]}).read("日常价159元，今天99元，库存500件")
    # -> reference_price 159 money, price 99 money, stock 500 件

A number's kind comes from the words around it in its clause (原价 before it, "left" after it, 发货 in the clause)
and from its unit; phrases such as 包邮, 专家推荐 or "better than" are claims without a number. Numbers inside a
product's name are part of the name, and the number one spelled as a word (一款, 一下, "one of") is an article,
not a claim, unless it is money, a stock count or a measure (一块钱, 仅剩一件, 一年保修).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from . import cues
from .kinds import Claim, ClaimKind
from .numbers import NumberMention, numbers_in, parse_zh_number
from .units import MONEY, POUND, Unit, currency_before, unit_after

__all__ = ["ClaimReader", "read_claims"]

K = ClaimKind
_TIME = frozenset({"hour", "minute", "second", "day", "week", "month", "year"})
MEASURES = frozenset({MONEY, "ml", "l", "g", "kg", "jin", "lb", "oz", "cm", "mm", "m", "in", "w", "v", "mah", "deg",
                      "%", "zhe", "link"}) | _TIME
_RANGE = re.compile(r"\s*(?:-|–|~|～|到|至|\bto\b|x|×|\*)\s*", re.IGNORECASE)
_DIGITS = re.compile(r"[\d一二两三四五六七八九十百千万]")
_PERCENT_ZH = re.compile(r"百分之([零一二两三四五六七八九十百点]+)")
_PROMO_MONEY = re.compile(r"立减|满减|满\s*[\d一二三四五六七八九十百千]+|第\s*[二三\d]\s*件|[两二三]\s*[件条盒瓶支]|"
                          r"前\s*[\d一二两三四五六七八九十百千]+\s*[单名]|\bsecond\b|when you buy|\bbuy\s+(?:\d|two|three)|"
                          r"bundle", re.IGNORECASE)
_SPELLED = re.compile(r"[^\d]+")
_FIRST_N = re.compile(r"(?:前|买|送|赠|\bfirst|\bbuy|\bget)\s*$", re.IGNORECASE)
_MONEY_AFTER = re.compile(r"\s*(?:today|now|only|each|off|less|cheaper|regular)\b", re.IGNORECASE)
_CODE = re.compile(r"[A-Za-z]$")
_RATIO = re.compile(r"^\s*[/:]\s*\d")  # 18/8 steel, 16:9
_NEAR = 12  # characters before a number in which a saving cue (省, save) still belongs to it


def _clauses(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in cues.CLAUSE_END.finditer(text):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return out


def _clause_of(clauses: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    for a, b in clauses:
        if a <= pos < b or pos == b:
            return a, b
    return 0, 0


class ClaimReader:
    """Reads sentences for one brief: ``names`` maps a product id to the names a sentence may use for it."""

    def __init__(self, names: Mapping[str, Iterable[str]] | None = None) -> None:
        self._names: list[tuple[str, str]] = sorted(
            ((n.lower(), pid) for pid, ns in (names or {}).items() for n in ns if n.strip()),
            key=lambda x: -len(x[0]))
        self._name_re = re.compile("|".join(re.escape(n) for n, _ in self._names), re.IGNORECASE) \
            if self._names else None
        self._by_name = dict(self._names)

    def mentions(self, text: str) -> list[tuple[int, int, str]]:
        """Where ``text`` names a product: (start, end, product id)."""
        if self._name_re is None:
            return []
        return [(m.start(), m.end(), self._by_name[m.group(0).lower()]) for m in self._name_re.finditer(text)]

    def read(self, text: str) -> list[Claim]:
        mentions = self.mentions(text)
        clauses = _clauses(text)
        claims = self._phrases(text, clauses)
        taken = [(m[0], m[1]) for m in mentions] + [c.span for c in claims if c.tags & {"bogo"}]
        claims += self._numbers(text, clauses, taken)
        out = []
        for c in sorted(claims, key=lambda c: c.start):
            before = [pid for s, _, pid in mentions if s <= c.start]
            pid = before[-1] if before else (mentions[0][2] if mentions else None)
            out.append(_with_product(c, pid))
        return out

    # --- phrases -------------------------------------------------------------------------------------------

    def _phrases(self, text: str, clauses: list[tuple[int, int]]) -> list[Claim]:
        out: list[Claim] = []
        for kind, regex in ((K.SUPERLATIVE, cues.SUPERLATIVE), (K.ENDORSEMENT, cues.ENDORSEMENT),
                            (K.COMPARISON, cues.COMPARISON), (K.EFFICACY, cues.EFFICACY)):
            out += [Claim(kind, m.start(), m.end(), m.group(0)) for m in regex.finditer(text)]
        for kind, table in ((K.SHIPPING, cues.SHIPPING_TAGS), (K.GUARANTEE, cues.GUARANTEE_TAGS),
                            (K.PROMOTION, cues.PROMO_TAGS)):
            for regex, tag in table:
                out += [Claim(kind, m.start(), m.end(), m.group(0), tags=frozenset({tag}))
                        for m in regex.finditer(text)]
        shipping_spans = [c.span for c in out if c.kind is K.SHIPPING]
        offers = [c.span for c in out if c.kind is K.PROMOTION]  # 买一送一 is an offer, not a gift named 一
        for regex in (cues.GIFT_ZH, cues.GIFT_EN):
            for m in regex.finditer(text):
                if any(a < m.end() and m.start() < b for a, b in shipping_spans + offers):
                    continue
                item = (m.groupdict().get("item") or m.group(0)).strip()
                out.append(Claim(K.PROMOTION, m.start(), m.end(), m.group(0), item=item))
        out += [Claim(K.STOCK, m.start(), m.end(), m.group(0), tags=frozenset({"scarcity"}))
                for m in cues.SCARCITY.finditer(text)]
        out += [Claim(K.STOCK, m.start(), m.end(), m.group(0), tags=frozenset({"sold_out"}))
                for m in cues.SOLD_OUT.finditer(text)]
        out += [Claim(K.PRICE, m.start(), m.end(), m.group(0), 0.0, MONEY) for m in cues.FREE.finditer(text)]
        currency = {"dollar": "$", "buck": "$", "pound": "GBP", "euro": "EUR"}
        out += [Claim(K.PRICE, m.start(), m.end(), m.group(0), 1.0, MONEY, currency[m.group(0).split()[-1].lower()],
                      spelled=True) for m in cues.A_DOLLAR.finditer(text)]
        out += [Claim(K.DISCOUNT, m.start(), m.end(), m.group(0)) for m in cues.SLASHED.finditer(text)]
        for a, b in clauses:
            clause = text[a:b]
            if not cues.POPULATION_SAFE.search(clause):
                continue
            for group, regex in cues.POPULATION_GROUPS.items():
                out += [Claim(K.POPULATION, a + m.start(), a + m.end(), m.group(0), tags=frozenset({group}))
                        for m in regex.finditer(clause)]
        for m in _PERCENT_ZH.finditer(text):
            value = parse_zh_number(m.group(1))
            if value is not None:
                a, b = _clause_of(clauses, m.start())
                kind = K.DISCOUNT if cues.DISCOUNT_CUE.search(text[a:b]) else K.NUMBER
                out.append(Claim(kind, m.start(), m.end(), m.group(0), value, "%", spelled=True))
        return out

    # --- numbers -------------------------------------------------------------------------------------------

    def _numbers(self, text: str, clauses: list[tuple[int, int]], taken: list[tuple[int, int]]) -> list[Claim]:
        zh_percent = [m.span() for m in _PERCENT_ZH.finditer(text)]
        mentions = [n for n in numbers_in(text)
                    if not any(a <= n.start and n.end <= b for a, b in taken + zh_percent)]
        units = [self._unit(text, n) for n in mentions]
        for i in range(len(mentions) - 1, -1, -1):  # a range or size takes the unit of its last number: 45-55kg
            if not units[i].unit and i + 1 < len(mentions):
                gap = text[units[i].end:mentions[i + 1].start]
                if _RANGE.fullmatch(gap):
                    units[i] = Unit(units[i + 1].unit, units[i + 1].currency, units[i].end)
        out = []
        for n, u in zip(mentions, units, strict=True):
            claim = self._number_claim(text, clauses, n, u)
            if claim is not None:
                out.append(claim)
        return out

    @staticmethod
    def _unit(text: str, n: NumberMention) -> Unit:
        if "块" in n.text or "元" in n.text:  # 四十九块九: the unit sits inside the number
            return Unit(MONEY, "CNY", n.end)
        if n.text.endswith("%"):
            return Unit("%", None, n.end)
        sign = currency_before(text, n.start)
        u = unit_after(text, n.end)
        if sign and u.unit in ("", MONEY):
            return Unit(MONEY, sign, u.end)
        return u

    def _number_claim(self, text: str, clauses: list[tuple[int, int]], n: NumberMention, u: Unit) -> Claim | None:
        a, b = _clause_of(clauses, n.start)
        clause = text[a:b]
        before, after = text[a:n.start], text[u.end:b] if u.end <= b else ""
        if u.unit == POUND:  # 25 pounds: money after a price word (today, was, save...), else a weight
            money = cues.PRICE_CUE.search(before) or cues.REF_BEFORE.search(before) or \
                cues.SAVING_BEFORE.search(before) or _MONEY_AFTER.match(after)
            u = Unit(MONEY, "GBP", u.end) if money else Unit("lb", None, u.end)
        kind = self._kind(clause, before, after, u.unit)
        spelled = bool(_SPELLED.fullmatch(n.text))
        counted = kind is K.STOCK and bool(u.unit or cues.STOCK_AFTER.search(after))
        if spelled and n.value == 1 and u.unit not in MEASURES and not counted:
            return None  # 一款, 一共, 一个杯套, one of: an article, not a quantity (仅剩一件, only one left are)
        if spelled and n.value == 1 and u.unit in _TIME and kind is K.NUMBER:
            return None  # 新的一天, 忙了一年, one day: talk about time; 一天就到 is read as shipping, not here
        value: float = n.value
        unit = "link" if cues.LINK_BEFORE.search(before) else u.unit
        if unit == "zhe":  # 8折 pays 80 %: 20 % off; 75折 (七五折) is 7.5折
            tenths = value / 10 if value >= 10 else value
            value, unit = round(100 - tenths * 10, 2), "%"
        return Claim(kind, n.start, u.end, text[n.start:u.end], value, unit, u.currency, spelled=spelled)

    @staticmethod
    def _kind(clause: str, before: str, after: str, unit: str) -> ClaimKind:
        if unit == "link" or cues.LINK_BEFORE.search(before) or _CODE.search(before):
            return K.NUMBER  # a link number, or part of a model or grade code: X50CrMoV15, IPX5
        if unit == "zhe":
            return K.DISCOUNT
        if unit == "%":
            return K.DISCOUNT if cues.DISCOUNT_CUE.search(clause) else K.NUMBER
        ref = _attached(cues.REF_BEFORE, before) or bool(cues.REF_AFTER.search(after))
        saving = bool(cues.SAVING_BEFORE.search(before[-_NEAR:]) or cues.SAVING_AFTER.search(after))
        if unit == MONEY:
            if saving:
                return K.DISCOUNT
            if ref:
                return K.REFERENCE_PRICE
            if cues.MONEY_SHIPPING_BEFORE.search(before) or cues.MONEY_SHIPPING_AFTER.search(after):
                return K.SHIPPING
            if _PROMO_MONEY.search(clause):
                return K.PROMOTION
            return K.PRICE
        if unit in _TIME:
            if cues.SHIPPING_CUE.search(clause):
                return K.SHIPPING
            if cues.GUARANTEE_CUE.search(clause):
                return K.GUARANTEE
            return K.NUMBER
        if unit in MEASURES:
            return K.NUMBER
        if _FIRST_N.search(before):
            return K.PROMOTION  # 前100单, 买二送一, the first 50 orders
        if cues.STOCK_AFTER.search(after) or cues.STOCK_BEFORE.search(before[-_NEAR:]):
            return K.STOCK
        if not unit:
            if cues.MONEY_SHIPPING_BEFORE.search(before) and cues.SHIPPING_CUE.search(clause):
                return K.SHIPPING  # 满99包邮
            if ref:
                return K.REFERENCE_PRICE
            if saving:
                return K.DISCOUNT
            if cues.PRICE_CUE.search(before[-_NEAR:]) and not _RATIO.match(after):
                return K.PRICE
            return K.NUMBER
        if cues.PROMO_CUE.search(clause):
            return K.PROMOTION
        return K.NUMBER


def _attached(cue: re.Pattern[str], before: str) -> bool:
    """Whether the last ``cue`` in ``before`` speaks of the number that follows (no other number in between)."""
    ends = [m.end() for m in cue.finditer(before)]
    return bool(ends) and not _DIGITS.search(before[ends[-1]:])


def _with_product(c: Claim, product_id: str | None) -> Claim:
    return c if product_id is None else replace(c, product_id=product_id)


def read_claims(text: str, names: Mapping[str, Iterable[str]] | None = None) -> list[Claim]:
    """The claims in ``text``; ``names`` (product id -> names) lets claims say which product they are about."""
    return ClaimReader(names).read(text)
