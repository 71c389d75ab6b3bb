"""The worker's outbox: every message to the service goes out from one thread, and events outlive the service.

Events are numbered (``seq``) and kept: while a service listens, the last ``RECENT_EVENTS`` (those a service killed
mid-read may not have published); while none does, up to ``events_kept``, oldest dropped first and counted. The
next service's hello names the last event it has, and the outbox replays the rest after its welcome, in order,
before anything new. Health, acks and previews for nobody are dropped; previews are also dropped when the link is
behind. Nothing here ever blocks the session: the encode thread and the event loop only put into a queue, and a
service that stops reading for ``SEND_TIMEOUT_S`` is treated as gone.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable

from pydantic import BaseModel

from .link import frame
from .protocol import EVENT_TYPES, Hello, Preview, Ready, Welcome, WorkerSpec

log = logging.getLogger("streamer.worker")

OUTBOX_MESSAGES = 1024
RECENT_EVENTS = 256
SEND_TIMEOUT_S = 5.0

_Item = tuple[str, object, object]


class Outbox:
    def __init__(self, spec: WorkerSpec, run_id: int | None, events_kept: int,
                 on_detached: Callable[[], None]) -> None:
        self.instance = secrets.token_hex(8)
        self.spec = spec  # as the session has it: the loop replaces it when a product update is applied
        self._run_id = run_id
        self._events_kept = events_kept
        self._on_detached = on_detached
        self._queue: queue.Queue[_Item | None] = queue.Queue(OUTBOX_MESSAGES)
        self._events: deque[BaseModel] = deque()
        self._seq = 0
        self._seq_at_loss = 0  # the last event sent before the service went: older ones were most likely heard
        self._sock: socket.socket | None = None
        self._started = time.monotonic()
        self._alone_since = time.monotonic()
        self._had_service = False
        self._ready: Ready | None = None
        self.attached = threading.Event()
        self.dropped_previews = 0
        self.dropped_events = 0
        self._thread = threading.Thread(target=self._pump, name="worker-outbox", daemon=True)
        self._thread.start()

    # --- any thread ------------------------------------------------------------------------------------------
    def send(self, msg: BaseModel, payload: bytes = b"") -> None:
        if isinstance(msg, Preview):
            try:
                self._queue.put_nowait(("msg", msg, payload))
            except queue.Full:
                self.dropped_previews += 1
            return
        self._queue.put(("msg", msg, payload))

    def attach(self, sock: socket.socket, hello: Hello) -> None:
        """A service said hello on ``sock``: welcome it and replay what it lacks (in the outbox thread, so nothing
        new overtakes the replay)."""
        self._queue.put(("attach", sock, hello))

    def detach(self, sock: socket.socket) -> None:
        self._queue.put(("detach", sock, None))

    def close(self, timeout_s: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout_s)

    # --- the outbox thread -----------------------------------------------------------------------------------
    def _pump(self) -> None:
        while (item := self._queue.get()) is not None:
            kind, a, b = item
            if kind == "attach":
                assert isinstance(a, socket.socket) and isinstance(b, Hello)
                self._attach(a, b)
            elif kind == "detach":
                if self._sock is a:
                    self._lost_service()
            else:
                assert isinstance(a, BaseModel) and isinstance(b, bytes)
                self._send(a, b)

    def _send(self, msg: BaseModel, payload: bytes) -> None:
        if isinstance(msg, EVENT_TYPES):
            self._seq += 1
            msg = msg.model_copy(update={"seq": self._seq})
            self._events.append(msg)
            self._trim()
        elif isinstance(msg, Ready):
            self._ready = msg
        if self._sock is not None:
            self._write(frame(msg, payload))

    def _trim(self) -> None:
        keep = RECENT_EVENTS if self._sock is not None else self._events_kept
        while len(self._events) > keep:
            dropped = self._events.popleft()
            if self._sock is None and dropped.seq > self._seq_at_loss:  # type: ignore[attr-defined]
                self.dropped_events += 1

    def _attach(self, sock: socket.socket, hello: Hello) -> None:
        if self._sock is not None:  # a newer service took over from one that did not hang up
            self._lost_service()
        last = hello.last_seq if hello.instance == self.instance else 0
        replay = [e for e in self._events if e.seq > last]  # type: ignore[attr-defined]
        first = replay[0].seq if replay else self._seq + 1  # type: ignore[attr-defined]
        alone_s = time.monotonic() - self._alone_since if self._had_service else 0.0
        welcome = Welcome(instance=self.instance, pid=os.getpid(), run_id=self._run_id, spec=self.spec,
                          live=self._ready is not None,
                          startup_ms=self._ready.startup_ms if self._ready is not None else None,
                          unsupervised_s=round(alone_s, 3),
                          lost=max(0, first - last - 1))
        self._sock = sock
        self._had_service = True
        self._write(frame(welcome))
        for event in replay:
            if self._sock is None:
                return
            self._write(frame(event))
        if replay:
            log.info("replayed %d event(s) to the service", len(replay))
        self.attached.set()
        self._trim()

    def _write(self, data: bytes) -> None:
        assert self._sock is not None
        try:
            self._sock.sendall(data)
        except OSError as e:  # TimeoutError included: a service that stops reading is as good as gone
            log.warning("the service stopped listening (%s)", type(e).__name__)
            self._lost_service()

    def _lost_service(self) -> None:
        sock, self._sock = self._sock, None
        self._alone_since = time.monotonic()
        self._seq_at_loss = self._seq
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the link thread's read too
            except OSError:
                pass
        self._on_detached()
