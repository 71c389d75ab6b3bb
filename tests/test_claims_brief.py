"""The brief checked when it is loaded: claims a brief must not make are findings with their field path, and the
text that holds them is never handed to a template, the LLM prompt or the air."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamer.brief import load_brief
from streamer.claims import check_brief
from streamer.errors import BriefError
from streamer.planner.prepare import prepare

CLAIMS = Path(__file__).parent / "briefs" / "claims"
ROOT = Path(__file__).resolve().parents[1]


def findings(name: str) -> set[tuple[str, str]]:
    return {(f.path, f.category) for f in check_brief(load_brief(CLAIMS / name)).findings}


@pytest.mark.parametrize("name,path,category", [
    ("cream_zh.yaml", "products[0].selling_points[1]", "reference_price"),   # 原价399元, list_price 199
    ("bottle_zh.yaml", "products[0].selling_points[4]", "reference_price"),  # 专柜价159元
    ("earbuds_en.yaml", "products[0].selling_points[6]", "reference_price"),  # regular price 99 dollars
    ("jacket_en.yaml", "products[0].selling_points[1]", "reference_price"),   # MSRP 180 dollars
    ("bottle_zh.yaml", "products[0].selling_points[3]", "unbacked_stock"),    # 只剩3件, stock 200
    ("earbuds_en.yaml", "products[0].selling_points[3]", "unbacked_stock"),   # only 3 left, stock 500
    ("jacket_en.yaml", "products[0].selling_points[7]", "unbacked_stock"),    # selling fast, almost gone
    ("cream_zh.yaml", "products[0].selling_points[7]", "unbacked_shipping"),  # 次日达
    ("shirt_zh.yaml", "products[0].selling_points[5]", "unbacked_shipping"),  # 全国包邮
    ("jacket_en.yaml", "products[0].selling_points[4]", "unbacked_shipping"),  # free shipping today
    ("cream_zh.yaml", "products[0].selling_points[8]", "unbacked_promotion"),  # 再送神秘小样
    ("serum_en.yaml", "products[0].selling_points[7]", "unbacked_promotion"),  # free mystery gift
    ("pan_zh.yaml", "products[0].selling_points[5]", "unbacked_promotion"),    # 再送锅铲一把
    ("pan_zh.yaml", "products[0].selling_points[4]", "unbacked_discount"),     # 今天打五折
    ("earbuds_en.yaml", "products[0].selling_points[7]", "unbacked_price"),    # today just 40 dollars
    ("earbuds_en.yaml", "products[0].selling_points[5]", "absolute_guarantee"),  # lifetime warranty
    ("bottle_zh.yaml", "products[0].selling_points[6]", "absolute_guarantee"),   # 终身保修
    ("jacket_en.yaml", "products[0].selling_points[5]", "unbacked_guarantee"),   # money-back
])
def test_promises_the_brief_does_not_back_are_findings_with_their_field_path(name: str, path: str,
                                                                             category: str) -> None:
    assert (path, category) in findings(name)


@pytest.mark.parametrize("name,path,categories", [
    ("cream_zh.yaml", "products[0].selling_points[2]", {"endorsement"}),
    ("serum_en.yaml", "products[0].selling_points[2]", {"endorsement"}),
    ("cream_zh.yaml", "products[0].selling_points[3]", {"special_population"}),
    ("serum_en.yaml", "products[0].selling_points[4]", {"special_population"}),
    ("snack_zh.yaml", "products[0].selling_points[1]", {"special_population"}),
    ("cream_zh.yaml", "products[0].selling_points[4]", {"comparison"}),
    ("earbuds_en.yaml", "products[0].selling_points[1]", {"comparison"}),
    ("snack_zh.yaml", "products[0].selling_points[2]", {"medical"}),
    ("serum_en.yaml", "products[0].faq[1].a", {"medical"}),
])
def test_claims_no_brief_can_back_are_findings(name: str, path: str, categories: set[str]) -> None:
    assert categories <= {c for p, c in findings(name) if p == path}


@pytest.mark.parametrize("path", sorted((ROOT / "assets" / "briefs").glob("*.yaml")) + [
    Path(__file__).parent / "briefs" / "mug_en.yaml"], ids=lambda p: p.name)
def test_clean_briefs_have_no_findings(path: Path) -> None:
    assert check_brief(load_brief(path)).findings == []


def test_the_brief_s_own_facts_are_not_findings() -> None:
    clean = {"products[0].selling_points[0]", "products[0].specs.容量", "products[0].promotions[0]",
             "products[0].shipping", "products[0].after_sales"}
    assert not clean & {p for p, _ in findings("cream_zh.yaml")}


def test_a_dropped_claim_never_reaches_the_speakable_facts() -> None:
    (sp,), dropped = prepare(load_brief(CLAIMS / "cream_zh.yaml"))
    said = " ".join(sp.points + sp.promos + [a for _, a in sp.faqs] + [sp.shipping or "", sp.after_sales or ""])
    assert sp.points == ["一瓶50ml，早晚都能用", "质地清爽不黏腻"]
    assert not any(word in said for word in ("399", "专家", "孕妇", "大牌", "次日达", "神秘小样", "皮肤病"))
    assert {d.field for d in dropped} >= {"products[0].selling_points[1]", "products[0].faq[1].a"}


def test_a_faq_whose_answer_is_dropped_is_not_asked() -> None:
    (sp,), _ = prepare(load_brief(CLAIMS / "serum_en.yaml"))
    assert [q for q, _ in sp.faqs] == ["Can I use it every day"]


def test_a_lint_rewrite_is_kept_in_its_lawful_form() -> None:
    (sp,), _ = prepare(load_brief(Path(__file__).parent / "briefs" / "airfryer_zh.yaml"))
    assert "很好用的空气炸锅" in sp.points


def test_findings_are_worded_in_the_brief_language() -> None:
    (zh,) = [f for f in check_brief(load_brief(CLAIMS / "bottle_zh.yaml")).findings if f.category == "reference_price"]
    assert zh.text == "159元" and "list_price" in zh.message and "虚构原价" in zh.message


def test_a_yaml_error_names_its_line_when_the_brief_is_loaded(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("language: zh\nproducts:\n  - id: a\n    name: [保温杯\n    price: 99\n", encoding="utf-8")
    with pytest.raises(BriefError, match=r"broken\.yaml: not valid YAML at line 5, column \d+"):
        load_brief(broken)
