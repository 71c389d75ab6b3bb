"""The offline responder: answers viewers from the brief alone, on a CPU, in well under a millisecond.

    responder = Responder(brief)
    responder.respond(Comment("多少钱", user="小王"))
    # Decision(intent=price, action='reply', text='316不锈钢保温杯今天直播间价格99元。日常价159元，今天省60元。...')

Facts come only from the brief's fields, FAQ and passages; the viewer's words are never repeated on air (only a
display name, and only one that is short, has no digits and passes the spam filter). Every candidate reply passes
`ReplyGuard` (compliance lint + fact guard); the first wording that passes is said, otherwise a neutral pointer to
the product page, otherwise nothing. Injection attempts are ignored, so they cannot change what is said.
"""

from __future__ import annotations

import re

from ..brief import Brief, Product
from ..comments.model import Comment, CommentKind, clean_text
from ..comments.triage import Intent, IntentClassifier, ThankYou, Triaged, classify, screen
from ..comments.triage.filters import warm_up
from ..comments.triage.normalize import normalize
from .decision import Decision
from .guard import ReplyGuard
from .knowledge import Knowledge
from .phrasing import FALLBACK, Phrasebook, product_fields

__all__ = ["Responder"]

_ASKS_IF_AI = re.compile(r"真人|机器人|人工智能|数字人|虚拟人|(?<![a-z])ai(?![a-z])|real person|human|robot|\ba bot\b|"
                         r"chatgpt")
_VIEWER = {"zh": "新来的朋友", "en": "friend"}
_KEYS = {Intent.PRICE: "price", Intent.COMPLAINT: "complaint", Intent.GREETING: "greeting"}


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
        product = self.knowledge.product_for(text, self.current)
        fields = {**product_fields(product, self.language), "host": self.brief.room.host_name,
                  "viewer": speakable_name(comment.user, self.language) or _VIEWER[self.language]}
        for key, extra in self._keys(intent, text, product):
            decision = self._say(intent, key, {**fields, **extra}, product)
            if decision is not None:
                return decision
        if intent is Intent.OTHER:
            return Decision(intent, "ignore", reason="nothing to say")
        if self.guard.ok(FALLBACK[self.language], product.id):
            return Decision(intent, "reply", FALLBACK[self.language], product.id)
        return Decision(intent, "ignore", reason="no wording passed the guard")

    def _keys(self, intent: Intent, text: str, product: Product) -> list[tuple[str, dict[str, str]]]:
        """Which template groups to try, in order, with the extra fields each needs."""
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

    def _say(self, intent: Intent, key: str, fields: dict[str, str | None], product: Product) -> Decision | None:
        for index, text in self.phrases.candidates(key, fields):
            if self.guard.ok(text, product.id):
                self.phrases.used(key, index)
                return Decision(intent, "reply", text, product.id)
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
                parts.append(f"感谢{who}" + (f"送的{what}！" if what else "的支持！"))
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
        product = self.current or self.knowledge.product_for("")
        parts.append(f"今天给大家带来{product.name}，有问题随时问。" if zh
                     else f"Today it's all about the {product.name}; ask me anything.")
        text = ("" if zh else " ").join(parts)
        if not self.guard.ok(text, product.id):
            return Decision(Intent.GREETING, "ignore", reason="thank-you did not pass the guard")
        return Decision(Intent.GREETING, "reply", text, product.id)
