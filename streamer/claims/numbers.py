"""Numbers as they are written in a sentence: ``99``, ``99.0``, ``1,200``, ``1.2万``, ``九十九``, ``四十九块九`` (49.9),
``一千二`` (1200), ``50%``, ``twenty-four``.

The claim reader (``reader.py``) decides what each number is (a price, a stock count, a duration...); this module
only finds numbers and their values, in reading order, skipping numeral characters inside words (十分, 千万别, 第二点).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["NumberMention", "numbers_in", "parse_zh_number"]

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9,
              # the financial numerals (大写数字) a price can be written in to slip past a check: 壹元
              "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "拾": 10, "佰": 100, "仟": 1000}
_ZH_BIG = {"万": 10_000, "亿": 100_000_000}
_ZH_CHARS = "".join(_ZH_DIGITS) + "".join(_ZH_UNITS) + "".join(_ZH_BIG)

# Words built from numeral characters that are not quantities (十分好 = "very good", 千万别 = "never").
_ZH_IDIOMS = re.compile(
    r"收拾|拾起|陆续|大陆|着陆|登陆|陆地|"
    r"十分|十足|万一|万分|万能|万全|千万(?=别|不|要|记|注意)|百搭|百变|一一|千真万确|三思|一五一十|五颜六色|四面八方|"
    r"乱七八糟|七七八八|一模一样|一心一意|一成不变|九牛一毛|独一无二|数一数二|万无一失|一劳永逸|"
    # Ordinals that count the talk itself (第二点, 第三款), not the goods.
    r"第[一二三四五六七八九十\d]+(?=点|个|步|款|位|次|轮|遍|句)")

_NUMBER = re.compile(
    r"(?P<yuan>(?P<y_int>\d+|[" + _ZH_CHARS + r"]+)[块元](?P<y_jiao>[一二三四五六七八九\d])(?![\d" + _ZH_CHARS + r"]))"
    r"|(?P<arabic>(?<![\d.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d]))(?P<big>\s?[万亿])?(?P<pct>\s?%)?"
    r"|(?P<zh>[" + _ZH_CHARS + r"]+(?:点[零〇一二三四五六七八九]+)?)")

_EN_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_EN_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_EN_WORD = r"(?:" + "|".join(list(_EN_SMALL) + list(_EN_TENS) + list(_EN_SCALES) + ["dozen"]) + r")"
_EN_NUMBER = re.compile(r"\b" + _EN_WORD + r"(?:(?:[-\s]+|\s+and\s+)" + _EN_WORD + r")*\b", re.IGNORECASE)

@dataclass(frozen=True, slots=True)
class NumberMention:
    """A number as written in a sentence, with its value and where it is."""

    text: str
    value: float
    start: int
    end: int


def parse_zh_number(s: str) -> float | None:
    """Value of a Chinese numeral: 九十九 -> 99, 一千二 -> 1200, 两万五 -> 25000, 十二点五 -> 12.5, 二零二四 -> 2024."""
    int_part, _, frac = s.partition("点")
    if not int_part or any(c not in _ZH_CHARS for c in int_part) or any(c not in _ZH_DIGITS for c in frac):
        return None
    if all(c in _ZH_DIGITS for c in int_part):
        value = float("".join(str(_ZH_DIGITS[c]) for c in int_part))  # digit by digit: 二零二四
    else:
        total = section = number = 0
        last_unit = 1
        after_zero = False
        seen_digit = False
        for c in int_part:
            if c in _ZH_DIGITS:
                number = _ZH_DIGITS[c]
                after_zero = after_zero or number == 0
                seen_digit = True
            elif c in _ZH_UNITS:
                section += (number or 1) * _ZH_UNITS[c]
                last_unit, number, after_zero = _ZH_UNITS[c], 0, False
            else:
                if not seen_digit and section == 0 and total == 0:
                    return None  # a bare 万 or 亿 is a word (万事), not a number
                total += (section + number) * _ZH_BIG[c]
                last_unit, section, number, after_zero = _ZH_BIG[c], 0, 0, False
        if number and last_unit >= 100 and not after_zero:
            number *= last_unit // 10  # spoken shorthand: 一千二 = 1200, 一百五 = 150
        value = float(total + section + number)
    if frac:
        value += float("0." + "".join(str(_ZH_DIGITS[c]) for c in frac))
    return value


def _parse_en_number(words: str) -> float | None:
    total = current = 0
    for w in re.split(r"[-\s]+", words.lower()):
        if w == "and":
            continue
        if w in _EN_SMALL:
            current += _EN_SMALL[w]
        elif w in _EN_TENS:
            current += _EN_TENS[w]
        elif w == "dozen":
            current = (current or 1) * 12
        elif w == "hundred":
            current = (current or 1) * 100
        else:
            total += (current or 1) * _EN_SCALES[w]
            current = 0
    return float(total + current)


def numbers_in(text: str) -> list[NumberMention]:
    """Every number written in ``text``, Arabic, Chinese or English words, in reading order."""
    idioms = [m.span() for m in _ZH_IDIOMS.finditer(text)]
    out: list[NumberMention] = []
    for m in _NUMBER.finditer(text):
        start, end = m.span()
        if any(a < end and start < b for a, b in idioms):
            continue
        value: float | None
        if m.group("yuan"):
            whole = m.group("y_int")
            base = float(whole) if whole.isdigit() else parse_zh_number(whole)
            jiao = m.group("y_jiao")
            value = None if base is None else base + (int(jiao) if jiao.isdigit() else _ZH_DIGITS[jiao]) / 10
        elif m.group("arabic"):
            value = float(m.group("arabic").replace(",", ""))
            if m.group("big"):
                value *= _ZH_BIG[m.group("big").strip()]
        else:
            value = parse_zh_number(m.group("zh"))
        if value is not None:
            out.append(NumberMention(m.group(0).strip(), round(value, 2), start, end))
    for m in _EN_NUMBER.finditer(text):
        value = _parse_en_number(m.group(0))
        if value is not None:
            out.append(NumberMention(m.group(0), round(value, 2), *m.span()))
    return sorted(out, key=lambda n: n.start)
