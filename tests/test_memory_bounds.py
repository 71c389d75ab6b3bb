"""What a 24/7 stream keeps grows to a bound and stops: the reply audio cache, the avatar's blink memory
and the sentences the planner left out."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from streamer.avatar import Blinker
from streamer.brief import load_brief
from streamer.planner import TemplatePlanner
from streamer.speech.audio_cache import AudioCache, Voiced
from streamer.tts.base import SAMPLE_RATE

FPS = 30
MB = 1_000_000
BRIEF_ZH = Path(__file__).resolve().parents[1] / "assets" / "briefs" / "demo_zh.yaml"


def test_the_reply_audio_cache_holds_at_most_six_megabytes_of_audio_whatever_the_room_asks() -> None:
    cache = AudioCache()
    for n in range(500):  # five hundred different answers of four seconds each: over half an hour of audio
        cache.put("espeak:cmn", f"answer {n}", Voiced(np.zeros(4 * SAMPLE_RATE, np.float32), (), ()))
    assert cache.samples * np.dtype(np.float32).itemsize <= 6 * MB


def test_the_reply_audio_cache_still_keeps_the_last_few_answers() -> None:
    cache = AudioCache()
    for n in range(100):
        cache.put("espeak:cmn", f"answer {n}", Voiced(np.zeros(4 * SAMPLE_RATE, np.float32), (), ()))
    assert all(cache.get("espeak:cmn", f"answer {n}") is not None for n in range(95, 100))


def test_an_hour_of_frames_leaves_the_blinker_remembering_only_minutes_of_blinks() -> None:
    blinker = Blinker((1.8, 6.0), seed=1)
    for k in range(3600 * FPS):
        blinker.eyes(k / FPS)
    assert len(blinker._starts) <= 240 / 1.8 * 1.2  # four minutes of blinks at most, double blinks included


def test_recent_frames_blink_the_same_after_an_hour_as_in_a_fresh_blinker() -> None:
    long_run, fresh = Blinker((1.8, 6.0), seed=4), Blinker((1.8, 6.0), seed=4)
    for k in range(3600 * FPS):
        long_run.eyes(k / FPS)
    last_minute = [k / FPS for k in range(3540 * FPS, 3600 * FPS)]
    assert [long_run.eyes(t) for t in last_minute] == [fresh.eyes(t) for t in last_minute]


def test_a_planner_leaving_out_thousands_of_sentences_counts_them_all_and_keeps_only_the_last_few() -> None:
    planner = TemplatePlanner(load_brief(BRIEF_ZH), seed=0)
    product = planner.products[0]
    for n in range(2000):
        planner._passes(product, f"今天只要{n + 1}元，最便宜的一次！")  # a price the brief does not back
    assert planner.rejected_count == 2000
    assert len(planner.rejected) <= 50 and planner.rejected[-1] == "今天只要2000元，最便宜的一次！"
