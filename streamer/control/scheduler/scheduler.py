"""The scheduler: starts streams when a window opens and stops them when it closes, with nobody present.

Each tick reads the enabled schedules and compares them with what runs. It never stops a stream somebody started
by hand, and never restarts a stream somebody stopped by hand inside a window (``hold_until``). While a window with
``products`` is open it rotates the featured product every ``rotate_every_s``. Ticks are at most ``tick_s`` apart
and land on the next window boundary, so a window opens and closes within a few milliseconds of its time.

A worker needs about two seconds to its first frame (a fresh interpreter, imports, the voice warming up, the first
sentence, the encoder, the RTMP handshake), so a window's stream is started ``lead_s`` ahead with the window's
opening as its on-air time: the worker gets ready and holds its first frame until then (media/pacer.py), and its
run is dated from the window. A stream the scheduler finds stopped inside an open window starts at once, unheld.
Closing is unchanged: a stream goes off when its window closes, even if the next window is due within the lead.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ...media.pacer import MAX_HOLD_S
from ..backend import RUNNING_STATES, CommandError, StreamBackend
from ..storage import Schedule, Store
from .windows import Window, due_window, next_window

if TYPE_CHECKING:
    from ..controller import Controller

log = logging.getLogger(__name__)

RESUMED_END_REASONS = ("service_stopped", "service_lost")
START_LEAD_S = 15.0  # a worker's start-up: 1.8 s on an idle machine, 14 s on two cores loaded fifteen deep
LEAD_MARGIN_S = 5.0  # what a held start may wait beyond the lead (the worker's hold is capped at MAX_HOLD_S)


class Scheduler:
    def __init__(self, store: Store, controller: Controller, backend: StreamBackend, tick_s: float = 1.0,
                 lead_s: float = START_LEAD_S) -> None:
        if not 0 <= lead_s <= MAX_HOLD_S - LEAD_MARGIN_S:
            raise ValueError(f"schedule lead: {lead_s} s; from 0 to {MAX_HOLD_S - LEAD_MARGIN_S:.0f} s")
        self.store = store
        self.controller = controller
        self.backend = backend
        self.tick_s = tick_s
        self.lead_s = lead_s
        self._rotation: dict[str, tuple[int, datetime, int]] = {}
        self.ticks = 0

    async def run(self) -> None:
        while True:
            try:
                wait_s = await self.tick()
            except Exception:  # one bad tick (database blip) must not end scheduling
                log.exception("scheduler tick failed")
                wait_s = self.tick_s
            await asyncio.sleep(wait_s)

    async def tick(self, now: datetime | None = None) -> float:
        """Bring streams in line with their windows; returns how long to sleep before the next tick."""
        now = now or datetime.now(UTC)
        self.ticks += 1
        schedules = await asyncio.to_thread(self.store.list_schedules, enabled_only=True)
        by_stream: dict[str, list[Schedule]] = defaultdict(list)
        for s in schedules:
            by_stream[s.stream_id].append(s)
        for stream_id in self.backend.running():
            by_stream.setdefault(stream_id, [])  # its schedules were deleted or disabled: the window is over
        boundary = self.tick_s
        lead = timedelta(seconds=self.lead_s)
        for stream_id, items in by_stream.items():
            due = [(s, w) for s in items if (w := due_window(s, now, self.lead_s)) is not None]
            open_now = [(s, w) for s, w in due if w.opens <= now]
            try:
                if open_now:
                    await self._in_window(stream_id, *max(open_now, key=lambda p: p[1].closes), now)
                elif due:
                    await self._ahead_of_window(stream_id, *min(due, key=lambda p: p[1].opens), now)
                else:
                    await self._out_of_window(stream_id)
            except Exception:
                log.exception("scheduling stream %s failed", stream_id)
            for s in items:
                w = next_window(s, now)
                if w is not None:
                    for edge in (w.opens - lead, w.opens, w.closes):
                        if edge > now:
                            boundary = min(boundary, (edge - now).total_seconds() + 0.005)
        return max(0.01, boundary)

    async def _ahead_of_window(self, stream_id: str, sched: Schedule, win: Window, now: datetime) -> None:
        """The window opens within the lead: start the stream now, on air at the window's opening."""
        run = self.controller.current_run(stream_id)
        if run is not None and run.reason.startswith("schedule") and run.schedule_id != sched.id:
            await self._out_of_window(stream_id)  # another schedule's window just closed: off, then ahead again
            return
        await self._start(stream_id, sched, win, now, on_air_at=win.opens)

    async def _in_window(self, stream_id: str, sched: Schedule, win: Window, now: datetime) -> None:
        if await self._start(stream_id, sched, win, now, on_air_at=None):
            return
        state = self.backend.state(stream_id)
        product = self._product(sched, win, now)
        if product is None or state != "live":
            return
        key = (sched.id, win.opens, self._index(sched, win, now))
        if self._rotation.get(stream_id) != key:
            try:
                await self.controller.command(stream_id, {"type": "switch_product", "product_id": product})
                self._rotation[stream_id] = key
            except CommandError as e:
                log.warning("rotation on %s: %s", stream_id, e)

    async def _start(self, stream_id: str, sched: Schedule, win: Window, now: datetime,
                     on_air_at: datetime | None) -> bool:
        """Start the stream for ``win`` unless it runs or an operator holds it off; True when it was started."""
        if self.backend.state(stream_id) in RUNNING_STATES | {"stopping", "failed"}:
            return False
        stream = await asyncio.to_thread(self.store.get_stream, stream_id)
        if stream is None or (stream.hold_until is not None and stream.hold_until > now):
            return False
        last = await asyncio.to_thread(self.store.last_run, stream_id)
        resumed = (last is not None and last.end_reason in RESUMED_END_REASONS and last.started_at >= win.opens
                   and last.reason.startswith("schedule"))
        at = max(now, win.opens)  # the product rotation counts from the opening
        product = self._product(sched, win, at)
        started = await self.controller.start(
            stream_id, "schedule:resume" if resumed else "schedule", schedule_id=sched.id, desired="schedule",
            product=product, on_air_at=on_air_at.timestamp() if on_air_at is not None else None)
        if product is not None:
            self._rotation[stream_id] = (sched.id, win.opens, self._index(sched, win, at))
        return started

    async def _out_of_window(self, stream_id: str) -> None:
        run = self.controller.current_run(stream_id)
        if run is not None and run.reason.startswith("schedule"):
            await self.controller.stop(stream_id, "schedule", desired="schedule")
        self._rotation.pop(stream_id, None)

    @staticmethod
    def _index(sched: Schedule, win: Window, now: datetime) -> int:
        return int((now - win.opens).total_seconds() // max(1, sched.rotate_every_s))

    def _product(self, sched: Schedule, win: Window, now: datetime) -> str | None:
        if not sched.products:
            return None
        return sched.products[self._index(sched, win, now) % len(sched.products)]
