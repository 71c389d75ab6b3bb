"""The speaker decides what the host says next and synthesizes it just ahead of the playout.

Requests come in three kinds: operator ``say`` lines and viewer replies (both jump the queue) and the script (one
sentence of look-ahead). A request arriving while a script sentence is being synthesized cancels that synthesis and
puts the line back, so a reply never waits for script audio nobody has heard yet (a voice that computes in a
thread, such as piper, still finishes the sentence it had begun in the background). A reply is said whole before
the script goes on: while the rest of an answer whose first piece is on air is still being voiced, no script
sentence starts. Reply and say audio is kept for answers asked again (``audio_cache``). ``interrupt`` flushes every
stage: the running synthesis, queued replies and ready audio; the script then goes on with its next unsaid line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ..errors import EngineError
from ..planner import ScriptLine
from ..tts.base import SAMPLE_RATE, TTS, Mark
from .audio_cache import AudioCache, Voiced
from .pauses import inner_pauses
from .utterance import Utterance

log = logging.getLogger(__name__)

MAX_PENDING_REQUESTS = 20  # replies beyond this are stale before they could be said
TTS_FAILURE_PAUSE_S = 1.0
PRODUCT_SEEK_LIMIT = 1000  # script lines to skip at most when the operator switches product

PRIORITY = {"script": 0, "reply": 1, "say": 2}
SEGMENT_STARTS = ("intro", "transition", "hook")  # script line kinds that open a product's block


@dataclass(slots=True)
class Request:
    text: str
    source: str = "reply"  # reply | say
    urgent: bool = False  # cut in now instead of waiting for the current sentence to end
    product_id: str | None = None
    cue: str | None = None
    created: float = field(default_factory=time.monotonic)  # for latency figures
    lead: bool = True  # the first piece of what was asked (later sentences are voiced while it plays)
    breath: bool = True  # False: the next request goes on with the same sentence (speech/clauses.py)
    speech_id: str | None = None  # the say or reply it is part of: its speech events repeat it


class Speaker:
    def __init__(self, tts: TTS, script: Iterator[ScriptLine]) -> None:
        self._tts = tts
        self._script = script
        self._script_back: deque[ScriptLine] = deque()  # lines taken but not said (cancelled or flushed)
        self._requests: deque[Request] = deque(maxlen=MAX_PENDING_REQUESTS)
        self._ready: list[Utterance] = []
        self._wake = asyncio.Event()
        self._ready_event = asyncio.Event()
        self._synth: asyncio.Task[Utterance] | None = None
        self._synth_is_script = False
        self._synth_request: Request | None = None
        self.paused = False
        self._script_done = False
        self._script_epoch = 0  # bumped when the script is replaced
        self._discard: Request | None = None  # a reply dropped while it was being voiced
        self.failures = 0
        self.reply_ready_s: deque[float] = deque(maxlen=200)  # request -> first piece ready, replies and say lines
        self.cache = AudioCache()
        self._answering = False  # the first piece of an answer is on air and its rest is not yet

    # --- commands ------------------------------------------------------------------------------------------
    def request(self, req: Request) -> None:
        self._requests.append(req)
        if self._synth is not None and self._synth_is_script:
            self._synth.cancel()  # the reply goes first; the script line is put back
        self._wake.set()

    def interrupt(self) -> list[str]:
        """Drop everything not yet on air; the script resumes with its next unsaid line. Returns the texts of
        the replies and say lines that were dropped, so whoever asked for them knows they will not be said."""
        dropped = [r.text for r in self._requests] + [u.text for u in self._ready if u.source != "script"]
        if self._synth is not None and not self._synth_is_script and self._synth_request is not None:
            dropped.append(self._synth_request.text)
        self._requests.clear()
        self._answering = False
        if self._synth is not None:
            self._synth.cancel()
        for u in self._ready:
            if u.source == "script" and u.line is not None:
                self._script_back.appendleft(u.line)
        self._ready.clear()
        self._wake.set()
        return dropped

    def pause(self) -> None:
        self.paused = True
        if self._synth is not None and self._synth_is_script:
            self._synth.cancel()
        self._drop_ready_script()

    def resume(self) -> None:
        self.paused = False
        self._wake.set()

    def seek_product(self, product_id: str) -> None:
        """Continue the script where it introduces ``product_id`` (or at its next line about it)."""
        if self._synth is not None and self._synth_is_script:
            self._synth.cancel()
        self._drop_ready_script()
        first: ScriptLine | None = None
        for _ in range(PRODUCT_SEEK_LIMIT):
            line = self._next_line()
            if line is None:
                break
            if line.product_id != product_id:
                continue
            first = first or line
            if line.kind in SEGMENT_STARTS:
                first = line
                break
        if first is not None:
            self._script_back.appendleft(first)
        self._wake.set()

    def replace_script(self, script: Iterator[ScriptLine], *, seek_product: str | None = None,
                       keep: Callable[[str, str | None], bool] = lambda text, product_id: True) -> list[str]:
        """Go on with ``script`` (at ``seek_product``'s block) from the next sentence: every line of the old
        script not yet on air is dropped, ready or being voiced, and so is every queued reply or say line that
        ``keep(text, product_id)`` refuses. Returns the texts of the replies and say lines dropped."""
        self._script_epoch += 1  # a line of the old script that finishes synthesis after this is discarded
        dropped: list[str] = []
        if self._synth is not None:
            req = self._synth_request
            if self._synth_is_script:
                self._synth.cancel()
            elif req is not None and not keep(req.text, req.product_id):
                self._synth.cancel()
                self._discard = req
                dropped.append(req.text)
        kept_requests: deque[Request] = deque(maxlen=MAX_PENDING_REQUESTS)
        for r in self._requests:
            if keep(r.text, r.product_id):
                kept_requests.append(r)
            else:
                dropped.append(r.text)
        kept_ready: list[Utterance] = []
        for u in self._ready:
            if u.source == "script":
                continue
            if keep(u.text, u.product_id):
                kept_ready.append(u)
            else:
                dropped.append(u.text)
        self._requests, self._ready = kept_requests, kept_ready
        self._script_back.clear()
        self._script, self._script_done = script, False
        if seek_product is not None:
            self.seek_product(seek_product)
        self._wake.set()
        return dropped

    # --- for the ticker ------------------------------------------------------------------------------------
    def take_ready(self) -> Utterance | None:
        best = self._best_ready()
        if best is None:
            return None
        utt = self._ready.pop(best)
        if utt.source != "script":
            self._answering = not utt.breath or self._answer_pending()
        self._wake.set()
        return utt

    def next_ready(self) -> Utterance | None:
        """The utterance ``take_ready`` would give now, left in the queue: the render stage looks ahead at it."""
        best = self._best_ready()
        return None if best is None else self._ready[best]

    def _best_ready(self) -> int | None:
        if not self._ready:
            return None
        best = max(range(len(self._ready)), key=lambda i: PRIORITY[self._ready[i].source])
        if self._ready[best].source == "script" and self._holding_script():
            return None  # the rest of the answer is being voiced now: the script waits for it
        return best

    def _answer_pending(self) -> bool:
        synth = self._synth
        return bool(self._requests) or (synth is not None and not synth.done() and not self._synth_is_script)

    def _holding_script(self) -> bool:
        return self._answering and self._answer_pending()

    @property
    def depths(self) -> dict[str, int]:
        """Queue depths for health: requests waiting for synthesis and utterances ready to play."""
        return {"requests": len(self._requests), "ready": len(self._ready)}

    @property
    def idle(self) -> bool:
        """Nothing to say and nothing being synthesized (a finished script, no requests)."""
        return self._script_done and self._synth is None and not self._requests and not self._ready

    def urgent_ready(self) -> bool:
        return any(u.urgent for u in self._ready)

    def reply_ready(self) -> bool:
        return self.ready_reply() is not None

    def ready_reply(self) -> Utterance | None:
        """The reply or say line ready to go next, if any."""
        return next((u for u in self._ready if u.source != "script"), None)

    def say_again(self, utt: Utterance) -> None:
        """Put a script sentence that was cut short back in front of the script's look-ahead."""
        self._drop_ready_script()
        self._ready.append(utt)
        self._ready_event.set()

    async def wait_ready(self, timeout_s: float) -> bool:
        if self.reply_ready() or (self._ready and not self._holding_script()):
            return True
        self._ready_event.clear()
        try:
            await asyncio.wait_for(self._ready_event.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    # --- the loop ------------------------------------------------------------------------------------------
    async def run(self) -> None:
        while True:
            self._wake.clear()
            job = self._next_job()
            if job is None:
                await self._wake.wait()
                continue
            req, line = job
            epoch = self._script_epoch
            self._synth_is_script = line is not None
            self._synth_request = req
            self._synth = asyncio.create_task(self._synthesize(req, line), name="speaker:tts")
            try:
                utt = await self._synth
            except asyncio.CancelledError:
                if line is not None and epoch == self._script_epoch:
                    self._script_back.appendleft(line)
                self._discard = None
                if asyncio.current_task().cancelling():  # type: ignore[union-attr]
                    raise  # we are being shut down, not just pre-empted
                continue
            except EngineError as e:
                self.failures += 1
                log.error("no TTS engine could speak %r: %s", req.text, e)
                self._ready_event.set()  # whoever waits for the rest of an answer need not wait for this one
                await asyncio.sleep(TTS_FAILURE_PAUSE_S)
                continue
            finally:
                self._synth = self._synth_request = None
            if (line is not None and epoch != self._script_epoch) or req is self._discard:
                self._discard = None
                continue  # finished just as the script was replaced, or dropped then: never said
            if line is None and req.lead:
                self.reply_ready_s.append(time.monotonic() - req.created)
            self._ready.append(utt)
            self._ready_event.set()

    def _next_job(self) -> tuple[Request, ScriptLine | None] | None:
        if self._requests:
            return self._requests.popleft(), None
        if self.paused or any(u.source == "script" for u in self._ready):
            return None  # one script sentence of look-ahead is enough
        line = self._next_line()
        if line is None:
            return None
        return Request(line.text, "script", False, line.product_id, line.cue), line

    def _next_line(self) -> ScriptLine | None:
        """The next unsaid script line; None once a finite script has run out (the host then idles)."""
        if self._script_back:
            return self._script_back.popleft()
        line = next(self._script, None)
        self._script_done = line is None
        return line

    def _drop_ready_script(self) -> None:
        for u in [u for u in self._ready if u.source == "script"]:
            self._ready.remove(u)
            if u.line is not None:
                self._script_back.appendleft(u.line)

    async def _synthesize(self, req: Request, line: ScriptLine | None) -> Utterance:
        voiced = self.cache.get(self._voice(), req.text) if line is None else None
        if voiced is None:
            voiced = await self._voiced(req.text)
            if line is None:
                self.cache.put(self._voice(), req.text, voiced)
        return Utterance(req.text, voiced.pcm, voiced.marks, req.product_id, req.cue, req.source, urgent=req.urgent,
                         line=line, requested=req.created, pauses=voiced.pauses, lead=req.lead, breath=req.breath,
                         speech_id=req.speech_id)

    async def _voiced(self, text: str) -> Voiced:
        pieces: list[np.ndarray] = []
        marks: list[Mark] = []
        for chunk in await self._tts.synthesize_whole(text):  # whole: an engine failing part-way can be replaced
            pieces.append(chunk.pcm)
            marks.extend(chunk.marks)
        if not pieces:
            raise EngineError(f"TTS returned no audio for {text!r}")
        pcm = np.concatenate(pieces)
        return Voiced(pcm, tuple(marks), inner_pauses(pcm, SAMPLE_RATE))

    def _voice(self) -> str:
        """The voice speaking now: a fallback chain's engine that spoke last (its cached audio is in that voice)."""
        engine = getattr(self._tts, "last_engine", None)
        return str(getattr(engine, "name", self._tts.name))

    async def aclose(self) -> None:
        if self._synth is not None:
            self._synth.cancel()
            with contextlib.suppress(asyncio.CancelledError, EngineError):
                await self._synth
