"""Helpers for the comment source tests: run a source's stream in the background and read what it yields with a
bounded wait, and run the real intake around a source for the de-duplication it does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from streamer.comments import Comment
from streamer.comments.intake import CommentIntake
from streamer.comments.sources.base import Backoff, CommentSource

WAIT_S = 10.0  # generous: every wait is bounded, none should come close


class Yielded:
    """What a running source has yielded so far, in order."""

    def __init__(self) -> None:
        self.comments: list[Comment] = []
        self._queue: asyncio.Queue[Comment] = asyncio.Queue()

    async def next(self, within_s: float = WAIT_S) -> Comment:
        return await asyncio.wait_for(self._queue.get(), within_s)

    async def take(self, n: int, within_s: float = WAIT_S) -> list[Comment]:
        async with asyncio.timeout(within_s):
            return [await self._queue.get() for _ in range(n)]

    def pending(self) -> int:
        return self._queue.qsize()


@asynccontextmanager
async def streaming(source: CommentSource) -> AsyncIterator[tuple[Yielded, asyncio.Task[None]]]:
    """``source.stream()`` running in a task; the task ends with the stream (its exception, if any, is its)."""
    got = Yielded()

    async def pump() -> None:
        async for comment in source.stream():
            got.comments.append(comment)
            got._queue.put_nowait(comment)

    task = asyncio.create_task(pump(), name="test-source")
    try:
        yield got, task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def until(condition: Callable[[], bool], within_s: float = WAIT_S) -> None:
    async with asyncio.timeout(within_s):
        while not condition():  # noqa: ASYNC110 - polling a plain attribute of the source
            await asyncio.sleep(0.01)


@asynccontextmanager
async def intake_around(url: str, source: CommentSource) -> AsyncIterator[tuple[CommentIntake,
                                                                                list[tuple[str, dict[str, Any]]]]]:
    """The real `CommentIntake` running ``source`` (named by ``url``), with the comments it offers."""
    offered: list[tuple[str, dict[str, Any]]] = []
    intake = CommentIntake([(url, source)], lambda ref, payload: offered.append((ref, payload)),
                           backoff=lambda: Backoff(initial_s=0.01, max_s=0.05))
    task = asyncio.create_task(intake.run(), name="test-intake")
    try:
        yield intake, offered
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
