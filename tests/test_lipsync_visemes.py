"""From engine timings to mouth shapes: IPA, espeak-ng mnemonics, pinyin and words map to the right visemes."""

from __future__ import annotations

import numpy as np
import pytest

from streamer.avatar.lipsync import LipTrack
from streamer.avatar.visemes import phone_visemes, pinyin_visemes, segments, word_visemes
from streamer.tts.base import SAMPLE_RATE, Mark


@pytest.mark.parametrize("symbol, expected", [
    ("p", ["mbp"]), ("m", ["mbp"]), ("f", ["fv"]), ("v", ["fv"]), ("θ", ["th"]), ("ʃ", ["ch"]), ("tʃ", ["ch"]),
    ("ɑː", ["aa"]), ("ˈæ", ["aa"]), ("iː", ["i"]), ("uː", ["u"]), ("oʊ", ["o", "u"]), ("aɪ", ["aa", "i"]),
    ("ə", ["schwa"]), ("w", ["w"]),
])
def test_ipa_symbols_map_to_visemes(symbol: str, expected: list[str]) -> None:
    assert phone_visemes(symbol) == expected


@pytest.mark.parametrize("symbol, expected", [
    ("@", ["schwa"]), ("3:", ["schwa"]), ("tS", ["ch"]), ("dZ", ["ch"]), ("T", ["th"]), ("D", ["th"]),
    ("N", ["kk"]), ("I", ["i"]), ("U", ["u"]), ("V", ["aa"]), ("O:", ["o"]),
])
def test_espeak_mnemonics_map_to_visemes(symbol: str, expected: list[str]) -> None:
    assert phone_visemes(symbol) == expected


@pytest.mark.parametrize("syllable, expected", [
    ("ma1", ["mbp", "aa"]), ("hao3", ["kk", "aa", "u"]), ("zhong1", ["ch", "o", "u"]), ("fei4", ["fv", "e", "i"]),
    ("xue2", ["i", "u", "e"]), ("wu3", ["w", "u"]), ("er2", ["schwa", "rr"]), ("bing", ["mbp", "i", "kk"]),
])
def test_pinyin_syllables_split_into_initial_and_final(syllable: str, expected: list[str]) -> None:
    assert pinyin_visemes(syllable) == expected


def test_non_pinyin_strings_are_not_taken_for_pinyin() -> None:
    assert pinyin_visemes("tS") is None
    assert pinyin_visemes("hello") is None


def test_english_words_give_lip_closures_where_the_spelling_has_them() -> None:
    assert "mbp" in word_visemes("bottle") and "fv" in word_visemes("five") and "th" in word_visemes("think")


def test_chinese_word_marks_are_read_through_pinyin() -> None:
    pytest.importorskip("pypinyin")
    assert word_visemes("保温杯")[:2] == ["mbp", "aa"]


def test_a_pinyin_syllable_gives_its_initial_a_short_slice_of_time() -> None:
    segs = segments([Mark(0.0, 0.3, "ma1")])
    assert [s.viseme for s in segs] == ["mbp", "aa"]
    assert 0.04 <= segs[0].end_s <= 0.12


def test_silence_marks_become_rest() -> None:
    assert [s.viseme for s in segments([Mark(0.0, 0.2, "_"), Mark(0.2, 0.3, "a")])] == ["sil", "aa"]


def test_rounded_vowel_puckers_and_spread_vowel_widens() -> None:
    pcm = np.full(SAMPLE_RATE, 0.2, np.float32)
    track = LipTrack(pcm, (Mark(0.0, 0.5, "u"), Mark(0.5, 1.0, "i")))
    u, i = track.at(0.25), track.at(0.75)
    assert u[2] > 0.8 and i[2] < 0.1
    assert i[1] > u[1]


def test_coarticulation_blends_neighbours_instead_of_jumping() -> None:
    pcm = np.full(SAMPLE_RATE, 0.2, np.float32)
    track = LipTrack(pcm, (Mark(0.0, 0.5, "a"), Mark(0.5, 1.0, "u")))
    opens = [track.at(t)[0] for t in np.arange(0.40, 0.60, 0.01)]
    assert max(np.abs(np.diff(opens))) < 0.3, "the mouth snaps between shapes"


def test_no_marks_means_bright_sound_widens_and_dark_sound_rounds() -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    dark = 0.3 * np.sin(2 * np.pi * 250 * t)
    bright = 0.3 * np.sin(2 * np.pi * 3000 * t)
    track = LipTrack(np.concatenate([dark, bright]).astype(np.float32))
    assert track.at(0.5)[2] > 0.5 and track.at(1.5)[2] < 0.1
    assert track.at(1.5)[1] > track.at(0.5)[1]
