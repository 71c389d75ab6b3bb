"""The brief model: what loads, and how a bad brief is reported (field path, kind, wording in the brief's language)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from streamer.brief import BriefValidationError, brief_json_schema, load_brief, parse_brief
from streamer.errors import BriefError

ROOT = Path(__file__).resolve().parents[1]
DEMOS = sorted((ROOT / "assets" / "briefs").glob("*.yaml"))
TEST_BRIEFS = sorted((Path(__file__).parent / "briefs").glob("*.yaml"))

GOOD: dict[str, Any] = {
    "language": "en",
    "room": {"host_name": "Sam"},
    "products": [{"id": "a", "name": "Mug", "price": 10, "list_price": 12, "stock": 5, "link": 1}],
}


def problems_of(data: object) -> dict[str, str]:
    with pytest.raises(BriefValidationError) as e:
        parse_brief(data, "b.yaml")
    return {p.path: p.kind for p in e.value.problems}


def edited(**product: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    data["products"][0].update(product)
    return data


@pytest.mark.parametrize("path", DEMOS + TEST_BRIEFS, ids=lambda p: p.name)
def test_bundled_and_test_briefs_load(path: Path) -> None:
    assert load_brief(path).products


def test_missing_price_names_the_field() -> None:
    data = edited()
    del data["products"][0]["price"]
    assert problems_of(data) == {"products[0].price": "missing"}


@pytest.mark.parametrize("language,expected", [("en", "must be greater than 0"), ("zh", "必须大于 0")])
def test_limits_read_as_a_merchant_writes_them(language: str, expected: str) -> None:
    with pytest.raises(BriefError) as e:
        parse_brief({**edited(price=-3), "language": language})
    assert str(e.value).endswith(f"products[0].price: {expected}")  # not "0.0"


def test_negative_stock_is_rejected() -> None:
    assert problems_of(edited(stock=-1)) == {"products[0].stock": "greater_than_equal"}


@pytest.mark.parametrize("field,value,kind", [
    ("price", "cheap", "float_parsing"),
    ("price", True, "bool_not_number"),
    ("stock", 3.5, "int_from_float"),
    ("selling_points", "keeps drinks cold", "list_type"),
    ("specs", ["500ml"], "dict_type"),
    ("link", [3], "link_type"),
    ("currency", "dollars", "currency_code"),
])
def test_wrong_types_name_the_field_and_the_kind(field: str, value: object, kind: str) -> None:
    assert problems_of(edited(**{field: value})) == {f"products[0].{field}": kind}


def test_empty_products_is_rejected() -> None:
    assert problems_of({**GOOD, "products": []}) == {"products": "too_short"}


def test_unknown_language_is_rejected_and_quoted() -> None:
    with pytest.raises(BriefValidationError) as e:
        parse_brief({**GOOD, "language": "fr"}, "b.yaml")
    assert [p.path for p in e.value.problems] == ["language"]
    assert "'fr'" in str(e.value) and "zh or en" in str(e.value)


def test_language_spellings_are_normalised() -> None:
    assert parse_brief({**GOOD, "language": "zh-CN"}).language == "zh"
    assert parse_brief({**GOOD, "language": "English"}).language == "en"


def test_every_problem_is_reported_at_once() -> None:
    data = edited(price=-3, stock="lots")
    data["language"] = "xx"
    assert set(problems_of(data)) == {"language", "products[0].price", "products[0].stock"}


def test_list_price_below_price_is_a_misleading_anchor() -> None:
    assert problems_of(edited(price=20, list_price=12)) == {"products[0].list_price": "list_price_below_price"}


def test_duplicate_product_ids_are_rejected() -> None:
    data = copy.deepcopy(GOOD)
    data["products"].append(dict(data["products"][0]))
    assert problems_of(data) == {"products": "duplicate_id"}


def test_chinese_brief_gets_chinese_messages() -> None:
    data = edited()
    data["language"] = "zh"
    del data["products"][0]["price"]
    with pytest.raises(BriefValidationError) as e:
        parse_brief(data, "b.yaml")
    assert str(e.value) == "b.yaml: products[0].price: 缺少必填字段"


def test_english_brief_gets_english_messages() -> None:
    data = edited()
    del data["products"][0]["price"]
    with pytest.raises(BriefValidationError) as e:
        parse_brief(data, "b.yaml")
    assert str(e.value) == "b.yaml: products[0].price: is required"


def test_brief_without_valid_language_is_worded_by_its_text() -> None:
    with pytest.raises(BriefValidationError) as e:
        parse_brief({"products": [{"id": "a", "name": "保温杯", "price": 9}]}, "b.yaml")
    assert e.value.language == "zh" and "缺少必填字段" in str(e.value)


def test_top_level_must_be_a_mapping() -> None:
    assert problems_of(["not", "a", "brief"]) == {"(brief)": "model_type"}


def test_validation_errors_are_brief_errors_for_the_cli() -> None:
    with pytest.raises(BriefError):
        parse_brief({}, "b.yaml")


def test_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("language: en\nproducts: [\n", encoding="utf-8")
    with pytest.raises(BriefError, match=r"broken\.yaml: not valid YAML"):
        load_brief(path)


def test_json_brief_loads(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    assert load_brief(path).products[0].name == "Mug"


def test_missing_file_is_a_brief_error(tmp_path: Path) -> None:
    with pytest.raises(BriefError, match="not found"):
        load_brief(tmp_path / "nope.yaml")


def test_json_schema_accepts_every_good_brief() -> None:
    schema = brief_json_schema()
    for path in DEMOS + TEST_BRIEFS:
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


def test_json_schema_rejects_what_the_model_rejects() -> None:
    schema = brief_json_schema()
    for bad in (edited(stock=-1), edited(price=0), {**GOOD, "products": []}, {"products": GOOD["products"]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_json_schema_documents_the_fields() -> None:
    product = brief_json_schema()["$defs"]["Product"]
    assert set(product["required"]) == {"id", "name", "price"}
    assert "link number" in product["properties"]["link"]["description"]
