"""The planner's parts: template pools, variant decks, sentence timing and the loop schedule."""

from __future__ import annotations

import re
import string

import pytest

from streamer.compliance import lint
from streamer.planner.decks import Decks
from streamer.planner.prepare import amount, is_verb_phrase, money
from streamer.planner.template import schedule
from streamer.planner.templates_en import EN
from streamer.planner.templates_zh import ZH
from streamer.planner.timing import MAX_SENTENCE_S, estimate_seconds, split_long

FIELDS = {"host", "name", "point", "spec_name", "spec_value", "price", "list_price", "saving", "promo", "stock",
          "link", "shipping", "after_sales", "q", "a"}
TEMPLATES = [("zh", pool, t) for pool, ts in ZH.items() for t in ts] + \
            [("en", pool, t) for pool, ts in EN.items() for t in ts]


def fields_of(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("lang,pool,template", TEMPLATES)
def test_template_is_lawful_and_states_no_number_of_its_own(lang: str, pool: str, template: str) -> None:
    assert fields_of(template) <= FIELDS
    assert not re.search(r"\d", template)
    filled = template.format(**{f: "X" for f in fields_of(template)})
    assert lint(filled) == []


@pytest.mark.parametrize("table", [ZH, EN], ids=["zh", "en"])
def test_every_pool_has_at_least_ten_variants(table: dict[str, tuple[str, ...]]) -> None:
    assert {pool: len(ts) for pool, ts in table.items() if len(ts) < 10} == {}


def test_both_languages_cover_the_same_segments() -> None:
    assert set(ZH) - {"point"} == set(EN) - {"point_verb", "point_noun"}


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
