"""Everything a /ws connection hears, kept in order while a fault test does other things (async)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import websockets
from test_control_support import LiveServer

Match = Callable[[dict[str, Any]], bool]


class EventLog:
    def __init__(self, conn: websockets.ClientConnection) -> None:
        self.conn = conn
        self.events: list[dict[str, Any]] = []

    async def pump(self) -> None:
        async for raw in self.conn:
            self.events.append(json.loads(raw))

    def seen(self, match: Match) -> list[dict[str, Any]]:
        return [e for e in self.events if match(e)]

    async def until(self, match: Match, timeout_s: float, what: str, after: int = 0) -> dict[str, Any]:
        """The first event from index ``after`` on that matches (already heard, or heard within ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        while True:
            for e in self.events[after:]:
                if match(e):
                    return e
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout_s:.0f} s")
            await asyncio.sleep(0.05)

    async def send(self, message: dict[str, Any]) -> None:
        await self.conn.send(json.dumps(message))


@asynccontextmanager
async def event_log(server: LiveServer) -> AsyncIterator[EventLog]:
    async with websockets.connect(server.ws_url()) as conn:
        log = EventLog(conn)
        task = asyncio.create_task(log.pump(), name="test:ws-pump")
        try:
            await log.until(lambda e: e["type"] == "hello", 10, "hello")
            yield log
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
