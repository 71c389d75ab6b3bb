"""espeak-ng, real binary: Mandarin and English audio with estimated phoneme marks."""

from __future__ import annotations

import numpy as np
import pytest
from tts_helpers import assert_marks_sane, collect, rms

from streamer.errors import ConfigError
from streamer.tts import espeak, timing, zh_text
from streamer.tts.base import SAMPLE_RATE


async def test_speaks_mandarin_with_pinyin_marks() -> None:
    tts = espeak.TTS("cmn")
    pcm, marks, _ = await collect(tts, "你好，欢迎来到直播间。")
    duration = pcm.size / SAMPLE_RATE
    assert 1.0 < duration < 5.0
    assert rms(pcm) > 0.02
    assert_marks_sane(marks, duration)
    assert [m.symbol for m in marks] == ["ni3", "hao3", "huan1", "ying2", "lai2", "dao4", "zhi2", "bo1", "jian1"]
    # the comma is a pause: the third syllable starts after a gap, as espeak spoke it
    assert marks[2].start_s - marks[1].end_s > 0.05


async def test_speaks_english_with_ipa_marks() -> None:
    pcm, marks, _ = await collect(espeak.TTS("en-us"), "Hello, welcome to the stream.")
    duration = pcm.size / SAMPLE_RATE
    assert 1.0 < duration < 4.0
    assert rms(pcm) > 0.02
    assert_marks_sane(marks, duration)
    assert "ð" in {m.symbol for m in marks}  # "the"


async def test_numbers_are_read_and_counted_as_characters() -> None:
    _, marks, _ = await collect(espeak.TTS("zh"), "只要99元")
    assert [m.symbol for m in marks] == ["zhi3", "yao4", "jiu3", "shi2", "jiu3", "yuan2"]


def test_number_spelling() -> None:
    assert zh_text.spoken_zh("12小时，500ml，1005元，50%，2024年，12.5") == \
        "十二小时，五百毫升，一千零五元，百分之五十，二零二四年，十二点五"


def test_spread_puts_one_clause_on_each_voiced_span() -> None:
    rate = 1000
    pcm = np.zeros(3000, np.float32)
    pcm[100:900] = 0.5  # clause one
    pcm[1500:2900] = 0.5  # clause two, after a 0.6 s pause
    segments = timing.voiced_segments(pcm, rate)
    marks = timing.spread([[timing.Unit("a")], [timing.Unit("b"), timing.Unit("c")]], segments)
    assert [(m.symbol, m.start_s, m.end_s) for m in marks] == [("a", 0.1, 0.9), ("b", 1.5, 2.2), ("c", 2.2, 2.9)]


def test_unknown_voice_is_a_config_error_listing_what_is_valid() -> None:
    with pytest.raises(ConfigError, match="en-us"):
        espeak.TTS("xx-nope")


def _child_espeaks() -> int:
    """espeak-ng processes that this test process started (other workers' processes do not count)."""
    import os
    from pathlib import Path

    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            name, ppid = fields[0].split("(", 1)[1], int(fields[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        count += name == "espeak-ng" and ppid == os.getpid()
    return count


async def test_an_interrupt_kills_the_running_espeak_process() -> None:
    import asyncio

    async def speak() -> None:
        async for _ in espeak.TTS("en-us").synthesize("word " * 3000):  # one long sentence: seconds of work
            pass

    task = asyncio.create_task(speak())
    for _ in range(100):
        await asyncio.sleep(0.01)
        if _child_espeaks():
            break
    assert _child_espeaks() == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _child_espeaks() == 0
