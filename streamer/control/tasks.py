"""Named background tasks with an owner: every task the service starts is listed, and cancelled on shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)

CANCEL_TIMEOUT_S = 5.0


class TaskGroup:
    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=f"{self.name}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s failed", task.get_name(), exc_info=task.exception())

    @property
    def names(self) -> list[str]:
        return sorted(t.get_name() for t in self._tasks)

    async def cancel(self, name: str) -> None:
        """Cancel one task by its short name and wait for it."""
        for task in [t for t in self._tasks if t.get_name() == f"{self.name}:{name}"]:
            task.cancel()
            await asyncio.wait([task], timeout=CANCEL_TIMEOUT_S)

    async def close(self, timeout_s: float = CANCEL_TIMEOUT_S) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout_s)
            for task in pending:
                log.warning("task %s did not stop within %.0f s", task.get_name(), timeout_s)
