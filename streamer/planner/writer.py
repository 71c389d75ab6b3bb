"""Fresh LLM blocks written ahead of the show, each said once: an all-day show with a model that does not replay.

``LLMPlanner`` writes a few versions of each product's block up front and replays them, which over a day is a loop.
``WriterPlanner`` keeps a small queue of fresh blocks per product instead, topped up by ``write_ahead`` (a
background task that whoever runs the show owns, names and cancels) and consumed one block per product block. A
product without a fresh block gets the template block: the show never waits for the model.

Every block is validated as ``LLMPlanner`` validates it (``check_block``, with the problems sent back to the model),
and checked again sentence by sentence when it is said (``TemplatePlanner._checked``). Queues are keyed by the
product's facts (``facts_key``), so after ``update`` (a new price, a stock change) a block written for the old facts
is never said; a sold-out product gets no block at all (its block is the template's, without any push).

Blocks outlive the process through whoever runs the show: ``on_written`` hands each new block out as a
``WrittenBlock`` (a served stream sends it to the service, which stores it), and ``preload`` takes stored blocks
back at the next start, so a restarted stream says them again without asking the model.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime

from pydantic import BaseModel

from ..brief import Brief
from ..errors import EngineError
from ..llm import ChatModel
from .llm import LLMPlanner
from .prepare import SpeakableProduct
from .rundown import Rundown, Segment
from .template import TemplatePlanner
from .timing import ShowClock

log = logging.getLogger(__name__)

AHEAD = 2  # fresh blocks kept ready per product
IDLE_S = 5.0  # pause when every queue is full or the model failed
MAX_IDLE_S = 120.0  # a model that keeps failing is asked at most this rarely
MAX_NOTES = 20  # an all-day writer keeps only its latest notes


class WrittenBlock(BaseModel):
    """One validated block as it travels and is stored: for which product, for which facts (``facts_key``)."""

    product_id: str
    facts: str
    segments: list[Segment]


class WriterPlanner(LLMPlanner):
    """An ``LLMPlanner`` whose blocks are written ahead and used once each."""

    def __init__(self, brief: Brief, chat: ChatModel, seed: int = 0, *, start: datetime | None = None,
                 ahead: int = AHEAD, max_attempts: int = 3, temperature: float = 0.8, max_tokens: int = 1200,
                 stream: bool = False, on_written: Callable[[WrittenBlock], None] | None = None) -> None:
        super().__init__(brief, chat, seed, max_attempts=max_attempts, temperature=temperature,
                         max_tokens=max_tokens, stream=stream)
        self.clock = ShowClock(start)
        self.ahead = ahead
        self.on_written = on_written
        self.used = 0  # LLM blocks said so far
        self._queues: dict[str, deque[list[Segment]]] = {}
        self._versions = 0

    def ready(self, product_id: str) -> int:
        """Fresh blocks waiting for this product (for its current facts)."""
        p = next((q for q in self.products if q.id == product_id), None)
        return len(self._queues.get(facts_key(p), ())) if p else 0

    def preload(self, blocks: Iterable[WrittenBlock]) -> int:
        """Queue blocks written before (a stored cache); those for other facts are left out. Returns how many."""
        keys = {facts_key(p) for p in self.products if p.product.stock != 0}
        taken = 0
        for b in blocks:
            if b.facts in keys and b.segments and all(s.product_id == b.product_id for s in b.segments):
                self._queues.setdefault(b.facts, deque()).append([s.model_copy(deep=True) for s in b.segments])
                taken += 1
        return taken

    async def write_once(self) -> int:
        """Top up each product's queue by one block; returns how many were written. Raises EngineError."""
        written = 0
        for p in self.products:
            key = facts_key(p)
            queue = self._queues.setdefault(key, deque())
            if p.product.stock == 0 or len(queue) >= self.ahead:
                continue
            block = await self._write_block(p, self._versions)  # another version number asks for other words
            self._versions += 1
            del self.notes[:-MAX_NOTES]
            if block is not None:
                queue.append(block)
                written += 1
                if self.on_written is not None:
                    self.on_written(WrittenBlock(product_id=p.id, facts=key, segments=block))
        return written

    async def write_ahead(self, idle_s: float = IDLE_S) -> None:
        """Keep every queue topped up until cancelled; a failing model is asked again after ``idle_s``, doubled
        after each failure in a row up to ``MAX_IDLE_S``."""
        wait_s = idle_s
        while True:
            try:
                written = await self.write_once()
            except EngineError as e:
                log.warning("LLM writer: %s; templates meanwhile, next try in %.0f s", e, wait_s)
                await asyncio.sleep(wait_s)
                wait_s = min(wait_s * 2, MAX_IDLE_S)
                continue
            wait_s = idle_s
            if not written:
                await asyncio.sleep(idle_s)

    def plan(self, loops: int) -> Rundown:
        rundown = TemplatePlanner.plan(self, loops)
        planner = "llm (written ahead)" if self.used else "template (llm fallback)"
        return rundown.model_copy(update={"planner": planner, "notes": self.notes + rundown.notes})

    def _body(self, p: SpeakableProduct, loop: int, rng: random.Random) -> list[Segment]:
        queue = self._queues.get(facts_key(p))
        if not queue:
            return TemplatePlanner._body(self, p, loop, rng)
        self.used += 1
        return queue.popleft()


def facts_key(p: SpeakableProduct | None) -> str:
    """A fingerprint of everything a block may say about the product."""
    if p is None:
        return ""
    facts = repr((p.product.model_dump(), p.name, p.points, p.specs, p.promos, p.shipping, p.after_sales, p.faqs))
    return hashlib.sha1(facts.encode()).hexdigest()
