"""The reply queue: buying questions first, older comments gaining ground, and a hard bound on its size.

Each waiting comment has an effective priority ``base(intent) + aging_per_s * seconds waited``, so a spec
question overtakes new price questions after a while instead of starving. Questions older than ``max_age_s`` are
dropped when they come up (answering a two-minute-old question confuses everyone else; ``take_expired`` hands
them to whoever reports them). At ``capacity`` one item goes, so memory stays flat however fast the chat runs; the
bound ranks by what a comment asks, not by how long it waited (waiting brings a question nearer to expiring, not
nearer to being worth keeping): an expired one first, else the oldest of those that ask the least, and the
newcomer only when it asks less than everything queued. A flood of older lesser questions never pushes a new
buying question out.

Greetings, gifts, joins, follows and likes never queue one by one: they merge into a single `ThankYou` that the
host says once ("thanks A, B and everyone who just joined").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..model import Comment, CommentKind
from .intent import Intent
from .limits import Clock

__all__ = ["PRIORITY", "CommentQueue", "QueueItem", "ThankYou", "Triaged"]

PRIORITY: dict[Intent, float] = {
    Intent.HOW_TO_BUY: 100, Intent.PRICE: 95, Intent.STOCK: 90, Intent.SHIPPING: 85, Intent.SPEC: 80,
    Intent.COMPLAINT: 70, Intent.AFTER_SALES: 70, Intent.OTHER: 30,
}
THANKS_PRIORITY = 20.0
THANKS_GIFT_PRIORITY = 40.0  # a gift deserves its thanks sooner than a join does
MAX_THANK_NAMES = 5
MAX_GIFT_NAMES = 8


@dataclass(frozen=True, slots=True)
class Triaged:
    """A comment that passed triage, with its intent and when triage accepted it (clock seconds)."""

    comment: Comment
    intent: Intent
    received: float


@dataclass(slots=True)
class ThankYou:
    """Greetings, gifts, joins, follows and likes since the last thank-you, merged. Bounded however many come."""

    first: float
    names: list[str] = field(default_factory=list)
    gifts: dict[str, int] = field(default_factory=dict)
    greetings: int = 0
    joins: int = 0
    follows: int = 0
    likes: int = 0

    @property
    def events(self) -> int:
        return self.greetings + self.joins + self.follows + self.likes + sum(self.gifts.values())

    def add(self, comment: Comment) -> None:
        if comment.kind is CommentKind.LIKE:
            self.likes += comment.count
            return  # a tap is not worth naming anyone for
        if comment.kind is CommentKind.GIFT:
            if comment.gift in self.gifts or len(self.gifts) < MAX_GIFT_NAMES:
                self.gifts[comment.gift] = self.gifts.get(comment.gift, 0) + comment.count
        elif comment.kind is CommentKind.ENTER:
            self.joins += comment.count
        elif comment.kind is CommentKind.FOLLOW:
            self.follows += 1
        else:
            self.greetings += 1
        if comment.user and comment.user not in self.names and len(self.names) < MAX_THANK_NAMES:
            self.names.append(comment.user)


QueueItem = Triaged | ThankYou


class CommentQueue:
    """A bounded priority queue with aging. Not thread-safe: one session's event loop owns it."""

    def __init__(self, capacity: int = 64, aging_per_s: float = 1.0, max_age_s: float = 90.0,
                 clock: Clock = time.monotonic) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.aging_per_s = aging_per_s
        self.max_age_s = max_age_s
        self._clock = clock
        self._items: list[Triaged] = []
        self._thanks: ThankYou | None = None
        self.dropped = 0   # pushed out by the bound
        self.expired = 0   # too old by the time they came up
        self._expired: list[Triaged] = []  # dropped for their age since the last take_expired

    def __len__(self) -> int:
        return len(self._items) + (1 if self._thanks else 0)

    def _score(self, item: Triaged, now: float) -> float:
        return PRIORITY.get(item.intent, 0.0) + self.aging_per_s * (now - item.received)

    def _thanks_score(self, now: float) -> float:
        assert self._thanks is not None
        base = THANKS_GIFT_PRIORITY if self._thanks.gifts else THANKS_PRIORITY
        return base + self.aging_per_s * (now - self._thanks.first)

    def push(self, item: Triaged) -> Triaged | None:
        """Queue ``item``; returns the item the bound pushed out (``item`` itself when it ranks lowest), else None."""
        if len(self._items) < self.capacity:
            self._items.append(item)
            return None
        now = self._clock()
        lowest = min(range(len(self._items)), key=lambda i: self._keep(self._items[i], now))
        self.dropped += 1
        if self._keep(item, now) < self._keep(self._items[lowest], now):
            return item
        evicted = self._items[lowest]
        self._items[lowest] = item
        return evicted

    def _keep(self, item: Triaged, now: float) -> tuple[bool, float, float]:
        """How much the bound wants to keep ``item``: not expired, then its intent, then the fresher."""
        return now - item.received <= self.max_age_s, PRIORITY.get(item.intent, 0.0), item.received

    def add_thanks(self, comment: Comment) -> None:
        """Merge a greeting, gift, join, follow or like into the pending thank-you."""
        if self._thanks is None:
            self._thanks = ThankYou(first=self._clock())
        self._thanks.add(comment)

    def pop(self) -> QueueItem | None:
        """The item to answer now, or None when nothing is waiting."""
        now = self._clock()
        fresh = [i for i in self._items if now - i.received <= self.max_age_s]
        self.expired += len(self._items) - len(fresh)
        self._expired += [i for i in self._items if now - i.received > self.max_age_s]
        self._items = fresh
        best = max(range(len(fresh)), key=lambda i: self._score(fresh[i], now), default=None)
        if self._thanks is not None and (best is None or self._thanks_score(now) > self._score(fresh[best], now)):
            thanks, self._thanks = self._thanks, None
            return thanks
        if best is None:
            return None
        return self._items.pop(best)

    def take_expired(self) -> list[Triaged]:
        """The questions dropped for their age since the last call (at most ``capacity`` per ``pop``)."""
        gone, self._expired = self._expired, []
        return gone

    def clear(self) -> None:
        self._items.clear()
        self._thanks = None
