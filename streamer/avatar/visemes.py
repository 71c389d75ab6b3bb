"""From TTS timings to mouth targets: IPA (piper), espeak-ng mnemonics, pinyin syllables and words -> viseme segments.

A viseme class is a point in mouth-parameter space (open, width, round, press, fv) plus how strongly it holds its
shape against its neighbours (dominance): lips must meet for M/B/P, while an /h/ or /k/ takes its shape from the
vowels around it. lipsync.py blends the segments with those dominances (coarticulation).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from pypinyin import Style, lazy_pinyin

from ..tts.base import Mark

PARAMS = ("open", "width", "round", "press", "fv")


@dataclass(frozen=True, slots=True)
class VisemeClass:
    target: tuple[float, float, float, float, float]  # open, width, round, press, fv
    dominance: float  # how much this shape wins over its neighbours
    spread_s: float  # how far (seconds) its influence reaches beyond its own interval


CLASSES: dict[str, VisemeClass] = {
    "sil": VisemeClass((0.0, 1.0, 0.0, 0.0, 0.0), 0.6, 0.06),
    "mbp": VisemeClass((0.0, 1.0, 0.0, 1.0, 0.0), 6.0, 0.03),
    "fv": VisemeClass((0.1, 1.0, 0.0, 0.0, 1.0), 4.0, 0.03),
    "th": VisemeClass((0.18, 1.0, 0.0, 0.0, 0.0), 1.2, 0.03),
    "dd": VisemeClass((0.2, 1.0, 0.0, 0.0, 0.0), 0.5, 0.04),
    "kk": VisemeClass((0.28, 1.0, 0.0, 0.0, 0.0), 0.3, 0.04),
    "ch": VisemeClass((0.2, 0.92, 0.4, 0.0, 0.0), 1.5, 0.03),
    "ss": VisemeClass((0.1, 1.12, 0.0, 0.0, 0.0), 1.2, 0.03),
    "rr": VisemeClass((0.2, 1.0, 0.55, 0.0, 0.0), 0.8, 0.04),
    "w": VisemeClass((0.1, 1.0, 1.0, 0.0, 0.0), 2.0, 0.04),
    "aa": VisemeClass((0.8, 1.0, 0.0, 0.0, 0.0), 1.0, 0.04),
    "e": VisemeClass((0.45, 1.1, 0.0, 0.0, 0.0), 1.0, 0.04),
    "i": VisemeClass((0.2, 1.15, 0.0, 0.0, 0.0), 1.0, 0.04),
    "o": VisemeClass((0.55, 1.0, 0.65, 0.0, 0.0), 1.0, 0.04),
    "u": VisemeClass((0.15, 1.0, 1.0, 0.0, 0.0), 1.2, 0.04),
    "schwa": VisemeClass((0.38, 1.0, 0.0, 0.0, 0.0), 0.7, 0.04),
}

# IPA and espeak-ng ASCII mnemonics (they agree on most letters), longest first when matching
_PHONE: dict[str, str] = {
    "tʃ": "ch", "dʒ": "ch", "ʧ": "ch", "ʤ": "ch", "tS": "ch", "dZ": "ch", "ts": "ss", "dz": "ss", "tɕ": "ch",
    "p": "mbp", "b": "mbp", "m": "mbp", "ɱ": "fv", "f": "fv", "v": "fv", "θ": "th", "ð": "th", "T": "th",
    "D": "th", "t": "dd", "d": "dd", "n": "dd", "l": "dd", "ɾ": "dd", "ɫ": "dd", "ɲ": "dd", "L": "dd",
    "k": "kk", "g": "kk", "ɡ": "kk", "ŋ": "kk", "N": "kk", "h": "kk", "x": "kk", "ɣ": "kk", "ʔ": "kk", "q": "kk",
    "ʃ": "ch", "ʒ": "ch", "S": "ch", "Z": "ch", "ʂ": "ch", "ʐ": "ch", "ɕ": "ss", "ʑ": "ss", "s": "ss",
    "z": "ss", "ɹ": "rr", "r": "rr", "ɻ": "rr", "R": "rr", "ʁ": "rr", "w": "w", "ʍ": "w", "ɥ": "w",
    "j": "i", "a": "aa", "ɑ": "aa", "æ": "aa", "ɐ": "aa", "ʌ": "aa", "A": "aa", "V": "aa", "ɛ": "e", "e": "e",
    "E": "e", "ɪ": "i", "i": "i", "y": "u", "ɨ": "i", "I": "i", "ɔ": "o", "o": "o", "ɒ": "o", "ø": "o",
    "œ": "o", "0": "o", "O": "o", "u": "u", "ʊ": "u", "ɯ": "u", "U": "u", "ə": "schwa", "ɜ": "schwa",
    "ɚ": "schwa", "ɝ": "schwa", "ɘ": "schwa", "ɤ": "schwa", "@": "schwa", "3": "schwa",
}
_PHONE_KEYS = sorted(_PHONE, key=len, reverse=True)
_SILENCE = {"", "_", " ", "|", "||", "sil", "sp", "pau", ".", ",", "!", "?", "^", "$", "#", "，", "。", "！", "？"}
_IGNORE = set("ˈˌːˑ'`,:;-=+~%^*/\\\"") | {"\u0303", "\u0329", "\u032f", "\u0361", "\u02d0"}

# pinyin: initials and finals as viseme sequences
_INITIALS = {
    "zh": ["ch"], "ch": ["ch"], "sh": ["ch"], "b": ["mbp"], "p": ["mbp"], "m": ["mbp"], "f": ["fv"],
    "d": ["dd"], "t": ["dd"], "n": ["dd"], "l": ["dd"], "g": ["kk"], "k": ["kk"], "h": ["kk"], "j": ["i"],
    "q": ["i"], "x": ["i"], "r": ["rr"], "z": ["ss"], "c": ["ss"], "s": ["ss"], "y": ["i"], "w": ["w"],
}
_FINALS = {
    "a": ["aa"], "o": ["o"], "e": ["schwa"], "ê": ["e"], "i": ["i"], "u": ["u"], "v": ["u"], "ü": ["u"],
    "er": ["schwa", "rr"], "ai": ["aa", "i"], "ei": ["e", "i"], "ao": ["aa", "u"], "ou": ["o", "u"],
    "an": ["aa", "dd"], "en": ["schwa", "dd"], "ang": ["aa", "kk"], "eng": ["schwa", "kk"], "ong": ["o", "u"],
    "ia": ["i", "aa"], "ie": ["i", "e"], "iao": ["i", "aa", "u"], "iu": ["i", "o", "u"], "iou": ["i", "o", "u"],
    "ian": ["i", "e", "dd"], "iang": ["i", "aa", "kk"], "in": ["i", "dd"], "ing": ["i", "kk"],
    "iong": ["i", "o", "u"], "ua": ["u", "aa"], "uo": ["u", "o"], "uai": ["u", "aa", "i"], "ui": ["u", "e", "i"],
    "uei": ["u", "e", "i"], "uan": ["u", "aa", "dd"], "uang": ["u", "aa", "kk"], "un": ["u", "schwa", "dd"],
    "uen": ["u", "schwa", "dd"], "ueng": ["u", "schwa", "kk"], "ve": ["u", "e"], "üe": ["u", "e"],
    "ue": ["u", "e"], "van": ["u", "e", "dd"], "üan": ["u", "e", "dd"], "vn": ["u", "i", "dd"],
    "ün": ["u", "i", "dd"], "n": ["dd"], "ng": ["kk"], "m": ["mbp"],
}
_PINYIN = re.compile(r"^(zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?([aeiouüvê][a-zü]*|ng|n|m)([1-5])?$")

# letters and digraphs for word timings without phonemes (edge-tts); rough, but the mouth only needs the gist
_GRAPHEMES = {
    "th": ["th"], "sh": ["ch"], "ch": ["ch"], "ph": ["fv"], "wh": ["w"], "ng": ["kk"], "ck": ["kk"], "oo": ["u"],
    "ee": ["i"], "ea": ["i"], "ai": ["e"], "ay": ["e"], "ou": ["aa", "u"], "ow": ["o", "u"], "oa": ["o"],
    "au": ["o"], "aw": ["o"], "oi": ["o", "i"], "oy": ["o", "i"], "igh": ["aa", "i"], "qu": ["kk", "w"],
    "a": ["aa"], "e": ["e"], "i": ["i"], "o": ["o"], "u": ["schwa"], "y": ["i"], "b": ["mbp"], "m": ["mbp"],
    "p": ["mbp"], "f": ["fv"], "v": ["fv"], "t": ["dd"], "d": ["dd"], "n": ["dd"], "l": ["dd"], "k": ["kk"],
    "c": ["kk"], "g": ["kk"], "q": ["kk"], "x": ["kk", "ss"], "h": [], "j": ["ch"], "s": ["ss"], "z": ["ss"],
    "r": ["rr"], "w": ["w"],
}
_GRAPHEME_KEYS = sorted(_GRAPHEMES, key=len, reverse=True)


@dataclass(frozen=True, slots=True)
class Segment:
    start_s: float
    end_s: float
    viseme: str


def pinyin_visemes(syllable: str) -> list[str] | None:
    """Viseme sequence of one pinyin syllable (tone digit optional), or None when it is not pinyin."""
    s = syllable.lower().replace("u:", "ü")
    m = _PINYIN.match(s)
    if not m:
        return None
    initial, final = m.group(1), m.group(2)
    if initial in ("j", "q", "x", "y") and final.startswith("u") and "ü" + final[1:] in _FINALS:
        final = "ü" + final[1:]  # ju, que, xuan: written u is ü after j, q, x and y
    if final not in _FINALS:
        return None
    return (_INITIALS[initial] if initial else []) + _FINALS[final]


def phone_visemes(symbol: str) -> list[str]:
    """Viseme sequence of one phoneme symbol (IPA or espeak-ng); diphthongs give two, unknown symbols none."""
    s = "".join(ch for ch in unicodedata.normalize("NFD", symbol) if ch not in _IGNORE)
    # trailing digits are tones (espeak's Chinese "i:55"); a lone 3 or 0 is espeak's schwa-r or open o
    stripped = s.rstrip("0123456789")
    s = stripped if stripped else s
    return [_PHONE[key] for key in _scan(s, _PHONE_KEYS)]


def word_visemes(word: str) -> list[str]:
    """Rough viseme sequence of a written word: pinyin for Chinese characters (when pypinyin is installed),
    letter rules for alphabetic words."""
    w = unicodedata.normalize("NFC", word).lower()
    if any("\u4e00" <= ch <= "\u9fff" for ch in w):
        return _hanzi_visemes(w)
    w = re.sub(r"e\b", "", w) if len(w) > 3 else w  # a silent final e
    return [v for key in _scan(w, _GRAPHEME_KEYS) for v in _GRAPHEMES[key]]


def _scan(text: str, keys: Sequence[str]) -> Iterator[str]:
    """The keys found left to right in ``text``, the first listed winning (keys are sorted longest first);
    characters no key starts with are skipped (tone letters, stray diacritics, silent letters)."""
    i = 0
    while i < len(text):
        key = next((k for k in keys if text.startswith(k, i)), None)
        if key is None:
            i += 1
        else:
            yield key
            i += len(key)


def _hanzi_visemes(text: str) -> list[str]:
    out: list[str] = []
    for syl in lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True):
        out.extend(pinyin_visemes(syl) or [])
    return out


def _spread(start: float, end: float, visemes: list[str], consonant_first: bool) -> list[Segment]:
    """Share [start, end) among visemes; in a syllable the initial consonant is short and the vowels take the rest."""
    if not visemes:
        return []
    dur = max(end - start, 1e-3)
    weights = np.ones(len(visemes))
    for k, v in enumerate(visemes):
        if CLASSES[v].target[0] < 0.25 and v not in ("i", "u", "w"):
            weights[k] = 0.6  # consonants are quicker than vowels
    if consonant_first and len(visemes) > 1 and weights[0] < 1:
        weights[0] = min(0.6, 0.09 / dur * weights[1:].sum() / 0.75)
    edges = start + dur * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    return [Segment(float(edges[k]), float(edges[k + 1]), v) for k, v in enumerate(visemes)]


def segments(marks: tuple[Mark, ...] | list[Mark]) -> list[Segment]:
    """Viseme segments from an engine's timings, in time order, with silence between marks that leave a gap."""
    out: list[Segment] = []
    for mk in sorted(marks, key=lambda m: m.start_s):
        sym = mk.symbol.strip()
        if sym in _SILENCE:
            out.append(Segment(mk.start_s, mk.end_s, "sil"))
            continue
        if mk.kind == "word":
            vis = word_visemes(sym)
            out.extend(_spread(mk.start_s, mk.end_s, vis, consonant_first=False))
            continue
        vis_p = pinyin_visemes(sym) if len(sym) > 1 or sym[-1:].isdigit() else None
        if vis_p is not None:
            out.extend(_spread(mk.start_s, mk.end_s, vis_p, consonant_first=True))
        else:
            out.extend(_spread(mk.start_s, mk.end_s, phone_visemes(sym), consonant_first=False))
    return out
