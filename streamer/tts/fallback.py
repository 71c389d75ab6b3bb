"""A chain of engines that keeps the host talking when one of them is down, slow or broken.

``FallbackTTS([edge, espeak])`` is itself a TTS. For each sentence it tries the engines in order; an engine that
raises, gives no audio within ``timeout_s``, or no audio at all for words, is abandoned and the next one speaks the
*same* sentence. Once audio of a sentence went out the engine is never switched (the listener would hear the start
twice): a later failure, or a stall of ``timeout_s`` between two chunks, raises a non-retryable ``EngineError``.
A caller that plays nothing before the sentence is complete (the speaker) asks for it whole
(``synthesize_whole``): nothing went out yet, so an engine failing part-way is replaced like one failing at once,
and the host is never silent for more than one ``timeout_s`` per engine.

Each engine has a circuit breaker, so a dead engine costs nothing per sentence:

    closed ──(failure_threshold consecutive failures)──► open ──(cooldown_s)──► half-open
      ▲                                                   ▲                        │
      └──────────────(the trial sentence succeeds)────────┼────────────────────────┤
                                                          └──(the trial fails)─────┘

While open the engine is skipped. Half-open lets one sentence through as a trial. The last engine is the last
resort: if every breaker is open it is tried anyway, because a slow voice beats silence. Time comes from an
injectable ``clock`` so tests can run the cool-down in virtual time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass

from streamer.errors import EngineError
from streamer.tts.base import TTS, SpeechChunk

log = logging.getLogger(__name__)

Clock = Callable[[], float]

DEFAULT_TIMEOUT_S = 5.0  # the longest an engine may keep the host waiting for audio


@dataclass(slots=True)
class Breaker:
    """Failure bookkeeping for one engine."""

    failure_threshold: int
    cooldown_s: float
    failures: int = 0  # consecutive
    opened_at: float | None = None
    trial_running: bool = False

    def state(self, now: float) -> str:
        if self.opened_at is None:
            return "closed"
        return "open" if now - self.opened_at < self.cooldown_s or self.trial_running else "half-open"

    def admits(self, now: float) -> bool:
        return self.state(now) != "open"

    def success(self) -> None:
        self.failures, self.opened_at, self.trial_running = 0, None, False

    def failure(self, now: float) -> None:
        self.failures += 1
        self.trial_running = False
        if self.opened_at is not None or self.failures >= self.failure_threshold:
            self.opened_at = now  # (re)open: a failed half-open trial starts a new cool-down


class FallbackTTS(TTS):
    """Engines in order of preference; see the module docstring for switching and breaker rules."""

    loudness_lufs = None  # each engine already levelled its own audio

    def __init__(
        self,
        engines: Sequence[TTS],
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        failure_threshold: int = 3,
        cooldown_s: float = 60.0,
        clock: Clock = time.monotonic,
    ) -> None:
        if not engines:
            raise ValueError("FallbackTTS needs at least one engine")
        self.engines = list(engines)
        self.name = "fallback(" + ", ".join(e.name for e in self.engines) + ")"
        self.timeout_s = timeout_s
        self.clock = clock
        self.breakers = [Breaker(failure_threshold, cooldown_s) for _ in self.engines]
        self.last_engine: TTS | None = None  # the engine that spoke the last sentence

    async def warmup(self) -> None:
        results = await asyncio.gather(*(e.warmup() for e in self.engines), return_exceptions=True)
        for engine, result in zip(self.engines, results, strict=True):
            if isinstance(result, Exception):
                log.warning("tts %s: warm-up failed: %s", engine.name, result)

    async def aclose(self) -> None:
        await asyncio.gather(*(e.aclose() for e in self.engines), return_exceptions=True)

    def health(self) -> dict[str, object]:
        """The engine that spoke the last sentence (the first, before any did) and each engine's breaker."""
        now = self.clock()
        return {"engine": (self.last_engine or self.engines[0]).name,
                "breakers": {e.name: b.state(now) for e, b in zip(self.engines, self.breakers, strict=True)}}

    def _candidates(self) -> list[int]:
        now = self.clock()
        chosen = [i for i, b in enumerate(self.breakers) if b.admits(now)]
        if not chosen:
            chosen = [len(self.engines) - 1]  # everything is open: the last resort speaks anyway
        return chosen

    def _trial(self, i: int) -> None:
        breaker = self.breakers[i]
        if breaker.state(self.clock()) == "half-open":
            breaker.trial_running = True
            log.info("tts %s: circuit half-open, trying it again", self.engines[i].name)

    async def _next_chunk(self, chunks: AsyncIterator[SpeechChunk], first: bool) -> SpeechChunk:
        """The engine's next chunk; TimeoutError when it gives none within ``timeout_s``."""
        try:
            async with asyncio.timeout(self.timeout_s):
                return await anext(chunks)
        except TimeoutError:
            what = "no audio" if first else "stalled: no audio"
            raise TimeoutError(f"{what} within {self.timeout_s:.1f} s") from None

    async def _synthesize(self, text: str) -> AsyncIterator[SpeechChunk]:
        reasons: list[str] = []
        for i in self._candidates():
            engine, breaker = self.engines[i], self.breakers[i]
            self._trial(i)
            try:
                async with aclosing(engine.synthesize(text)) as chunks:
                    try:
                        first = await self._next_chunk(chunks, first=True)
                    except StopAsyncIteration:
                        if not _speakable(text):  # nothing to say (only punctuation): not a failure
                            breaker.success()
                            self.last_engine = engine
                            return
                        reasons.append(self._failed(i, "no audio for the sentence"))
                        continue
                    except Exception as exc:  # a bug in one engine must not silence the show
                        reasons.append(self._failed(i, _reason(exc)))
                        continue
                    self.last_engine = engine
                    yield first
                    try:
                        while True:
                            try:
                                chunk = await self._next_chunk(chunks, first=False)
                            except StopAsyncIteration:
                                break
                            yield chunk
                    except Exception as exc:
                        self._failed(i, f"failed mid-sentence: {_reason(exc)}")
                        raise EngineError(f"{engine.name} failed after audio went out: {_reason(exc)}",
                                          retryable=False) from exc
                    breaker.success()
                    return
            finally:
                breaker.trial_running = False  # an interrupted trial must not leave the breaker stuck open
        raise EngineError("every TTS engine failed: " + "; ".join(reasons), retryable=True)

    async def synthesize_whole(self, text: str) -> list[SpeechChunk]:
        reasons: list[str] = []
        for i in self._candidates():
            engine, breaker = self.engines[i], self.breakers[i]
            self._trial(i)
            try:
                got: list[SpeechChunk] = []
                async with aclosing(engine.synthesize(text)) as chunks:
                    while True:
                        try:
                            got.append(await self._next_chunk(chunks, first=not got))
                        except StopAsyncIteration:
                            break
                if not got and _speakable(text):
                    reasons.append(self._failed(i, "no audio for the sentence"))
                    continue
            except Exception as exc:  # part-way or not: none of it was played, the next engine says it all
                reasons.append(self._failed(i, _reason(exc)))
                continue
            finally:
                breaker.trial_running = False
            breaker.success()
            self.last_engine = engine
            return got
        raise EngineError("every TTS engine failed: " + "; ".join(reasons), retryable=True)

    def _failed(self, i: int, reason: str) -> str:
        """Count a failure of engine ``i``; returns "name: reason" for the error that lists every engine's."""
        name = self.engines[i].name
        reason = reason.removeprefix(f"{name}: ")  # engine errors already start with the engine's name
        breaker = self.breakers[i]
        breaker.failure(self.clock())
        was_open = breaker.opened_at is not None
        log.warning(
            "tts %s failed (%d in a row): %s%s", name, breaker.failures, reason,
            f"; circuit open for {breaker.cooldown_s:.0f} s" if was_open else "",
        )
        return f"{name}: {reason}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, EngineError | TimeoutError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _speakable(text: str) -> bool:
    """Whether ``text`` has anything a voice would say (letters or digits, any script)."""
    return any(c.isalnum() for c in text)
