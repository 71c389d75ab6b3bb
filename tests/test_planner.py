"""The template planner, checked on briefs it has never seen (tests/briefs) and on the bundled demos.

Done when: the script names every product, states its price, anchors on the list price, covers every legal selling
point, tells the link number, says no illegal claim and no number that is not in the brief, and does not loop
word for word: over 8 hours of show no sentence comes back within 30 minutes and at least half of all sentences
are distinct, for every bundled and test brief. A sold-out product is never pushed, and the show follows a stock or
price change, the time of day and the room from the next block on.
"""

from __future__ import annotations

import functools
import itertools
import re
from datetime import datetime
from pathlib import Path

import pytest

from streamer.brief import Brief, Product, load_brief
from streamer.claims import ClaimGuard, numbers_in
from streamer.compliance import lint, rewrite
from streamer.planner import RoomPulse, Rundown, Show, TemplatePlanner, plan, plan_hours, script_lines
from streamer.planner.timing import MAX_SENTENCE_S, estimate_seconds

HERE = Path(__file__).parent
UNSEEN = sorted((HERE / "briefs").glob("*.yaml"))
DEMOS = sorted((HERE.parent / "assets" / "briefs").glob("*.yaml"))
EVERY_BRIEF = UNSEEN + DEMOS + sorted((HERE / "briefs").glob("*/*.yaml"))  # claims/ and any new set
LOOPS = 10
SHOW_HOURS = 8
MIN_REPEAT_GAP_MIN = 30
MIN_DISTINCT = 0.5
PUSH_KINDS = {"cta", "urgency", "price", "promo"}
DEMO_ZH = HERE.parent / "assets" / "briefs" / "demo_zh.yaml"


@functools.cache
def brief_of(path: Path) -> Brief:
    return load_brief(path)


@functools.cache
def rundown_of(path: Path, seed: int = 0) -> Rundown:
    return plan(brief_of(path), loops=LOOPS, seed=seed)


EVENING = datetime(2026, 5, 1, 20, 0)  # 8 hours from here cross the evening, the night and the small hours


@functools.cache
def day_of(path: Path) -> Rundown:
    return plan_hours(brief_of(path), SHOW_HOURS, start=EVENING)


def on_sale(brief: Brief) -> list[Product]:
    return [p for p in brief.products if p.stock != 0]


def said_about(rundown: Rundown, product_id: str) -> list[str]:
    return [line.text for line in rundown.lines() if line.product_id == product_id]


def values(text: str) -> set[float]:
    return {n.value for n in numbers_in(text)}


briefs = pytest.mark.parametrize("path", UNSEEN + DEMOS, ids=lambda p: p.name)
# the briefs a check applies to, so that every case of it checks something
with_list_prices = pytest.mark.parametrize(
    "path", [p for p in UNSEEN + DEMOS if any(x.list_price for x in on_sale(brief_of(p)))], ids=lambda p: p.name)
with_illegal_points = pytest.mark.parametrize(
    "path", [p for p in UNSEEN + DEMOS if any(rewrite(sp) is None for x in brief_of(p).products
                                              for sp in x.selling_points)], ids=lambda p: p.name)


@briefs
def test_every_product_on_sale_is_named(path: Path) -> None:
    rundown = rundown_of(path)
    for p in on_sale(brief_of(path)):
        assert any(p.name in s for s in said_about(rundown, p.id)), p.id


@briefs
def test_every_price_is_stated(path: Path) -> None:
    rundown = rundown_of(path)
    for p in on_sale(brief_of(path)):
        assert any(p.price in values(s) for s in said_about(rundown, p.id)), p.id


@with_list_prices
def test_price_is_anchored_on_the_list_price(path: Path) -> None:
    rundown = rundown_of(path)
    for p in [x for x in on_sale(brief_of(path)) if x.list_price]:
        assert any({p.price, p.list_price} <= values(s) for s in said_about(rundown, p.id)), p.id


@briefs
def test_every_legal_selling_point_is_said_in_every_loop(path: Path) -> None:
    rundown = rundown_of(path)
    for p in on_sale(brief_of(path)):
        legal = [rewrite(sp) for sp in p.selling_points if rewrite(sp) is not None]
        for loop in rundown.loops:
            said = " ".join(line.text for line in loop.lines() if line.product_id == p.id).lower()
            for point in legal:
                assert point is not None and point.lower() in said, (p.id, loop.index, point)


@with_illegal_points
def test_illegal_selling_points_are_never_said_and_are_reported(path: Path) -> None:
    rundown = rundown_of(path)
    everything = " ".join(rundown.sentences())
    for sp in [sp for p in brief_of(path).products for sp in p.selling_points if rewrite(sp) is None]:
        assert all(f.text not in everything for f in lint(sp)), sp
        assert sp in {d.text for d in rundown.dropped}


@briefs
def test_link_number_is_told_with_a_cart_cue(path: Path) -> None:
    rundown = rundown_of(path)
    for p in on_sale(brief_of(path)):
        carts = [line.text for line in rundown.lines() if line.product_id == p.id and line.cue == "point_cart"]
        assert carts, p.id
        if p.link is not None:
            assert all(str(p.link) in s for s in carts), p.id


@briefs
def test_nothing_said_breaks_the_compliance_lint(path: Path) -> None:
    assert [(s, lint(s)) for s in rundown_of(path).sentences() if lint(s)] == []


@briefs
def test_every_claim_said_is_grounded_in_the_brief_for_that_product(path: Path) -> None:
    guard = ClaimGuard(brief_of(path))
    bad = [(line.text, guard.ungrounded(line.text, line.product_id)) for line in rundown_of(path).lines()]
    assert [b for b in bad if b[1]] == []


@briefs
def test_every_sentence_fits_one_breath(path: Path) -> None:
    brief = brief_of(path)
    long = [s for s in rundown_of(path).sentences() if estimate_seconds(s, brief.language) > MAX_SENTENCE_S]
    assert long == []


@briefs
def test_no_sentence_was_rejected_at_the_final_gate(path: Path) -> None:
    assert rundown_of(path).notes == []


@briefs
def test_distinct_sentence_ratio_over_ten_loops_is_at_least_half(path: Path) -> None:
    ratio = rundown_of(path).distinct_ratio()
    print(f"{path.name}: distinct-sentence ratio over {LOOPS} loops = {ratio:.3f}")
    assert ratio >= 0.5


def test_one_product_brief_rarely_repeats_itself() -> None:
    path = HERE / "briefs" / "mug_en.yaml"
    assert len(brief_of(path).products) == 1
    assert rundown_of(path).distinct_ratio() >= 0.5


def test_a_brief_without_link_or_list_price_invents_neither() -> None:
    sentences = rundown_of(HERE / "briefs" / "notelink_zh.yaml").sentences()
    assert not any("号链接" in s or "日常价" in s for s in sentences)


def test_sold_out_product_is_not_presented() -> None:
    rundown = rundown_of(HERE / "briefs" / "kitchen_en.yaml")
    assert said_about(rundown, "board-03") == []


def test_hero_product_comes_back_between_the_others() -> None:
    loop = rundown_of(HERE / "briefs" / "kitchen_en.yaml").loops[0]
    order = [seg.product_id for seg in loop.segments if seg.kind in ("intro", "recap")]
    assert order.count("blender-01") == 2 and order.count("knife-02") == 1


def test_each_loop_opens_with_another_product() -> None:
    loops = rundown_of(HERE.parent / "assets" / "briefs" / "demo_zh.yaml").loops
    openers = {loop.segments[0].product_id for loop in loops}
    assert openers == {"cup-01", "towel-02"}


def test_intro_presents_the_product_and_cta_points_to_the_cart() -> None:
    cues = {(seg.kind.value, seg.cue) for seg in rundown_of(HERE / "briefs" / "airfryer_zh.yaml").loops[0].segments
            if seg.kind in ("intro", "cta")}
    assert cues == {("intro", "present"), ("cta", "point_cart")}


def test_same_seed_gives_the_same_show() -> None:
    brief = brief_of(DEMOS[0])
    assert plan(brief, loops=3, seed=7).sentences() == plan(brief, loops=3, seed=7).sentences()


def test_another_seed_gives_another_show() -> None:
    brief = brief_of(DEMOS[0])
    assert plan(brief, loops=3, seed=1).sentences() != plan(brief, loops=3, seed=2).sentences()


def test_consecutive_loops_are_worded_differently() -> None:
    first, second = rundown_of(HERE / "briefs" / "mug_en.yaml").loops[:2]
    shared = {line.text for line in first.lines()} & {line.text for line in second.lines()}
    assert len(shared) <= 2


def test_script_lines_never_end_and_match_the_plan() -> None:
    brief = brief_of(DEMOS[0])
    lines = list(itertools.islice(script_lines(brief, seed=3), 3000))
    assert len(lines) == 3000
    expected = list(plan(brief, loops=2, seed=3).lines())
    assert lines[:len(expected)] == expected


def test_planner_keeps_planning_past_the_first_loops() -> None:
    planner = TemplatePlanner(brief_of(HERE / "briefs" / "mug_en.yaml"))
    loops = list(itertools.islice(planner.loops(), 200))
    assert loops[-1].index == 199 and loops[-1].segments and planner.rejected == []


def test_rundown_round_trips_through_json() -> None:
    rundown = rundown_of(HERE / "briefs" / "airfryer_zh.yaml")
    assert Rundown.model_validate_json(rundown.model_dump_json()) == rundown


def test_rundown_estimates_duration() -> None:
    loop = rundown_of(DEMOS[0]).loops[0]
    assert 20 < loop.est_s < 300 and all(seg.est_s > 0 for seg in loop.segments)


# --- an all-day show -----------------------------------------------------------------------------------------

all_briefs = pytest.mark.parametrize("path", EVERY_BRIEF, ids=lambda p: f"{p.parent.name}/{p.name}")


@all_briefs
def test_eight_hours_never_repeat_a_sentence_within_thirty_minutes(path: Path) -> None:
    rundown = day_of(path)
    gap = rundown.min_repeat_interval_min
    print(f"{path.name}: {SHOW_HOURS} h, shortest repeat {gap} min, distinct {rundown.distinct_ratio():.3f}")
    assert rundown.est_s >= SHOW_HOURS * 3600
    assert gap is None or gap >= MIN_REPEAT_GAP_MIN


@all_briefs
def test_eight_hours_are_at_least_half_distinct_sentences(path: Path) -> None:
    assert day_of(path).distinct_ratio() >= MIN_DISTINCT


@all_briefs
def test_eight_hours_compose_no_sentence_that_fails_the_final_check(path: Path) -> None:
    assert day_of(path).notes == []


def test_the_lead_selling_point_rotates() -> None:
    rundown = rundown_of(HERE / "briefs" / "mug_en.yaml")
    firsts = {next(line.text for line in loop.lines() if line.kind == "point") for loop in rundown.loops}
    leads = {next(p for p in ("hot", "splash", "machines") if p in text) for text in firsts}
    assert leads == {"hot", "splash", "machines"}


def test_segment_order_varies_between_blocks() -> None:
    loops = rundown_of(HERE / "briefs" / "mug_en.yaml").loops
    orders = {tuple(seg.kind.value for seg in loop.segments) for loop in loops}
    assert len(orders) >= 5


def test_a_size_chart_is_said_one_row_at_a_time() -> None:
    specs = [line.text for line in day_of(HERE / "briefs" / "outdoor_en.yaml").lines() if line.kind == "spec"]
    rows = [s for s in specs if re.search(r"\b(S|M|L|XL): \d", s)]
    assert rows and all(len(re.findall(r"\b(?:S|M|L|XL): \d", s)) == 1 for s in rows)


# --- sold out ------------------------------------------------------------------------------------------------

def sold_out(brief: Brief, *ids: str) -> Brief:
    products = [p.model_copy(update={"stock": 0}) if not ids or p.id in ids else p for p in brief.products]
    return brief.model_copy(update={"products": products})


@pytest.mark.parametrize("path", DEMOS + [HERE / "briefs" / "kitchen_en.yaml"], ids=lambda p: p.name)
def test_when_everything_is_sold_out_nothing_is_pushed(path: Path) -> None:
    rundown = plan(sold_out(brief_of(path)), loops=4)
    kinds = {line.kind for line in rundown.lines()}
    assert kinds & PUSH_KINDS == set() and "sold_out" in kinds
    assert not any(line.cue == "point_cart" for line in rundown.lines())


def test_a_sold_out_show_still_presents_the_products() -> None:
    brief = sold_out(brief_of(DEMO_ZH))
    rundown = plan(brief, loops=2)
    assert {line.product_id for line in rundown.lines() if line.kind == "point"} == {p.id for p in brief.products}


@pytest.mark.parametrize("path", DEMOS, ids=lambda p: p.name)
def test_a_sold_out_day_does_not_loop_either(path: Path) -> None:
    gap = plan_hours(sold_out(brief_of(path)), SHOW_HOURS).min_repeat_interval_min
    assert gap is None or gap >= MIN_REPEAT_GAP_MIN


def test_a_sold_out_show_says_no_price() -> None:
    brief = sold_out(brief_of(HERE / "briefs" / "mug_en.yaml"))
    said = " ".join(plan(brief, loops=5).sentences())
    assert "18 dollars" not in said and "25 dollars" not in said and "link 9" not in said


def test_a_product_sold_out_mid_show_leaves_from_the_next_block() -> None:
    brief = brief_of(DEMO_ZH)
    planner = TemplatePlanner(brief)
    blocks = planner.product_blocks()
    next(blocks)
    planner.update(sold_out(brief, "cup-01"))
    later = [seg for _ in range(6) for seg in next(blocks)]
    assert {seg.product_id for seg in later} == {"towel-02"}


def test_when_the_last_product_sells_out_mid_show_the_pushing_stops() -> None:
    brief = brief_of(HERE / "briefs" / "mug_en.yaml")
    planner = TemplatePlanner(brief)
    blocks = planner.product_blocks()
    assert any(seg.kind == "cta" for seg in next(blocks))
    planner.update_product(brief.products[0].model_copy(update={"stock": 0}))
    later = [seg for _ in range(3) for seg in next(blocks)]
    assert {seg.kind.value for seg in later} & PUSH_KINDS == set()


def test_a_price_change_mid_show_is_said_from_the_next_block() -> None:
    brief = brief_of(HERE / "briefs" / "mug_en.yaml")
    show = script_lines(brief)
    planner = show.planner
    blocks = planner.product_blocks()
    next(blocks)
    planner.update_product(brief.products[0].model_copy(update={"price": 16}))
    said = " ".join(s for _ in range(3) for seg in next(blocks) for s in seg.sentences)
    assert "16 dollars" in said and "18 dollars" not in said


def test_a_restocked_product_comes_back() -> None:
    brief = brief_of(DEMO_ZH)
    planner = TemplatePlanner(sold_out(brief, "cup-01"))
    planner.plan(1)
    planner.update(brief)
    assert "cup-01" in {line.product_id for line in planner.plan(1).lines()}


def test_script_lines_is_a_show_whose_planner_can_be_updated() -> None:
    show = script_lines(brief_of(DEMO_ZH))
    assert isinstance(show, Show) and next(show).text


# --- time of day and the room --------------------------------------------------------------------------------

def test_a_morning_show_says_good_morning() -> None:
    rundown = plan(brief_of(HERE / "briefs" / "kitchen_en.yaml"), loops=3, start=datetime(2026, 5, 1, 8, 0))
    assert any("morning" in s.lower() for s in rundown.sentences())
    assert not any("evening" in s.lower() or "night" in s.lower() for s in rundown.sentences())


def test_a_show_past_midnight_speaks_to_the_night() -> None:
    rundown = plan(brief_of(DEMO_ZH), loops=4, start=datetime(2026, 5, 1, 23, 30))
    said = "".join(rundown.sentences())
    assert "深夜" in said or "夜深" in said or "这么晚" in said
    assert "早上" not in said and "中午" not in said


def test_the_time_of_day_follows_the_clock_through_the_show() -> None:
    rundown = plan_hours(brief_of(DEMO_ZH), 1.5, start=datetime(2026, 5, 1, 10, 0))
    timed = list(rundown.timed_sentences())
    morning = [t for t, s in timed if "早上" in s or "早安" in s]
    noon = [t for t, s in timed if "中午" in s or "午" in s]
    assert morning and noon and max(morning) < 3600 <= min(noon)


def test_a_show_without_a_start_says_nothing_about_the_time() -> None:
    said = "".join(rundown_of(DEMO_ZH).sentences())
    assert not any(word in said for word in ("早上好", "中午好", "下午好", "晚上好", "深夜"))


def test_new_viewers_are_welcomed_in_the_next_block() -> None:
    planner = TemplatePlanner(brief_of(DEMO_ZH))
    blocks = planner.product_blocks()
    next(blocks)
    planner.observe(RoomPulse(joined=12))
    first = next(blocks)[0]
    assert first.kind == "welcome" and ("新" in first.sentences[0] or "刚" in first.sentences[0])


def test_gift_senders_are_thanked_by_name() -> None:
    planner = TemplatePlanner(brief_of(HERE / "briefs" / "mug_en.yaml"))
    blocks = planner.product_blocks()
    planner.observe(RoomPulse(gifts=("Mia",)))
    said = " ".join(s for _ in range(4) for seg in next(blocks) for s in seg.sentences)
    assert "Mia" in said or "gift" in said


def test_a_name_that_looks_like_a_contact_is_never_said() -> None:
    planner = TemplatePlanner(brief_of(DEMO_ZH))
    blocks = planner.product_blocks()
    planner.observe(RoomPulse(gifts=("加v13800138000",)))
    said = "".join(s for seg in next(blocks) for s in seg.sentences)
    assert "13800138000" not in said and "礼物" in said


def test_a_question_from_the_room_brings_its_faq_forward() -> None:
    planner = TemplatePlanner(brief_of(HERE / "briefs" / "mug_en.yaml"))
    blocks = planner.product_blocks()
    next(blocks)
    planner.observe(RoomPulse(questions=("can I put it in the microwave safe?",)))
    block = next(blocks)
    assert block[0].kind == "faq" and "without the lid" in " ".join(block[0].sentences)


# --- English grammar in the show -----------------------------------------------------------------------------

def renamed(name: str) -> Brief:
    brief = brief_of(HERE / "briefs" / "mug_en.yaml")
    products = [brief.products[0].model_copy(update={"name": name})]
    return brief.model_copy(update={"products": products})


def test_a_plural_product_name_is_said_as_a_plural() -> None:
    said = plan_hours(renamed("AirPods-style earbuds"), 1).sentences()
    text = " ".join(said)
    assert "they keep coffee hot" in text.lower()
    assert not re.search(r"\b(an?|this) AirPods|\bthe AirPods-style earbuds is\b|\bit keeps\b", text)


def test_a_name_starting_with_a_vowel_sound_takes_an() -> None:
    text = " ".join(plan_hours(renamed("8-piece set"), 1).sentences())
    assert "an 8-piece set" in text and "a 8-piece" not in text


def test_every_english_sentence_starts_with_a_capital() -> None:
    said = day_of(HERE / "briefs" / "kitchen_en.yaml").sentences()
    assert [s for s in said if not s[0].isupper() and not s[0].isdigit()] == []
