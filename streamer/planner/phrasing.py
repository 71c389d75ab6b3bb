"""Composable lines: a sentence is a lead-in, a core that carries the fact, and a tail that elaborates on it.

A pool of 8 leads, 12 cores and 8 tails says one fact in 768 ways, so an all-day show can say every price and
selling point many times without saying one sentence twice within the hour. Each part may be empty ("" in
``leads`` or ``tails``; listed twice it is twice as likely) so that not every sentence is padded. Parts hold template fields such as ``{name}``;
no part holds a number or a claim of its own (tests lint every part and every combination).

``dayparts`` adds leads that fit the clock time (早上好, good evening) when the planner knows it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

from .grammar_en import sentence_case
from .timing import Daypart

_FORMATTER = string.Formatter()
_ZH_ENDS = "。！？"
_EN_ENDS = ".!?"
_AFTER_STOP = re.compile(r"([?!]\s+)([a-z])")


@dataclass(frozen=True)
class Parts:
    """One pool: every sentence is ``lead + core + tail`` (+ the closing mark when the core has none)."""

    cores: tuple[str, ...]
    leads: tuple[str, ...] = ("",)
    tails: tuple[str, ...] = ("",)
    dayparts: Mapping[Daypart, tuple[str, ...]] = field(default_factory=dict)  # the leads for that time of day


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name}


def usable(parts: tuple[str, ...], available: set[str]) -> tuple[str, ...]:
    """The parts whose fields are all available (a tail naming ``{link}`` needs a link)."""
    return tuple(p for p in parts if fields_of(p) <= available)


def join(lead: str, core: str, tail: str, language: str) -> str:
    """One sentence from filled parts, closed with a full stop when neither core nor tail ends it."""
    text = lead + core + tail
    ends = _ZH_ENDS if language == "zh" else _EN_ENDS
    if text and text[-1] not in ends:
        text += "。" if language == "zh" else "."
    if language == "zh":
        return text
    # a lead or core may hold a question ("Ready? tap link 3"): what follows it starts a new sentence
    return sentence_case(_AFTER_STOP.sub(lambda m: m.group(1) + m.group(2).upper(), text))
