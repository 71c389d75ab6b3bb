"""The recorder: turns bus events into rows. Transcript lines (every sentence said, for compliance, a note for
every operator override of the reply guard and one for every change of a product's facts), comments and their
decisions, the checkpoint (product, recent lines), the run history (first frame, restarts, failures, a recording
that stopped) and the script blocks a model wrote (handed back to the stream when it starts again).

Events are written in batches from a worker thread: a burst of events costs one transaction, and the event loop
never waits on the database. A database that fails (locked, refusing connections, restarting) loses nothing: the
batch is kept and retried with backoff, in order, while new rows wait behind it, and each batch carries an id
written in its own transaction, so a retry after an unclear failure (the connection dropped during COMMIT) never
writes a row twice. Up to ``BUFFER_MAX_ROWS`` rows wait; past that the *oldest* waiting rows are dropped and
counted, because the newest ones (the checkpoint a restarted stream resumes from, the run's state) matter most and
memory must stay bounded whatever the outage. A row the database refuses for itself (not an outage: its stream was
deleted) is dropped alone, counted as rejected, and the rest of its batch is written.

When writes have failed (or waited unanswered) for ``ALERT_AFTER_S`` the recorder publishes ``{"type": "alert",
"kind": "database", "state": "failing", ...}`` on the bus, and ``"state": "recovered"`` once the backlog is
written; ``backlog()`` gives the figures (rows waiting, written, dropped, rejected, last error, failing since) to
health and metrics.

``on_recorded`` (set by the service) hears each event once every row of it and of all events before it is written
(or dropped): the supervisor notes a worker's event as heard only then, so a service killed with rows still queued
here has the worker replay those events to the next one.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exc as sa_exc

from .bus import Event, EventBus
from .product_update import update_note
from .storage import Store

log = logging.getLogger(__name__)

RECORDED = ("speech_end", "comment", "decision", "product", "state", "override", "product_update", "block_written",
            "alert")
BATCH_MAX = 200
BUFFER_MAX_ROWS = 100_000  # rows held while the database is down: hours of events for dozens of streams
RETRY_BACKOFF_S = (0.1, 0.25, 0.5, 1.0, 2.0)  # then every 2 s: a recovered database is written within 2 s
ALERT_AFTER_S = 3.0  # a lock or a restart shorter than this is not worth waking anyone
FLUSH_TIMEOUT_S = 10.0  # at shutdown: how long the backlog may take to reach the database
ERROR_CHARS = 300
Op = tuple[str, dict[str, Any]]

# what a database outage raises (locked, refused, restarted, timed out); anything else is about the rows
_TRANSIENT = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError)


def _when(event: Event) -> datetime:
    return datetime.fromtimestamp(float(event.get("at") or 0) or datetime.now(UTC).timestamp(), UTC)


def ops_for(event: Event) -> list[Op]:
    """The rows one event becomes (pure: easy to test)."""
    kind, stream, run = event.get("type"), event.get("stream"), event.get("run")
    at = _when(event)
    if kind == "speech_end":
        line = {"text": event.get("text", ""), "source": event.get("source", "script"), "at": at.isoformat()}
        return [("transcript", {"stream_id": stream, "run_id": run, "said_at": at, "media_t": event.get("t", 0.0),
                                "played_s": event.get("played_s", 0.0), "complete": bool(event.get("complete", True)),
                                "source": event.get("source", "script"), "product_id": event.get("product_id"),
                                "text": event.get("text", "")}),
                ("checkpoint", {"stream_id": stream, "line": line, "at": at})]
    if kind == "override":
        # a note row (source "override") just before the line is said (source "say"): who forced what, over what
        problems = "; ".join(event.get("problems") or [])
        note = f"forced {event.get('command', 'say')} by {event.get('by') or 'unknown'}: {event.get('text', '')!r} " \
               f"(guard: {problems})"
        return [("transcript", {"stream_id": stream, "run_id": run, "said_at": at, "media_t": 0.0, "played_s": 0.0,
                                "complete": True, "source": "override", "product_id": event.get("product_id"),
                                "text": note})]
    if kind == "product_update":
        # a note row (source "update"): which facts changed, from what to what, and who changed them
        text = update_note(event.get("product_id", ""), event.get("changes") or {}, event.get("by"))
        return [("transcript", {"stream_id": stream, "run_id": run, "said_at": at, "media_t": event.get("t", 0.0),
                                "played_s": 0.0, "complete": True, "source": "update",
                                "product_id": event.get("product_id"), "text": text})]
    if kind == "comment":
        return [("comment", {"stream_id": stream, "run_id": run, "received_at": at, "ref": event["ref"],
                             "platform": event.get("platform", "api"), "user": event.get("user", ""),
                             "text": event.get("text", "")})]
    if kind == "decision":
        return [("decision", {"ref": event["ref"], "intent": event.get("intent"), "action": event.get("action"),
                              "reply": event.get("text") or None, "latency_ms": event.get("latency_ms")})]
    if kind == "block_written":
        return [("written_block", {"stream_id": stream, "product_id": event.get("product_id", ""),
                                   "facts": event.get("facts", ""), "segments": event.get("segments") or [],
                                   "at": at})]
    if kind == "product":
        return [("checkpoint", {"stream_id": stream, "product_id": event.get("product_id"), "at": at})]
    if kind == "alert" and event.get("kind") == "recording" and run is not None:
        # the run's history says why its recording file ends early
        return [("run_error", {"run_id": run, "error": f"recording {event.get('path')} stopped: "
                                                      f"{event.get('error')}"})]
    if kind == "state" and run is not None:
        state = event.get("state")
        if state == "live":
            return [("first_frame", {"run_id": run, "at": at})]
        if state == "restarting":
            return [("restart", {"run_id": run, "error": event.get("error")})]
        if state == "failed":
            return [("close_run", {"run_id": run, "at": at, "reason": "failed", "error": event.get("error")})]
    return []


def is_outage(e: BaseException) -> bool:
    """The database is unreachable or busy (retry the same batch), not refusing these rows."""
    return isinstance(e, _TRANSIENT) or (isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated)


def _describe(e: BaseException) -> str:
    # the driver's own message, first line: SQLAlchemy's str() appends the statement and its parameters
    orig = getattr(e, "orig", None) or e
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return f"{type(orig).__name__}: {text}"[:ERROR_CHARS]


@dataclass(slots=True)
class _Batch:
    """Rows taken for one transaction. Fixed once tried: a retry writes exactly these, under the same id."""

    id: str
    ops: list[Op]
    one_by_one: bool = False  # the database refused the batch itself: write its rows alone, skip refused ones
    done: int = 0  # rows handled so far when one by one
    rejected: int = 0  # rows the database refused, when one by one

    @property
    def left(self) -> int:
        return len(self.ops) - self.done


class Recorder:
    def __init__(self, store: Store, bus: EventBus, *, buffer_max_rows: int = BUFFER_MAX_ROWS,
                 alert_after_s: float = ALERT_AFTER_S, backoff_s: tuple[float, ...] = RETRY_BACKOFF_S) -> None:
        self.store = store
        self.bus = bus
        self._sub = bus.subscribe(types=RECORDED, maxsize=10_000)
        self._buffer_max = buffer_max_rows
        self._alert_after_s = alert_after_s
        self._backoff_s = backoff_s
        self._pending: deque[Op] = deque()
        self._batch: _Batch | None = None
        self._wake = asyncio.Event()
        self._writing = asyncio.Lock()
        self.on_recorded: Callable[[Event], None] | None = None
        self._marks: deque[tuple[int, Event]] = deque()  # (rows taken once the event's are, the event)
        self._taken = 0  # rows ever taken from events
        self._settled = 0  # rows ever written, rejected or dropped: the first ``_settled`` of those taken
        self.written = 0
        self.dropped = 0
        self.rejected = 0
        self.write_failures = 0  # failed attempts, all outages together
        self._failures = 0  # consecutive failed attempts
        self._failing_since: float | None = None  # wall time of the first failure of this outage
        self._failing_mono = 0.0
        self._alerted = False
        self._last_error = ""

    # --- what health and metrics read ------------------------------------------------------------------------
    def backlog(self) -> dict[str, Any]:
        """Rows waiting for the database, and whether (and since when) it is failing."""
        failing_s = time.monotonic() - self._failing_mono if self._failing_since is not None else 0.0
        return {"rows_waiting": self.rows_waiting, "rows_written": self.written, "rows_dropped": self.dropped,
                "rows_rejected": self.rejected, "write_failures": self.write_failures,
                "failing": self._failing_since is not None,
                "failing_since": self._failing_since, "failing_s": round(failing_s, 1), "last_error": self._last_error}

    @property
    def rows_waiting(self) -> int:
        return len(self._pending) + (self._batch.left if self._batch is not None else 0)

    # --- running -----------------------------------------------------------------------------------------------
    async def run(self) -> None:
        writer = asyncio.create_task(self._write_when_woken(), name="recorder:writer")
        try:
            while True:
                self._take(await self._sub.get())
                while not self._sub.queue.empty():
                    self._take(self._sub.queue.get_nowait())
                self._wake.set()
        finally:
            writer.cancel()
            try:
                await writer
            except asyncio.CancelledError:
                if not writer.cancelled():
                    raise
            finally:
                self._sub.close()

    async def flush(self, timeout_s: float = FLUSH_TIMEOUT_S) -> bool:
        """Write whatever is queued or waiting (at shutdown, after the workers stopped). False if the database did
        not take it all within ``timeout_s`` (what is left is logged: it is lost with the process)."""
        while not self._sub.queue.empty():
            self._take(self._sub.queue.get_nowait())
        try:
            await asyncio.wait_for(self._write_all(), timeout_s)
        except TimeoutError:
            log.error("database still failing at shutdown (%s): %d rows not recorded", self._last_error,
                      self.rows_waiting)
            return False
        return True

    def _take(self, event: Event) -> None:
        ops = ops_for(event)
        self._pending.extend(ops)
        self._taken += len(ops)
        if self.on_recorded is not None:
            self._marks.append((self._taken, event))
        over = len(self._pending) - self._buffer_max
        if over > 0:
            for _ in range(over):
                self._pending.popleft()
            if self.dropped // 10_000 != (self.dropped + over) // 10_000 or not self.dropped:
                log.error("recorder backlog full (%d rows): dropping the oldest, %d so far", self._buffer_max,
                          self.dropped + over)
            self.dropped += over
            self._settled += over
        self._settle()

    def _settle(self) -> None:
        """Tell ``on_recorded`` about the events whose rows (and all rows before them) are settled, in order."""
        while self._marks and self._marks[0][0] <= self._settled:
            event = self._marks.popleft()[1]
            if self.on_recorded is not None:
                self.on_recorded(event)

    async def _write_when_woken(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._write_all()

    async def _write_all(self) -> None:
        async with self._writing:
            while self._batch is not None or self._pending:
                if self._batch is None:
                    ops = [self._pending.popleft() for _ in range(min(BATCH_MAX, len(self._pending)))]
                    self._batch = _Batch(uuid.uuid4().hex, ops)
                batch = self._batch
                tried_at, tried_mono = time.time(), time.monotonic()
                attempt = asyncio.ensure_future(asyncio.to_thread(self._write, batch))
                try:
                    if not (await asyncio.wait({attempt}, timeout=self._alert_after_s))[0]:
                        self._unanswered(tried_at, tried_mono)
                    await attempt
                except asyncio.CancelledError:
                    attempt.cancel()  # the thread finishes its transaction; a later retry finds its id and skips it
                    raise
                except Exception as e:
                    if not is_outage(e) and not batch.one_by_one:
                        log.warning("database refused a batch of %d rows (%s); writing them one by one",
                                    len(batch.ops), _describe(e))
                        batch.one_by_one = True
                        continue
                    await self._failed(e, tried_at, tried_mono)
                    continue
                self.written += len(batch.ops) - batch.rejected
                self._settled += len(batch.ops)
                self._batch = None
                self._settle()
                self._recovered()

    def _write(self, batch: _Batch) -> None:
        """In a worker thread: the batch in one transaction, or its rows one by one (each once, by its own id)."""
        if not batch.one_by_one:
            self.store.write_batch(batch.ops, batch.id)
            return
        while batch.done < len(batch.ops):
            kind, data = batch.ops[batch.done]
            try:
                self.store.write_batch([(kind, data)], f"{batch.id}.{batch.done}")
            except Exception as e:
                if is_outage(e):
                    raise
                log.error("database refused a %s row, dropped: %s", kind, _describe(e))
                batch.rejected += 1
                self.rejected += 1
            batch.done += 1

    def _unanswered(self, tried_at: float, tried_mono: float) -> None:
        """A write has waited ``alert_after_s`` for the database (a lock, a server that does not answer): that is
        an outage too, even before the driver gives up."""
        if self._failing_since is None:
            self._failing_since, self._failing_mono = tried_at, tried_mono
            self._last_error = f"no answer from the database for {self._alert_after_s:.0f} s"
        if not self._alerted:
            self._alerted = True
            log.error("database not answering for %.0f s: %d rows waiting", self._alert_after_s, self.rows_waiting)
            self._alert("failing")

    async def _failed(self, e: BaseException, tried_at: float, tried_mono: float) -> None:
        """A write failed: count it, alert once the outage is ``alert_after_s`` old (counted from the start of the
        first failed attempt: an SQLite lock fails only after the busy timeout), then back off."""
        self._last_error = _describe(e)
        self.write_failures += 1
        if self._failing_since is None:
            self._failing_since, self._failing_mono = tried_at, tried_mono
            log.warning("database write failed, keeping %d rows to retry: %s", self.rows_waiting, self._last_error)
        if not self._alerted and time.monotonic() - self._failing_mono >= self._alert_after_s:
            self._alerted = True
            log.error("database failing for %.0f s: %d rows waiting", time.monotonic() - self._failing_mono,
                      self.rows_waiting)
            self._alert("failing")
        delay = self._backoff_s[min(self._failures, len(self._backoff_s) - 1)]
        self._failures += 1
        await asyncio.sleep(delay)

    def _recovered(self) -> None:
        self._failures = 0
        if self._failing_since is None or self.rows_waiting:
            return  # still catching up: recovered once the backlog is written
        if self._alerted:
            log.warning("database writable again after %.1f s; backlog written", time.monotonic() - self._failing_mono)
            self._alert("recovered")
        self._failing_since, self._alerted, self._last_error = None, False, ""

    def _alert(self, state: str) -> None:
        self.bus.publish({"type": "alert", "kind": "database", "state": state, "at": time.time(),
                          **self.backlog()})
