"""What never goes on air: links, contact solicitation, profanity and ads, in Chinese and English.

`screen(text)` returns the first `FilterHit` (reason ``url``, ``contact``, ``profanity`` or ``spam``) or None.
Each check runs on the normalised text, on its skeleton (so ``加 V . 信`` and ``w w w . x x . c o m`` are caught)
and, for the sound-alike lists, on its toneless pinyin (沙比 and 傻逼 are both ``sha bi``; 威信 is ``wei xin``).
Sound-alike lists hold only syllable runs that are rare in honest shop talk: ``zhi zhang`` would also be 纸张.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .normalize import fold, normalize, skeleton, syllables

__all__ = ["FilterHit", "FilterReason", "screen", "warm_up"]

FilterReason = Literal["url", "contact", "profanity", "spam"]

def _words(pattern: str) -> re.Pattern[str]:
    """Compile with ``\\b`` meaning an ASCII word edge: Chinese characters count as words to `re`, which would
    hide ``sb`` in ``sb主播``."""
    pattern = re.sub(r"\\b(?=[\w(\[\\])", "(?<![a-z0-9])", pattern)
    return re.compile(pattern.replace(r"\b", "(?![a-z0-9])"))


_TLD = r"(?:com|cn|net|org|io|xyz|top|cc|me|tv|ly|link|shop|vip|club|info|biz|site|online|store|app|gg)"
_URL = _words(r"https?:|www\.|\b[a-z0-9-]{2,}\." + _TLD + r"\b|(点|dot)\s*(com|cn|net)\b|\bt\.me/|\.onion\b")
_URL_SKELETON = re.compile(r"www[a-z0-9]{3,}|[a-z0-9]{3,}(点|dot)(com|cn|net)$")

_CONTACT = _words(
    r"微信|威信|薇信|徽信|維信|v信|wei信|vx|wx|weixin|wechat|扣扣|企鹅号|qq号?|加q|whats\s?app|telegram|\btg\b|"
    r"\bline\s?id|\bdm\s+me\b|\bmessage\s+me\b|\btext\s+me\b|\bcall\s+me\b|私聊我|私我|加我|加群|进群|"
    r"联系我|手机号|电话号|打我电话|\bemail\s+me\b|[\w.+-]+@[\w-]+\.[a-z]{2,}")
_CONTACT_SKELETON = re.compile(r"(加|\+)(我|个)?(v|微|威|薇|wx|vx|q|扣|企鹅|好友)")
_DIGITS = re.compile(r"(?:\d[\s-]?){7,}")  # a phone, QQ or account number, however spaced
_ZH_DIGITS = re.compile(r"[零〇一二两三四五六七八九幺]{7,}")
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
    r"\bfollow\s+me\b|\bvisit\s+my\b|\bonlyfans\b|\bcasino\b|\bbetting\b")


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


def screen(text: str) -> FilterHit | None:
    """Why ``text`` must not reach the air, or None when it may."""
    norm = normalize(text)
    skel = skeleton(text)
    if m := _URL.search(norm) or _URL_SKELETON.search(skel):
        return FilterHit("url", m.group(0))
    if m := _PROFANITY.search(norm) or _PROFANITY.search(skel):
        return FilterHit("profanity", m.group(0))
    units = syllables(text)
    if word := _sounds_like(units, _PROFANITY_SOUNDS):
        return FilterHit("profanity", word)
    if m := _CONTACT.search(norm) or _CONTACT_SKELETON.search(skel):
        return FilterHit("contact", m.group(0))
    if word := _sounds_like(units, _CONTACT_SOUNDS):
        return FilterHit("contact", word)
    folded = fold(text)
    if not _ORDER_CONTEXT.search(norm) and (m := _DIGITS.search(folded) or _ZH_DIGITS.search(folded)):
        return FilterHit("contact", m.group(0))
    if m := _SPAM.search(norm) or _SPAM.search(skel):
        return FilterHit("spam", m.group(0))
    return None


def warm_up() -> None:
    """Load the pinyin dictionary now (about half a second) rather than on the first live comment."""
    syllables("预热")
