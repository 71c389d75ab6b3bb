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
from .scheduler.windows import due_window
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
                    desired: str = "manual", product: str | None = None, on_air_at: float | None = None) -> bool:
        """Start the stream; False when it was already running. ``on_air_at`` (epoch seconds; the scheduler's
        window opening): the worker gets ready and holds its first frame until then, and the run dates from it."""
        async with self._lock(stream_id):
            if self.backend.state(stream_id) in RUNNING_STATES | {"stopping"}:
                return False
            stream = await self._stream(stream_id)
            await asyncio.to_thread(self.store.update_stream, stream_id, desired=desired, hold_until=None)
            checkpoint = await asyncio.to_thread(self.store.get_checkpoint, stream_id)
            run = await asyncio.to_thread(self.store.open_run, stream_id, reason, schedule_id)
            if on_air_at is not None:
                await asyncio.to_thread(self.store.update_run, run.id,
                                        started_at=datetime.fromtimestamp(on_air_at, UTC))
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
                              tz=zones[0] if zones else None, on_air_at=on_air_at,
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
        # a window due within the lead counts: the scheduler would start it again right away
        closes = [w.closes for s in schedules
                  if (w := due_window(s, now, self.settings.schedule_lead_s)) is not None]
        return max(closes) if closes else None

    async def command(self, stream_id: str, command: dict[str, Any]) -> str | None:
        """Send a session command; returns the comment ref for ``comment`` commands, the speech id for ``say``."""
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
        elif command["type"] == "say":  # its speech_start and speech_end events repeat it
            ref = uuid.uuid4().hex[:12]
            command = {**command, "speech_id": ref}
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
        """At service start: adopt the workers an earlier service left on air (their runs go on), close the runs
        it left open otherwise, and restart what was manually live and was not adopted."""
        adopted = await self.backend.adopt()
        for stream_id, run_id in adopted.items():
            await self._adopted(stream_id, run_id)
        await asyncio.to_thread(self._close_dangling_runs, {i.run_id for i in self._runs.values()})
        resumed = []
        for stream in await asyncio.to_thread(self.store.list_streams):
            if stream.desired == "manual" and stream.id not in adopted:
                try:
                    await self.start(stream.id, "resume", desired="manual")
                    resumed.append(stream.id)
                except Exception:
                    log.exception("could not resume stream %s", stream.id)
        return resumed

    async def _adopted(self, stream_id: str, run_id: int | None) -> None:
        runs = await asyncio.to_thread(self.store.list_runs, stream_id, 10)
        run = next((r for r in runs if r.id == run_id and r.ended_at is None), None)
        if run is None:  # its stream was deleted, or its run closed behind its back: it has no business on air
            log.warning("stream %s: adopted worker of run %s has no open run; stopping it", stream_id, run_id)
            await self.backend.stop(stream_id, "orphaned")
            return
        self._runs[stream_id] = RunInfo(run.id, run.reason, run.schedule_id)
        log.info("stream %s adopted, run %d goes on", stream_id, run.id)

    def _close_dangling_runs(self, keep: set[int]) -> None:
        """Runs a killed service left open, except those whose worker was adopted."""
        for stream in self.store.list_streams():
            for run in self.store.list_runs(stream.id, 10):
                if run.ended_at is None and run.id not in keep:
                    self.store.close_run(run.id, "service_lost")

    async def close(self) -> None:
        """At service stop: stop every worker (or leave it on air, ``keep_streams_on_exit``: its run goes on) but
        keep ``desired``, so the next start resumes or adopts them."""
        runs = dict(self._runs)
        self._runs.clear()
        kept = await self.backend.close()
        for stream_id, info in runs.items():
            if stream_id not in kept:
                await asyncio.to_thread(self.store.close_run, info.run_id, "service_stopped")
