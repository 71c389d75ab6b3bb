"""The fact guard: numbers said on air must come from the brief, however they are written."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamer.brief import load_brief, parse_brief
from streamer.facts import FactGuard, numbers_in, parse_zh_number

DEMO_ZH = load_brief(Path(__file__).resolve().parents[1] / "assets" / "briefs" / "demo_zh.yaml")


@pytest.mark.parametrize("text,value", [
    ("九十九", 99), ("一百五十九", 159), ("一千二", 1200), ("一千二百", 1200), ("两万五", 25000),
    ("十二", 12), ("十", 10), ("一百零五", 105), ("四十九点九", 49.9), ("二零二四", 2024), ("三万零五", 30005),
])
def test_chinese_numerals(text: str, value: float) -> None:
    assert parse_zh_number(text) == value


def test_a_bare_unit_character_is_not_a_number() -> None:
    assert parse_zh_number("万") is None


@pytest.mark.parametrize("text,values", [
    ("今天只要九十九元", [99]),
    ("四十九块九包邮", [49.9]),
    ("49块9到手", [49.9]),
    ("库存1,200件", [1200]),
    ("1.2万人在看", [12000]),
    ("打八折", [8]),
    ("第二件半价，满50%返", [2, 50]),
    ("It keeps drinks cold for twenty-four hours", [24]),
    ("two hundred and fifty units", [250]),
    ("size 70x140cm", [70, 140]),
    ("price 24.99, was 39.99", [24.99, 39.99]),
])
def test_numbers_are_found_however_written(text: str, values: list[float]) -> None:
    assert [n.value for n in numbers_in(text)] == values


@pytest.mark.parametrize("text", ["十分好用", "千万别错过", "第二点要说的是", "一模一样的体验", "数一数二"])
def test_numeral_characters_inside_words_are_not_quantities(text: str) -> None:
    assert numbers_in(text) == []


def test_mention_span_points_at_the_number() -> None:
    (n,) = numbers_in("日常价159元")
    assert "日常价159元"[n.start:n.end] == "159"


@pytest.mark.parametrize("text", [
    "今天99元", "今天九十九元", "今天99.0元", "日常价一百五十九", "库存500件", "3号链接", "12小时保温",
    "前100单送杯套", "48小时内发货", "7天无理由退货", "容量500ml", "重量320g", "316不锈钢",
    "比日常价省了60元", "四十九块九", "两条立减10元", "加厚500克", "尺寸70x140cm",
])
def test_brief_numbers_pass(text: str) -> None:
    assert FactGuard(DEMO_ZH).check(text), FactGuard(DEMO_ZH).unsupported(text)


@pytest.mark.parametrize("text", [
    "今天只要79元", "库存只剩6件", "24小时保温", "30天无理由退货", "前200单送杯套", "八折", "原价199元",
    "六天内发货", "已经卖了10万件",
])
def test_invented_numbers_fail(text: str) -> None:
    assert not FactGuard(DEMO_ZH).check(text)


def test_one_is_always_allowed_because_it_is_mostly_an_article() -> None:
    assert FactGuard(DEMO_ZH).check("一键开盖，一只手就能喝水，one of a kind")


def test_product_scoped_guard_catches_a_borrowed_price() -> None:
    cup_price_for_towel = "纯棉加厚浴巾今天99元"
    assert FactGuard(DEMO_ZH).check(cup_price_for_towel)
    assert not FactGuard(DEMO_ZH, "towel-02").check(cup_price_for_towel)


def test_english_durations_from_selling_points_pass() -> None:
    brief = parse_brief({"language": "en", "products": [
        {"id": "b", "name": "Bottle", "price": 24.99, "selling_points": ["keeps drinks cold for 24 hours"]}]})
    guard = FactGuard(brief)
    assert guard.check("cold for twenty-four hours, just 24.99 dollars")
    assert [n.text for n in guard.unsupported("cold for 48 hours")] == ["48"]
