"""Loudness for streaming: every engine's utterances come out near -16 LUFS with true peaks at or under -1 dBTP.

Measured independently of streamer.tts.loudness: integrated loudness with pyloudnorm (dev extra), true peak with
FFmpeg's ebur128 filter (through PyAV).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import av
import numpy as np
import pyloudnorm
import pytest
from tts_helpers import collect

from streamer.tts import espeak, piper
from streamer.tts.base import SAMPLE_RATE, TTS, SpeechChunk
from streamer.tts.fallback import FallbackTTS
from streamer.tts.loudness import LoudnessMeter, TruePeakLimiter

TARGET_LUFS = -16.0
TOLERANCE_LU = 1.5
MAX_TRUE_PEAK_DBTP = -1.0

SENTENCES = {
    "zh": ["欢迎来到直播间，今天给大家带来一款超好用的保温杯！", "这款杯子采用316不锈钢，保温12个小时。",
           "现在下单只要99元，还送2个杯套！"],
    "en": ["Welcome to the stream, today we have a great travel mug for you!",
           "It keeps drinks hot for 12 hours, and it is only $29.99 today.", "Stock is running low, so grab yours now."],
}


def integrated_lufs(pcm: np.ndarray) -> float:
    return float(pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(pcm.astype(np.float64)))


def true_peak_dbtp(pcm: np.ndarray) -> float:
    """FFmpeg's ebur128 true peak (4x oversampled at 48 kHz), the largest over the clip."""
    graph = av.filter.Graph()
    src = graph.add_abuffer(format="flt", sample_rate=SAMPLE_RATE, layout="mono")
    meter = graph.add("ebur128", "metadata=1:peak=true")
    src.link_to(meter)
    meter.link_to(graph.add("abuffersink"))
    graph.configure()
    peaks = []
    for i in range(0, pcm.size + 1, 4800):
        if i < pcm.size:
            frame = av.AudioFrame.from_ndarray(pcm[None, i : i + 4800].astype(np.float32), format="flt", layout="mono")
            frame.sample_rate, frame.pts = SAMPLE_RATE, i
            graph.push(frame)
        else:
            graph.push(None)
        while True:
            try:
                out = graph.pull()
            except (av.BlockingIOError, av.EOFError):
                break
            if "lavfi.r128.true_peak" in out.metadata:
                peaks.append(float(out.metadata["lavfi.r128.true_peak"]))
    return 20 * float(np.log10(max(peaks)))


class Scaled(TTS):
    """A real engine's audio made quieter or louder (voices differ by this much): each sentence in one piece, as
    piper and espeak-ng hand it over, or streamed in pieces of ``piece_s``, as edge and openai servers do."""

    def __init__(self, engine: TTS, gain_db: float, piece_s: float | None = None) -> None:
        self.engine, self.gain, self.piece_s = engine, 10 ** (gain_db / 20), piece_s
        self.engine.loudness_lufs = None  # its own level, so that this one's gain is what the test sets
        self.name = f"scaled({engine.name}, {gain_db:+.0f} dB)"

    async def _synthesize(self, text: str) -> AsyncIterator[SpeechChunk]:
        pcm, marks, _ = await collect(self.engine, text)
        step = int(self.piece_s * SAMPLE_RATE) if self.piece_s else pcm.size
        for i in range(0, pcm.size, step):
            yield SpeechChunk(pcm[i : i + step] * self.gain, SAMPLE_RATE, marks if i == 0 else [])


@pytest.fixture(scope="module")
def voices() -> dict[str, TTS]:
    return {"espeak zh": espeak.TTS("zh"), "espeak en": espeak.TTS("en-us"), "piper en": piper.TTS()}


@pytest.mark.parametrize("voice", ["espeak zh", "espeak en", "piper en"])
async def test_every_utterance_is_near_minus_16_lufs(voices: dict[str, TTS], voice: str) -> None:
    for text in SENTENCES[voice[-2:]]:
        pcm, _, _ = await collect(voices[voice], text)
        assert abs(integrated_lufs(pcm) - TARGET_LUFS) <= TOLERANCE_LU, text


@pytest.mark.parametrize("voice", ["espeak zh", "espeak en", "piper en"])
async def test_no_utterance_peaks_above_minus_1_dbtp(voices: dict[str, TTS], voice: str) -> None:
    for text in SENTENCES[voice[-2:]]:
        pcm, _, _ = await collect(voices[voice], text)
        assert true_peak_dbtp(pcm) <= MAX_TRUE_PEAK_DBTP, text


async def test_a_quiet_and_a_loud_engine_come_out_equally_loud() -> None:
    text = SENTENCES["zh"][0]
    quiet, _, _ = await collect(Scaled(espeak.TTS("zh"), -15.0), text)
    loud, _, _ = await collect(Scaled(espeak.TTS("zh"), +9.0), text)  # clips far above full scale
    assert abs(integrated_lufs(quiet) - integrated_lufs(loud)) <= 0.5
    assert true_peak_dbtp(loud) <= MAX_TRUE_PEAK_DBTP


async def test_a_streaming_engine_is_levelled_from_its_first_utterance_on() -> None:
    tts = Scaled(piper.TTS(), -12.0, piece_s=0.02)  # 20 ms pieces, as edge and openai servers send
    for text in SENTENCES["en"]:
        pcm, _, _ = await collect(tts, text)
        assert abs(integrated_lufs(pcm) - TARGET_LUFS) <= TOLERANCE_LU, text
        assert true_peak_dbtp(pcm) <= MAX_TRUE_PEAK_DBTP, text


async def test_levelling_keeps_the_length_and_the_marks_in_their_chunks() -> None:
    text = SENTENCES["en"][1]
    plain, plain_marks, _ = await collect(Scaled(espeak.TTS("en-us"), 0.0), text)
    pcm, marks, chunks = await collect(Scaled(espeak.TTS("en-us"), 0.0, piece_s=0.05), text)
    assert pcm.size == plain.size and marks == plain_marks
    t = 0.0
    for c in chunks:
        end = t + c.pcm.size / SAMPLE_RATE
        assert all(t - 1e-3 <= m.start_s < end + 1e-3 for m in c.marks)
        t = end


async def test_the_fallback_chain_does_not_level_twice() -> None:
    alone, _, _ = await collect(espeak.TTS("zh"), SENTENCES["zh"][1])
    chained, _, _ = await collect(FallbackTTS([espeak.TTS("zh")]), SENTENCES["zh"][1])
    assert np.array_equal(alone, chained)


class Hiss(TTS):
    """Background noise far below the -70 LUFS absolute gate: nothing there to bring up to speech level."""

    name = "hiss"

    async def _synthesize(self, text: str) -> AsyncIterator[SpeechChunk]:
        rng = np.random.default_rng(0)
        yield SpeechChunk((rng.standard_normal(SAMPLE_RATE) * 1e-4).astype(np.float32), SAMPLE_RATE)


async def test_audio_with_nothing_to_measure_keeps_its_level() -> None:
    pcm, _, _ = await collect(Hiss(), "hi")
    source = [c async for c in Hiss()._synthesize("hi")][0].pcm
    np.testing.assert_allclose(pcm, source, atol=1e-7)


def test_the_meter_agrees_with_pyloudnorm_on_speech_fed_in_pieces() -> None:
    rng = np.random.default_rng(7)
    bursts = np.repeat(rng.uniform(0.0, 0.3, 30), SAMPLE_RATE // 10)  # syllable-like loudness changes, pauses
    pcm = (rng.standard_normal(bursts.size) * bursts).astype(np.float32)
    meter = LoudnessMeter()
    for i in range(0, pcm.size, 777):
        meter.push(pcm[i : i + 777])
    measured = meter.integrated_lufs()
    assert measured is not None and abs(measured - integrated_lufs(pcm)) <= 0.2


def test_the_limiter_gives_the_same_samples_whatever_the_pieces() -> None:
    rng = np.random.default_rng(3)
    pcm = (rng.standard_normal(SAMPLE_RATE) * 0.5).astype(np.float32)
    whole = TruePeakLimiter()
    expected = np.concatenate([whole.push(pcm), whole.flush()])
    pieces = TruePeakLimiter()
    cuts = np.cumsum(rng.integers(1, 3000, 60))
    got = np.concatenate([pieces.push(p) for p in np.split(pcm, cuts[cuts < pcm.size])] + [pieces.flush()])
    assert got.size == pcm.size
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_the_limiter_leaves_audio_under_the_ceiling_untouched() -> None:
    pcm = (0.3 * np.sin(2 * np.pi * 440 * np.arange(SAMPLE_RATE) / SAMPLE_RATE)).astype(np.float32)
    limiter = TruePeakLimiter()
    out = np.concatenate([limiter.push(pcm), limiter.flush()])
    np.testing.assert_array_equal(out, pcm)
