"""The recorder: turns bus events into rows. Transcript lines (every sentence said, for compliance, a note for
every operator override of the reply guard and one for every change of a product's facts), comments and their
decisions, the checkpoint (product, recent lines), the run history (first frame, restarts, failures) and the script
blocks a model wrote (handed back to the stream when it starts again).

Events are written in batches from a worker thread: a burst of events costs one transaction, and the event loop
never waits on the database.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from .bus import Event, EventBus
from .product_update import update_note
from .storage import Store

log = logging.getLogger(__name__)

RECORDED = ("speech_end", "comment", "decision", "product", "state", "override", "product_update", "block_written")
BATCH_MAX = 200
Op = tuple[str, dict[str, Any]]


def _when(event: Event) -> datetime:
    return datetime.fromtimestamp(float(event.get("at") or 0) or datetime.now(UTC).timestamp(), UTC)


def ops_for(event: Event) -> list[Op]:
    """The rows one event becomes (pure: easy to test)."""
    kind, stream, run = event.get("type"), event["stream"], event.get("run")
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
    if kind == "state" and run is not None:
        state = event.get("state")
        if state == "live":
            return [("first_frame", {"run_id": run, "at": at})]
        if state == "restarting":
            return [("restart", {"run_id": run, "error": event.get("error")})]
        if state == "failed":
            return [("close_run", {"run_id": run, "at": at, "reason": "failed", "error": event.get("error")})]
    return []


class Recorder:
    def __init__(self, store: Store, bus: EventBus) -> None:
        self.store = store
        self._sub = bus.subscribe(types=RECORDED, maxsize=10_000)
        self.written = 0

    async def run(self) -> None:
        try:
            while True:
                ops = ops_for(await self._sub.get())
                while len(ops) < BATCH_MAX and not self._sub.queue.empty():
                    ops += ops_for(self._sub.queue.get_nowait())
                if ops:
                    await self._write(ops)
        finally:
            self._sub.close()

    async def flush(self) -> None:
        """Write whatever is queued (at shutdown, after the workers stopped)."""
        ops: list[Op] = []
        while not self._sub.queue.empty():
            ops += ops_for(self._sub.queue.get_nowait())
        if ops:
            await self._write(ops)

    async def _write(self, ops: list[Op]) -> None:
        try:
            await asyncio.to_thread(self.store.write_batch, ops)
            self.written += len(ops)
        except Exception:  # a database hiccup must not stop the recorder; the batch is lost, logged
            log.exception("could not record %d rows", len(ops))
