"""English rules: the FTC/ASA equivalents of the Chinese table (superlatives, guarantees, endorsers, safety claims for
pregnancy and babies, cures, comparisons with rivals, fake deals)."""

from __future__ import annotations

from .rules import Category, ProductKind, Rule

_ENDORSER = (r"(dermatologists?|doctors?|physicians?|dentists?|p(a)?ediatricians?|experts?|nutritionists?|dietitians?|"
             r"scientists?|pharmacists?|surgeons?|vets|veterinarians?|celebrit(y|ies)|hospitals?)")
_VULNERABLE = (r"(pregnancy|pregnant(\s+(women|mothers|moms|mums))?|expecting\s+mothers|breastfeeding|"
               r"nursing(\s+mothers)?|bab(y|ies)|infants?|newborns?|toddlers?|kids|children|little\s+ones)")
_RIVAL = (r"((any|every|all|the)\s+)?other(\s+\w+)?|((any|every|all)\s+)?(competitors?|rivals?)|"
          r"the\s+(competition|rest|others)|"
          r"(the\s+)?(big|name|major|famous|premium|leading)\s+brands?")

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
         allow=(r"\bbest\s+(to|before|regards|wishes|way\s+to|practice|if)\b", r"\bthe\s+best[-\s]before\b",
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
    Rule("en.endorsement", Category.ENDORSEMENT,
         r"\b" + _ENDORSER + r"[-\s](approved|recommended|endorsed|certified|tested|trusted|developed|formulated|backed|"
         r"favou?rites?|loved|preferred|choice|pick)\b|"
         r"\b(recommended|approved|endorsed|trusted|used|loved|preferred|certified|backed|worn|chosen)\s+by\s+"
         r"(\d+\s*%\s+of\s+)?([\w-]+,?\s+){0,4}?" + _ENDORSER + r"\b|"
         r"\b" + _ENDORSER + r"\s+(recommend|approve\s+of|trust|swear\s+by|love|prefer|choose|use)\s+"
         r"(it|this|these|them|our|us)\b",
         "an endorsement by doctors, experts or celebrities that nobody can check (FTC endorsement guides)",
         "remove the endorser; describe the product's ingredients, materials and the brief's facts"),
    Rule("en.special_population", Category.SPECIAL_POPULATION,
         r"\bsafe(\s+to\s+(use|take|eat|drink|apply))?\s+(for|during|in|while|on)\s+" + _VULNERABLE + r"\b|"
         r"\b(pregnancy|baby|infant|newborn|kid|child)[-\s]safe\b|"
         r"\b(even|gentle\s+enough\s+for)\s+" + _VULNERABLE + r"(\s+(can|to)\s+(use|eat|drink|take|apply))?\b|"
         r"\bharmless\s+(to|for)\s+" + _VULNERABLE + r"\b",
         "safety for pregnancy, babies or children is a claim that needs testing and registration behind it",
         "say who the product is for as the label states; tell viewers to ask a doctor in pregnancy or for infants",
         allow=(r"\b(not|never|isn'?t|aren'?t)\s+(\w+\s+)?safe\b[\w\s-]*",  # a warning: not safe for children
                r"\b(is|are)\s+(it|this|they|these)\s+safe\b[^.!?]*\?",  # a viewer's question read aloud
                r"\bchild[-\s]safe\s+(lock|cap|closure|latch)"),
         skip_for=frozenset({ProductKind.OTHER})),
    Rule("en.comparison", Category.COMPARISON,
         r"\b(outperform(s|ed)?|outclass(es)?|outshines?|beats?|crush(es)?|trumps?)\s+(" + _RIVAL + r")\b|"
         r"\b(outperform(s|ed)?|beats?|better\s+than)\s+(any|every)\s+\w+(\s+\w+)?\s+(from|by|of)\s+(the\s+)?"
         r"(big|name|major|famous|premium|leading|other)(-name)?\s+brands?\b|"
         r"\b(better|stronger|cheaper|tougher|faster|softer)\s+than\s+(" + _RIVAL + r"|"
         r"(?!(ever|before|new|expected|last|our|I|nothing|anything|average)\b)(?-i:[A-Z])[\w'-]+)|"
         r"\bunlike\s+((those|the|other|cheap|cheaper)\s+)*(knock[-\s]?offs?|imitations?|copies|fakes|copycats?|"
         r"brands?|competitors?|the\s+competition)\b|"
         r"\bblows?\s+(away\s+)?(the\s+competition|competitors|other\s+brands)(\s+away)?\b|"
         r"\bleaves?\s+(the\s+competition|competitors|other\s+brands|the\s+rest)\s+(in\s+the\s+dust|behind)\b|"
         r"\b(other|rival|competing|cheaper)\s+(brands?|products?)\s+(are|is)\s+(a\s+waste|junk|garbage|trash|"
         r"rubbish|a\s+scam|a\s+rip[-\s]?off|overpriced)\b",
         "comparing with or running down other brands is unfair comparative advertising",
         "describe this product; compare only with its own earlier model, e.g. 20% lighter than the last version"),
    Rule("en.guarantee", Category.FALSE_CLAIM,
         r"\bguarantee(d|s)?\b|\b100\s?%\s+(effective|safe|guaranteed|satisfaction|success|natural|risk[-\s]free)\b|"
         r"\brisk[-\s]free\b|\b(no|zero)\s+side[-\s]effects?\b|\bworks\s+for\s+every(one|body)\b|\bforever\b|"
         r"\bnever\s+(breaks?|fails?|wears?\s+out|leaks?|fades?|rusts?)\b|\bpermanent(ly)?\b|\binstant\s+results?\b|"
         r"\bmiracle\b|\b(clinically|scientifically)\s+proven\b|\blifetime\s+(results?|effects?|cure)\b|"
         r"\bworks\s+(every\s+(single\s+)?time(?!\s+(you|it|they|the|when|that))|100\s?%\s+of\s+the\s+time)\b|"
         r"\b(completely|totally|absolutely)\s+(safe|harmless)\b",
         "absolute promises and guarantees cannot be kept", "soften it or state the brief's real policy",
         allow=(r"\b(money[-\s]back|refund|price[-\s]match|\d+[-\s](day|month|year))\s+guarantee\b",)),
    Rule("en.medical", Category.MEDICAL,
         r"\bcure[sd]?\b|\bheals?\b|\bhealing\b|"
         r"\b(relieves?|reduces?|soothes?)\s+((joint|back|muscle|minor|period|nerve)\s+)?(pain|aches?|inflammation|"
         r"swelling|anxiety|insomnia|arthritis|itching|symptoms)\b|"
         r"\b(clears?|zaps?)\s+(up\s+)?(acne|pimples|breakouts|eczema)\b|\bfades?\s+(dark|age|sun|brown)\s+spots\b|"
         r"\b(acne|pimple)[-\s](fighting|clearing)\b|"
         r"\b(flush(es)?|eliminates?|removes?|cleanses?)\s+(out\s+)?(your\s+)?(body'?s\s+)?toxins\b|"
         r"\btreats?\s+(acne|pain|insomnia|anxiety|depression|disease|diabetes|cancer|arthritis|eczema|"
         r"infections?|colds?|flu|hair\s+loss)\b|"
         r"\b(prevents?|fights?|reverses?)\s+(cancer|disease|diabetes|infections?|viruses?|covid|aging|ageing|"
         r"hair\s+loss|colds?|flu)\b|\banti[-\s]?(cancer|aging|ageing|inflammatory|viral|bacterial|acne)\b|"
         r"\bantibacterial\b|\bkills?\s+(\d+(\.\d+)?\s*%\s+of\s+)?(germs|bacteria|viruses)\b|"
         r"\b(boosts?|strengthens?|enhances?|improves?)\s+(your\s+)?(immunity|immune\s+system|metabolism)\b|"
         r"\bdetox\w*\b|\bburns?\s+fat\b|"
         r"\bfat[-\s]burning\b|\blose\s+weight\b|\bweight[-\s]loss\b|\bslimming\b|"
         r"\blowers?\s+(your\s+)?(blood\s+pressure|blood\s+sugar|cholesterol)\b|\bmedical[-\s]grade\b",
         "health and efficacy claims for a product that is not a medicine", "remove the claim",
         allow=(r"\bself[-\s]healing\b",),
         skip_for=frozenset({ProductKind.MEDICAL})),
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
