"""Playout: utterances start on frame boundaries, play sample-exactly, and record what was actually said."""

from __future__ import annotations

import numpy as np

from streamer.speech.playout import PAUSE_S, Played, Playout
from streamer.speech.utterance import Utterance


def _utt(n: int, text: str = "hello") -> Utterance:
    return Utterance(text, np.linspace(0.1, 0.9, n, dtype=np.float32), ())


def test_utterance_plays_every_sample_once_then_silence() -> None:
    played: list[Played] = []
    p = Playout(48_000, played.append)
    u = _utt(4000)
    p.begin(u, 1600)
    out = [p.take(1600 + i * 1600, 1600)[0] for i in range(3)]
    audio = np.concatenate(out)
    assert np.array_equal(audio[:4000], u.pcm)
    assert not audio[4000:].any()
    assert played and played[0].complete and played[0].start_sample == 1600


def test_speaking_state_carries_the_start_time_on_the_session_clock() -> None:
    p = Playout(48_000)
    p.begin(_utt(4000, "price"), 48_000)
    _, speaking = p.take(48_000, 1600)
    assert speaking is not None and speaking.start_s == 1.0 and speaking.text == "price"


def test_a_breath_of_silence_separates_sentences() -> None:
    p = Playout(48_000)
    p.begin(_utt(1600), 0)
    p.take(0, 1600)
    assert not p.can_start(1600)
    assert p.can_start(1600 + int(PAUSE_S * 48_000))


def test_interrupt_records_only_what_was_played() -> None:
    played: list[Played] = []
    p = Playout(48_000, played.append)
    p.begin(_utt(48_000), 0)
    p.take(0, 1600)
    p.take(1600, 1600)
    p.interrupt(3200)
    assert played[0].samples_played == 3200 and not played[0].complete
    assert p.take(3200, 1600)[1] is None
