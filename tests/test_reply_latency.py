"""What keeps a reply fast without making it sound worse: a long first sentence is voiced clause first, the rest
follows without a breath and the script never slips in between, an answer asked again is not voiced again, a reply
waiting when a script sentence ends does not wait for the breath, and the ready figure is the first piece's.
Real espeak-ng speaks; one engine wraps it with a gate so a test decides when a sentence's synthesis finishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
from test_speech_scheduling import SCRIPT, make_session, starts

from streamer.planner import ScriptLine
from streamer.session import Session
from streamer.speech.audio_cache import AudioCache, Voiced
from streamer.speech.clauses import lead_clause
from streamer.speech.playout import PAUSE_S
from streamer.speech.speaker import Request, Speaker
from streamer.tts import create_tts
from streamer.tts.base import SAMPLE_RATE, TTS, SpeechChunk

WAIT_S = 20.0
LONG_REPLY = "On shipping, every order leaves the warehouse within two business days, and delivery is free."


class GatedTTS(TTS):
    """espeak-ng, except that the sentences in ``held`` wait until the test opens ``gate``."""

    def __init__(self, held: set[str]) -> None:
        self.name = "gated-espeak"
        self.loudness_lufs = None  # the wrapped engine levels its own audio
        self._inner = create_tts("espeak:en-us", "en")
        self.held = held
        self.gate = asyncio.Event()
        self.calls: list[str] = []

    async def _synthesize(self, text: str) -> AsyncIterator[SpeechChunk]:
        self.calls.append(text)
        if text in self.held:
            await self.gate.wait()
        async for chunk in self._inner.synthesize(text):
            yield chunk


async def _take(speaker: Speaker) -> Any:
    assert await speaker.wait_ready(WAIT_S)
    return speaker.take_ready()


async def _until(done: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT_S):
        while not done():  # noqa: ASYNC110 - the speaker has no event for "a reply is ready" alone
            await asyncio.sleep(0.01)


def test_a_long_first_sentence_is_cut_after_its_first_clause_keeping_the_mark() -> None:
    assert lead_clause(LONG_REPLY) == ("On shipping,", "every order leaves the warehouse within two business days, "
                                                       "and delivery is free.")
    assert lead_clause("好的亲，这款保温杯今天只要九十九元，买二送一。") == ("好的亲，", "这款保温杯今天只要九十九元，买二送一。")


def test_short_sentences_numbers_and_times_are_voiced_whole() -> None:
    assert lead_clause("Yes, it ships tomorrow.") is None  # short: nothing to gain
    assert lead_clause("It costs 1,000 dollars and the live sale ends at 10:30 tonight.") is None
    assert lead_clause("Yes, the bottle is in stock with three hundred available now.") is None  # "Yes," too short


def test_the_rest_of_a_long_reply_follows_its_first_clause_without_a_breath(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []
    head, rest = lead_clause(LONG_REPLY) or ("", "")

    def react(session: Session, e: dict[str, Any]) -> None:
        if e["type"] == "speech_start" and e["text"] == SCRIPT[1].text:
            session.say(LONG_REPLY, source="reply")

    asyncio.run(make_session(tmp_path, 25, events, react).run())
    assert [t for t in starts(events) if t in (head, rest)] == [head, rest]
    head_end = next(e for e in events if e["type"] == "speech_end" and e["text"] == head)
    rest_start = next(e for e in events if e["type"] == "speech_start" and e["text"] == rest)
    assert head_end["complete"]
    assert rest_start["t"] - head_end["t"] < PAUSE_S  # a clause pause, not the breath between sentences


async def test_the_script_waits_while_the_rest_of_an_answer_on_air_is_being_voiced() -> None:
    head, rest = lead_clause(LONG_REPLY) or ("", "")
    tts = GatedTTS({rest})
    speaker = Speaker(tts, iter(SCRIPT))
    run = asyncio.create_task(speaker.run())
    try:
        assert (await _take(speaker)).text == SCRIPT[0].text  # on air; the speaker voices the next line ahead
        await _until(lambda: speaker.depths["ready"] > 0)
        speaker.request(Request(head, "reply", breath=False))
        speaker.request(Request(rest, "reply", lead=False))
        await _until(speaker.reply_ready)
        assert (await _take(speaker)).text == head
        await asyncio.sleep(0.3)
        assert speaker.take_ready() is None  # a script sentence is ready, but the answer is not finished
        tts.gate.set()
        assert (await _take(speaker)).text == rest
        assert (await _take(speaker)).text == SCRIPT[1].text
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)


async def test_an_answer_asked_again_is_not_voiced_again() -> None:
    tts = GatedTTS(set())
    speaker = Speaker(tts, iter(SCRIPT))
    speaker.pause()
    run = asyncio.create_task(speaker.run())
    try:
        speaker.request(Request("It is nine dollars today.", "reply"))
        first = await _take(speaker)
        speaker.request(Request("It is nine dollars today.", "reply"))
        again = await _take(speaker)
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
    assert tts.calls == ["It is nine dollars today."]
    assert np.array_equal(first.pcm, again.pcm) and again.pauses == first.pauses


def test_the_audio_cache_keeps_the_most_recently_used_within_its_bound() -> None:
    cache = AudioCache(max_s=2.0)

    def second() -> Voiced:
        return Voiced(np.zeros(SAMPLE_RATE, np.float32), (), ())

    cache.put("v", "a", second())
    cache.put("v", "b", second())
    assert cache.get("v", "a") is not None  # a is now the most recent
    cache.put("v", "c", second())
    assert cache.get("v", "b") is None
    assert cache.get("v", "a") is not None and cache.get("v", "c") is not None
    assert cache.get("other voice", "a") is None
    assert cache.samples <= 2 * SAMPLE_RATE


def test_a_reply_waiting_when_a_script_sentence_ends_starts_without_the_breath(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []

    def react(session: Session, e: dict[str, Any]) -> None:
        if e["type"] == "speech_start" and e["text"] == SCRIPT[1].text:
            session.say("Yes, it ships tomorrow.", source="reply")

    asyncio.run(make_session(tmp_path, 15, events, react).run())
    line_end = next(e for e in events if e["type"] == "speech_end" and e["text"] == SCRIPT[1].text)
    reply = next(e for e in events if e["type"] == "speech_start" and e["source"] == "reply")
    assert line_end["complete"]  # no pause to cut in at: it waited for the end
    assert 0 <= reply["t"] - line_end["t"] < PAUSE_S


async def test_the_ready_figure_is_the_first_piece_of_a_reply_not_its_last_sentence() -> None:
    speaker = Speaker(GatedTTS(set()), iter([ScriptLine("Unused.", None, "point")]))
    speaker.pause()
    run = asyncio.create_task(speaker.run())
    try:
        speaker.request(Request("It is nine dollars.", "reply"))
        speaker.request(Request("Tap link two to buy it.", "reply", lead=False))
        await _take(speaker)
        await _take(speaker)
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
    assert len(speaker.reply_ready_s) == 1
