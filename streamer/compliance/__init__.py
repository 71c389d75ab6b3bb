"""Compliance lint for every sentence that will be spoken: script lines here, viewer replies later.

    findings = lint("全网最低价，错过再等一年")   # -> [Finding(category=price_fraud, span=(0, 5), ...), ...]
    rewrite("最好用的保温杯")                    # -> "很好用的保温杯" (or None when it cannot be saved)

Both rule tables run on every text: Chinese streams quote English slogans ("NO.1") and English streams quote
Chinese ones, so a language switch would only hide findings. A table is only skipped where it cannot match: the
Chinese rules need a Han character, the English ones a Latin letter or "#" (lint runs on every sentence said).

What the product is changes what may be said about it, so every function takes an optional ``kind``
(a `ProductKind` or its value: ``"medical"``, ``"cosmetic"``, ``"food"``, ``"other"``):

    lint("消炎止痛", kind="medical")      # -> []: a medicine may say what it treats
    lint("宝宝也能用", kind="other")      # -> []: a pram for babies is a statement of use, not a safety claim
    lint("宝宝也能用")                    # -> [Finding(category=special_population, ...)]

Without ``kind`` every rule runs (the strictest reading), which is what a caller that does not know the product gets.
"""

from __future__ import annotations

import re

from .en import EN_RULES
from .rules import Category, Finding, ProductKind, Rule
from .zh import ZH_RULES

__all__ = ["RULES", "Category", "Finding", "ProductKind", "Rule", "is_clean", "lint", "rewrite"]

RULES: tuple[Rule, ...] = ZH_RULES + EN_RULES

_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z#]")

# The rules that apply to each kind, chosen once, each with whether it needs a Han character to match.
_RULES_FOR: dict[ProductKind | None, tuple[tuple[Rule, bool], ...]] = {
    kind: tuple((r, r in ZH_RULES) for r in RULES if kind not in r.skip_for) for kind in (None, *ProductKind)}


def _allowed_spans(rule: Rule, text: str) -> list[tuple[int, int]]:
    return [m.span() for a in rule.allow_regex for m in a.finditer(text)]


def lint(text: str, kind: ProductKind | str | None = None) -> list[Finding]:
    """Every violation in ``text``, in reading order; overlapping hits are reported once (earlier rule wins).

    ``kind`` says what the product is (see the module docstring); an unknown kind is a ValueError.
    """
    has_han, has_latin = _HAN.search(text) is not None, _LATIN.search(text) is not None
    candidates: list[tuple[int, Finding]] = []
    for order, (rule, needs_han) in enumerate(_RULES_FOR[None if kind is None else ProductKind(kind)]):
        if not (has_han if needs_han else has_latin):
            continue
        allowed = _allowed_spans(rule, text) if rule.allow_regex else []
        for m in rule.regex.finditer(text):
            start, end = m.span()
            if start == end or any(a <= start and end <= b for a, b in allowed):
                continue
            candidates.append((order, Finding(rule.category, rule.id, start, end, m.group(0), rule.message,
                                              rule.suggestion, rule.replace(m))))
    kept: list[Finding] = []
    for _, f in sorted(candidates, key=lambda c: c[0]):  # rule order decides which of two overlapping hits stays
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


def is_clean(text: str, kind: ProductKind | str | None = None) -> bool:
    return not lint(text, kind)


def rewrite(text: str, kind: ProductKind | str | None = None) -> str | None:
    """``text`` with every finding replaced by its lawful wording, or None when some finding has no safe rewrite.

    The result is linted again, so a rewrite never returns a sentence that still violates a rule.
    """
    findings = lint(text, kind)
    if not findings:
        return text
    if any(f.replacement is None for f in findings):
        return None
    out = text
    for f in reversed(findings):
        new = f.replacement or ""
        if f.start == 0 and f.text[:1].isupper():
            new = new[:1].upper() + new[1:]  # "The best mug" -> "A great mug"
        out = out[:f.start] + new + out[f.end:]
    out = re.sub(r"[ \t]{2,}", " ", out).strip()
    out = re.sub(r"^[，,、\s]+", "", out)
    if not re.search(r"[\w\u4e00-\u9fff]", out) or lint(out, kind):
        return None
    return out
