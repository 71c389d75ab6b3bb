"""The brief checked with the same rules as the air: every text field a host may say, read into claims.

``check_brief(brief)`` reads the name, selling points, specs, promotions, shipping, after-sales and FAQ of every
product (and the room's persona) and lists findings with their field path (``products[0].selling_points[2]``):
the compliance lint's, plus what needs the brief to see: an endorsement, a comparison with other products, a
special-population safety claim, efficacy for a product that is not medical, a reference price that is not the
``list_price``, a lifetime or absolute guarantee ``after_sales`` does not give, and promises not in the field of
their kind (a stock figure that is not ``stock``, next-day delivery ``shipping`` does not offer, a gift that is not
in ``promotions``). A field with such a finding is never spoken (``speakable`` is None); a field the lint can
rewrite (最好用 -> 很好用) is spoken in its rewritten form. Plain numbers in the brief's own text are its facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..brief import Brief, Product
from ..compliance import Finding, lint, rewrite
from .grounds import Grounds
from .kinds import Claim, ClaimKind
from .reader import ClaimReader

__all__ = ["PHRASE_KINDS", "BriefFinding", "CheckedBrief", "CheckedField", "CheckedProduct", "check_brief", "reader_for"]

K = ClaimKind
_TRAILING = re.compile(r"[\s。.!！?？；;，,]+$")
# Claims made by their words alone, never backed by a brief; the lint may know the same words.
PHRASE_KINDS = frozenset({K.ENDORSEMENT, K.COMPARISON, K.SUPERLATIVE, K.EFFICACY, K.POPULATION})

# category -> (en message, zh message, en suggestion, zh suggestion)
_WORDING: dict[str, tuple[str, str, str, str]] = {
    "endorsement": ("unverifiable endorsement or authority", "无法核实的背书或权威认证",
                    "say what the product is, not who vouches for it", "只介绍产品本身，去掉专家、医生、明星等背书"),
    "comparison": ("comparison with other products", "与其他产品或品牌比较",
                   "describe this product on its own", "只说本产品，不与其他品牌比较"),
    "special_population": ("safety claim for a special population", "特殊人群（孕妇、哺乳期、婴幼儿等）安全宣称",
                           "remove it; the brief cannot carry the evidence", "删除，此类宣称需要资质证明"),
    "medical": ("efficacy or medical claim for a product that is not a medicine", "非药品宣称医疗功效",
                "describe what it is, not what it treats", "删除功效宣称，只描述产品本身"),
    "superlative": ("superlative", "极限用语", "say what it does well without a superlative", "去掉“最”“第一”等极限词"),
    "reference_price": ("reference price that is not the list_price (a fictitious original price)",
                        "参考价不是划线价 list_price（虚构原价）",
                        "use list_price or drop the reference price", "使用 list_price，或删掉原价说法"),
    "absolute_guarantee": ("absolute or lifetime guarantee that after_sales does not give",
                           "售后 after_sales 中没有的绝对化或终身承诺",
                           "state the after_sales terms as written", "按 after_sales 原文说明售后"),
}
_UNBACKED = {  # claim kind -> (field, zh field name)
    K.PRICE: ("price", "价格 price"), K.DISCOUNT: ("price/list_price/promotions", "价格或活动 promotions"),
    K.STOCK: ("stock", "库存 stock"), K.SHIPPING: ("shipping", "发货 shipping"),
    K.PROMOTION: ("promotions", "活动 promotions"), K.GUARANTEE: ("after_sales", "售后 after_sales"),
}


@dataclass(frozen=True, slots=True)
class BriefFinding:
    """One thing in a brief text that must not be said: where, what kind, which words, and what to do."""

    path: str
    category: str
    start: int
    end: int
    text: str
    message: str
    suggestion: str

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


@dataclass
class CheckedField:
    """One text field of the brief: as written, what may be said of it (None: nothing), and why."""

    path: str
    kind: str  # name, selling_points, specs, promotions, shipping, after_sales, faq_q, faq_a, persona
    text: str
    speakable: str | None
    findings: list[BriefFinding] = field(default_factory=list)
    key: str | None = None  # a spec's name
    speakable_key: str | None = None


@dataclass
class CheckedProduct:
    product: Product
    index: int
    fields: list[CheckedField] = field(default_factory=list)

    def speakable(self, kind: str) -> list[str]:
        return [f.speakable for f in self.fields if f.kind == kind and f.speakable]

    def facts(self) -> dict[str, object]:
        """What may be said of this product, as data for a model's prompt: the fields that passed the check only,
        so a model is never shown a claim the brief check refused (a fake 原价, an endorsement)."""
        p = self.product
        out: dict[str, object] = {"id": p.id, "name": self.speakable("name")[0] if self.speakable("name") else p.id,
                                  "price": p.price, "currency": p.currency}
        if p.list_price:
            out["list_price"] = p.list_price
        if p.stock is not None:
            out["stock"] = p.stock
            if p.stock == 0:
                out["sold_out"] = True
        if p.link is not None:
            out["link"] = p.link
        for kind in ("selling_points", "promotions"):
            if texts := self.speakable(kind):
                out[kind] = texts
        for kind in ("shipping", "after_sales"):
            if texts := self.speakable(kind):
                out[kind] = texts[0]
        specs = {f.speakable_key: f.speakable for f in self.fields if f.kind == "specs" and f.speakable
                 and f.speakable_key}
        if specs:
            out["specs"] = specs
        questions = [f for f in self.fields if f.kind == "faq_q"]
        answers = [f for f in self.fields if f.kind == "faq_a"]  # one per question, in the same order
        faq = [{"q": q.speakable, "a": a.speakable} for q, a in zip(questions, answers, strict=True)
               if q.speakable and a.speakable]
        if faq:
            out["faq"] = faq
        return out

    def grounds(self, reader: ClaimReader) -> Grounds:
        """What this product's speakable fields back (only fields that passed the check ground anything)."""
        texts = [t for f in self.fields if f.speakable for t in (f.speakable_key, f.speakable) if t]
        return Grounds.build(self.product, reader, texts, self.speakable("promotions"), self.speakable("shipping"),
                             self.speakable("after_sales"))


@dataclass
class CheckedBrief:
    brief: Brief
    reader: ClaimReader
    products: list[CheckedProduct]
    room: list[CheckedField]

    @property
    def findings(self) -> list[BriefFinding]:
        fields = [f for p in self.products for f in p.fields] + self.room
        return [x for f in fields for x in f.findings]

    def product(self, product_id: str) -> CheckedProduct:
        for p in self.products:
            if p.product.id == product_id:
                return p
        raise KeyError(product_id)


def reader_for(brief: Brief) -> ClaimReader:
    """A reader that knows the brief's product names (a sentence naming one is about that product)."""
    return ClaimReader({p.id: [p.name] for p in brief.products})


def _strip(text: object) -> str:
    return _TRAILING.sub("", str(text).strip())


class _Checker:
    def __init__(self, brief: Brief, reader: ClaimReader) -> None:
        self.zh = brief.language == "zh"
        self.reader = reader

    def finding(self, path: str, category: str, c: Claim, detail: str = "") -> BriefFinding:
        if category.startswith("unbacked_"):
            where_en, where_zh = _UNBACKED[c.kind]
            msg = (f"“{c.text}”不在简报的{where_zh}中" if self.zh else f"{c.text!r} is not backed by {where_en}")
            sug = (f"属实就写进{where_zh}，否则删除" if self.zh else f"put it in {where_en} if it is true, or remove it")
        else:
            en, zh, sug_en, sug_zh = _WORDING[category]
            msg, sug = (zh, sug_zh) if self.zh else (en, sug_en)
        if detail and not self.zh:
            msg = f"{msg}: {detail}"
        return BriefFinding(path, category, c.start, c.end, c.text, msg, sug)

    def claim_findings(self, path: str, text: str, grounds: Grounds, lint_found: list[Finding]) -> list[BriefFinding]:
        claims = self.reader.read(text)
        stock_ok = any(c.kind is K.STOCK and c.value is not None and grounds.why_not(c) is None for c in claims)
        out: list[BriefFinding] = []
        for c in claims:
            if c.kind in PHRASE_KINDS and any(f.start < c.end and c.start < f.end for f in lint_found):
                continue  # the lint already names these words, with its own advice
            category = self._category(c, grounds, stock_ok)
            if category:
                out.append(self.finding(path, category, c, grounds.why_not(c) or ""))
        return out

    @staticmethod
    def _category(c: Claim, grounds: Grounds, stock_ok: bool) -> str | None:
        if c.kind is K.NUMBER:
            return None  # the brief's own numbers are its facts
        if c.kind is K.STOCK and c.value is None:
            return None if stock_ok else "unbacked_stock"
        if c.kind is K.EFFICACY and grounds.medical:
            return None  # a medicine's own fields are its registered claims; they then ground what is said
        why = grounds.why_not(c)
        if why is None:
            return None
        if c.kind is K.POPULATION:
            return "special_population"
        if c.kind is K.EFFICACY:
            return "medical"
        if c.kind is K.REFERENCE_PRICE:
            return "reference_price"
        if c.kind is K.GUARANTEE and c.tags & {"lifetime", "guarantee"}:
            return "absolute_guarantee"
        if c.kind in _UNBACKED:
            return f"unbacked_{c.kind.value}"
        return c.kind.value  # endorsement, comparison, superlative

    def field(self, path: str, kind: str, text: str, grounds: Grounds | None, key: str | None = None) -> CheckedField:
        whole = f"{key}：{text}" if key is not None else text  # a spec is read as "name：value"; spans index that
        lint_found = lint(whole, grounds.product.kind if grounds else None)  # medicines may name what they treat
        findings = [BriefFinding(path, str(f.category), f.start, f.end, f.text, f.message, f.suggestion)
                    for f in lint_found]
        claim_found = self.claim_findings(path, whole, grounds, lint_found) if grounds else []
        findings = sorted(findings + claim_found, key=lambda f: f.start)
        if claim_found:
            return CheckedField(path, kind, text, None, findings, key)
        product_kind = grounds.product.kind if grounds else None
        speakable = rewrite(text, product_kind) if text else None
        speakable_key = rewrite(key, product_kind) if key else None
        if key is not None and not speakable_key:
            speakable = None
        return CheckedField(path, kind, text, speakable, findings, key, speakable_key)


def _product_fields(p: Product, index: int) -> list[tuple[str, str, str, str | None]]:
    """(path, kind, text, spec key) of every text a host may say about ``p``."""
    at = f"products[{index}]"
    out: list[tuple[str, str, str, str | None]] = [(f"{at}.name", "name", p.name, None)]
    out += [(f"{at}.selling_points[{i}]", "selling_points", s, None) for i, s in enumerate(p.selling_points)]
    out += [(f"{at}.specs.{k}", "specs", str(v), str(k)) for k, v in p.specs.items()]
    out += [(f"{at}.promotions[{i}]", "promotions", s, None) for i, s in enumerate(p.promotions)]
    out += [(f"{at}.{k}", k, v, None) for k, v in (("shipping", p.shipping), ("after_sales", p.after_sales)) if v]
    for i, f in enumerate(p.faq):
        out += [(f"{at}.faq[{i}].q", "faq_q", f.q, None), (f"{at}.faq[{i}].a", "faq_a", f.a, None)]
    return out


def check_brief(brief: Brief, reader: ClaimReader | None = None) -> CheckedBrief:
    """Every text field of ``brief`` with its findings and the form in which it may be said."""
    reader = reader or reader_for(brief)
    checker = _Checker(brief, reader)
    products: list[CheckedProduct] = []
    for index, p in enumerate(brief.products):
        raw = [(path, kind, _strip(text), key and _strip(key)) for path, kind, text, key in _product_fields(p, index)]
        # Promises are grounded in the brief's fields of their kind as the merchant wrote them.
        by_kind = {k: [t for _, kind, t, _ in raw if kind == k] for k in ("promotions", "shipping", "after_sales")}
        grounds = Grounds.build(p, reader, [], by_kind["promotions"], by_kind["shipping"], by_kind["after_sales"])
        checked = CheckedProduct(p, index)
        checked.fields = [checker.field(path, kind, text, grounds, key) for path, kind, text, key in raw if text]
        products.append(checked)
    room = [checker.field("room.persona", "persona", _strip(brief.room.persona), None)] if brief.room.persona else []
    return CheckedBrief(brief, reader, products, room)
