"""The compliance lint: what may not be said on air, what may, and how a finding is reported."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from streamer.compliance import RULES, Category, ProductKind, is_clean, lint, rewrite

DATA = Path(__file__).parent / "data"

# Short names keep the table readable: N is inducement (I would read as a digit).
E, A, F, M, P, N, S = (Category.EXTREME, Category.AUTHORITY, Category.FALSE_CLAIM, Category.MEDICAL,
                       Category.PRICE_FRAUD, Category.INDUCEMENT, Category.SUPERSTITION)

# (sentence, categories the lint must report). An empty set is a tricky sentence that must stay clean.
TABLE: list[tuple[str, set[Category]]] = [
    # Chinese violations
    ("这是全网最低价，错过再等一年", {P}),
    ("最好用的保温杯就是它", {E}),
    ("全国销量第一的保温杯", {E}),
    ("国家级工艺，品质有保障", {A}),
    ("顶级316不锈钢", {E}),
    ("绝对不漏水", {F}),
    ("喝了能降血压", {M}),
    ("这款茶叶减肥效果特别好", {M}),
    ("跳楼价清仓，亏本甩卖", {P}),
    ("仅限今天，明天就涨价", {P}),
    ("100%有效，无副作用", {F}),
    ("加我微信私聊下单更便宜", {N}),
    ("好评返现五元", {N}),
    ("佩戴可以招财转运", {S}),
    ("央视推荐的品牌", {A}),
    ("行业唯一的专利设计", {E}),
    ("同类产品中的NO.1", {E}),
    ("永不变形，终身使用", {F}),
    ("浴巾抗菌又除螨", {M}),
    ("最受欢迎的款式之一", {E}),
    # Chinese sentences that look risky but are fine
    ("第一次用就很顺手", set()),
    ("第一时间给大家发货", set()),
    ("这是我们今天的主推款之一", set()),
    ("国内领先的保温杯品牌之一", set()),
    ("最近很多朋友在问这款", set()),
    ("最后给大家说一下售后", set()),
    ("最好用温水手洗", set()),
    ("最多可以装500ml", set()),
    ("唯一的缺点是稍微有点重", set()),
    ("面料是100%纯棉", set()),
    ("符合国家标准，放心使用", set()),
    ("积极的生活从一杯热水开始", set()),
    ("整体做工十分精致", set()),
    ("永久保修，售后无忧", set()),
    # English violations
    ("It's the best bottle in the world.", {E}),
    ("Guaranteed to keep you warm forever.", {F}),
    ("This tea cures insomnia.", {M}),
    ("Lowest price anywhere, today only!", {P}),
    ("The number one blender in America.", {E}),
    ("FDA approved and clinically proven.", {A, F}),
    ("DM me to pay off-platform and save.", {N}),
    ("Leave a five-star review for a refund.", {N}),
    ("Boosts your immune system and burns fat.", {M}),
    ("Unbeatable quality at factory price.", {E, P}),
    ("This lucky charm brings good luck.", {S}),
    ("Our best-selling mug.", {E}),
    # English sentences that look risky but are fine
    ("Tap link number 1 to order.", set()),
    ("It's best to hand-wash the lid.", set()),
    ("30-day money-back guarantee on every order.", set()),
    ("Free strap with the first 50 orders.", set()),
    ("The jacket is 100% cotton.", set()),
    ("It makes a great gift for first-time campers.", set()),
    ("Try our best to answer every question in the chat.", set()),
    ("It ships anywhere in the world.", set()),
    ("The only thing that matters here is the lid.", set()),
    ("The only bottle that never leaks.", {E, F}),
]


@pytest.mark.parametrize("text,expected", TABLE, ids=[t for t, _ in TABLE])
def test_lint_table(text: str, expected: set[Category]) -> None:
    assert {f.category for f in lint(text)} == expected


def test_table_is_large_enough_and_covers_both_languages() -> None:
    zh = [t for t, _ in TABLE if any("\u4e00" <= c <= "\u9fff" for c in t)]
    assert len(TABLE) >= 40 and len(zh) >= 20 and len(TABLE) - len(zh) >= 15
    assert sum(1 for _, cats in TABLE if not cats) >= 15  # tricky clean sentences, not only violations


def test_tables_exercise_every_category() -> None:
    cats = set().union(*(c for _, c in TABLE), *(c.expected for c in DEV))
    assert cats == set(Category)


def test_finding_span_points_at_the_offending_words() -> None:
    text = "这款真的是全网最低价"
    (finding,) = lint(text)
    assert text[finding.start:finding.end] == finding.text == "全网最低价"
    assert finding.span == (5, 10)


def test_finding_carries_a_message_and_a_suggestion() -> None:
    (finding,) = lint("Meet the best mug.")
    assert finding.rule == "en.best" and finding.message and finding.suggestion
    assert finding.to_dict()["span"] == [5, 13] and finding.text == "the best"


def test_overlapping_hits_are_reported_once() -> None:
    assert [f.rule for f in lint("全网最低价")] == ["zh.lowest_price"]


def test_every_rule_has_a_message_and_suggestion() -> None:
    assert all(r.message and r.suggestion for r in RULES)


def test_rewrite_softens_superlatives_that_have_a_lawful_form() -> None:
    assert rewrite("最好用的保温杯") == "很好用的保温杯"
    assert rewrite("顶级316不锈钢") == "高品质316不锈钢"
    assert rewrite("It is the best mug.") == "It is a great mug."
    assert rewrite("The best mug.") == "A great mug."


def test_rewrite_removes_absolutes_that_add_nothing() -> None:
    assert rewrite("绝对不漏水") == "不漏水"


def test_rewrite_refuses_claims_that_cannot_be_saved() -> None:
    assert rewrite("全国销量第一") is None
    assert rewrite("喝了能降血压") is None
    assert rewrite("Guaranteed to last forever") is None


def test_rewrite_leaves_clean_text_alone() -> None:
    assert rewrite("12小时保温") == "12小时保温"


def test_is_clean() -> None:
    assert is_clean("杯盖可拆洗") and not is_clean("万能清洁剂")


# The phrase tables in tests/data: ``lint_dev.jsonl`` is what the rules were written against (every case must pass),
# ``lint_heldout.jsonl`` was written at the same time and not looked at while writing rules (a threshold must hold).
@dataclass(frozen=True)
class Case:
    """One line of a table: the sentence, the categories it must get ([] = clean), and the product kind if any."""

    text: str
    expected: frozenset[Category]
    language: str
    kind: ProductKind | None

    def found(self) -> set[Category]:
        return {f.category for f in lint(self.text, self.kind)}


def _load(name: str) -> list[Case]:
    with (DATA / name).open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [Case(r["text"], frozenset(Category(c) for c in r["expected"]), r.get("language", "zh"),
                 ProductKind(r["kind"]) if r.get("kind") else None) for r in rows]


DEV, HELDOUT = _load("lint_dev.jsonl"), _load("lint_heldout.jsonl")
NEW = (Category.ENDORSEMENT, Category.SPECIAL_POPULATION, Category.COMPARISON)
HELDOUT_PRECISION, HELDOUT_RECALL = 0.9, 0.85  # over (sentence, category) pairs


@pytest.mark.parametrize("case", DEV, ids=[f"{c.kind or 'any'}:{c.text}" for c in DEV])
def test_lint_dev_table(case: Case) -> None:
    assert case.found() == case.expected


def test_phrase_tables_hold_150_cases_in_both_languages_half_of_them_clean() -> None:
    cases = DEV + HELDOUT
    assert len(cases) >= 150
    for language in ("zh", "en"):
        own = [c for c in cases if c.language == language]
        assert len(own) >= 60 and 0.35 <= sum(1 for c in own if not c.expected) / len(own) <= 0.65


@pytest.mark.parametrize("cases", [DEV, HELDOUT], ids=["dev", "heldout"])
def test_each_half_has_every_new_category_in_both_languages(cases: list[Case]) -> None:
    for language in ("zh", "en"):
        assert set(NEW) <= set().union(*(c.expected for c in cases if c.language == language))


def _scores(cases: list[Case]) -> tuple[float, float]:
    tp = fp = fn = 0
    for c in cases:
        found = c.found()
        tp, fp, fn = tp + len(found & c.expected), fp + len(found - c.expected), fn + len(c.expected - found)
    return tp / (tp + fp), tp / (tp + fn)


def test_heldout_precision_and_recall() -> None:
    precision, recall = _scores(HELDOUT)
    print(f"lint heldout ({len(HELDOUT)} cases): precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= HELDOUT_PRECISION and recall >= HELDOUT_RECALL, (precision, recall)


def test_endorsement_by_doctors_experts_and_celebrities() -> None:
    assert [f.category for f in lint("皮肤科医生认证，明星同款")] == [Category.ENDORSEMENT] * 2
    assert [f.category for f in lint("Dermatologist approved.")] == [Category.ENDORSEMENT]


def test_a_doctors_general_advice_is_not_an_endorsement() -> None:
    assert is_clean("医生建议多喝水") and is_clean("医生推荐多喝水") and is_clean("Doctors recommend drinking water.")


def test_a_safety_warning_for_pregnancy_is_not_a_safety_claim() -> None:
    assert is_clean("孕妇慎用") and is_clean("孕妇能用吗？") and is_clean("It is not safe for children under 3.")
    assert not is_clean("孕妇也能用")


def test_hosts_calling_viewers_babies_is_not_about_babies() -> None:
    assert is_clean("宝宝们放心用") and not is_clean("宝宝放心用")


def test_comparing_with_the_own_previous_model_is_allowed_with_a_rival_is_not() -> None:
    assert is_clean("比上一代轻了20%") and is_clean("It's 20% lighter than our previous model.")
    assert [f.category for f in lint("比大牌还好用")] == [Category.COMPARISON]
    assert [f.category for f in lint("Better than Stanley.")] == [Category.COMPARISON]


def test_medical_words_are_lawful_for_a_medical_product_only() -> None:
    assert is_clean("消炎止痛", kind=ProductKind.MEDICAL) and is_clean("Reduces inflammation.", kind="medical")
    assert [f.category for f in lint("消炎止痛", kind="food")] == [Category.MEDICAL] * 2
    assert [f.category for f in lint("消炎止痛")] == [Category.MEDICAL] * 2


def test_a_medical_product_still_may_not_borrow_a_doctors_name() -> None:
    assert [f.category for f in lint("医生推荐的止痛贴", kind="medical")] == [Category.ENDORSEMENT]


def test_special_population_safety_is_checked_for_cosmetics_food_and_unknown_products() -> None:
    for kind in (None, ProductKind.COSMETIC, ProductKind.FOOD, ProductKind.MEDICAL):
        assert [f.category for f in lint("婴儿也能用", kind)] == [Category.SPECIAL_POPULATION], kind
    assert is_clean("婴儿也能用的推车", kind="other") and is_clean("Safe for babies.", kind="other")


def test_an_unknown_product_kind_is_an_error() -> None:
    with pytest.raises(ValueError):
        lint("杯子", kind="toy")


def test_rewrite_drops_endorsements_it_cannot_soften() -> None:
    assert rewrite("专家都推荐、哺乳期也能用") is None
    assert rewrite("消炎止痛", kind="medical") == "消炎止痛"


def test_a_child_lock_is_a_feature_not_a_safety_claim() -> None:
    assert is_clean("儿童安全锁设计") and is_clean("Child-safe cap on every bottle.")
