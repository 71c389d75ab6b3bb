"""Interaction latencies on a live (real-time paced) session, measured where the audio leaves the encoder.

  interrupt_to_silence_ms:  operator interrupt -> the first silent frame handed to the encoder
  reply_ready_ms:           comment arrival -> reply audio synthesized and ready to play
  reply_on_air_ms:          comment arrival -> first reply sample handed to the encoder (includes waiting for the
                            script sentence on air to end)
  reply_on_air_idle_ms:     the same when the host is idle (script paused)
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from streamer.brief import load_brief
from streamer.media.encoder import VideoSettings
from streamer.media.outputs import open_output
from streamer.planner import script_lines
from streamer.scene import SceneRenderer
from streamer.session import Session
from streamer.tts import create_tts

ROOT = Path(__file__).resolve().parents[1]


def _pct(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    a = np.array(values) * 1000
    return {"n": len(values), "p50": round(float(np.percentile(a, 50)), 1), "p95": round(float(np.percentile(a, 95)), 1)}


class Probe:
    """Watches frames as they reach the encoder: when audio goes silent and when a given text starts."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, bool]] = []  # (monotonic when handed to the encoder, frame had sound)

    def tap(self, k: int, rgb: np.ndarray, pcm: np.ndarray) -> None:
        self.frames.append((time.monotonic(), bool(np.abs(pcm).max() > 1e-4)))

    def first_silent_after(self, t: float) -> float | None:
        return next((ft for ft, loud in self.frames if ft >= t and not loud), None)


async def _measure(session: Session, probe: Probe, seconds: float, rounds: int) -> dict[str, Any]:
    rng = random.Random(7)
    interrupts: list[float] = []
    on_air: list[float] = []
    idle_on_air: list[float] = []
    starts: dict[str, float] = {}
    on_air_events: dict[str, asyncio.Event] = {}
    session_task = asyncio.create_task(session.run(), name="bench:session")
    orig_emit = session._emit

    def emit(e: dict[str, Any]) -> None:
        if e["type"] == "speech_start" and e["source"] == "reply":
            starts[e["text"]] = time.monotonic()
            on_air_events.setdefault(e["text"], asyncio.Event()).set()
        orig_emit(e)

    session._emit = emit  # type: ignore[method-assign]

    async def say_and_wait(text: str) -> float | None:
        t0 = time.monotonic()
        session.say(text, source="reply")
        try:
            await asyncio.wait_for(on_air_events.setdefault(text, asyncio.Event()).wait(), 8)
        except TimeoutError:
            return None
        return starts[text] - t0

    await asyncio.sleep(2.0)
    for i in range(rounds):
        await asyncio.sleep(rng.uniform(0.5, seconds / rounds))
        # a reply while the script is talking
        if (waited := await say_and_wait(f"Reply number {i}, thanks for asking.")) is not None:
            on_air.append(waited)
        # an interrupt in the middle of speech
        await asyncio.sleep(rng.uniform(0.3, 0.8))
        t0 = time.monotonic()
        session.interrupt()
        await asyncio.sleep(0.3)
        silent = probe.first_silent_after(t0)
        if silent is not None:
            interrupts.append(silent - t0)
        # a reply while idle
        session.pause_script()
        session.interrupt()
        await asyncio.sleep(0.5)
        if (waited := await say_and_wait(f"Idle reply {i}.")) is not None:
            idle_on_air.append(waited)
        session.resume_script()
    session.stop()
    await session_task
    ready = list(session.speaker.reply_ready_s)
    return {"interrupt_to_silence_ms": _pct(interrupts), "reply_ready_ms": _pct(ready),
            "reply_on_air_ms": _pct(on_air), "reply_on_air_idle_ms": _pct(idle_on_air)}


def bench_interaction(voice: str = "piper:joe", rounds: int = 10, seconds: float = 30) -> dict[str, Any]:
    brief = load_brief(ROOT / "assets" / "briefs" / "demo_en.yaml")
    probe = Probe()
    with tempfile.TemporaryDirectory() as tmp:
        session = Session(brief, script_lines(brief), create_tts(voice, brief.language),
                          SceneRenderer(brief, (640, 360), 30), [open_output(str(Path(tmp) / "i.flv"))],
                          VideoSettings(640, 360, 30, 1_000_000, "veryfast"), realtime=True, taps=[probe.tap])
        result = asyncio.run(_measure(session, probe, seconds, rounds))
    result["voice"] = voice
    return result


if __name__ == "__main__":
    import json
    print(json.dumps(bench_interaction(), indent=1))
