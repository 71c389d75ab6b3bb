"""Text normalisation for triage: one canonical form for matching, one skeleton for duplicates and evasion.

``normalize`` folds width and case (NFKC: ｖｘ -> vx, ① -> 1), shortens runs of one character (哈哈哈哈哈 -> 哈哈哈,
!!!!! -> !!!) and collapses spaces. ``skeleton`` also drops everything that is not a letter or digit, which both
groups near-duplicates (多少钱？？ = 多少钱) and undoes spacing tricks (加 v . 信). ``syllables`` spells Chinese
characters in toneless pinyin so homophone spellings (沙比, 威信) match the words they stand for. ``compact``
undoes the tricks that hide a link or an app name while keeping word edges: spelled-out letters (``w w w``,
``w-h-a-t-s``), written-out dots (``dot``, ``(dot)``, ``点``) and spaces around dots (``taobao . com``);
``unleet`` folds the digits and symbols used as letters (``wh4tsapp``, ``teIegram``) for app-name lists.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# at import: pypinyin's dictionary takes ~0.3 s to load, too long to hold the event loop on a first comment
from pypinyin import lazy_pinyin

__all__ = ["compact", "fold", "has_han", "normalize", "skeleton", "syllables", "unleet"]

_REPEAT = re.compile(r"(.)\1{3,}")
_SPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_UNITS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[a-z]+|\d+")
# Look-alikes people use to slip past word lists: ❤ for 信 (V❤), circled and enclosed letters fold under NFKC.
_LOOKALIKES = str.maketrans({"❤": "信", "♥": "信", "➕": "+", "＋": "+", "丶": ".", "。": "."})


_DOT_WORD = re.compile(r"\s*(?:[(\[{]\s*dot\s*[)\]}]|(?<![a-z])dot(?![a-z])|点(?=\s*[a-z0-9]))\s*")
_SPELLED = re.compile(r"(?<![a-z0-9])[a-z0-9](?:[\s.\-_*·•]+[a-z0-9]){2,}(?![a-z0-9])")
_SPELLED_GAP = re.compile(r"[\s.\-_*·•]+")
_SPACED_DOT = re.compile(r"(?<=[a-z0-9])\s*\.\s*(?=[a-z0-9])")
# Digits and symbols standing in for letters; i and l are one letter here because I and l look alike.
_LEET = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "$": "s", "@": "a", "|": "l", "!": "l",
                       "i": "l"})


def fold(text: str) -> str:
    """NFKC, look-alikes and case folded, nothing removed: for patterns that need every character (phone numbers)."""
    return unicodedata.normalize("NFKC", text).translate(_LOOKALIKES).lower()


@lru_cache(maxsize=1024)
def normalize(text: str) -> str:
    """The canonical form used for all matching: `fold`, short repeats, single spaces."""
    return _SPACE.sub(" ", _REPEAT.sub(r"\1\1\1", fold(text))).strip()


@lru_cache(maxsize=1024)
def compact(text: str) -> str:
    """``normalize(text)`` with spelled-out letters joined and written-out dots made dots:
    ``w w w dot shop dot c0m`` -> ``www.shop.c0m``, ``v x`` -> ``vx``, ``xx点com`` -> ``xx.com``."""
    out = _DOT_WORD.sub(".", normalize(text))
    out = _SPELLED.sub(lambda m: _SPELLED_GAP.sub("", m.group(0)), out)
    return _SPACED_DOT.sub(".", out)


def unleet(text: str) -> str:
    """``text`` (already lower-case) with look-alike digits and symbols read as letters: wh4tsapp -> whatsapp.
    Only for matching word lists that hold no digits; i is read as l (so ``telegram`` is listed as ``telegram``
    and ``instagram`` as ``lnstagram``)."""
    return text.translate(_LEET)


def skeleton(text: str) -> str:
    """Only the letters and digits of ``normalize(text)``, with repeats cut to one (多少钱？？ and 多少钱钱 agree)."""
    return re.sub(r"(.)\1+", r"\1", _NOT_WORD.sub("", normalize(text)))


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


@lru_cache(maxsize=8192)
def _spell(char: str) -> str:
    """Toneless pinyin of one character (its most common reading: homophone matching does not need context)."""
    return lazy_pinyin(char)[0]


@lru_cache(maxsize=1024)
def syllables(text: str) -> tuple[str, ...]:
    """Units to match sound-alike words on: one toneless pinyin syllable per Chinese character, each Latin word
    and each digit run as one unit, punctuation and spaces dropped. ``沙比 ok`` -> ("sha", "bi", "ok")."""
    return tuple(_spell(u) if _HAN.match(u) else u for u in _UNITS.findall(normalize(text)))
