"""How replies are worded: several templates per intent and language, and the facts they are filled with.

A template is a tuple of sentences. A sentence that names a fact the product lacks (no list price, no promotion)
is left out; a template whose first sentence cannot be filled is not used. `Phrasebook.say` picks a different
template than last time for the same intent, so the host does not repeat itself word for word. Templates contain
no numbers of their own: every number comes from the brief through the fields. A sold-out product has no link and
no promotion among its fields, so no wording can send a viewer to buy it.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping, Sequence

from ..brief import Product

__all__ = ["FALLBACK", "TEMPLATES", "Phrasebook", "money", "names", "product_fields"]

Template = tuple[str, ...]

TEMPLATES: dict[str, dict[str, list[Template]]] = {
    "zh": {
        "price": [
            ("{name}今天直播间价格{price}。", "日常价{list_price}，今天省{save}。", "{promo}，拍{link}就行。"),
            ("现在拍{name}是{price}，日常价{list_price}。", "另外{promo}。"),
            ("{name}到手价{price}！", "{promo}。", "喜欢的朋友直接拍{link}。"),
        ],
        "stock": [("{name}还有货，现在库存{stock}件。", "想要的拍{link}。"),
                  ("有的有的，{name}目前还有{stock}件。", "{promo}。")],
        "stock_out": [("{name}这一批已经卖完了。",), ("不好意思，{name}已经卖完了。",)],
        "instead": [("可以看看{name}，在{link}。",), ("喜欢的话可以看看{name}，就在{link}。",)],  # name first: it scopes the link
        "instead_nolink": [("可以看看{name}。",)],
        "not_here": [("这款今天不在我们直播间哦，今天有{names}，可以看看。",),
                     ("这款不在今天的直播间里，我们今天带来的是{names}。",)],
        "size_fit": [("按尺码表，{name}选{size}码就合适，{size}码是{row}。",), ("{size}码对应{row}，您选{size}码就行。",)],
        "size_between": [("按尺码表，身高对应{size}码，体重对应{size2}码，建议对照详情页的尺码表再选。",)],
        "size_outside": [("您的身高体重不在{name}的尺码表范围里，我就不乱推荐了，建议对照详情页的尺码表，或者问问客服。",)],
        "size_chart": [("{name}的尺码表：{chart}。", "告诉我身高体重，帮您选码。")],
        "stock_unknown": [("{name}的库存以购物车里显示的为准。",)],
        "shipping": [("关于发货：{shipping}。",), ("发货这块大家放心，{shipping}。",),
                     ("{name}{shipping}，放心拍。",)],
        "shipping_unknown": [("发货时间以商品页写的为准，下单后可以在订单里查看物流。",)],
        "how_to_buy": [("点下方购物车，{link}就是{name}。", "今天{price}。"),
                       ("想要{name}的朋友，直接拍{link}。",),
                       ("{name}在购物车{link}，点进去就能下单。",)],
        "how_to_buy_nolink": [("点下方购物车就能找到{name}。",)],
        "after_sales": [("售后这块放心：{after_sales}。", "收到有任何问题都可以找客服。"),
                        ("{name}支持{after_sales}。",)],
        "after_sales_unknown": [("售后问题可以在订单页联系客服，客服会帮您处理。",)],
        "complaint": [("非常抱歉给您带来不好的体验。", "麻烦在订单页联系在线客服，我们会尽快帮您处理。",
                       "售后政策是{after_sales}。"),
                      ("理解您的心情，先跟您说声抱歉。", "请在订单页找在线客服说明情况，会有专人跟进。",
                       "我们支持{after_sales}。")],
        "greeting": [("欢迎{viewer}来到直播间！", "今天给大家带来{name}，有问题随时打在公屏上。"),
                     ("{viewer}你好呀，欢迎欢迎！", "喜欢{name}的话可以点{link}看看。")],
        "spec_value": [("{name}的{key}是{value}。",), ("{key}是{value}。",)],
        "spec_answer": [("{answer}。",), ("这个问题问得好，{answer}。",)],
        "spec_point": [("{name}{answer}。",), ("这款{answer}。",)],
        "spec_unknown": [("这个商品详情页写得很清楚，可以点{link}看看。",), ("这个可以看商品详情页，写得很清楚。",)],
        "ai": [("我是AI数字人主播{host}，商品信息都来自商家。", "有问题尽管问。")],
    },
    "en": {
        "price": [
            ("The {name} is {price} today.", "The regular price is {list_price}, so you save {save}.",
             "Plus, {promo}."),
            ("Right now the {name} is {price}, down from {list_price}.", "And {promo}."),
            ("Today's price for the {name}: {price}.", "Grab it from {link}."),
        ],
        "stock": [("Yes, the {name} is in stock: {stock} available right now.", "It's {link} in the cart."),
                  ("We still have {stock} of the {name} available.",)],
        "stock_out": [("Sorry, we're sold out of the {name} for now.",), ("We've sold out of the {name}.",)],
        "instead": [("Have a look at the {name}, {link} in the cart.",), ("The {name} is {link} if you'd like a look.",)],
        "instead_nolink": [("Have a look at the {name} in the cart.",)],
        "not_here": [("That one's not in this room today; we have {names}.",),
                     ("Sorry, that's not in this room today. Today it's {names}.",)],
        "size_fit": [("Going by the size chart, I'd go with size {size}: {row}.",),
                     ("For the {name}, size {size} is the one: the chart says {row}.",)],
        "size_between": [("On the size chart your height is a size {size} and your weight a size {size2}; please check "
                          "the chart on the product page before you pick.",)],
        "size_outside": [("Those numbers are outside the {name}'s size chart, so I won't guess; please check the size "
                          "chart on the product page or ask customer service.",)],
        "size_chart": [("The {name}'s size chart: {chart}.", "Tell me your height and weight and I'll help you pick.")],
        "stock_unknown": [("The cart shows the current stock for the {name}.",)],
        "shipping": [("On shipping: {shipping}.",), ("About delivery: {shipping}.",)],
        "shipping_unknown": [("Delivery times are on the product page, and you can track your order there.",)],
        "how_to_buy": [("Tap the cart below; the {name} is {link}.", "It's {price} today."),
                       ("To order, open the cart and pick {link}, the {name}.",)],
        "how_to_buy_nolink": [("Tap the cart below to find the {name}.",)],
        "after_sales": [("No worries on returns: {after_sales}.", "If anything's wrong, customer service will help."),
                        ("The {name} comes with {after_sales}.",)],
        "after_sales_unknown": [("For returns, contact customer service from your order page and they will help.",)],
        "complaint": [("I'm really sorry about that.",
                       "Please contact customer service from your order page and they'll look into it.",
                       "Our policy: {after_sales}."),
                      ("Sorry to hear that, and thank you for telling us.",
                       "Please reach out to customer service through your order so the team can sort it out.",
                       "Remember, {after_sales}.")],
        "greeting": [("Welcome in, {viewer}!", "Today we've got the {name}; drop any questions in the chat."),
                     ("Hi {viewer}, great to see you!", "Ask me anything about the {name}.")],
        "spec_value": [("The {name}'s {key} is {value}.",), ("Its {key} is {value}.",)],
        "spec_answer": [("{answer}",), ("Good question. {answer}",)],
        "spec_point": [("Good question: {answer}.",), ("Here's what I can tell you: {answer}.",)],
        "spec_unknown": [("You'll find the full details on the product page, {link} in the cart.",),
                         ("The product page has all the details on that.",)],
        "ai": [("I'm {host}, an AI-generated digital host, and the product details all come from the shop.",
                "Ask me anything about the {name}!")],
    },
}

FALLBACK = {"zh": "这个问题商品详情页写得很清楚，大家可以点进去看看。",
            "en": "You'll find the full details on the product page."}

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥"}
_ZH_UNITS = {"CNY": "元", "USD": "美元", "EUR": "欧元", "GBP": "英镑", "JPY": "日元", "HKD": "港币"}


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def money(value: float, currency: str, language: str) -> str:
    """A price as the host says it: 49.9元, $24.99, 99 yuan."""
    if language == "zh":
        return _number(value) + _ZH_UNITS.get(currency, currency)
    if currency == "CNY":
        return f"{_number(value)} yuan"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{value:.2f}".replace(".00", "") if symbol else f"{_number(value)} {currency}"


def product_fields(p: Product, language: str) -> dict[str, str | None]:
    """The facts of ``p`` as template fields; None where the brief does not say."""
    if isinstance(p.link, int):
        link: str | None = f"{p.link}号链接" if language == "zh" else f"link {p.link}"
    elif p.link:
        link = f"「{p.link}」" if language == "zh" else f"“{p.link}”"
    else:
        link = None
    sold_out = p.stock == 0
    sep = "，" if language == "zh" else "; "
    save = round(p.list_price - p.price, 2) if p.list_price and p.list_price > p.price else None
    return {
        "name": p.name,
        "price": money(p.price, p.currency, language),
        "list_price": money(p.list_price, p.currency, language) if p.list_price else None,
        "save": money(save, p.currency, language) if save else None,
        "promo": None if sold_out else sep.join(p.promotions) or None,
        "link": None if sold_out else link,
        "stock": str(p.stock) if p.stock is not None else None,
        "shipping": (p.shipping or "").rstrip("。.") or None,
        "after_sales": (p.after_sales or "").rstrip("。.") or None,
    }


def names(products: Sequence[Product], language: str) -> str:
    """Products listed as the host says them: 保温杯、浴巾 / the Mug, the Bottle and the Towel."""
    if language == "zh":
        return "、".join(p.name for p in products)
    spoken = [f"the {p.name}" for p in products]
    return spoken[0] if len(spoken) == 1 else ", ".join(spoken[:-1]) + " and " + spoken[-1]


def _fields_of(sentence: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(sentence) if name}


def render(template: Template, fields: Mapping[str, str | None], language: str) -> str | None:
    """``template`` filled from ``fields``; None when its first sentence names a missing field."""
    out: list[str] = []
    for i, sentence in enumerate(template):
        if any(not fields.get(f) for f in _fields_of(sentence)):
            if i == 0:
                return None
            continue
        out.append(sentence.format(**{k: v for k, v in fields.items() if v}))
    return ("" if language == "zh" else " ").join(out)


class Phrasebook:
    """Chooses wording: renderable templates for an intent, the one used last time for it tried last."""

    def __init__(self, language: str, seed: int = 0) -> None:
        self.language = language
        self._rng = random.Random(seed)
        self._last: dict[str, int] = {}

    def candidates(self, key: str, fields: Mapping[str, str | None]) -> list[tuple[int, str]]:
        """Every renderable wording for ``key`` as (template index, text), in the order to try them."""
        templates: Sequence[Template] = TEMPLATES[self.language].get(key, [])
        order = list(range(len(templates)))
        self._rng.shuffle(order)
        last = self._last.get(key)
        if last in order and len(order) > 1:
            order.remove(last)
            order.append(last)
        rendered = ((i, render(templates[i], fields, self.language)) for i in order)
        return [(i, text) for i, text in rendered if text]

    def used(self, key: str, index: int) -> None:
        """Record which template was said, so the next reply for ``key`` is worded differently."""
        self._last[key] = index
