"""Triage: every comment in, a few worth answering out, in the order they should be answered.

    triage = Triage(brief)
    verdict = triage.offer(comment)   # filters, classifies, rate-limits, de-duplicates, queues
    item = triage.next()              # a `Triaged` question or a merged `ThankYou`, or None

Order of checks: non-chat events merge into the thank-you; the per-user rate limit (cheapest, so a flooding
user costs little); the filter blocks links, contact solicitation, ads and abuse (abuse inside a complaint is
still a complaint: the host answers it calmly); injection attempts are dropped; greetings join the thank-you;
then the duplicate window and the bounded queue.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from ...brief import Brief
from ..model import Comment, CommentKind
from .filters import FilterHit, screen, warm_up
from .intent import Intent, IntentClassifier
from .limits import Clock, DuplicateWindow, RateLimiter
from .normalize import skeleton
from .queue import CommentQueue, QueueItem, Triaged

__all__ = ["Triage", "Verdict", "classify"]

Outcome = Literal["queued", "thanks", "dropped", "blocked"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What triage did with one comment; ``reason`` says why it was dropped or blocked. ``evicted``: the queued
    question the bound pushed out to make room for this one (it will not be answered either)."""

    comment: Comment
    intent: Intent
    outcome: Outcome
    reason: str = ""
    evicted: Triaged | None = None


def classify(text: str, classifier: IntentClassifier) -> tuple[Intent, FilterHit | None]:
    """The intent of ``text`` and the filter hit, if any. Filtered text is spam, except abuse in a complaint."""
    hit = screen(text)
    intent = classifier.classify(text)
    if hit is None:
        return intent, None
    if hit.reason == "profanity" and intent is Intent.COMPLAINT:
        return intent, hit
    return Intent.SPAM, hit


class Triage:
    """Filters, classifies and queues one room's comments. Owned by one session's event loop."""

    def __init__(self, brief: Brief | None = None, *, queue: CommentQueue | None = None,
                 duplicates: DuplicateWindow | None = None, limiter: RateLimiter | None = None,
                 clock: Clock = time.monotonic) -> None:
        self.classifier = IntentClassifier(brief)
        self.clock = clock
        # `is None`, not `or`: an empty queue or table is falsy (it has a length) and would be replaced
        self.queue = CommentQueue(clock=clock) if queue is None else queue
        self.duplicates = DuplicateWindow(clock=clock) if duplicates is None else duplicates
        self.limiter = RateLimiter(clock=clock) if limiter is None else limiter
        self.counts: dict[str, int] = {}
        warm_up()

    def _verdict(self, comment: Comment, intent: Intent, outcome: Outcome, reason: str = "",
                 evicted: Triaged | None = None) -> Verdict:
        key = reason or outcome
        self.counts[key] = self.counts.get(key, 0) + 1
        if evicted is not None:
            self.counts["queue_full"] = self.counts.get("queue_full", 0) + 1
        return Verdict(comment, intent, outcome, reason, evicted)

    def offer(self, comment: Comment) -> Verdict:
        if comment.kind is not CommentKind.CHAT:
            self.queue.add_thanks(comment)
            return self._verdict(comment, Intent.GREETING, "thanks")
        if not comment.text:
            return self._verdict(comment, Intent.OTHER, "dropped", "empty")
        if not self.limiter.allow(comment.author):  # first: a flooding user costs one dict lookup per line
            return self._verdict(comment, Intent.OTHER, "dropped", "rate_limited")
        intent, hit = classify(comment.text, self.classifier)
        if intent is Intent.SPAM:
            return self._verdict(comment, intent, "blocked", hit.reason if hit else "spam")
        if intent is Intent.INJECTION:
            return self._verdict(comment, intent, "dropped", "injection")
        if intent is Intent.GREETING:
            self.queue.add_thanks(comment)
            return self._verdict(comment, intent, "thanks")
        if self.duplicates.seen(skeleton(comment.text)):
            return self._verdict(comment, intent, "dropped", "duplicate")
        item = Triaged(comment, intent, self.clock())
        pushed_out = self.queue.push(item)
        if pushed_out is item:
            return self._verdict(comment, intent, "dropped", "queue_full")
        return self._verdict(comment, intent, "queued", evicted=pushed_out)

    def next(self) -> QueueItem | None:
        """The next thing to answer (`Triaged` or `ThankYou`), or None."""
        return self.queue.pop()
