"""Comments posted to the service itself (HTTP ``POST`` bodies, WebSocket messages), waiting for the session.

The API handler calls ``inbox.post(body)``, which validates the body (one `CommentPayload` or a list) and returns at
once; the session reads ``inbox.stream()``. The inbox holds at most ``maxsize`` comments: when a flood outruns the
session the oldest are dropped (triage would rank stale comments last anyway), so a client cannot grow memory.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from ..model import Comment
from .payload import parse_payloads

__all__ = ["CommentInbox"]


class CommentInbox:
    """A bounded hand-off from API handlers to one session. Use from a single event loop."""

    def __init__(self, maxsize: int = 1000) -> None:
        self.maxsize = maxsize
        self._items: deque[Comment] = deque(maxlen=maxsize)
        self._ready = asyncio.Event()
        self._closed = False
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def post(self, body: str | bytes | dict[str, Any] | list[Any]) -> int:
        """Queue the comments in ``body``; returns how many. Raises `CommentError` for a bad body (a 400/422)."""
        comments = parse_payloads(body)
        for c in comments:
            if len(self._items) == self.maxsize:
                self.dropped += 1  # the deque drops the oldest on append
            self._items.append(c)
        if comments:
            self._ready.set()
        return len(comments)

    def close(self) -> None:
        """End `stream()` once what is queued has been read."""
        self._closed = True
        self._ready.set()

    async def stream(self) -> AsyncIterator[Comment]:
        while True:
            while self._items:
                yield self._items.popleft()
            if self._closed:
                return
            self._ready.clear()
            await self._ready.wait()
