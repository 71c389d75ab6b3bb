"""Brief text made safe to say: every selling point, spec, offer and answer passes the brief check first.

The check (``claims.check_brief``) runs the compliance lint and reads each text into claims: text with a claim the
brief does not back (a fictitious 原价, 专家推荐, 孕妇可用, next-day delivery ``shipping`` does not offer...) is
dropped; text that only breaks a lint rule is rewritten when the lint knows a lawful wording (最好用 -> 很好用) and
dropped otherwise. Dropped text is reported (``Dropped``, with its field path) and never reaches a template, the
LLM prompt, or the air.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..brief import Brief, Product
from ..claims import CheckedBrief, CheckedField, CheckedProduct, check_brief
from .rundown import Dropped

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


def _dropped(checked: CheckedProduct) -> list[Dropped]:
    return [Dropped(product_id=checked.product.id, field=f.path, text=f.text,
                    reasons=[f"{x.category}: {x.text} ({x.message})" for x in f.findings])
            for f in checked.fields if f.speakable is None or (f.key is not None and f.speakable_key is None)]


def speakable_product(checked: CheckedProduct, language: str) -> SpeakableProduct:
    """The fields of one checked product that may be said, in the shape templates need."""
    by_kind: dict[str, list[CheckedField]] = {}
    for f in checked.fields:
        by_kind.setdefault(f.kind, []).append(f)
    names = [f.speakable for f in by_kind.get("name", []) if f.speakable]
    fallback = "这款产品" if language == "zh" else "product"  # a name that breaks the rules is not said
    sp = SpeakableProduct(checked.product, names[0] if names else fallback)
    sp.points = checked.speakable("selling_points")
    sp.specs = [(f.speakable_key, f.speakable) for f in by_kind.get("specs", []) if f.speakable and f.speakable_key]
    sp.promos = checked.speakable("promotions")
    sp.shipping = next(iter(checked.speakable("shipping")), None)
    sp.after_sales = next(iter(checked.speakable("after_sales")), None)
    questions = {f.path[:-2]: f.speakable for f in by_kind.get("faq_q", [])}
    for a in by_kind.get("faq_a", []):
        q = questions.get(a.path[:-2])
        if q and a.speakable:
            sp.faqs.append((q, a.speakable))
    return sp


def prepare(brief: Brief, checked: CheckedBrief | None = None) -> tuple[list[SpeakableProduct], list[Dropped]]:
    """Speakable facts for every product on sale (sold-out products are left out while others remain).

    ``checked`` is the brief's check when the caller has it already (a `ClaimGuard` holds one).
    """
    checked = checked or check_brief(brief)
    on_sale = [c for c in checked.products if c.product.stock != 0] or list(checked.products)
    dropped = [d for c in on_sale for d in _dropped(c)]
    return [speakable_product(c, brief.language) for c in on_sale], dropped
