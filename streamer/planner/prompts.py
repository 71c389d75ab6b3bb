"""Prompts for the LLM planner, per language: the persona, the law, the facts, and the JSON shape to answer in.

Only speakable facts (after the compliance lint) go into the prompt, so the model never sees a claim it must not say.
"""

from __future__ import annotations

import json

from ..brief import Brief
from ..llm import Message
from .prepare import SpeakableProduct, money
from .rundown import SegmentKind

KINDS = [k.value for k in SegmentKind if k not in (SegmentKind.WELCOME, SegmentKind.TRANSITION,
                                                   SegmentKind.RECAP, SegmentKind.SOLD_OUT)]
ZH_MAX_CHARS = 24
EN_MAX_WORDS = 15

_SHAPE = '{"segments": [{"kind": "hook", "sentences": ["..."]}, {"kind": "intro", "sentences": ["..."]}, ...]}'

ZH_SYSTEM = """你是直播间的数字人主播{host}。人设：{persona}。你为一款商品写一段直播带货口播稿。
必须遵守：
1. 只使用【商品事实】里的信息。价格、库存、时长、数量等数字只能照抄事实里的数字，不得出现任何其他数字（包括折扣、销量、排名、日期、人数）。
2. 遵守《广告法》和平台规则：不得使用“最”“第一”“国家级”“顶级”“唯一”“绝对”“永久”“100%有效”等极限或绝对化用语；不得宣称治疗、减肥等医疗保健功效；不得虚构原价、限时或涨价；不得引导私下交易。
3. 你是数字人，不要说自己用过或家人在用；不要编造用户评价。
4. 每句只说一句口语短句，不超过{max_chars}个字。
5. 结构：开场吸引(hook)、使用场景(scene)、展示商品(intro)、逐条讲到每个卖点(point)、参数(spec)、价格(price，日常价对比今天的价格)、活动(promo)、库存(urgency)、引导下单(cta，说出链接号)、发货售后(trust)、常见问题(faq)。
只输出 JSON，不要其他文字，格式：{shape}
kind 只能是：{kinds}。"""

EN_SYSTEM = """You are {host}, the digital host of a live-selling stream. Persona: {persona}. Write the spoken script for one product.
Rules:
1. Use only the PRODUCT FACTS. Every number (price, stock, durations, counts) must be copied from the facts; say no other number (no discounts, sales figures, rankings, dates, viewer counts).
2. Follow advertising law and platform rules: no superlatives or rankings (best, number one, world's first, unbeatable), no guarantees or absolutes (guaranteed, forever, 100% effective, risk-free), no health or cure claims, no fake original prices, deadlines or price rises, no off-platform selling.
3. You are a digital human: never claim you or your family used the product; never invent reviews.
4. One short spoken sentence per item, at most {max_words} words.
5. Structure: hook, scene (a use situation), intro (show the product), point (one per selling point, cover every one), spec, price (regular price against today's price), promo, urgency (the real stock), cta (say the link number), trust (shipping, returns), faq.
Answer with JSON only, no other text, in this shape: {shape}
kind must be one of: {kinds}."""


def facts(sp: SpeakableProduct, language: str) -> dict[str, object]:
    p = sp.product
    out: dict[str, object] = {"name": sp.name, "price_today": money(p.price, p.currency, language)}
    if p.list_price and p.list_price > p.price:
        out["regular_price"] = money(p.list_price, p.currency, language)
        out["saving"] = money(round(p.list_price - p.price, 2), p.currency, language)
    if p.stock:
        out["stock"] = p.stock
    if p.link is not None:
        out["link_number"] = p.link
    out["selling_points"] = sp.points
    if sp.specs:
        out["specs"] = dict(sp.specs)
    if sp.promos:
        out["promotions"] = sp.promos
    if sp.shipping:
        out["shipping"] = sp.shipping
    if sp.after_sales:
        out["after_sales"] = sp.after_sales
    if sp.faqs:
        out["faq"] = [{"q": q, "a": a} for q, a in sp.faqs]
    return out


def messages(brief: Brief, sp: SpeakableProduct, variant: int) -> list[Message]:
    """The first request for ``variant`` (0, 1, ...) of one product's block."""
    host = brief.room.host_name
    kinds = ", ".join(KINDS)
    fact_json = json.dumps(facts(sp, brief.language), ensure_ascii=False, indent=1)
    if brief.language == "zh":
        system = ZH_SYSTEM.format(host=host, persona=brief.room.persona or "亲切专业", max_chars=ZH_MAX_CHARS,
                                  shape=_SHAPE, kinds=kinds)
        user = f"【商品事实】\n{fact_json}\n请写第{variant + 1}个版本，用词和常见说法有所不同。"
    else:
        system = EN_SYSTEM.format(host=host, persona=brief.room.persona or "friendly and practical",
                                  max_words=EN_MAX_WORDS, shape=_SHAPE, kinds=kinds)
        user = f"PRODUCT FACTS\n{fact_json}\nWrite version {variant + 1}; vary the wording from the usual phrases."
    return [Message("system", system), Message("user", user)]


def feedback(problems: list[str], language: str) -> Message:
    """The follow-up that asks the model to fix what the validator found."""
    items = "\n".join(f"- {p}" for p in problems)
    if language == "zh":
        return Message("user", f"上一版有这些问题，请全部改正，然后重新输出完整的 JSON：\n{items}")
    return Message("user", f"The last version has these problems. Fix all of them and answer with the full JSON "
                           f"again:\n{items}")
