"""One live session: script -> speech -> scene -> encoder -> outputs, on one audio-master clock.

Two tasks run per session: the *speaker* (streamer/speech/speaker.py) chooses and synthesizes what the host says
next, and the *ticker* emits frame after frame: it starts ready utterances on frame boundaries, tells the render
stage what it is about to play (the utterance on air and the next ready one, with the sample each starts on), so the
stage prepares the host for the next 0.4 s in batches (scene/window.py), renders the scene for the frame's time (in
a worker thread) and hands frame + audio to the encode thread, which fans packets out to every output. An
interrupt, a cut-in or a brief update changes what is about to play: the stage drops what it prepared for audio
that will not play, so the host is silent at the next frame. Live sessions pace the ticker to a monotonic clock;
file renders run as fast as the machine allows and wait for speech instead of filling with silence, so they are
deterministic.

A live session with ``on_air_at`` (a scheduled start, wall-clock epoch seconds) gets everything ready first (encoder,
outputs connected, first sentence voiced) and holds its first frame until then (media/pacer.py); ready late, it goes
on air at once. ``health()`` says how late the first frame went out (``first_frame_late_ms``, positive: late).

Commands (call from the session's event loop): ``say``, ``interrupt``, ``switch_product``, ``pause_script``,
``resume_script``, ``update_brief`` (new prices or stock from the next sentence), ``stop``. Events go to
``on_event`` as dicts with a ``type``: ``speech_start`` / ``speech_end`` (text, source, media time, seconds
played, the ``speech_id`` of the say or reply: None for the script), ``speech_dropped`` (a reply or say line an
interrupt or a brief update flushed before it was said),
``product`` (product_id), ``alert`` (kind ``recording``, path, error: an output stopped for good; the stream goes on).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .brief import Brief, Product
from .errors import ConfigError
from .media.clock import MediaClock
from .media.encoder import Encoder, VideoSettings
from .media.outputs import Output
from .media.pacer import Pacer
from .planner import ScriptLine
from .scene.state import FrameState, Speaking, Upcoming
from .sentences import sentences
from .speech.clauses import lead_clause
from .speech.playout import Played, Playout
from .speech.speaker import Request, Speaker
from .speech.utterance import Utterance
from .tts.base import SAMPLE_RATE, TTS

log = logging.getLogger(__name__)

REPLY_PATIENCE_S = 0.4  # how long a reply may wait (live: since it was asked) for a clause pause, before it
#                          takes a pause between words
CLAUSE_PAUSE_S = 0.12
WORD_PAUSE_S = 0.06
SPEECH_WAIT_S = 30.0  # how long a file render (or a live start) waits for speech before idling over silence
LATENCY_SAMPLES = 200  # recent reply latencies kept for health figures
OUTPUT_POLL_S = 0.02  # how often a held start looks whether its live outputs have connected

Event = dict[str, Any]
FrameTap = Callable[[int, np.ndarray, np.ndarray], None]  # (frame index, RGB frame, PCM) in the encode thread


class Renderer(Protocol):
    async def prepare(self, upcoming: Upcoming) -> None: ...  # look ahead: ready the host for the audio about to play
    def render(self, state: FrameState) -> np.ndarray: ...  # one frame, in a worker thread
    def health(self) -> dict[str, object]: ...  # what paints the host: {"renderer": ..., model, device, fallback}
    def close(self) -> None: ...


@dataclass(slots=True)
class SessionStats:
    frames: int = 0
    samples: int = 0
    utterances: int = 0
    started_monotonic: float = 0.0
    first_frame_monotonic: float | None = None  # when frame 0 went to the encoder
    first_frame_at: float | None = None  # the same, wall clock (epoch seconds)
    reply_wait_s: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))


class Session:
    def __init__(self, brief: Brief, script: Iterator[ScriptLine], tts: TTS, renderer: Renderer,
                 outputs: list[Output], video: VideoSettings, *, realtime: bool,
                 duration_s: float | None = None, pacer: Pacer | None = None,
                 on_event: Callable[[Event], None] | None = None, taps: list[FrameTap] | None = None,
                 on_air_at: float | None = None) -> None:
        if on_air_at is not None and not realtime:
            raise ConfigError("on_air_at: only a live (realtime) session goes on air at a time")
        self.brief = brief
        self.on_air_at = on_air_at
        self.clock = MediaClock(video.fps, SAMPLE_RATE)
        self.video = video
        self.realtime = realtime
        self.total_frames = self.clock.frames_for(duration_s) if duration_s is not None else None
        self.stats = SessionStats()
        self.speaker = Speaker(tts, script)
        self._tts = tts
        self._renderer = renderer
        self._outputs = outputs
        self._pacer = pacer or Pacer()
        self._on_event = on_event
        self._taps = list(taps or [])
        self._playout = Playout(SAMPLE_RATE, self._played)
        self._product: Product | None = brief.products[0]
        self._stop = asyncio.Event()
        self._interrupt_pending = False
        self._encode_pool = ThreadPoolExecutor(1, thread_name_prefix="encode")
        self._encoder: Encoder | None = None
        self._speaker_task: asyncio.Task[None] | None = None
        self._reply_waiting_since: int | None = None  # sample at which a ready reply began to wait for a pause
        self._held_events: list[Event] | None = None  # events raised before a held start goes on air
        self._stale: Utterance | None = None  # on air when the brief was updated: finishes, never said again

    # --- commands ------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """End after the current frame; outputs are flushed and closed."""
        self._stop.set()

    def say(self, text: str, *, urgent: bool = False, source: str = "say",
            speech_id: str | None = None) -> list[Request]:
        """Speak ``text`` before the script goes on (``urgent``: cut in now). Each sentence is synthesized on its
        own, and the first one's first clause alone (speech/clauses.py), so the answer is on air while the rest
        is still being voiced. Every piece's speech_start and speech_end carry ``speech_id`` (one is made up
        when none is given)."""
        speech_id = speech_id or uuid.uuid4().hex[:12]
        product_id = self._product.id if self._product else None
        pieces = sentences(text)
        split = lead_clause(pieces[0]) if pieces else None
        if split is not None:
            pieces = [*split, *pieces[1:]]
        requests = [Request(piece, source, urgent and i == 0, product_id, lead=i == 0,
                            breath=split is None or i > 0, speech_id=speech_id)
                    for i, piece in enumerate(pieces)]
        for req in requests:
            self.speaker.request(req)
        return requests

    def interrupt(self) -> None:
        """Silence the host at the next frame and drop everything queued; the script then goes on."""
        self._interrupt_pending = True
        for text in self.speaker.interrupt():
            self._emit({"type": "speech_dropped", "text": text})

    def switch_product(self, product_id: str) -> None:
        try:
            self._set_product(self.brief.product(product_id))
        except KeyError:
            raise ConfigError(f"unknown product {product_id!r}; the brief has "
                              f"{', '.join(p.id for p in self.brief.products)}") from None
        product = self.brief.product(product_id)
        if product.stock == 0 and any(p.stock != 0 for p in self.brief.products):
            # the script has no block for a sold-out product while others sell: the card shows it, the talk goes
            # on (seeking would read up to PRODUCT_SEEK_LIMIT lines on the loop and find none)
            return
        self.speaker.seek_product(product_id)

    def update_brief(self, brief: Brief, script: Iterator[ScriptLine], *, seek_product: str | None = None,
                     keep: Callable[[str, str | None], bool] = lambda text, product_id: True) -> None:
        """New facts (the same products) from the next sentence: the sentence on air finishes and is not said
        again; the script goes on with ``script`` (at ``seek_product``'s block); queued replies and say lines
        that ``keep(text, product_id)`` refuses are dropped (``speech_dropped``); the card shows the new facts
        from the next frame (the scene caches cards by their content)."""
        self.brief = brief
        if self._product is not None:
            self._product = brief.product(self._product.id)
        self._stale = self._playout.current
        for text in self.speaker.replace_script(script, seek_product=seek_product, keep=keep):
            self._emit({"type": "speech_dropped", "text": text})

    @property
    def product(self) -> Product | None:
        """The product on screen."""
        return self._product

    def pause_script(self) -> None:
        self.speaker.pause()

    def resume_script(self) -> None:
        self.speaker.resume()

    # --- running -------------------------------------------------------------------------------------------
    async def run(self) -> SessionStats:
        loop = asyncio.get_running_loop()
        if self.on_air_at is not None:  # converted to the monotonic clock here, once
            self._pacer.hold_until(self.on_air_at)
            self._held_events = []
        self._encoder = await loop.run_in_executor(self._encode_pool, Encoder, self.video, SAMPLE_RATE)
        for out in self._outputs:
            out.start(self._encoder.video_stream, self._encoder.audio_stream, self._output_failed(loop, out))
        speaker = self._speaker_task = asyncio.create_task(self.speaker.run(), name="session:speaker")
        # engines load their models on first use; let that finish before the clock starts so a live stream
        # opens with speech and without late frames
        if not await self.speaker.wait_ready(SPEECH_WAIT_S):
            log.warning("no speech ready after %.0f s; starting with the host idle", SPEECH_WAIT_S)
        self.stats.started_monotonic = max(time.monotonic(), self._pacer.on_air or 0.0)
        try:
            await self._tick_frames()
        finally:
            speaker.cancel()
            try:
                await speaker
            except asyncio.CancelledError:
                if not speaker.cancelled():
                    raise
            await self.speaker.aclose()
            await loop.run_in_executor(self._encode_pool, self._finish)
            self._encode_pool.shutdown()
            self._renderer.close()
            await self._tts.aclose()
        return self.stats

    async def _tick_frames(self) -> None:
        loop = asyncio.get_running_loop()
        pending: Future[None] | None = None
        k = 0
        while not self._stop.is_set() and (self.total_frames is None or k < self.total_frames):
            held = k == 0 and self._pacer.on_air is not None  # made during the hold, sent at its end
            if self.realtime and not held:
                await self._pacer.wait_until(self.clock.frame_time(k))
            start = self.clock.frame_start_sample(k)
            if self._interrupt_pending:
                self._interrupt_pending = False
                self._playout.interrupt(start)
            elif self.speaker.urgent_ready():
                self._playout.interrupt(start, breath=False)
            elif self._reply_can_cut_in(start):
                cut = self._playout.current
                self._playout.interrupt(start, breath=False)
                if cut is not self._stale:  # a sentence from before a brief update is not said again
                    self.speaker.say_again(cut)  # type: ignore[arg-type]
            elif self._playout.current is None and self._playout.last_source == "script" \
                    and self.speaker.reply_ready():
                self._playout.interrupt(start, breath=False)  # the sentence's own trailing silence is pause enough
            await self._maybe_begin_utterance(start)
            pcm, speaking = self._playout.take(start, self.clock.samples_in_frame(k))
            await self._renderer.prepare(self._upcoming(k, speaking))
            state = FrameState(k, self.clock.frame_time(k), speaking, self._product)
            rgb = await asyncio.to_thread(self._renderer.render, state)
            if held and not await self._hold():
                break
            if pending is not None:
                await asyncio.wrap_future(pending)  # at most one frame in the encoder: bounded latency
            pending = loop.run_in_executor(self._encode_pool, self._encode, k, rgb, pcm)  # type: ignore[assignment]
            self.stats.frames = k + 1
            self.stats.samples = start + pcm.size
            k += 1
        if pending is not None:
            await asyncio.wrap_future(pending)

    def _upcoming(self, k: int, speaking: Speaking | None) -> Upcoming:
        """What frame ``k`` and the frames after it will play if nothing else cuts in: the utterance on air at ``k``
        and the next ready one, from the frame on which ``_tick_frames`` will begin it: the next one if it is
        urgent, else the first on which the playout lets it (a reply after a script sentence skips the breath), or
        the pause of the script sentence on air that a waiting reply will take (``_reply_can_cut_in``)."""
        on_air = ((round(speaking.start_s * SAMPLE_RATE), speaking),) if speaking is not None else ()
        nxt = self.speaker.next_ready()
        if nxt is None:
            return Upcoming(k, on_air)
        cur = self._playout.current
        after_script = (cur.source if cur is not None else self._playout.last_source) == "script"
        free = 0 if nxt.urgent else self._playout.free_at(breath=nxt.source == "script" or not after_script)
        j = max(k + 1, -(-free * self.clock.fps // SAMPLE_RATE))  # the first frame starting at or after it
        if cur is not None and cur.source == "script" and nxt.source != "script" and not nxt.urgent \
                and self._reply_waiting_since is not None:
            j = self._cut_in_frame(k, j) or j
        start = self.clock.frame_start_sample(j)
        return Upcoming(k, (*on_air, (start, self._playout.speaking(nxt, start))))

    async def _hold(self) -> bool:
        """Frame 0 of a held start is made (its first utterance's lip track and captions cost a render or three):
        wait for the live outputs to connect and for the on-air time, then release the events held meanwhile, so
        they are stamped on air. A stop ends the hold; False then."""
        on_air = self._pacer.on_air
        assert on_air is not None
        await self._outputs_connected(on_air)
        ahead_s = on_air - time.monotonic()
        if ahead_s >= 0:
            log.info("ready %.2f s before going on air", ahead_s)
        else:
            log.warning("ready %.0f ms after the on-air time: going on air now", -ahead_s * 1000)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), max(0.0, ahead_s))
        if not self._stop.is_set():
            await self._pacer.wait_until(0.0)
        held, self._held_events = self._held_events or [], None
        for event in held:
            self._emit(event)
        return not self._stop.is_set()

    async def _outputs_connected(self, until: float) -> None:
        """A held start waits (until its on-air time at most) for its live outputs to connect, so its first frames
        reach the ingest on time rather than in a burst after the handshake. An output connects in its own thread
        and only counts it, so this looks every OUTPUT_POLL_S."""
        while any(o.live and o.stats.connects == 0 for o in self._outputs) and time.monotonic() < until:  # noqa: ASYNC110
            await asyncio.sleep(OUTPUT_POLL_S)

    def _reply_can_cut_in(self, sample: int) -> bool:
        """A waiting reply takes the next clause pause of a script sentence (after REPLY_PATIENCE_S, any pause
        between words); the sentence is said again after the reply. On a live stream the patience counts from
        when the reply was asked for: a viewer who already waited for the voice does not wait for a clause too."""
        cur = self._playout.current
        reply = self.speaker.ready_reply()
        if cur is None or cur.source != "script" or reply is None:
            self._reply_waiting_since = None
            return False
        if self._reply_waiting_since is None:
            waited_s = max(0.0, time.monotonic() - reply.requested) if self.realtime and reply.requested else 0.0
            self._reply_waiting_since = sample - int(waited_s * SAMPLE_RATE)
        return self._playout.in_pause(sample, self._cut_in_gap(sample))

    def _cut_in_gap(self, sample: int) -> int:
        """The shortest pause (samples) of the script sentence on air that the waiting reply takes at ``sample``:
        a clause pause while it is patient, any pause between words after that."""
        assert self._reply_waiting_since is not None
        patient = sample - self._reply_waiting_since < REPLY_PATIENCE_S * SAMPLE_RATE
        return int((CLAUSE_PAUSE_S if patient else WORD_PAUSE_S) * SAMPLE_RATE)

    def _cut_in_frame(self, k: int, end: int) -> int | None:
        """The first frame after ``k`` and before frame ``end`` whose start falls in a pause the waiting reply will
        take (as ``_reply_can_cut_in`` will judge it then), if any."""
        for j in range(k + 1, end):
            sample = self.clock.frame_start_sample(j)
            if self._playout.in_pause(sample, self._cut_in_gap(sample)):
                return j
        return None

    async def _maybe_begin_utterance(self, sample: int) -> None:
        if not self._playout.can_start(sample):
            return
        if self._speaker_task is not None and self._speaker_task.done():
            self._speaker_task.result()  # the speaker crashed: end the session with its error, never hang silent
        utt = self.speaker.take_ready()
        if utt is None and not self.realtime and not self.speaker.paused and not self.speaker.idle:
            # a file render has no audience waiting: wait for speech rather than fill the file with silence
            if await self.speaker.wait_ready(SPEECH_WAIT_S):
                utt = self.speaker.take_ready()
        if utt is None:
            return
        if utt.product_id is not None and (self._product is None or utt.product_id != self._product.id):
            self._set_product(self.brief.product(utt.product_id))
        self._playout.begin(utt, sample)
        self.stats.utterances += 1
        if utt.source != "script" and utt.requested and utt.lead:
            self.stats.reply_wait_s.append(time.monotonic() - utt.requested)
        self._emit({"type": "speech_start", "text": utt.text, "source": utt.source, "t": sample / SAMPLE_RATE,
                    "product_id": utt.product_id, "speech_id": utt.speech_id})

    def _set_product(self, product: Product) -> None:
        if self._product is not None and product.id == self._product.id:
            return
        self._product = product
        log.info("product -> %s", product.id)
        self._emit({"type": "product", "product_id": product.id})

    def _played(self, done: Played) -> None:
        # the transcript is the stream of speech_end events; keeping Played objects here would pin their audio
        self._emit({"type": "speech_end", "text": done.utterance.text, "source": done.utterance.source,
                    "t": (done.start_sample + done.samples_played) / SAMPLE_RATE,
                    "played_s": done.samples_played / SAMPLE_RATE, "complete": done.complete,
                    "speech_id": done.utterance.speech_id})

    def _output_failed(self, loop: asyncio.AbstractEventLoop, out: Output) -> Callable[[str], None]:
        """An output that stopped for good (a recording whose disk filled) raises an ``alert``; the rest go on."""
        def failed(error: str) -> None:  # the output's thread
            loop.call_soon_threadsafe(self._emit, {"type": "alert", "kind": out.alert_kind, "path": out.display,
                                                   "error": error})
        return failed

    def _emit(self, event: Event) -> None:
        if self._held_events is not None:  # not on air yet (_hold)
            self._held_events.append(event)
            return
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:  # a broken listener must not stop the stream
                log.exception("event listener failed on %s", event.get("type"))

    def _encode(self, k: int, rgb: np.ndarray, pcm: np.ndarray) -> None:
        assert self._encoder is not None
        if k == 0:
            self.stats.first_frame_monotonic, self.stats.first_frame_at = time.monotonic(), time.time()
        for tap in self._taps:
            tap(k, rgb, pcm)
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

    def first_frame_late_ms(self) -> float | None:
        """How late frame 0 went out against ``on_air_at`` (positive: late); None without an on-air time."""
        first, on_air = self.stats.first_frame_monotonic, self._pacer.on_air
        return None if first is None or on_air is None else round((first - on_air) * 1000, 1)

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
            "first_frame_at": self.stats.first_frame_at,
            "first_frame_late_ms": self.first_frame_late_ms(),
            "reanchors": self._pacer.reanchors,
            "utterances": self.stats.utterances,
            "tts_failures": self.speaker.failures,
            "tts": self._tts.health(),  # the engine speaking now (a fallback chain's breakers)
            "renderer": self._renderer.health(),
            "product_id": self._product.id if self._product else None,
            "speech_queue": self.speaker.depths,
            "reply_ready_ms_last": round(self.speaker.reply_ready_s[-1] * 1000, 1) if self.speaker.reply_ready_s
            else None,
            "reply_audio_cache": {"hits": self.speaker.cache.hits, "misses": self.speaker.cache.misses,
                                  "held_s": round(self.speaker.cache.samples / SAMPLE_RATE, 1)},
            "outputs": {o.display: {"state": o.stats.state, "sent": o.stats.packets_sent,
                                    "dropped": o.stats.packets_dropped, "connects": o.stats.connects,
                                    "last_error": o.stats.last_error} for o in self._outputs},
        }
