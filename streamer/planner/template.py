"""Template planner: the offline default. A brief becomes loop after loop of live-selling talk.

Each loop walks the room's products (rotating which one opens the loop; hero products come back for a short recap
between the others). A product's block follows the structure of a real selling script: transition or welcome, hook or
scene, intro (cue "present"), every legal selling point, a spec, the price anchored on the list price, saving, offer,
real stock, call to action with the link number (cue "point_cart"), shipping or after-sales, an FAQ, a closing call.

Sentences are templates filled only with brief facts (see ``prepare``), drawn from per-product decks so that variants
rotate across loops, and each one passes the compliance lint and the fact guard before it is kept.
"""

from __future__ import annotations

import logging
import random
import string
from collections import deque
from collections.abc import Iterator

from ..brief import Brief
from ..compliance import lint
from ..facts import FactGuard
from .decks import Decks
from .prepare import SpeakableProduct, amount, is_verb_phrase, money, prepare
from .rundown import Cue, Loop, Rundown, Segment, SegmentKind
from .templates_en import EN
from .templates_zh import ZH
from .timing import MAX_SENTENCE_S, estimate_seconds, split_long

log = logging.getLogger(__name__)

HERO_WEIGHT = 2  # a hero product is presented twice per loop: once in full, once as a recap
_FORMATTER = string.Formatter()
_EN_LOWER_FIELDS = ("point", "a", "shipping", "after_sales", "promo")
_RECENT = 3  # a template is not reused within this many sentences of its pool


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name}


def schedule(weights: list[int], start: int) -> list[int]:
    """One loop's product order: smooth weighted round-robin, rotated so each loop opens with another product."""
    n = len(weights)
    order = [(start + i) % n for i in range(n)]
    current = [0] * n
    total = sum(weights)
    out: list[int] = []
    for _ in range(total):
        for i in order:
            current[i] += weights[i]
        pick = max(order, key=lambda i: current[i])  # max() keeps the first of equals: rotation breaks ties
        current[pick] -= total
        out.append(pick)
    return out


class TemplatePlanner:
    """Generates loops one after another; the same brief and seed always give the same show."""

    name = "template"

    def __init__(self, brief: Brief, seed: int = 0) -> None:
        self.brief = brief
        self.seed = seed
        self.language = brief.language
        self.table = ZH if brief.language == "zh" else EN
        self.products, self.dropped = prepare(brief)
        for d in self.dropped:
            log.warning("not saying %s of %s: %r (%s)", d.field, d.product_id, d.text, "; ".join(d.reasons))
        self.decks = Decks(seed)
        self.guards = {p.id: FactGuard(brief, p.id) for p in self.products}
        self.rejected: list[str] = []
        self._recent: dict[str, deque[str]] = {}
        self._next = 0

    # --- public ---------------------------------------------------------------------------------------------

    def next_loop(self) -> Loop:
        index = self._next
        self._next += 1
        weights = [HERO_WEIGHT if p.product.hero and len(self.products) > 1 else 1 for p in self.products]
        segments: list[Segment] = []
        seen: set[int] = set()
        for slot, i in enumerate(schedule(weights, index % len(self.products))):
            rng = random.Random(f"{self.seed}|{index}|{slot}")
            if i in seen:
                segments += self._recap_block(self.products[i], index, rng)
            else:
                segments += self._full_block(self.products[i], index, rng, first=slot == 0)
            seen.add(i)
        return Loop(index=index, segments=[s for s in segments if s.sentences])

    def loops(self) -> Iterator[Loop]:
        """Loops forever (the show runs 24/7)."""
        while True:
            yield self.next_loop()

    def plan(self, loops: int) -> Rundown:
        plan = [self.next_loop() for _ in range(loops)]
        notes = [f"{len(self.rejected)} generated sentence(s) failed the final check and were left out"] \
            if self.rejected else []
        return Rundown(language=self.language, seed=self.seed, planner=self.name, loops=plan,
                       dropped=self.dropped, notes=notes)

    # --- blocks ---------------------------------------------------------------------------------------------

    def _full_block(self, p: SpeakableProduct, loop: int, rng: random.Random, first: bool) -> list[Segment]:
        if first:
            opening = self._segment(SegmentKind.WELCOME, p, "welcome")
        else:
            opening = self._segment(SegmentKind.TRANSITION, p, "transition")
        return [opening] + self._body(p, loop, rng)

    def _body(self, p: SpeakableProduct, loop: int, rng: random.Random) -> list[Segment]:
        """Everything said about one product in one loop, after the welcome or transition."""
        seg = self._segment
        out: list[Segment] = []
        opener = rng.choice(("hook", "scene", "both"))
        if opener in ("hook", "both"):
            out.append(seg(SegmentKind.HOOK, p, "hook"))
        if opener in ("scene", "both"):
            out.append(seg(SegmentKind.SCENE, p, "scene"))
        out.append(seg(SegmentKind.INTRO, p, "intro", cue="present"))
        n = len(p.points)
        for k in range(n):  # every legal point every loop, starting from a different one each loop
            out.append(self._point(p, p.points[(loop + k) % n]))
        if p.specs:
            name, value = p.specs[loop % len(p.specs)]
            out.append(seg(SegmentKind.SPEC, p, "spec", spec_name=name, spec_value=value))
        out += self._price(p, rng)
        if p.promos:
            out.append(seg(SegmentKind.PROMO, p, "promo", promo=p.promos[loop % len(p.promos)]))
        if p.product.stock and rng.random() < 0.7:
            out.append(seg(SegmentKind.URGENCY, p, "urgency", stock=str(p.product.stock)))
        out.append(self._cta(p))
        extras = self._trust_and_faq(p, loop)
        if extras:  # a second call to action closes the block, unless it would follow the first directly
            rng.shuffle(extras)
            out += extras + [self._cta(p)]
        return out

    def _recap_block(self, p: SpeakableProduct, loop: int, rng: random.Random) -> list[Segment]:
        out = [self._segment(SegmentKind.RECAP, p, "recap", cue="present")]
        if p.points:
            out.append(self._point(p, p.points[(loop + 1) % len(p.points)]))
        out += self._price(p, rng)
        out.append(self._cta(p))
        return out

    def _point(self, p: SpeakableProduct, point: str) -> Segment:
        pool = "point" if self.language == "zh" else ("point_verb" if is_verb_phrase(point) else "point_noun")
        return self._segment(SegmentKind.POINT, p, pool, point=point)

    def _price(self, p: SpeakableProduct, rng: random.Random) -> list[Segment]:
        prod = p.product
        price = money(prod.price, prod.currency, self.language)
        if prod.list_price and prod.list_price > prod.price:
            lst = money(prod.list_price, prod.currency, self.language)
            out = [self._segment(SegmentKind.PRICE, p, "price_anchor", price=price, list_price=lst)]
            if rng.random() < 0.6:
                saving = money(float(amount(prod.list_price - prod.price)), prod.currency, self.language)
                out.append(self._segment(SegmentKind.PRICE, p, "saving", saving=saving))
            return out
        return [self._segment(SegmentKind.PRICE, p, "price", price=price)]

    def _cta(self, p: SpeakableProduct) -> Segment:
        if p.product.link is None:
            return self._segment(SegmentKind.CTA, p, "cta_nolink", cue="point_cart")
        return self._segment(SegmentKind.CTA, p, "cta", cue="point_cart", link=str(p.product.link))

    def _trust_and_faq(self, p: SpeakableProduct, loop: int) -> list[Segment]:
        out: list[Segment] = []
        trust = [(k, v) for k, v in (("shipping", p.shipping), ("after_sales", p.after_sales)) if v]
        if trust:  # alternate shipping and after-sales across loops; both on even loops
            picks = trust if loop % 2 == 0 else [trust[loop // 2 % len(trust)]]
            out += [self._make(SegmentKind.TRUST, p, self._render(p, k, {k: v}), None) for k, v in picks]
        if p.faqs:
            q, a = p.faqs[loop % len(p.faqs)]
            qs = self._render(p, "faq_q", {"q": q})
            as_ = self._render(p, "faq_a", {"a": a})
            if qs and as_:
                out.append(self._make(SegmentKind.FAQ, p, qs + as_, None))
        return out

    # --- sentences ------------------------------------------------------------------------------------------

    def _segment(self, kind: SegmentKind, p: SpeakableProduct, pool: str, cue: Cue | None = None,
                 **values: str) -> Segment:
        return self._make(kind, p, self._render(p, pool, values), cue)

    def _make(self, kind: SegmentKind, p: SpeakableProduct, sentences: list[str], cue: Cue | None) -> Segment:
        est = round(sum(estimate_seconds(s, self.language) for s in sentences), 2)
        return Segment.model_construct(kind=kind, product_id=p.id, sentences=sentences, cue=cue, est_s=est,
                                       source="template")

    def _render(self, p: SpeakableProduct, pool: str, values: dict[str, str]) -> list[str]:
        values = {"host": self.brief.room.host_name, "name": p.name, **values}
        usable = [t for t in self.table[pool] if _fields(t) <= values.keys()]
        if not usable:
            return []
        # One deck per pool and fill: each selling point (spec, link...) cycles through every variant before any
        # (variant, point) pair comes back, which is what makes a sentence repeat.
        used = set().union(*(_fields(t) for t in usable))
        key = "|".join([pool] + [values[k] for k in sorted(used)])
        recent = self._recent.setdefault(pool, deque(maxlen=_RECENT))
        text, template = "", ""
        for _ in range(len(usable)):
            template = usable[self.decks.draw(key, len(usable))]
            if template in recent:  # the same frame twice in a row sounds canned, even around new facts
                continue
            text = template.format(**self._shape(template, values))
            if estimate_seconds(text, self.language) <= MAX_SENTENCE_S:
                break  # prefer a variant that fits one breath over cutting a sentence in two
        if not text:
            text = template.format(**self._shape(template, values))
        recent.append(template)
        return [s for s in split_long(text, self.language) if self._passes(p, s)]

    def _shape(self, template: str, values: dict[str, str]) -> dict[str, str]:
        """English casing: a field that opens the sentence starts with a capital, one inside it does not."""
        if self.language != "en":
            return values
        out = dict(values)
        for key in _EN_LOWER_FIELDS:
            v = out.get(key)
            if not v:
                continue
            if template.startswith("{" + key + "}"):
                out[key] = v[:1].upper() + v[1:]
            elif v[:1].isupper() and not v[1:2].isupper() and not v.startswith("I "):
                out[key] = v[:1].lower() + v[1:]
        return out

    def _passes(self, p: SpeakableProduct, sentence: str) -> bool:
        # Last gate before the air: brief text was linted already, but a template can combine with it badly.
        problems = [f"{f.category}: {f.text}" for f in lint(sentence)]
        problems += [f"number not in brief: {n.text}" for n in self.guards[p.id].unsupported(sentence)]
        if problems:
            self.rejected.append(sentence)
            log.warning("left out %r: %s", sentence, "; ".join(problems))
        return not problems

