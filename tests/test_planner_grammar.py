"""English grammar for any product name: a/an by sound, singular or plural, agreeing verbs, capitals."""

from __future__ import annotations

import pytest

from streamer.planner.grammar_en import NounForms, article, be, is_plural, plural_verb_phrase, sentence_case


@pytest.mark.parametrize("name,expected", [
    ("umbrella", "an umbrella"), ("USB-C hub", "a USB-C hub"), ("8-piece set", "an 8-piece set"),
    ("pair of socks", "a pair of socks"), ("LED desk lamp", "an LED desk lamp"), ("UV lamp", "a UV lamp"),
    ("hour timer", "an hour timer"), ("one-pot pan", "a one-pot pan"), ("unicorn plush", "a unicorn plush"),
    ("11-inch skillet", "an 11-inch skillet"), ("1-liter jug", "a 1-liter jug"), ("HDMI cable", "an HDMI cable"),
    ("X-ray print", "an X-ray print"), ("e-reader", "an e-reader"), ("LEGO set", "a LEGO set"),
    ("iPhone case", "an iPhone case"), ("Euro adapter", "a Euro adapter"), ("Ceramic Travel Mug", "a Ceramic Travel Mug"),
])
def test_indefinite_article_follows_the_sound(name: str, expected: str) -> None:
    assert NounForms.of(name).fields()["a_name"] == expected


@pytest.mark.parametrize("name", ["Sneakers", "AirPods-style earbuds", "Wool Socks (3 pairs)", "Scissors",
                                  "Bluetooth Speakers", "Sunglasses", "AirPods Pro", "Kids' Shoes"])
def test_plural_names(name: str) -> None:
    assert is_plural(name)


@pytest.mark.parametrize("name", ["pair of socks", "8-piece set", "Set of 4 Bowls", "Glass", "Dress", "Lens Cap",
                                  "Cactus Pot", "GPS", "Series 5 watch", "Chef Knife", "Canvas"])
def test_singular_names(name: str) -> None:
    assert not is_plural(name)


def test_plural_name_takes_these_are_and_no_article() -> None:
    f = NounForms.of("AirPods-style earbuds").fields()
    assert (f["this_name"], f["is"], f["a_name"], f["it"], f["them"]) == \
        ("these AirPods-style earbuds", "are", "AirPods-style earbuds", "they", "them")


def test_singular_name_takes_this_is() -> None:
    f = NounForms.of("mug").fields()
    assert (f["this_name"], f["is"], f["it"], f["its"]) == ("this mug", "is", "it", "its")


def test_a_name_with_its_own_article_is_not_given_another() -> None:
    assert NounForms.of("The Original Tote").fields()["the_name"] == "the Original Tote"


@pytest.mark.parametrize("phrase,expected", [("keeps drinks cold", "keep drinks cold"), ("has a lid", "have a lid"),
                                             ("washes easily", "wash easily"), ("carries a laptop", "carry a laptop"),
                                             ("fits every car", "fit every car"), ("is foldable", "are foldable")])
def test_selling_point_verb_agrees_with_a_plural_product(phrase: str, expected: str) -> None:
    assert plural_verb_phrase(phrase) == expected


def test_selling_point_of_a_singular_product_is_kept() -> None:
    assert NounForms.of("mug").verb_phrase("keeps coffee hot") == "keeps coffee hot"


def test_spec_names_agree() -> None:
    assert (be("capacity"), be("dimensions")) == ("is", "are")


@pytest.mark.parametrize("text,expected", [("the mug is here.", "The mug is here."),
                                           ("iPhone cases are here.", "iPhone cases are here."),
                                           ("8 pieces in the box.", "8 pieces in the box.")])
def test_sentence_case(text: str, expected: str) -> None:
    assert sentence_case(text) == expected


def test_article_of_an_empty_phrase_is_a() -> None:
    assert article("") == "a"
