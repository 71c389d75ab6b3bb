"""Size advice from the brief's size table, never a guess.

How a merchant writes a size table (both in `specs`, so existing briefs keep working):

- one spec per size, named by the size: ``S: 155-165cm，45-55kg``, ``M码: 165-172cm 110-130斤``;
- or one spec named 尺码表 / 尺码 / 码数 / size chart / sizes / size guide whose value lists the sizes, separated by
  ``;`` ``；`` ``|`` or new lines: ``S: 160-170 cm, 50-62 kg; M: 170-178 cm, 62-72 kg``.

A size is S, M, L, XS, XL, XXL, XXXL or 2XL-5XL (with or without 码). Its ranges are ``low-high`` followed by a unit:
cm/厘米/公分 for height, kg/公斤/千克, 斤 (half a kilogram) or lb for weight. A spec whose value has no range (``均码``,
``one size``) is not a table; it is answered like any other spec.

`measurements(text)` reads a viewer's height and weight however they write them (168/60kg, 身高170体重120斤,
一米八, 5'11 170 lbs, 180cm). `SizeChart.advise` says which size fits both; when the numbers fall outside the table,
or height and weight point at different sizes, it says so and points to the size chart instead of picking one.
Replies quote the merchant's own row text, so every number said is the brief's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..brief import Product
from ..comments.triage.normalize import normalize

__all__ = ["Advice", "SizeChart", "SizeRow", "asks_size", "measurements"]

_SIZE = r"(?:xxxl|xxl|xl|xs|[2-5]xl|s|m|l)"
_SIZE_KEY = re.compile(rf"^{_SIZE}\s*码?$")
_CHART_KEY = re.compile(r"尺码|码数|size\s*(chart|guide|table)|^sizes?$")
_ROW_SPLIT = re.compile(r"[;；|\n]+")
_ROW = re.compile(rf"^\s*(?P<label>{_SIZE})\s*码?\s*[:：]?\s*(?P<text>.+?)\s*$", re.IGNORECASE)
_RANGE = re.compile(r"(?P<lo>\d+(?:\.\d+)?)\s*[-~～至到]\s*(?P<hi>\d+(?:\.\d+)?)\s*"
                    r"(?P<unit>cm|厘米|公分|kg|公斤|千克|斤|lbs?)")
_TO_KG = {"kg": 1.0, "公斤": 1.0, "千克": 1.0, "斤": 0.5, "lb": 0.4536, "lbs": 0.4536}

_ASKS_SIZE = re.compile(r"尺码|码数|(什么|啥|哪个|哪|几|多大)个?码|穿多大|穿什么|穿啥|选.{0,2}码|身高|体重|"
                        r"\d\s*(cm|厘米|公分|kg|公斤|斤)|一米[一二三四五六七八九]|"
                        r"(?<![a-z])(what|which) size|(?<![a-z])sizes?(?![a-z])|\d\s*(cm|kg|lbs?)(?![a-z])|\d'\s*\d")

_ZH_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_HEIGHT_CM = re.compile(r"(?P<v>\d{3}(?:\.\d)?)\s*(?:cm|厘米|公分)")
_HEIGHT_M = re.compile(r"(?<![\d.])(?P<m>1)(?:\.(?P<dec>\d{1,2})\s*(?:m|米)(?![a-z])|\s*米\s*(?P<cm>\d{1,2}))")
_HEIGHT_ZH = re.compile(r"一米(?P<a>[一二三四五六七八九])(?P<b>[一二三四五六七八九])?")
_HEIGHT_FT = re.compile(r"(?P<ft>[4-7])\s*(?:'|ft|feet|foot)\s*(?P<inch>\d{1,2})?")
_WEIGHT = re.compile(r"(?P<v>\d{2,3}(?:\.\d)?)\s*(?P<unit>kg|公斤|千克|kilos?|斤|lbs?|pounds?)(?![a-z])")
_HEIGHT_WORD = re.compile(r"身高\s*(?P<v>\d{3})")
_WEIGHT_WORD = re.compile(r"体重\s*(?P<v>\d{2,3})(?!\s*(?:kg|公斤|千克|斤|\d))")
_PAIR = re.compile(r"(?<![\d.])(?P<h>1[4-9]\d|2[01]\d)\s*[/／,，、\s]\s*(?P<w>\d{2,3})(?![\d.])(?!\s*(?:cm|厘米|公分))")
_BARE_HEIGHT = re.compile(r"(?<![\d.])(?P<h>1[4-9]\d|2[01]\d)(?![\d.])(?!\s*(?:kg|公斤|千克|斤|kilo|lb|pound|元|块|\$))")


def asks_size(text: str) -> bool:
    """Whether ``text`` asks which size to take (or gives a height or weight to choose by)."""
    return bool(_ASKS_SIZE.search(normalize(text)))


def _unitless_kg(value: float) -> float:
    """A weight written without a unit: Chinese viewers who write 体重120 mean 斤; over 100 is read as 斤."""
    return value / 2 if value > 100 else value


def measurements(text: str) -> tuple[float | None, float | None]:
    """(height in cm, weight in kg) that ``text`` gives, each None when it gives none."""
    norm = normalize(text)
    height: float | None = None
    weight: float | None = None
    if m := _HEIGHT_CM.search(norm) or _HEIGHT_WORD.search(norm):
        height = float(m.group("v"))
    elif m := _HEIGHT_M.search(norm):
        height = 100 + float((m.group("dec") or m.group("cm")).ljust(2, "0"))  # 1米7, 1.75m
    elif m := _HEIGHT_ZH.search(norm):
        height = 100 + _ZH_DIGIT[m.group("a")] * 10 + (_ZH_DIGIT[m.group("b")] if m.group("b") else 0)
    elif m := _HEIGHT_FT.search(norm):
        height = round((int(m.group("ft")) * 12 + int(m.group("inch") or 0)) * 2.54, 1)
    if m := _WEIGHT.search(norm):
        unit = m.group("unit").removesuffix("s")  # kilos, pounds, lbs
        weight = float(m.group("v")) * _TO_KG[{"kilo": "kg", "pound": "lb"}.get(unit, unit)]
    elif m := _WEIGHT_WORD.search(norm):
        weight = _unitless_kg(float(m.group("v")))
    if m := _PAIR.search(norm):  # 168/60, 175 65kg: height first, then weight
        height = height or float(m.group("h"))
        weight = weight or _unitless_kg(float(m.group("w")))
    elif height is None and (m := _BARE_HEIGHT.search(norm)) and weight is not None:
        height = float(m.group("h"))
    return height, weight


@dataclass(frozen=True, slots=True)
class SizeRow:
    """One size of a table: its label (M), the merchant's text for it, and the ranges read from that text."""

    label: str
    text: str
    height: tuple[float, float] | None
    weight: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class Advice:
    """``kind``: fit (``rows[0]`` fits), between (height fits ``rows[0]``, weight ``rows[1]``), outside (the numbers
    are not in the table), chart (no numbers given: here is the table)."""

    kind: Literal["fit", "between", "outside", "chart"]
    rows: tuple[SizeRow, ...]


def _row(label: str, text: str) -> SizeRow | None:
    height = weight = None
    for m in _RANGE.finditer(normalize(text)):
        lo, hi, unit = float(m.group("lo")), float(m.group("hi")), m.group("unit")
        if unit in _TO_KG:
            weight = (lo * _TO_KG[unit], hi * _TO_KG[unit])
        else:
            height = (lo, hi)
    if height is None and weight is None:
        return None
    return SizeRow(label.upper().removesuffix("码").strip(), text.strip(), height, weight)


class SizeChart:
    """A product's size table, read from its specs."""

    def __init__(self, rows: list[SizeRow]) -> None:
        self.rows = rows

    @classmethod
    def of(cls, product: Product) -> SizeChart | None:
        rows: list[SizeRow] = []
        for key, value in product.specs.items():
            name = normalize(str(key)).strip()
            if _SIZE_KEY.match(name):
                row = _row(str(key), str(value))
                rows += [row] if row else []
            elif _CHART_KEY.search(name):
                for part in _ROW_SPLIT.split(str(value)):
                    if (m := _ROW.match(part)) and (row := _row(m.group("label"), m.group("text"))):
                        rows.append(row)
        return cls(rows) if rows else None

    def advise(self, height: float | None, weight: float | None) -> Advice:
        if height is None and weight is None:
            return Advice("chart", tuple(self.rows))
        fits_height = [r for r in self.rows if height is not None and r.height and r.height[0] <= height <= r.height[1]]
        fits_weight = [r for r in self.rows if weight is not None and r.weight and r.weight[0] <= weight <= r.weight[1]]
        if (height is not None and not fits_height) or (weight is not None and not fits_weight):
            return Advice("outside", tuple(self.rows))
        if height is None or weight is None:
            return Advice("fit", tuple((fits_height or fits_weight)[-1:]))  # on a boundary, the larger (later) size
        both = [r for r in fits_height if r in fits_weight]
        if both:
            return Advice("fit", tuple(both[-1:]))
        return Advice("between", (fits_height[-1], fits_weight[-1]))
