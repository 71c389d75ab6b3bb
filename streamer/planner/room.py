"""What the room did since the last block, as the planner's input: new viewers, gifts, the last questions.

A host who never notices the room sounds like a recording. The session (or the worker) sums up the room in a
``RoomPulse`` and hands it to ``TemplatePlanner.observe``; the next block then welcomes the newcomers, thanks the
gift senders by name and brings forward the FAQ that answers what viewers just asked. Viewer text is data: a name
is said only when it looks like a name (no digits, links or contact handles), and a question is never read out,
it only selects one of the brief's own FAQ entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_NAME_CHARS = 12
MAX_NAMES = 2  # "谢谢A、B送的礼物": more names than that is a list, not a thank-you
_NAME = re.compile(r"^[^\W\d_][^\W\d]*(?:[ ·.\-][^\W\d]+)*$")
_WORDS = re.compile(r"[a-z]+|[\u4e00-\u9fff]")
_STOP = frozenset("the a an is it this that do does can to of and or for you i in on with 吗 呢 的 了 是 吧 啊 嘛 么 这 个"
                  .split())
MIN_OVERLAP = 0.5  # share of the FAQ question's words that the viewer's question must contain


@dataclass(frozen=True, slots=True)
class RoomPulse:
    """The room since the last block: how many joined, who sent gifts, what viewers asked."""

    joined: int = 0
    gifts: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.joined or self.gifts or self.questions)


def sayable_names(names: tuple[str, ...]) -> list[str]:
    """Viewer names fit to say on air: letters only, short, at most ``MAX_NAMES``, without repeats."""
    out: list[str] = []
    for raw in names:
        name = raw.strip()
        if len(name) <= MAX_NAME_CHARS and _NAME.match(name) and name not in out:
            out.append(name)
    return out[:MAX_NAMES]


def _words(text: str) -> set[str]:
    return {w for w in _WORDS.findall(text.lower()) if w not in _STOP}


def matching_faq(questions: tuple[str, ...], faq_questions: list[str]) -> int | None:
    """Index of the FAQ whose question the viewers' questions cover best, or None when none is close."""
    asked = set().union(*(_words(q) for q in questions)) if questions else set()
    best, best_score = None, MIN_OVERLAP
    for i, q in enumerate(faq_questions):
        words = _words(q)
        score = len(words & asked) / len(words) if words else 0.0
        if score >= best_score:
            best, best_score = i, score
    return best
