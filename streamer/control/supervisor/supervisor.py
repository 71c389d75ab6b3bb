"""The local backend: one worker process per stream, restarted with backoff when it crashes.

States: starting -> live (first frame encoded) -> stopping -> stopped. A worker that exits on its own is a crash:
restarting (after 1, 2, 5, 10, 30 s; the count resets once a run stays up for a minute) -> starting -> live. A
worker that says it cannot start (bad brief, unknown voice), or that crashes five times in a row without reaching
its first frame, is *failed* and left alone. Every change is published on the bus as a ``state`` event.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from ..backend import RUNNING_STATES, CommandError
from ..bus import EventBus
from ..preview.hub import PreviewHub
from ..product_update import InvalidUpdate, UnknownProduct, updated_brief
from ..schemas import StreamState, UpdateProduct
from ..tasks import TaskGroup
from .handle import WorkerHandle
from .protocol import EXIT_FATAL, WorkerSpec

log = logging.getLogger(__name__)

RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
STABLE_RUN_S = 60.0
MAX_FAILED_STARTS = 5
STOP_TIMEOUT_S = 10.0  # the encoder flush and output close; then terminate
COMMAND_TIMEOUT_S = 5.0


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
    def __init__(self, bus: EventBus, previews: PreviewHub, *, max_streams: int = 16,
                 backoff_s: tuple[float, ...] = RESTART_BACKOFF_S, stable_s: float = STABLE_RUN_S) -> None:
        self.bus = bus
        self.previews = previews
        self.max_streams = max_streams
        self.backoff_s = backoff_s
        self.stable_s = stable_s
        self._workers: dict[str, _Worker] = {}
        self._ids = itertools.count(1)
        self._tasks = TaskGroup("supervisor")

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

    async def stop(self, stream_id: str, reason: str = "stopped") -> None:
        w = self._workers.get(stream_id)
        if w is None or w.state in ("stopped", "failed"):
            self._workers.pop(stream_id, None)
            return
        w.stopping = True
        self._set_state(w, "stopping", reason=reason)
        handle = w.handle
        if handle is None or handle.process is None or handle.process.exitcode is not None \
                or not handle.send(("stop",)):
            self._finish(w, "stopped", reason=reason)
            return
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
        if command["type"] == "update_product" and w is not None and w.state == "restarting":
            self._follow_update(w, command)  # no session now; the restart is built with the new facts
            return
        if w is None or w.state not in ("starting", "live") or w.handle is None:
            state = w.state if w else "stopped"
            raise CommandError(f"stream {stream_id} is {state}; start it first")
        cmd_id = next(self._ids)
        fut: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        w.acks[cmd_id] = fut
        if not w.handle.send(("command", cmd_id, command)):
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
        if command["type"] == "update_product":
            self._follow_update(w, command)

    @staticmethod
    def _follow_update(w: _Worker, command: dict[str, Any]) -> None:
        """A worker that crashes later restarts from its spec: keep the spec's brief as the session has it."""
        change = UpdateProduct.model_validate({k: v for k, v in command.items() if k != "by"})
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
        alive = w.handle is not None and w.handle.process is not None and w.handle.process.exitcode is None
        return {"state": w.state, "pid": w.handle.pid if alive and w.handle else None, "restarts": w.restarts,
                "run_id": w.run_id, "error": w.fatal}

    def running(self) -> list[str]:
        return [sid for sid, w in self._workers.items() if w.state in RUNNING_STATES | {"stopping"}]

    async def close(self) -> None:
        await asyncio.gather(*(self.stop(sid, "service_stopped") for sid in list(self._workers)),
                             return_exceptions=True)
        await self._tasks.close()

    # --- process lifecycle -----------------------------------------------------------------------------------
    async def _spawn(self, w: _Worker) -> None:
        loop = asyncio.get_running_loop()
        handle: WorkerHandle

        def on_message(msg: tuple) -> None:
            if w.handle is handle:  # ignore stragglers from a previous process of this stream
                self._on_message(w, msg)

        def on_exit(code: int | None) -> None:
            if w.handle is handle:
                self._on_exit(w, code)

        handle = WorkerHandle(w.stream_id, w.spec.model_dump_json(), loop, on_message, on_exit)
        w.handle = handle
        w.exited = asyncio.Event()
        w.live_since = None
        try:
            await asyncio.to_thread(handle.start)
        except OSError as e:  # out of processes or memory: count it like a crash
            log.error("cannot start a worker for %s: %s", w.stream_id, e)
            w.handle = None
            self._on_exit(w, None, error=str(e))
            return
        if w.stopping:  # stop() came while the process was starting
            handle.send(("stop",))

    def _on_message(self, w: _Worker, msg: tuple) -> None:
        kind = msg[0]
        if kind == "preview":
            self.previews.put(w.stream_id, msg[1], msg[2])
        elif kind == "event":
            self.bus.publish({**msg[1], "stream": w.stream_id, "run": w.run_id})
        elif kind == "health":
            w.health = msg[1]
            self.bus.publish({"type": "health", **msg[1], "stream": w.stream_id, "run": w.run_id,
                              "at": time.time()})
        elif kind == "ack":
            fut = w.acks.pop(msg[1], None)
            if fut is not None and not fut.done():
                fut.set_result(msg[2])
        elif kind == "ready":
            w.live_since = time.monotonic()
            self._set_state(w, "live", first_frame_ms=round((w.live_since - w.requested_at) * 1000, 1),
                            startup_ms=msg[1].get("startup_ms"), pid=w.handle.pid if w.handle else None)
        elif kind == "fatal":
            w.fatal = str(msg[1])

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
