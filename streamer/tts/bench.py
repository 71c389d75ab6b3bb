"""How fast the offline engines are on this machine: real-time factor and time to first chunk.

From scripts/bench.py::

    import asyncio
    from streamer.tts.bench import measure_rtf
    for r in asyncio.run(measure_rtf()):
        print(r)        # e.g. piper:joe  rtf=0.06  first_chunk=0.17 s  audio=4.4 s

RTF is seconds of compute per second of audio (the time spent waiting on the engine, from ``SynthesisMetrics``);
below 1 the engine keeps up with real time, and 1/RTF streams could share the machine in the best case.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from streamer.tts.base import TTS

SAMPLE_TEXTS = {
    "en": "Welcome back, everyone! This steel cup keeps your tea hot for twelve hours, and today it is only "
    "ninety-nine yuan.",
    "zh": "欢迎来到直播间！这款保温杯十二小时保温，今天只要九十九元，前一百单还送杯套。",
}


@dataclass(frozen=True, slots=True)
class BenchResult:
    engine: str
    rtf: float  # median over the runs
    first_chunk_s: float  # median wall time from the call to the first chunk (model already loaded)
    audio_s: float

    def __str__(self) -> str:
        return (f"{self.engine:28s} rtf={self.rtf:.3f}  first_chunk={self.first_chunk_s:.3f} s  "
                f"audio={self.audio_s:.1f} s")


def default_engines() -> list[tuple[TTS, str]]:
    """(engine, language) pairs for the offline engines."""
    from streamer.tts import espeak, piper

    return [(piper.TTS(), "en"), (espeak.TTS("en-us"), "en"), (espeak.TTS("zh"), "zh")]


async def measure_rtf(engines: Sequence[tuple[TTS, str]] | None = None, runs: int = 3) -> list[BenchResult]:
    """Synthesize SAMPLE_TEXTS[language] ``runs`` times per engine after a warm-up; median RTF and first chunk."""
    results = []
    for engine, lang in engines or default_engines():
        await engine.warmup()
        async for _ in engine.synthesize("Ready."):  # first inference also pays for lazy setup: not measured
            pass
        rtfs, firsts, audio = [], [], 0.0
        for _ in range(runs):
            async for _chunk in engine.synthesize(SAMPLE_TEXTS[lang]):
                pass
            m = engine.last_metrics
            assert m is not None and m.rtf is not None and m.first_chunk_s is not None
            rtfs.append(m.rtf)
            firsts.append(m.first_chunk_s)
            audio = m.audio_s
        results.append(BenchResult(engine.name, statistics.median(rtfs), statistics.median(firsts), audio))
        await engine.aclose()
    return results
