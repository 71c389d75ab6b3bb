"""The claim reader: a zh or en sentence becomes typed claims (kind, span, value, unit, product), one per assertion."""

from __future__ import annotations

import pytest

from streamer.claims import Claim, ClaimKind, ClaimReader, numbers_in, parse_zh_number, read_claims

K = ClaimKind


def kinds(text: str) -> list[str]:
    return [c.kind.value for c in read_claims(text)]


def only(text: str, kind: ClaimKind) -> Claim:
    (c,) = [c for c in read_claims(text) if c.kind is kind]
    return c


# --- numbers however written (moved here from the fact guard) ---------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("九十九", 99), ("一百五十九", 159), ("一千二", 1200), ("一千二百", 1200), ("两万五", 25000),
    ("十二", 12), ("十", 10), ("一百零五", 105), ("四十九点九", 49.9), ("二零二四", 2024), ("三万零五", 30005),
])
def test_chinese_numerals(text: str, value: float) -> None:
    assert parse_zh_number(text) == value


def test_a_bare_unit_character_is_not_a_number() -> None:
    assert parse_zh_number("万") is None


@pytest.mark.parametrize("text,values", [
    ("今天只要九十九元", [99]), ("四十九块九包邮", [49.9]), ("49块9到手", [49.9]), ("库存1,200件", [1200]),
    ("1.2万人在看", [12000]), ("打八折", [8]), ("It keeps drinks cold for twenty-four hours", [24]),
    ("two hundred and fifty units", [250]), ("size 70x140cm", [70, 140]), ("price 24.99, was 39.99", [24.99, 39.99]),
])
def test_numbers_are_found_however_written(text: str, values: list[float]) -> None:
    assert [n.value for n in numbers_in(text)] == values


@pytest.mark.parametrize("text", ["十分好用", "千万别错过", "第二点要说的是", "一模一样的体验", "数一数二"])
def test_numeral_characters_inside_words_are_not_quantities(text: str) -> None:
    assert numbers_in(text) == []


# --- one kind each ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,value,currency", [
    ("今天只要99元", 99, "CNY"), ("四十九块九就能带走", 49.9, "CNY"), ("只要一块钱", 1, "CNY"),
    ("Today it's just 24.99 dollars.", 24.99, "USD"), ("Grab it for 49 today", 49, None),
    ("It's 25 pounds today", 25, "GBP"), ("Only 24.99 euros today.", 24.99, "EUR"),
])
def test_a_price_is_money_or_a_bare_number_after_a_price_word(text: str, value: float, currency: str | None) -> None:
    c = only(text, K.PRICE)
    assert (c.value, c.currency) == (value, currency)


@pytest.mark.parametrize("text,reference,price", [
    ("日常价159元，今天99元", 159, 99), ("原价199，今天69", 199, 69), ("专柜价159元", 159, None),
    ("Regular price 39.99 dollars, today 24.99 dollars.", 39.99, 24.99), ("Was 89 dollars, now only 32.", 89, 32),
    ("It's 24.99 dollars today, down from the regular 39.99 dollars.", 39.99, 24.99),
    ("Price check: 39.99 dollars regular, 24.99 dollars now.", 39.99, 24.99), ("MSRP 180 dollars", 180, None),
])
def test_a_reference_price_is_told_from_todays_price(text: str, reference: float, price: float | None) -> None:
    assert only(text, K.REFERENCE_PRICE).value == reference
    assert [c.value for c in read_claims(text) if c.kind is K.PRICE] == ([price] if price else [])


@pytest.mark.parametrize("text,value,unit", [
    ("今天打八折", 20, "%"), ("七五折", 25, "%"), ("That's 50% off.", 50, "%"), ("百分之五十的折扣", 50, "%"),
    ("比日常价省了60元", 60, "money"), ("You save 15 dollars.", 15, "money"),
    ("That's 15 dollars off the regular price.", 15, "money"),
])
def test_discounts_are_percent_off_or_money_saved(text: str, value: float, unit: str) -> None:
    c = only(text, K.DISCOUNT)
    assert (c.value, c.unit) == (value, unit)


@pytest.mark.parametrize("text,value", [
    ("库存500件", 500), ("仅剩20件，抓紧拍", 20), ("仅剩一件", 1), ("限量500件", 500), ("Only 7 left, hurry!", 7),
    ("Only one left!", 1), ("We have 300 units in stock.", 300), ("这批货一共1200件，卖完为止", 1200),
])
def test_stock_figures(text: str, value: float) -> None:
    assert [c.value for c in read_claims(text) if c.kind is K.STOCK and c.value is not None] == [value]


@pytest.mark.parametrize("text", ["手慢无", "快抢光了", "selling fast, almost gone", "while supplies last"])
def test_scarcity_without_a_number_is_a_stock_claim(text: str) -> None:
    assert K.STOCK in {c.kind for c in read_claims(text)}


@pytest.mark.parametrize("text,tag", [
    ("全国包邮", "free_shipping"), ("Free shipping today", "free_shipping"), ("下单次日达", "deliver_next_day"),
    ("Next-day delivery on every order.", "deliver_next_day"), ("It ships next business day", "ship_next_day"),
    ("顺丰发货", "carrier_sf"), ("当天发货", "ship_same_day"),
])
def test_shipping_promises_are_tagged_in_both_languages(text: str, tag: str) -> None:
    assert tag in {t for c in read_claims(text) if c.kind is K.SHIPPING for t in c.tags}


@pytest.mark.parametrize("text,value,unit", [
    ("48小时内发货", 48, "hour"), ("It ships within 2 business days.", 2, "day"), ("满99包邮", 99, ""),
    ("Shipping is a 6 dollars flat rate.", 6, "money"),
])
def test_shipping_times_and_costs(text: str, value: float, unit: str) -> None:
    assert (value, unit) in {(c.value, c.unit) for c in read_claims(text) if c.kind is K.SHIPPING}


@pytest.mark.parametrize("text,item", [
    ("前100单送杯套", "杯套"), ("下单再送一个杯刷", "杯刷"), ("买两盒送一袋试吃装", "试吃装"),
    ("Free carry strap with the first 50 orders.", "carry strap"), ("Every order gets a free mystery gift.",
                                                                   "mystery gift"),
])
def test_a_gift_names_its_item(text: str, item: str) -> None:
    assert item in {c.item for c in read_claims(text) if c.kind is K.PROMOTION}


@pytest.mark.parametrize("text,tag", [("买一送一", "bogo"), ("Buy one, get one free", "bogo"),
                                      ("第二件半价", "half_price"), ("Second cup at half price.", "half_price")])
def test_offers_are_tagged(text: str, tag: str) -> None:
    assert tag in {t for c in read_claims(text) if c.kind is K.PROMOTION for t in c.tags}


@pytest.mark.parametrize("text,tags,value", [
    ("7天无理由退货", {"returns"}, 7), ("30-day returns, no questions asked.", {"returns"}, 30),
    ("这款杯子终身保修", {"lifetime", "warranty"}, None), ("It comes with a 2-year warranty.", {"warranty"}, 2),
    ("30-day money-back guarantee", {"refund", "guarantee"}, 30), ("运费险", {"return_shipping"}, None),
])
def test_guarantees_carry_their_terms(text: str, tags: set[str], value: float | None) -> None:
    claims = [c for c in read_claims(text) if c.kind is K.GUARANTEE]
    assert tags <= {t for c in claims for t in c.tags}
    assert [c.value for c in claims if c.value is not None] == ([value] if value else [])


@pytest.mark.parametrize("text,kind", [
    ("三天祛痘淡斑", K.EFFICACY), ("降血糖降血脂", K.EFFICACY), ("It cures acne and eczema.", K.EFFICACY),
    ("doctors recommend it for detox", K.EFFICACY), ("clinically proven to fade dark spots", K.EFFICACY),
    ("皮肤科专家都推荐", K.ENDORSEMENT), ("明星同款", K.ENDORSEMENT), ("米其林大厨推荐", K.ENDORSEMENT),
    ("dermatologist approved formula", K.ENDORSEMENT), ("loved by celebrities", K.ENDORSEMENT),
    ("Doctors love this bottle.", K.ENDORSEMENT),
    ("比大牌面霜还好用", K.COMPARISON), ("比三只松鼠好吃多了", K.COMPARISON), ("better than AirPods", K.COMPARISON),
    ("outperforms any other brand", K.COMPARISON), ("beats any jacket from the big brands", K.COMPARISON),
    ("这是全网最低价", K.SUPERLATIVE), ("The best bottle in the world.", K.SUPERLATIVE),
    ("孕妇和哺乳期也能放心用", K.POPULATION), ("婴儿孕妇都能吃", K.POPULATION), ("safe for babies", K.POPULATION),
])
def test_claims_made_by_words_alone(text: str, kind: ClaimKind) -> None:
    assert kind in {c.kind for c in read_claims(text)}


@pytest.mark.parametrize("text", [
    "比日常价省了60元", "相比日常价，少花60元", "That's 15 dollars cheaper than normal.", "比如放在车里也很方便",
])
def test_comparing_with_its_own_regular_price_is_not_a_comparison(text: str) -> None:
    assert K.COMPARISON not in {c.kind for c in read_claims(text)}


@pytest.mark.parametrize("text,value,unit", [
    ("容量500ml", 500, "ml"), ("12小时保温", 12, "hour"), ("It weighs 340 g.", 340, "g"), ("32cm大口径", 32, "cm"),
    ("拍3号链接", 3, "link"), ("Tap link 9 to order.", 9, "link"), ("It weighs 2 pounds", 2, "lb"),
    ("一盒30袋", 30, "袋"), ("Size M fits a 39 to 41 inch chest.", 39, "in"), ("建议体重45-55kg", 45, "kg"),
])
def test_plain_numbers_keep_their_unit(text: str, value: float, unit: str) -> None:
    assert (K.NUMBER, value, unit) in {(c.kind, c.value, c.unit) for c in read_claims(text)}


def test_48_yuan_and_48_hours_are_different_claims() -> None:
    assert [(c.kind, c.unit) for c in read_claims("48小时内发货，今天48元")] == [(K.SHIPPING, "hour"), (K.PRICE, "money")]


@pytest.mark.parametrize("text", [
    "一键开盖，一只手就能喝水", "It's one of my picks for hiking.", "给大家看一下这款保温杯", "这批货一共", "买来送一个人",
])
def test_the_number_one_as_an_article_is_no_claim(text: str) -> None:
    assert [c for c in read_claims(text) if c.value == 1] == []


@pytest.mark.parametrize("text", ["1元秒杀", "只要一块钱", "Only one dollar today!", "仅剩一件"])
def test_the_number_one_as_a_price_or_stock_is_a_claim(text: str) -> None:
    assert [c.kind for c in read_claims(text) if c.value == 1] in ([K.PRICE], [K.STOCK])


def test_numbers_inside_a_product_name_are_the_name() -> None:
    reader = ClaimReader({"cup-01": ["316不锈钢保温杯"]})
    assert [c.value for c in reader.read("今天这款316不锈钢保温杯只要99元")] == [99]


def test_a_claim_is_about_the_product_named_before_it() -> None:
    reader = ClaimReader({"cup": ["保温杯"], "towel": ["浴巾"]})
    claims = reader.read("保温杯99元，浴巾49.9元")
    assert [(c.value, c.product_id) for c in claims] == [(99, "cup"), (49.9, "towel")]


def test_spans_point_at_the_claim() -> None:
    text = "日常价159元，今天99元"
    assert [text[c.start:c.end] for c in read_claims(text)] == ["159元", "99元"]


@pytest.mark.parametrize("text,value", [
    ("今天免费", 0), ("白送", 0), ("It's free today!", 0), ("It's just a dollar today.", 1), ("壹元秒杀", 1),
    ("今天只要壹佰伍拾玖元", 159),
])
def test_a_price_said_without_digits_is_still_a_price(text: str, value: float) -> None:
    assert [c.value for c in read_claims(text) if c.kind is K.PRICE] == [value]


@pytest.mark.parametrize("text", ["Free shipping over 35 dollars", "feel free to ask", "BPA-free lid", "免费试用装",
                                  "收拾起来很方便"])
def test_free_as_a_word_is_no_price(text: str) -> None:
    assert [c for c in read_claims(text) if c.kind is K.PRICE] == []
