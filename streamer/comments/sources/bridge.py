"""A bridge for third-party Douyin / Kuaishou / WeChat-Channels collectors.

Those collectors (browser hooks, dy-barrage-grab and its forks) push JSON over a local WebSocket or HTTP POST. Two
shapes are understood:

* the dy-barrage-grab envelope ``{"Type": n, "ProcessName": "...", "Data": "<JSON text>"}`` where ``n`` is
  1 chat, 2 like, 3 enter, 4 follow, 5 gift (6 room stats, 7 fan club, 8 share, 9 stream ended are not comments);
* anything else is read as the service's own `CommentPayload` (``{"user", "text", "kind", ...}``).

`parse_bridge_message` turns one message into a `Comment` (or None for messages that are not comments);
`BridgeSource` connects to a collector's WebSocket and yields comments, reconnecting with backoff.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import websockets

from ..model import Comment, CommentError, CommentKind
from .base import Backoff, SourceStatus, redact_url
from .payload import MAX_PAYLOAD_BYTES, parse_payload

__all__ = ["DY_KINDS", "BridgeSource", "parse_bridge_message"]

log = logging.getLogger(__name__)

DY_KINDS = {1: CommentKind.CHAT, 2: CommentKind.LIKE, 3: CommentKind.ENTER, 4: CommentKind.FOLLOW,
            5: CommentKind.GIFT}


def _int(v: Any, default: int = 1) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def _from_dy(envelope: dict[str, Any], platform: str) -> Comment | None:
    kind = DY_KINDS.get(_int(envelope.get("Type"), 0))
    if kind is None:
        return None
    data = envelope.get("Data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError:
            raise CommentError("bridge message: Data is not JSON") from None
    if not isinstance(data, dict):
        raise CommentError("bridge message: Data must be a JSON object")
    user: dict[str, Any] = data["User"] if isinstance(data.get("User"), dict) else {}
    count = 1
    gift = ""
    if kind is CommentKind.GIFT:
        gift = str(data.get("GiftName") or "")
        count = _int(data.get("RepeatCount") or data.get("GiftCount"), 1)
    elif kind is CommentKind.LIKE:
        count = _int(data.get("Count"), 1)
    return Comment(text=str(data.get("Content") or ""), user=str(user.get("Nickname") or ""),
                   user_id=str(user.get("Id") or user.get("SecUid") or ""), platform=platform, kind=kind,
                   id=str(data.get("MsgId") or ""), gift=gift, count=count)


def parse_bridge_message(message: str | bytes | dict[str, Any], platform: str = "douyin") -> Comment | None:
    """The comment in one collector message, None when the message is not a comment (room stats, share...)."""
    if isinstance(message, bytes | bytearray | str):
        if len(message) > MAX_PAYLOAD_BYTES:
            raise CommentError("bridge message is over the size limit")
        try:
            obj = json.loads(message)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise CommentError("bridge message is not JSON") from None
    else:
        obj = message
    if not isinstance(obj, dict):
        raise CommentError("bridge message must be a JSON object")
    if "Type" in obj and "Data" in obj:
        return _from_dy(obj, platform)
    obj = {"platform": platform, **obj}
    return parse_payload(obj)


class BridgeSource:
    """Comments from a collector's WebSocket server (dy-barrage-grab listens on ws://127.0.0.1:8888 by default)."""

    def __init__(self, url: str, platform: str = "douyin", backoff: Backoff | None = None,
                 max_reconnects: int | None = None) -> None:
        self.url = url
        self.platform = platform
        self.backoff = backoff or Backoff()
        self.max_reconnects = max_reconnects  # None: forever (a 24/7 room); tests bound it
        self.dropped = 0  # messages that were not comments we could read
        self.status = SourceStatus()

    async def stream(self) -> AsyncIterator[Comment]:
        reconnects = 0
        while True:
            try:
                async with websockets.connect(self.url, max_size=MAX_PAYLOAD_BYTES, open_timeout=10) as ws:
                    self.status.up()
                    log.info("bridge connected to %s", redact_url(self.url))
                    async for message in ws:
                        try:
                            comment = parse_bridge_message(message, self.platform)
                        except CommentError as e:
                            self.dropped += 1
                            log.debug("bridge: %s", e)
                            continue
                        self.backoff.reset()
                        if comment is not None:
                            yield comment
            except (OSError, websockets.WebSocketException, TimeoutError) as e:
                log.warning("bridge %s: %s", redact_url(self.url), e)
                self.status.down(str(e) or type(e).__name__)
            finally:
                self.status.connected = False
            reconnects += 1
            if self.max_reconnects is not None and reconnects > self.max_reconnects:
                return
            await self.backoff.wait()
