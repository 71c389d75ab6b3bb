"""Chinese text for the espeak-ng engine: numbers spelled out, clauses, and pinyin syllables as timing units.

Numbers are written out in characters before synthesis (99 -> 九十九, 50% -> 百分之五十, 2024年 -> 二零二四年) so
that what espeak-ng speaks and what we count as syllables is the same text: one syllable per character.
"""

from __future__ import annotations

import re

from streamer.tts.timing import Unit

_DIGITS = "零一二三四五六七八九"
_SMALL_UNITS = ["", "十", "百", "千"]
_BIG_UNITS = ["", "万", "亿", "万亿"]
_CLAUSE_END = re.compile(r"[，。！？；：、,.!?;:\n]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_TOKEN = re.compile(r"[\u3400-\u9fff]+|[A-Za-z]+")
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)(%|％)?(年)?")


def _four(n: int) -> str:
    """0 < n < 10000 in characters, with 零 for inner gaps (1005 -> 一千零五)."""
    out, zero = "", False
    for pos in range(3, -1, -1):
        d = n // 10**pos % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + _SMALL_UNITS[pos]
    return out


def integer_zh(n: int) -> str:
    """An integer read as a quantity: 12 -> 十二, 500 -> 五百, 10086 -> 一万零八十六."""
    if n == 0:
        return "零"
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out, need_zero = "", False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or g < 1000):
            out += "零"
        out += _four(g) + _BIG_UNITS[i]
        need_zero = False
    return out[1:] if out.startswith("一十") else out  # 十二, not 一十二


def numbers_to_zh(text: str) -> str:
    """Spell out Arabic numerals the way a host would read them."""

    def repl(m: re.Match[str]) -> str:
        num, percent, year = m.group(1), m.group(2), m.group(3)
        if year and "." not in num:  # years are read digit by digit
            return "".join(_DIGITS[int(d)] for d in num) + "年"
        whole, _, frac = num.partition(".")
        if len(whole) > 12 or (len(whole) > 1 and whole.startswith("0")):  # codes, phone numbers
            spoken = "".join(_DIGITS[int(d)] for d in whole)
        else:
            spoken = integer_zh(int(whole))
        if frac:
            spoken += "点" + "".join(_DIGITS[int(d)] for d in frac)
        return ("百分之" + spoken if percent else spoken) + (year or "")

    return _NUMBER.sub(repl, text)


def clauses(text: str) -> list[str]:
    """Split where espeak-ng pauses (commas, full stops and the like)."""
    return [c for c in (s.strip() for s in _CLAUSE_END.split(text)) if c]


def pinyin_units(clause: str) -> list[Unit]:
    """One unit per syllable: pinyin with tone number for each character ('ni3'), and one unit per Latin word
    (its lower-case spelling, weighted by its vowel groups) for English mixed into Chinese."""
    from pypinyin import Style, lazy_pinyin

    units: list[Unit] = []
    for tok in _TOKEN.findall(clause):
        if _HAN.match(tok):  # a whole run at once, so pypinyin sees words and picks the right reading (长大/长度)
            units += [Unit(p) for p in lazy_pinyin(tok, style=Style.TONE3, neutral_tone_with_five=True)]
        else:
            syllables = len(re.findall(r"[aeiouy]+", tok.lower())) or len(tok)
            units.append(Unit(tok.lower(), float(syllables)))
    return units
