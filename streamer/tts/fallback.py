"""A chain of engines that keeps the host talking when one of them is down, slow or broken.

``FallbackTTS([edge, espeak])`` is itself a TTS. For each sentence it tries the engines in order; an engine that
raises, or gives no audio within ``timeout_s``, is abandoned and the next one speaks the *same* sentence. Once audio
of a sentence went out the engine is never switched (the listener would hear the start twice): a later failure
raises a non-retryable ``EngineError``.

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
        timeout_s: float = 5.0,
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

    def _candidates(self) -> list[int]:
        now = self.clock()
        chosen = [i for i, b in enumerate(self.breakers) if b.admits(now)]
        if not chosen:
            chosen = [len(self.engines) - 1]  # everything is open: the last resort speaks anyway
        return chosen

    async def _synthesize(self, text: str) -> AsyncIterator[SpeechChunk]:
        reasons: list[str] = []
        for i in self._candidates():
            engine, breaker = self.engines[i], self.breakers[i]
            if breaker.state(self.clock()) == "half-open":
                breaker.trial_running = True
                log.info("tts %s: circuit half-open, trying it again", engine.name)
            try:
                async with aclosing(engine.synthesize(text)) as chunks:
                    try:
                        async with asyncio.timeout(self.timeout_s):
                            first = await anext(chunks)
                    except StopAsyncIteration:  # nothing to say (e.g. only punctuation): not a failure
                        breaker.success()
                        self.last_engine = engine
                        return
                    except (EngineError, TimeoutError) as exc:
                        reason = f"no audio within {self.timeout_s:.1f} s" if isinstance(exc, TimeoutError) else str(exc)
                        self._failed(i, reason)
                        reasons.append(f"{engine.name}: {reason}")
                        continue
                    except Exception as exc:  # a bug in one engine must not silence the show
                        self._failed(i, f"{type(exc).__name__}: {exc}")
                        reasons.append(f"{engine.name}: {type(exc).__name__}: {exc}")
                        continue
                    self.last_engine = engine
                    yield first
                    try:
                        async for chunk in chunks:
                            yield chunk
                    except Exception as exc:
                        self._failed(i, f"failed mid-sentence: {exc}")
                        raise EngineError(f"{engine.name} failed after audio went out: {exc}", retryable=False) from exc
                    breaker.success()
                    return
            finally:
                breaker.trial_running = False  # an interrupted trial must not leave the breaker stuck open
        raise EngineError("every TTS engine failed: " + "; ".join(reasons), retryable=True)

    def _failed(self, i: int, reason: str) -> None:
        name = self.engines[i].name
        reason = reason.removeprefix(f"{name}: ")  # engine errors already start with the engine's name
        breaker = self.breakers[i]
        breaker.failure(self.clock())
        was_open = breaker.opened_at is not None
        log.warning(
            "tts %s failed (%d in a row): %s%s", name, breaker.failures, reason,
            f"; circuit open for {breaker.cooldown_s:.0f} s" if was_open else "",
        )
