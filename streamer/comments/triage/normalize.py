"""Text normalisation for triage: one canonical form for matching, one skeleton for duplicates and evasion.

``normalize`` folds width and case (NFKC: ｖｘ -> vx, ① -> 1), shortens runs of one character (哈哈哈哈哈 -> 哈哈哈,
!!!!! -> !!!) and collapses spaces. ``skeleton`` also drops everything that is not a letter or digit, which both
groups near-duplicates (多少钱？？ = 多少钱) and undoes spacing tricks (加 v . 信). ``syllables`` spells Chinese
characters in toneless pinyin so homophone spellings (沙比, 威信) match the words they stand for.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["fold", "has_han", "normalize", "skeleton", "syllables"]

_REPEAT = re.compile(r"(.)\1{3,}")
_SPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_UNITS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[a-z]+|\d+")
# Look-alikes people use to slip past word lists: ❤ for 信 (V❤), circled and enclosed letters fold under NFKC.
_LOOKALIKES = str.maketrans({"❤": "信", "♥": "信", "➕": "+", "＋": "+", "丶": ".", "。": "."})


def fold(text: str) -> str:
    """NFKC, look-alikes and case folded, nothing removed: for patterns that need every character (phone numbers)."""
    return unicodedata.normalize("NFKC", text).translate(_LOOKALIKES).lower()


@lru_cache(maxsize=1024)
def normalize(text: str) -> str:
    """The canonical form used for all matching: `fold`, short repeats, single spaces."""
    return _SPACE.sub(" ", _REPEAT.sub(r"\1\1\1", fold(text))).strip()


def skeleton(text: str) -> str:
    """Only the letters and digits of ``normalize(text)``, with repeats cut to one (多少钱？？ and 多少钱钱 agree)."""
    return re.sub(r"(.)\1+", r"\1", _NOT_WORD.sub("", normalize(text)))


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


@lru_cache(maxsize=8192)
def _spell(char: str) -> str:
    """Toneless pinyin of one character (its most common reading: homophone matching does not need context)."""
    from pypinyin import lazy_pinyin  # imported on first use: loading its dictionary takes half a second

    return lazy_pinyin(char)[0]


@lru_cache(maxsize=1024)
def syllables(text: str) -> tuple[str, ...]:
    """Units to match sound-alike words on: one toneless pinyin syllable per Chinese character, each Latin word
    and each digit run as one unit, punctuation and spaces dropped. ``沙比 ok`` -> ("sha", "bi", "ok")."""
    return tuple(_spell(u) if _HAN.match(u) else u for u in _UNITS.findall(normalize(text)))
