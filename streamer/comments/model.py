"""The one event every comment source produces: a `Comment` (chat line, gift, like, join or follow).

Comments are untrusted text from strangers. The model bounds what it keeps (text and names are truncated, control
and bidi characters removed) so nothing downstream has to re-check sizes, and nothing a viewer types can reach a
log line or a prompt with a terminal escape or an invisible override in it.
"""

from __future__ import annotations

import re
import time as _time
from dataclasses import dataclass, field
from enum import StrEnum

from ..errors import StreamerError

__all__ = ["MAX_NAME_CHARS", "MAX_TEXT_CHARS", "Comment", "CommentError", "CommentKind", "clean_text"]

MAX_TEXT_CHARS = 300   # longer than any platform allows for one chat line (Douyin 50, Twitch 500 bytes)
MAX_NAME_CHARS = 64

# C0/C1 controls, zero-width and bidi overrides: invisible to a reader, useful only to someone hiding text.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_SPACE = re.compile(r"\s+")


class CommentError(StreamerError):
    """A payload that is not a comment (bad JSON, wrong shape, unknown kind)."""


class CommentKind(StrEnum):
    CHAT = "chat"
    GIFT = "gift"
    LIKE = "like"
    ENTER = "enter"
    FOLLOW = "follow"


def clean_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` without invisible characters, with runs of whitespace collapsed, cut to ``limit`` characters.

    A longer text keeps its start and its last third, joined by an ellipsis: a viewer who rambles asks the question
    at the end."""
    text = _SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()
    if len(text) <= limit:
        return text
    tail = limit // 3
    return text[:limit - tail - 1] + "…" + text[-tail:]


@dataclass(frozen=True, slots=True)
class Comment:
    """One thing a viewer did in the room.

    ``time`` is when the platform says it happened (Unix seconds; arrival time when the platform gives none).
    ``gift`` and ``count`` describe gifts (name, how many) and likes (how many taps).
    """

    text: str
    user: str = ""
    platform: str = "api"
    kind: CommentKind = CommentKind.CHAT
    time: float = field(default_factory=_time.time)
    user_id: str = ""
    id: str = ""
    gift: str = ""
    count: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", clean_text(self.text))
        object.__setattr__(self, "user", clean_text(self.user, MAX_NAME_CHARS))
        object.__setattr__(self, "user_id", clean_text(self.user_id, MAX_NAME_CHARS))
        object.__setattr__(self, "gift", clean_text(self.gift, MAX_NAME_CHARS))
        object.__setattr__(self, "kind", CommentKind(self.kind))
        object.__setattr__(self, "count", max(1, min(int(self.count), 1_000_000)))

    @property
    def author(self) -> str:
        """Who to count for rate limits: the platform's user id when there is one, else the display name."""
        return f"{self.platform}:{self.user_id or self.user}"
