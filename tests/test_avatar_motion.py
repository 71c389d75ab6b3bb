"""Idle life and gestures: random but reproducible blinks, never a frozen host, gestures that rise, hold and fall."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from streamer.avatar import Blinker, GesturePlayer
from streamer.avatar.pack import GestureSpec
from streamer.brief import load_brief
from streamer.scene import FrameState, SceneRenderer, Speaking
from streamer.tts.base import SAMPLE_RATE

FPS = 30


def blink_starts(b: Blinker, seconds: float) -> list[float]:
    starts, prev = [], "open"
    for k in range(int(seconds * FPS)):
        cur = b.eyes(k / FPS)
        if cur != "open" and prev == "open":
            starts.append(k / FPS)
        prev = cur
    return starts


def test_blinks_are_reproducible_for_a_seed_and_differ_between_seeds() -> None:
    assert blink_starts(Blinker((1.8, 6.0), 1), 60) == blink_starts(Blinker((1.8, 6.0), 1), 60)
    assert blink_starts(Blinker((1.8, 6.0), 1), 60) != blink_starts(Blinker((1.8, 6.0), 2), 60)


def test_blink_intervals_are_irregular_and_within_the_packs_range() -> None:
    starts = blink_starts(Blinker((1.8, 6.0), 3), 300)
    gaps = np.diff(starts)
    long_gaps = gaps[gaps > 0.5]  # double blinks come a fraction of a second apart
    assert long_gaps.min() >= 1.8 - 1 / FPS and long_gaps.max() <= 6.0 + 1 / FPS
    assert long_gaps.std() > 0.5, "blinks look mechanical"


def test_every_blink_shows_shut_eyes_on_at_least_one_frame() -> None:
    b = Blinker((1.8, 6.0), 4)
    states = [b.eyes(k / FPS) for k in range(60 * FPS)]
    runs = "".join("o" if s == "open" else ("c" if s == "closed" else "h") for s in states)
    blinks = [r for r in runs.split("o") if r]
    assert len(blinks) >= 8  # a blink every 1.8-6 s, for a minute
    assert all("c" in blink for blink in blinks), blinks


def test_gesture_rises_holds_for_the_sentence_and_falls_back_to_rest() -> None:
    spec = GestureSpec(frames=[{"file": f"{i}.png", "at": (0, 0)} for i in range(10)], rise_s=0.3, fall_s=0.3,
                       hold_max_s=3.0)
    g = GesturePlayer({"present": spec})
    g.cue("present", 1.0, 3.0)
    assert g.frame(0.9) is None
    assert g.frame(1.15)[1] in range(3, 7)
    assert g.frame(1.5) == ("present", 9) and g.frame(2.6) == ("present", 9)
    assert g.frame(2.85)[1] in range(3, 7)
    assert g.frame(3.05) is None


def test_unknown_gesture_cue_is_ignored() -> None:
    g = GesturePlayer({})
    g.cue("dance", 0.0, 2.0)
    assert g.frame(0.5) is None


@pytest.mark.slow
def test_ten_minutes_of_idle_never_hold_a_frame_for_three_seconds() -> None:
    brief = load_brief("assets/briefs/demo_en.yaml")
    r = SceneRenderer(brief, (320, 180), FPS)
    longest, run, prev = 0, 0, b""
    for k in range(10 * 60 * FPS):
        digest = hashlib.blake2b(r.render(FrameState(k, k / FPS, None, brief.products[0])).data,
                                 digest_size=16).digest()
        run = run + 1 if digest == prev else 1
        longest, prev = max(longest, run), digest
    assert longest < 3 * FPS, f"an identical frame was held for {longest / FPS:.1f} s"


def test_frames_after_speech_ends_return_to_idle_motion_not_a_freeze() -> None:
    brief = load_brief("assets/briefs/demo_en.yaml")
    r = SceneRenderer(brief, (320, 180), FPS)
    pcm = np.zeros(SAMPLE_RATE, np.float32)
    sp = Speaking("silence", 0.0, pcm, ())
    frames = [r.render(FrameState(k, k / FPS, sp if k < FPS else None, brief.products[0])) for k in range(4 * FPS)]
    assert len({f.tobytes() for f in frames[FPS:]}) > FPS


def test_a_new_cue_lowers_the_arm_then_plays_the_new_gesture() -> None:
    spec = GestureSpec(frames=[{"file": f"{i}.png", "at": (0, 0)} for i in range(10)], rise_s=0.3, fall_s=0.3,
                       hold_max_s=5.0)
    g = GesturePlayer({"present": spec, "point_cart": spec})
    g.cue("present", 0.0, 4.0)
    assert g.frame(1.0) == ("present", 9)
    g.cue("point_cart", 2.0, 6.0)
    assert g.frame(1.9) == ("present", 9)
    assert g.frame(2.15)[0] == "present" and g.frame(2.15)[1] < 9
    assert g.frame(2.31) is None
    assert g.frame(2.8) == ("point_cart", 9)
