"""English rules: the FTC/ASA equivalents of the Chinese table (superlatives, guarantees, cures, fake deals)."""

from __future__ import annotations

from .rules import Category, Rule

EN_RULES: tuple[Rule, ...] = (
    Rule("en.lowest_price", Category.PRICE_FRAUD,
         r"\b(lowest|cheapest)\s+(price|prices|deal|anywhere|ever|online)\b|\b(the\s+)?cheapest\b|\bbelow\s+cost\b|"
         r"\bat\s+cost\b|\bfactory\s+price\b|\bwholesale\s+price\b|\bcheaper\s+than\s+anywhere\b|"
         r"\bprice\s+of\s+the\s+(year|century)\b",
         "an unprovable price comparison or cost claim is deceptive pricing",
         "state today's price and the regular price instead"),
    Rule("en.fake_urgency", Category.PRICE_FRAUD,
         r"\btoday\s+only\b|\bonly\s+today\b|\blast\s+chance\b|\bnever\s+(be\s+)?this\s+(cheap|low)\b|"
         r"\bprices?\s+(go(es)?|will\s+go)\s+up\b|\bnow\s+or\s+never\b|\bonce[-\s]in[-\s]a[-\s]lifetime\b|"
         r"\bwon'?t\s+last\b|\bselling\s+out\s+fast\b",
         "invented deadlines and price rises are false urgency", "mention the real stock and the brief's offers"),
    Rule("en.bestseller", Category.EXTREME, r"\bbest[-\s]?sell(ing|er)s?\b",
         "a sales ranking you cannot prove", "say it is popular, or give a real fact",
         replacement="popular"),
    Rule("en.best", Category.EXTREME, r"\b(the\s+)?best\b",
         "superlatives (best) are unprovable claims", "say what makes it good instead, e.g. great or a fact",
         replacement=lambda m: "a great" if m.group(0).lower().startswith("the") else "great",
         allow=(r"\bbest\s+(to|before|regards|wishes|way\s+to|practice|if)\b",
                r"\b(do|try|tried|doing|did)\s+(my|your|our|its|their)\s+best\b",
                r"\b(it'?s|it\s+is|works)\s+best\b")),
    Rule("en.number_one", Category.EXTREME,
         r"\b(number|no\.?)\s*(one|1)\b|#\s*1\b|\btop\s*1\b|\bworld'?s\s+(first|best|leading|finest)\b|"
         r"\bin\s+the\s+world\b|\bon\s+the\s+planet\b|\bin\s+history\b|\bof\s+all\s+time\b|"
         r"\bever\s+(made|created|invented)\b|\bfirst[-\s]of[-\s]its[-\s]kind\b|\bfirst[-\s]ever\b",
         "rankings and world claims are unprovable superlatives", "drop the ranking and give a concrete fact",
         allow=(r"\b(link|slot|item|step|tip|size|cart|option)\s*(number|no\.?|#)?\s*(one|1)\b",
                r"\bnumber\s+one\s+(link|slot)\b", r"\banywhere\s+in\s+the\s+world\b")),
    Rule("en.unbeatable", Category.EXTREME,
         r"\bunbeatable\b|\bunmatched\b|\bunrivall?ed\b|\bunparalleled\b|\bsecond\s+to\s+none\b|\bultimate\b|"
         r"\bsupreme\b|\bpeerless\b|\bworld[-\s]class\b|\b(industry|market)[-\s]leading\b|\bleading\s+brand\b|"
         r"\bthe\s+only\s+(?!things?\b|downside|catch|question)\w+(\s+\w+)?\s+(that|which|with)\b",
         "absolute comparisons with every competitor are unprovable", "describe the product itself",
         replacement={"unbeatable": "great", "unmatched": "great", "world-class": "high-quality",
                      "world class": "high-quality"}),
    Rule("en.authority", Category.AUTHORITY,
         r"\b(FDA|government|state)[-\s](approved|endorsed|certified|cleared)\b|"
         r"\bendorsed\s+by\s+the\s+(government|president|state)\b|\bpresident'?s\s+choice\b",
         "borrowed official endorsement", "remove it; only state certifications the brief lists"),
    Rule("en.guarantee", Category.FALSE_CLAIM,
         r"\bguarantee(d|s)?\b|\b100\s?%\s+(effective|safe|guaranteed|satisfaction|success|natural|risk[-\s]free)\b|"
         r"\brisk[-\s]free\b|\b(no|zero)\s+side[-\s]effects?\b|\bworks\s+for\s+every(one|body)\b|\bforever\b|"
         r"\bnever\s+(breaks?|fails?|wears?\s+out|leaks?|fades?|rusts?)\b|\bpermanent(ly)?\b|\binstant\s+results?\b|"
         r"\bmiracle\b|\b(clinically|scientifically)\s+proven\b|\bdoctor[-\s]recommended\b|"
         r"\b(completely|totally|absolutely)\s+(safe|harmless)\b",
         "absolute promises and guarantees cannot be kept", "soften it or state the brief's real policy",
         allow=(r"\b(money[-\s]back|refund|price[-\s]match|\d+[-\s](day|month|year))\s+guarantee\b",)),
    Rule("en.medical", Category.MEDICAL,
         r"\bcure[sd]?\b|\bheals?\b|\bhealing\b|"
         r"\btreats?\s+(acne|pain|insomnia|anxiety|depression|disease|diabetes|cancer|arthritis|eczema|"
         r"infections?|colds?|flu|hair\s+loss)\b|"
         r"\b(prevents?|fights?|reverses?)\s+(cancer|disease|diabetes|infections?|viruses?|covid|aging|ageing|"
         r"hair\s+loss|colds?|flu)\b|\banti[-\s]?(cancer|aging|ageing|inflammatory|viral|bacterial)\b|"
         r"\bantibacterial\b|\bkills?\s+(\d+(\.\d+)?\s*%\s+of\s+)?(germs|bacteria|viruses)\b|"
         r"\bboosts?\s+(your\s+)?(immunity|immune\s+system|metabolism)\b|\bdetox\w*\b|\bburns?\s+fat\b|"
         r"\bfat[-\s]burning\b|\blose\s+weight\b|\bweight[-\s]loss\b|\bslimming\b|"
         r"\blowers?\s+(your\s+)?(blood\s+pressure|blood\s+sugar|cholesterol)\b|\bmedical[-\s]grade\b",
         "health and efficacy claims for a product that is not a medicine", "remove the claim"),
    Rule("en.offsite", Category.INDUCEMENT,
         r"\b(dm|message|text|whatsapp|telegram|wechat)\s+(me|us)\b|"
         r"\b(pay|buy|order)\s+(outside|off)[-\s](the\s+)?(app|platform|stream)\b|\boff[-\s]platform\b|"
         r"\bvenmo\s+me\b",
         "steering viewers to trade off the platform breaks platform rules", "tell viewers to order through the link"),
    Rule("en.paid_review", Category.INDUCEMENT,
         r"\b(five|5)[-\s]star\s+reviews?\s+(for|and\s+get|to\s+get|gets?)\b|"
         r"\b(cash\s*back|refund|rebate|gift)\s+for\s+(a\s+)?(good\s+|positive\s+)?reviews?\b|"
         r"\blike\s+and\s+share\s+to\s+win\b",
         "paying for reviews is prohibited", "remove it"),
    Rule("en.pressure", Category.INDUCEMENT,
         r"\byou'?ll\s+regret\b|\bdon'?t\s+be\s+(stupid|a\s+loser)\b|\bonly\s+(an?\s+)?idiots?\b",
         "pressure and shaming are manipulative selling", "use the real stock and offers instead"),
    Rule("en.superstition", Category.SUPERSTITION,
         r"\bbrings?\s+(you\s+)?(good\s+)?luck\b|\blucky\s+charm\b|\bwards?\s+off\s+(evil|bad\s+luck|spirits)\b",
         "superstitious claims", "remove them"),
)
