"""Interaction latencies on a live (real-time paced) session, measured where the audio leaves the encoder.

  interrupt_to_silence_ms:  operator interrupt -> the first silent frame handed to the encoder
  reply_ready_ms:           comment arrival -> triage, responder, TTS -> reply audio ready to play
  reply_on_air_ms:          comment arrival -> first reply sample handed to the encoder (includes waiting for a
                            clause pause of the script sentence on air)
  reply_on_air_idle_ms:     the same when the host is idle (script paused)

Comments go through the same path as in a served stream: triage, the offline responder, then the speaker.
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
from streamer.replies import CommentHandler
from streamer.scene import SceneRenderer
from streamer.session import Session
from streamer.tts import create_tts

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["How much is the bottle?", "When does it ship?", "Is it dishwasher safe?", "What's the capacity?",
             "Can I return it?", "How do I buy it?", "How many are left?", "What is it made of?"]


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

    async def handed_over(self, k: int, timeout_s: float = 2.0) -> float | None:
        """When frame ``k`` reached the encoder (frames are tapped in order, from 0)."""
        for _ in range(int(timeout_s / 0.005)):
            if len(self.frames) > k:
                return self.frames[k][0]
            await asyncio.sleep(0.005)
        return None


async def _measure(session: Session, probe: Probe, seconds: float, rounds: int) -> dict[str, Any]:
    rng = random.Random(7)
    interrupts: list[float] = []
    ready: list[float] = []
    on_air: list[float] = []
    idle_on_air: list[float] = []
    decided: dict[str, float] = {}  # ref -> comment arrival -> decision, seconds
    aired: dict[str, asyncio.Event] = {}
    aired_frame: dict[str, int] = {}  # ref -> the frame in which the reply's first sample is
    current_ref: list[str] = []
    script_started = asyncio.Event()

    def emit(e: dict[str, Any]) -> None:
        if e["type"] == "decision":
            decided[e["ref"]] = e["latency_ms"] / 1000
        elif e["type"] == "speech_start" and e["source"] == "script":
            script_started.set()
        elif e["type"] == "speech_start" and e["source"] == "reply" and current_ref:
            # speech_start comes as the frame is prepared; the sample is on air when that frame reaches the encoder
            aired_frame[current_ref[-1]] = round(e["t"] * session.clock.fps)
            aired.setdefault(current_ref[-1], asyncio.Event()).set()

    handler = CommentHandler(session.brief, lambda text: session.say(text, source="reply"), emit)
    orig_emit = session._emit

    def session_emit(e: dict[str, Any]) -> None:
        orig_emit(e)
        handler.on_event(e)
        emit(e)

    session._emit = session_emit  # type: ignore[method-assign]
    session_task = asyncio.create_task(session.run(), name="bench:session")
    handler_task = asyncio.create_task(handler.run(), name="bench:comments")

    async def comment_and_wait(i: int) -> float | None:
        ref = f"c{i}-{len(current_ref)}"
        current_ref.append(ref)
        t0 = time.monotonic()
        handler.offer(ref, {"user": f"viewer{len(current_ref)}", "text": QUESTIONS[len(current_ref) % len(QUESTIONS)]})
        try:
            await asyncio.wait_for(aired.setdefault(ref, asyncio.Event()).wait(), 8)
        except TimeoutError:
            return None
        if session.speaker.reply_ready_s and ref in decided:
            ready.append(decided[ref] + session.speaker.reply_ready_s[-1])
        aired_at = await probe.handed_over(aired_frame[ref])
        return None if aired_at is None else aired_at - t0

    await asyncio.sleep(2.0)
    for i in range(rounds):
        await asyncio.sleep(rng.uniform(0.5, seconds / rounds))
        if (waited := await comment_and_wait(i)) is not None:  # a viewer asks while the script is talking
            on_air.append(waited)
        await asyncio.sleep(rng.uniform(0.3, 0.8))  # an operator interrupt in the middle of speech
        t0 = time.monotonic()
        session.interrupt()
        await asyncio.sleep(0.3)
        silent = probe.first_silent_after(t0)
        if silent is not None:
            interrupts.append(silent - t0)
        session.pause_script()  # a viewer asks while the host is idle
        session.interrupt()
        await asyncio.sleep(0.5)
        if (waited := await comment_and_wait(i)) is not None:
            idle_on_air.append(waited)
        session.resume_script()
        script_started.clear()  # let the whole answer finish, so the next question meets the script
        await asyncio.wait_for(script_started.wait(), 20)
    handler_task.cancel()
    session.stop()
    await session_task
    return {"interrupt_to_silence_ms": _pct(interrupts), "reply_ready_ms": _pct(ready),
            "reply_on_air_ms": _pct(on_air), "reply_on_air_idle_ms": _pct(idle_on_air),
            "replies_answered": f"{len(on_air) + len(idle_on_air)}/{2 * rounds}"}


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
