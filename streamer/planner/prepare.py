"""Brief text made safe to say: every selling point, spec, offer and answer passes the compliance lint first.

Text that violates a rule is rewritten when the lint knows a lawful wording (最好用 -> 很好用) and dropped otherwise;
dropped text is reported (``Dropped``) and never reaches a template, the LLM prompt, or the air.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..brief import Brief, Product
from ..compliance import lint, rewrite
from .rundown import Dropped

_TRAILING = re.compile(r"[\s。.!！?？；;，,]+$")

_EN_VERBS = frozenset("""keeps fits holds comes works folds stays goes lasts cleans charges weighs has includes makes lets
runs feels washes dries locks seals pours packs supports protects brews heats cools blocks absorbs adjusts connects
needs takes uses gives helps saves stores opens closes locks glows""".split())

_CURRENCY_ZH = {"CNY": "元", "RMB": "元", "USD": "美元", "EUR": "欧元", "GBP": "英镑", "JPY": "日元", "HKD": "港币"}
_CURRENCY_EN = {"USD": "dollars", "CNY": "yuan", "RMB": "yuan", "EUR": "euros", "GBP": "pounds", "JPY": "yen",
                "CAD": "Canadian dollars", "AUD": "Australian dollars", "HKD": "Hong Kong dollars"}


def amount(value: float) -> str:
    """99.0 -> "99", 49.9 -> "49.9", 24.99 -> "24.99": how a price is written so that TTS reads it naturally."""
    return f"{round(value, 2):.2f}".rstrip("0").rstrip(".")


def money(value: float, currency: str, language: str) -> str:
    if language == "zh":
        return amount(value) + _CURRENCY_ZH.get(currency, currency)
    return f"{amount(value)} {_CURRENCY_EN.get(currency, currency)}"


def is_verb_phrase(point: str) -> bool:
    """"keeps drinks cold" (say "It keeps...") versus "leak-proof lid" (say "Check this out: leak-proof lid")."""
    first = point.split(maxsplit=1)[0].lower() if point.split() else ""
    return first in _EN_VERBS or (len(first) > 3 and first.endswith("s") and not first.endswith(("ss", "us", "is")))


@dataclass
class SpeakableProduct:
    """One product's facts after the lint: only what may be said, in the shape templates need."""

    product: Product
    name: str
    points: list[str] = field(default_factory=list)
    specs: list[tuple[str, str]] = field(default_factory=list)
    promos: list[str] = field(default_factory=list)
    shipping: str | None = None
    after_sales: str | None = None
    faqs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.product.id


class _Cleaner:
    def __init__(self, product_id: str) -> None:
        self.product_id = product_id
        self.dropped: list[Dropped] = []

    def __call__(self, text: str | None, where: str) -> str | None:
        if text is None:
            return None
        text = _TRAILING.sub("", str(text).strip())
        if not text:
            return None
        safe = rewrite(text)
        if safe is None:
            reasons = [f"{f.category}: {f.text} ({f.message})" for f in lint(text)]
            self.dropped.append(Dropped(product_id=self.product_id, field=where, text=text, reasons=reasons))
        return safe


def prepare_product(p: Product, index: int, language: str) -> tuple[SpeakableProduct, list[Dropped]]:
    clean = _Cleaner(p.id)
    at = f"products[{index}]"
    fallback = "这款产品" if language == "zh" else "product"
    name = clean(p.name, f"{at}.name") or fallback  # a name that breaks the law is not said; a neutral one is
    sp = SpeakableProduct(p, name)
    sp.points = [t for i, s in enumerate(p.selling_points) if (t := clean(s, f"{at}.selling_points[{i}]"))]
    for k, v in p.specs.items():
        key, value = clean(str(k), f"{at}.specs.{k}"), clean(str(v), f"{at}.specs.{k}")
        if key and value:
            sp.specs.append((key, value))
    sp.promos = [t for i, s in enumerate(p.promotions) if (t := clean(s, f"{at}.promotions[{i}]"))]
    sp.shipping = clean(p.shipping, f"{at}.shipping")
    sp.after_sales = clean(p.after_sales, f"{at}.after_sales")
    for i, f in enumerate(p.faq):
        q, a = clean(f.q, f"{at}.faq[{i}].q"), clean(f.a, f"{at}.faq[{i}].a")
        if q and a:
            sp.faqs.append((q, a))
    return sp, clean.dropped


def prepare(brief: Brief) -> tuple[list[SpeakableProduct], list[Dropped]]:
    """Speakable facts for every product on sale (sold-out products are left out while others remain)."""
    products = [p for p in brief.products if p.stock != 0] or list(brief.products)
    out: list[SpeakableProduct] = []
    dropped: list[Dropped] = []
    for p in products:
        sp, d = prepare_product(p, brief.products.index(p), brief.language)
        out.append(sp)
        dropped += d
    return out, dropped
