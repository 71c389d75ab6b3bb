"""The unit a number is written with, normalised, so that ``48小时`` and ``48 hours`` are one fact and ``48元`` another.

``unit_after(text, end)`` reads the unit that follows a number (``500ml``, ``12 hours``, ``3号``, ``99元``, ``30袋``),
``currency_before(text, start)`` a currency sign that precedes it (``$24.99``, ``¥99``). Money comes back as unit
``money`` with an ISO currency; counting words keep their own character (件, 袋), so 30袋 does not ground 30件.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DOLLAR", "MONEY", "POUND", "Unit", "currency_before", "unit_after"]

MONEY = "money"
POUND = "pound"
DOLLAR = "$"  # a dollar sign: any of the dollars (USD, CAD, AUD, HKD...)

# (pattern, unit, currency); tried in order at the position right after a number, so longer spellings come first.
_UNITS: tuple[tuple[str, str, str | None], ...] = (
    (r"块钱|元钱|块|元|人民币|rmb\b|yuan\b|cny\b", MONEY, "CNY"),
    (r"canadian dollars?\b|加元|加币|cad\b", MONEY, "CAD"),
    (r"australian dollars?\b|澳元|澳币|aud\b", MONEY, "AUD"),
    (r"hong kong dollars?\b|港币|港元|hkd\b", MONEY, "HKD"),
    (r"美元|美金|dollars?\b|bucks?\b|usd\b", MONEY, "USD"),
    (r"欧元|euros?\b|eur\b", MONEY, "EUR"),
    (r"英镑|gbp\b", MONEY, "GBP"),
    (r"pounds?\b", POUND, None),  # money or weight: the reader decides from the words around it
    (r"日元|yen\b|jpy\b", MONEY, "JPY"),
    (r"号链接|号", "link", None),
    (r"毫升|ml\b|millilit(?:er|re)s?\b", "ml", None),
    (r"毫安时?|mah\b", "mah", None),
    (r"公斤|千克|kg\b|kilo(?:gram)?s?\b", "kg", None),
    (r"毫米|mm\b|millimet(?:er|re)s?\b", "mm", None),
    (r"厘米|cm\b|centimet(?:er|re)s?\b", "cm", None),
    (r"英寸|寸|inch(?:es)?\b|in(?=\s*(?:$|[,.;)/]))", "in", None),
    (r"升|l\b|lit(?:er|re)s?\b", "l", None),
    (r"克|g\b|grams?\b", "g", None),
    (r"斤", "jin", None),
    (r"lbs?\b", "lb", None),
    (r"oz\b|ounces?\b", "oz", None),
    (r"米|m\b|met(?:er|re)s?\b", "m", None),
    (r"瓦|w\b|watts?\b", "w", None),
    (r"伏|v\b|volts?\b", "v", None),
    (r"个小时|小时|h\b|hrs?\b|hours?\b", "hour", None),
    (r"分钟|mins?\b|minutes?\b", "minute", None),
    (r"秒钟|秒(?!杀)|secs?\b|seconds?\b", "second", None),
    (r"个工作日|工作日|天|日(?!常)|(?:business |working )?days?\b", "day", None),
    (r"个星期|星期|周|weeks?\b", "week", None),
    (r"个月|月|months?\b", "month", None),
    (r"年|years?\b|yrs?\b", "year", None),
    (r"℃|°c|°|度|degrees?\b", "deg", None),
    (r"%|％|percent\b|per cent\b", "%", None),
    (r"折(?!叠)", "zhe", None),
)
# ``\b`` would not end "cm" in "32cm大口径" (a Chinese character is a word character), so units end at a non-letter.
_UNIT_RE = [(re.compile(r"[\s-]?(?:" + p.replace(r"\b", "(?![a-z])") + ")", re.IGNORECASE), u, c) for p, u, c in _UNITS]
_ZH_COUNT = re.compile(r"[件个只台套瓶盒条把支双袋片张份单罐杯颗粒本位人款次遍层根组对箱桶卷枚副]|包(?!邮)")
_EN_WORD = re.compile(r"\s?([a-z]+)", re.IGNORECASE)
# Words that follow a number without being its unit: "3 left", "39 to 41", "24.99 today".
_EN_NOT_UNITS = frozenset("""to and or for of in on at with today now right left off per a an the is are was were x by
than more less only just each every this that it its from""".split())
_CURRENCY_SIGNS = (("US$", "USD"), ("HK$", "HKD"), ("C$", "CAD"), ("A$", "AUD"), ("$", DOLLAR), ("¥", "CNY"), ("￥", "CNY"), ("€", "EUR"),
                   ("£", "GBP"))


@dataclass(frozen=True, slots=True)
class Unit:
    unit: str
    currency: str | None
    end: int  # where the unit ends in the text


def unit_after(text: str, end: int) -> Unit:
    """The unit written right after a number that ends at ``end`` ("" when none)."""
    for regex, unit, currency in _UNIT_RE:
        m = regex.match(text, end)
        if m:
            return Unit(unit, currency, m.end())
    m = _ZH_COUNT.match(text, end)
    if m:
        return Unit(m.group(0), None, m.end())
    m = _EN_WORD.match(text, end)
    if m and m.group(1).lower() not in _EN_NOT_UNITS and re.match(r"\s", text[end:end + 1] or "x"):
        word = m.group(1).lower()
        return Unit(word[:-1] if word.endswith("s") and len(word) > 3 else word, None, m.end())
    return Unit("", None, end)


def currency_before(text: str, start: int) -> str | None:
    """The currency of a sign written right before a number (``$24.99``, ``¥ 99``), or None."""
    head = text[max(0, start - 4):start].rstrip()
    for sign, code in _CURRENCY_SIGNS:
        if head.endswith(sign):
            return code
    return None
