"""The TTS contract: text in, an async stream of audio chunks with phoneme or word timings out.

Every engine implements one async generator, ``_synthesize``. The base class turns whatever the engine yields into
the session's audio format (``SAMPLE_RATE`` Hz, mono float32 in [-1, 1], pieces of at most ``CHUNK_MAX_S``) and keeps
the timings relative to the start of the utterance, so the rest of the pipeline never sees an engine's native rate.

What lives here rather than in each engine (one place to get it right):
- resampling with a stateful resampler (libswresample via PyAV), so chunk boundaries leave no clicks or drift;
- loudness: every utterance brought to -16 LUFS with true peaks under -1 dBTP (``streamer.tts.loudness``), so
  engines sound alike and nothing clips;
- re-chunking into short pieces, so a sentence synthesised in one go still flows downstream in small steps
  (bounded look-ahead, cheap interrupts); each mark travels with the piece in which it starts;
- error mapping: anything an engine raises becomes an ``EngineError`` naming the engine;
- garbage stops here: a chunk at a sample rate no voice has, with NaN or infinite samples or float samples far over
  full scale, or more audio than the sentence could take (a runaway stream) is an ``EngineError``, never audio;
- retry of retryable errors, only before the first chunk went out (never repeat audio);
- metrics of the last utterance (time to first chunk, compute time, audio seconds, real-time factor).
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Literal

import av
import numpy as np

from streamer.errors import EngineError
from streamer.tts.loudness import TARGET_LUFS, LoudnessNormalizer

SAMPLE_RATE = 48_000  # the session's audio rate; AAC is encoded at this rate
CHUNK_MAX_S = 0.2  # longest piece handed downstream; short enough for a ~0.3-1 s look-ahead window
LEVEL_INLINE_S = 0.25  # shorter pieces are resampled and levelled on the event loop; longer ones in a thread
MIN_RATE, MAX_RATE = 8_000, 192_000  # sample rates an engine may speak at (Hz)
MAX_FLOAT_PEAK = 32.0  # float samples 30 dB over full scale are not a hot voice (levelling fixes those) but a broken engine
MAX_AUDIO_S, MAX_AUDIO_PER_CHAR_S = 10.0, 0.5  # audio one sentence may take: slower than any voice speaks

MarkKind = Literal["phoneme", "word"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Mark:
    """One phoneme (IPA from piper/espeak, pinyin for Chinese) or word, timed from the utterance start."""

    start_s: float
    end_s: float
    symbol: str
    kind: MarkKind = "phoneme"


@dataclass(slots=True)
class SpeechChunk:
    """A piece of an utterance's audio. ``marks`` are relative to the utterance start, not to this chunk."""

    pcm: np.ndarray  # float32, mono, shape (n,)
    sample_rate: int
    marks: list[Mark] = field(default_factory=list)


@dataclass(slots=True)
class SynthesisMetrics:
    """How one ``synthesize`` call went. ``compute_s`` counts only time spent waiting on the engine."""

    engine: str
    chars: int
    first_chunk_s: float | None = None  # wall seconds from the call to the first chunk
    compute_s: float = 0.0
    audio_s: float = 0.0
    attempts: int = 0

    @property
    def rtf(self) -> float | None:
        """Real-time factor: seconds of compute per second of audio (below 1 is faster than real time)."""
        return self.compute_s / self.audio_s if self.audio_s > 0 else None


class TTS(ABC):
    """One engine. Subclasses implement ``_synthesize``; callers use ``synthesize``."""

    name: str = "tts"
    max_retries: int = 0  # extra attempts for a retryable error that happens before any audio went out
    retry_backoff_s: float = 0.2
    last_metrics: SynthesisMetrics | None = None  # set per call; a class default so engines need no __init__
    loudness_lufs: float | None = TARGET_LUFS  # None: pass the level on as it is (a wrapper whose engines did it)
    _level_gain: float | None = None  # the gain the last utterance ended with: where a streamed one starts

    @abstractmethod
    def _synthesize(self, text: str) -> AsyncIterator[SpeechChunk]:
        """Yield the engine's audio for ``text`` at any sample rate; raise EngineError on failure."""

    async def warmup(self) -> None:  # noqa: B027 - optional hook, most engines have nothing to load
        """Load models or open connections ahead of the first sentence, so it does not pay for them."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most engines hold nothing
        """Release sockets, processes or models."""

    def health(self) -> dict[str, object]:
        """For the stream's health report: the engine speaking."""
        return {"engine": self.name}

    async def synthesize_whole(self, text: str) -> list[SpeechChunk]:
        """The whole sentence, for a caller that plays none of it before it is complete (the speaker). A chain
        of engines may then replace one that fails part-way (``FallbackTTS``); a single engine just collects."""
        return [chunk async for chunk in self.synthesize(text)]

    async def synthesize(self, text: str) -> AsyncGenerator[SpeechChunk, None]:
        """Yield chunks at SAMPLE_RATE, mono float32, at most CHUNK_MAX_S each; raise EngineError on failure."""
        metrics = SynthesisMetrics(engine=self.name, chars=len(text))
        self.last_metrics = metrics
        if not text.strip():
            return
        started = time.perf_counter()
        while True:
            metrics.attempts += 1
            yielded = False
            try:
                # aclosing: an interrupted consumer must stop the engine now, not when the GC finalizes it
                async with aclosing(self._normalized(text, metrics, started)) as pieces:
                    async for piece in pieces:
                        yielded = True
                        yield piece
                return
            except EngineError as exc:
                if yielded or not exc.retryable or metrics.attempts > self.max_retries:
                    raise
                log.info("tts %s: retrying after %s", self.name, exc)
                await asyncio.sleep(self.retry_backoff_s * metrics.attempts)

    async def _normalized(
        self, text: str, metrics: SynthesisMetrics, started: float
    ) -> AsyncGenerator[SpeechChunk, None]:
        """One attempt: run the engine, map its errors, resample, level, re-chunk and measure."""
        resampler = StreamResampler()
        leveller = None if self.loudness_lufs is None else LoudnessNormalizer(self.loudness_lufs, self._level_gain)
        chunker = _Chunker()
        check = _Garbage(self.name, text)
        agen = aiter(self._synthesize(text))
        try:
            while True:
                t0 = time.perf_counter()
                try:
                    chunk = await anext(agen)
                except StopAsyncIteration:
                    break
                except EngineError:
                    raise
                except Exception as exc:  # an engine bug or a library error: give it our type and the engine name
                    raise EngineError(f"{self.name}: {type(exc).__name__}: {exc}", retryable=True) from exc
                finally:
                    metrics.compute_s += time.perf_counter() - t0
                check(chunk)
                pcm = await _resample_and_level(resampler, leveller, chunk)
                for piece in chunker.push(pcm, chunk.marks):
                    if metrics.first_chunk_s is None:
                        metrics.first_chunk_s = time.perf_counter() - started
                    metrics.audio_s += piece.pcm.size / SAMPLE_RATE
                    yield piece
            tail = await _level(leveller, resampler.flush())
            if leveller is not None:
                tail = np.concatenate([tail, leveller.flush()])
            for piece in chunker.finish(tail):
                if metrics.first_chunk_s is None:
                    metrics.first_chunk_s = time.perf_counter() - started
                metrics.audio_s += piece.pcm.size / SAMPLE_RATE
                yield piece
            if leveller is not None and leveller.settled_gain is not None:
                self._level_gain = leveller.settled_gain
        finally:
            close = getattr(agen, "aclose", None)  # stop subprocesses/requests on interrupt
            if close is not None:
                await close()


class _Garbage:
    """Refuses what an engine hands over that is not audio of the sentence asked for (see the module docstring)."""

    def __init__(self, engine: str, text: str) -> None:
        self._engine = engine
        self._chars = len(text)
        self._max_s = MAX_AUDIO_S + MAX_AUDIO_PER_CHAR_S * len(text)
        self._seconds = 0.0

    def __call__(self, chunk: SpeechChunk) -> None:
        if not MIN_RATE <= chunk.sample_rate <= MAX_RATE:
            raise EngineError(f"{self._engine}: returned audio at {chunk.sample_rate} Hz, not a voice's sample rate",
                              retryable=False)
        pcm = np.asarray(chunk.pcm)
        if pcm.dtype.kind == "f" and pcm.size:
            if not np.isfinite(pcm).all():
                raise EngineError(f"{self._engine}: returned NaN or infinite samples", retryable=False)
            peak = float(np.max(np.abs(pcm)))
            if peak > MAX_FLOAT_PEAK:
                raise EngineError(f"{self._engine}: returned samples at {peak:.3g} times full scale", retryable=False)
        self._seconds += pcm.size / chunk.sample_rate
        if self._seconds > self._max_s:
            raise EngineError(f"{self._engine}: more than {self._max_s:.0f} s of audio for a sentence of "
                              f"{self._chars} characters", retryable=False)


async def _resample_and_level(resampler: StreamResampler, leveller: LoudnessNormalizer | None,
                              chunk: SpeechChunk) -> np.ndarray:
    """Resample, gain and peak-limit one engine chunk; a long one (a whole sentence) in one worker-thread hop."""
    if chunk.pcm.size > LEVEL_INLINE_S * chunk.sample_rate:  # ~10 ms per second of audio: keep the loop free

        def work() -> np.ndarray:
            pcm = resampler.push(chunk.pcm, chunk.sample_rate)
            return pcm if leveller is None else leveller.push(pcm)

        return await asyncio.to_thread(work)
    return await _level(leveller, resampler.push(chunk.pcm, chunk.sample_rate))


async def _level(leveller: LoudnessNormalizer | None, pcm: np.ndarray) -> np.ndarray:
    """Gain and peak-limit a piece (see ``streamer.tts.loudness``)."""
    if leveller is None:
        return pcm
    if pcm.size > LEVEL_INLINE_S * SAMPLE_RATE:  # ~5 ms per second of audio: keep the event loop free
        return await asyncio.to_thread(leveller.push, pcm)
    return leveller.push(pcm)


class _Chunker:
    """Cuts session-rate audio into pieces of at most CHUNK_MAX_S and hands each mark to the piece it starts in."""

    def __init__(self) -> None:
        self._max = int(SAMPLE_RATE * CHUNK_MAX_S)
        self._sent = 0  # samples already handed out: the utterance clock
        self._marks: list[Mark] = []

    def push(self, pcm: np.ndarray, marks: list[Mark]) -> list[SpeechChunk]:
        if marks:
            self._marks.extend(marks)
            self._marks.sort(key=lambda m: m.start_s)
        out = []
        for i in range(0, pcm.size, self._max):
            piece = pcm[i : i + self._max]
            self._sent += piece.size
            end_s = self._sent / SAMPLE_RATE
            cut = 0
            while cut < len(self._marks) and self._marks[cut].start_s < end_s:
                cut += 1
            out.append(SpeechChunk(piece, SAMPLE_RATE, self._marks[:cut]))
            del self._marks[:cut]
        return out

    def finish(self, tail: np.ndarray) -> list[SpeechChunk]:
        out = self.push(tail, [])
        if self._marks:  # marks past the audio's end (rounding): keep them rather than drop them
            if out:
                out[-1].marks.extend(self._marks)
            else:
                out.append(SpeechChunk(np.zeros(0, np.float32), SAMPLE_RATE, list(self._marks)))
            self._marks.clear()
        return out


class StreamResampler:
    """Resamples a stream of mono chunks to SAMPLE_RATE, keeping filter state across chunk boundaries.

    libswresample holds back a few dozen samples of filter delay; ``flush`` returns them at the end, so the total
    length is exact and marks computed from the native audio stay aligned.
    """

    def __init__(self) -> None:
        self._rate: int | None = None
        self._resampler: av.AudioResampler | None = None

    def push(self, pcm: np.ndarray, rate: int) -> np.ndarray:
        x = as_float32(pcm)
        if rate != self._rate:
            tail = self.flush()  # an engine that changes rate mid-utterance: close the old filter cleanly
            self._rate = rate
            self._resampler = None if rate == SAMPLE_RATE else av.AudioResampler("flt", "mono", SAMPLE_RATE)
            if tail.size:
                return np.concatenate([tail, self.push(x, rate)])
        if self._resampler is None or x.size == 0:
            return x
        frame = av.AudioFrame.from_ndarray(x.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = rate
        return _frames_to_array(self._resampler.resample(frame))

    def flush(self) -> np.ndarray:
        if self._resampler is None:
            return np.zeros(0, np.float32)
        out = _frames_to_array(self._resampler.resample(None))
        self._resampler = None
        self._rate = None
        return out


def _frames_to_array(frames: list[av.AudioFrame]) -> np.ndarray:
    if not frames:
        return np.zeros(0, np.float32)
    return np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.float32, copy=False)


def as_float32(pcm: np.ndarray) -> np.ndarray:
    """Mono float32 in [-1, 1] from float or int16 samples."""
    x = np.asarray(pcm)
    if x.dtype == np.int16:
        return (x.astype(np.float32) / 32768.0).reshape(-1)
    return x.astype(np.float32, copy=False).reshape(-1)


def to_session_rate(pcm: np.ndarray, rate: int) -> np.ndarray:
    """Resample one whole mono clip to SAMPLE_RATE (for streams use ``StreamResampler``)."""
    r = StreamResampler()
    head = r.push(pcm, rate)
    tail = r.flush()
    return np.concatenate([head, tail]) if tail.size else head
