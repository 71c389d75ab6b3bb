"""The base class contract: session rate, short chunks, marks kept in utterance time, errors and retries."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import av
import numpy as np
import pytest
from tts_helpers import collect, rms

from streamer.errors import EngineError
from streamer.tts.base import CHUNK_MAX_S, SAMPLE_RATE, TTS, Mark, SpeechChunk, to_session_rate
from streamer.tts.mp3 import Mp3Stream
from streamer.tts.wav import WavStream, read_wav


class Tone(TTS):
    """Yields a 440 Hz tone at 22050 Hz in uneven pieces, with one mark per piece."""

    name = "tone"
    loudness_lufs = None  # these tests check resampling and chunking at the engine's own level

    async def _synthesize(self, text: str) -> AsyncIterator[SpeechChunk]:
        rate, t0 = 22050, 0.0
        for n in (1000, 22050, 7, 30000):
            t = (np.arange(n) + t0 * rate) / rate
            yield SpeechChunk((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate,
                              [Mark(t0, t0 + n / rate, f"p{n}")])
            t0 += n / rate


async def test_chunks_come_at_session_rate_short_and_exactly_as_long_as_the_source() -> None:
    pcm, marks, chunks = await collect(Tone(), "hi")
    assert all(c.sample_rate == SAMPLE_RATE and c.pcm.dtype == np.float32 for c in chunks)
    assert max(c.pcm.size for c in chunks) <= int(SAMPLE_RATE * CHUNK_MAX_S)
    assert abs(pcm.size - (1000 + 22050 + 7 + 30000) * SAMPLE_RATE / 22050) <= 1
    assert abs(rms(pcm) - 0.5 / np.sqrt(2)) < 0.01


async def test_resampling_leaves_no_clicks_at_chunk_boundaries() -> None:
    pcm, _, _ = await collect(Tone(), "hi")
    # a 440 Hz sine at 0.5 changes by at most 2*pi*440/48000*0.5 = 0.029 per sample; a seam would jump more
    assert float(np.max(np.abs(np.diff(pcm[200:-200])))) < 0.04


async def test_each_mark_travels_with_the_chunk_it_starts_in() -> None:
    _, _, chunks = await collect(Tone(), "hi")
    t = 0.0
    for c in chunks:
        end = t + c.pcm.size / SAMPLE_RATE
        assert all(t - 1e-3 <= m.start_s < end + 1e-3 for m in c.marks)
        t = end
    assert [m.symbol for c in chunks for m in c.marks] == ["p1000", "p22050", "p7", "p30000"]


async def test_empty_text_calls_no_engine() -> None:
    assert (await collect(Tone(), "  \n"))[2] == []


class Flaky(TTS):
    name = "flaky"
    max_retries = 1
    retry_backoff_s = 0.0

    def __init__(self, failures: int, after_audio: bool = False, error: Exception | None = None) -> None:
        self.failures, self.after_audio, self.calls = failures, after_audio, 0
        self.error = error or EngineError("flaky: hiccup", retryable=True)

    async def _synthesize(self, text: str) -> AsyncIterator[SpeechChunk]:
        self.calls += 1
        if self.after_audio:
            yield SpeechChunk(np.zeros(480, np.float32), SAMPLE_RATE)
        if self.calls <= self.failures:
            raise self.error
        yield SpeechChunk(np.zeros(480, np.float32), SAMPLE_RATE)


async def test_retryable_error_before_audio_is_retried() -> None:
    tts = Flaky(failures=1)
    await collect(tts, "hi")
    assert tts.calls == 2 and tts.last_metrics is not None and tts.last_metrics.attempts == 2


async def test_no_retry_after_audio_went_out() -> None:
    tts = Flaky(failures=1, after_audio=True)
    with pytest.raises(EngineError):
        await collect(tts, "hi")
    assert tts.calls == 1


async def test_foreign_exceptions_become_engine_errors_naming_the_engine() -> None:
    tts = Flaky(failures=5, error=RuntimeError("kaput"))
    with pytest.raises(EngineError, match="flaky: RuntimeError: kaput"):
        await collect(tts, "hi")


def test_to_session_rate_keeps_duration() -> None:
    assert to_session_rate(np.zeros(24000, np.int16), 24000).size == 48000
    assert to_session_rate(np.ones(100, np.float32), SAMPLE_RATE).size == 100


def _wav_bytes(pcm16: np.ndarray, rate: int, channels: int = 1) -> bytes:
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm16.tobytes())
    return buf.getvalue()


def test_wav_stream_decodes_byte_by_byte_feeding() -> None:
    src = (np.arange(1000) % 200 - 100).astype(np.int16) * 100
    data = _wav_bytes(src, 16000)
    w = WavStream()
    out = np.concatenate([w.feed(data[i : i + 3]) for i in range(0, len(data), 3)])
    assert w.sample_rate == 16000
    np.testing.assert_allclose(out, src / 32768.0, atol=1e-6)


def test_wav_stream_downmixes_stereo_and_rejects_non_wav() -> None:
    pcm, rate = read_wav(_wav_bytes(np.array([1000, 3000] * 10, np.int16), 8000, channels=2))
    assert rate == 8000 and pcm.size == 10 and np.allclose(pcm, 2000 / 32768.0)
    with pytest.raises(EngineError):
        WavStream().feed(b"<html>not audio</html>")


def test_mp3_stream_decodes_an_mp3_fed_in_small_pieces() -> None:
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=24000, layout="mono")
        tone = (0.5 * np.sin(2 * np.pi * 220 * np.arange(24000) / 24000)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(tone[None, :], format="flt", layout="mono")
        frame.sample_rate = 24000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    data = buf.getvalue()  # starts with an ID3 tag, as files do (edge's stream does not)
    dec = Mp3Stream()
    out = np.concatenate([dec.feed(data[i : i + 500]) for i in range(0, len(data), 500)] + [dec.flush()])
    assert dec.sample_rate == 24000
    assert 24000 <= out.size < 24000 + 3000  # plus codec delay and padding
    assert abs(rms(out[3000:21000]) - 0.5 / np.sqrt(2)) < 0.02
