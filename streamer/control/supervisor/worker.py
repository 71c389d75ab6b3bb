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
import queue
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from ...brief import parse_brief
from ...errors import StreamerError
from ...media.encoder import VideoSettings
from ...media.outputs import open_output
from ...planner import script_lines
from ...scene import SceneRenderer
from ...session import Session
from ...tts import SAMPLE_RATE, create_tts
from .preview_tap import PreviewTap
from .protocol import EXIT_FATAL, WorkerSpec
from .replies import CommentHandler

log = logging.getLogger("streamer.worker")

HEALTH_EVERY_S = 1.0
OUTBOX_MESSAGES = 256
DEFAULT_BITRATE_PER_PIXEL = 2_500_000 / (1280 * 720)


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


def build_session(spec: WorkerSpec, outbox: Outbox, on_event: Any, ready: Any) -> Session:
    """The session exactly as ``streamer run`` builds it, plus the preview tap. Raises StreamerError."""
    brief = parse_brief(spec.brief, f"stream {spec.stream_id}")
    s = spec.settings
    bitrate = s.bitrate or int(DEFAULT_BITRATE_PER_PIXEL * s.width * s.height)
    # one x264 thread per stream: streams run side by side, and sliced threads only add contention
    video = VideoSettings(s.width, s.height, s.fps, bitrate, s.preset, threads=1)
    tts = create_tts(s.voice, brief.language)
    renderer = SceneRenderer(brief, (s.width, s.height), s.fps, avatar=s.avatar)
    urls = [*s.outputs, *([spec.record_path] if spec.record_path else [])]
    outputs = [open_output(u) for u in urls]
    tap = PreviewTap(s.fps, spec.preview_fps, spec.preview_width, outbox.send, ready)
    return Session(brief, script_lines(brief, seed=s.seed), tts, renderer, outputs, video, realtime=True,
                   on_event=on_event, taps=[tap])


async def _serve(spec: WorkerSpec, conn: Connection, outbox: Outbox) -> None:
    loop = asyncio.get_running_loop()
    t_start = time.monotonic()

    product: dict[str, str | None] = {"id": None}
    comments: CommentHandler | None = None

    def emit(event: dict[str, Any]) -> None:
        # speech_end carries no product; the transcript wants it, so it is taken from the matching speech_start
        if event["type"] == "speech_start":
            product["id"] = event.get("product_id")
        elif event["type"] == "speech_end":
            event = {"product_id": product["id"], **event}
        if comments is not None:
            comments.on_event(event)
        outbox.send(("event", {**event, "at": time.time()}))

    def ready() -> None:  # encode thread
        outbox.send(("ready", {"startup_ms": round((time.monotonic() - t_start) * 1000, 1)}))

    session = build_session(spec, outbox, emit, ready)
    if spec.start_product:
        try:
            session.switch_product(spec.start_product)
        except StreamerError:
            log.warning("checkpoint product %r is not in the brief any more", spec.start_product)
    comments = CommentHandler(session.brief, lambda text: session.say(text, source="reply"), emit)
    comments.on_event({"type": "product", "product_id": session.health()["product_id"]})

    def dispatch(msg: tuple) -> None:
        if msg[0] == "stop":
            session.stop()
            return
        _, cmd_id, command = msg
        try:
            _apply(session, comments, cmd_id, command)
        except StreamerError as e:
            outbox.send(("ack", cmd_id, str(e)))
        else:
            outbox.send(("ack", cmd_id, None))

    inbox = threading.Thread(target=_read_inbox, args=(conn, loop, dispatch, session.stop), name="worker-inbox",
                             daemon=True)
    inbox.start()
    tasks = [asyncio.create_task(comments.run(), name="worker:comments"),
             asyncio.create_task(_report_health(session, comments, outbox), name="worker:health")]
    try:
        await session.run()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _apply(session: Session, comments: CommentHandler, cmd_id: int, command: dict[str, Any]) -> None:
    kind = command["type"]
    if kind == "say":
        session.say(command["text"], urgent=bool(command.get("urgent")), source="say")
    elif kind == "interrupt":
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


async def _report_health(session: Session, comments: CommentHandler, outbox: Outbox) -> None:
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
        })
        last_frames, last_t = frames, now
        outbox.send(("health", h))
