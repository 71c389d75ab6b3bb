"""English text for the offline voices (piper, espeak-ng): the few ways of writing numbers they read wrong.

Both engines read English through espeak-ng's rules, which handle plain numbers, "50%", "10:30" and "2-pack" well.
What they get wrong, and ``spoken_en`` rewrites (checked on espeak-ng's IPA output):

- money: "$24.99" is read "dollar twenty four point nine nine" -> "24 dollars 99"; "€20" -> "20 euros";
- times on the hour and a few minutes past: "10:00" -> "10 o'clock", "9:05" -> "9 oh 5" ("nine zero five");
- fractions: "1/2" is read "one slash two" -> "one half", "3/4" -> "three quarters"; "24/7" -> "24 7";
- ranges: "3-5 days" is read "three dash five" -> "3 to 5 days";
- units glued to a number: "500ml" ("em el") -> "500 milliliters", "12oz" -> "12 ounces", "-5°C" ->
  "minus 5 degrees Celsius";
- codes: phone and order numbers (7 digits and more) digit by digit; "#1" -> "number 1"; "2x" -> "2 times".

Only the spoken text changes: engines call this inside ``_synthesize``; captions keep the text as written.
"""

from __future__ import annotations

import re

_SMALL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_DENOMINATORS = {2: "half", 3: "third", 4: "quarter", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth",
                 9: "ninth", 10: "tenth"}
_CURRENCIES = {"$": ("dollar", "cent"), "US$": ("dollar", "cent"), "€": ("euro", "cent"), "£": ("pound", "penny"),
               "¥": ("yuan", "fen")}
_UNITS = {"mah": "milliamp hour", "ml": "milliliter", "kg": "kilogram", "mg": "milligram", "mm": "millimeter",
          "cm": "centimeter", "km": "kilometer", "g": "gram", "l": "liter", "oz": "ounce", "lb": "pound",
          "lbs": "pound"}

_MONEY = re.compile(r"(US\$|[$€£¥])\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{2}))?(?![\d.])")
_TIME = re.compile(r"(?<![\d:])(\d{1,2}):(0\d)(?![\d:])(\s*[ap]\.?m\b\.?)?", re.IGNORECASE)
_FRACTION = re.compile(r"(?<![\d/.])(\d)/(\d{1,2})(?![\d/])")
_ALWAYS = re.compile(r"\b24/7\b")
_RANGE = re.compile(r"(?<![\w.,-])(\d{1,3}(?:\.\d+)?)\s?[-–~]\s?(\d{1,3}(?:\.\d+)?)(?![\d.-])")
_DEGREES = re.compile(r"(?<![\w.])(-|−)?(\d+(?:\.\d+)?)\s?°\s?([CF])\b")
_UNIT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(mAh|ml|mL|kg|mg|mm|cm|km|g|L|oz|lbs|lb)\b")
_CODE = re.compile(r"(?<![\d,.])\d{7,}(?![\d,.])")
_NUMBER_SIGN = re.compile(r"#(\d)")
_TIMES = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)x\b")


def _plural(word: str, amount: str) -> str:
    if amount in ("1", "1.0"):
        return word
    return {"penny": "pence", "yuan": "yuan", "fen": "fen", "half": "halves"}.get(word, word + "s")


def _money(m: re.Match[str]) -> str:
    major, minor = _CURRENCIES[m.group(1)]
    whole, cents = m.group(2), m.group(3)
    if cents and int(whole.replace(",", "")) == 0:
        return f"{int(cents)} {_plural(minor, str(int(cents)))}"
    spoken = f"{whole} {_plural(major, whole)}"
    return f"{spoken} {int(cents)}" if cents and int(cents) else spoken


def _time(m: re.Match[str]) -> str:
    hour, minute, meridiem = m.group(1), int(m.group(2)), m.group(3) or ""
    if minute:
        return f"{hour} oh {minute}{meridiem}"
    return f"{hour}{meridiem}" if meridiem else f"{hour} o'clock"


def _fraction(m: re.Match[str]) -> str:
    top, bottom = int(m.group(1)), int(m.group(2))
    if not 0 < top < bottom or bottom not in _DENOMINATORS:
        return m.group(0)  # 5/3, 12/25: a date or a ratio, left to the voice
    name = _DENOMINATORS[bottom]
    return f"{_SMALL[top]} {_plural(name, str(top))}"


def _range(m: re.Match[str]) -> str:
    low, high = m.group(1), m.group(2)
    return f"{low} to {high}" if float(low) < float(high) else m.group(0)


def _degrees(m: re.Match[str]) -> str:
    sign, value, scale = m.group(1), m.group(2), m.group(3)
    return f"{'minus ' if sign else ''}{value} {_plural('degree', value)} {'Celsius' if scale == 'C' else 'Fahrenheit'}"


def spoken_en(text: str) -> str:
    """``text`` with the number forms above rewritten as they are said."""
    if not re.search(r"\d", text):
        return text
    text = _MONEY.sub(_money, text)
    text = _TIME.sub(_time, text)
    text = _ALWAYS.sub("24 7", text)
    text = _FRACTION.sub(_fraction, text)
    text = _DEGREES.sub(_degrees, text)
    text = _RANGE.sub(_range, text)
    text = _UNIT.sub(lambda m: f"{m.group(1)} {_plural(_UNITS[m.group(2).lower()], m.group(1))}", text)
    text = _CODE.sub(lambda m: " ".join(m.group(0)), text)
    text = _NUMBER_SIGN.sub(r"number \1", text)
    return _TIMES.sub(lambda m: f"{m.group(1)} {'time' if m.group(1) == '1' else 'times'}", text)
