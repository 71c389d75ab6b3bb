"""The planner's parts: composable line pools, variant decks, sentence timing, the show clock and the schedule."""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from pathlib import Path

import pytest

from streamer.brief import load_brief
from streamer.compliance import lint
from streamer.planner.decks import Decks
from streamer.planner.phrasing import Parts, fields_of, join
from streamer.planner.prepare import SpeakableProduct, amount, is_verb_phrase, money
from streamer.planner.repetition import RepeatMemory, figures
from streamer.planner.template import TemplatePlanner, schedule
from streamer.planner.templates_en import EN
from streamer.planner.templates_zh import ZH
from streamer.planner.timing import MAX_SENTENCE_S, Daypart, ShowClock, estimate_seconds, split_long
from streamer.planner.wording import product_fields, spec_fields

DEMO_BRIEFS = Path(__file__).parent.parent / "assets" / "briefs"

FIELDS = {"host", "name", "point", "spec_name", "spec_value", "price", "list_price", "saving", "promo", "stock",
          "link", "shipping", "after_sales", "q", "a", "viewer"}
EN_FIELDS = FIELDS | {"the_name", "a_name", "this_name", "it", "them", "its", "is", "has", "spec_is"}
TABLES = {"zh": ZH, "en": EN}


def parts_of(parts: Parts) -> list[str]:
    dayparts = [lead for leads in parts.dayparts.values() for lead in leads]
    return list(parts.leads) + list(parts.cores) + list(parts.tails) + dayparts


PARTS = [(lang, pool, t) for lang, table in TABLES.items() for pool, parts in table.items() for t in parts_of(parts)]
POOLS = [(lang, pool) for lang, table in TABLES.items() for pool in table]


def filled(template: str) -> str:
    return template.format(**{f: "X" for f in fields_of(template)})


@pytest.mark.parametrize("lang,pool,part", PARTS)
def test_part_is_lawful_and_states_no_number_of_its_own(lang: str, pool: str, part: str) -> None:
    assert fields_of(part) <= (FIELDS if lang == "zh" else EN_FIELDS)
    assert not re.search(r"\d", part)
    assert lint(filled(part)) == []


@pytest.mark.parametrize("lang,pool", POOLS)
def test_every_combination_of_parts_is_lawful(lang: str, pool: str) -> None:
    parts = TABLES[lang][pool]
    leads = set(parts.leads) | {lead for ls in parts.dayparts.values() for lead in ls}
    bad = []
    for lead, core, tail in itertools.product(sorted(leads), set(parts.cores), set(parts.tails)):
        sentence = join(filled(lead), filled(core), filled(tail), lang)
        if lint(sentence):
            bad.append(sentence)
    assert bad == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_leads_and_tails_are_punctuated_to_join_a_core(lang: str) -> None:
    lead_end = ("，",) if lang == "zh" else (", ", ": ", "? ")
    tail_start = "，" if lang == "zh" else ", "
    leads = {t for parts in TABLES[lang].values() for t in parts.leads if t}
    tails = {t for parts in TABLES[lang].values() for t in parts.tails if t}
    assert [t for t in leads if not t.endswith(lead_end)] == []
    assert [t for t in tails if not t.startswith(tail_start)] == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_pool_says_its_fact_in_at_least_a_hundred_ways(lang: str) -> None:
    small = {pool: len(set(p.leads)) * len(set(p.cores)) * len(set(p.tails)) for pool, p in TABLES[lang].items()}
    rare = {"room_join", "room_gift", "room_questions", "faq_q_room", "sold_out"} | {f"clock_{d}" for d in Daypart}
    assert {pool: n for pool, n in small.items() if n < 100 and pool not in rare} == {}


def test_both_languages_cover_the_same_segments() -> None:
    assert set(ZH) - {"point"} == set(EN) - {"point_verb", "point_noun"}


def test_every_time_of_day_has_its_own_lines_in_both_languages() -> None:
    for table in (ZH, EN):
        assert {f"clock_{d.value}" for d in Daypart} <= set(table)
        assert set(table["welcome"].dayparts) == set(Daypart)


def test_english_sentence_starts_with_a_capital_and_ends_with_a_stop() -> None:
    assert join("Ready? ", "tap link 3", "", "en") == "Ready? Tap link 3."
    assert join("", "it's {x}".format(x="here"), ", no rush", "en") == "It's here, no rush."


def test_chinese_sentence_ends_with_a_full_stop_unless_it_asks() -> None:
    assert join("来，", "点3号链接", "", "zh") == "来，点3号链接。"
    assert join("", "有朋友问，能装开水吗？", "", "zh") == "有朋友问，能装开水吗？"


def test_deck_deals_every_variant_before_repeating() -> None:
    decks = Decks(seed=5)
    draws = [decks.draw("k", 7) for _ in range(21)]
    assert all(sorted(draws[i:i + 7]) == list(range(7)) for i in (0, 7, 14))


def test_deck_never_repeats_across_a_reshuffle() -> None:
    decks = Decks(seed=9)
    draws = [decks.draw("k", 3) for _ in range(300)]
    assert all(a != b for a, b in zip(draws, draws[1:], strict=False))


def test_decks_are_deterministic_per_seed() -> None:
    def deal(seed: int) -> list[int]:
        decks = Decks(seed)
        return [decks.draw("x", 12) for _ in range(24)]

    assert deal(1) == deal(1) and deal(1) != deal(2)


def test_schedule_gives_a_hero_two_slots_spread_apart() -> None:
    assert schedule([2, 1, 1], start=0) == [0, 1, 2, 0]


def test_schedule_rotates_the_opening_product() -> None:
    assert [schedule([1, 1, 1], start=s)[0] for s in range(3)] == [0, 1, 2]


def test_zh_estimate_counts_spoken_syllables() -> None:
    assert estimate_seconds("今天九十九元", "zh") == pytest.approx(estimate_seconds("今天99元", "zh"), abs=0.3)


def test_long_sentence_is_cut_at_a_clause_boundary() -> None:
    text = ("Shipping: ships within two business days, free over thirty five dollars, packed in recycled boxes "
            "with a handwritten thank-you note inside.")
    parts = split_long(text, "en")
    assert len(parts) >= 2 and all(estimate_seconds(p, "en") <= MAX_SENTENCE_S for p in parts)
    assert all(p.endswith(".") for p in parts)


def test_sentence_without_a_clause_boundary_is_kept_whole() -> None:
    text = "这是一句没有任何标点但是特别特别特别特别特别特别特别长的句子用来测试切分"
    assert split_long(text, "zh") == [text]


@pytest.mark.parametrize("value,text", [(99.0, "99"), (49.9, "49.9"), (24.99, "24.99"), (39.1, "39.1")])
def test_amount_is_written_as_a_host_says_it(value: float, text: str) -> None:
    assert amount(value) == text


def test_money_names_the_currency_in_the_host_language() -> None:
    assert money(99, "CNY", "zh") == "99元" and money(24.99, "USD", "en") == "24.99 dollars"


@pytest.mark.parametrize("point,verb", [("keeps drinks cold", True), ("fits every cup holder", True),
                                        ("leak-proof flip lid", False), ("stainless steel body", False)])
def test_english_selling_point_shape(point: str, verb: bool) -> None:
    assert is_verb_phrase(point) is verb


@pytest.mark.parametrize("hour,daypart", [(6, Daypart.MORNING), (12, Daypart.NOON), (15, Daypart.AFTERNOON),
                                          (20, Daypart.EVENING), (23, Daypart.NIGHT), (2, Daypart.NIGHT)])
def test_show_clock_knows_the_time_of_day(hour: int, daypart: Daypart) -> None:
    assert ShowClock(datetime(2026, 1, 1, hour, 30)).daypart(0) == daypart


def test_show_clock_moves_with_the_speaking_time() -> None:
    clock = ShowClock(datetime(2026, 1, 1, 22, 50))
    assert clock.daypart(0) == Daypart.EVENING and clock.daypart(15 * 60) == Daypart.NIGHT


def test_show_clock_without_a_start_knows_no_time_of_day() -> None:
    assert ShowClock().daypart(3600) is None


def test_repeat_memory_forgets_after_the_window() -> None:
    memory = RepeatMemory(window_s=60)
    memory.said("hello.", 0)
    assert not memory.fresh("hello.", 59) and memory.fresh("hello.", 60) and memory.fresh("other.", 1)


def test_figures_give_the_shortest_gap_and_the_distinct_share() -> None:
    f = figures([(0, "a."), (10, "b."), (25, "a."), (30, "b."), (100, "a.")])
    assert f.min_gap_s == 20 and f.sentences == 5 and f.distinct == 2 and f.distinct_ratio == 0.4


def test_figures_of_a_show_without_repeats_have_no_gap() -> None:
    assert figures([(0, "a."), (5, "b.")]).min_gap_s is None


def real_values(lang: str, sold_out: bool = False) -> tuple[TemplatePlanner, SpeakableProduct, dict[str, str]]:
    """Every template field filled from the bundled demo brief's first product, as the planner fills it; with
    ``sold_out``, it is the room's only product and its stock is 0: what the sold-out lines are said about."""
    brief = load_brief(DEMO_BRIEFS / f"demo_{lang}.yaml")
    if sold_out:
        brief = brief.model_copy(update={"products": [brief.products[0].model_copy(update={"stock": 0})]})
    planner = TemplatePlanner(brief)
    p = planner.products[0]
    prod = p.product
    assert prod.list_price is not None
    values = {"host": planner.brief.room.host_name, **product_fields(p, lang), "point": p.points[0],
              **spec_fields(*p.specs[0], lang), "price": money(prod.price, prod.currency, lang),
              "list_price": money(prod.list_price, prod.currency, lang),
              "saving": money(float(amount(prod.list_price - prod.price)), prod.currency, lang),
              "promo": p.promos[0], "stock": str(prod.stock), "link": str(prod.link), "shipping": p.shipping or "",
              "after_sales": p.after_sales or "", "q": p.faqs[0][0], "a": p.faqs[0][1], "viewer": "Mia"}
    return planner, p, values


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_combination_filled_with_real_facts_passes_the_final_check(lang: str) -> None:
    in_stock, sold_out = real_values(lang), real_values(lang, sold_out=True)
    failed = []
    for name, parts in TABLES[lang].items():
        planner, p, values = sold_out if name == "sold_out" else in_stock
        leads = set(parts.leads) | {lead for ls in parts.dayparts.values() for lead in ls}
        for lead, core, tail in itertools.product(leads, set(parts.cores), set(parts.tails)):
            sentence = join(lead.format(**values), core.format(**values), tail.format(**values), lang)
            if not planner._passes(p, sentence):
                failed.append(sentence)
    assert failed == []
