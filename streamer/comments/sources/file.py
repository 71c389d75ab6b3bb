"""Comments replayed from a JSON-lines file (``file://comments.jsonl``), at the times the lines say: demos and tests
of a whole room without a platform.

Each line is a comment as the service's API takes it (`CommentPayload`: ``user``, ``text``, ``kind``, ``id``...)
plus ``t``, its offset in seconds from the start of the replay. Lines are replayed in file order; each waits until
its offset, measured from the start so waits never add up to drift. A line that is not a comment is skipped and
counted (``status.last_error`` names its line number); blank lines and ``#`` comments are allowed. The replay ends
after the last line: a file is finite, and replaying it again would answer the room twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from ...errors import ConfigError
from ..model import Comment, CommentError
from .base import Sleep, SourceStatus
from .payload import MAX_PAYLOAD_BYTES, parse_payload

__all__ = ["CommentFile", "ReplayLine"]

log = logging.getLogger(__name__)

MAX_LINES = 100_000  # a replay is read whole at the start; this bounds what a file can make us hold

ReplayLine = tuple[float, Comment]


class CommentFile:
    """Replays one file. ``clock`` and ``sleep`` are injectable so a test can replay an hour in no time."""

    finite = True  # its end is final: the intake does not start it again

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ConfigError(f"comment file {str(self.path)!r} not found")
        self._clock = clock
        self._sleep = sleep
        self.skipped = 0
        self.status = SourceStatus()

    def lines(self) -> list[ReplayLine]:
        """The comments and their offsets, in file order; lines that are not comments are skipped and counted."""
        out: list[ReplayLine] = []
        with self.path.open(encoding="utf-8", errors="replace") as f:
            for number, raw in enumerate(f, 1):
                if len(out) >= MAX_LINES:
                    raise ConfigError(f"comment file {str(self.path)!r} has over {MAX_LINES} lines")
                text = raw.strip()
                if not text or text.startswith("#"):
                    continue
                try:
                    out.append(_line(text))
                except CommentError as e:
                    self.skipped += 1
                    self.status.last_error = f"line {number}: {e}"
                    log.warning("%s line %d skipped: %s", self.path.name, number, e)
        return out

    async def stream(self) -> AsyncIterator[Comment]:
        lines = await asyncio.to_thread(self.lines)
        self.status.up()
        start = self._clock()
        try:
            for t, comment in lines:
                wait = start + t - self._clock()
                if wait > 0:
                    await self._sleep(wait)
                yield comment
        finally:
            self.status.connected = False


def _line(text: str) -> ReplayLine:
    if len(text) > MAX_PAYLOAD_BYTES:
        raise CommentError("line is over the size limit")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise CommentError(f"not JSON: {e.msg}") from None
    if not isinstance(obj, dict):
        raise CommentError("a line must be a JSON object")
    t = obj.pop("t", 0)
    if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t < 0:
        raise CommentError(f"t must be seconds from the start (a number, 0 or more), got {t!r}")
    return float(t), parse_payload(obj)
