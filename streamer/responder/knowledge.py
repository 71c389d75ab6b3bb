"""What the host knows: the brief's products as searchable passages, and which product a comment is about.

Chinese text is indexed as character bigrams, English as lower-case words without stop words, so 杯盖能拆下来洗吗
finds 杯盖可拆洗 and "does it leak" finds "leak-proof flip lid". Spec names are matched through a small table of
everyday words for the same property (多大 -> 容量/尺寸, "how heavy" -> weight). Nothing here invents a fact: every
passage's text is the brief's own words.

Which product a question is about: a link number, then words of a product's name, then the kind of goods it names
(杯子 is the 保温杯, see `categories`), then words only one product's passages use. `elsewhere` tells a question
about goods the room does not sell (口红 in a clothing room) from one that names nothing.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from ..brief import FAQ, Brief, Product
from ..comments.triage.normalize import normalize
from .categories import Kinds

__all__ = ["Knowledge", "Passage", "tokens"]

_EN_STOP = frozenset(
    "a an the is it its it's this that these those do does did can could will would should i me my you your we our "
    "they them he she of to in on for with at by from and or but if so be are was were been has have had what "
    "which who how when where why there here any some much many more very really just also please hey hi lol "
    "about get got thing one".split())
_ZH_STOP_BIGRAMS = frozenset({"这个", "那个", "一下", "什么", "怎么", "可以", "能不", "不能", "吗？", "有没", "没有",
                              "主播", "请问", "是不", "不是", "多少"})
_WORD = re.compile(r"[a-z][a-z0-9']*|\d+(?:\.\d+)?|[\u3400-\u9fff]+")

# Everyday words for a property -> the names a merchant may have used for it in `specs`.
_SPEC_WORDS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("容量", "装多少", "几毫升", "多少毫升", "多大", "capacity", "how much does it hold", "how big", "volume", "ml"),
     ("容量", "capacity", "volume")),
    (("尺寸", "大小", "多大", "多长", "多宽", "多高", "码", "size", "dimensions", "how big", "how large", "how tall"),
     ("尺寸", "大小", "规格", "尺码", "size", "dimensions")),
    (("材质", "材料", "什么做的", "面料", "made of", "material", "what is it made"), ("材质", "材料", "面料",
                                                                                   "material")),
    (("重量", "多重", "重不重", "重吗", "轻", "weight", "heavy", "weigh", "light"), ("重量", "weight")),
    (("颜色", "几个色", "什么色", "colour", "color"), ("颜色", "color", "colour")),
)


def tokens(text: str) -> list[str]:
    """Index terms: Chinese bigrams (single characters for one-character runs), English words, numbers."""
    out: list[str] = []
    for w in _WORD.findall(normalize(text)):
        if "\u3400" <= w[0] <= "\u9fff":
            grams = [w[i:i + 2] for i in range(len(w) - 1)] or [w]
            out += [g for g in grams if g not in _ZH_STOP_BIGRAMS]
        elif w not in _EN_STOP:
            out.append(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return out


@dataclass(frozen=True, slots=True)
class Passage:
    """A piece of the brief: ``kind`` is point, spec, faq, promo, shipping or after_sales; ``text`` is what to say."""

    product_id: str
    kind: str
    text: str
    terms: tuple[str, ...]


def _passages(p: Product) -> list[Passage]:
    items: list[tuple[str, str, str]] = [("point", s, s) for s in p.selling_points]
    items += [("spec", f"{k}: {v}", f"{k} {v}") for k, v in p.specs.items()]
    items += [("faq", f.a, f"{f.q} {f.q} {f.a}") for f in p.faq]  # the question twice: it is what viewers type
    items += [("promo", s, s) for s in p.promotions]
    if p.shipping:
        items.append(("shipping", p.shipping, p.shipping))
    if p.after_sales:
        items.append(("after_sales", p.after_sales, p.after_sales))
    return [Passage(p.id, kind, text, tuple(tokens(key))) for kind, text, key in items]


class Knowledge:
    """The brief indexed for answering: product resolution, spec lookup, FAQ match and BM25 search."""

    def __init__(self, brief: Brief) -> None:
        self.brief = brief
        self.passages = {p.id: _passages(p) for p in brief.products}
        all_passages = [x for ps in self.passages.values() for x in ps]
        df: Counter[str] = Counter(t for x in all_passages for t in set(x.terms))
        n = max(1, len(all_passages))
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._avg_len = sum(len(x.terms) for x in all_passages) / n or 1.0
        # Short numbers in a name or id (the 01 of cup-01) would match any comment with that number in it.
        self._name_terms = {p.id: {t for t in tokens(f"{p.name} {p.id}") if not (t.isdigit() and len(t) < 3)}
                            for p in brief.products}
        self._product_terms = {p.id: self._name_terms[p.id] | {t for x in self.passages[p.id] for t in x.terms}
                               for p in brief.products}
        self.kinds = Kinds(brief)

    def lead(self, besides: Product | None = None) -> Product:
        """The product to talk about when nothing is asked: the hero in stock, else the first in stock, else the
        hero, else the first. ``besides`` is left out when another product can stand in."""
        products = [p for p in self.brief.products if p is not besides] or self.brief.products
        group = [p for p in products if p.stock != 0] or products
        return next((p for p in group if p.hero), group[0])

    def named(self, text: str, current: Product | None = None) -> Product | None:
        """The product ``text`` names: by link number, by words of its name, by its kind of goods (杯子) or by
        words only its passages use; None when it names none. ``current`` wins a tie between products of a kind."""
        norm = normalize(text)
        for p in self.brief.products:
            if p.link is not None and re.search(rf"(?<!\d){re.escape(str(p.link))}\s*号|link\s*#?{p.link}\b", norm):
                return p
        terms = set(tokens(text))
        named = [p for p in self.brief.products if terms & self._name_terms[p.id]]
        if named:
            return max(named, key=lambda p: len(terms & self._name_terms[p.id]))
        for kind in self.kinds.asked(text):
            if of_kind := self.kinds.products(kind):
                return current if current in of_kind else of_kind[0]
        # Words only one product's passages use (掉色 in the towel's FAQ) point at it; one shared or stray word
        # (新疆 in 新疆长绒棉, asked about shipping to Xinjiang) is not enough to leave the product on screen.
        for p in self.brief.products:
            if len(self._unique_terms(terms, p)) >= 2:
                return p
        return None

    def elsewhere(self, text: str) -> bool:
        """Whether ``text`` asks about goods the room does not sell: it names a kind no product is of, and no
        product of the room."""
        kinds = self.kinds.asked(text)
        return bool(kinds) and not any(self.kinds.products(k) for k in kinds) and self.named(text) is None

    def _unique_terms(self, terms: set[str], product: Product) -> set[str]:
        """The words of ``terms`` that ``product``'s passages use and no other product's do."""
        others = set().union(*(self._product_terms[p.id] for p in self.brief.products if p.id != product.id))
        return (terms & self._product_terms[product.id]) - others

    def spec(self, text: str, product: Product) -> tuple[str, str] | None:
        """The (name, value) of the spec ``text`` asks about, when the product has it."""
        norm = normalize(text)
        keys = {normalize(str(k)): k for k in product.specs}
        for key_norm, key in keys.items():
            if key_norm and key_norm in norm:
                return str(key), str(product.specs[key])
        for asked, names in _SPEC_WORDS:
            if any(w in norm for w in asked):
                for key_norm, key in keys.items():
                    if any(n in key_norm for n in names):
                        return str(key), str(product.specs[key])
        return None

    def faq(self, text: str, product: Product) -> FAQ | None:
        """The FAQ entry whose question ``text`` asks (most of its terms present), if any."""
        terms = set(tokens(text))
        best, best_score = None, 0.0
        for f in product.faq:
            q = set(tokens(f.q))
            if not q or not terms:
                continue
            score = min(len(terms & q) / len(q), len(terms & q) / len(terms) + 0.25)
            if score > best_score:
                best, best_score = f, score
        return best if best_score >= 0.6 else None

    def search(self, text: str, product: Product, kinds: tuple[str, ...] = ("point", "spec", "faq"),
               min_score: float = 1.0) -> Passage | None:
        """The passage of ``product`` that best answers ``text`` (BM25), or None below ``min_score``."""
        query = set(tokens(text))
        best, best_score = None, min_score
        for x in self.passages.get(product.id, []):
            if x.kind not in kinds:
                continue
            tf = Counter(x.terms)
            score = sum(self._idf.get(t, 0.0) * tf[t] * 2.2 / (tf[t] + 1.2 * (0.25 + 0.75 * len(x.terms) /
                                                                               self._avg_len))
                        for t in query if t in tf)
            if score > best_score:
                best, best_score = x, score
        return best
