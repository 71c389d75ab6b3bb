"""The local backend: one worker process per stream, restarted with backoff when it crashes, adopted again when the
service itself restarts.

States: starting -> live (first frame encoded) -> stopping -> stopped. A worker that exits on its own is a crash:
restarting (after 1, 2, 5, 10, 30 s; the count resets once a run stays up for a minute) -> starting -> live, on the
product it was on (its checkpoint). A worker that says it cannot start (bad brief, unknown voice), or that crashes
five times in a row without reaching its first frame, is *failed* and left alone. Every change is published on the
bus as a ``state`` event.

Workers outlive the service (worker.py): at start, ``adopt`` connects to every worker socket in the state dir,
takes each live worker back with its run, spec and state, and publishes the events it produced while no service
listened; stale sockets of dead workers are removed. ``close`` stops every worker, or with ``keep_on_close`` hangs
up and leaves the running ones on air for the next service.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..backend import RUNNING_STATES, CommandError
from ..bus import LINK_KEY, Event, EventBus
from ..preview.hub import PreviewHub
from ..product_update import InvalidUpdate, UnknownProduct, updated_brief
from ..schemas import StreamState
from ..tasks import TaskGroup
from . import link
from .handle import WorkerGone, WorkerHandle
from .protocol import (
    EVENT_TYPES,
    EXIT_FATAL,
    SESSION_COMMAND,
    Ack,
    Fatal,
    FromWorker,
    Health,
    Preview,
    ProductShown,
    Ready,
    Stop,
    UpdateProductCommand,
    WorkerBoot,
    WorkerSpec,
    event_dict,
)

log = logging.getLogger(__name__)

RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
STABLE_RUN_S = 60.0
MAX_FAILED_STARTS = 5
STOP_TIMEOUT_S = 10.0  # the encoder flush and output close; then terminate
COMMAND_TIMEOUT_S = 5.0
ORPHAN_S = 300.0  # how long a worker streams on without a service before it stops by itself
EVENTS_KEPT = 20_000  # events a worker keeps for the next service while none listens


@dataclass(eq=False)
class _Worker:
    stream_id: str
    spec: WorkerSpec
    run_id: int | None
    state: StreamState = "starting"
    handle: WorkerHandle | None = None
    restarts: int = 0
    failed_starts: int = 0  # crashes in a row before reaching the first frame, or within STABLE_RUN_S of it
    requested_at: float = field(default_factory=time.monotonic)
    live_since: float | None = None
    stopping: bool = False
    fatal: str | None = None
    health: dict[str, Any] | None = None
    acks: dict[int, asyncio.Future[str | None]] = field(default_factory=dict)
    exited: asyncio.Event = field(default_factory=asyncio.Event)


class Supervisor:
    def __init__(self, bus: EventBus, previews: PreviewHub, state_dir: Path, *, max_streams: int = 16,
                 backoff_s: tuple[float, ...] = RESTART_BACKOFF_S, stable_s: float = STABLE_RUN_S,
                 orphan_s: float = ORPHAN_S, events_kept: int = EVENTS_KEPT, keep_on_close: bool = False) -> None:
        self.bus = bus
        self.previews = previews
        self.state_dir = state_dir
        self.max_streams = max_streams
        self.backoff_s = backoff_s
        self.stable_s = stable_s
        self.orphan_s = orphan_s
        self.events_kept = events_kept
        self.keep_on_close = keep_on_close
        self._workers: dict[str, _Worker] = {}
        self._ids = itertools.count(1)
        self._tasks = TaskGroup("supervisor")
        self._notes_when_recorded = False

    def note_heard_when_recorded(self, recorder: Any) -> None:
        """Note a worker's event as heard once ``recorder`` has written it, not when it is published: a service
        killed with rows still queued then has the worker replay those events to the next one. Without a
        recorder, an event is heard once published."""
        recorder.on_recorded = self._recorded
        self._notes_when_recorded = True

    def _recorded(self, event: Event) -> None:
        link_id = event.get(LINK_KEY)
        w = self._workers.get(str(event.get("stream")))
        if link_id is None or w is None or w.handle is None or w.handle.instance != link_id[0]:
            return  # not a worker's event, or one from a process of this stream that is gone
        w.handle.note_seq(link_id[1])

    # --- the backend interface -------------------------------------------------------------------------------
    async def start(self, stream_id: str, spec: WorkerSpec, run_id: int | None = None) -> None:
        w = self._workers.get(stream_id)
        if w is not None and w.state in RUNNING_STATES | {"stopping"}:
            return
        if len(self.running()) >= self.max_streams:
            raise CommandError(f"this server runs at most {self.max_streams} streams at once", status=429)
        w = self._workers[stream_id] = _Worker(stream_id, spec, run_id)
        self._set_state(w, "starting")
        await self._spawn(w)

    async def adopt(self) -> dict[str, int | None]:
        """Take back the workers an earlier service left on air: stream id -> run id."""
        t0 = time.monotonic()
        link.make_state_dir(self.state_dir)
        sockets = link.live_sockets(self.state_dir)
        found = [w for w in await asyncio.gather(*(self._adopt(files) for files in sockets)) if w is not None]
        link.forget_dead(self.state_dir)
        if sockets:
            log.info("adopted %d of %d worker socket(s) in %.0f ms", len(found), len(sockets),
                     (time.monotonic() - t0) * 1000)
        return {w.stream_id: w.run_id for w in found}

    async def stop(self, stream_id: str, reason: str = "stopped") -> None:
        w = self._workers.get(stream_id)
        if w is None or w.state in ("stopped", "failed"):
            self._workers.pop(stream_id, None)
            return
        w.stopping = True
        self._set_state(w, "stopping", reason=reason)
        handle = w.handle
        if handle is None or not handle.alive:
            self._finish(w, "stopped", reason=reason)
            return
        handle.send(Stop())  # a worker still starting gets it from _spawn once it is connected
        try:
            await asyncio.wait_for(w.exited.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            log.warning("stream %s did not stop in %.0f s; terminating", stream_id, STOP_TIMEOUT_S)
            handle.terminate()
            try:
                await asyncio.wait_for(w.exited.wait(), 3.0)
            except TimeoutError:
                handle.kill()
                await w.exited.wait()

    async def command(self, stream_id: str, command: dict[str, Any]) -> None:
        w = self._workers.get(stream_id)
        cmd_id = next(self._ids)
        body = {**command, "id": cmd_id}
        if command["type"] == "say":
            body.setdefault("speech_id", uuid.uuid4().hex[:12])
        try:
            msg = SESSION_COMMAND.validate_python(body)
        except ValidationError as e:
            raise CommandError(f"{command['type']}: {e.errors()[0]['msg']}", status=422) from None
        if isinstance(msg, UpdateProductCommand) and w is not None and w.state == "restarting":
            self._follow_update(w, msg)  # no session now; the restart is built with the new facts
            return
        if w is None or w.state not in ("starting", "live") or w.handle is None:
            state = w.state if w else "stopped"
            raise CommandError(f"stream {stream_id} is {state}; start it first")
        fut: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        w.acks[cmd_id] = fut
        if not w.handle.send(msg):
            w.acks.pop(cmd_id, None)
            raise CommandError(f"stream {stream_id} is not reachable")
        try:
            error = await asyncio.wait_for(fut, COMMAND_TIMEOUT_S)
        except TimeoutError:
            raise CommandError(f"stream {stream_id} did not answer within {COMMAND_TIMEOUT_S:.0f} s",
                               status=504) from None
        finally:
            w.acks.pop(cmd_id, None)
        if error:
            raise CommandError(error, status=422)
        if isinstance(msg, UpdateProductCommand):
            self._follow_update(w, msg)

    @staticmethod
    def _follow_update(w: _Worker, change: UpdateProductCommand) -> None:
        """A worker that crashes later restarts from its spec: keep the spec's brief as the session has it."""
        try:
            data, _ = updated_brief(w.spec.brief, change)
        except (UnknownProduct, InvalidUpdate) as e:  # the session took it, so the spec's brief differs: say so
            log.warning("stream %s: a restart would not keep %s (%s)", w.stream_id, change.changes(), e)
            return
        w.spec = w.spec.model_copy(update={"brief": data})

    def state(self, stream_id: str) -> StreamState:
        w = self._workers.get(stream_id)
        return w.state if w else "stopped"

    def health(self, stream_id: str) -> dict[str, Any] | None:
        w = self._workers.get(stream_id)
        return w.health if w and w.state == "live" else None

    def info(self, stream_id: str) -> dict[str, Any]:
        w = self._workers.get(stream_id)
        if w is None:
            return {"state": "stopped", "pid": None, "restarts": 0, "run_id": None}
        alive = w.handle is not None and w.handle.alive
        return {"state": w.state, "pid": w.handle.pid if alive and w.handle else None, "restarts": w.restarts,
                "run_id": w.run_id, "error": w.fatal}

    def running(self) -> list[str]:
        return [sid for sid, w in self._workers.items() if w.state in RUNNING_STATES | {"stopping"}]

    async def close(self) -> list[str]:
        """Stop every worker; with ``keep_on_close``, leave the running ones on air (the next service adopts
        them) and return their stream ids."""
        kept = [w for w in self._workers.values() if self.keep_on_close and w.state in ("starting", "live")
                and w.handle is not None and w.handle.alive]
        for w in kept:
            w.stopping = True  # no restart, no state change: this service is going, the stream is not
        await asyncio.gather(*(w.handle.detach() for w in kept if w.handle is not None), return_exceptions=True)
        if kept:
            log.info("left %d stream(s) on air for the next service: %s", len(kept),
                     ", ".join(w.stream_id for w in kept))
        await asyncio.gather(*(self.stop(sid, "service_stopped") for sid, w in list(self._workers.items())
                               if w not in kept), return_exceptions=True)
        await self._tasks.close()
        return [w.stream_id for w in kept]

    # --- process lifecycle -----------------------------------------------------------------------------------
    def _handle(self, stream_id: str, worker: Callable[[], _Worker | None]) -> WorkerHandle:
        handle: WorkerHandle

        def on_message(msg: FromWorker, payload: bytes) -> None:
            w = worker()
            if w is not None and w.handle is handle:  # ignore stragglers from a previous process of this stream
                self._on_message(w, msg, payload)

        def on_exit(code: int | None) -> None:
            w = worker()
            if w is not None and w.handle is handle:
                self._on_exit(w, code)

        handle = WorkerHandle(link.WorkerFiles(self.state_dir, stream_id), on_message, on_exit)
        return handle

    async def _spawn(self, w: _Worker) -> None:
        handle = w.handle = self._handle(w.stream_id, lambda: w)
        w.exited = asyncio.Event()
        w.live_since = None
        boot = WorkerBoot(spec=w.spec, run_id=w.run_id, socket=str(handle.files.socket), orphan_s=self.orphan_s,
                          events_kept=self.events_kept)
        try:
            link.make_state_dir(self.state_dir)
            await handle.spawn(boot)
        except (OSError, WorkerGone) as e:  # out of processes or memory, or it died at once: count it like a crash
            log.error("cannot start a worker for %s: %s", w.stream_id, e)
            if w.handle is handle:
                w.handle = None
                self._on_exit(w, e.code if isinstance(e, WorkerGone) else None, error=str(e))
            return
        handle.listen()
        if w.stopping:  # stop() came while the process was starting
            handle.send(Stop())

    async def _adopt(self, files: link.WorkerFiles) -> _Worker | None:
        adopted: list[_Worker] = []
        handle = self._handle(files.stream_id, lambda: adopted[0] if adopted else None)
        try:
            welcome = await handle.adopt()
        except WorkerGone as e:
            log.error("stream %s: a worker listens but could not be adopted: %s", files.stream_id, e)
            return None
        if welcome is None:
            files.remove()  # its worker is gone
            return None
        w = _Worker(files.stream_id, welcome.spec, welcome.run_id, handle=handle,
                    live_since=time.monotonic() if welcome.live else None)
        adopted.append(w)
        self._workers[w.stream_id] = w
        self._set_state(w, "live" if welcome.live else "starting", adopted=True, pid=welcome.pid,
                        unsupervised_s=welcome.unsupervised_s, events_lost=welcome.lost or None)
        log.info("stream %s: adopted worker %d (run %s) after %.1f s unsupervised", w.stream_id, welcome.pid,
                 w.run_id, welcome.unsupervised_s)
        handle.listen()
        return w

    def _on_message(self, w: _Worker, msg: FromWorker, payload: bytes) -> None:
        if isinstance(msg, Preview):
            self.previews.put(w.stream_id, msg.k, payload)
        elif isinstance(msg, EVENT_TYPES):
            if isinstance(msg, ProductShown) and msg.product_id is not None:
                self._checkpoint(w, msg.product_id)
            event = {**event_dict(msg), "stream": w.stream_id, "run": w.run_id}
            if w.handle is not None and w.handle.instance is not None:
                event[LINK_KEY] = (w.handle.instance, msg.seq)
            self.bus.publish(event)
            if w.handle is not None and not self._notes_when_recorded:
                w.handle.note_seq(msg.seq)
        elif isinstance(msg, Health):
            w.health = msg.stats
            if isinstance(product := msg.stats.get("product_id"), str):
                self._checkpoint(w, product)
            self.bus.publish({"type": "health", **msg.stats, "stream": w.stream_id, "run": w.run_id,
                              "at": time.time()})
        elif isinstance(msg, Ack):
            fut = w.acks.pop(msg.id, None)
            if fut is not None and not fut.done():
                fut.set_result(msg.error)
        elif isinstance(msg, Ready):
            w.live_since = time.monotonic()
            self._set_state(w, "live", first_frame_ms=round((w.live_since - w.requested_at) * 1000, 1),
                            startup_ms=msg.startup_ms, first_frame_late_ms=msg.first_frame_late_ms,
                            pid=w.handle.pid if w.handle else None)
        elif isinstance(msg, Fatal):
            w.fatal = msg.message

    @staticmethod
    def _checkpoint(w: _Worker, product_id: str) -> None:
        """A restart after a crash goes on with the product the stream was on."""
        if w.spec.start_product != product_id:
            w.spec = w.spec.model_copy(update={"start_product": product_id})

    def _on_exit(self, w: _Worker, code: int | None, error: str | None = None) -> None:
        for fut in w.acks.values():
            if not fut.done():
                fut.set_result("the stream stopped")
        w.acks.clear()
        w.health = None
        self.previews.drop(w.stream_id)
        if w.stopping:
            self._finish(w, "stopped")
            return
        if w.fatal or code == EXIT_FATAL:
            self._finish(w, "failed", error=w.fatal or f"exit status {code}")
            return
        now = time.monotonic()
        stable = w.live_since is not None and now - w.live_since >= self.stable_s
        w.failed_starts = 0 if stable else w.failed_starts + 1
        if w.failed_starts >= MAX_FAILED_STARTS:
            self._finish(w, "failed", error=f"crashed {w.failed_starts} times in a row (last exit status {code})")
            return
        w.restarts += 1
        delay = self.backoff_s[min(max(w.failed_starts - 1, 0), len(self.backoff_s) - 1)]
        err = error or f"worker exited with status {code}"
        log.warning("stream %s: %s; restart %d in %.1f s", w.stream_id, err, w.restarts, delay)
        self._set_state(w, "restarting", error=err, exit_code=code, restarts=w.restarts, retry_in_s=delay)
        w.exited.set()
        self._tasks.spawn(self._restart_later(w, delay), f"restart:{w.stream_id}")

    async def _restart_later(self, w: _Worker, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        if w.stopping or self._workers.get(w.stream_id) is not w:
            return
        w.requested_at = time.monotonic()
        w.spec = w.spec.model_copy(update={"on_air_at": None})  # a restart goes on air as soon as it can
        self._set_state(w, "starting", restarts=w.restarts)
        await self._spawn(w)

    def _finish(self, w: _Worker, state: StreamState, **info: Any) -> None:
        self._set_state(w, state, **info)
        w.exited.set()
        if self._workers.get(w.stream_id) is w and state == "stopped":
            del self._workers[w.stream_id]

    def _set_state(self, w: _Worker, state: StreamState, **info: Any) -> None:
        w.state = state
        self.bus.publish({"type": "state", "stream": w.stream_id, "run": w.run_id, "state": state,
                          "at": time.time(), **{k: v for k, v in info.items() if v is not None}})
