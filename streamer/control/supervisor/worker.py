"""The worker process: one live session per OS process, driven over a pipe by the supervisor.

Started with multiprocessing's *spawn* (a fresh interpreter: no inherited locks, threads or sockets from the
service). A crash here (segfault in a codec, out of memory, a bug) ends only this process; the supervisor restarts
it. When the pipe closes (the service died) the session stops and flushes its outputs, so no orphan keeps
streaming.

Threads: the event loop runs the session; an *inbox* thread blocks on the pipe and hands commands to the loop; an
*outbox* thread sends, so neither the loop nor the encode thread ever waits on the parent.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Coroutine
from multiprocessing.connection import Connection
from typing import Any

from ...brief import Brief, parse_brief
from ...errors import ConfigError, StreamerError
from ...planner.timing import CLOCK_ENV, show_start
from ...session_builder import Assembly, SessionSettings, assemble
from ...tts import SAMPLE_RATE
from ..product_update import InvalidUpdate, UnknownProduct, changed_facts, updated_brief
from ..schemas import UpdateProduct
from .preview_tap import PreviewTap
from .protocol import EXIT_FATAL, WorkerSpec

log = logging.getLogger("streamer.worker")

HEALTH_EVERY_S = 1.0
OUTBOX_MESSAGES = 256


class Outbox:
    """Messages to the parent, sent from one thread. Previews are dropped when it is behind; nothing else is."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._queue: queue.Queue[tuple | None] = queue.Queue(OUTBOX_MESSAGES)
        self._thread = threading.Thread(target=self._pump, name="worker-outbox", daemon=True)
        self._thread.start()
        self.dropped_previews = 0

    def send(self, msg: tuple) -> None:
        if msg[0] == "preview":
            try:
                self._queue.put_nowait(msg)
            except queue.Full:
                self.dropped_previews += 1
            return
        self._queue.put(msg)

    def close(self, timeout_s: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout_s)

    def _pump(self) -> None:
        while (msg := self._queue.get()) is not None:
            try:
                self._conn.send(msg)
            except (BrokenPipeError, OSError):
                return  # parent gone; the inbox sees EOF and stops the session


def main(spec_json: str, conn: Connection) -> None:
    """Process entry point (must be importable: spawn pickles it by name)."""
    spec = WorkerSpec.model_validate_json(spec_json)
    logging.basicConfig(level=spec.log_level, stream=sys.stderr,
                        format=f"%(asctime)s %(levelname)s [{spec.stream_id}] %(name)s: %(message)s")
    # Ctrl-C in a terminal reaches the whole process group; the service decides when workers stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    outbox = Outbox(conn)
    code = 0
    try:
        asyncio.run(_serve(spec, conn, outbox))
    except StreamerError as e:
        log.error("cannot start: %s", e)
        outbox.send(("fatal", str(e)))
        code = EXIT_FATAL
    finally:
        outbox.close()
        conn.close()
    sys.exit(code)


def session_settings(spec: WorkerSpec, brief: Brief) -> SessionSettings:
    """The stream's settings as the session builder takes them (``streamer run`` builds the same model)."""
    s = spec.settings
    product = spec.start_product
    if product is not None and product not in {p.id for p in brief.products}:
        log.warning("checkpoint product %r is not in the brief any more", product)
        product = None
    try:  # a live show speaks of the time of day: the real clock, in the stream's zone
        start = show_start(spec.tz, os.environ.get(CLOCK_ENV))
    except ValueError as e:
        raise ConfigError(f"{CLOCK_ENV}: {e}") from None
    # one x264 thread per stream: streams run side by side, and sliced threads only add contention
    return SessionSettings(voice=s.voice, avatar=s.avatar, width=s.width, height=s.height, fps=s.fps,
                           bitrate=s.bitrate, preset=s.preset, encoder_threads=1, seed=s.seed,
                           outputs=[*s.outputs, *([spec.record_path] if spec.record_path else [])], realtime=True,
                           product_id=product, llm=s.llm_config(), start=start)


def build_assembly(spec: WorkerSpec, outbox: Outbox, on_event: Any, ready: Any) -> Assembly:
    """The session exactly as ``streamer run`` builds it, plus the preview tap. Raises StreamerError."""
    brief = parse_brief(spec.brief, f"stream {spec.stream_id}")
    tap = PreviewTap(spec.settings.fps, spec.preview_fps, spec.preview_width, outbox.send, ready)
    return assemble(brief, session_settings(spec, brief), on_event=on_event, taps=[tap], blocks=spec.blocks)


async def _serve(spec: WorkerSpec, conn: Connection, outbox: Outbox) -> None:
    loop = asyncio.get_running_loop()
    t_start = time.monotonic()
    product: dict[str, str | None] = {"id": None}

    def emit(event: dict[str, Any]) -> None:
        # speech_end carries no product; the transcript wants it, so it is taken from the matching speech_start
        if event["type"] == "speech_start":
            product["id"] = event.get("product_id")
        elif event["type"] == "speech_end":
            event = {"product_id": product["id"], **event}
        outbox.send(("event", {**event, "at": time.time()}))

    def ready() -> None:  # encode thread
        outbox.send(("ready", {"startup_ms": round((time.monotonic() - t_start) * 1000, 1)}))

    assembly = build_assembly(spec, outbox, emit, ready)
    session = assembly.session
    updates: set[asyncio.Task[None]] = set()

    def dispatch(msg: tuple) -> None:
        if msg[0] == "stop":
            session.stop()
            return
        _, cmd_id, command = msg
        if command["type"] == "update_product":  # part of it runs off the loop: acked once it is applied
            task = loop.create_task(_acked(outbox, cmd_id, _update_product(assembly, emit, command)),
                                    name=f"worker:update_product:{cmd_id}")
            updates.add(task)
            task.add_done_callback(updates.discard)
            return
        try:
            _apply(assembly, emit, cmd_id, command)
        except StreamerError as e:
            outbox.send(("ack", cmd_id, str(e)))
        else:
            outbox.send(("ack", cmd_id, None))

    inbox = threading.Thread(target=_read_inbox, args=(conn, loop, dispatch, session.stop), name="worker-inbox",
                             daemon=True)
    inbox.start()
    health = asyncio.create_task(_report_health(assembly, outbox), name="worker:health")
    try:
        await assembly.run()
    finally:
        for task in (health, *updates):
            task.cancel()
        await asyncio.gather(health, *updates, return_exceptions=True)


def _apply(assembly: Assembly, emit: Any, cmd_id: int, command: dict[str, Any]) -> None:
    session, comments = assembly.session, assembly.replies
    kind = command["type"]
    if kind == "say":
        _say(assembly, emit, command)
    elif kind == "interrupt":
        comments.interrupt()
        session.interrupt()
    elif kind == "switch_product":
        session.switch_product(command["product_id"])
    elif kind == "pause_script":
        session.pause_script()
    elif kind == "resume_script":
        session.resume_script()
    elif kind == "comment":
        comments.offer(command.get("ref") or f"c{cmd_id}", command)
    else:
        raise StreamerError(f"unknown command {kind!r}")


def _say(assembly: Assembly, emit: Any, command: dict[str, Any]) -> None:
    """An operator line passes the reply guard like any reply; ``force`` (checked by the API: operator or admin)
    overrides a refusal, and the override is an ``override`` event the recorder writes into the transcript."""
    text = command["text"]
    problems = assembly.check_line(text)
    if problems and not command.get("force"):
        raise StreamerError(f"say refused: {'; '.join(problems)}")
    if problems:
        log.warning("say forced by %s over: %s", command.get("by") or "?", "; ".join(problems))
        emit({"type": "override", "command": "say", "text": text, "problems": problems, "by": command.get("by")})
    assembly.session.say(text, urgent=bool(command.get("urgent")), source="say")


async def _acked(outbox: Outbox, cmd_id: int, work: Coroutine[Any, Any, None]) -> None:
    try:
        await work
    except StreamerError as e:
        outbox.send(("ack", cmd_id, str(e)))
    else:
        outbox.send(("ack", cmd_id, None))


async def _update_product(assembly: Assembly, emit: Any, command: dict[str, Any]) -> None:
    """New facts for one product, applied to the brief the session runs on (the service checked the stored one;
    they differ when the stored brief was edited since the start). From the next sentence the card, the script
    and the replies use them; the ``product_update`` event comes right after, before any sentence planned from
    them, and the recorder writes it into the transcript."""
    change = UpdateProduct.model_validate({k: v for k, v in command.items() if k != "by"})
    live = assembly.session.brief
    try:
        _, brief = updated_brief(live.model_dump(mode="json"), change)
    except UnknownProduct as e:
        raise StreamerError(f"update_product refused: {e.args[0]}") from None
    except InvalidUpdate as e:
        raise StreamerError(f"update_product refused: {e}") from None
    changes = changed_facts(live.product(change.product_id), brief.product(change.product_id))
    await assembly.update_brief(brief)
    emit({"type": "product_update", "product_id": change.product_id, "changes": changes, "by": command.get("by"),
          "t": assembly.session.stats.samples / SAMPLE_RATE})


def _read_inbox(conn: Connection, loop: asyncio.AbstractEventLoop, dispatch: Any, stop: Any) -> None:
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            # the service is gone: end the stream cleanly rather than stream on unsupervised
            loop.call_soon_threadsafe(stop)
            return
        try:
            loop.call_soon_threadsafe(dispatch, msg)
        except RuntimeError:
            return  # loop closed: the session already ended


async def _report_health(assembly: Assembly, outbox: Outbox) -> None:
    session, comments = assembly.session, assembly.replies
    last_frames, last_t = 0, time.monotonic()
    while True:
        await asyncio.sleep(HEALTH_EVERY_S)
        h: dict[str, Any] = session.health()
        now = time.monotonic()
        frames = int(h["frames"])
        waits = session.stats.reply_wait_s
        h.update({
            "fps_now": round((frames - last_frames) / max(1e-6, now - last_t), 2),
            # audio-master clock: both counters advance together, so this stays near one frame
            "av_offset_ms": round((session.stats.samples / SAMPLE_RATE - frames / session.video.fps) * 1000, 1),
            "comments_pending": comments.pending,
            "responder_ms": comments.last_latency_ms,
            "reply_wait_s": round(waits[-1], 3) if waits else None,
            "previews_dropped": outbox.dropped_previews,
            "llm": assembly.llm_health(),
        })
        last_frames, last_t = frames, now
        outbox.send(("health", h))
