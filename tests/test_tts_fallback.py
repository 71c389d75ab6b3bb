"""FallbackTTS: the next engine speaks the same sentence; breakers make a dead engine free; never switch mid-audio."""

from __future__ import annotations

import logging
import time

import pytest
from tts_helpers import FakeClock, ScriptedTTS, collect

from streamer.errors import EngineError
from streamer.tts.fallback import FallbackTTS

DOWN = EngineError("service unreachable", retryable=True)


async def test_failed_primary_hands_the_same_text_to_the_secondary(caplog: pytest.LogCaptureFixture) -> None:
    primary, secondary = ScriptedTTS("primary", fail=DOWN), ScriptedTTS("secondary")
    chain = FallbackTTS([primary, secondary])
    with caplog.at_level(logging.WARNING):
        pcm, _, _ = await collect(chain, "第一句话。")
    assert primary.calls == ["第一句话。"] and secondary.calls == ["第一句话。"]
    assert pcm.size and chain.last_engine is secondary
    assert "primary failed" in caplog.text and "service unreachable" in caplog.text  # the reason is logged


async def test_slow_primary_is_abandoned_after_the_timeout() -> None:
    primary, secondary = ScriptedTTS("primary", delay_s=60), ScriptedTTS("secondary")
    chain = FallbackTTS([primary, secondary], timeout_s=0.2)
    t0 = time.perf_counter()
    pcm, _, _ = await collect(chain, "hello")
    assert time.perf_counter() - t0 < 10  # the 0.2 s timeout, not the primary's minute: a loose bound for a busy CI
    assert secondary.calls == ["hello"] and pcm.size


async def test_breaker_opens_skips_the_dead_engine_and_half_opens_after_the_cooldown() -> None:
    clock = FakeClock()
    dead, backup = ScriptedTTS("dead", fail=DOWN), ScriptedTTS("backup")
    chain = FallbackTTS([dead, backup], failure_threshold=2, cooldown_s=30, clock=clock)
    for _ in range(5):
        await collect(chain, "hi")
    assert len(dead.calls) == 2 and len(backup.calls) == 5  # open after two failures: not called again

    clock.advance(31)
    await collect(chain, "hi")  # half-open: one trial, it fails, the breaker re-opens
    await collect(chain, "hi")
    assert len(dead.calls) == 3

    dead.fail = None  # the service came back
    clock.advance(31)
    await collect(chain, "hi")
    await collect(chain, "hi")
    assert len(dead.calls) == 5 and chain.last_engine is dead  # the trial succeeded: closed again
    assert len(backup.calls) == 7


async def test_no_switch_after_audio_of_the_sentence_went_out() -> None:
    primary, secondary = ScriptedTTS("primary", fail_after_chunks=1), ScriptedTTS("secondary")
    chain = FallbackTTS([primary, secondary])
    got = []
    with pytest.raises(EngineError, match="after audio went out") as err:
        async for chunk in chain.synthesize("hello"):
            got.append(chunk)
    assert got and secondary.calls == [] and not err.value.retryable


async def test_all_engines_failing_raises_with_every_reason() -> None:
    chain = FallbackTTS([ScriptedTTS("a", fail=DOWN), ScriptedTTS("b", fail=EngineError("b is broken"))])
    with pytest.raises(EngineError, match="a: service unreachable; b: b is broken"):
        await collect(chain, "hello")


async def test_the_last_engine_is_tried_even_when_every_breaker_is_open() -> None:
    clock = FakeClock()
    only = ScriptedTTS("only", fail=DOWN)
    chain = FallbackTTS([only], failure_threshold=1, cooldown_s=60, clock=clock)
    for _ in range(3):
        with pytest.raises(EngineError):
            await collect(chain, "hi")
    assert len(only.calls) == 3  # silence is worse than another try


async def test_an_interrupted_half_open_trial_does_not_leave_the_breaker_stuck() -> None:
    clock = FakeClock()
    flaky, backup = ScriptedTTS("flaky", fail=DOWN), ScriptedTTS("backup")
    chain = FallbackTTS([flaky, backup], failure_threshold=1, cooldown_s=10, clock=clock)
    await collect(chain, "hi")
    flaky.fail = None
    clock.advance(11)
    gen = chain.synthesize("hi")
    await anext(gen)  # the trial speaks, then the listener interrupts
    await gen.aclose()
    await collect(chain, "hi")
    assert len(flaky.calls) == 3
