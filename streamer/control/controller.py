"""Starting and stopping streams on behalf of people and the scheduler, with the run history and desired state.

The API and the scheduler call this; it calls only the ``StreamBackend`` interface. What it adds: a run row per
start (why it started, why it ended), the operator's intent persisted in ``streams.desired`` (so the service
restarting resumes what should be live), the checkpoint handed to the session, and checks that name the field
(an unknown product id) before a command travels to the worker.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..brief import parse_brief
from ..planner.writer import WrittenBlock
from .backend import RUNNING_STATES, CommandError, StreamBackend
from .config import ServiceSettings
from .product_update import changed_facts, check_promotions, updated_brief
from .recorder import ops_for
from .scheduler.windows import open_window
from .schemas import StreamSettings, UpdateProduct
from .storage import Store, Stream
from .supervisor.protocol import WorkerSpec

log = logging.getLogger(__name__)


class NotFound(Exception):
    pass


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: int
    reason: str
    schedule_id: int | None


class Controller:
    def __init__(self, store: Store, backend: StreamBackend, settings: ServiceSettings) -> None:
        self.store = store
        self.backend = backend
        self.settings = settings
        self._runs: dict[str, RunInfo] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, stream_id: str) -> asyncio.Lock:
        return self._locks.setdefault(stream_id, asyncio.Lock())

    def current_run(self, stream_id: str) -> RunInfo | None:
        return self._runs.get(stream_id) if self.backend.state(stream_id) in RUNNING_STATES else None

    async def _stream(self, stream_id: str) -> Stream:
        stream = await asyncio.to_thread(self.store.get_stream, stream_id)
        if stream is None:
            raise NotFound(f"no stream {stream_id!r}")
        return stream

    async def start(self, stream_id: str, reason: str = "manual", *, schedule_id: int | None = None,
                    desired: str = "manual", product: str | None = None) -> bool:
        """Start the stream; False when it was already running."""
        async with self._lock(stream_id):
            if self.backend.state(stream_id) in RUNNING_STATES | {"stopping"}:
                return False
            stream = await self._stream(stream_id)
            await asyncio.to_thread(self.store.update_stream, stream_id, desired=desired, hold_until=None)
            checkpoint = await asyncio.to_thread(self.store.get_checkpoint, stream_id)
            run = await asyncio.to_thread(self.store.open_run, stream_id, reason, schedule_id)
            settings = StreamSettings.model_validate(stream.settings)
            blocks = await asyncio.to_thread(self.store.list_written_blocks, stream_id)
            schedules = await asyncio.to_thread(self.store.list_schedules, stream_id)
            zones = [s.tz for s in schedules if s.id == schedule_id] + [s.tz for s in schedules]  # the show's clock
            record = None
            if settings.record:
                folder = self.settings.data_dir / "recordings"
                await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
                record = str(folder / f"{stream_id}-run{run.id}.mkv")
            spec = WorkerSpec(stream_id=stream_id, brief=stream.brief, settings=settings,
                              start_product=product or (checkpoint.product_id if checkpoint else None),
                              record_path=record, preview_fps=self.settings.preview_fps,
                              preview_width=self.settings.preview_width, log_level=self.settings.worker_log_level,
                              tz=zones[0] if zones else None,
                              blocks=[WrittenBlock(product_id=b.product_id, facts=b.facts, segments=b.segments)
                                      for b in blocks])
            try:
                await self.backend.start(stream_id, spec, run.id)
            except CommandError as e:
                await asyncio.to_thread(self.store.close_run, run.id, "refused", str(e))
                raise
            self._runs[stream_id] = RunInfo(run.id, reason, schedule_id)
            log.info("stream %s started (%s), run %d", stream_id, reason, run.id)
            return True

    async def stop(self, stream_id: str, reason: str = "manual", *, desired: str = "stopped") -> None:
        """Stop the stream. A manual stop inside an open schedule window holds the stream off until it closes."""
        async with self._lock(stream_id):
            await self._stream(stream_id)
            hold = await self._hold_until(stream_id) if reason == "manual" else None
            await asyncio.to_thread(self.store.update_stream, stream_id, desired=desired, hold_until=hold)
            await self.backend.stop(stream_id, reason)
            info = self._runs.pop(stream_id, None)
            if info is not None:
                await asyncio.to_thread(self.store.close_run, info.run_id, reason)
            log.info("stream %s stopped (%s)", stream_id, reason)

    async def _hold_until(self, stream_id: str) -> datetime | None:
        now = datetime.now(UTC)
        schedules = await asyncio.to_thread(self.store.list_schedules, stream_id, enabled_only=True)
        closes = [w.closes for s in schedules if (w := open_window(s, now)) is not None]
        return max(closes) if closes else None

    async def command(self, stream_id: str, command: dict[str, Any]) -> str | None:
        """Send a session command; returns the comment ref for ``comment`` commands."""
        if command["type"] == "update_product":
            await self.update_product(stream_id, command)
            return None
        stream = await self._stream(stream_id)
        if command["type"] == "switch_product":
            ids = [p.id for p in parse_brief(stream.brief).products]
            if command["product_id"] not in ids:
                raise CommandError(f"product_id: unknown product {command['product_id']!r}; the brief has "
                                   f"{', '.join(ids)}", status=422)
        ref = None
        if command["type"] == "comment":
            ref = uuid.uuid4().hex[:12]
            command = {**command, "ref": ref}
        await self.backend.command(stream_id, command)
        return ref

    async def update_product(self, stream_id: str, command: dict[str, Any]) -> None:
        """Change a product's selling facts: checked against the stored brief (`UnknownProduct`, `InvalidUpdate`),
        applied by the running session (which records it in the transcript) and then stored. A stream that is not
        on air only gets the stored brief and the transcript note. One update per stream at a time: each starts
        from the brief the last one stored."""
        change = UpdateProduct.model_validate({k: v for k, v in command.items() if k != "by"})
        async with self._lock(stream_id):
            stream = await self._stream(stream_id)
            data, brief = updated_brief(stream.brief, change)
            check_promotions(brief, change)
            old = parse_brief(stream.brief).product(change.product_id)
            state = self.backend.state(stream_id)
            if state in RUNNING_STATES:  # a restarting stream's backend keeps it for the restart
                await self.backend.command(stream_id, command)
            await asyncio.to_thread(self.store.update_stream, stream_id, brief=data)
            if state not in ("starting", "live"):  # no session to record it: write the note here
                changes = changed_facts(old, brief.product(change.product_id))
                event = {"type": "product_update", "stream": stream_id, "run": None, "at": time.time(),
                         "product_id": change.product_id, "changes": changes, "by": command.get("by")}
                await asyncio.to_thread(self.store.write_batch, ops_for(event))
            log.info("stream %s: %s", stream_id, change.changes())

    async def resume(self) -> list[str]:
        """At service start: close the runs a killed service left open and restart what was manually live."""
        await asyncio.to_thread(self.store.close_dangling_runs, "service_lost")
        resumed = []
        for stream in await asyncio.to_thread(self.store.list_streams):
            if stream.desired == "manual":
                try:
                    await self.start(stream.id, "resume", desired="manual")
                    resumed.append(stream.id)
                except Exception:
                    log.exception("could not resume stream %s", stream.id)
        return resumed

    async def close(self) -> None:
        """At service stop: stop every worker but keep ``desired``, so the next start resumes them."""
        runs = dict(self._runs)
        self._runs.clear()
        await self.backend.close()
        for info in runs.values():
            await asyncio.to_thread(self.store.close_run, info.run_id, "service_stopped")
