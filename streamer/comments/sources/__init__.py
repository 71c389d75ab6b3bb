"""Comment sources: the service's own API payloads, collector bridges, Twitch IRC and YouTube live chat."""

from .base import Backoff, CommentSource
from .bridge import BridgeSource, parse_bridge_message
from .inbox import CommentInbox
from .payload import CommentPayload, parse_payload, parse_payloads
from .twitch import TwitchChat
from .youtube import YouTubeLiveChat, comment_from_item, resolve_live_chat_id

__all__ = ["Backoff", "BridgeSource", "CommentInbox", "CommentPayload", "CommentSource", "TwitchChat", "YouTubeLiveChat",
           "comment_from_item", "parse_bridge_message", "parse_payload", "parse_payloads", "resolve_live_chat_id"]
