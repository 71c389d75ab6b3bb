"""Fault matrix, database rows: SQLite locked by another connection and PostgreSQL restarted while a stream is live.

What must hold: the stream stays live; the recorder keeps what it could not write and writes it, in order and each
row once, when the database answers again; an ``alert`` (kind ``database``) says when writes have failed for a few
seconds and when they recovered. The served tests drive ``streamer serve`` (LiveServer) and read the rows back; the
recorder tests use a real Store on SQLite for what a served stream cannot make happen on demand.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from faults import figure, scale
from postgres_server import PostgresServer
from sqlalchemy.exc import OperationalError
from test_control_support import LiveServer, wait_for
from ws_events import EventLog, event_log

from streamer.control.bus import EventBus
from streamer.control.recorder import ALERT_AFTER_S, Recorder
from streamer.control.storage import Store, open_database
from streamer.control.storage.db import SQLITE_BUSY_TIMEOUT_S

COMMENT_EVERY_S = 0.5
LIVE_S = 2.0  # of comments before and after the fault
ROWS_TIMEOUT_S = 30


def _ours(sid: str, kind: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["type"] == kind and e.get("stream") == sid


def _db_alert(state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["type"] == "alert" and e.get("kind") == "database" and e.get("state") == state


class Viewer:
    """Comments over /ws, each with an id, so the test knows every comment the stream took."""

    def __init__(self, log: EventLog, sid: str) -> None:
        self.log, self.sid, self.sent = log, sid, 0

    async def comment(self) -> None:
        await self.log.send({"type": "comment", "id": f"c{self.sent}", "stream": self.sid, "user": "kim",
                             "text": f"hello from viewer {self.sent}"})
        self.sent += 1

    async def comment_for(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            await self.comment()
            await asyncio.sleep(COMMENT_EVERY_S)

    async def refs(self) -> list[str]:
        """The refs the stream gave the comments that were taken (a comment refused with an error has none)."""
        done = [await self.log.until(lambda e, i=i: e.get("id") == f"c{i}" and e["type"] in ("result", "error"),
                                     20, f"the result of comment c{i}") for i in range(self.sent)]
        return [d["ref"] for d in done if d["type"] == "result"]


async def _ride_out(server: LiveServer, fault_begin: Callable[[], None], fault_end: Callable[[], None],
                    fault_s: float, *, comment_during: bool) -> dict[str, Any]:
    """A live stream, comments, the fault for ``fault_s`` (held until the failing alert came), comments again,
    stop; then what was heard over /ws and what is in the database."""
    sid = server.create_stream("fault room")
    async with event_log(server) as log:
        viewer = Viewer(log, sid)
        await asyncio.to_thread(server.start_live, sid)
        await log.until(_ours(sid, "speech_end"), 30, "a first line said")
        await viewer.comment_for(LIVE_S)
        before = len(log.events)
        late_before = log.seen(_ours(sid, "health"))[-1]["late_frames"]
        fault_begin()
        began_mono, began = time.monotonic(), time.time()
        try:
            waiting = 0
            while time.monotonic() - began_mono < fault_s:
                if comment_during:
                    await viewer.comment()
                waiting = max(waiting, server.services.recorder.rows_waiting)
                await asyncio.sleep(COMMENT_EVERY_S)
            failing = await log.until(_db_alert("failing"), 15, "a database alert", after=before)
        finally:
            fault_end()
        ended = time.time()
        recovered = await log.until(_db_alert("recovered"), ROWS_TIMEOUT_S, "the database recovering",
                                    after=before)
        during = [h for h in log.seen(_ours(sid, "health")) if began <= h["at"] <= ended]
        await viewer.comment_for(LIVE_S)
        refs = await viewer.refs()
        state_after = server.state(sid)
        late = log.seen(_ours(sid, "health"))[-1]["late_frames"]
        assert server.client.post(f"/api/streams/{sid}/stop").status_code == 200
        await asyncio.to_thread(server.wait_state, sid, "stopped")
        recorder = server.services.recorder
        await asyncio.to_thread(wait_for, lambda: recorder.rows_waiting == 0, ROWS_TIMEOUT_S, "the backlog written")
        said = [(e["text"], e["t"]) for e in log.seen(_ours(sid, "speech_end"))]
    store = server.services.store
    return {"sid": sid, "failing": failing, "recovered": recovered, "during": during, "state_after": state_after,
            "late_frames": late, "late_because": late - late_before,
            "rows_buffered": max(waiting, failing["rows_waiting"]),
            "drain_s": round(recovered["at"] - ended, 2), "fault_s": round(ended - began, 2), "refs": refs,
            "said": said, "transcript": [(r.text, r.media_t) for r in store.list_transcript(sid, 1000)],
            "comments": store.list_comments(sid, 1000)}


def _rows_lost(got: dict[str, Any]) -> int:
    in_db = {c.ref for c in got["comments"] if c.action is not None}  # the comment and its decision
    return len(set(got["said"]) - set(got["transcript"])) + len(set(got["refs"]) - in_db)


async def test_a_stream_rides_out_an_sqlite_lock_longer_than_the_busy_timeout(tmp_path: Path) -> None:
    lock_s = (SQLITE_BUSY_TIMEOUT_S + ALERT_AFTER_S) * scale()
    holder = sqlite3.connect(tmp_path / "control.db", timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None)
    with LiveServer(tmp_path) as server:
        got = await _ride_out(server, lambda: holder.execute("BEGIN EXCLUSIVE"),
                              lambda: holder.execute("ROLLBACK"), lock_s, comment_during=True)
    holder.close()

    assert got["failing"]["rows_waiting"] > 0
    assert got["state_after"] == "live" and got["late_because"] == 0  # a loaded CI may be late before the fault
    assert got["during"] and got["during"][-1]["frames"] > got["during"][0]["frames"]  # on air while locked
    assert got["transcript"] == got["said"]  # every line said, once each, in order
    assert [c.ref for c in got["comments"]] == got["refs"] and all(c.action for c in got["comments"])
    figure("sqlite_locked", lock_s=got["fault_s"], rows_buffered=got["rows_buffered"], drain_s=got["drain_s"],
           rows_lost=_rows_lost(got), rows_written=len(got["transcript"]) + len(got["comments"]),
           late_frames=got["late_frames"], late_frames_during=got["late_because"])


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    try:
        server.start()
        yield server
    finally:
        server.remove()


async def test_a_stream_rides_out_a_postgresql_restart(tmp_path: Path, postgres: PostgresServer) -> None:
    down_s = (ALERT_AFTER_S + 2) * scale()
    with LiveServer(tmp_path, db_url=postgres.url) as server:
        # /ws looks the stream up in the database before it takes a command: no comments while it is down
        got = await _ride_out(server, lambda: postgres.stop("fast"), postgres.start, down_s, comment_during=False)

    assert got["failing"]["rows_waiting"] > 0
    assert got["state_after"] == "live" and got["late_because"] == 0  # a loaded CI may be late before the fault
    assert got["during"] and got["during"][-1]["frames"] > got["during"][0]["frames"]  # on air while it was down
    assert got["transcript"] == got["said"]
    assert [c.ref for c in got["comments"]] == got["refs"] and all(c.action for c in got["comments"])
    figure("postgres_restarted", down_s=got["fault_s"], rows_buffered=got["rows_buffered"], drain_s=got["drain_s"],
           rows_lost=_rows_lost(got), rows_written=len(got["transcript"]) + len(got["comments"]),
           late_frames=got["late_frames"], late_frames_during=got["late_because"])


# --- the recorder on a real Store -------------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    engine = open_database(f"sqlite:///{tmp_path / 'r.db'}")
    s = Store(engine)
    s.create_stream("s1", "room", {}, {})
    yield s
    engine.dispose()


def _comment(i: int, stream: str = "s1") -> dict[str, Any]:
    return {"type": "comment", "stream": stream, "run": None, "at": time.time(), "ref": f"r{i}", "text": f"c{i}"}


@asynccontextmanager
async def recording(recorder: Recorder) -> AsyncIterator[None]:
    task = asyncio.create_task(recorder.run(), name="test:recorder")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def written(recorder: Recorder, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + ROWS_TIMEOUT_S
    while not check():
        assert time.monotonic() < deadline, f"recorder stuck: {recorder.backlog()}"
        await asyncio.sleep(0.05)


async def test_a_lock_shorter_than_the_busy_timeout_is_waited_out_without_a_failure(store: Store,
                                                                                     tmp_path: Path) -> None:
    bus = EventBus()
    recorder = Recorder(store, bus)
    holder = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    for i in range(5):
        bus.publish(_comment(i))
    async with recording(recorder):
        await asyncio.sleep(SQLITE_BUSY_TIMEOUT_S / 4)
        assert recorder.rows_waiting == 5  # the batch waits on the lock
        holder.execute("ROLLBACK")
        holder.close()
        await written(recorder, lambda: recorder.written == 5)

    assert recorder.write_failures == 0
    assert [c.ref for c in store.list_comments("s1")] == [f"r{i}" for i in range(5)]


async def test_a_write_left_unanswered_raises_the_alert_before_the_driver_gives_up(store: Store,
                                                                                  tmp_path: Path) -> None:
    bus = EventBus()
    alerts = bus.subscribe(types=("alert",))
    recorder = Recorder(store, bus, alert_after_s=0.5)
    holder = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # the write waits up to the busy timeout before it fails
    bus.publish(_comment(0))
    async with recording(recorder):
        failing = await asyncio.wait_for(alerts.get(), SQLITE_BUSY_TIMEOUT_S / 2)
        failures_then = recorder.write_failures
        holder.execute("ROLLBACK")
        holder.close()
        recovered = await asyncio.wait_for(alerts.get(), ROWS_TIMEOUT_S)

    assert (failing["kind"], failing["state"], failing["rows_waiting"], failures_then) == ("database", "failing", 1, 0)
    assert recovered["state"] == "recovered" and recovered["rows_waiting"] == 0
    assert [c.ref for c in store.list_comments("s1")] == ["r0"]


async def test_a_full_backlog_drops_the_oldest_rows_and_counts_them(store: Store) -> None:
    bus = EventBus()
    recorder = Recorder(store, bus, buffer_max_rows=10)
    for i in range(25):  # all waiting at once, as after a long outage
        bus.publish(_comment(i))
    async with recording(recorder):
        await written(recorder, lambda: recorder.written == 10)

    assert recorder.backlog()["rows_dropped"] == 15
    assert [c.ref for c in store.list_comments("s1")] == [f"r{i}" for i in range(15, 25)]  # the newest


async def test_a_row_the_database_refuses_is_dropped_alone_and_the_rest_of_its_batch_written(store: Store) -> None:
    bus = EventBus()
    recorder = Recorder(store, bus)
    events = [_comment(0), _comment(1, stream="deleted-stream"), _comment(2)]  # no such stream: a foreign key
    for e in events:
        bus.publish(e)
    async with recording(recorder):
        await written(recorder, lambda: recorder.rows_waiting == 0 and recorder.written == 2)

    assert recorder.backlog()["rows_rejected"] == 1 and recorder.write_failures == 0
    assert [c.ref for c in store.list_comments("s1")] == ["r0", "r2"]


async def test_a_batch_whose_commit_answer_was_lost_is_not_written_again(store: Store) -> None:
    bus = EventBus()
    recorder = Recorder(store, bus, backoff_s=(0.05,))
    write = store.write_batch
    lost = {"answers": 1}

    def commit_then_drop(ops: list[tuple[str, dict[str, Any]]], batch_id: str | None = None) -> bool:
        written = write(ops, batch_id)
        if lost["answers"]:  # the COMMIT went through; the connection died before the client heard it
            lost["answers"] -= 1
            raise OperationalError("COMMIT", {}, ConnectionResetError("server closed the connection unexpectedly"))
        return written

    store.write_batch = commit_then_drop  # type: ignore[method-assign]
    for i in range(3):
        bus.publish(_comment(i))
    async with recording(recorder):
        await written(recorder, lambda: recorder.written == 3)

    assert recorder.write_failures == 1
    assert [c.ref for c in store.list_comments("s1")] == ["r0", "r1", "r2"]
