"""LLM blocks written ahead of the show against a local OpenAI-compatible server: each is said once, checked, and
never said after the facts it was written for have changed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from llm_server import ChatServer
from test_planner_llm import BAD, GOOD

from streamer.brief import load_brief
from streamer.llm.openai_compat import OpenAIChat
from streamer.planner.writer import WriterPlanner

MUG = load_brief(Path(__file__).parent / "briefs" / "mug_en.yaml")


def chat(url: str) -> OpenAIChat:
    return OpenAIChat(url, "tiny", retries=0, timeout_s=5)


def llm_loops(planner: WriterPlanner, loops: int) -> list[bool]:
    return [any(seg.source == "llm" for seg in planner.next_loop().segments) for _ in range(loops)]


async def test_each_written_block_is_said_once_then_templates_follow() -> None:
    with ChatServer([GOOD]) as server:
        planner = WriterPlanner(MUG, chat(server.base_url), ahead=2)
        await planner.write_once()
        await planner.write_once()
    assert planner.ready("mug-01") == 2
    assert llm_loops(planner, 4) == [True, True, False, False]


async def test_the_background_writer_keeps_the_queue_full_until_cancelled() -> None:
    with ChatServer([GOOD]) as server:
        planner = WriterPlanner(MUG, chat(server.base_url), ahead=2)
        task = asyncio.create_task(planner.write_ahead(idle_s=0.01), name="llm-writer")
        for _ in range(500):
            if planner.ready("mug-01") == 2:
                break
            await asyncio.sleep(0.01)
        planner.next_loop()
        for _ in range(500):
            if planner.ready("mug-01") == 2 and len(server.requests) == 3:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled() and planner.ready("mug-01") == 2 and len(server.requests) == 3


async def test_fresh_versions_are_asked_for_by_number() -> None:
    with ChatServer([GOOD]) as server:
        planner = WriterPlanner(MUG, chat(server.base_url), ahead=2)
        await planner.write_once()
        await planner.write_once()
    asks = [r["messages"][-1]["content"] for r in server.requests]
    assert "version 1" in asks[0] and "version 2" in asks[1]


async def test_a_block_for_the_old_price_is_never_said() -> None:
    with ChatServer([GOOD]) as server:
        planner = WriterPlanner(MUG, chat(server.base_url), ahead=2)
        await planner.write_once()
    planner.update_product(MUG.products[0].model_copy(update={"price": 16}))
    said = " ".join(planner.plan(2).sentences())
    assert planner.ready("mug-01") == 0 and "16 dollars" in said and "18 dollars" not in said


async def test_a_sold_out_product_gets_no_block_and_no_push() -> None:
    with ChatServer([GOOD]) as server:
        planner = WriterPlanner(MUG, chat(server.base_url))
        await planner.write_once()
        planner.update_product(MUG.products[0].model_copy(update={"stock": 0}))
        written = await planner.write_once()
    kinds = {line.kind for line in planner.plan(2).lines()}
    assert written == 0 and len(server.requests) == 1 and not kinds & {"cta", "price", "urgency", "promo"}


async def test_a_rule_breaking_block_never_reaches_the_queue() -> None:
    with ChatServer([BAD]) as server:
        planner = WriterPlanner(MUG, chat(server.base_url), max_attempts=2)
        await planner.write_once()
    assert planner.ready("mug-01") == 0 and "Only 5 left, the best deal ever!" not in planner.plan(2).sentences()


async def test_a_dead_model_leaves_the_template_show_running(refused_llm_url: str) -> None:
    planner = WriterPlanner(MUG, chat(refused_llm_url))
    task = asyncio.create_task(planner.write_ahead(idle_s=0.01), name="llm-writer")
    await asyncio.sleep(0.2)
    rundown = planner.plan(2)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert rundown.planner == "template (llm fallback)" and rundown.sentences()
