"""Viewer comments: one `Comment` model, the sources that produce it, and the triage that orders them.

    from streamer.comments import Triage, TwitchChat
    triage = Triage(brief)
    async for comment in TwitchChat("#shop").stream():
        triage.offer(comment)
"""

from .model import Comment, CommentError, CommentKind
from .sources import (
    BridgeSource,
    CommentInbox,
    CommentPayload,
    CommentSource,
    TwitchChat,
    YouTubeLiveChat,
    parse_bridge_message,
    parse_payload,
    parse_payloads,
)
from .triage import CommentQueue, Intent, IntentClassifier, ThankYou, Triage, Triaged, Verdict

__all__ = ["BridgeSource", "Comment", "CommentError", "CommentInbox", "CommentKind", "CommentPayload", "CommentQueue",
           "CommentSource", "Intent", "IntentClassifier", "ThankYou", "Triage", "Triaged", "TwitchChat", "Verdict",
           "YouTubeLiveChat", "parse_bridge_message", "parse_payload", "parse_payloads"]
