"""English grammar for product names the planner has never seen: a/an, singular or plural, is/are, capitals.

Templates are written once and filled with any merchant's name, so "Shopping for {a_name}?" must come out as
"a USB-C hub", "an umbrella", "an 8-piece set", "a pair of socks" or plain "sneakers", and "{this_name} {is}" as
"this mug is" or "these earbuds are". The rules follow how a name is *said* (an LED lamp, a USB cable, an hour),
not how it is spelled; names the rules get wrong read a little off, never wrong in fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Letters whose spoken name starts with a vowel sound: "an F-clip", "an LED", "an SUV"; but "a USB", "a UV lamp".
_VOWEL_LETTERS = frozenset("AEFHILMNORSX")
# Words spelled with a vowel but said with a consonant ("a unit", "a one-piece", "a euro"), and the reverse.
_A_BEFORE = ("uni", "use", "usu", "uti", "ure", "uro", "uku", "ura", "ubiq", "eu", "ewe", "one", "once")
_AN_BEFORE = ("hour", "honest", "honor", "honour", "heir")
# Head nouns ending in -s that are singular, and plural-only nouns that do not end in -s.
_SINGULAR_S = frozenset("""lens series news gas bus canvas atlas chassis species bias plus iris yes
bonus campus cactus circus citrus hummus octopus walrus virus status apparatus corpus""".split())
_PLURAL_ONLY = frozenset("people children teeth feet mice geese women men cattle".split())
# "a pair of socks", "a set of bowls": the measure word is the head, and it is singular.
_MEASURES = frozenset("""pair set pack box kit bundle bag case bottle jar roll piece tin can cup tube sheet
packet carton crate collection trio duo""".split())
# Model and size words after the head noun: "AirPods Pro", "Sneakers XL", "Kettle 2".
_MODEL_WORD = re.compile(r"^(pro|max|plus|mini|ultra|lite|air|se|xl|xxl|xs|s|m|l|[ivx]+|\d[\w.]*|gen\d*)$", re.I)
_WORD = re.compile(r"[A-Za-z0-9][\w'.-]*")
_BRACKETS = re.compile(r"\s*[(\[].*?[)\]]")
_ARTICLES = re.compile(r"^(a|an|the)\s+", re.I)


def _spoken_start_is_vowel(word: str) -> bool:
    """Whether ``word`` starts with a vowel sound when said aloud."""
    token = re.split(r"[-/]", word, maxsplit=1)[0]
    if not token:
        return False
    if token[0].isdigit():
        digits = re.match(r"\d+", token)
        number = digits.group() if digits else token
        # eight, eighty, eight hundred; eleven, eighteen (and eleven/eighteen hundred)
        return number.startswith("8") or number in ("11", "18") or (len(number) == 4 and number[:2] in ("11", "18"))
    letters = token.rstrip(".'")
    if (len(letters) == 1 and letters.isalpha()) or _is_initialism(letters):
        return letters[0].upper() in _VOWEL_LETTERS
    low = token.lower()
    if low.startswith(_AN_BEFORE):
        return True
    if low.startswith(_A_BEFORE):
        return False
    return low[0] in "aeiou"


def _is_initialism(token: str) -> bool:
    """"USB", "LED", "HDMI" are spelled out; "LEGO", "IKEA", "NASA" (consonant-vowel words) are said as words."""
    core = re.sub(r"[^A-Za-z]", "", token)
    if len(core) < 2 or not core.isupper():
        return False
    pattern = [c in "AEIOU" for c in core]
    said_as_word = len(core) >= 4 and all(a != b for a, b in zip(pattern, pattern[1:], strict=False))
    return not said_as_word


def article(phrase: str) -> str:
    """"a" or "an" for the phrase's first word: an umbrella, a USB-C hub, an 8-piece set, a one-pot pan."""
    words = _WORD.findall(phrase)
    if not words:
        return "a"
    return "an" if _spoken_start_is_vowel(words[0]) else "a"


def _head(name: str) -> str:
    """The word that decides number: the measure word of "pair of socks", else the last real word."""
    words = _WORD.findall(_BRACKETS.sub("", name))
    for i, w in enumerate(words[:-1]):
        if words[i + 1].lower() == "of" and w.lower() in _MEASURES:
            return w
    while len(words) > 1 and _MODEL_WORD.match(words[-1]):
        words.pop()
    return words[-1] if words else ""


def is_plural(name: str) -> bool:
    """Whether a product name is grammatically plural: "Sneakers", "AirPods-style earbuds", not "Pair of Socks"."""
    head = _head(name)
    low = head.lower().split("-")[-1]
    if low in _PLURAL_ONLY:
        return True
    if not low.endswith("s") or low in _SINGULAR_S or head.isupper() or "'" in low:
        return False
    return not low.endswith(("ss", "us", "is", "ics"))


def _bare(name: str) -> str:
    return _ARTICLES.sub("", name.strip())


def lower_start(text: str) -> str:
    """Lowercase the first letter of ``text`` when it is an ordinary capitalised word ("Ceramic", not "USB", "iPad")."""
    if text[:1].isupper() and not text[1:2].isupper() and not text.startswith("I "):
        return text[:1].lower() + text[1:]
    return text


def sentence_case(text: str) -> str:
    """A capital at the start of the sentence, unless its first word is styled (iPhone, eBay) or a number."""
    i = len(text) - len(text.lstrip(" \"'“‘("))
    word = re.match(r"[A-Za-z][\w-]*", text[i:])
    if word is None or any(c.isupper() for c in word.group()[1:]):
        return text
    return text[:i] + text[i].upper() + text[i + 1:]


_PLURAL_VERBS = {"has": "have", "is": "are", "does": "do", "was": "were"}


def plural_verb_phrase(phrase: str) -> str:
    """"keeps drinks cold" said of several things: "keep drinks cold" (the first word only)."""
    first, _, rest = phrase.partition(" ")
    low = first.lower()
    if low in _PLURAL_VERBS:
        verb = _PLURAL_VERBS[low]
    elif low.endswith("ies") and len(low) > 4:
        verb = first[:-3] + "y"
    elif low.endswith(("sses", "shes", "ches", "xes", "zes", "oes")):
        verb = first[:-2]
    elif low.endswith("s") and not low.endswith("ss"):
        verb = first[:-1]
    else:
        return phrase
    return f"{verb} {rest}" if rest else verb


@dataclass(frozen=True, slots=True)
class NounForms:
    """Every way a template says one product: ``the_name``, ``a_name``, ``this_name``, ``it``, ``is``..."""

    name: str
    plural: bool

    @classmethod
    def of(cls, name: str) -> NounForms:
        bare = _bare(name)
        return cls(bare, is_plural(bare))

    def fields(self) -> dict[str, str]:
        """Template fields; the pronoun and verbs agree with the name's number."""
        n = self.name
        return {
            "name": n,
            "the_name": f"the {n}",
            "a_name": n if self.plural else f"{article(n)} {n}",
            "this_name": f"{'these' if self.plural else 'this'} {n}",
            "it": "they" if self.plural else "it",
            "them": "them" if self.plural else "it",
            "its": "their" if self.plural else "its",
            "is": "are" if self.plural else "is",
            "has": "have" if self.plural else "has",
        }

    def verb_phrase(self, phrase: str) -> str:
        """A selling point such as "keeps drinks cold", made to agree with the product's pronoun."""
        return plural_verb_phrase(phrase) if self.plural else phrase


def be(noun: str) -> str:
    """"is" or "are" for a noun such as a spec name ("capacity is", "dimensions are")."""
    return "are" if is_plural(noun) else "is"
