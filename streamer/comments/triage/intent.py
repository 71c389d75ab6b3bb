"""Intent classification: what a viewer wants, from a fixed label set, by ordered zh + en rules.

Rules are tried in precedence order and the first that matches decides: an attempt to instruct the host outranks
everything, a complaint outranks the question inside it (由于还没发货 is a complaint, not a shipping question), a
buying question outranks a greeting that comes with it (你好，多少钱 is a price question). With a brief, the
product's own vocabulary (spec names and values, FAQ questions) marks product questions the generic rules do not
know. A bare mention of a link (3号链接多少钱, "any discount on link 4?") is a buying question only when nothing
more specific is asked.

In a comment of several clauses the question at its end decides (`question.final_question`): the ramble before it
(a complaint about another shop, a greeting, a story) does not, unless it is an injection or a complaint about the
viewer's own order (三天了还没发货，什么时候发 stays a complaint). Spam is decided by the filter (`filters.screen`).
"""

from __future__ import annotations

import re
from enum import StrEnum

from ...brief import Brief
from .normalize import normalize, skeleton
from .question import final_question

__all__ = ["BUYING_INTENTS", "Intent", "IntentClassifier"]


class Intent(StrEnum):
    PRICE = "price"
    STOCK = "stock"
    SHIPPING = "shipping"
    SPEC = "spec"              # product properties or usage
    HOW_TO_BUY = "how_to_buy"
    AFTER_SALES = "after_sales"
    GREETING = "greeting"
    COMPLAINT = "complaint"
    SPAM = "spam"
    INJECTION = "injection"    # attempts to instruct the host
    OTHER = "other"


BUYING_INTENTS = frozenset({Intent.PRICE, Intent.STOCK, Intent.SHIPPING, Intent.SPEC, Intent.HOW_TO_BUY})

_A, _Z = r"(?<![a-z0-9])", r"(?![a-z0-9])"  # ASCII word edges that also hold next to Chinese characters


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives).replace(r"\b<", _A).replace(r">\b", _Z))


# (intent, pattern) in precedence order; patterns run on normalised (NFKC, lower-case) text.
_RULES: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (Intent.INJECTION, _rx(
        r"忽略.{0,8}(指令|设定|提示|规则|要求|以上|之前|前面)", r"你现在是", r"从现在(开始|起)", r"扮演", r"系统(提示|消息|指令)",
        r"管理员(指令|命令)", r"开发者模式", r"提示词", r"跟我(念|读|说)", r"复述", r"重复.{0,4}(这句|我说)",
        r"(宣布|告诉大家|你说|说一句|就说|你就说).{0,12}(免费|一块|1块|1元|一元|不要钱|白送|最低|第一)",
        r"价格(改|调)(为|成)", r"改价", r"把价格",
        r"\b<ignore>\b.{0,30}\b<(instructions?|prompts?|rules)>\b", r"\b<disregard>\b", r"\b<you('| a)re now>\b",
        r"\b<from now on>\b", r"\b<pretend>\b", r"\b<act as>\b", r"\b<role-?play>\b", r"\b<jailbreak>\b",
        r"\b<dan>\b", r"system prompt", r"^\W*system\s*:", r"\[system\]", r"developer mode", r"<\|im_start\|>",
        r"\b<repeat after me>\b", r"\b<tell everyone>\b", r"\b<announce>\b", r"\b<new price>\b",
        r"\b<price is now>\b", r"\b<change the price>\b", r"\b<say (that|the|it'?s|this)>\b")),
    (Intent.COMPLAINT, _rx(
        r"还没(有)?(发货|到|收到|发|处理|回|退)", r"一直(没|不)", r"没(有)?收到", r"到现在", r"坏的|破的|是坏",
        r"(就|都|已经|又)?(掉毛|掉色|漏水|漏|坏|破|碎|裂|变形|生锈)了(?!.{0,3}(怎么办|吗|能))",
        r"就(掉|坏|漏|破|碎)", r"收到.{0,6}(坏|破|碎|漏|少|错|不一样)", r"失望", r"骗", r"假货", r"垃圾", r"差评",
        r"太差", r"投诉", r"不回", r"不理", r"态度(差|不好)", r"坑人|被坑", r"上当", r"质量差", r"难用", r"后悔",
        r"举报", r"气死", r"无语",
        r"\b<never (arrived|came|showed up|got it)>\b", r"\b<(have|has)n'?t (received|arrived|got|come)>\b",
        r"\b<still (waiting|not|hasn'?t|haven'?t)>\b", r"\b<waiting\b.{0,20}\b(weeks?|days|months)>\b",
        r"\b<broke|broken|damaged|defective|cracked|leaked|dented>\b", r"\b<scam|fraud|fake|rip-?off>\b",
        r"\b<terrible|awful|horrible|worst|disappoint\w*|angry|unacceptable|garbage|trash|ridiculous|useless>\b",
        r"\b<(nobody|no one) (answers?|replies|responds?|helps?)>\b", r"\b<money back>\b", r"\b<complain\w*>\b",
        r"\b<waste of money>\b", r"\b<(doesn'?t|stopped|not) work(ing)?>\b", r"\b<wrong (item|size|colou?r)>\b")),
    (Intent.AFTER_SALES, _rx(
        r"退货|退款|退换|换货|无理由|运费险|保修|质保|售后|质量问题|(坏|有问题)了?怎么办|包退|包换|能退|退吗|可以退",
        r"\b<returns?|refunds?|warranty|guarantee|exchange|return policy>\b")),
    (Intent.HOW_TO_BUY, _rx(
        r"(怎么|怎样|如何|在哪(里|儿)?|哪里|去哪)(才能)?(买|拍|下单|购买|抢|付款)", r"小黄车",
        r"购物车", r"拍哪", r"上车", r"想买|要买", r"哪个链接|几号链接|链接在哪|链接呢",
        r"\b<how (do|can|would|should) (i|we|you) (buy|order|get|purchase)>\b", r"\b<how to (buy|order|purchase)>\b",
        r"\b<where (do|can|should) (i|we) (buy|order|get)>\b", r"\b<where'?s the link>\b", r"\b<link for>\b",
        r"\b<cart|checkout>\b", r"\b<(want|wanna|going) to buy|wanna buy>\b")),
    (Intent.STOCK, _rx(
        r"有货|没货|现货|库存|卖完|售罄|抢完|抢到|还有吗|还剩|断货|补货|缺货|有没有货|还有没有",
        r"有没有卖|有卖|你们卖|卖不卖|在卖", r"\b<do you (sell|carry|stock)>\b",
        r"^(?!.*\b(size|colou?r|chart|warranty|returns?|discount|coupon)s?\b).*\b<do you have>\b",
        r"\b<in stock|out of stock|sold out|any left|left\?|available|restock|run out|inventory>\b",
        r"\b<still have|how many (do you have|left|are left)>\b")),
    (Intent.SHIPPING, _rx(
        r"发货|快递|包邮|运费|邮费|物流|(几|多少)天(能)?(到|发)|多久(能)?(到|发)|什么时候(能)?到|配送|能发|发吗|送到|偏远|顺丰|邮寄|寄到",
        r"\b<ship\w*|deliver\w*|arrive|arrival|postage|courier|tracking>\b")),
    (Intent.PRICE, _rx(
        r"多少钱|多钱|价格|价钱|什么价|啥价|几块|几元|便宜|优惠|折扣|打折|券|划算|太贵|贵吗|活动|满减|立减|赠品|送什么|"
        r"是\s*\d+(\.\d+)?\s*(块|元)?吗|\d\s*(块|元)",
        r"\b<how much|price|prices|pricing|cost|costs|discount|deals?|coupon|promo|sale|cheap|expensive>\b",
        r"\$\s?\d", r"\b<bucks|offers?|code>\b")),
    (Intent.HOW_TO_BUY, _rx(r"几号|链接", r"\b<links?>\b")),  # a bare link mention, when nothing else is asked
    (Intent.SPEC, _rx(
        r"容量|多大|多重|重不重|重量|材质|材料|什么做的|尺寸|多长|多宽|多高|规格|颜色|几个色|款式|保温|保冷|能装|怎么用|怎么洗|"
        r"好用吗|质量怎么样|适合|掉色|掉毛|漏水|拆|能不能|可不可以|能.{0,8}吗|可以.{0,8}吗|会.{0,8}吗|安全吗|耐",
        r"够.{0,8}吗|有.{0,8}的吗|是.{0,8}的吗|(?![是要])([\u4e00-\u9fff])不\1",
        r"尺码|码数|(什么|啥|哪个|哪|几|多大)个?码|穿多大|穿什么|穿啥|身高|体重|\d\s*(cm|厘米|公分|kg|公斤|斤)|一米[一二三四五六七八九]",
        r"\b<(what|which) size>\b", r"\d\s*(cm|kg|lbs?)\b", r"\d'\s*\d",
        r"\b<(does|is|will|can|do) (this|that|they|these|the) \w+>\b",
        r"\b<how (big|large|tall|heavy|long does it|long will it|many ml)>\b", r"\b<size|sizes|capacity|weight|weigh>\b",
        r"\b<made of|material|dishwasher|leak|leaks|colou?rs?|fit|fits|dimensions|bpa|insulated>\b",
        r"\b<keeps?\b.{0,20}\b(cold|hot|warm)>\b", r"\b<(does|is|will|can) it>\b", r"\b<can i (use|put|wash)>\b")),
    (Intent.GREETING, _rx(
        r"你好|您好|主播(你)?好(?![看漂美帅厉棒可会])|大家好|(早上|中午|下午|晚上)好|早安|晚安|嗨|哈喽|来了|报到|打卡|签到|"
        r"第一次来|新来的|路过|又来了",
        r"^\W*(hi|hello|hey|hiya|yo|howdy|greetings|good (morning|afternoon|evening|night))(?![a-z0-9])",
        r"\b<(hi|hello|hey) (everyone|all|guys|folks|there)>\b", r"\b<just joined|first time here|i'?m here>\b",
        r"\b<what'?s up|sup>\b")),
)


_QUESTIONS = frozenset({Intent.PRICE, Intent.STOCK, Intent.SHIPPING, Intent.SPEC, Intent.HOW_TO_BUY,
                        Intent.AFTER_SALES})
# A complaint about the viewer's own order: a question after it is part of the complaint.
_OWN_ORDER = _rx(r"还没(有)?(发货|到|收到|发)|没(有)?收到|到现在|订单|单号|我(买|拍)的|收到的?",
                 r"\b<never (arrived|came)|(haven'?t|hasn'?t) (received|arrived|come)|still waiting|my order|"
                 r"i ordered|i received>\b")


def _bigrams(s: str) -> set[str]:
    return {s[i:i + 2] for i in range(len(s) - 1)} or {s}


class IntentClassifier:
    """``IntentClassifier(brief).classify("容量多大")`` -> Intent.SPEC. Pure and fast (regexes only)."""

    def __init__(self, brief: Brief | None = None) -> None:
        self._faq: list[set[str]] = []
        terms: set[str] = set()
        for p in brief.products if brief else []:
            terms |= {normalize(str(k)) for k in p.specs} | {normalize(str(v)) for v in p.specs.values()}
            self._faq += [_bigrams(skeleton(f.q)) for f in p.faq]
        # A bare number (容量: 500) would turn any comment with that number into a product question.
        self._spec_terms = tuple(t for t in terms if len(t) >= 2 and not t.replace(".", "").isdigit())

    def classify(self, text: str) -> Intent:
        norm = normalize(text)
        if not norm:
            return Intent.OTHER
        whole = self._classify(norm)
        question = final_question(norm)
        if whole is Intent.INJECTION or question is None or question == norm:
            return whole
        asked = self._classify(question)
        if asked not in _QUESTIONS or (whole is Intent.COMPLAINT and _OWN_ORDER.search(norm)):
            return whole
        return asked

    def _classify(self, norm: str) -> Intent:
        for intent, pattern in _RULES:
            if pattern.search(norm):
                return intent
        if any(t in norm for t in self._spec_terms) or self._faq_like(norm):
            return Intent.SPEC
        return Intent.OTHER

    def _faq_like(self, norm: str) -> bool:
        grams = _bigrams(skeleton(norm))
        return any(len(grams & q) / len(grams | q) >= 0.5 for q in self._faq)
