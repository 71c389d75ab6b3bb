"""What never goes on air: links, contact solicitation, profanity and ads, in Chinese and English.

`screen(text)` returns the first `FilterHit` (reason ``url``, ``contact``, ``profanity`` or ``spam``) or None.
Each check runs on the normalised text, on its skeleton (so ``加 V . 信`` and ``w w w . x x . c o m`` are caught),
on its compact form (``taobao . com``, ``xx点c0m``, ``w-h-a-t-s-a-p-p``), for app names on that form read through
look-alikes (``wh4tsapp``, ``teIegram``) and, for the sound-alike lists, on its toneless pinyin (沙比 and 傻逼 are
both ``sha bi``; 威信 is ``wei xin``). Sound-alike lists hold only syllable runs that are rare in honest shop talk:
``zhi zhang`` would also be 纸张.

Phone and account numbers are digit runs however they are separated (spaces, dashes, ❤, emoji, keycaps). What shop
talk writes with digits is taken out first so it is never read as one: prices and sizes with a decimal point
(``99.9``), times (``10:30``), dimensions (``70x140``) and ranges (``155-165``, ``165/50kg`` is two numbers).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from .normalize import compact, normalize, skeleton, syllables, unleet

__all__ = ["FilterHit", "FilterReason", "screen", "warm_up"]

FilterReason = Literal["url", "contact", "profanity", "spam"]

def _words(pattern: str) -> re.Pattern[str]:
    """Compile with ``\\b`` meaning an ASCII word edge: Chinese characters count as words to `re`, which would
    hide ``sb`` in ``sb主播``."""
    pattern = re.sub(r"\\b(?=[\w(\[\\])", "(?<![a-z0-9])", pattern)
    return re.compile(pattern.replace(r"\b", "(?![a-z0-9])"))


_TLD = r"(?:com|cn|net|org|io|xyz|top|cc|me|tv|ly|link|shop|vip|club|info|biz|site|online|store|app|gg)"
_URL = _words(r"https?:|www\.|\b[a-z0-9-]{2,}\." + _TLD + r"\b|(点|dot)\s*(com|cn|net)\b|\bt\.me/|\.onion\b|"
              r"\b[a-z0-9-]{2,}\.(c[o0]m|n[e3]t|[o0]rg)\b")
_URL_SKELETON = re.compile(r"www[a-z0-9]{3,}|[a-z0-9]{3,}(点|dot)(com|cn|net)$")

_CONTACT = _words(
    r"微信|威信|薇信|徽信|維信|v信|wei信|vx(?![a-z])|wx(?![a-z])|wxid|weixin|wechat|扣扣|企鹅号|qq号?|加q|whats\s?app|telegram|\btg\b|"
    r"\bline\s?id|\bdm\s+me\b|\bmessage\s+me\b|\btext\s+me\b|\bcall\s+me\b|私聊我|私我|加我|加群|进群|"
    r"联系我|手机号|电话号|打我电话|\bemail\s+me\b|\bv\s+x\b|\bq\s+q\b|[\w.+-]+@[\w-]+\.[a-z]{2,}|"
    r"\b(add|msg|contact|reach|find|hit|ping|dm|text|call)\s+me\s+(on|at|via|up|in)\b|\bmsg\s+me\b|\bhmu\b")


def _spelled(word: str) -> str:
    """A pattern for ``word`` read through look-alikes, letters perhaps split by symbols (whats.app, w-h-a-t-s)."""
    return r"[\W_]*".join(re.escape(c) for c in unleet(word))


# App names on the compact form read through look-alikes; each needs a word edge so `instant` is not `insta`.
_APPS = _words(r"\b(" + "|".join(_spelled(w) for w in (
    "whatsapp", "telegram", "wechat", "weixin", "instagram", "insta", "snapchat", "kakaotalk", "kakao", "viber",
    "skype", "discord")) + r")\b")
# Another shop named as the place to buy (同款淘宝搜, search it on taobao): advertising, whatever the spelling.
_SHOPS = r"(淘宝|taobao|tb|拼多多|pdd|京东|闲鱼|某宝|amazon|ebay|aliexpress|temu|shein)"
_ELSEWHERE = _words(r"\b" + _SHOPS + r"\W*(搜|search)|同款\W*" + _SHOPS + r"|搜\W*(店铺|同款)")
_CONTACT_SKELETON = re.compile(r"(加|\+)(我|个)?(v|微|威|薇|wx|vx|q|扣|企鹅|好友)")
_NOT_PLUS = re.compile(r"[^\w+]+")
# Shop-talk numbers, replaced by a word character so what is left on either side is not joined into one run.
_SHOP_NUMBERS = re.compile(r"\d{1,2}:\d{2}|(?<![\d.])\d+\.\d{1,2}(?![\d.])|\d+\s*[x×*]\s*\d+|"
                           r"(?<![\d-])(?P<lo>\d{1,4})\s*[-~～/]\s*(?P<hi>\d{1,4})(?![\d-])")
_DIGITS = re.compile(r"\d(?:[^\w\u3400-\u9fff]{0,3}\d){6,}")  # a phone, QQ or account number, however spaced
_ZH_DIGITS = re.compile(r"[零〇一二两三四五六七八九幺](?:[^\w]{0,3}[零〇一二两三四五六七八九幺]){6,}")
_ORDER_CONTEXT = re.compile(r"订单|单号|快递|物流|order|tracking")  # an order number in a complaint is not spam

_PROFANITY = _words(
    r"傻逼|傻b|傻x|煞笔|沙比|\bsb\b|妈的|他妈|尼玛|你妈|操你|草你|草泥马|艹|\bcnm\b|\btmd\b|\bnmsl\b|\bnmb\b|"
    r"去死|脑残|智障|贱人|婊子|狗东西|废物|弱智|滚蛋|滚犊子|垃圾主播|"
    r"\bfuck\w*|\bf+u+c+k+|\bshit\w*|\bbitch\w*|\basshole|\bcunt|\bdick(head)?\b|\bmotherf\w*|\bretard\w*|\bstfu\b|"
    r"\bdumbass|\bidiot\w*|\bkys\b|\bwhore\b|\bslut\b|\bbastard")
_PROFANITY_SOUNDS = ("shabi", "caonima", "nimasile", "tamade", "nimabi", "rinima", "qunimade", "naocan", "biaozi")
_CONTACT_SOUNDS = ("weixin", "koukou")

_SPAM = _words(
    r"兼职|日赚|日入|刷单|代理加盟|招代理|招聘|免费领|领取福利|返利|返现群|贷款|网贷|博彩|赌博|彩票|时时彩|"
    r"快速涨粉|互粉|互关|买粉|代刷|点我头像|看我主页|主页有惊喜|"
    r"\bgiveaway\b|\bfree\s+(followers|subs|robux|v-?bucks)\b|\bcrypto\b|\bbitcoin\b|\bnft\b|\bforex\b|"
    r"\bearn\s+\$|\bmake\s+money\b|\bcheck\s+(out\s+)?my\s+(channel|profile|page)\b|\bsub4sub\b|\bfollow4follow\b|"
    r"\bfollow\s+me\b|\bvisit\s+my\b|\bfollow\s+my\b|\bmy\s+(page|profile|channel)\b|\bonlyfans\b|\bcasino\b|"
    r"\bbetting\b")


@dataclass(frozen=True, slots=True)
class FilterHit:
    reason: FilterReason
    match: str


def _sounds_like(units: tuple[str, ...], words: tuple[str, ...]) -> str | None:
    """A run of whole units whose spelling joined is one of ``words`` (syllable boundaries respected)."""
    for i in range(len(units)):
        joined = ""
        for u in units[i:i + 6]:
            joined += u
            if joined in words:
                return joined
            if len(joined) >= 10:
                break
    return None


_SEPARATORS_BEFORE = re.compile(r"[^\w\u3400-\u9fff]{0,3}$")
_SEPARATORS_AFTER = re.compile(r"[^\w\u3400-\u9fff]{0,3}")


def _shop_number(m: re.Match[str]) -> str:
    lo, hi = m.group("lo"), m.group("hi")
    if lo is not None:
        text, start, end = m.string, m.start(), m.end()
        before = _SEPARATORS_BEFORE.search(text, 0, start)
        after = _SEPARATORS_AFTER.match(text, end)
        more_digits = (before is not None and before.start() > 0 and text[before.start() - 1].isdigit()) or (
            after is not None and text[after.end():after.end() + 1].isdigit())
        if more_digits or int(lo) >= int(hi):
            return m.group(0)  # 555-013-9876 is one number; a range goes up and stands alone
    return "_"


def _digit_run(text: str) -> str | None:
    """A phone-like run of seven or more digits in ``text``, separators allowed, shop-talk numbers excepted."""
    plain = _SHOP_NUMBERS.sub(_shop_number, unicodedata.normalize("NFKC", text))
    m = _DIGITS.search(plain) or _ZH_DIGITS.search(plain)
    return m.group(0) if m else None


def screen(text: str) -> FilterHit | None:
    """Why ``text`` must not reach the air, or None when it may."""
    norm = normalize(text)
    skel = skeleton(text)
    packed = compact(text)
    if m := _URL.search(norm) or _URL.search(packed) or _URL_SKELETON.search(skel):
        return FilterHit("url", m.group(0))
    if m := _PROFANITY.search(norm) or _PROFANITY.search(skel):
        return FilterHit("profanity", m.group(0))
    units = syllables(text)
    if word := _sounds_like(units, _PROFANITY_SOUNDS):
        return FilterHit("profanity", word)
    if m := (_CONTACT.search(norm) or _CONTACT.search(packed) or _CONTACT_SKELETON.search(skel)
             or _CONTACT_SKELETON.search(_NOT_PLUS.sub("", norm)) or _APPS.search(unleet(packed))):
        return FilterHit("contact", m.group(0))
    if word := _sounds_like(units, _CONTACT_SOUNDS):
        return FilterHit("contact", word)
    if not _ORDER_CONTEXT.search(norm) and (run := _digit_run(text)):
        return FilterHit("contact", run)
    if m := _SPAM.search(norm) or _SPAM.search(skel) or _ELSEWHERE.search(unleet(packed)):
        return FilterHit("spam", m.group(0))
    return None


def warm_up() -> None:
    """Load the pinyin dictionary now (about half a second) rather than on the first live comment."""
    syllables("预热")
