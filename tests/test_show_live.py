"""The all-day show on the product path, in-process: the show carries on its loop after new facts, the room's
joins, gifts and questions reach the next block, the clock a live show starts at, and the written-block cache
(stored per stream, product and facts; blocks for other facts are never queued)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_control_support import BRIEF

from streamer.brief import parse_brief
from streamer.cli import main
from streamer.control import ServiceSettings
from streamer.control.controller import Controller
from streamer.control.recorder import ops_for
from streamer.control.storage import Store, open_database
from streamer.control.supervisor import WorkerSpec
from streamer.llm.openai_compat import OpenAIChat
from streamer.planner import RoomPulse, Show, TemplatePlanner
from streamer.planner.prepare import prepare
from streamer.planner.rundown import Segment, SegmentKind
from streamer.planner.script import ScriptLine
from streamer.planner.timing import show_start
from streamer.planner.writer import WriterPlanner, WrittenBlock, facts_key
from streamer.replies import CommentHandler
from streamer.session_builder import SessionSettings, assemble

LAMP = parse_brief(BRIEF, "test")
NIGHT = ("night owls", "still up", "late night", "getting late", "up late", "late-night")


class Lines:
    """A show read block by block: ``block()`` takes the lines up to the first line of another product."""

    def __init__(self, show: Show) -> None:
        self.show = show
        self._next: ScriptLine | None = None

    def line(self) -> ScriptLine:
        line, self._next = self._next or next(self.show), None
        return line

    def block(self) -> list[ScriptLine]:
        out = [self.line()]
        while (line := next(self.show)).product_id == out[0].product_id:
            out.append(line)
        self._next = line
        return out


def with_price(price: float) -> object:
    products = [p.model_copy(update={"price": price}) if p.id == "lamp-2" else p for p in LAMP.products]
    return LAMP.model_copy(update={"products": products})


def test_after_new_facts_the_show_carries_on_the_loop_at_the_product_on_screen() -> None:
    planner = TemplatePlanner(LAMP, seed=3)
    show = Show(planner)
    on_screen = [next(show) for _ in range(4)]  # the loop opens with the lamp; four of its lines are said
    assert {line.product_id for line in on_screen} == {"lamp-2"}
    planner.update(with_price(22))  # type: ignore[arg-type]
    carried = Show(planner, carry_on="lamp-2")
    lines = Lines(carried)
    lamp = lines.block()
    assert carried.carried_on and {line.product_id for line in lamp} == {"lamp-2"}
    assert lamp[0].kind not in ("welcome", "transition")  # the lamp is on screen already: no opening to it
    assert any("22" in line.text for line in lamp) and not any("24 dollars" in line.text for line in lamp)
    assert lines.line().product_id == "mat-5"  # the rest of the loop, not the lamp again


def test_without_a_block_to_carry_on_from_the_show_starts_a_loop() -> None:
    assert Show(TemplatePlanner(LAMP), carry_on="lamp-2").carried_on is False


ROOM_FAQ = ("just asked", "the chat:", "you asked", "the comments:")  # how a question from the room is brought up
JOINED = ("who just joined", "newcomers", "new faces", "new friends", "joined? welcome")


def texts(block: list[Segment]) -> list[str]:
    return [s.lower() for seg in block for s in seg.sentences]


async def test_a_join_and_a_gift_are_welcomed_and_thanked_by_name_in_the_next_block() -> None:
    planner = TemplatePlanner(LAMP, seed=1)
    blocks = planner.product_blocks()
    next(blocks)
    handler = CommentHandler(LAMP, lambda text: None, lambda event: None, observe=planner.observe)
    handler.offer("j1", {"kind": "enter", "user": "Kim"})
    handler.offer("g1", {"kind": "gift", "user": "Mia", "gift": "rose"})
    reacting = texts(next(blocks))
    assert any(w in line for line in reacting for w in JOINED)
    assert any("mia" in line for line in reacting)


async def test_a_question_brings_the_faq_that_answers_it_forward_in_its_products_next_block() -> None:
    planner = TemplatePlanner(LAMP, seed=1)
    blocks = planner.product_blocks()
    next(blocks)  # the lamp; the mat is next
    handler = CommentHandler(LAMP, lambda text: None, lambda event: None, observe=planner.observe)
    handler.offer("q1", {"text": "does the lamp need batteries?", "user": "Ken"})
    following = [next(blocks) for _ in range(3)]
    room = [(block[0].product_id, line) for block in following for line in texts(block)
            if any(w in line for w in ROOM_FAQ)]
    assert len(room) == 1 and room[0][0] == "lamp-2" and "batteries" in room[0][1]


async def test_a_gift_from_a_contact_handle_is_thanked_without_saying_it() -> None:
    planner = TemplatePlanner(LAMP, seed=1)
    blocks = planner.product_blocks()
    next(blocks)
    CommentHandler(LAMP, lambda text: None, lambda event: None, observe=planner.observe).offer(
        "g1", {"kind": "gift", "user": "wx88123", "gift": "rose"})
    block = next(blocks)
    assert any(seg.kind == SegmentKind.WELCOME and "thank" in " ".join(seg.sentences).lower() for seg in block)
    assert not any("88123" in line for line in texts(block))


async def test_blocked_comments_tell_the_script_nothing() -> None:
    seen: list[RoomPulse] = []
    handler = CommentHandler(LAMP, lambda text: None, lambda event: None, observe=seen.append)
    handler.offer("s1", {"text": "cheap lamps at www.lamps-outlet.com, add v 13800138000", "user": "Bot"})
    assert seen == []


def test_a_live_show_starts_at_the_given_clock_in_the_streams_zone() -> None:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
    start = show_start("Asia/Shanghai", "23:55", now=now)
    assert (start.hour, start.minute, start.utcoffset().total_seconds()) == (23, 55, 8 * 3600)  # type: ignore[union-attr]
    assert show_start("Asia/Shanghai", now=now).hour == 18
    with pytest.raises(ValueError, match="HH:MM"):
        show_start(None, "25:00")


def test_an_assembled_session_started_at_night_speaks_to_the_night_owls(tmp_path: Path) -> None:
    settings = SessionSettings(voice="espeak:en-us", width=320, height=180, fps=15, preset="ultrafast",
                               outputs=[str(tmp_path / "out.mkv")], start=show_start(None, "23:55"))
    lines = Lines(assemble(LAMP, settings).script)
    words = " ".join(line.text for line in lines.block() + lines.block()).lower()
    assert any(w in words for w in NIGHT)


def test_run_refuses_a_start_that_is_not_a_time_of_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    brief = tmp_path / "lamp.json"
    brief.write_text(json.dumps(BRIEF))
    assert main(["run", str(brief), "--out", str(tmp_path / "out.mkv"), "--start", "25:00"]) == 2
    assert "--start" in capsys.readouterr().err


def block_for(planner: WriterPlanner, facts: str) -> WrittenBlock:
    seg = Segment(kind=SegmentKind.INTRO, product_id="lamp-2", sentences=["Meet the Folding Desk Lamp."], est_s=1.5,
                  source="llm")
    return WrittenBlock(product_id="lamp-2", facts=facts, segments=[seg])


def test_stored_blocks_for_other_facts_are_never_queued() -> None:
    planner = WriterPlanner(LAMP, OpenAIChat("http://127.0.0.1:9/v1", "none"))
    lamp = next(p for p in prepare(LAMP)[0] if p.id == "lamp-2")
    assert planner.preload([block_for(planner, facts_key(lamp)), block_for(planner, "written-for-an-old-price")]) == 1
    assert planner.ready("lamp-2") == 1
    planner.update(with_price(22))  # type: ignore[arg-type]
    assert planner.ready("lamp-2") == 0


def test_the_recorder_keeps_the_newest_blocks_per_product_and_facts(tmp_path: Path) -> None:
    store = Store(open_database(f"sqlite:///{tmp_path / 'c.db'}"))
    store.create_stream("s1", "lamp room", BRIEF, {})
    planner = WriterPlanner(LAMP, OpenAIChat("http://127.0.0.1:9/v1", "none"))
    for i, facts in enumerate(["f1"] * 10 + ["f2"]):
        block = block_for(planner, facts).model_copy(update={"segments": [Segment(
            kind=SegmentKind.INTRO, product_id="lamp-2", sentences=[f"Line {i}."], est_s=1, source="llm")]})
        event = {"type": "block_written", "stream": "s1", "run": 1, "at": 1.0 + i, **block.model_dump(mode="json")}
        store.write_batch(ops_for(event))
    kept = store.list_written_blocks("s1")
    assert [(b.facts, b.segments[0]["sentences"][0]) for b in kept] == \
        [("f1", f"Line {i}.") for i in range(2, 10)] + [("f2", "Line 10.")]


class SpecBackend:
    """Takes the worker spec a start sends, and nothing else (the stream never runs)."""

    def __init__(self) -> None:
        self.specs: list[WorkerSpec] = []

    async def start(self, stream_id: str, spec: WorkerSpec, run_id: int | None = None) -> None:
        self.specs.append(spec)

    def state(self, stream_id: str) -> str:
        return "stopped"


async def test_a_stream_starts_with_its_schedules_zone_and_its_stored_blocks(tmp_path: Path) -> None:
    store = Store(open_database(f"sqlite:///{tmp_path / 'c.db'}"))
    store.create_stream("s1", "lamp room", BRIEF, {"size": "320x180"})
    window = store.add_schedule("s1", {"kind": "daily", "tz": "Asia/Shanghai", "start": "20:00", "end": "22:00",
                                       "days": [], "products": [], "rotate_every_s": 600, "enabled": True})
    planner = WriterPlanner(LAMP, OpenAIChat("http://127.0.0.1:9/v1", "none"))
    block = block_for(planner, "f1")
    store.write_batch(ops_for({"type": "block_written", "stream": "s1", "at": 1.0, **block.model_dump(mode="json")}))
    backend = SpecBackend()
    controller = Controller(store, backend, ServiceSettings(data_dir=tmp_path))  # type: ignore[arg-type]
    assert await controller.start("s1", "schedule", schedule_id=window.id)
    spec = backend.specs[-1]
    assert spec.tz == "Asia/Shanghai" and spec.blocks == [block]
