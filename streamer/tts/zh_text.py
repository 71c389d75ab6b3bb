"""Chinese text for the espeak-ng engine: numbers read the way a host says them, clauses, and pinyin syllables.

Numbers are written out in characters before synthesis, so that what espeak-ng speaks and what we count as
syllables is the same text (one syllable per character). ``spoken_zh`` does what ``cn2an`` does not: it reads a
string of digits by what it is before handing the rest to ``cn2an`` (quantities, decimals, fractions, percentages,
dates):

- times: 10:30 -> 十点半, 9:05 -> 九点零五分, 14:00 -> 十四点;
- codes read digit by digit: phone and order numbers (7 digits and more), numbers that start with 0, model numbers
  (RTX4090 -> RTX四零九零, 316不锈钢 -> 三一六不锈钢) and years (2026年 -> 二零二六年);
- signs and ranges: -5℃ -> 零下五摄氏度, -3 -> 负三, 3-5天 -> 三到五天;
- units: ml, kg, cm, mm, mAh ... -> 毫升, 公斤, 厘米, 毫米, 毫安时; ¥199 -> 一百九十九元;
- 两 for the digit 2 alone before a measure word, and for 200/2000/20000: 两条, 两小时, 两千元 (but 十二条, 第二件,
  二点五, and words written with 二, such as 二年级, stay as they are).

Only the spoken text changes: engines call this inside ``_synthesize``, captions and the transcript keep the text as
written.
"""

from __future__ import annotations

import re

# imported with the module, not on first use: cn2an builds its patterns (~0.7 s) and pypinyin loads its dictionary
# (~0.3 s) at import, and a first use mid-show would hold the event loop that long: late frames
import cn2an
from pypinyin import Style, lazy_pinyin

from streamer.tts.timing import Unit

_DIGITS = "零一二三四五六七八九"
_CLAUSE_END = re.compile(r"[，。！？；：、,.!?;:\n]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_TOKEN = re.compile(r"[\u3400-\u9fff]+|[A-Za-z]+")

_NUM = r"\d+(?:\.\d+)?"
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_CURRENCY = re.compile(rf"[¥￥]\s*({_NUM})")
_UNIT_WORDS = {
    "mah": "毫安时", "ml": "毫升", "kg": "公斤", "mg": "毫克", "mm": "毫米", "cm": "厘米", "km": "公里",
    "g": "克", "m": "米", "l": "升", "w": "瓦", "v": "伏", "°c": "摄氏度", "℃": "摄氏度", "°": "度",
}
_UNIT = re.compile(r"(?<=\d)\s?(mAh|ml|mL|ML|kg|KG|Kg|mg|mm|cm|km|g|m|L|l|W|V|°C|℃|°)(?![A-Za-z])")
_TIME = re.compile(r"(?<![\d.:])([01]?\d|2[0-3])[:：]([0-5]\d)(?![\d:])")
_BELOW_ZERO = re.compile(rf"(?<![\w.])[-−－]({_NUM})(?=摄氏度|度)")
_NEGATIVE = re.compile(rf"(?<![\w.])[-−－]({_NUM})")
_RANGE = re.compile(rf"(?<![\w.])({_NUM})\s*[-~～—–]\s*({_NUM})(?![\d.])(年)?")
_QUANTITY_AFTER = "元块人件个份单次台万亿"  # a long number followed by these is an amount, not a code
_CODE = re.compile(
    rf"(?<![\d.])\d{{7,}}(?![\d.{_QUANTITY_AFTER}])"  # phone, order and serial numbers
    r"|(?<![\d.])0\d+(?![\d.])"  # 007, 0571: a leading zero is never a quantity
    r"|(?<=[A-Za-z])-?\d{3,}(?![\d.])"  # RTX4090, SM-9000
    r"|(?<![\d.])\d{3,}(?=不锈钢|铝合金|合金|钢|型|系列)"  # 316不锈钢, 6061铝合金
    r"|(?<![\d.])\d{3,4}(?=年)"  # years
)
_MEASURE = (
    "个|条|件|只|瓶|盒|袋|包|支|双|台|套|张|把|本|块|次|位|斤|种|款|份|片|颗|粒|根|杯|箱|罐|桶|天|周|年(?!级)|岁|"
    "小时|分钟|秒|倍|层|折|码|遍|回|样|副|对|节|期|家|间|人|毫升|升|公斤|千克|克|厘米|米|毫米|公里|百|千|万|亿"
)
_YEARS_COUNT = re.compile(r"(?<![\d.])(\d{1,2})(?=年)")  # 2年质保, 10年老店: a duration (cn2an reads 一零年)
# 两 only where the text has the digit 2, so words such as 二年级 and 二次元 stay as written
_LONE_TWO = re.compile(rf"(?<![\d.第])2(?=\s?(?:{_MEASURE})|点(?!\d)|点\d+分)")
_ROUND_TWO = re.compile(r"(?<![\d.第])2(00|000|0000|00000000)(?![\d.])")
_ROUND_UNITS = {2: "百", 3: "千", 4: "万", 8: "亿"}


def digits_zh(digits: str) -> str:
    """Digit by digit: 1380013 -> 一三八零零一三."""
    return "".join(_DIGITS[int(d)] for d in digits if d.isdigit())


def _time_zh(m: re.Match[str]) -> str:
    hour, minute = int(m.group(1)), int(m.group(2))
    spoken = ("两" if hour == 2 else str(cn2an.an2cn(str(hour)))) + "点"
    if minute == 30:
        return spoken + "半"
    if minute == 0:
        return spoken
    return spoken + ("零" if minute < 10 else "") + str(cn2an.an2cn(str(minute))) + "分"


def _range_zh(m: re.Match[str]) -> str:
    """3-5天 -> 三到五天; 2023-2024年 -> 二零二三到二零二四年."""
    low, high, year = m.group(1), m.group(2), m.group(3)
    if year and len(low) >= 3 and len(high) >= 3:
        return digits_zh(low) + "到" + digits_zh(high) + year
    return ("两" if low == "2" else str(cn2an.an2cn(low))) + "到" + str(cn2an.an2cn(high)) + (year or "")


def spoken_zh(text: str) -> str:
    """``text`` with its numbers written out as a host reads them (see the module docstring)."""
    if not re.search(r"\d", text):
        return text

    def number(m: re.Match[str], group: int = 1) -> str:
        return str(cn2an.an2cn(m.group(group)))

    text = _THOUSANDS.sub("", text)
    text = _CURRENCY.sub(r"\1元", text)
    text = _UNIT.sub(lambda m: _UNIT_WORDS[m.group(1).lower()], text)
    text = _TIME.sub(_time_zh, text)
    text = _RANGE.sub(_range_zh, text)
    text = _CODE.sub(lambda m: ("杠" if m.group(0).startswith("-") else "") + digits_zh(m.group(0)), text)
    text = _BELOW_ZERO.sub(lambda m: "零下" + number(m), text)
    text = _NEGATIVE.sub(lambda m: "负" + number(m), text)
    text = _LONE_TWO.sub("两", text)
    text = _YEARS_COUNT.sub(number, text)
    text = _ROUND_TWO.sub(lambda m: "两" + _ROUND_UNITS[len(m.group(1))], text)
    return str(cn2an.transform(text, "an2cn"))  # quantities, decimals, fractions, percentages, dates


def clauses(text: str) -> list[str]:
    """Split where espeak-ng pauses (commas, full stops and the like)."""
    return [c for c in (s.strip() for s in _CLAUSE_END.split(text)) if c]


def pinyin_units(clause: str) -> list[Unit]:
    """One unit per syllable: pinyin with tone number for each character ('ni3'), and one unit per Latin word
    (its lower-case spelling, weighted by its vowel groups) for English mixed into Chinese."""
    units: list[Unit] = []
    for tok in _TOKEN.findall(clause):
        if _HAN.match(tok):  # a whole run at once, so pypinyin sees words and picks the right reading (长大/长度)
            units += [Unit(p) for p in lazy_pinyin(tok, style=Style.TONE3, neutral_tone_with_five=True)]
        else:
            syllables = len(re.findall(r"[aeiouy]+", tok.lower())) or len(tok)
            units.append(Unit(tok.lower(), float(syllables)))
    return units
