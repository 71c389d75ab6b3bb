"""One live session: script -> speech -> scene -> encoder -> outputs, on one audio-master clock.

Two tasks run per session: the *speaker* synthesizes the next script sentence (one utterance of look-ahead) and the
*ticker* emits frame after frame: it starts ready utterances on frame boundaries, renders the scene for the frame's
time (in a worker thread), and hands frame + audio to the encode thread, which fans packets out to every output.
Live sessions pace the ticker to a monotonic clock; file renders run as fast as the machine allows and wait for
speech instead of filling with silence, so they are deterministic.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .brief import Brief, Product
from .errors import EngineError
from .media.clock import MediaClock
from .media.encoder import Encoder, VideoSettings
from .media.outputs import Output
from .media.pacer import Pacer
from .planner import ScriptLine
from .scene.state import FrameState
from .speech.playout import Played, Playout
from .speech.utterance import Utterance
from .tts.base import SAMPLE_RATE, TTS

log = logging.getLogger(__name__)

SPEECH_WAIT_S = 30.0  # file renders wait this long for the next sentence before idling over silence
HISTORY_LEN = 200
TTS_FAILURE_PAUSE_S = 1.0


class Renderer:  # the part of SceneRenderer the session uses
    def render(self, state: FrameState) -> np.ndarray: ...
    def close(self) -> None: ...


@dataclass(slots=True)
class SessionStats:
    frames: int = 0
    samples: int = 0
    utterances: int = 0
    tts_failures: int = 0
    started_monotonic: float = 0.0
    history: deque[Played] = field(default_factory=lambda: deque(maxlen=HISTORY_LEN))


class Session:
    def __init__(self, brief: Brief, script: Iterator[ScriptLine], tts: TTS, renderer: Renderer,
                 outputs: list[Output], video: VideoSettings, *, realtime: bool,
                 duration_s: float | None = None, pacer: Pacer | None = None) -> None:
        self.brief = brief
        self.clock = MediaClock(video.fps, SAMPLE_RATE)
        self.video = video
        self.realtime = realtime
        self.total_frames = self.clock.frames_for(duration_s) if duration_s is not None else None
        self.stats = SessionStats()
        self._script = script
        self._tts = tts
        self._renderer = renderer
        self._outputs = outputs
        self._pacer = pacer or Pacer()
        self._ready: asyncio.Queue[Utterance] = asyncio.Queue(maxsize=1)  # bounded look-ahead: one sentence
        self._playout = Playout(SAMPLE_RATE, self.stats.history.append)
        self._product: Product | None = brief.products[0]
        self._stop = asyncio.Event()
        self._first_ready = asyncio.Event()
        self._encode_pool = ThreadPoolExecutor(1, thread_name_prefix="encode")
        self._encoder: Encoder | None = None

    def stop(self) -> None:
        """Ask the session to end after the current frame; outputs are flushed and closed."""
        self._stop.set()

    async def run(self) -> SessionStats:
        loop = asyncio.get_running_loop()
        self._encoder = await loop.run_in_executor(self._encode_pool, Encoder, self.video, SAMPLE_RATE)
        for out in self._outputs:
            out.start(self._encoder.video_stream, self._encoder.audio_stream)
        speaker = asyncio.create_task(self._speak(), name="session:speaker")
        try:
            # engines load their models on first use; let that finish before the clock starts so a live stream
            # opens with speech and without late frames
            await asyncio.wait_for(self._first_ready.wait(), SPEECH_WAIT_S)
        except TimeoutError:
            log.warning("no speech ready after %.0f s; starting with the host idle", SPEECH_WAIT_S)
        self.stats.started_monotonic = time.monotonic()
        try:
            await self._tick_frames()
        finally:
            speaker.cancel()
            try:
                await speaker
            except asyncio.CancelledError:
                if not speaker.cancelled():
                    raise
            await loop.run_in_executor(self._encode_pool, self._finish)
            self._encode_pool.shutdown()
            self._renderer.close()
        return self.stats

    async def _speak(self) -> None:
        """Synthesize script sentences one ahead of the playout."""
        for line in self._script:
            try:
                pcm, marks = await self._synthesize(line.text)
            except EngineError as e:
                self.stats.tts_failures += 1
                log.error("no TTS engine could speak %r: %s", line.text, e)
                await asyncio.sleep(TTS_FAILURE_PAUSE_S)
                continue
            await self._ready.put(Utterance(line.text, pcm, tuple(marks), line.product_id, line.cue))
            self._first_ready.set()

    async def _synthesize(self, text: str) -> tuple[np.ndarray, list]:
        pieces, marks = [], []
        async for chunk in self._tts.synthesize(text):
            pieces.append(chunk.pcm)
            marks.extend(chunk.marks)
        if not pieces:
            raise EngineError(f"TTS returned no audio for {text!r}")
        return np.concatenate(pieces), marks

    async def _tick_frames(self) -> None:
        loop = asyncio.get_running_loop()
        pending: Future[None] | None = None
        k = 0
        while not self._stop.is_set() and (self.total_frames is None or k < self.total_frames):
            if self.realtime:
                await self._pacer.wait_until(self.clock.frame_time(k))
            start = self.clock.frame_start_sample(k)
            await self._maybe_begin_utterance(start)
            pcm, speaking = self._playout.take(start, self.clock.samples_in_frame(k))
            state = FrameState(k, self.clock.frame_time(k), speaking, self._product)
            rgb = await asyncio.to_thread(self._renderer.render, state)
            if pending is not None:
                await asyncio.wrap_future(pending)  # keep at most one frame in the encoder: bounded latency
            pending = loop.run_in_executor(self._encode_pool, self._encode, k, rgb, pcm)  # type: ignore[assignment]
            self.stats.frames = k + 1
            self.stats.samples = start + pcm.size
            k += 1
        if pending is not None:
            await asyncio.wrap_future(pending)

    async def _maybe_begin_utterance(self, sample: int) -> None:
        if not self._playout.can_start(sample):
            return
        if not self._ready.empty():
            utt = self._ready.get_nowait()
        elif self.realtime:
            return  # live: never wait for speech, the host idles over silence
        else:
            try:
                utt = await asyncio.wait_for(self._ready.get(), SPEECH_WAIT_S)
            except TimeoutError:
                log.warning("no speech ready after %.0f s; idling", SPEECH_WAIT_S)
                return
        if utt.product_id is not None and (self._product is None or utt.product_id != self._product.id):
            self._product = self.brief.product(utt.product_id)
            log.info("product -> %s", utt.product_id)
        self._playout.begin(utt, sample)
        self.stats.utterances += 1

    def _encode(self, k: int, rgb: np.ndarray, pcm: np.ndarray) -> None:
        assert self._encoder is not None
        for packet in self._encoder.encode(k, rgb, pcm):
            for out in self._outputs:
                out.send(packet)

    def _finish(self) -> None:
        assert self._encoder is not None
        for packet in self._encoder.flush():
            for out in self._outputs:
                out.send(packet)
        self._encoder.close()
        for out in self._outputs:
            out.close()

    def health(self) -> dict[str, object]:
        elapsed = max(1e-9, time.monotonic() - self.stats.started_monotonic)
        return {
            "frames": self.stats.frames,
            "samples": self.stats.samples,
            "media_s": self.stats.frames / self.clock.fps,
            "fps": self.stats.frames / elapsed,
            "lag_s": self._pacer.lag_s,
            "max_lag_s": self._pacer.max_lag_s,
            "late_frames": self._pacer.late,
            "reanchors": self._pacer.reanchors,
            "utterances": self.stats.utterances,
            "tts_failures": self.stats.tts_failures,
            "outputs": {o.display: {"state": o.stats.state, "sent": o.stats.packets_sent,
                                    "dropped": o.stats.packets_dropped, "connects": o.stats.connects,
                                    "last_error": o.stats.last_error} for o in self._outputs},
        }
