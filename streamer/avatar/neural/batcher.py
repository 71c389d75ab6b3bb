"""Dynamic batching: every stream's work items for one model go through one queue, and each batch through one call
of ``LipModel.infer``, so a device carries many streams at the cost of a few of them.

The loop takes the first queued item, then waits at most ``max_wait_ms`` for more, up to ``max_batch``; it gathers
each item's cached pack input (row ``i`` of its stream's device tensor) and audio feature (row ``j`` of its
utterance's features) and runs the batch in the model's own thread (torch releases the GIL, so the event loop goes
on reading and writing sockets meanwhile). While a batch runs, the next one fills: the busier the device, the
larger the batches. The queue is FIFO, so each stream's results go back in the order it submitted them. Dropping an utterance takes
its queued items out of the queue uncomputed, and no result of a dropped utterance is delivered.

The batcher knows nothing of sockets: an utterance carries the callbacks that deliver its results or its failure.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .models import LipModel

log = logging.getLogger(__name__)

MAX_BATCH = 32
MAX_WAIT_MS = 4.0


@dataclass(eq=False)
class UtteranceWork:
    """One utterance of one stream, as the batcher sees it."""

    stream: int
    utt: int
    inputs: Any = field(repr=False)  # the stream's pack inputs on the device, (N, ...)
    features: Any = field(repr=False)  # the utterance's audio features on the device, (n_frames, ...)
    deliver: Callable[[int, np.ndarray], None] = field(repr=False)  # (j, crop)
    fail: Callable[[str], None] = field(repr=False)
    dropped: bool = False
    outstanding: int = 0  # items queued or computing, not yet delivered


@dataclass(slots=True)
class _Item:
    work: UtteranceWork
    j: int
    i: int


@dataclass
class BatchStats:
    batches: int = 0
    items: int = 0
    skipped: int = 0  # items of utterances dropped before they were computed
    failed: int = 0  # items of batches whose inference raised
    multi_stream_batches: int = 0  # batches holding items of more than one stream
    busy_s: float = 0.0  # seconds spent inside infer
    histogram: dict[int, int] = field(default_factory=dict)  # batch size -> batches

    def as_dict(self, queued: int) -> dict[str, Any]:
        return {
            "batches": self.batches,
            "items": self.items,
            "skipped": self.skipped,
            "failed": self.failed,
            "queued": queued,
            "multi_stream_batches": self.multi_stream_batches,
            "batch_sizes": {str(k): v for k, v in sorted(self.histogram.items())},
            "mean_batch": round(self.items / self.batches, 2) if self.batches else 0.0,
            "ms_per_batch": round(1000 * self.busy_s / self.batches, 2) if self.batches else 0.0,
            "items_per_s": round(self.items / self.busy_s, 1) if self.busy_s else 0.0,
        }


class Batcher:
    """One model's queue and batching loop. ``put`` and ``run`` belong to the event loop; ``infer`` runs in the
    batcher's single thread, so the device sees one batch at a time from this model."""

    def __init__(self, model: LipModel, stack: Callable[[list[Any]], Any], *, max_batch: int = MAX_BATCH,
                 max_wait_ms: float = MAX_WAIT_MS) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, not {max_batch}")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must not be negative, not {max_wait_ms}")
        self.model = model
        self.max_batch = max_batch
        self.max_wait_s = max_wait_ms / 1000
        self._stack = stack
        self._queue: collections.deque[_Item] = collections.deque()
        self._ready = asyncio.Event()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"infer-{model.kind}")
        self.counts = BatchStats()

    def put(self, work: UtteranceWork, items: list[tuple[int, int]]) -> None:
        """Queue an utterance's items ``(j, i)`` behind everything already queued."""
        if work.dropped:
            return
        self._queue.extend(_Item(work, j, i) for j, i in items)
        work.outstanding += len(items)
        self._ready.set()

    def drop(self, work: UtteranceWork) -> None:
        """Forget an utterance: its queued items leave the queue uncomputed, a batch computing some of them
        delivers nothing of it."""
        work.dropped = True
        work.outstanding = 0
        kept = collections.deque(it for it in self._queue if it.work is not work)
        self.counts.skipped += len(self._queue) - len(kept)
        self._queue = kept

    def stats(self) -> dict[str, Any]:
        return self.counts.as_dict(queued=len(self._queue))

    async def run(self) -> None:
        """The batching loop, until cancelled."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                batch = await self._take(loop)
                if batch:
                    await self._compute(loop, batch)
        finally:
            self._thread.shutdown(wait=False, cancel_futures=True)

    async def _take(self, loop: asyncio.AbstractEventLoop) -> list[_Item]:
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        deadline = loop.time() + self.max_wait_s
        while len(self._queue) < self.max_batch:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), remaining)
            except TimeoutError:
                break
        return [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]

    async def _compute(self, loop: asyncio.AbstractEventLoop, batch: list[_Item]) -> None:
        try:
            crops, busy_s = await loop.run_in_executor(self._thread, self._infer, batch)
        except Exception as e:  # a model failure fails the utterances of this batch, never the loop
            log.exception("inference of a batch of %d failed", len(batch))
            self.counts.failed += len(batch)
            for work in {id(it.work): it.work for it in batch}.values():
                if not work.dropped:
                    self.drop(work)
                    work.fail(f"inference failed: {type(e).__name__}: {e}")
            return
        c = self.counts
        c.batches += 1
        c.items += len(batch)
        c.busy_s += busy_s
        c.histogram[len(batch)] = c.histogram.get(len(batch), 0) + 1
        if len({it.work.stream for it in batch}) > 1:
            c.multi_stream_batches += 1
        for item, crop in zip(batch, crops, strict=True):
            if not item.work.dropped:
                item.work.outstanding -= 1
                item.work.deliver(item.j, crop)

    def _infer(self, batch: list[_Item]) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        inputs = self._stack([it.work.inputs[it.i] for it in batch])
        audio = self._stack([it.work.features[it.j] for it in batch])
        crops = self.model.infer(inputs, audio)
        if len(crops) != len(batch):
            raise RuntimeError(f"the model returned {len(crops)} crops for a batch of {len(batch)}")
        return crops, time.perf_counter() - t0
