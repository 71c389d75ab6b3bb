"""The LLM planner against a local OpenAI-compatible server: validation, regeneration with feedback, fallback, and
claims: a model that writes "1元秒杀" or a price equal to an hour count of the brief never gets a line on air."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from llm_server import ChatServer

from streamer.brief import load_brief
from streamer.claims import ClaimGuard
from streamer.cli import main
from streamer.llm.openai_compat import OpenAIChat
from streamer.planner import Rundown, TemplatePlanner
from streamer.planner.llm import LLMPlanner
from streamer.planner.prepare import prepare
from streamer.planner.prompts import messages
from streamer.planner.validate import check_block, covers

BRIEFS = Path(__file__).parent / "briefs"
MUG = load_brief(BRIEFS / "mug_en.yaml")
FRYER = load_brief(BRIEFS / "airfryer_zh.yaml")

GOOD_SEGMENTS: list[dict[str, Any]] = [
    {"kind": "hook", "sentences": ["Coffee people, this one is for you."]},
    {"kind": "intro", "sentences": ["This is the Ceramic Travel Mug."]},
    {"kind": "point", "sentences": ["It keeps coffee hot for 3 hours."]},
    {"kind": "point", "sentences": ["The splash-proof slider lid stops spills in the car."]},
    {"kind": "point", "sentences": ["It fits under most coffee machines."]},
    {"kind": "price", "sentences": ["Regular price 25 dollars, today 18 dollars."]},
    {"kind": "cta", "sentences": ["Tap link 9 to get yours."]},
]
GOOD = json.dumps({"segments": GOOD_SEGMENTS})
BAD = json.dumps({"segments": [*GOOD_SEGMENTS[:-1],
                               {"kind": "urgency", "sentences": ["Only 5 left, the best deal ever!"]},
                               {"kind": "cta", "sentences": ["Tap link 9 to get yours."]}]})


def chat(server: ChatServer) -> OpenAIChat:
    return OpenAIChat(server.base_url, "tiny", retries=0, timeout_s=5)


async def test_a_valid_answer_becomes_the_product_block() -> None:
    with ChatServer([GOOD]) as server:
        rundown = await LLMPlanner(MUG, chat(server), variants=1).aplan(loops=1)
    said = rundown.sentences()
    assert rundown.planner == "llm" and "Tap link 9 to get yours." in said
    assert [s.source for s in rundown.loops[0].segments].count("llm") == len(GOOD_SEGMENTS)
    assert len(server.requests) == 1


async def test_llm_segments_get_the_scene_cues() -> None:
    with ChatServer([GOOD]) as server:
        rundown = await LLMPlanner(MUG, chat(server), variants=1).aplan(loops=1)
    cues = {seg.kind.value: seg.cue for seg in rundown.loops[0].segments if seg.source == "llm"}
    assert cues["intro"] == "present" and cues["cta"] == "point_cart"


async def test_a_rule_breaking_answer_is_sent_back_with_the_problems() -> None:
    with ChatServer([BAD, GOOD]) as server:
        rundown = await LLMPlanner(MUG, chat(server), variants=1).aplan(loops=1)
    assert len(server.requests) == 2
    retry = server.requests[1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": BAD}
    assert "the best" in retry[-1]["content"] and 'says "5"' in retry[-1]["content"]
    assert "Only 5 left, the best deal ever!" not in rundown.sentences()


async def test_streaming_answers_are_validated_the_same_way() -> None:
    with ChatServer([BAD, GOOD]) as server:
        rundown = await LLMPlanner(MUG, chat(server), variants=1, stream=True).aplan(loops=1)
    assert all(r["stream"] for r in server.requests) and len(server.requests) == 2
    assert rundown.planner == "llm"


async def test_an_answer_that_never_passes_falls_back_to_templates() -> None:
    with ChatServer([BAD]) as server:
        planner = LLMPlanner(MUG, chat(server), variants=1, max_attempts=3)
        rundown = await planner.aplan(loops=1)
    assert len(server.requests) == 3
    assert rundown.planner == "template (llm fallback)" and "still invalid after 3 attempts" in rundown.notes[0]
    assert all(seg.source == "template" for seg in rundown.loops[0].segments)


async def test_an_unreachable_model_gives_the_template_show(refused_llm_url: str) -> None:
    planner = LLMPlanner(MUG, OpenAIChat(refused_llm_url, "tiny", retries=0, timeout_s=2), seed=4)
    rundown = await planner.aplan(loops=2)
    assert "LLM unavailable" in rundown.notes[0]
    assert rundown.sentences() == TemplatePlanner(MUG, seed=4).plan(2).sentences()


async def test_every_line_of_an_llm_show_passes_the_claim_guard() -> None:
    with ChatServer([GOOD]) as server:
        rundown = await LLMPlanner(MUG, chat(server), variants=1).aplan(loops=4)
    guard = ClaimGuard(MUG)
    assert [line.text for line in rundown.lines() if not guard.ok(line.text, line.product_id)] == []


async def test_llm_versions_alternate_with_template_loops() -> None:
    with ChatServer([GOOD]) as server:
        rundown = await LLMPlanner(MUG, chat(server), variants=1).aplan(loops=3)
    sources = [{seg.source for seg in loop.segments} for loop in rundown.loops]
    assert sources == [{"template", "llm"}, {"template"}, {"template", "llm"}]


def test_not_json_is_reported() -> None:
    (sp,), _ = prepare(MUG)
    assert check_block("Sure! Here is your script.", MUG, sp).problems == ["the answer is not valid JSON"]


def test_missing_facts_are_each_reported() -> None:
    (sp,), _ = prepare(MUG)
    block = json.dumps({"segments": [GOOD_SEGMENTS[1], {"kind": "cta", "sentences": ["Tap the cart."]}]})
    problems = " | ".join(check_block(block, MUG, sp).problems)
    for expected in ("price is never stated", "link number 9", "keeps coffee hot for 3 hours",
                     "splash-proof slider lid"):
        assert expected in problems


def test_code_fences_around_the_json_are_tolerated() -> None:
    (sp,), _ = prepare(MUG)
    assert check_block(f"```json\n{GOOD}\n```", MUG, sp).ok


def test_chinese_block_is_checked_with_chinese_feedback() -> None:
    sp = prepare(FRYER)[0][0]
    block = json.dumps({"segments": [{"kind": "intro", "sentences": ["这是最好用的可视空气炸锅。"]}]},
                       ensure_ascii=False)
    problems = check_block(block, FRYER, sp).problems
    assert any("违规用语「最好」" in p for p in problems) and any("7号链接" in p for p in problems)


def test_coverage_needs_the_numbers_of_a_point() -> None:
    assert covers("keeps coffee hot for 3 hours", "It keeps your coffee hot for 3 hours.", "en")
    assert not covers("keeps coffee hot for 3 hours", "It keeps your coffee hot for hours.", "en")
    assert covers("30分钟定时自动断电", "它有30分钟定时，到点自动断电。", "zh")


def test_prompt_holds_the_facts_but_never_a_dropped_claim() -> None:
    kitchen = load_brief(BRIEFS / "kitchen_en.yaml")
    products, _ = prepare(kitchen)
    prompt = " ".join(m.content for m in messages(kitchen, products[0], 0))
    assert "Pro Glass Blender" in prompt and "89 dollars" in prompt and "dishwasher-safe glass jar" in prompt
    assert "cures back pain" not in prompt and "best blender in the world" not in prompt


def test_prompt_is_in_the_brief_language() -> None:
    sp = prepare(FRYER)[0][0]
    system, user = messages(FRYER, sp, 1)
    assert "数字人主播阿杰" in system.content and "第2个版本" in user.content and "299元" in user.content


# --- claims in LLM blocks, through `streamer plan --llm` ---------------------------------------------------------

CREAM_PATH = BRIEFS / "claims" / "cream_zh.yaml"  # price 129, 48小时内发货, stock 50, a 50ml jar
CREAM_SEGMENTS: list[dict[str, Any]] = [
    {"kind": "hook", "sentences": ["护肤的朋友看过来。"]},
    {"kind": "intro", "sentences": ["这是玻尿酸保湿面霜。"]},
    {"kind": "point", "sentences": ["一瓶50ml，早晚都能用。"]},
    {"kind": "point", "sentences": ["质地清爽不黏腻。"]},
    {"kind": "price", "sentences": ["日常价199元，今天129元。"]},
    {"kind": "cta", "sentences": ["拍4号链接。"]},
]
CREAM_GOOD = json.dumps({"segments": CREAM_SEGMENTS}, ensure_ascii=False)


def cream_with(line: str) -> str:
    segments = [*CREAM_SEGMENTS[:5], {"kind": "price", "sentences": [line]}, CREAM_SEGMENTS[5]]
    return json.dumps({"segments": segments}, ensure_ascii=False)


def plan_llm(server: ChatServer, capsys: pytest.CaptureFixture[str]) -> Rundown:
    code = main(["plan", str(CREAM_PATH), "--format", "json", "--llm", "--llm-base-url", server.base_url,
                 "--llm-model", "tiny", "--variants", "1", "--loops", "2"])
    assert code == 0
    return Rundown.model_validate_json(capsys.readouterr().out)


@pytest.mark.parametrize("line", ["1元秒杀，手慢无。", "今天只要48元。", "今天只要50元。"])
def test_plan_llm_never_puts_an_ungrounded_price_in_the_rundown(line: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # 48 is the shipping hour count, 50 the stock and the jar's ml: numbers of the brief, but not its price
    with ChatServer([cream_with(line), CREAM_GOOD]) as server:
        rundown = plan_llm(server, capsys)
    assert line not in rundown.sentences() and rundown.planner == "llm"
    assert "日常价199元，今天129元。" in rundown.sentences()
    assert len(server.requests) == 2 and line in server.requests[1]["messages"][-1]["content"]  # fed back


def test_plan_llm_falls_back_when_the_model_keeps_the_bad_price(capsys: pytest.CaptureFixture[str]) -> None:
    with ChatServer([cream_with("1元秒杀，手慢无。")]) as server:
        rundown = plan_llm(server, capsys)
    assert rundown.planner == "template (llm fallback)"
    assert not any("1元" in s or "秒杀" in s for s in rundown.sentences())
