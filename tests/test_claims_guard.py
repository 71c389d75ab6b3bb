"""The claim guard: each claim grounded in the brief field of its kind, for its product, with its unit."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamer.brief import Brief, Product, load_brief, parse_brief
from streamer.claims import ClaimGuard, ClaimReader, Grounds, read_claims
from streamer.responder import ReplyGuard

ROOT = Path(__file__).resolve().parents[1]
DEMO_ZH = ClaimGuard(load_brief(ROOT / "assets/briefs/demo_zh.yaml"))
DEMO_EN = ClaimGuard(load_brief(ROOT / "assets/briefs/demo_en.yaml"))
PAN = ClaimGuard(load_brief(ROOT / "tests/briefs/claims/pan_zh.yaml"))
EARBUDS = ClaimGuard(load_brief(ROOT / "tests/briefs/claims/earbuds_en.yaml"))


def categories(guard: ClaimGuard, text: str, product_id: str | None) -> list[str]:
    return [p.category for p in guard.problems(text, product_id)]


@pytest.mark.parametrize("text", [
    "今天99元", "今天九十九元", "日常价一百五十九，今天99元", "库存500件", "3号链接", "12小时保温", "前100单送杯套",
    "48小时内发货", "全国包邮", "7天无理由退货", "容量500ml", "重量320g", "材质是316不锈钢", "比日常价省了60元",
    "一键开盖，一只手就能喝水", "这次库存一共500件，卖完就没有了",
])
def test_what_the_brief_says_may_be_said(text: str) -> None:
    assert DEMO_ZH.problems(text, "cup-01") == []


@pytest.mark.parametrize("text,category", [
    ("今天只要48元", "price"),         # 48 is the shipping hour count
    ("今天只要500元", "price"),        # 500 is the stock and the capacity in ml
    ("今天只要12元", "price"),         # 12 hours of heat
    ("1元秒杀", "price"),              # one is no longer always allowed
    ("原价199元", "reference_price"),  # list_price is 159
    ("仅剩20件", "stock"),
    ("24小时内发货", "shipping"),
    ("下单次日达", "shipping"),
    ("前200单送杯套", "promotion"),
    ("再送一个杯刷", "promotion"),
    ("30天无理由退货", "guarantee"),
    ("这款杯子终身保修", "guarantee"),
    ("今天打八折", "discount"),
    ("立省80元", "discount"),
    ("容量600ml", "number"),
    ("12天保温", "number"),            # 12 is in the brief, in hours
    ("拍5号链接", "number"),           # the towel's link
    ("先到先得，手慢无", "stock"),     # scarcity without the real stock figure
    ("今天99美元", "price"),           # the cup is sold in CNY
])
def test_an_ungrounded_claim_is_refused_with_its_kind(text: str, category: str) -> None:
    assert category in categories(DEMO_ZH, text, "cup-01")


@pytest.mark.parametrize("text,category", [
    ("专家推荐的保温杯", "endorsement"), ("比大牌保温杯还好用", "comparison"), ("孕妇也可以放心用", "population"),
    ("每天用它喝水能降血压", "efficacy"), ("Doctors love this bottle.", "endorsement"),
])
def test_endorsements_comparisons_and_safety_claims_are_never_grounded(text: str, category: str) -> None:
    guard = DEMO_EN if text.isascii() else DEMO_ZH
    # the lint may name the words first (special_population, medical); else the claim is refused as ungrounded
    same = {"population": {"population", "special_population"}, "efficacy": {"efficacy", "medical"}}
    assert same.get(category, {category}) & set(categories(guard, text, guard.brief.products[0].id))


def test_a_price_is_checked_against_the_product_it_is_about() -> None:
    assert DEMO_ZH.problems("今天99元", "towel-02") != []
    assert DEMO_ZH.problems("今天49.9元", "towel-02") == []


def test_a_sentence_that_names_a_product_is_checked_against_that_product() -> None:
    assert DEMO_ZH.problems("纯棉加厚浴巾今天99元", "cup-01") != []
    assert DEMO_ZH.problems("纯棉加厚浴巾今天49.9元", "cup-01") == []


def test_one_products_stock_is_not_anothers_price() -> None:
    assert PAN.problems("库存159把", "spatula-02") == []
    assert PAN.problems("今天159元", "spatula-02") != []  # the pan's price, the spatula's stock


def test_a_price_equal_to_the_battery_hours_is_refused() -> None:
    assert EARBUDS.problems("Up to 40 hours of battery with the case.", "buds-01") == []
    assert "price" in categories(EARBUDS, "Today just 40 dollars.", "buds-01")


def test_brief_text_that_failed_the_check_grounds_nothing() -> None:
    # earbuds_en's selling point "only 3 left" is dropped, so 3 is no fact of the product
    assert "stock" in categories(EARBUDS, "Only 3 left!", "buds-01")
    assert "shipping" in categories(EARBUDS, "Next-day delivery.", "buds-01")


def test_english_grounding_with_units() -> None:
    assert DEMO_EN.problems("It keeps drinks cold for twenty-four hours, just 24.99 dollars.", "bottle-01") == []
    assert "number" in categories(DEMO_EN, "It keeps drinks cold for 48 hours.", "bottle-01")
    assert "price" in categories(DEMO_EN, "Only 24 dollars today!", "bottle-01")


def test_about_the_brief_saving_in_percent_is_grounded() -> None:
    # (39.99 - 24.99) / 39.99 = 37.5 % off
    assert DEMO_EN.problems("That's about 37% off.", "bottle-01") == []
    assert "discount" in categories(DEMO_EN, "That's 50% off.", "bottle-01")


def test_a_baby_product_may_say_it_is_for_babies() -> None:
    bottle = ClaimGuard(load_brief(ROOT / "tests/briefs/claims/bottle_zh.yaml"))
    assert bottle.problems("适合0到6个月宝宝", "bottle-01") == []
    assert {"population", "special_population"} & set(categories(bottle, "孕妇也能放心用", "bottle-01"))


def test_efficacy_is_grounded_only_for_a_medical_product_in_its_own_words() -> None:
    def grounds(kind: str | None) -> Grounds:
        product = Product(id="m", name="冷敷贴", price=39, kind=kind)
        return Grounds.build(product, ClaimReader(), ["缓解肌肉酸胀"], [], [], [])
    (claim,) = read_claims("可以缓解肌肉酸胀")
    assert grounds("medical").why_not(claim) is None
    assert grounds("other").why_not(claim) is not None
    assert grounds(None).why_not(claim) is not None
    (other,) = read_claims("可以治疗关节炎")
    assert grounds("medical").why_not(other) is not None


def test_a_medicine_may_say_what_it_treats_in_its_own_words_and_a_mug_may_not() -> None:
    def brief(kind: str) -> Brief:
        return parse_brief({"language": "zh", "products": [
            {"id": "m", "name": "冷敷贴", "price": 39, "kind": kind, "selling_points": ["缓解肌肉酸胀"]}]})
    assert ClaimGuard(brief("medical")).ok("冷敷贴可以缓解肌肉酸胀", "m")
    assert not ClaimGuard(brief("other")).ok("冷敷贴可以缓解肌肉酸胀", "m")


def test_the_reply_guard_speaks_the_claim_guards_reasons() -> None:
    guard = ReplyGuard(DEMO_ZH.brief)
    assert guard.ok("今天99元", "cup-01")
    (reason,) = guard.problems("今天只要48元", "cup-01")
    assert "price" in reason and "48元" in reason


SOLD_OUT_ROOM = parse_brief({"language": "zh", "products": [
    {"id": "cup", "name": "保温杯", "price": 99, "stock": 80, "link": 3},
    {"id": "sleeve", "name": "杯套", "price": 19, "stock": 0}]})


@pytest.mark.parametrize(("text", "product_id", "ok"), [
    ("杯套已经售罄了", "sleeve", True),        # stock 0: sold out is the truth
    ("保温杯已经售罄了", "cup", False),         # stock 80: it is not
    ("This one is out of stock", "cup", False),
    ("卖完就没有了", "cup", False),            # scarcity still needs the real stock next to it
    ("谢谢小王送的礼物", "cup", True),          # a viewer's gift is not the shop's promotion
    ("新的一天，来看看保温杯", "cup", True),     # talk about time, not a claim
    ("一天就到", "cup", False),                # a delivery time the brief does not give
    ("隔天就到", "cup", False),
    ("今天免费送", "cup", False),              # free: a price of 0
])
def test_sold_out_gifts_and_time_talk_are_read_for_what_they_claim(text: str, product_id: str, ok: bool) -> None:
    assert ClaimGuard(SOLD_OUT_ROOM).ok(text, product_id) is ok
