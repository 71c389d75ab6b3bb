"""Chinese rules: 广告法 extreme words, borrowed authority, absolutes, efficacy claims, price fraud, inducement.

Order matters: when two rules hit overlapping text, the earlier rule's finding is kept (so 全网最低价 is reported as
price fraud rather than as a plain 最).
"""

from __future__ import annotations

import re

from .rules import Category, Rule

_CLAUSE = r"[^，。！？；,.!?;\n]"  # one character inside the same clause
_NUM = r"[0-9一二两三四五六七八九十百千万]"


def _very(m: re.Match[str]) -> str:
    # 最好看 -> 很好看: the superlative becomes a plain intensifier, which the law allows.
    return "很" + m.group(0)[1:]


ZH_RULES: tuple[Rule, ...] = (
    Rule("zh.lowest_price", Category.PRICE_FRAUD,
         r"(全网|史上|全年|历史|今年|全国|同款|同类)?最低价|(全网|史上|全国|历史)最低|(全网|史上)?最便宜|地板价",
         "“最低价/最便宜”是无法证明的价格比较，属于价格欺诈用语",
         "说出具体的直播间价格和日常价即可，如“日常价159元，今天99元”"),
    Rule("zh.fake_price", Category.PRICE_FRAUD,
         r"跳楼价|跳楼甩卖|亏本(甩卖|清仓|价|卖)?|赔本|血亏|成本价|出厂价|工厂价|骨折价|白菜价",
         "无依据的“亏本/成本价/出厂价”属于虚构价格信息", "只说简报里的价格与优惠"),
    Rule("zh.fake_urgency", Category.PRICE_FRAUD,
         r"仅限今天|只限今天|仅此一天|最后一天|最后一次机会|错过今天|再等一年|马上涨价|明天(就)?涨价|即将涨价|"
         r"下播(就)?涨价|再也没有这个价|以后都没有这个价",
         "虚构的限时和涨价信息属于价格欺诈", "只说真实的库存和简报里的活动"),
    Rule("zh.superlative", Category.EXTREME, r"最(?=[\u4e00-\u9fffA-Za-z]).",
         "“最”字开头的极限用语违反《广告法》第九条", "去掉“最”，改成“很/非常”或说出具体事实",
         replacement=_very,
         allow=(r"最(近|后|初|终|早|晚|迟|怕|重要的是|关键的是|主要的是)",
                r"最好(?=用(温水|冷水|清水|中性)|是|别|不要|不|提前|先|选|放|在|还是|趁|早|搭配|配合|每|手洗)",
                r"最(多|少|长|短|大|高|低)(?=\s*" + _NUM + r"|\s*(可以|能|可|只|不超过|支持))")),
    Rule("zh.first", Category.EXTREME,
         r"第一|NO\.?\s?1(?![0-9])|TOP\s?1(?![0-9])|首个|首家|首款|首创|首发|首选|全国首|世界首|销冠|(销量|销售)?冠军",
         "“第一/首个/冠军”等排名用语违反《广告法》第九条", "改说具体的事实，如材质、容量、时长",
         allow=(r"第一(次|步|天|时间|眼|口|感觉|件|单|批|位|个|款|点|条|遍|周|季|层|波|印象|部分|段|句|轮)",)),
    Rule("zh.top", Category.EXTREME,
         r"顶级|顶尖|极致|极品|极佳|至尊|至臻|巅峰|王牌|之王|无敌|无与伦比|独一无二|史无前例|绝无仅有|前无古人|"
         r"万能|唯一|独家|超一流|一流|遥遥领先|领先|领导品牌|领袖品牌|世界级|宇宙级|国际级|殿堂级|史上",
         "极限用语违反《广告法》第九条", "改用“高品质/很出色”等不含比较的说法，或说出具体事实",
         replacement={"顶级": "高品质", "极致": "出色", "极佳": "很好", "极品": "精品", "一流": "优秀",
                      "超一流": "优秀", "至臻": "精致"},
         allow=(r"唯一(的)?(缺点|不足|要注意|需要注意|要提醒)",
                r"(领先|顶尖|一流)" + _CLAUSE + r"*之一")),
    Rule("zh.authority", Category.AUTHORITY,
         r"国家级|国家免检|国家领导人|领导人|特供|专供|央视(推荐|认证|上榜)?|中央电视台|驰名商标|国家机关|"
         r"部委推荐|权威(认证|推荐|机构)|官方推荐|国家推荐|指定用品",
         "借用国家机关、领导人或权威名义做宣传，违反《广告法》第九条、第十四条",
         "删除这类表述，只说产品本身的事实"),
    Rule("zh.percent_sure", Category.FALSE_CLAIM,
         r"(100\s?%|百分之百|百分百)(?=\s?(有效|满意|好评|安全|无害|不|没|保证|成功|见效|天然|纯天然))",
         "“100%有效/满意”是无法保证的绝对化承诺", "去掉百分比承诺，说具体的使用感受或售后政策"),
    Rule("zh.absolute", Category.FALSE_CLAIM,
         r"绝对|永久|永不|永远不|零风险|无副作用|零副作用|万无一失|包过|保证有效|一次见效|立竿见影|一劳永逸|"
         r"彻底(解决|根除)|纯天然无添加|零添加|无毒无害",
         "绝对化承诺无法保证，违反《广告法》", "去掉绝对化的词，用“不易/很少”等说法，或说具体事实",
         replacement={"绝对": "", "永不": "不易"},
         allow=(r"(永久|终身)(保修|维修|质保)",)),
    Rule("zh.medical", Category.MEDICAL,
         r"治疗|治愈|根治|疗效|疗程|药效|抗癌|防癌|抗肿瘤|消炎|抗炎|降血压|降血糖|降血脂|降三高|减肥|瘦身|燃脂|排毒|"
         r"祛斑|祛痘|美白|生发|防脱|增强免疫力|提高免疫力|提升免疫力|抗衰老|延缓衰老|延年益寿|壮阳|补肾|丰胸|助眠|"
         r"杀菌|除菌|抗菌|抑菌|抗病毒|医用级|医疗级|药到病除|包治百病|百病",
         "非药品宣传疗效或医疗、保健功效，违反《广告法》第十七条", "删除功效用语，只说材质和使用感受"),
    Rule("zh.offsite", Category.INDUCEMENT,
         r"加(个|我)?(微信|威信|薇信|V信|[vV][xX]?)(?![a-zA-Z])|私(聊|信)(我)?(下单|购买|拍|领取)|"
         r"线下(交易|转账|付款)",
         "引导站外私下交易违反平台规则", "请观众在直播间链接下单"),
    Rule("zh.paid_review", Category.INDUCEMENT,
         r"好评返现|晒图返现|五星好评(返|送)|给好评(送|返)|刷单|返现",
         "以利益诱导好评或刷单违反平台规则和《反不正当竞争法》", "删除，不要用利益换评价"),
    Rule("zh.pressure", Category.INDUCEMENT,
         r"不买(就)?(后悔|亏)|错过(就)?(后悔|没了)|谁买谁赚",
         "恐吓、施压式诱导购买违反平台规则", "用真实的库存和活动信息代替"),
    Rule("zh.superstition", Category.SUPERSTITION,
         r"招财|转运|辟邪|驱邪|开光|旺夫|旺财|保平安",
         "宣扬迷信违反《广告法》第九条", "删除迷信说法"),
)
