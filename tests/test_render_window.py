"""The render stage looks ahead: the session tells it what is about to play, it prepares the host for a window of
frames in batches before they air, an interrupt drops what it prepared for audio that will not play (the host is
silent at the next frame), and a drawn host shows exactly the pixels it showed when each frame was drawn on its own.
Real espeak-ng speaks in the session tests; the session renders to a real file as fast as possible."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_avatar_photo import draw_portrait, make_pack

from streamer.avatar.host import HostFrame, HostPose
from streamer.avatar.lipsync import REST
from streamer.brief import parse_brief
from streamer.media.encoder import VideoSettings
from streamer.media.outputs import open_output
from streamer.planner import ScriptLine
from streamer.scene import FrameState, SceneRenderer, Speaking, Upcoming, compositor
from streamer.scene.window import LOOK_AHEAD_S
from streamer.session import Session
from streamer.tts import create_tts
from streamer.tts.base import SAMPLE_RATE

FPS = 30
WINDOW = round(LOOK_AHEAD_S * FPS)
BRIEF = parse_brief({"language": "en", "products": [{"id": "a", "name": "Alpha Mug", "price": 9}]})
SCRIPT = [ScriptLine(f"Script line number {n} is about the mug.", "a", None) for n in range(1, 20)]


class SpyHost:
    """The real host, with a record of what it was asked to prepare and to draw, in order: ("prepare", [(frame,
    start_s of the utterance or None)]) and ("draw", frame, start_s or None, mouth)."""

    def __init__(self, host: Any) -> None:
        self._host = host
        self.calls: list[tuple[Any, ...]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._host, name)

    def prepare(self, frames: Sequence[HostFrame]) -> None:
        self.calls.append(("prepare", [(f.index, f.speaking and f.speaking.start_s) for f in frames]))
        self._host.prepare(frames)

    def draw(self, frame: np.ndarray, x: int, y: int, pose: HostPose, clip_bottom: int | None = None) -> None:
        self.calls.append(("draw", pose.index, pose.speaking and pose.speaking.start_s, pose.mouth.copy()))
        self._host.draw(frame, x, y, pose, clip_bottom)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[SpyHost]:
    """Every host a SceneRenderer loads is wrapped in a SpyHost (listed here)."""
    spies: list[SpyHost] = []
    load = compositor.load_host

    def spying(*args: Any, **kw: Any) -> SpyHost:
        spies.append(SpyHost(load(*args, **kw)))
        return spies[-1]

    monkeypatch.setattr(compositor, "load_host", spying)
    return spies


def run_session(tmp_path: Path, seconds: float, react: Any = None, script: Sequence[ScriptLine] = SCRIPT,
                realtime: bool = False) -> list[dict[str, Any]]:
    """A session on real espeak to a real file; ``react(session, event)`` sees every event as it is raised."""
    events: list[dict[str, Any]] = []

    def on_event(e: dict[str, Any]) -> None:
        events.append(e)
        if react:
            react(session, e)

    session = Session(BRIEF, iter(script), create_tts("espeak:en-us", "en"), SceneRenderer(BRIEF, (320, 180), FPS),
                      [open_output(str(tmp_path / "s.mkv"))], VideoSettings(320, 180, FPS, 300_000, "ultrafast"),
                      realtime=realtime, duration_s=seconds, on_event=on_event)
    asyncio.run(session.run())
    return events


def prepared_ahead(host: SpyHost, start_s: float, frames: int) -> bool:
    """Whether the utterance starting at ``start_s`` was in a prepared window before the frame ``frames`` ahead of
    its first one was drawn."""
    first_frame = round(start_s * FPS)
    draws = {c[1]: n for n, c in enumerate(host.calls) if c[0] == "draw"}
    announced = next(n for n, c in enumerate(host.calls) if c[0] == "prepare" and (first_frame, start_s) in c[1])
    return announced < draws[first_frame - frames]


def test_an_utterances_frames_are_prepared_in_a_batch_before_it_goes_on_air(tmp_path: Path, spy) -> None:
    events = run_session(tmp_path, 8)
    (host,) = spy
    second = [e for e in events if e["type"] == "speech_start"][1]
    assert prepared_ahead(host, second["t"], 3)  # a few frames before it goes on air, not as it airs
    first_frame = round(second["t"] * FPS)
    draws = {c[1]: n for n, c in enumerate(host.calls) if c[0] == "draw"}
    # by the time the frame before it is drawn, its opening half window is prepared, in batches
    batches = [[f for f, start in c[1] if start == second["t"]] for c in host.calls[:draws[first_frame - 1]]
               if c[0] == "prepare"]
    batches = [b for b in batches if b]
    ready = set().union(*batches)
    assert set(range(first_frame, first_frame + WINDOW // 2)) <= ready
    assert len(batches) < len(ready) and max(map(len, batches)) > 1
    drawn = [c for c in host.calls if c[0] == "draw"]
    assert [c[1] for c in drawn] == list(range(8 * FPS))  # every frame drawn once, in order
    prepares = sum(c[0] == "prepare" for c in host.calls)
    assert prepares < len(drawn) / 3  # in batches, not frame by frame
    assert all(len(c[1]) == WINDOW for c in host.calls if c[0] == "prepare")


def test_an_interrupt_drops_the_prepared_frames_and_the_host_is_silent_at_the_next_frame(tmp_path: Path,
                                                                                        spy) -> None:
    def react(session: Session, e: dict[str, Any]) -> None:
        if e["type"] == "speech_start" and e["text"] == SCRIPT[1].text:
            session.interrupt()

    events = run_session(tmp_path, 6, react)
    (host,) = spy
    cut = next(e for e in events if e["type"] == "speech_end" and e["text"] == SCRIPT[1].text)
    start = next(e["t"] for e in events if e["type"] == "speech_start" and e["text"] == SCRIPT[1].text)
    silent_from = round(cut["t"] * FPS)  # the first frame after the interrupt
    assert not cut["complete"] and silent_from == round(start * FPS) + 1
    at = next(n for n, c in enumerate(host.calls) if c[0] == "draw" and c[1] == silent_from)
    redo = host.calls[at - 1]
    before = max(n for n in range(at - 1) if host.calls[n][0] == "prepare")
    # the window had frames of the sentence prepared well past the interrupt...
    assert any(f > silent_from + 3 and s == start for f, s in host.calls[before][1])
    # ...and is prepared again, right before the frame of the interrupt is drawn: none of it is the cut sentence's
    assert redo[0] == "prepare" and redo[1][0][0] == silent_from
    assert all(s != start for _, s in redo[1])
    drawn = {c[1]: c for c in host.calls[at:] if c[0] == "draw"}
    assert drawn[silent_from][2] is None and np.array_equal(drawn[silent_from][3], REST)  # silent at once
    assert all(c[2] != start for c in drawn.values())
    assert all(s != start for c in host.calls[at:] if c[0] == "prepare" for _, s in c[1])


def voice(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * 180 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)


A = Speaking("hello there friends", 0.2, voice(1.5), (), "present")  # frames 6..50, but cut short at frame 30
B = Speaking("second one", 1.2, voice(0.5), ())  # frames 36..50


def on_air(k: int) -> Speaking | None:
    t = k / FPS
    return A if 0.2 <= t < 1.0 else B if 1.2 <= t < 1.7 else None


def upcoming(k: int) -> Upcoming:
    """What a session would announce at frame k: A until it is cut (as if it played to its end), then B."""
    ahead = [(round(A.start_s * SAMPLE_RATE), A)] if k < 30 else []
    return Upcoming(k, (*ahead, (round(B.start_s * SAMPLE_RATE), B)))


@pytest.mark.parametrize("avatar", ["default", "leo", "photo"])
def test_a_drawn_host_paints_the_same_pixels_with_or_without_the_look_ahead(avatar: str, tmp_path: Path) -> None:
    pack = str(make_pack(tmp_path / "photo", draw_portrait(), None)) if avatar == "photo" else avatar
    plain = SceneRenderer(BRIEF, (320, 180), FPS, avatar=pack, live=False)
    ahead = SceneRenderer(BRIEF, (320, 180), FPS, avatar=pack, live=False)

    async def frames() -> list[np.ndarray]:
        out = []
        for k in range(60):
            await ahead.prepare(upcoming(k))
            out.append(ahead.render(FrameState(k, k / FPS, on_air(k), BRIEF.products[0])))
        return out

    prepared = asyncio.run(frames())
    alone = [plain.render(FrameState(k, k / FPS, on_air(k), BRIEF.products[0])) for k in range(60)]
    assert len({f.tobytes() for f in alone[6:30]}) > 10  # the mouth moves: there is something to compare
    for k, (a, b) in enumerate(zip(prepared, alone, strict=True)):
        assert np.array_equal(a, b), f"frame {k} differs"


def test_a_reply_after_a_script_sentence_is_prepared_for_the_frame_it_will_start_on(tmp_path: Path, spy) -> None:
    # one-word sentences have no pause for a reply to take: however long the voice takes to make the reply, it waits
    # for the end of the sentence on air and starts right after it, without the breath
    words = ["Mugs.", "Cups.", "Tea.", "Milk.", "Jam.", "Bread.", "Honey.", "Toast."]
    script = [ScriptLine("Welcome to the show, everyone.", "a", None),
              *(ScriptLine(w, "a", None) for _ in range(4) for w in words)]

    def react(session: Session, e: dict[str, Any]) -> None:
        if e["type"] == "speech_start" and e["text"] == "Mugs.":
            session.say("Yes, it ships today.", source="reply")

    events = run_session(tmp_path, 8, react, script, realtime=True)
    (host,) = spy
    reply = next(e for e in events if e["type"] == "speech_start" and e["source"] == "reply")
    before = [e for e in events if e["type"] == "speech_end" and e["t"] <= reply["t"]][-1]
    assert before["source"] == "script" and before["text"] in words
    assert before["complete"] and reply["t"] - before["t"] < 1 / FPS  # no breath before a reply
    assert prepared_ahead(host, reply["t"], 3)


def test_a_reply_taking_a_pause_of_a_script_sentence_is_prepared_for_the_frame_it_cuts_in_on(tmp_path: Path,
                                                                                              spy) -> None:
    long = ("This mug keeps tea hot for twelve hours, it fits every cup holder, and it comes in four colours, "
            "so there is one for everybody at home.")
    script = [ScriptLine("Welcome to the show.", "a", None), ScriptLine(long, "a", None), *SCRIPT]

    def react(session: Session, e: dict[str, Any]) -> None:
        if e["type"] == "speech_start" and e["text"] == long:
            session.say("Yes, it ships today.", source="reply")

    events = run_session(tmp_path, 8, react, script, realtime=True)
    (host,) = spy
    reply = next(e for e in events if e["type"] == "speech_start" and e["source"] == "reply")
    cut = next(e for e in events if e["type"] == "speech_end" and e["text"] == long)
    assert not cut["complete"] and abs(cut["t"] - reply["t"]) < 1 / FPS  # it took a pause inside the sentence
    assert prepared_ahead(host, reply["t"], 3)  # its first faces were asked for before the sentence was cut
