"""Kinds of goods by their everyday names, so a question can be placed: a product of this room, or none.

Viewers name what they want by its kind, not by the merchant's product name: 杯子 for 316不锈钢保温杯, "the flask"
for the Steel Trail Bottle, 口红 in a clothing room. `Kinds(brief)` knows, for each kind below, which of the room's
products are of it (a kind word in the product's name or id) and `Kinds.asked(text)` lists the kinds a comment names.
A kind asked that no product is of is a question about something this room does not sell.

A comment is read leftmost-longest (电饭锅 is a rice cooker, not a 锅); a product name is of every kind it contains
(可视空气炸锅 is an air fryer and a 锅), so a viewer asking about 这个锅 in an air-fryer room is answered.

Words are matched as written for Chinese and as whole words (with a plural ending) for English. A word belongs in
a kind only if it names goods: 包 alone is also 包邮, so bags are 包包, 背包, 双肩包.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..brief import Brief, Product
from ..comments.triage.normalize import normalize

__all__ = ["KINDS", "Kinds"]

KINDS: tuple[tuple[str, ...], ...] = (
    # clothing and accessories
    ("t恤", "短袖", "tee", "t-shirt", "tshirt"), ("衬衫", "shirt", "blouse"), ("卫衣", "hoodie", "sweatshirt"),
    ("外套", "夹克", "风衣", "jacket", "coat"), ("羽绒服", "down jacket", "puffer"), ("雨衣", "rain jacket", "raincoat"),
    ("毛衣", "针织衫", "sweater", "cardigan"), ("连衣裙", "裙子", "半身裙", "dress", "skirt"),
    ("裤子", "裤", "牛仔裤", "pants", "trousers", "jeans", "leggings", "shorts"), ("袜子", "袜", "sock"),
    ("内衣", "文胸", "bra", "underwear"), ("睡衣", "pajamas", "pyjamas"), ("鞋", "鞋子", "运动鞋", "shoe", "sneaker"),
    ("靴子", "靴", "boot"), ("拖鞋", "slipper", "flip-flop"), ("帽子", "棒球帽", "遮阳帽", "cap", "hat", "beanie"),
    ("围巾", "scarf"), ("手套", "glove"), ("墨镜", "太阳镜", "sunglasses"), ("眼镜", "glasses"),
    ("包包", "手提包", "背包", "双肩包", "钱包", "handbag", "backpack", "purse", "wallet"),
    ("项链", "necklace"), ("耳环", "earring"), ("戒指", "ring"), ("手表", "wristwatch", "smartwatch"), ("手链", "bracelet"),
    # beauty and care
    ("口红", "唇膏", "唇釉", "lipstick", "lip gloss"), ("面膜", "face mask", "sheet mask"), ("粉底", "foundation"),
    ("香水", "perfume", "fragrance"), ("洗发水", "shampoo"), ("沐浴露", "body wash"), ("面霜", "乳液", "moisturizer"),
    ("防晒", "sunscreen"), ("牙刷", "toothbrush"), ("吹风机", "hair dryer"),
    # kitchen and home
    ("杯", "杯子", "水杯", "保温杯", "马克杯", "mug", "cup", "tumbler"), ("水壶", "bottle", "flask"),
    ("茶壶", "teapot"), ("热水壶", "电水壶", "kettle"), ("锅", "炒锅", "平底锅", "pan", "pot", "skillet", "wok"),
    ("空气炸锅", "炸锅", "air fryer"), ("电饭煲", "电饭锅", "rice cooker"), ("微波炉", "microwave"),
    ("烤箱", "oven"), ("烤面包机", "面包机", "toaster"), ("破壁机", "料理机", "榨汁机", "搅拌机", "blender", "juicer"),
    ("咖啡机", "coffee machine", "espresso machine"), ("刀", "菜刀", "knife", "knives"),
    ("砧板", "菜板", "cutting board", "chopping board"), ("盘子", "碗", "plate", "bowl", "dish"),
    ("筷子", "chopstick"), ("勺", "勺子", "spoon"), ("毛巾", "浴巾", "towel"), ("围兜", "饭兜", "bib"),
    ("奶瓶", "baby bottle"), ("纸尿裤", "尿不湿", "diaper", "nappy"), ("枕头", "pillow"),
    ("被子", "毯子", "blanket", "duvet", "quilt"), ("床单", "四件套", "bed sheet", "sheets"), ("雨伞", "伞", "umbrella"),
    ("冰箱", "fridge", "refrigerator"), ("洗衣机", "washing machine"), ("扫地机", "吸尘器", "vacuum"),
    ("台灯", "lamp"),
    # electronics
    ("手机", "phone", "smartphone"), ("耳机", "headphones", "earbuds", "headset"), ("充电宝", "power bank"),
    ("电脑", "笔记本电脑", "laptop", "computer"), ("平板", "tablet", "ipad"), ("电视", "tv", "television"),
    ("音箱", "speaker"), ("相机", "camera"),
    # outdoors and sport
    ("帐篷", "tent"), ("睡袋", "sleeping bag"), ("瑜伽垫", "yoga mat"), ("自行车", "bike", "bicycle"),
    # food
    ("零食", "snack"), ("茶叶", "tea"), ("咖啡豆", "coffee beans"), ("牛奶", "milk"), ("巧克力", "chocolate"),
)


def _pattern(words: Iterable[str]) -> re.Pattern[str]:
    """Longest words first, so an alternation match at a position is the longest word there."""
    alternatives = []
    for w in sorted(words, key=len, reverse=True):
        if w.isascii():
            alternatives.append(r"(?<![a-z0-9])" + re.escape(w) + r"(?:s|es)?(?![a-z0-9])")
        else:
            alternatives.append(re.escape(w))
    return re.compile("|".join(alternatives))


_KIND_PATTERNS = tuple(_pattern(words) for words in KINDS)
_ANY_KIND = _pattern(w for words in KINDS for w in words)
_KIND_OF = {w: i for i, words in enumerate(KINDS) for w in words}


def _kind_of(word: str) -> int:
    for end in (len(word), len(word) - 1, len(word) - 2):  # mugs, dishes
        if word[:end] in _KIND_OF:
            return _KIND_OF[word[:end]]
    raise KeyError(word)


class Kinds:
    """The kinds of goods of one brief's products, and the kinds a comment names."""

    def __init__(self, brief: Brief) -> None:
        self._of: dict[int, list[Product]] = {}
        for p in brief.products:
            name = normalize(f"{p.name} {p.id}")
            for i, pattern in enumerate(_KIND_PATTERNS):
                if pattern.search(name):
                    self._of.setdefault(i, []).append(p)

    @staticmethod
    def asked(text: str) -> list[int]:
        """The kinds ``text`` names, as indices into `KINDS`, in reading order."""
        return [_kind_of(m.group(0)) for m in _ANY_KIND.finditer(normalize(text))]

    def products(self, kind: int) -> list[Product]:
        """The room's products of ``kind`` (empty when the room sells none)."""
        return self._of.get(kind, [])
