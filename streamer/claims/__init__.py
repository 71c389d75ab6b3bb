"""Claims, not numbers: what a sentence asserts, and whether the brief backs it.

    guard = ClaimGuard(brief)                      # checks the brief once (check_brief)
    guard.problems("今天只要48元", "cup-01")       # -> [Problem(category="price", ...)]: 48 is an hour count
    read_claims("原价399元，今天129元")             # -> [reference_price 399 money, price 129 money]
    check_brief(brief).findings                    # -> BriefFinding(path="products[0].selling_points[1]", ...)

Modules: ``numbers`` finds numbers however written, ``units`` reads their units, ``cues`` holds the words of each
kind, ``reader`` turns a sentence into ``Claim``s, ``grounds`` says what one product's brief backs, ``check`` checks
the brief itself, ``guard`` is the one entry point for anything about to be spoken (lint + grounding).
"""

from __future__ import annotations

from .check import (
           PHRASE_KINDS,
           BriefFinding,
           CheckedBrief,
           CheckedField,
           CheckedProduct,
           check_brief,
           reader_for,
)
from .grounds import Grounds
from .guard import ClaimGuard, Problem
from .kinds import Claim, ClaimKind
from .numbers import NumberMention, numbers_in, parse_zh_number
from .reader import ClaimReader, read_claims

__all__ = ["PHRASE_KINDS", "BriefFinding", "CheckedBrief", "CheckedField", "CheckedProduct", "Claim", "ClaimGuard", "ClaimKind",
           "ClaimReader", "Grounds", "NumberMention", "Problem", "check_brief", "numbers_in", "parse_zh_number",
           "read_claims", "reader_for"]
