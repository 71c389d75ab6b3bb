"""Shared helpers for the TTS tests: collecting a stream, loudness, a scripted fake engine and a virtual clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np

from streamer.errors import EngineError
from streamer.tts.base import SAMPLE_RATE, TTS, Mark, SpeechChunk

COLLECT_S = 60.0  # an engine that stops sending fails its test in a minute, not at pytest's five-minute limit


async def collect(tts: TTS, text: str) -> tuple[np.ndarray, list[Mark], list[SpeechChunk]]:
    """All audio, all marks and the chunks of one utterance."""
    async with asyncio.timeout(COLLECT_S):
        chunks = [c async for c in tts.synthesize(text)]
    pcm = np.concatenate([c.pcm for c in chunks]) if chunks else np.zeros(0, np.float32)
    return pcm, [m for c in chunks for m in c.marks], chunks


def rms(pcm: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64)))) if pcm.size else 0.0


def assert_marks_sane(marks: list[Mark], duration_s: float) -> None:
    """Marks are ordered, non-negative in length and inside the audio."""
    assert marks, "expected timing marks"
    for a, b in zip(marks, marks[1:], strict=False):
        assert a.start_s <= b.start_s, (a, b)
    for m in marks:
        assert 0.0 <= m.start_s <= m.end_s <= duration_s + 0.02, (m, duration_s)
        assert m.symbol.strip()


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ScriptedTTS(TTS):
    """A fake engine (stands in for a cloud service) with scripted latency and failures; records each call."""

    def __init__(self, name: str, *, delay_s: float = 0.0, fail: Exception | None = None,
                 chunks: int = 3, fail_after_chunks: int | None = None) -> None:
        self.name = name
        self.delay_s = delay_s
        self.fail = fail
        self.chunks = chunks
        self.fail_after_chunks = fail_after_chunks
        self.calls: list[str] = []

    async def _synthesize(self, text: str) -> AsyncIterator[SpeechChunk]:
        self.calls.append(text)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail is not None:
            raise self.fail
        for i in range(self.chunks):
            if self.fail_after_chunks is not None and i == self.fail_after_chunks:
                raise EngineError(f"{self.name} broke mid-sentence")
            yield SpeechChunk(np.full(SAMPLE_RATE // 10, 0.1, np.float32), SAMPLE_RATE, [])
