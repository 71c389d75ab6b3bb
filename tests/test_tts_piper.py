"""Piper with the bundled English voice: real synthesis, phoneme marks from the model's alignments."""

from __future__ import annotations

import pytest
from tts_helpers import assert_marks_sane, collect, rms

from streamer.errors import ConfigError
from streamer.tts import piper
from streamer.tts.base import SAMPLE_RATE


@pytest.fixture(scope="module")
def voice() -> piper.TTS:
    return piper.TTS()  # the loaded model is cached per process, so the tests pay for it once


async def test_speaks_english_with_ipa_phoneme_marks(voice: piper.TTS) -> None:
    pcm, marks, _ = await collect(voice, "Hello, welcome to the stream.")
    duration = pcm.size / SAMPLE_RATE
    assert 1.0 < duration < 4.0
    assert rms(pcm) > 0.05
    assert_marks_sane(marks, duration)
    assert all(m.kind == "phoneme" for m in marks)
    assert [m.symbol for m in marks[:3]] == ["h", "ə", "l"]  # "hello" in IPA, stress marks dropped
    assert marks[-1].end_s > duration * 0.7  # the marks cover the speech, not just its start


async def test_streams_sentence_by_sentence_with_utterance_time_marks(voice: piper.TTS) -> None:
    text = "This cup keeps tea hot. It costs ninety nine yuan!"
    native = [c async for c in voice._synthesize(text)]
    assert len(native) == 2  # one model run per sentence: the first can play while the second computes
    first_s = native[0].pcm.size / native[0].sample_rate
    assert native[1].marks[0].start_s >= first_s  # the second sentence's marks continue the utterance clock
    pcm, marks, _ = await collect(voice, text)
    assert_marks_sane(marks, pcm.size / SAMPLE_RATE)


def test_unknown_voice_is_a_config_error_listing_what_is_valid() -> None:
    with pytest.raises(ConfigError, match="'joe'"):
        piper.TTS("missing.onnx")
