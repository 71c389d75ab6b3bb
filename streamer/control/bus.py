"""The event bus: what the supervisor hears from sessions, fanned out to /ws clients, the recorder and metrics.

Events are dicts with ``type``, ``stream`` and ``at`` (Unix seconds). ``publish`` never blocks: a subscriber that
falls behind loses its oldest events (and is told how many) instead of slowing the streams down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

Event = dict[str, Any]
LINK_KEY = "_link"  # (worker instance, event seq): for the service's own bookkeeping, never sent to a client
SUBSCRIBER_QUEUE = 1000


class Subscription:
    def __init__(self, bus: EventBus, streams: Iterable[str] | None, types: Iterable[str] | None,
                 maxsize: int) -> None:
        self._bus = bus
        self.streams: set[str] | None = None if streams is None else set(streams)
        self.types: set[str] | None = None if types is None else set(types)
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.dropped = 0

    def wants(self, event: Event) -> bool:
        return ((self.streams is None or event.get("stream") in self.streams)
                and (self.types is None or event.get("type") in self.types))

    def offer(self, event: Event) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)

    async def get(self) -> Event:
        return await self.queue.get()

    def close(self) -> None:
        self._bus.unsubscribe(self)


class EventBus:
    """Owned by the event loop thread: call ``publish`` only from there."""

    def __init__(self) -> None:
        self._subs: list[Subscription] = []

    def subscribe(self, streams: Iterable[str] | None = None, types: Iterable[str] | None = None,
                  maxsize: int = SUBSCRIBER_QUEUE) -> Subscription:
        sub = Subscription(self, streams, types, maxsize)
        self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    def publish(self, event: Event) -> None:
        for sub in list(self._subs):
            if sub.wants(event):
                sub.offer(event)

    @property
    def subscribers(self) -> int:
        return len(self._subs)
