"""A brief update inside one session (real TTS, scene and planner, no service): the product card is redrawn with
the new facts from the next frame, what the speaker has queued from the old facts is never said, and a Chinese
show states the new price from the next sentence."""

from __future__ import annotations

import asyncio
from pathlib import Path

from test_control_support import BRIEF

from streamer.brief import Brief, parse_brief
from streamer.control.product_update import updated_brief
from streamer.control.schemas import UpdateProduct
from streamer.planner import ScriptLine
from streamer.responder import Responder
from streamer.scene import FrameState
from streamer.session_builder import SessionSettings, assemble
from streamer.speech.speaker import Request, Speaker
from streamer.tts import create_tts

LAMP = "lamp-2"


def lamp_at(price: float, **facts: object) -> Brief:
    change = UpdateProduct.model_validate({"type": "update_product", "product_id": LAMP, "price": price, **facts})
    return updated_brief(parse_brief(BRIEF).model_dump(mode="json"), change)[1]


async def test_the_card_shows_the_new_price_from_the_next_frame(tmp_path: Path) -> None:
    settings = SessionSettings(width=320, height=180, fps=15, voice="espeak:en-us", outputs=[str(tmp_path / "o.mkv")])
    assembly = assemble(parse_brief(BRIEF), settings)
    session, renderer = assembly.session, assembly.session._renderer  # type: ignore[attr-defined]
    b = renderer.layout.card
    x, y, w, h = int(b.x * 320), int(b.y * 180), int(b.w * 320), int(b.h * 180)

    def card(k: int) -> bytes:  # the host idles (no speech, no captions); nothing else covers the card
        return renderer.render(FrameState(k, k / 15, None, session.product))[y:y + h, x:x + w].tobytes()

    try:
        before = [card(0), card(1)]
        await assembly.update_brief(lamp_at(19, stock=3))
        after = [card(2), card(3)]
    finally:
        renderer.close()
    assert before[0] == before[1] and after[0] == after[1]
    assert before[0] != after[0]
    assert session.product is not None and (session.product.price, session.product.stock) == (19, 3)


async def test_queued_lines_the_new_facts_do_not_back_are_dropped_and_the_new_script_goes_on() -> None:
    old_script = iter([ScriptLine("The lamp is 24 dollars today.", LAMP, "price")] * 50)
    speaker = Speaker(create_tts("espeak:en-us", "en"), old_script)
    speaker.pause()  # nothing is taken from the old script before the update
    speaker.request(Request("The Folding Desk Lamp is 24 dollars today.", "reply", product_id=LAMP))
    speaker.request(Request("The Cork Yoga Mat is 39 dollars, link 5.", "reply", product_id="mat-5"))
    guard = Responder(lamp_at(19)).guard
    new_script = iter([ScriptLine("Now the lamp is 19 dollars.", LAMP, "price")] * 50)

    dropped = speaker.replace_script(new_script, keep=guard.ok)
    speaker.resume()
    run = asyncio.create_task(speaker.run())
    said = []
    try:
        while len(said) < 3:
            assert await speaker.wait_ready(20)
            utt = speaker.take_ready()
            if utt is not None:
                said.append(utt.text)
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        await speaker.aclose()
    assert dropped == ["The Folding Desk Lamp is 24 dollars today."]
    assert said == ["The Cork Yoga Mat is 39 dollars, link 5.", "Now the lamp is 19 dollars.",
                    "Now the lamp is 19 dollars."]


TEA: dict[str, object] = {
    "language": "zh", "room": {"host_name": "阿青"},
    "products": [{"id": "tea-1", "name": "明前龙井茶", "price": 128, "list_price": 168, "stock": 60, "link": 1,
                  "selling_points": ["当季新茶", "手工炒制"]},
                 {"id": "cup-3", "name": "玻璃茶杯", "price": 35, "stock": 20, "link": 3,
                  "selling_points": ["耐热玻璃"]}],
}


async def test_a_chinese_show_states_the_new_price_from_the_next_sentence(tmp_path: Path) -> None:
    settings = SessionSettings(width=320, height=180, fps=15, preset="ultrafast", outputs=[str(tmp_path / "zh.mkv")],
                               duration_s=240)
    before: list[str] = []
    after: list[str] = []
    updated, started, new_price_said = asyncio.Event(), asyncio.Event(), asyncio.Event()

    def on_event(e: dict[str, object]) -> None:
        if e["type"] != "speech_start":
            return
        (after if updated.is_set() else before).append(str(e["text"]))
        if len(before) == 2:
            started.set()
        if sum("99元" in t for t in after) >= 2:
            new_price_said.set()

    assembly = assemble(parse_brief(TEA), settings, on_event=on_event)
    change = UpdateProduct(type="update_product", product_id="tea-1", price=99)

    async def update_then_listen() -> None:
        await started.wait()
        await assembly.update_brief(updated_brief(TEA, change)[1])
        updated.set()
        await new_price_said.wait()
        assembly.session.stop()

    task = asyncio.create_task(update_then_listen())
    await assembly.run()
    task.cancel()  # the show ran its whole length without saying the new price twice: the asserts say why
    await asyncio.gather(task, return_exceptions=True)
    assert [t for t in after if "128" in t] == []
    assert any("168" in t and "99" in t for t in after)  # the anchor line: 日常价168元，今天99元
