"""The offline responder: answers viewers from the brief alone, on a CPU, in well under a millisecond.

    responder = Responder(brief)
    responder.respond(Comment("多少钱", user="小王"))
    # Decision(intent=price, action='reply', text='316不锈钢保温杯今天直播间价格99元。日常价159元，今天省60元。...')

Facts come only from the brief's fields, FAQ and passages; the viewer's words are never repeated on air (only a
display name, and only one that is short, has no digits and passes the spam filter). Every candidate reply passes
`ReplyGuard` (compliance lint + fact guard); the first wording that passes is said, otherwise a neutral pointer to
the product page, otherwise nothing. Injection attempts are ignored, so they cannot change what is said.

A long comment is answered by its last question (`final_question`); the product is the one that question names,
else the one the comment names, else the one on screen. A sold-out product is never pushed: a buying question
about it is told it is sold out and pointed to a product in stock (its name and link), each part guarded for its
own product. A question about goods the room does not sell gets "not in this room" and what the room has. Size
questions are answered from the product's size table (`sizing`), never by guessing past it.
"""

from __future__ import annotations

import re

from ..brief import Brief, Product
from ..comments.model import Comment, CommentKind, clean_text
from ..comments.triage import BUYING_INTENTS, Intent, IntentClassifier, ThankYou, Triaged, classify, screen
from ..comments.triage.filters import warm_up
from ..comments.triage.normalize import normalize
from ..comments.triage.question import final_question
from .decision import Decision
from .guard import ReplyGuard
from .knowledge import Knowledge
from .phrasing import FALLBACK, Phrasebook, names, product_fields
from .sizing import Advice, SizeChart, asks_size, measurements

__all__ = ["Responder"]

_ASKS_IF_AI = re.compile(r"真人|机器人|人工智能|数字人|虚拟人|(?<![a-z])ai(?![a-z])|real person|human|robot|\ba bot\b|"
                         r"chatgpt")
_VIEWER = {"zh": "新来的朋友", "en": "friend"}
_KEYS = {Intent.PRICE: "price", Intent.COMPLAINT: "complaint", Intent.GREETING: "greeting"}
_ASKS_FOR_GOODS = frozenset({Intent.PRICE, Intent.STOCK, Intent.HOW_TO_BUY})  # where "not in this room" answers
MAX_NAMED = 3  # products listed in a "not in this room" reply


def speakable_name(name: str, language: str) -> str | None:
    """``name`` if it is safe to say on air: short, no digits (the fact guard would flag them), not spam."""
    name = clean_text(name, 40)
    limit = 10 if language == "zh" else 20
    if not name or len(name) > limit or re.search(r"\d|[@#/\\:]|[一二三四五六七八九十百千万]{2,}", name):
        return None
    if not re.search(r"[\w\u4e00-\u9fff]", name) or screen(name) is not None:
        return None
    return name


class Responder:
    """Decides and words the reply to one comment (or one merged thank-you)."""

    def __init__(self, brief: Brief, *, seed: int = 0, product_id: str | None = None) -> None:
        self.brief = brief
        self.language = brief.language
        self.knowledge = Knowledge(brief)
        self.classifier = IntentClassifier(brief)
        self.guard = ReplyGuard(brief)
        self.phrases = Phrasebook(brief.language, seed)
        self.size_charts = {p.id: SizeChart.of(p) for p in brief.products}
        self.current: Product | None = brief.product(product_id) if product_id else None
        warm_up()

    def set_current_product(self, product_id: str | None) -> None:
        """The product on screen now: questions that name no product are about this one."""
        self.current = self.brief.product(product_id) if product_id else None

    def answer(self, item: Comment | Triaged | ThankYou | str) -> Decision:
        """A decision for anything the triage queue hands out, or a bare comment."""
        if isinstance(item, ThankYou):
            return self.thank(item)
        return self.respond(item)

    def respond(self, comment: Comment | Triaged | str) -> Decision:
        intent: Intent | None = None
        if isinstance(comment, Triaged):
            intent, comment = comment.intent, comment.comment
        elif isinstance(comment, str):
            comment = Comment(comment)
        if comment.kind is not CommentKind.CHAT:
            thanks = ThankYou(first=0.0)
            thanks.add(comment)
            return self.thank(thanks)
        text = comment.text
        if not text:
            return Decision(Intent.OTHER, "ignore", reason="empty")
        hit = None
        if intent is None:
            intent, hit = classify(text, self.classifier)
        if intent is Intent.SPAM:
            return Decision(intent, "block", reason=hit.reason if hit else "spam")
        if intent is Intent.INJECTION:
            return Decision(intent, "ignore", reason="injection")
        focus = final_question(text) or text
        named = self.knowledge.named(focus, self.current) or self.knowledge.named(text, self.current)
        if named is None and intent in _ASKS_FOR_GOODS and self.knowledge.elsewhere(focus):
            return self._not_here(intent)
        product = named or self.current or self.knowledge.lead()
        fields = {**product_fields(product, self.language), "host": self.brief.room.host_name,
                  "viewer": speakable_name(comment.user, self.language) or _VIEWER[self.language]}
        if product.stock == 0 and intent in BUYING_INTENTS:
            return self._sold_out(intent, fields, product)
        for key, extra in self._keys(intent, focus, text, product):
            if said := self._word(key, {**fields, **extra}, product.id):
                return Decision(intent, "reply", said, product.id)
        if intent is Intent.OTHER:
            return Decision(intent, "ignore", reason="nothing to say")
        if self.guard.ok(FALLBACK[self.language], product.id):
            return Decision(intent, "reply", FALLBACK[self.language], product.id)
        return Decision(intent, "ignore", reason="no wording passed the guard")

    def _sold_out(self, intent: Intent, fields: dict[str, str | None], product: Product) -> Decision:
        """Sold out, and where to look instead: each part worded and guarded for the product it is about."""
        parts = [self._word("stock_out", fields, product.id)]
        instead = self.knowledge.lead(besides=product)
        if instead.stock != 0:
            instead_fields = product_fields(instead, self.language)
            parts.append(self._word("instead", instead_fields, instead.id)
                         or self._word("instead_nolink", instead_fields, instead.id))
        said = [p for p in parts if p]
        if not said:
            return Decision(intent, "ignore", product_id=product.id, reason="no wording passed the guard")
        return Decision(intent, "reply", ("" if self.language == "zh" else " ").join(said), product.id)

    def _not_here(self, intent: Intent) -> Decision:
        """Goods this room does not sell: say so, and say what it has (products in stock first)."""
        products = sorted(self.brief.products, key=lambda p: (p.stock == 0, not p.hero))
        listed = [p for p in products if p.stock != 0][:MAX_NAMED] or products[:MAX_NAMED]
        if said := self._word("not_here", {"names": names(listed, self.language)}, None):
            return Decision(intent, "reply", said, reason="not in this room")
        return Decision(intent, "ignore", reason="no wording passed the guard")

    def _size(self, text: str, product: Product) -> list[tuple[str, dict[str, str]]]:
        """The size advice for ``text`` from ``product``'s size table, or nothing when it has none."""
        chart = self.size_charts[product.id]
        if chart is None:
            return []
        advice: Advice = chart.advise(*measurements(text))
        zh = self.language == "zh"
        if advice.kind == "chart":
            rows = [f"{r.label}码{r.text}" if zh else f"{r.label}: {r.text}" for r in advice.rows]
            return [("size_chart", {"chart": ("；" if zh else "; ").join(rows)})]
        if advice.kind == "outside":
            return [("size_outside", {})]
        size2 = advice.rows[-1].label
        return [(f"size_{advice.kind}", {"size": advice.rows[0].label, "size2": size2, "row": advice.rows[0].text})]

    def _keys(self, intent: Intent, text: str, whole: str,
              product: Product) -> list[tuple[str, dict[str, str]]]:
        """Which template groups to try, in order, with the extra fields each needs. ``text`` is the question
        to answer, ``whole`` the comment it came from (a viewer's height may be given before the question)."""
        if intent in _KEYS:
            return [(_KEYS[intent], {})]
        if intent is Intent.STOCK:
            return [("stock" if product.stock else "stock_out" if product.stock == 0 else "stock_unknown", {})]
        if intent is Intent.HOW_TO_BUY:
            return [("how_to_buy", {}), ("how_to_buy_nolink", {})]
        if intent is Intent.SHIPPING:
            return [("shipping", {}), ("shipping_unknown", {})]
        if intent is Intent.AFTER_SALES:
            return [("after_sales", {}), ("after_sales_unknown", {})]
        keys: list[tuple[str, dict[str, str]]] = []
        if intent is Intent.SPEC and asks_size(text):
            keys += self._size(whole, product)
        if intent is Intent.OTHER and _ASKS_IF_AI.search(normalize(text)):
            keys.append(("ai", {}))
        if intent is Intent.SPEC and (spec := self.knowledge.spec(text, product)):
            keys.append(("spec_value", {"key": spec[0], "value": spec[1]}))
        if faq := self.knowledge.faq(text, product):
            keys.append(("spec_answer", {"answer": faq.a.rstrip("。.") if self.language == "zh" else faq.a}))
        min_score = 1.0 if intent is Intent.SPEC else 3.0  # an off-topic remark needs a strong match to be answered
        if passage := self.knowledge.search(text, product, min_score=min_score):
            key = "spec_answer" if passage.kind == "faq" else "spec_point"
            keys.append((key, {"answer": passage.text.rstrip("。.")}))
        if intent is Intent.SPEC:
            keys.append(("spec_unknown", {}))
        return keys

    def _word(self, key: str, fields: dict[str, str | None], product_id: str | None) -> str | None:
        """The first wording for ``key`` that passes the guard for ``product_id`` (recorded as used), or None."""
        for index, text in self.phrases.candidates(key, fields):
            if self.guard.ok(text, product_id):
                self.phrases.used(key, index)
                return text
        return None

    def thank(self, thanks: ThankYou) -> Decision:
        """One thank-you for a batch of greetings, gifts, joins, follows and likes."""
        zh = self.language == "zh"
        names = [n for n in (speakable_name(x, self.language) for x in thanks.names) if n]
        gifts = [g for g in (speakable_name(x, self.language) for x in thanks.gifts) if g]
        parts: list[str] = []
        if names or gifts:
            who = ("、" if zh else ", ").join(names) or ("大家" if zh else "everyone")
            what = ("、" if zh else " and ").join(gifts[:3])
            if zh:
                parts.append(f"感谢{who}" + (f"的{what}！" if what else "的支持！"))  # not 送的: that reads as a promised gift
            else:
                parts.append(f"Thank you {who}" + (f" for the {what}!" if what else "!"))
        if thanks.follows:
            parts.append("谢谢关注！" if zh else "Thanks for the follow!")
        if thanks.joins or (thanks.greetings and not names):
            parts.append("欢迎新进直播间的朋友们！" if zh else "Welcome to everyone who just joined!")
        if thanks.likes:
            parts.append("谢谢大家的点赞！" if zh else "Thanks for all the likes!")
        if not parts:
            return Decision(Intent.GREETING, "ignore", reason="nothing to thank for")
        product = self.current if self.current and self.current.stock != 0 else self.knowledge.lead()
        parts.append(f"今天给大家带来{product.name}，有问题随时问。" if zh
                     else f"Today it's all about the {product.name}; ask me anything.")
        text = ("" if zh else " ").join(parts)
        if not self.guard.ok(text, product.id):
            return Decision(Intent.GREETING, "ignore", reason="thank-you did not pass the guard")
        return Decision(Intent.GREETING, "reply", text, product.id)
