"""Speech scheduling measured on the session's output timeline: replies wait for the sentence on air (or cut in
when urgent), interrupts silence the host at the next frame, and the script resumes at its next unsaid line.
Real espeak-ng speaks; the session renders to a real file as fast as possible."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import numpy as np

from streamer.brief import parse_brief
from streamer.media.encoder import VideoSettings
from streamer.media.outputs import open_output
from streamer.planner import ScriptLine
from streamer.scene import SceneRenderer
from streamer.session import Session
from streamer.tts import create_tts

BRIEF = parse_brief({"language": "en", "products": [
    {"id": "a", "name": "Alpha Mug", "price": 9},
    {"id": "b", "name": "Beta Lamp", "price": 30},
]})
SCRIPT = [ScriptLine(f"Script line number {n} is about the {'mug' if n % 2 else 'lamp'}.", "a" if n % 2 else "b",
                     "point") for n in range(1, 40)]


def make_session(tmp_path: Path, seconds: float, events: list[dict[str, Any]],
                 react: Any = None, pcm: list[np.ndarray] | None = None, realtime: bool = False) -> Session:
    def on_event(e: dict[str, Any]) -> None:
        events.append(e)
        if react:
            react(session, e)

    taps = [lambda k, rgb, a: pcm.append(a.copy())] if pcm is not None else []
    session = Session(BRIEF, iter(SCRIPT), create_tts("espeak:en-us", "en"),
                      SceneRenderer(BRIEF, (320, 180), 30), [open_output(str(tmp_path / "s.mkv"))],
                      VideoSettings(320, 180, 30, 300_000, "ultrafast"), realtime=realtime, duration_s=seconds,
                      on_event=on_event, taps=taps)
    return session


def starts(events: list[dict[str, Any]]) -> list[str]:
    return [e["text"] for e in events if e["type"] == "speech_start"]


def test_a_reply_waits_for_the_sentence_on_air_then_the_script_resumes_where_it_left_off(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []

    def react(session: Session, e: dict[str, Any]) -> None:
        if e["type"] == "speech_start" and e["text"] == SCRIPT[1].text:
            session.say("Yes, it ships tomorrow.", source="reply")

    asyncio.run(make_session(tmp_path, 20, events, react).run())
    said = starts(events)
    assert said[:5] == [SCRIPT[0].text, SCRIPT[1].text, "Yes, it ships tomorrow.", SCRIPT[2].text, SCRIPT[3].text]
    ends = {e["text"]: e for e in events if e["type"] == "speech_end"}
    assert ends[SCRIPT[1].text]["complete"]  # the sentence on air was finished, not cut


def test_an_urgent_reply_cuts_in_at_the_next_frame(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []

    def react(session: Session, e: dict[str, Any]) -> None:
        if e["type"] == "speech_start" and e["text"] == SCRIPT[1].text:
            session.say("Sorry to cut in: stock is low!", urgent=True, source="reply")

    asyncio.run(make_session(tmp_path, 15, events, react).run())
    cut = next(e for e in events if e["type"] == "speech_end" and e["text"] == SCRIPT[1].text)
    reply = next(e for e in events if e["type"] == "speech_start" and e["source"] == "reply")
    assert not cut["complete"]
    assert 0 <= reply["t"] - cut["t"] <= 1 / 30 + 1e-9
    assert starts(events)[:4] == [SCRIPT[0].text, SCRIPT[1].text, "Sorry to cut in: stock is low!", SCRIPT[2].text]


def test_interrupt_silences_the_host_at_the_next_frame_and_records_only_what_was_played(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []
    pcm: list[np.ndarray] = []

    def react(session: Session, e: dict[str, Any]) -> None:
        if e["type"] == "speech_start" and e["text"] == SCRIPT[2].text:
            session.say("A reply that will be flushed.", source="reply")
            session.interrupt()

    asyncio.run(make_session(tmp_path, 15, events, react, pcm).run())
    cut = next(e for e in events if e["type"] == "speech_end" and e["text"] == SCRIPT[2].text)
    assert not cut["complete"] and cut["played_s"] <= 1 / 30 + 1e-9
    frame = round(cut["t"] * 30)
    assert not np.concatenate(pcm[frame: frame + 7]).any()  # silence from the next frame on
    said = starts(events)
    assert "A reply that will be flushed." not in said
    assert said[3] == SCRIPT[3].text  # the script goes on with its next unsaid line


def test_paused_script_leaves_the_host_idle_until_resumed(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []

    def react(session: Session, e: dict[str, Any]) -> None:
        if e["type"] == "speech_start" and e["text"] == SCRIPT[0].text:
            session.pause_script()
            asyncio.get_running_loop().call_later(3.5, session.resume_script)

    # paced in real time: pausing is about wall time an operator waits
    asyncio.run(make_session(tmp_path, 6, events, react, realtime=True).run())
    said = starts(events)
    assert said[:2] == [SCRIPT[0].text, SCRIPT[1].text]
    first_end = next(e for e in events if e["type"] == "speech_end")["t"]
    second_start = [e for e in events if e["type"] == "speech_start"][1]["t"]
    assert second_start - first_end > 0.6  # idled while paused instead of going straight on after a breath


def test_switching_product_moves_the_card_and_the_script(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []

    def react(session: Session, e: dict[str, Any]) -> None:
        if e["type"] == "speech_start" and e["text"] == SCRIPT[0].text:
            session.switch_product("b")

    asyncio.run(make_session(tmp_path, 12, events, react).run())
    assert {"type": "product", "product_id": "b"} in events
    nxt = [e for e in events if e["type"] == "speech_start"][1]
    assert nxt["product_id"] == "b"
    assert list(itertools.islice((e["product_id"] for e in events if e["type"] == "speech_start"), 1, 2)) == ["b"]


def test_a_waiting_reply_takes_the_next_clause_pause_and_the_cut_sentence_is_said_again(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []
    asked: list[bool] = []
    long_line = ScriptLine("First we talk about the lid, then the handle, and after that the price, "
                           "which is nine dollars today.", "a", "point")
    script = iter([SCRIPT[0], long_line, *SCRIPT[2:]])

    def react(session: Session, e: dict[str, Any]) -> None:
        if e["type"] == "speech_start" and e["text"] == long_line.text and not asked:
            asked.append(True)
            session.say("It holds half a litre.", source="reply")

    session = make_session(tmp_path, 20, events, react)
    session.speaker._script = script
    asyncio.run(session.run())
    start = next(e for e in events if e["type"] == "speech_start" and e["text"] == long_line.text)
    cut = next(e for e in events if e["type"] == "speech_end" and e["text"] == long_line.text)
    assert not cut["complete"] and cut["t"] - start["t"] < 3.0  # cut at a clause pause, not at the end
    said = starts(events)
    assert said[1:5] == [long_line.text, "It holds half a litre.", long_line.text, SCRIPT[2].text]


def test_switching_to_a_sold_out_product_shows_its_card_and_the_talk_goes_on(tmp_path: Path) -> None:
    brief = parse_brief({"language": "en", "products": [
        {"id": "a", "name": "Alpha Mug", "price": 9, "stock": 5},
        {"id": "b", "name": "Beta Lamp", "price": 30, "stock": 0}]})
    read: list[int] = []

    def script() -> Any:  # the planner has no block for a sold-out product while another sells
        for n in itertools.count(1):
            read.append(n)
            yield ScriptLine(f"Script line number {n} is about the mug.", "a", "point")

    events: list[dict[str, Any]] = []
    session: Session

    def on_event(e: dict[str, Any]) -> None:
        events.append(e)
        if e["type"] == "speech_start" and e["text"].startswith("Script line number 1 "):
            session.switch_product("b")

    session = Session(brief, script(), create_tts("espeak:en-us", "en"), SceneRenderer(brief, (320, 180), 30),
                      [open_output(str(tmp_path / "s.mkv"))], VideoSettings(320, 180, 30, 300_000, "ultrafast"),
                      realtime=False, duration_s=8, on_event=on_event)
    asyncio.run(session.run())
    assert {"type": "product", "product_id": "b"} in events  # the card shows what the operator picked
    said = [e["text"] for e in events if e["type"] == "speech_start"]
    assert said[1].startswith("Script line number 2 ")  # the talk goes on where it was, nothing skipped
    assert len(read) < 20  # the script was not read ahead in search of a block that does not exist
