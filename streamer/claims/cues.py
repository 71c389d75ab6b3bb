"""The words that make a sentence a claim, per kind, Chinese and English side by side.

Two sorts of pattern live here: *cues* that tell what a nearby number is (原价 before 199 makes it a reference
price, "left" after 3 makes it stock) and *phrases* that are claims on their own (包邮, 专家推荐, better than X).
Phrase tables map a pattern to a tag, so that 包邮 and "free shipping" are one promise and a brief that says one
grounds a sentence that says the other.
"""

from __future__ import annotations

import re

__all__ = ["CLAUSE_END", "A_DOLLAR", "COMPARISON", "DISCOUNT_CUE", "EFFICACY", "ENDORSEMENT", "FREE", "GIFT_EN", "GIFT_ZH",
           "GUARANTEE_CUE", "GUARANTEE_TAGS", "LINK_BEFORE", "MONEY_SHIPPING_AFTER", "MONEY_SHIPPING_BEFORE",
           "POPULATION_GROUPS", "POPULATION_SAFE", "PRICE_CUE", "PROMO_CUE", "PROMO_TAGS", "REF_AFTER", "REF_BEFORE",
           "SAVING_AFTER", "SAVING_BEFORE", "SCARCITY", "SLASHED", "SHIPPING_CUE", "SHIPPING_TAGS", "STOCK_AFTER", "STOCK_BEFORE",
           "SUPERLATIVE", "Tagged"]

Tagged = tuple[tuple[re.Pattern[str], str], ...]


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _tagged(*pairs: tuple[str, str]) -> Tagged:
    return tuple((_re(p), tag) for p, tag in pairs)


# A clause ends at sentence punctuation or a comma; a dot or comma between digits (24.99, 1,200) does not end one.
CLAUSE_END = re.compile(r"[。！？!?；;\n]|[，,、](?!\d{3})|\.(?!\d)|\s[-–—]\s|\bbut\b")

# --- what a number is ------------------------------------------------------------------------------------------
REF_BEFORE = _re(r"原价|原来|专柜价?|日常价?|平时卖|平时|市场价|划线价|吊牌价|(?:建议)?零售价|官方价|指导价|标价|门店价|"
                 r"(?:之前|以前|外面)卖?|不是(?=\s*[\d一二三四五六七八九十两])|\bwas\b|\bwere\b|regular(?:ly)?|retail|"
                 r"\bmsrp\b|\brrp\b|list price|original(?:ly)?(?: price)?|normally|usually|usual price|compare at|"
                 r"valued at|instead of|down from|\bnot\b(?=\s*\$?\d)")
REF_AFTER = _re(r"^\s*(?:regular|retail|list|before|originally|normally|usually)\b")
# A bare number (no unit) right after one of these is a price: 今天69, 原价199, "now only 32", "for 49".
PRICE_CUE = _re(r"(?:价格?|只要|仅需|仅要|只需|到手|卖|秒杀|今天|现在|直播间|券后|拍下|\bprices?(?: is)?|\bcosts?|\bpay|\bfor|"
                r"\bjust|\bonly|\bnow|\btoday|\bat|\bworth|\bdeal)[\s:：是为]*$")
# Prices said without a number: free, a dollar (value 0 or 1, grounded like any price).
FREE = _re(r"免费(?!送[\u4e00-\u9fffA-Za-z\d]|赠|退|换|配送|发货|包邮|邮|试用|试|咨询|领|拿样|寄样)|白送|不要钱|零元购?|"
           r"\b(?:is|are|it'?s|for|totally|completely|absolutely|now|today)\s+free\b(?!\s*(?:shipping|delivery|returns?|"
           r"gift|of\b|to\b|with\b|on\b|over\b))|free of charge|costs? nothing")
A_DOLLAR = _re(r"\ba\s+(?:single\s+)?(?:dollar|buck|pound|euro)\b")
SLASHED = _re(r"骨折价|打骨折|跳水价|地板价|白菜价")  # a discount so deep it needs a figure the brief does not give
SAVING_BEFORE = _re(r"省了?|省下的?|立省|少花了?|便宜了?|实惠了?|优惠了?|直降|降了|\bsaves?\b|saving of|\bkeep\b|"
                    r"\bsaving\b")
SAVING_AFTER = _re(r"^\s*(?:\boff\b|\bless\b|\bcheaper\b|\bsaved\b|you save|\bsaving\b)")
DISCOUNT_CUE = _re(r"\boff\b|折扣|优惠|省|减|便宜|降|\bdiscount|\bsave|\bsale\b")
STOCK_BEFORE = _re(r"库存|仅剩|只剩|还剩|剩下|就剩|剩|限量|限购|备货|备了|一共|总共|这批|最后|现货|"
                   r"\bstock\b|limited to|we have|we've got|there are|there is|there's|set aside|remaining|"
                   r"\bonly\b(?=\s*\d+\s*(?:left|in stock|remaining))")
STOCK_AFTER = _re(r"^\s*(?:units?|pieces?|pcs|items?)?\s*(?:left\b|in stock|remaining|available|ready to ship|to go\b|"
                  r"for today|for this stream)")
PROMO_CUE = _re(r"送|赠|前\s*[\d一二两三四五六七八九十百千]+\s*[单名位个]|买\s*[\d一二两三四五]|第\s*[二三\d]\s*件|"
                r"[两二三]\s*[件条盒瓶支]|满\s*[\d一二三四五六七八九十百千]|立减|满减|加购|凑单|赠品|\bfree\b|\bgift|"
                r"\bbonus\b|\bfirst\s+\d+|with every order|\bsecond\b|\bbuy\s+(?:\d|one|two)|bundle|half price")
SHIPPING_CUE = _re(r"发货|发出|到货|送达|送到|(?:就|能|就能|可以)到(?!手)|寄出|揽收|配送|物流|快递|运费|邮费|包邮|顺丰|次日达|当日达|\bships?\b|shipping|"
                   r"shipped|deliver(?:y|ed|s)?\b|arrives?\b|dispatch|postage|flat rate|courier")
MONEY_SHIPPING_BEFORE = _re(r"(?:运费|邮费|满|\bover\b|\babove\b|orders? over|shipping (?:is|costs?))\s*\$?$")
MONEY_SHIPPING_AFTER = _re(r"^\s*(?:flat rate|运费|邮费|shipping|postage)")  # not 包邮: 99元包邮 is a price
GUARANTEE_CUE = _re(r"退货|退换|换货|无理由|保修|质保|包换|包退|退款|运费险|只换不修|换新|包赔|赔付|假一赔|售后|"
                    r"warrant|guarantee|\breturns?\b|refund|money[- ]back|exchange|replacement|no questions asked")
LINK_BEFORE = _re(r"(?:链接|\blink|\bslot|#)\s*(?:number\s*|no\.?\s*)?$")

# --- claims on their own ---------------------------------------------------------------------------------------
SHIPPING_TAGS = _tagged(
    (r"包邮|免运费|免邮|运费全免|free (?:shipping|delivery)|ships? (?:for )?free|shipping is free|"
     r"\bfree\b(?=\s+(?:over|above|on orders))", "free_shipping"),
    (r"(?:ships?|dispatch(?:ed|es)?|sent out)\s+(?:the\s+)?next (?:business |working )?day|次日发货|第二天发货|隔天发货|隔日发货|明天(?:就|能|就能|可以)?(?:发货|发出|寄出)",
     "ship_next_day"),
    (r"次日达|隔日达|明日达|次日(?:送达|到)|(?:第二天|明天|隔天|隔日)(?:就|能|就能|可以)?(?:到|送到|送达|收到)|next[- ]day|"
     r"overnight|"
     r"tomorrow",
     "deliver_next_day"),
    (r"当天发货|当日发货|(?:今天|马上|立刻|立即)(?:就)?发货|下单(?:就|即)发|ships? (?:the )?same day|ships? today|现货秒发|秒发",
     "ship_same_day"),
    (r"当日达|当天(?:到|送达)|same[- ]day", "deliver_same_day"),
    (r"极速发货|闪电发货|express (?:shipping|delivery)|expedited|fast shipping|speedy delivery", "express"),
    (r"顺丰|sf express", "carrier_sf"),
    (r"京东(?:物流|快递)", "carrier_jd"),
    (r"\b(?:fedex|ups|dhl|usps)\b", "carrier_us"),
)
GUARANTEE_TAGS = _tagged(
    # "returns" as a topic ("a word on returns: 2-year warranty") promises nothing; "30-day returns" does
    (r"无理由|退货|退换|包退|\d+[- ]?days?\s+returns?|(?:free|easy|hassle-free) returns|returns? (?:accepted|within)|"
     r"no questions asked", "returns"),
    (r"换货|退换|包换|只换不修|换新|\bexchanges?\b|replacement", "exchange"),
    (r"保修|质保|warrant(?:y|ies|ied)", "warranty"),
    (r"退款|全额退|money[- ]back|refund", "refund"),
    (r"运费险|return shipping|free returns", "return_shipping"),
    (r"终身|永久|lifetime|forever|for life", "lifetime"),
    (r"包赔|赔付|破损", "damage"),
    (r"假一赔[一二三四五六七八九十]|假一罚[一二三四五六七八九十]", "authentic"),
    (r"保价", "price_protect"),
    (r"\bguarantee[ds]?\b|保证", "guarantee"),
)
PROMO_TAGS = _tagged(
    (r"买[一1]送[一1]|buy one,? get one|\bbogo\b|2 for 1|two for one", "bogo"),
    (r"半价|half[- ]price|half off", "half_price"),
    (r"满减|满\s*[\d一二三四五六七八九十百千]+\s*[元块]?\s*减", "spend_and_save"),
)
GIFT_ZH = re.compile(r"(?:赠品(?:是|为)?|加赠|附赠|赠送|再送|还送|另送|额外送|免费送|送|赠)(?!货|达|到|给|人|礼|出|去|走|的|来)"
                     r"\s*(?:大家|你们|各位)?\s*(?:[\d一二两三四五六七八九十]+\s*[个只份张包盒件条瓶支把套片袋双对])?"
                     r"(?P<item>(?![一二两三四五六七八九十])[\u4e00-\u9fffA-Za-z]{1,10})")
GIFT_EN = _re(r"(?:(?<!-)\bfree\b|\bbonus\b|\bcomplimentary\b)\s+(?!shipping|delivery|returns?|over|above|of|to|for|on|with|"
              r"and|or|today|now|gift with|\d)(?P<item>[a-z][a-z-]*(?:\s+(?!with\b|for\b|on\b|when\b|if\b|in\b|to\b|"
              r"and\b|today\b|now\b)[a-z][a-z-]*){0,3})|\b(?:mystery|surprise|bonus|free) gift\b(?P<gift>)")
# sold out: true exactly when the brief says stock 0
SOLD_OUT = _re(r"售罄|抢光了|卖光了|卖完了|已经?卖完(?!就)|断货|没货了|\bsold out\b|out of stock")
SCARCITY = _re(r"仅剩(?!\s*[\d一二两三四五六七八九十])|只剩(?!\s*[\d一二两三四五六七八九十])|快抢光|库存紧张|"
               r"库存不多|数量有限|限量(?!\s*\d)|最后几[件个份单]|手慢无|卖完就没有|拍完为止|先到先得|"
               r"selling fast|almost gone|running (?:out|low)|limited (?:stock|quantit(?:y|ies))|\bfew left\b|"
               r"while (?:supplies|stocks?) last|once they'?re gone|won'?t last|last chance|going fast")
EFFICACY = _re(r"治疗|治愈|治好|根治|疗效|药效|消炎|祛痘|淡斑|祛斑|美白|祛疤|生发|防脱|减肥|瘦身|燃脂|瘦[\d一二三四五六七八九十]+斤|"
               r"降血压|降血糖|降血脂|降三高|助眠|安神|缓解|排毒|提高免疫力|增强免疫|抗癌|防癌|壮阳|丰胸|药到病除|止痛|消肿|护肝|"
               r"养胃|补肾|延年益寿|临床验证|实验证明|clinically proven|\bproven to\b|[\d百]+%\s*有效|有效率|皮肤病|\bcures?\b|\bcured\b|\btreats? (?:acne|pain|eczema|insomnia|illness|disease|symptoms)|\bheals?\b|"
               r"relieves? pain|pain relief|\bdetox|weight loss|lose weight|burns? fat|fat[- ]burning|slimming|"
               r"boosts? (?:your )?immun|lowers? (?:your )?blood|fades? dark spots|dark spots|\bacne\b|\beczema\b|"
               r"prevents? cancer|100% effective|\bmiracle\b|anti[- ]aging")
ENDORSEMENT = _re(r"专家|医生|医师|大夫|教授|博士|明星|名人|网红|代言|[明星酒店主播博主大厨]同款|五星级酒店|权威|机构|协会|医院|"
                  r"临床|皮肤科|营养师|米其林|大厨|央视|国家队|都在用|\bdoctors?\b|dermatologist|\bexperts?\b|physician|"
                  r"pediatrician|scientists?|nutritionist|celebrit|influencer|\bfamous\b|clinical(?:ly)?|"
                  r"(?:recommended|approved|endorsed|trusted|loved|used|backed) by|\bchefs? (?:recommend|love|use|approve)|"
                  r"as seen on|award[- ]winning|lab[- ]tested|\bapproved\b")
COMPARISON = _re(r"(?<![对无好])比(?!日常|平时|原价|划线|以前|之前|昨天|平常|上次|去年|较|如|方|例|赛)[^，。！？,.!?；;]{1,10}?(?:还|更)?"
                 r"(?:好用|好吃|好喝|好|强|耐用|舒服|结实|轻|快|亮|便宜|划算|持久|软|大|多|香|省)|"
                 r"胜过|吊打|完胜|碾压|秒杀(?=大牌|同行|一切|其他|别家|所有)|甩.{1,4}几条街|不输|媲美|平替|"
                 r"大牌|名牌|不是对手|没法比|\bbetter than\b|outperform|can'?t compete|cannot compete|no match for|"
                 r"puts? (?:\w+ ){1,3}to shame|\bbeats? (?:any|all|every|the)\b|superior to|\brivals?\b|"
                 r"unlike (?:other|cheap|most)|compared (?:to|with) (?!the regular|regular|the list|usual|normal)|"
                 r"\bvs\.?\s|\bversus\b|(?:other|big|name) brands?|\bdupe\b|"
                 r"\b(?:stronger|cheaper|lighter|faster|tougher|quieter|softer|warmer|longer[- ]lasting|more \w+) than "
                 r"(?!usual|normal|before|ever|the regular|regular|list|today|yesterday)")
SUPERLATIVE = _re(r"最(?!近|后|初|少|多(?=\d|[一二三四五六七八九十两])|低温)[\u4e00-\u9fff]|第一(?!次|步|个|件|款|眼|天|时间|口|印象)|"
                  r"\bno\.?\s?1\b|#1\b|number one|顶级|极致|全网|史上|之王|\bbest\b(?! to\b)|\bgreatest\b|"
                  r"\bunbeatable\b|world'?s (?:best|finest|top)|\btop[- ]rated\b")
# A claim that a product is safe for people who need special care; groups let a baby product talk about babies.
POPULATION_GROUPS: dict[str, re.Pattern[str]] = {
    "pregnancy": _re(r"孕妇|孕期|准妈妈|哺乳期|月子|pregnan|nursing|breast-?feeding|expecting mothers"),
    "infant": _re(r"婴儿|婴幼儿|新生儿|宝宝|\bbab(?:y|ies)\b|infants?|newborns?|toddlers?"),
    "child": _re(r"儿童|小孩|孩子|\bkids?\b|children"),
    "elderly": _re(r"老人|老年人|elderly|seniors"),
}
POPULATION_SAFE = _re(r"能用|可用|可以用|放心用|能吃|可以吃|可食用|放心吃|适用|适合|安全|都能|也能|无害|无刺激|"
                      r"safe for|suitable for|\bok for|fine for|gentle enough for|made for|perfect for")
