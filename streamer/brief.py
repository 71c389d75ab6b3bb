"""The merchant's brief: room, persona and products. Loaded from YAML or JSON and validated.

This module is the one source of truth for the brief schema: the CLI, the planner, the API and the panel all use it
(`brief_json_schema()` is what the API publishes). Validation problems come back as a `BriefValidationError` (a
`BriefError`) that lists every problem with its field path, e.g. ``products[0].price``, worded in the brief's own
language (Chinese for ``language: zh``, English otherwise).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from .errors import BriefError

__all__ = ["FAQ", "Brief", "BriefProblem", "BriefValidationError", "Language", "Product", "Room",
           "brief_json_schema", "load_brief", "parse_brief"]

Language = Literal["zh", "en"]

# Spellings merchants actually write; everything maps to the two languages the planner speaks.
_LANGUAGE_ALIASES = {
    "zh": "zh", "zh-cn": "zh", "zh_cn": "zh", "zh-hans": "zh", "cn": "zh", "chinese": "zh", "中文": "zh",
    "en": "en", "en-us": "en", "en_us": "en", "en-gb": "en", "english": "en", "英文": "en", "英语": "en",
}


def _not_bool(value: Any) -> Any:
    # YAML turns `yes`/`true` into booleans and pydantic would quietly read them as 1; a price of True is a typo.
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "expected a number, got {value}", {"value": value})
    return value


def _link(value: Any) -> Any:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and value.strip():
        return int(value) if value.strip().isdigit() else value.strip()
    raise PydanticCustomError("link_type", "expected a link number such as 3, or a short label, got {value!r}",
                              {"value": value})


Price = Annotated[float, Field(gt=0, allow_inf_nan=False), BeforeValidator(_not_bool)]
Count = Annotated[int, Field(ge=0), BeforeValidator(_not_bool)]


class FAQ(BaseModel):
    """A question viewers ask often, with the merchant's answer (spoken as is, after the compliance lint)."""

    model_config = ConfigDict(extra="forbid")
    q: str = Field(min_length=1, description="the question as viewers ask it")
    a: str = Field(min_length=1, description="the answer the host gives")


class Product(BaseModel):
    """One product on sale. Every fact the host says about it (numbers included) must come from here."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, description="unique id within the brief")
    name: str = Field(min_length=1, description="the name the host says")
    price: Price = Field(description="today's selling price")
    list_price: Price | None = Field(default=None, description="regular (crossed-out) price used as the anchor; "
                                     "must be a price the product really sold at")
    currency: str = Field(default="CNY", description="ISO 4217 code, e.g. CNY or USD")
    stock: Count | None = Field(default=None, description="units available; 0 means sold out")
    link: Annotated[int | str | None, BeforeValidator(_link)] = Field(
        default=None, description="the shop link number (cart slot) viewers are told to click, e.g. 3")
    image: str | None = Field(default=None, description="product picture for the scene's product card")
    hero: bool = Field(default=False, description="the room's main product: mentioned more often in each loop")
    kind: Literal["medical", "cosmetic", "food", "other"] | None = Field(
        default=None, description="what the product is, for wording rules that depend on it: medical words only for "
        "medical goods, safety claims for pregnant women and babies are checked for cosmetic, food and medical "
        "goods; unset checks every rule")
    selling_points: list[str] = Field(default_factory=list, description="short claims, each said on air")
    specs: dict[str, str | int | float] = Field(default_factory=dict, description="name -> value, e.g. 容量: 500ml")
    promotions: list[str] = Field(default_factory=list, description="real offers, e.g. 前100单送杯套")
    shipping: str | None = Field(default=None, description="shipping promise as the shop states it")
    after_sales: str | None = Field(default=None, description="returns and warranty as the shop states it")
    faq: list[FAQ] = Field(default_factory=list)

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, v: str) -> str:
        if len(v) != 3 or not v.isalpha():
            raise PydanticCustomError("currency_code", "must be a 3-letter ISO 4217 code such as CNY or USD")
        return v.upper()

    @field_validator("list_price")
    @classmethod
    def _list_price_not_below_price(cls, v: float | None, info: ValidationInfo) -> float | None:
        price = info.data.get("price")
        if v is not None and price is not None and v < price:
            # An anchor below the selling price would make the "was / now" line a false claim.
            raise PydanticCustomError("list_price_below_price", "list_price {list_price:g} is below price {price:g}",
                                      {"list_price": v, "price": price})
        return v

    @field_validator("selling_points", "promotions")
    @classmethod
    def _no_blank_items(cls, v: list[str]) -> list[str]:
        items = [s.strip() for s in v]
        if any(not s for s in items):
            raise PydanticCustomError("blank_item", "contains an empty item")
        return items


class Room(BaseModel):
    """The live room: who hosts it and how they come across."""

    model_config = ConfigDict(extra="allow")
    host_name: str = Field(default="Host", description="the name the host uses for themself")
    persona: str = Field(default="", description="tone and character, e.g. 热情专业的家居好物主播")


class Brief(BaseModel):
    """What the merchant hands over: language, room and the products to sell."""

    model_config = ConfigDict(extra="allow", title="Brief")

    language: Language = Field(description="the language the host speaks: zh or en")
    room: Room = Field(default_factory=Room)
    products: list[Product] = Field(min_length=1, description="at least one product")

    @field_validator("language", mode="before")
    @classmethod
    def _known_language(cls, v: Any) -> Any:
        key = v.strip().lower() if isinstance(v, str) else v
        if key not in _LANGUAGE_ALIASES:
            raise PydanticCustomError("unknown_language", "unknown language {value!r}; use zh or en", {"value": v})
        return _LANGUAGE_ALIASES[key]

    @field_validator("products")
    @classmethod
    def _unique_product_ids(cls, v: list[Product]) -> list[Product]:
        first: dict[str, int] = {}
        for i, p in enumerate(v):
            if p.id in first:
                raise PydanticCustomError("duplicate_id", "product id {id!r} is used by products[{a}] and products[{b}]",
                                          {"id": p.id, "a": first[p.id], "b": i})
            first[p.id] = i
        return v

    def product(self, product_id: str) -> Product:
        for p in self.products:
            if p.id == product_id:
                return p
        raise KeyError(product_id)


def brief_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a brief, for the API and the panel's editor."""
    schema = Brief.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


# --- errors ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BriefProblem:
    """One thing wrong with a brief: where (``products[0].price``), what kind (pydantic's type) and why."""

    path: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class BriefValidationError(BriefError):
    """A brief that parsed but does not validate; ``problems`` lists every field that is wrong."""

    def __init__(self, source: str, problems: list[BriefProblem], language: str = "en") -> None:
        sep = "；" if language == "zh" else "; "
        super().__init__(f"{source}: " + sep.join(str(p) for p in problems))
        self.source = source
        self.problems = problems
        self.language = language


# Own wording for the common cases: pydantic's ("Input should be ...") reads like a stack trace to a merchant.
_MESSAGES: dict[str, tuple[str, str]] = {  # type -> (en, zh)
    "missing": ("is required", "缺少必填字段"),
    "greater_than": ("must be greater than {gt}", "必须大于 {gt}"),
    "greater_than_equal": ("must be {ge} or more", "不能小于 {ge}"),
    "int_parsing": ("must be a whole number", "应为整数"),
    "int_type": ("must be a whole number", "应为整数"),
    "int_from_float": ("must be a whole number", "应为整数，不能带小数"),
    "float_parsing": ("must be a number", "应为数字"),
    "float_type": ("must be a number", "应为数字"),
    "finite_number": ("must be a finite number", "应为有限的数字"),
    "bool_not_number": ("must be a number, not {value}", "应为数字，不能是 {value}"),
    "bool_type": ("must be true or false", "应为 true 或 false"),
    "bool_parsing": ("must be true or false", "应为 true 或 false"),
    "string_type": ("must be text", "应为文本"),
    "string_too_short": ("must not be empty", "不能为空"),
    "too_short": ("must have at least {min_length} item(s)", "至少需要 {min_length} 项"),
    "list_type": ("must be a list", "应为列表"),
    "dict_type": ("must be a mapping (key: value)", "应为键值映射"),
    "model_type": ("must be a mapping (key: value)", "应为键值映射"),
    "model_attributes_type": ("must be a mapping (key: value)", "应为键值映射"),
    "extra_forbidden": ("is not a known field", "不是可用的字段"),
    "unknown_language": ("unknown language {value!r}; use zh or en", "未知语言 {value!r}，请填写 zh 或 en"),
    "currency_code": ("must be a 3-letter ISO 4217 code such as CNY or USD", "应为三位货币代码，如 CNY 或 USD"),
    "list_price_below_price": ("list_price {list_price:g} is below price {price:g}; an anchor price below the "
                               "selling price is misleading",
                               "划线价 {list_price:g} 低于售价 {price:g}，这样的对比价有误导性"),
    "duplicate_id": ("product id {id!r} is used by products[{a}] and products[{b}]",
                     "商品 id {id!r} 在 products[{a}] 和 products[{b}] 重复"),
    "link_type": ("must be a link number such as 3, or a short label", "应为链接号（如 3）或简短标签"),
    "blank_item": ("contains an empty item", "含有空白项"),
}


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if part in ("function-before", "function-after", "int", "str", "float", "none"):
            continue  # union/validator branch tags, not fields
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(brief)"


class _Number(float):
    """A float that prints without a trailing .0 unless a format spec says otherwise."""

    def __format__(self, spec: str) -> str:
        return format(float(self), spec or "g")


def _message(err: Any, language: str) -> str:
    texts = _MESSAGES.get(err["type"])
    if texts is None:
        return str(err["msg"])
    # limits such as gt=0 arrive as floats; a merchant should read "greater than 0", not "0.0"
    ctx = {k: _Number(v) if isinstance(v, float) else v for k, v in (err.get("ctx") or {}).items()}
    try:
        return texts[1 if language == "zh" else 0].format(**ctx)
    except (KeyError, ValueError, IndexError):
        return str(err["msg"])


def _guess_language(data: dict[str, Any]) -> str:
    """The language to word errors in: the brief's own, or Chinese when its text is Chinese."""
    lang = data.get("language")
    if isinstance(lang, str) and lang.strip().lower() in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[lang.strip().lower()]
    return "zh" if re.search(r"[\u4e00-\u9fff]", json.dumps(data, ensure_ascii=False, default=str)) else "en"


def parse_brief(data: object, source: str = "brief") -> Brief:
    """Validate already-parsed data; errors name the field path, e.g. ``products[0].price``."""
    if not isinstance(data, dict):
        raise BriefValidationError(source, [BriefProblem("(brief)", "model_type",
                                                         f"expected a mapping at the top level, got "
                                                         f"{type(data).__name__}")])
    try:
        return Brief.model_validate(data)
    except ValidationError as e:
        lang = _guess_language(data)
        problems = [BriefProblem(_field_path(err["loc"]), err["type"], _message(err, lang)) for err in e.errors()]
        raise BriefValidationError(source, problems, lang) from None


def load_brief(path: str | Path) -> Brief:
    """Read a brief from a YAML or JSON file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BriefError(f"{p}: brief file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BriefError(f"{p}: cannot read brief ({e})") from None
    is_json = p.suffix.lower() == ".json"
    try:
        data = json.loads(text) if is_json else yaml.safe_load(text)
    except json.JSONDecodeError as e:
        raise BriefError(f"{p}: not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except yaml.YAMLError as e:
        raise BriefError(f"{p}: {yaml_error(e)}") from None
    return parse_brief(data, str(p))


def yaml_error(e: yaml.YAMLError) -> str:
    """``not valid YAML at line 12, column 5: <what is wrong>``: PyYAML's words without its excerpt of the file."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    words = "; ".join(w for w in (getattr(e, "context", None), getattr(e, "problem", None)) if w)
    return f"not valid YAML{where}: {words or str(e).splitlines()[0]}"
