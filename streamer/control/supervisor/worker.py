"""The worker process: one live session per OS process, driven over a Unix socket by whichever service listens.

Started by the supervisor as its own process and session (``python -m streamer.control.supervisor.worker``, the
boot message on stdin: it holds the spec's secrets), so it outlives the service: a crash here (segfault in a codec,
out of memory, a bug) ends only this stream, and the service dying (killed, crashed, restarted for an upgrade) does
not cut it. Without a service it streams on unsupervised for ``orphan_s`` seconds, keeping its events for the next
service (outbox.py), then stops cleanly so nothing streams forever with nobody watching. A service that says hello
in time adopts it. SIGTERM stops it cleanly, like ``stop``.

Threads: the event loop runs the session; the *link* thread accepts the service's connections and hands commands to
the loop; the *outbox* thread sends, so neither the loop nor the encode thread ever waits on the service.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ...brief import Brief, parse_brief
from ...errors import ConfigError, StreamerError
from ...media.feed import FEED_DISPLAY, feed_url
from ...planner.timing import CLOCK_ENV, show_start
from ...session_builder import Assembly, SessionSettings, assemble
from ...tts import SAMPLE_RATE
from ..product_update import InvalidUpdate, UnknownProduct, changed_facts, updated_brief
from . import link
from .outbox import SEND_TIMEOUT_S, Outbox
from .preview_tap import PreviewTap, feed_path
from .protocol import (
    EVENT,
    EXIT_FATAL,
    TO_WORKER,
    Ack,
    CommentCommand,
    Fatal,
    Health,
    Hello,
    InterruptCommand,
    PauseScriptCommand,
    Ready,
    ResumeScriptCommand,
    SayCommand,
    Stop,
    SwitchProductCommand,
    ToWorker,
    UpdateProductCommand,
    WorkerBoot,
    WorkerSpec,
)

log = logging.getLogger("streamer.worker")

HEALTH_EVERY_S = 1.0
FIRST_HELLO_S = 30.0  # the service that started us connects within this, or we exit
HELLO_TIMEOUT_S = 5.0


def main() -> None:
    boot = WorkerBoot.model_validate_json(sys.stdin.buffer.read())
    spec = boot.spec
    logging.basicConfig(level=spec.log_level, stream=sys.stderr,
                        format=f"%(asctime)s %(levelname)s [{spec.stream_id}] %(name)s: %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the service decides when workers stop
    listener = link.listen(Path(boot.socket))
    try:
        code = asyncio.run(_serve(boot, listener))
    finally:
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the link thread's accept
        except OSError:
            pass
        listener.close()
        Path(boot.socket).unlink(missing_ok=True)
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
                           product_id=product, llm=s.llm_config(), start=start,
                           on_air_at=spec.on_air_at, comments=s.comments)


def build_assembly(spec: WorkerSpec, outbox: Outbox, on_event: Any, ready: Any,
                   feed: Path | None = None) -> Assembly:
    """The session exactly as ``streamer run`` builds it, plus the preview tap and, on ``feed``, the encoded
    stream for the service's WebRTC viewers (media/feed.py). Raises StreamerError."""
    brief = parse_brief(spec.brief, f"stream {spec.stream_id}")
    tap = PreviewTap(spec.settings.fps, spec.preview_fps, spec.preview_width, outbox.send, ready)
    settings = session_settings(spec, brief)
    if feed is not None:
        settings = settings.model_copy(update={"outputs": [*settings.outputs, feed_url(feed)]})
    return assemble(brief, settings, on_event=on_event, taps=[tap], blocks=spec.blocks)


class Worker:
    """The session and its link: commands in, events out, and what to do when the service goes away."""

    def __init__(self, boot: WorkerBoot, loop: asyncio.AbstractEventLoop) -> None:
        self.boot = boot
        self.loop = loop
        self.outbox = Outbox(boot.spec, boot.run_id, boot.events_kept, lambda: self.call(self._service_lost))
        self.assembly: Assembly | None = None
        self._product: str | None = None
        self._orphan: asyncio.TimerHandle | None = None
        self._stopping = False
        self._updates: set[asyncio.Task[None]] = set()
        self._early: list[ToWorker] = []

    def call(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn`` on the loop (from any thread)."""
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:
            pass  # the loop is closed: the session already ended

    # --- the service comes and goes ----------------------------------------------------------------------------
    def service_back(self) -> None:
        if self._orphan is not None:
            self._orphan.cancel()
            self._orphan = None
            log.info("a service adopted this stream")

    def _service_lost(self) -> None:
        if self._stopping or self._orphan is not None:
            return
        if self.boot.orphan_s <= 0:
            log.warning("the service is gone: stopping")
            self.stop()
            return
        log.warning("the service is gone: streaming on unsupervised for up to %.0f s", self.boot.orphan_s)
        self._orphan = self.loop.call_later(self.boot.orphan_s, self._orphan_expired)

    def _orphan_expired(self) -> None:
        log.warning("no service adopted this stream within %.0f s: stopping", self.boot.orphan_s)
        self.stop()

    def stop(self) -> None:
        self._stopping = True
        if self.assembly is not None:
            self.assembly.session.stop()

    # --- events out ----------------------------------------------------------------------------------------------
    def emit(self, event: dict[str, Any]) -> None:
        # speech_end carries no product; the transcript wants it, so it is taken from the matching speech_start
        if event["type"] == "speech_start":
            self._product = event.get("product_id")
        elif event["type"] == "speech_end":
            event = {"product_id": self._product, **event}
        try:
            msg = EVENT.validate_python({**event, "at": time.time()})
        except ValidationError as e:
            log.error("event %r is not in the worker protocol (protocol.py); dropped: %s", event.get("type"), e)
            return
        self.outbox.send(msg)

    # --- commands in ---------------------------------------------------------------------------------------------
    def dispatch(self, msg: ToWorker) -> None:
        if isinstance(msg, Stop):
            self.stop()
            return
        if isinstance(msg, Hello):
            return  # the link thread's
        if self.assembly is None:  # the session is being built: apply it once it exists
            self._early.append(msg)
            return
        if isinstance(msg, UpdateProductCommand):  # part of it runs off the loop: acked once it is applied
            task = self.loop.create_task(self._acked(msg.id, self._update_product(msg)),
                                         name=f"worker:update_product:{msg.id}")
            self._updates.add(task)
            task.add_done_callback(self._updates.discard)
            return
        try:
            self._apply(msg)
        except StreamerError as e:
            self.outbox.send(Ack(id=msg.id, error=str(e)))
        else:
            self.outbox.send(Ack(id=msg.id))

    def _apply(self, command: ToWorker) -> None:
        assert self.assembly is not None
        session, comments = self.assembly.session, self.assembly.replies
        if isinstance(command, SayCommand):
            self._say(command)
        elif isinstance(command, InterruptCommand):
            comments.interrupt()
            session.interrupt()
        elif isinstance(command, SwitchProductCommand):
            session.switch_product(command.product_id)
        elif isinstance(command, PauseScriptCommand):
            session.pause_script()
        elif isinstance(command, ResumeScriptCommand):
            session.resume_script()
        elif isinstance(command, CommentCommand):
            comments.offer(command.ref, command.model_dump(exclude={"id", "ref"}))
        else:
            raise StreamerError(f"unknown command {command.type!r}")

    def _say(self, command: SayCommand) -> None:
        """An operator line passes the reply guard like any reply; ``force`` (checked by the API: operator or
        admin) overrides a refusal, and the override is an ``override`` event the recorder writes into the
        transcript."""
        assert self.assembly is not None
        problems = self.assembly.check_line(command.text)
        if problems and not command.force:
            raise StreamerError(f"say refused: {'; '.join(problems)}")
        if problems:
            log.warning("say forced by %s over: %s", command.by or "?", "; ".join(problems))
            self.emit({"type": "override", "command": "say", "text": command.text, "problems": problems,
                       "by": command.by})
        self.assembly.session.say(command.text, urgent=command.urgent, source="say", speech_id=command.speech_id)

    async def _acked(self, cmd_id: int, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except StreamerError as e:
            self.outbox.send(Ack(id=cmd_id, error=str(e)))
        else:
            self.outbox.send(Ack(id=cmd_id))

    async def _update_product(self, change: UpdateProductCommand) -> None:
        """New facts for one product, applied to the brief the session runs on (the service checked the stored one;
        they differ when the stored brief was edited since the start). From the next sentence the card, the script
        and the replies use them; the ``product_update`` event comes right after, before any sentence planned from
        them, and the recorder writes it into the transcript. The spec a next service adopts has them too."""
        assert self.assembly is not None
        live = self.assembly.session.brief
        try:
            _, brief = updated_brief(live.model_dump(mode="json"), change)
        except UnknownProduct as e:
            raise StreamerError(f"update_product refused: {e.args[0]}") from None
        except InvalidUpdate as e:
            raise StreamerError(f"update_product refused: {e}") from None
        changes = changed_facts(live.product(change.product_id), brief.product(change.product_id))
        await self.assembly.update_brief(brief)
        try:
            data, _ = updated_brief(self.outbox.spec.brief, change)
            self.outbox.spec = self.outbox.spec.model_copy(update={"brief": data})
        except (UnknownProduct, InvalidUpdate) as e:
            log.warning("a restart would not keep %s (%s)", change.changes(), e)
        self.emit({"type": "product_update", "product_id": change.product_id, "changes": changes, "by": change.by,
                   "t": self.assembly.session.stats.samples / SAMPLE_RATE})

    # --- running -------------------------------------------------------------------------------------------------
    async def run(self) -> int:
        t_start = time.monotonic()
        if not await asyncio.to_thread(self.outbox.attached.wait, FIRST_HELLO_S):
            log.error("no service said hello within %.0f s; exiting", FIRST_HELLO_S)
            return 1

        def ready() -> None:  # encode thread
            assert self.assembly is not None  # frames flow only once the assembly runs
            self.outbox.send(Ready(startup_ms=round((time.monotonic() - t_start) * 1000, 1),
                                   first_frame_late_ms=self.assembly.session.first_frame_late_ms()))

        try:
            self.assembly = build_assembly(self.boot.spec, self.outbox, self.emit, ready,
                                           feed=feed_path(Path(self.boot.socket)))
        except StreamerError as e:
            log.error("cannot start: %s", e)
            self.outbox.send(Fatal(message=str(e)))
            return EXIT_FATAL
        if self._stopping:
            self.assembly.session.stop()
        for msg in self._early:
            self.dispatch(msg)
        self._early.clear()
        self.loop.add_signal_handler(signal.SIGTERM, self.stop)
        health = asyncio.create_task(self._report_health(), name="worker:health")
        try:
            await self.assembly.run()
        finally:
            for task in (health, *self._updates):
                task.cancel()
            await asyncio.gather(health, *self._updates, return_exceptions=True)
        return 0

    async def _report_health(self) -> None:
        assert self.assembly is not None
        session, comments = self.assembly.session, self.assembly.replies
        last_frames, last_t = 0, time.monotonic()
        while True:
            await asyncio.sleep(HEALTH_EVERY_S)
            h: dict[str, Any] = session.health()
            # the WebRTC feed serves the service's viewers: it is no destination of the stream's
            h["webrtc_feed"] = h["outputs"].pop(FEED_DISPLAY, None)
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
                "previews_dropped": self.outbox.dropped_previews,
                "events_dropped": self.outbox.dropped_events,
                "llm": self.assembly.llm_health(),
                "host": self.assembly.host_health(),  # which host paints, and a voice that does not fit it
                "comment_sources": self.assembly.comment_sources_health(),
            })
            last_frames, last_t = frames, now
            self.outbox.send(Health(stats=h))


async def _serve(boot: WorkerBoot, listener: socket.socket) -> int:
    worker = Worker(boot, asyncio.get_running_loop())
    threading.Thread(target=_accept, args=(listener, worker), name="worker-link", daemon=True).start()
    try:
        return await worker.run()
    finally:
        worker.outbox.close()  # the last events (the final speech_end) reach a listening service


def _accept(listener: socket.socket, worker: Worker) -> None:
    """The link thread: one service at a time says hello, sends commands, and hangs up (or dies)."""
    while True:
        try:
            sock, _ = listener.accept()
        except OSError:
            return  # the listener closed: the worker is exiting
        if not link.same_user(sock):
            log.warning("refused a connection from another user")
            sock.close()
            continue
        sock.settimeout(HELLO_TIMEOUT_S)
        try:
            got = link.read_frame_blocking(sock)
            hello = TO_WORKER.validate_json(got[0]) if got is not None else None
        except (OSError, link.LinkError, ValidationError):
            hello = None
        if not isinstance(hello, Hello):
            log.warning("a connection did not say hello; closed")
            sock.close()
            continue
        sock.settimeout(SEND_TIMEOUT_S)  # the outbox's sends give up on a service that stops reading
        worker.outbox.attach(sock, hello)
        worker.call(worker.service_back)
        _read_commands(sock, worker)
        worker.outbox.detach(sock)  # the outbox closes it: it may be writing to it now


def _read_commands(sock: socket.socket, worker: Worker) -> None:
    while True:
        try:
            got = link.read_frame_blocking(sock)
        except TimeoutError:
            continue  # quiet: nothing to do between commands
        except (OSError, link.LinkError):
            return
        if got is None:
            return
        try:
            msg = TO_WORKER.validate_json(got[0])
        except ValidationError as e:
            log.error("a message from the service is not in the worker protocol: %s", e)
            continue
        worker.call(worker.dispatch, msg)


if __name__ == "__main__":
    main()
