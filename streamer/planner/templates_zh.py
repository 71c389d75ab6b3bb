"""Chinese lines, one pool of parts (lead-in, core, tail) per segment kind; see ``phrasing``.

Rules for editing: a whole sentence stays short (about 25 characters after filling, leads 2-5 characters, tails at
most 8); no number except through a field; no superlative, guarantee, efficacy or endorsement word (tests lint every
part and every combination); no first-person usage claims (the host is a digital human and must not pretend to have
used the product); no invented urgency, testimonials or promises. A lead ends with "，", a tail starts with "，".
Fields: {host} {name} {point} {spec_name} {spec_value} {price} {list_price} {saving} {promo} {stock} {link}
{shipping} {after_sales} {q} {a} {viewer}.
"""

from __future__ import annotations

from .phrasing import Parts
from .timing import Daypart

_THEN = ("", "", "另外，", "还有，", "再说一点，", "对了，", "接着说，")
_ASK = ("，有问题评论区问我", "，想了解什么打在公屏上", "，喜欢的点个关注", "，点个关注不迷路", "，慢慢逛不着急",
        "，有想看的告诉我")

ZH: dict[str, Parts] = {
    "welcome": Parts(
        leads=("", "", "哈喽，", "嗨，", "来来来，", "各位，", "家人们，"),
        cores=("欢迎刚进直播间的朋友", "新来的朋友们欢迎", "欢迎大家来到直播间", "欢迎来到{host}的直播间",
               "我是今天的主播{host}", "这里是{host}的直播间", "{host}在这儿等大家呢", "刚进来的朋友们好呀",
               "欢迎各位新朋友", "我是{host}，欢迎大家", "新朋友们好，我是{host}", "{host}陪大家慢慢逛",
               "欢迎回到直播间"),
        tails=("",) + _ASK + ("，今天的好物慢慢给大家讲", "，找个舒服的姿势听我说"),
        dayparts={Daypart.MORNING: ("早上好，", "早安，", "一大早的，"),
                  Daypart.NOON: ("中午好，", "午休时间，"),
                  Daypart.AFTERNOON: ("下午好，", "下午的朋友们，"),
                  Daypart.EVENING: ("晚上好，", "下班辛苦了，", "下班的朋友们，"),
                  Daypart.NIGHT: ("夜深了，", "这么晚还没睡呀，", "深夜的朋友们，")},
    ),
    "clock_morning": Parts(
        cores=("早上好，又是元气满满的早上", "一大早来直播间的朋友，早上好", "早上时间宝贵，挑重点讲", "早起的朋友们，早上好呀",
               "早上好，吃过早饭了吗", "早上好，出门前可以先逛逛", "早上好，边吃早饭边听"),
        tails=("",) + _ASK,
    ),
    "clock_noon": Parts(
        cores=("中午好，午休时间来逛逛", "中午了，吃饭的时候也可以听听", "午饭时间，边吃边听", "中午好，休息一下来看看",
               "中午好，吃过午饭了吗", "午休的朋友们，中午好"),
        tails=("",) + _ASK,
    ),
    "clock_afternoon": Parts(
        cores=("下午好，来杯茶慢慢逛", "下午的朋友们好", "下午好，忙里偷闲来看看", "下午时间，慢慢给大家讲",
               "下午好，歇一会儿来逛逛", "下午好，犯困的话听我聊聊"),
        tails=("",) + _ASK,
    ),
    "clock_evening": Parts(
        cores=("晚上好，下班辛苦了", "晚上好，下班的朋友们来啦", "晚上好，吃完饭来逛逛", "晚上的时间，慢慢挑",
               "晚上好，放松一下来看看", "晚上好，今天过得怎么样"),
        tails=("",) + _ASK,
    ),
    "clock_night": Parts(
        cores=("夜深了，还在看直播的朋友辛苦了", "这么晚还没睡的朋友，晚上好", "深夜还在的朋友，谢谢陪伴",
               "夜里了，大家注意休息", "深夜的朋友们好，小声陪大家聊聊", "这么晚了，慢慢逛不着急"),
        tails=("", "，有问题评论区问我", "，喜欢的点个关注", "，早点休息"),
    ),
    "room_join": Parts(
        leads=("", "哎，", "来，"),
        cores=("欢迎刚进来的朋友们", "又来了新朋友，欢迎", "新进直播间的朋友欢迎", "欢迎新来的朋友", "刚来的朋友们好"),
        tails=("，现在讲的是{name}", "，正在说{name}", "，点个关注不迷路", "，有问题评论区问我", "，先听我讲讲{name}"),
    ),
    "room_gift": Parts(
        cores=("谢谢{viewer}的礼物", "感谢{viewer}的礼物", "谢谢{viewer}的支持", "谢谢刚才刷礼物的朋友",
               "感谢大家的礼物", "谢谢朋友们的支持"),
        tails=("", "，心意收到了", "，太客气了", "，破费了"),
    ),
    "room_questions": Parts(
        cores=("评论区的问题我都看到了", "大家的问题我都看到了", "看到评论区有朋友在问"),
        tails=("，一个个来", "，有问题继续留言", "，没看到的再发一遍"),
    ),
    "hook": Parts(
        leads=("", "", "来，", "好，", "注意了，", "家人们，", "朋友们，", "听好了，"),
        cores=("今天这款{name}，大家一定要听我讲完", "有在找{name}的朋友，先别划走", "家里需要{name}的朋友看过来",
               "重点来了，说说这款{name}", "镜头给到这款{name}", "想入手{name}的朋友认真听", "接下来要讲的是{name}",
               "这款{name}值得花点时间了解", "正在挑{name}的朋友，听我说说", "今天的重点之一就是这款{name}",
               "给大家好好讲讲这款{name}", "说到{name}，这一款一定要看看"),
        tails=("", "", "，不会耽误大家太久", "，几句话就能讲清楚", "，讲完再决定也不迟", "，慢慢给大家讲",
               "，听完心里就有数了"),
    ),
    "scene": Parts(
        leads=("", "", "其实，", "说真的，", "你们想想，", "说实话，"),
        cores=("平时用得上{name}的朋友，选对一款很省心", "买{name}，大家在意的无非是好不好用", "选{name}别只看外观",
               "日常生活里，好用的{name}能省不少事", "自己用或者送人，{name}都挺合适", "挑{name}可以对照我说的几点",
               "想换一款{name}的朋友，今天好好看看", "买之前多了解一点，用起来才放心", "好不好用，看细节就知道",
               "{name}每天都可能用到", "很多朋友挑{name}会纠结"),
        tails=("", "", "，细节才是关键", "，今天给大家讲清楚", "，买就买一款靠谱的", "，我们一点点看"),
    ),
    "intro": Parts(
        leads=("", "", "来，", "好，", "大家看，"),
        cores=("给大家看一下，这就是今天的{name}", "画面里这款就是{name}", "这就是我们的{name}", "先给大家展示一下{name}",
               "近一点看看这款{name}", "这款{name}，先看看整体的样子", "画面上就是这次的{name}", "一起来看这款{name}",
               "今天要介绍的就是{name}", "看这里，这就是{name}", "现在给大家介绍的是{name}", "{name}来了，大家仔细看"),
        tails=("", "", "，大家看仔细", "，镜头拉近一点", "，先看整体", "，细节一会儿讲", "，样子大家先看看"),
    ),
    "point": Parts(
        leads=("", "", "来，", "好，", "另外，", "还有，", "再说一点，", "注意听，", "划重点，", "重点来了，"),
        cores=("{point}", "它的特点是{point}", "这一款{point}", "这款的亮点是{point}", "很多朋友在意的是{point}",
               "说到优点，{point}", "还有一个细节，{point}", "大家注意，{point}", "给大家说说，{point}",
               "值得一提的是{point}", "先说一个亮点，{point}", "它还有一点，{point}"),
        tails=("", "", "，这点很实用", "，日常用起来很省心", "，细节做得很用心", "，大家可以留意一下",
               "，这也是推荐它的原因", "，这个设计很贴心", "，平时很用得上", "，挺方便的", "，这一点要重点说"),
    ),
    "spec": Parts(
        leads=("", "", "参数方面，", "说一下参数，", "看一下规格，", "补充一下，", "有朋友关心，"),
        cores=("{spec_name}是{spec_value}", "{spec_name}{spec_value}", "它的{spec_name}是{spec_value}",
               "{spec_name}这块是{spec_value}", "这款的{spec_name}是{spec_value}", "{spec_name}方面，这款是{spec_value}",
               "{spec_name}：{spec_value}", "具体{spec_name}是{spec_value}", "这一款{spec_name}是{spec_value}",
               "规格上，{spec_name}是{spec_value}"),
        tails=("", "", "，大家可以对照一下", "，下单前可以看一下", "，按需选择就好", "，心里有个数",
               "，这个参数记一下", "，适不适合可以对照"),
    ),
    "price_anchor": Parts(
        leads=("", "", "价格来了，", "说价格，", "大家看价格，", "重点说一下价格，", "价格说清楚，", "好，"),
        cores=("日常价{list_price}，今天直播间{price}", "平时卖{list_price}，今天只要{price}",
               "日常价是{list_price}，今天到手{price}", "划线价{list_price}，直播间价格{price}",
               "日常{list_price}，今天{price}", "日常要{list_price}，今天{price}就能带走", "这款日常卖{list_price}，今天给到{price}",
               "不是{list_price}，今天直播间是{price}", "日常价{list_price}，现在{price}", "它的日常价是{list_price}，今天{price}",
               "今天的价格是{price}，日常价是{list_price}"),
        tails=("", "", "，大家算一算", "，需要的可以看看", "，心动的可以考虑", "，按需下单就好", "，清清楚楚"),
    ),
    "price": Parts(
        leads=("", "", "价格来了，", "说价格，", "大家看价格，", "价格说清楚，", "好，"),
        cores=("今天直播间的价格是{price}", "价格是{price}", "这款今天{price}", "直播间下单，到手{price}",
               "今天{price}就能带回家", "价格很实在，{price}", "这一款的直播间价是{price}", "现在下单是{price}",
               "今天给大家的价格，{price}", "这款的价格是{price}"),
        tails=("", "", "，大家算一算", "，需要的可以看看", "，心动的可以考虑", "，按需下单就好", "，清清楚楚"),
    ),
    "saving": Parts(
        leads=("", "", "这么一算，", "算一算，", "对比一下，", "简单说，"),
        cores=("比日常价省了{saving}", "直接省{saving}", "相比日常价少花{saving}", "比平时买省下{saving}",
               "今天能省{saving}", "比日常价便宜{saving}", "等于便宜了{saving}", "同样的东西少花{saving}",
               "比日常价实惠了{saving}", "省下的{saving}可以再添点别的"),
        tails=("", "", "，还是挺实在的", "，大家心里有数", "，需要的可以看看", "，算得明明白白"),
    ),
    "promo": Parts(
        leads=("", "", "另外，", "还有，", "对了，", "好，", "来，"),
        cores=("今天的活动是{promo}", "直播间的福利：{promo}", "还有一个福利，{promo}", "活动规则很简单，{promo}",
               "现在下单还有福利，{promo}", "{promo}", "福利给大家说清楚，{promo}", "活动说一下，{promo}",
               "今天还有活动，{promo}", "福利是这样的，{promo}"),
        tails=("", "", "，以下单页面为准", "，记得看一下", "，大家留意一下", "，别忘了"),
    ),
    "urgency": Parts(
        leads=("", "", "提醒一下，", "说一下库存，", "库存方面，"),
        cores=("这次库存总共{stock}件", "这一批备了{stock}件", "库存就{stock}件", "数量有限，总共{stock}件",
               "这次库存是{stock}件", "仓库里这一款准备了{stock}件", "现货{stock}件", "库存{stock}件",
               "这批货总共{stock}件", "这一款备货{stock}件"),
        tails=("", "", "，拍完为止", "，先到先得", "，大家按需下单", "，需要的抓紧", "，卖完为止"),
    ),
    "cta": Parts(
        leads=("", "", "想要的朋友，", "喜欢的，", "来，", "心动的，", "需要的朋友，", "好，"),
        cores=("点{link}号链接下单", "直接去{link}号链接", "{link}号链接就是它", "下单找{link}号链接",
               "点开购物车，{link}号链接", "{link}号链接现在就可以拍", "认准{link}号链接", "购物车{link}号链接，点进去就能买",
               "去{link}号链接拍", "{link}号链接已经上架", "去拍{link}号链接", "{link}号链接走起"),
        tails=("", "", "，拍之前看好规格", "，有问题随时问我", "，别拍错了", "，点进去就能看到", "，慢慢挑不着急"),
    ),
    "cta_nolink": Parts(
        leads=("", "", "想要的朋友，", "喜欢的，", "来，", "心动的，", "需要的朋友，"),
        cores=("点下方购物车下单", "直接点购物车", "购物车里就有", "点开购物车就能下单", "去购物车拍",
               "点购物车下单", "点开下方小黄车", "购物车已经上架了", "认准购物车里的这一款", "点下方的小黄车就能买"),
        tails=("", "", "，拍之前看好规格", "，有问题随时问我", "，别拍错了", "，慢慢挑不着急"),
    ),
    "shipping": Parts(
        leads=_THEN,
        cores=("发货方面，{shipping}", "关于发货，{shipping}", "物流说一下，{shipping}", "大家关心的发货，{shipping}",
               "发货时间说清楚，{shipping}", "下单之后{shipping}", "快递这块，{shipping}", "再说一下物流，{shipping}",
               "拍下以后{shipping}", "发货交个底，{shipping}"),
        tails=("", "", "，心里有个数", "，这个大家记一下", "，有疑问可以问客服"),
    ),
    "after_sales": Parts(
        leads=_THEN,
        cores=("售后方面，{after_sales}", "售后说清楚，{after_sales}", "买了不合适也不用担心，{after_sales}",
               "关于售后，{after_sales}", "售后保障，{after_sales}", "收到不满意的话，{after_sales}", "售后政策是{after_sales}",
               "再说一下售后，{after_sales}", "大家担心的售后，{after_sales}", "售后这块，{after_sales}"),
        tails=("", "", "，心里有个数", "，这个大家记一下", "，有疑问可以问客服"),
    ),
    "faq_q": Parts(
        leads=("", "", "对了，", "另外，", "好，", "再说一个，", "来，", "接下来，", "顺便说一下，"),
        cores=("有朋友问，{q}？", "经常有朋友问，{q}？", "常有人问，{q}？", "很多朋友关心，{q}？", "大家常问的问题，{q}？",
               "说一个常见问题，{q}？", "有没有朋友想问，{q}？", "来回答一个问题，{q}？", "先解答一个常见问题，{q}？",
               "关于这款，常被问到：{q}？", "不少朋友会问，{q}？", "之前有朋友问过，{q}？", "大家可能想知道，{q}？"),
    ),
    "faq_q_room": Parts(
        leads=("", "对了，", "好，"),
        cores=("刚才有朋友问，{q}？", "评论区有朋友问，{q}？", "看到有朋友在问，{q}？", "刚刚有人问，{q}？",
               "回答一下评论区的问题，{q}？"),
    ),
    "faq_a": Parts(
        leads=("", "", "好，", "嗯，", "来，", "这个问题，", "告诉大家，"),
        cores=("{a}", "答案是：{a}", "我来回答：{a}", "给大家说明一下，{a}", "这个问题的答案是，{a}", "说明一下：{a}",
               "放心，{a}", "是这样，{a}", "说清楚一点，{a}"),
        tails=("", "", "，还有问题可以接着问", "，说清楚了", "，希望对大家有帮助"),
    ),
    "transition": Parts(
        leads=("", "", "好，", "好了，", "那么，"),
        cores=("接下来看下一款，{name}", "说完这款，我们来看{name}", "下面换一款，{name}", "接着来看{name}",
               "我们来聊聊{name}", "换一个产品，{name}来了", "下一款是{name}", "继续往下，给大家上{name}",
               "接下来轮到{name}", "看完上一款，再来看看{name}"),
        tails=("", "", "，一起来看看", "，同样值得看看", "，慢慢给大家讲"),
    ),
    "recap": Parts(
        leads=("", "", "好，", "来，", "朋友们，", "家人们，"),
        cores=("再回到今天的主推，{name}", "刚进来的朋友，主推的{name}再讲一遍", "我们再看一眼这款{name}",
               "还没下单{name}的朋友，再说一遍", "{name}再给大家过一遍重点", "回到这款{name}", "新来的朋友没听到，{name}再说一下",
               "重点款{name}，再给大家讲讲", "再说回{name}", "返场一下，{name}"),
        tails=("", "", "，没听到的朋友听一下", "，简单再过一遍"),
    ),
    "sold_out": Parts(
        leads=("", "", "说明一下，", "跟大家说一声，", "不好意思，", "提醒一下，", "各位，", "先说一句，"),
        cores=("这款{name}目前已经卖完了", "{name}暂时没有库存了", "{name}这一批已经卖完了", "{name}现在没货了",
               "{name}目前缺货", "{name}这一款已经卖空了", "{name}现在拍不了，已经卖完了", "{name}今天已经卖完了",
               "{name}暂时断货了", "{name}目前没有现货", "现在{name}没有库存", "{name}已经被拍完了"),
        tails=("", "", "，先给大家介绍一下", "，可以先点个关注", "，有货会在直播间说", "，感兴趣的可以先了解",
               "，今天先不用拍", "，不好意思了", "，谢谢大家理解"),
    ),
}
