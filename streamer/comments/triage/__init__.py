"""Triage of viewer comments: normalise, filter, classify, rate-limit, de-duplicate and queue.

See `pipeline.Triage` for the flow; the parts are usable alone (`screen`, `IntentClassifier`, `CommentQueue`).
"""

from .filters import FilterHit, screen
from .intent import BUYING_INTENTS, Intent, IntentClassifier
from .limits import DuplicateWindow, RateLimiter
from .normalize import normalize, skeleton
from .pipeline import Triage, Verdict, classify
from .queue import PRIORITY, CommentQueue, QueueItem, ThankYou, Triaged

__all__ = ["BUYING_INTENTS", "PRIORITY", "CommentQueue", "DuplicateWindow", "FilterHit", "Intent",
           "IntentClassifier", "QueueItem", "RateLimiter", "ThankYou", "Triage", "Triaged", "Verdict", "classify",
           "normalize", "screen", "skeleton"]
