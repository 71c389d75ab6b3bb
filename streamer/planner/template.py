"""Template planner: the offline default. A brief becomes an all-day show of live-selling talk that does not loop.

Each loop walks the room's products (rotating which one opens the loop; hero products come back for a short recap
between the others); a loop is made one product block at a time, so a stock change (``update``) or what the room did
(``observe``) shows from the next block. A block follows the structure of a real selling script: transition or
welcome, hook or scene, intro (cue "present"), every legal selling point (a different one leads each time), a spec,
the price anchored on the list price, saving, offer, real stock, call to action with the link number (cue
"point_cart"), shipping and after-sales, an FAQ, a closing call. Where the order does not matter (points and spec;
trust and FAQ) it changes from block to block, and the price comes early in some blocks. A sold-out product is never
pushed: its block says it is sold out and has no price, offer, stock or call to action.

Sentences are composed of parts filled only with brief facts (see ``prepare`` and ``wording``), so that no sentence
comes back within the repeat window, and each one passes the final check (``_passes``) before it is kept.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from ..brief import Brief, Product
from ..claims import ClaimGuard
from .prepare import SpeakableProduct, amount, is_verb_phrase, money, prepare
from .room import RoomPulse, matching_faq, sayable_names
from .rundown import Cue, Loop, Rundown, Segment, SegmentKind
from .templates_en import EN
from .templates_zh import ZH
from .timing import ShowClock, estimate_seconds
from .wording import Wording, english_point, product_fields, spec_fields

log = logging.getLogger(__name__)

HERO_WEIGHT = 2  # a hero product is presented twice per loop: once in full, once as a recap
CLOCK_EVERY_S = 15 * 60.0  # a line about the time of day at most this often (and whenever the daypart changes)
PRICE_EARLY = 0.35  # share of blocks that give the price right after the first selling point
MAX_QUESTIONS = 5  # the room's last questions kept for the next block
MAX_REJECTED_KEPT = 50  # sentences left out, kept for reading (a 24/7 show counts them all but keeps the last few)
LONG_FACT_S = 3.0  # a spec longer than this to say is given every other block
FAQ_SHARE = 0.6  # share of blocks that answer an FAQ: the same question every block sounds canned
_ITEMS = re.compile(r"[;；]")


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
    """Generates the show block by block; the same brief, seed and start always give the same show."""

    name = "template"

    def __init__(self, brief: Brief, seed: int = 0, *, start: datetime | None = None) -> None:
        self.brief = brief
        self.seed = seed
        self.language = brief.language
        table = ZH if brief.language == "zh" else EN
        gift = table["room_gift"]  # a gift sender with a sayable name is thanked by that name
        self.table = {**table, "room_gift_named": replace(gift, cores=tuple(c for c in gift.cores if "{viewer}" in c))}
        self.guards = ClaimGuard(brief)  # compliance lint + every claim grounded, for every product
        self.products, self.dropped = prepare(brief, self.guards.checked)  # the brief is checked once
        for d in self.dropped:
            log.warning("not saying %s of %s: %r (%s)", d.field, d.product_id, d.text, "; ".join(d.reasons))
        self.wording = Wording(self.table, self.language, seed)
        self.clock = ShowClock(start)
        self.elapsed_s = 0.0  # estimated speaking time of everything planned so far
        self.rejected: list[str] = []  # the last MAX_REJECTED_KEPT sentences the final check left out
        self.rejected_count = 0
        self._next = 0
        self._room = RoomPulse()
        self._clock_said: tuple[float, str] | None = None  # (when, daypart) of the last line about the time of day
        self._loop: tuple[int, list[str]] | None = None  # the loop being planned: its index and product order
        self._slot = 0  # the next slot of that loop to plan

    # --- public ---------------------------------------------------------------------------------------------

    def next_loop(self) -> Loop:
        index = self._next
        return Loop(index=index, segments=[seg for block in self._loop_blocks() for seg in block])

    def loops(self) -> Iterator[Loop]:
        """Loops forever (the show runs 24/7)."""
        while True:
            yield self.next_loop()

    def product_blocks(self) -> Iterator[list[Segment]]:
        """Product blocks forever, each made when it is asked for: what ``update`` and ``observe`` change shows
        from the next block on."""
        while True:
            yield from self._loop_blocks()

    def plan(self, loops: int) -> Rundown:
        plan = [self.next_loop() for _ in range(loops)]
        notes = [f"{self.rejected_count} generated sentence(s) failed the final check and were left out"] \
            if self.rejected_count else []
        return Rundown(language=self.language, seed=self.seed, planner=self.name, loops=plan,
                       dropped=self.dropped, notes=notes, start=self.clock.start)

    def plan_for(self, seconds: float) -> Rundown:
        """Whole loops until the show is ``seconds`` long (estimated speaking time)."""
        planned: list[Loop] = []
        while self.elapsed_s < seconds:
            loop = self.next_loop()
            if not loop.segments:
                break  # nothing left to say (every sentence failed the final check)
            planned.append(loop)
        # plan(0) labels the rundown and lists the notes the way this planner (or a subclass) does
        return self.plan(0).model_copy(update={"loops": planned})

    def update(self, brief: Brief) -> None:
        """Follow a changed brief (price, stock, promotions...) from the next block on.

        A product whose stock drops to 0 leaves the rotation while others are on sale; when all are sold out they
        are presented without any push. Wording and repeat memory carry on, so the show does not start over.
        """
        fresh = TemplatePlanner(brief, self.seed)  # the facts and final checks exactly as a new show gets them
        self.brief, self.products, self.dropped, self.guards = brief, fresh.products, fresh.dropped, fresh.guards

    def update_product(self, product: Product) -> None:
        """Follow one changed product (matched by id) from the next block on."""
        products = [product if p.id == product.id else p for p in self.brief.products]
        self.update(self.brief.model_copy(update={"products": products}))

    def observe(self, pulse: RoomPulse) -> None:
        """What the room did; the next block welcomes, thanks and answers accordingly."""
        room = self._room
        self._room = RoomPulse(joined=room.joined + pulse.joined, gifts=room.gifts + pulse.gifts,
                               questions=(room.questions + pulse.questions)[-MAX_QUESTIONS:])

    # --- blocks ---------------------------------------------------------------------------------------------

    def _loop_blocks(self) -> Iterator[list[Segment]]:
        index = self._next
        self._next += 1
        ids = [p.id for p in self.products]
        many = len(ids) > 1
        weights = [HERO_WEIGHT if p.product.hero and p.product.stock != 0 and many else 1 for p in self.products]
        order = [ids[i] for i in schedule(weights, index % len(ids))]
        yield from self._slots(index, order, 0)

    def _slots(self, index: int, order: list[str], start: int, *, resumed: bool = False) -> Iterator[list[Segment]]:
        """The blocks of loop ``index`` from slot ``start`` on; ``resumed``: the first one is on screen already."""
        first = start == 0
        for slot in range(start, len(order)):
            self._loop, self._slot = (index, order), slot + 1
            p = next((q for q in self.products if q.id == order[slot]), None)
            if p is None:
                continue  # sold out (or removed) since the loop began
            again = resumed and slot == start
            rng = random.Random(f"{self.seed}|{index}|{slot}" + ("|again" if again else ""))
            block = self._block(p, index, rng, first=first, recap=p.id in order[:slot], resumed=again)
            first = False
            if block:
                yield block

    def carry_on(self, product_id: str) -> Iterator[list[Segment]] | None:
        """Product blocks forever, carrying on the loop being planned: the block of ``product_id`` (on screen)
        planned again from the current facts, without its opening, then the rest of that loop, then new loops.
        None when that loop has no block of ``product_id`` to carry on from (nothing planned yet)."""
        if self._loop is None:
            return None
        index, order = self._loop
        slots = [k for k in range(min(self._slot, len(order))) if order[k] == product_id]
        if not slots:
            return None

        def blocks() -> Iterator[list[Segment]]:
            yield from self._slots(index, order, slots[-1], resumed=True)
            yield from self.product_blocks()

        return blocks()

    def _block(self, p: SpeakableProduct, loop: int, rng: random.Random, first: bool, recap: bool,
               resumed: bool = False) -> list[Segment]:
        out = self._room_lines(p) + ([] if first or resumed else self._clock_line(p))  # a welcome greets the time
        if p.product.stock == 0:
            body = self._sold_out_block(p, loop, rng, first)
        elif recap:
            body = self._recap_block(p, loop, rng)
        elif resumed:
            body = self._body(p, loop, rng)  # the product is on screen already: no transition to it
        else:
            body = self._full_block(p, loop, rng, first)
        out += [seg for seg in map(self._checked, body) if seg is not None]
        return out

    def _full_block(self, p: SpeakableProduct, loop: int, rng: random.Random, first: bool) -> list[Segment]:
        return [self._opening(p, first)] + self._body(p, loop, rng)

    def _opening(self, p: SpeakableProduct, first: bool) -> Segment:
        if first:
            return self._segment(SegmentKind.WELCOME, p, "welcome")
        return self._segment(SegmentKind.TRANSITION, p, "transition")

    def _body(self, p: SpeakableProduct, loop: int, rng: random.Random) -> list[Segment]:
        """Everything said about one product on sale in one block, after the welcome or transition."""
        out = self._presentation(p, rng)
        facts = self._facts(p, loop, rng)
        cut = 1 if facts and rng.random() < PRICE_EARLY else len(facts)  # the price after the first point, or last
        out += facts[:cut] + self._price(p, rng)
        if p.promos:
            out.append(self._segment(SegmentKind.PROMO, p, "promo", promo=p.promos[loop % len(p.promos)]))
        if p.product.stock and rng.random() < 0.7:
            out.append(self._segment(SegmentKind.URGENCY, p, "urgency", stock=str(p.product.stock)))
        out.append(self._cta(p))
        extras = facts[cut:] + self._trust_and_faq(p, loop, rng)
        if extras:  # a second call to action closes the block, unless it would follow the first directly
            rng.shuffle(extras)
            out += extras + [self._cta(p)]
        return out

    def _presentation(self, p: SpeakableProduct, rng: random.Random) -> list[Segment]:
        out: list[Segment] = []
        opener = rng.choice(("hook", "scene", "both"))
        if opener in ("hook", "both"):
            out.append(self._segment(SegmentKind.HOOK, p, "hook"))
        if opener in ("scene", "both"):
            out.append(self._segment(SegmentKind.SCENE, p, "scene"))
        out.append(self._segment(SegmentKind.INTRO, p, "intro", cue="present"))
        return out

    def _facts(self, p: SpeakableProduct, loop: int, rng: random.Random) -> list[Segment]:
        """Every selling point and a spec: the lead point rotates, the rest come in any order."""
        n = len(p.points)
        points = [p.points[(loop + k) % n] for k in range(n)]
        rest = [self._point(p, point) for point in points[1:]]
        if p.specs:
            name, value = p.specs[loop % len(p.specs)]
            items = [v.strip() for v in _ITEMS.split(value) if v.strip()]  # a size chart: one row per block
            value = items[loop // len(p.specs) % len(items)] if items else value
            if loop % 2 == 0 or estimate_seconds(value, self.language) <= LONG_FACT_S:  # a long row every block
                spec = self._render(p, "spec", spec_fields(name, value, self.language))  # is recited, not said
                rest.append(self._make(SegmentKind.SPEC, p, spec, None))
        rng.shuffle(rest)
        return [self._point(p, points[0])] + rest if points else rest

    def _recap_block(self, p: SpeakableProduct, loop: int, rng: random.Random) -> list[Segment]:
        out = [self._segment(SegmentKind.RECAP, p, "recap", cue="present")]
        if p.points:
            out.append(self._point(p, p.points[(loop + 1) % len(p.points)]))
        out += self._price(p, rng)
        out.append(self._cta(p))
        return out

    def _sold_out_block(self, p: SpeakableProduct, loop: int, rng: random.Random, first: bool) -> list[Segment]:
        """A product nobody can buy: presented, with its points and an FAQ, and no price, offer, stock or CTA."""
        notice = self._segment(SegmentKind.SOLD_OUT, p, "sold_out")
        out = [self._opening(p, first), notice] + self._presentation(p, rng) + self._facts(p, loop, rng)
        if p.faqs and rng.random() < FAQ_SHARE:
            out.append(self._faq(p, p.faqs[loop % len(p.faqs)], "faq_q"))
        if rng.random() < 0.5:
            out.append(self._segment(SegmentKind.SOLD_OUT, p, "sold_out"))
        return out

    def _point(self, p: SpeakableProduct, point: str) -> Segment:
        if self.language == "zh":
            return self._segment(SegmentKind.POINT, p, "point", point=point)
        if is_verb_phrase(point):
            return self._segment(SegmentKind.POINT, p, "point_verb", point=english_point(p, point))
        return self._segment(SegmentKind.POINT, p, "point_noun", point=point)

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

    def _trust_and_faq(self, p: SpeakableProduct, loop: int, rng: random.Random) -> list[Segment]:
        out: list[Segment] = []
        trust = [(k, v) for k, v in (("shipping", p.shipping), ("after_sales", p.after_sales)) if v]
        if trust:  # alternate shipping and after-sales across loops; both on even loops
            picks = trust if loop % 2 == 0 else [trust[loop // 2 % len(trust)]]
            out += [self._make(SegmentKind.TRUST, p, self._render(p, k, {k: v}), None) for k, v in picks]
        if p.faqs and rng.random() < FAQ_SHARE:
            out.append(self._faq(p, p.faqs[loop % len(p.faqs)], "faq_q"))
        return out

    def _faq(self, p: SpeakableProduct, faq: tuple[str, str], pool: str) -> Segment:
        question = self._render(p, pool, {"q": faq[0]})
        answer = self._render(p, "faq_a", {"a": faq[1]}) if question else []
        return self._make(SegmentKind.FAQ, p, question + answer if answer else [], None)

    # --- the room and the clock -----------------------------------------------------------------------------

    def _room_lines(self, p: SpeakableProduct) -> list[Segment]:
        pulse, self._room = self._room, RoomPulse()
        out: list[Segment] = []
        if pulse.joined:
            out.append(self._segment(SegmentKind.WELCOME, p, "room_join"))
        if pulse.gifts:
            names = sayable_names(pulse.gifts)
            values = {"viewer": ("、" if self.language == "zh" else " and ").join(names)} if names else {}
            pool = "room_gift_named" if names else "room_gift"
            out.append(self._make(SegmentKind.WELCOME, p, self._render(p, pool, values), None))
        if pulse.questions:
            asked = matching_faq(pulse.questions, [q for q, _ in p.faqs])
            if asked is not None:
                out.append(self._faq(p, p.faqs[asked], "faq_q_room"))
            elif any(matching_faq(pulse.questions, [q for q, _ in o.faqs]) is not None
                     for o in self.products if o.id != p.id):  # kept for the block of the product they are about
                self._room = RoomPulse(questions=pulse.questions)
            else:
                out.append(self._segment(SegmentKind.WELCOME, p, "room_questions"))
        return [seg for seg in out if seg.sentences]

    def _clock_line(self, p: SpeakableProduct) -> list[Segment]:
        daypart = self.clock.daypart(self.elapsed_s)
        if daypart is None:
            return []
        if self._clock_said and self._clock_said[1] == daypart and self.elapsed_s - self._clock_said[0] < CLOCK_EVERY_S:
            return []
        self._clock_said = (self.elapsed_s, daypart)
        seg = self._segment(SegmentKind.WELCOME, p, f"clock_{daypart.value}")
        return [seg] if seg.sentences else []

    # --- sentences ------------------------------------------------------------------------------------------

    def _segment(self, kind: SegmentKind, p: SpeakableProduct, pool: str, cue: Cue | None = None,
                 **values: str) -> Segment:
        return self._make(kind, p, self._render(p, pool, values), cue)

    def _make(self, kind: SegmentKind, p: SpeakableProduct, sentences: list[str], cue: Cue | None) -> Segment:
        est = round(sum(estimate_seconds(s, self.language) for s in sentences), 2)
        return Segment.model_construct(kind=kind, product_id=p.id, sentences=sentences, cue=cue, est_s=est,
                                       source="template")

    def _checked(self, seg: Segment) -> Segment | None:
        """A segment of the block, or None when it has nothing left to say.

        Template sentences were checked as they were made; an LLM segment was written ahead (maybe before a price
        or stock change), so each of its sentences is checked again against today's facts and remembered as said.
        """
        if seg.source == "llm":
            p = next(q for q in self.products if q.id == seg.product_id)
            kept = [s for s in seg.sentences if self._passes(p, s)]
            for s in kept:
                self._said(s)
            if not kept:
                return None
            seg = seg.model_copy(update={"sentences": kept})
        return seg if seg.sentences else None

    def _render(self, p: SpeakableProduct, pool: str, values: dict[str, str]) -> list[str]:
        values = {"host": self.brief.room.host_name, **product_fields(p, self.language), **values}
        out: list[str] = []
        for s in self.wording.sentences(pool, values, self.elapsed_s, self.clock.daypart(self.elapsed_s)):
            if self._passes(p, s):
                self._said(s)
                out.append(s)
        return out

    def _said(self, sentence: str) -> None:
        self.wording.said(sentence, self.elapsed_s)
        self.elapsed_s += estimate_seconds(sentence, self.language)

    def _passes(self, p: SpeakableProduct, sentence: str) -> bool:
        # Last gate before the air: brief text was checked already, but a template can combine with it badly.
        problems = self.guards.problems(sentence, p.id)
        if problems:
            self.rejected.append(sentence)
            del self.rejected[:-MAX_REJECTED_KEPT]
            self.rejected_count += 1
            log.warning("left out %r: %s", sentence, "; ".join(str(x) for x in problems))
        return not problems

