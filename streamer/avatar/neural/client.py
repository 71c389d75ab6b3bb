"""What a session uses to have its faces painted by the machine's inference service (service.py).

    client = InferenceClient()                     # connects, starting the service when nothing listens
    stream = client.open_stream(pack_dir, "wav2lip", models_dir)
    stream.begin_utterance("u1", pcm16k, fps=25, n_frames=75)
    stream.submit("u1", [(0, 17), (1, 18)])        # (frame offset j in the utterance, pack frame index i)
    crop = stream.result("u1", 0, timeout_s=0.005) # (S, S, 3) uint8, or None when not back yet
    stream.drop("u1"); stream.close()

The API is synchronous and thread-safe (the scene calls it from its render thread); a reader thread takes the
service's answers off the socket, so ``result`` only ever waits for its own timeout. When nothing listens, the
client starts the service detached (its own session, logging to ``inference.log`` beside the socket), under a file
lock so sessions starting together start one service, and waits a bounded time for it to listen; if it cannot
start, the error carries the tail of its log. When the service dies, every call on the streams it served raises
``EngineError`` at once (the host falls back), and the next ``open_stream`` starts a fresh service.

A stream keeps its ``MAX_LIVE_UTTERANCES`` latest utterances: beginning another drops the oldest. Reading the
result of frame j of an utterance forgets the results of its earlier frames that were never read (they are late).
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import itertools
import logging
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ConfigError, EngineError
from . import protocol as p
from .models import MODEL_KINDS
from .models import models_dir as default_models_dir

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 60.0  # a cold start imports torch
OPEN_TIMEOUT_S = 180.0  # loading a model onto the device the first time
STATS_TIMEOUT_S = 10.0
SEND_TIMEOUT_S = 5.0  # a service that takes no data for this long is as good as dead
MAX_OUTBOX_BYTES = 8 * 1024 * 1024  # unsent messages (a minute of utterance audio): past it the service is not reading
MAX_LIVE_UTTERANCES = 4  # the service's limit too
LOG_KEEP_BYTES = 1024 * 1024
LOG_TAIL_BYTES = 2000


class _Lost(Exception):
    """The connection died before the answer came."""


@dataclass
class _Pending:
    done: threading.Event = field(default_factory=threading.Event)
    msg: p.FromService | None = None


@dataclass
class _Utterance:
    wire: int
    n_frames: int
    pending: collections.Counter[int] = field(default_factory=collections.Counter)  # j -> items not back yet
    results: dict[int, np.ndarray] = field(default_factory=dict)
    failed: str | None = None


class _Connection:
    """One socket to the service and its reader thread. Once dead, it stays dead; the client opens another."""

    def __init__(self, sock: socket.socket, path: Path) -> None:
        self.sock = sock
        self.path = path
        self.send_lock = threading.Lock()  # held around each state change and its message, so messages keep order
        self.dead: str | None = None
        self._pending: dict[int, _Pending] = {}
        self._reqs = itertools.count(1)
        self.streams: dict[int, StreamHandle] = {}
        # callers (the render thread) only queue frames; this connection's writer thread blocks on the socket
        self._outbox: collections.deque[bytes] = collections.deque()
        self._outbox_bytes = 0
        self._out_cv = threading.Condition()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", int(SEND_TIMEOUT_S), 0))
        self._reader = threading.Thread(target=self._read, name="inference-client", daemon=True)
        self._reader.start()
        self._writer = threading.Thread(target=self._write, name="inference-client-writer", daemon=True)
        self._writer.start()

    def send(self, msg: p.ToService, array: np.ndarray | None = None) -> None:
        """Send under ``send_lock`` (the caller holds it)."""
        if self.dead:
            raise self.error()
        try:
            data = p.frame(msg, array)
        except p.ProtocolError as e:
            raise EngineError(f"cannot send that to the inference service: {e}", retryable=False) from None
        with self._out_cv:
            full = self._outbox_bytes + len(data) > MAX_OUTBOX_BYTES
            if not full:
                self._outbox.append(data)
                self._outbox_bytes += len(data)
                self._out_cv.notify()
        if full:
            self._die(f"it has not read the last {self._outbox_bytes} bytes sent to it")
            raise self.error()

    def _write(self) -> None:
        while True:
            with self._out_cv:
                while not self._outbox and not self.dead:
                    self._out_cv.wait()
                if self.dead:
                    return
                data = self._outbox.popleft()
            try:
                self.sock.sendall(data)
            except OSError as e:
                self._die(f"sending to it failed ({e})")
                return
            with self._out_cv:
                self._outbox_bytes -= len(data)

    def request(self, build: type[p.OpenStream] | type[p.Stats], timeout_s: float, **fields: object) -> p.FromService:
        with self.send_lock:
            req = next(self._reqs)
            pending = self._pending[req] = _Pending()
            try:
                self.send(build(req=req, **fields))  # type: ignore[arg-type]
            except EngineError:
                raise _Lost(self.dead) from None
        if not pending.done.wait(timeout_s):
            self._pending.pop(req, None)
            raise TimeoutError
        if pending.msg is None:
            raise _Lost(self.dead)
        return pending.msg

    def error(self) -> EngineError:
        return EngineError(f"the inference service on {self.path} went away: {self.dead}")

    def close(self) -> None:
        self._die("the client closed")
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def _read(self) -> None:
        try:
            while (got := p.read_frame_blocking(self.sock)) is not None:
                msg, payload = p.parse_from_service(*got)
                self._dispatch(msg, payload)
            reason = "it closed the connection"
        except (OSError, p.ProtocolError) as e:
            reason = f"its connection failed ({e})"
        self._die(reason)

    def _dispatch(self, msg: p.FromService, payload: bytes) -> None:
        if isinstance(msg, p.Result):
            stream = self.streams.get(msg.stream)
            if stream is not None:
                stream._deliver(msg.utt, msg.j, p.payload_array(msg, payload))
            return
        if isinstance(msg, p.Error) and msg.req is None:
            stream = self.streams.get(msg.stream) if msg.stream is not None else None
            if stream is not None and msg.utt is not None:
                stream._fail(msg.utt, msg.message)
            else:
                log.warning("the inference service says: %s", msg.message)
            return
        pending = self._pending.pop(msg.req, None) if msg.req is not None else None
        if pending is not None:
            pending.msg = msg
            pending.done.set()
        elif isinstance(msg, p.Opened):  # its opener gave up waiting: let the service free it
            with self.send_lock, contextlib.suppress(EngineError):
                self.send(p.CloseStream(stream=msg.stream))

    def _die(self, reason: str) -> None:
        if self.dead:
            return
        self.dead = reason
        with self._out_cv:
            self._outbox.clear()
            self._out_cv.notify_all()
        for pending in list(self._pending.values()):
            pending.done.set()
        self._pending.clear()
        for stream in list(self.streams.values()):
            stream._wake()


class StreamHandle:
    """One stream on the service: a pack painted by a model. Every method is thread-safe."""

    def __init__(self, conn: _Connection, opened: p.Opened) -> None:
        self._conn = conn
        self.stream_id = opened.stream
        self.face_size = opened.face_size
        self.frames = opened.frames
        self.device = opened.device
        self.model = opened.model
        self.max_in_flight = opened.max_in_flight
        self._cv = threading.Condition()
        self._utts: dict[str, _Utterance] = {}  # by the host's name, in the order they began
        self._by_wire: dict[int, _Utterance] = {}
        self._wires = itertools.count(1)
        self._closed = False

    @property
    def in_flight(self) -> int:
        """Items submitted whose results have not come back (back-pressure: at most ``max_in_flight``)."""
        with self._cv:
            return sum(sum(u.pending.values()) for u in self._utts.values())

    def begin_utterance(self, utt: str, pcm16k: np.ndarray, fps: float, n_frames: int) -> None:
        """An utterance's mono 16 kHz audio; the service computes its features once. A name begun again starts
        over (its earlier items are dropped)."""
        pcm = np.asarray(pcm16k, dtype=np.float32)
        if pcm.ndim != 1:
            raise ValueError(f"an utterance's audio is mono (1-D), not {pcm.shape}")
        if n_frames < 1 or fps <= 0:
            raise ValueError(f"an utterance needs frames and a frame rate, not {n_frames} at {fps} fps")
        with self._conn.send_lock:
            self._check()
            drops = [utt] if utt in self._utts else []
            with self._cv:
                live = [name for name in self._utts if name not in drops]
                drops += live[:max(0, len(live) - MAX_LIVE_UTTERANCES + 1)]
                wires = [self._forget(name) for name in drops]
                record = _Utterance(next(self._wires), n_frames)
                self._utts[utt] = self._by_wire[record.wire] = record
            for wire in wires:
                self._conn.send(p.Drop(stream=self.stream_id, utt=wire))
            self._conn.send(p.BeginUtterance(stream=self.stream_id, utt=record.wire, fps=fps, n_frames=n_frames,
                                             **p.array_fields(pcm)), pcm)

    def submit(self, utt: str, items: list[tuple[int, int]]) -> None:
        """Work items ``(j, i)``: paint frame j of the utterance on pack frame i. Over ``max_in_flight`` items in
        flight is an EngineError (the host keeps its look-ahead under it)."""
        if not items:
            return
        with self._conn.send_lock:
            self._check()
            with self._cv:
                record = self._utts.get(utt)
                if record is None:
                    raise ValueError(f"utterance {utt!r} was not begun on this stream (or was dropped)")
                if record.failed:
                    raise EngineError(record.failed)
                for j, i in items:
                    if not (0 <= j < record.n_frames and 0 <= i < self.frames):
                        raise ValueError(f"item ({j}, {i}) is outside the utterance ({record.n_frames} frames) "
                                         f"or the pack ({self.frames} frames)")
                in_flight = sum(sum(u.pending.values()) for u in self._utts.values())
                if in_flight + len(items) > self.max_in_flight:
                    raise EngineError(f"{in_flight} items in flight and {len(items)} more would pass the stream's "
                                      f"limit of {self.max_in_flight}")
                record.pending.update(j for j, _ in items)
            self._conn.send(p.Submit(stream=self.stream_id, utt=record.wire, items=[(j, i) for j, i in items]))

    def result(self, utt: str, j: int, timeout_s: float) -> np.ndarray | None:
        """Frame j's crop, waiting at most ``timeout_s``; None when it is not back in time, or was never asked for.
        Forgets the earlier frames' results of this utterance that were not read."""
        deadline = time.monotonic() + timeout_s
        with self._cv:
            while True:
                if self._conn.dead:
                    raise self._conn.error()
                record = self._utts.get(utt)
                if record is None:
                    return None
                if record.failed:
                    raise EngineError(record.failed)
                crop = record.results.pop(j, None)
                if crop is not None:
                    for late in [k for k in record.results if k < j]:
                        del record.results[late]
                    return crop
                remaining = deadline - time.monotonic()
                if not record.pending[j] or remaining <= 0:
                    return None
                self._cv.wait(remaining)

    def drop(self, utt: str) -> None:
        """Forget an utterance (an interrupt): its queued items are not computed, its results do not come."""
        with self._conn.send_lock:
            with self._cv:
                if utt not in self._utts:
                    return
                wire = self._forget(utt)
            if not self._closed:
                self._conn.send(p.Drop(stream=self.stream_id, utt=wire))

    def close(self) -> None:
        """The service frees this stream's tensors. Closing twice, or after the service died, is fine."""
        with self._conn.send_lock:
            if self._closed:
                return
            self._closed = True
            with self._cv:
                for name in list(self._utts):
                    self._forget(name)
            self._conn.streams.pop(self.stream_id, None)
            if not self._conn.dead:
                self._conn.send(p.CloseStream(stream=self.stream_id))

    def _check(self) -> None:
        if self._closed:
            raise EngineError(f"stream {self.stream_id} is closed")
        if self._conn.dead:
            raise self._conn.error()

    def _forget(self, utt: str) -> int:
        record = self._utts.pop(utt)
        self._by_wire.pop(record.wire, None)
        return record.wire

    def _deliver(self, wire: int, j: int, crop: np.ndarray) -> None:
        with self._cv:
            record = self._by_wire.get(wire)
            if record is None or record.pending[j] <= 0:
                return  # dropped while it was on the wire
            record.pending[j] -= 1
            if not record.pending[j]:
                del record.pending[j]
            record.results[j] = crop
            self._cv.notify_all()

    def _fail(self, wire: int, message: str) -> None:
        with self._cv:
            record = self._by_wire.get(wire)
            if record is not None:
                record.failed = message
                record.pending.clear()
                self._cv.notify_all()

    def _wake(self) -> None:
        with self._cv:
            self._cv.notify_all()


class InferenceClient:
    """A session's link to the machine's inference service. Thread-safe."""

    def __init__(self, socket_path: str | Path | None = None, spawn: bool = True,
                 connect_timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        self.socket_path = Path(socket_path) if socket_path else p.socket_path()
        p.check_socket_path(self.socket_path)
        self.spawn = spawn
        self.connect_timeout_s = connect_timeout_s
        self._lock = threading.Lock()
        self._conn = self._connect()

    def open_stream(self, pack_dir: str | Path, model_kind: str, models_dir: str | Path | None = None,
                    timeout_s: float = OPEN_TIMEOUT_S) -> StreamHandle:
        """Open a stream: the service loads the model (once per machine) and the pack's inputs. A service that
        went away is started again here; a model or pack it cannot load is an EngineError naming the problem."""
        if model_kind not in MODEL_KINDS:
            raise ConfigError(f"unknown lip-sync model {model_kind!r}; expected one of {', '.join(MODEL_KINDS)}")
        fields = {"pack_dir": os.path.abspath(pack_dir), "model": model_kind,
                  "models_dir": os.path.abspath(models_dir if models_dir is not None else default_models_dir())}
        for attempt in range(2):
            conn = self._live()
            try:
                answer = conn.request(p.OpenStream, timeout_s, **fields)
            except TimeoutError:
                raise EngineError(f"the inference service did not open a {model_kind} stream within "
                                  f"{timeout_s:.0f} s") from None
            except _Lost:
                if attempt == 0:
                    continue  # it was on its way out (idle) or died: start a fresh one, once
                raise conn.error() from None
            if isinstance(answer, p.Error):
                raise EngineError(answer.message, retryable=False)
            assert isinstance(answer, p.Opened)
            with conn.send_lock:
                handle = conn.streams[answer.stream] = StreamHandle(conn, answer)
            return handle
        raise AssertionError("unreachable")

    def stats(self, timeout_s: float = STATS_TIMEOUT_S) -> dict[str, Any]:
        """The service's figures: device, models (batches, batch-size histogram, ms per batch, items/s), streams."""
        conn = self._conn
        try:
            answer = conn.request(p.Stats, timeout_s)
        except TimeoutError:
            raise EngineError(f"the inference service did not answer within {timeout_s:.0f} s") from None
        except _Lost:
            raise conn.error() from None
        assert isinstance(answer, p.StatsReply)
        return answer.stats

    def close(self) -> None:
        """Close the connection: the service frees every stream it opened."""
        self._conn.close()

    def __enter__(self) -> InferenceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _live(self) -> _Connection:
        with self._lock:
            if self._conn.dead:
                self._conn.close()
                self._conn = self._connect()
            return self._conn

    # --- reaching the service -------------------------------------------------------------------------------

    def _connect(self) -> _Connection:
        sock = self._try_connect()
        if sock is None:
            if not self.spawn:
                raise EngineError(f"no inference service listens on {self.socket_path}")
            sock = self._start_service()
        return _Connection(sock, self.socket_path)

    def _try_connect(self) -> socket.socket | None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(self.socket_path))
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            return None
        except OSError as e:
            sock.close()
            raise EngineError(f"cannot reach the inference service on {self.socket_path}: {e}") from None
        return sock

    def _start_service(self) -> socket.socket:
        deadline = time.monotonic() + self.connect_timeout_s
        path = self.socket_path
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_fd = os.open(path.with_name(path.name + ".spawn"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise EngineError(f"another session kept starting the inference service on {path} for "
                                          f"{self.connect_timeout_s:.0f} s") from None
                    time.sleep(0.05)
            sock = self._try_connect()  # another session may have started it while we waited for the lock
            if sock is not None:
                return sock
            return self._spawn_and_wait(deadline)
        finally:
            os.close(lock_fd)  # lets go of the lock

    def _spawn_and_wait(self, deadline: float) -> socket.socket:
        log_path = self.socket_path.with_name("inference.log")
        with contextlib.suppress(FileNotFoundError):
            if log_path.stat().st_size > LOG_KEEP_BYTES:
                log_path.unlink()
        with open(log_path, "ab") as log_file:
            os.chmod(log_path, 0o600)
            start = log_file.tell()
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamer.avatar.neural.service", "--socket", str(self.socket_path)],
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        # reaped when it exits, while this session lives (after, init reaps it)
        threading.Thread(target=proc.wait, name="inference-service-reaper", daemon=True).start()
        log.info("started the inference service (pid %d) on %s", proc.pid, self.socket_path)
        while True:
            code = proc.poll()  # before connecting: one that exited 0 found another service listening
            sock = self._try_connect()
            if sock is not None:
                return sock
            if code is not None:
                raise EngineError(f"the inference service exited with status {code} before listening on "
                                  f"{self.socket_path}: {_tail(log_path, start)}", retryable=False)
            if time.monotonic() > deadline:
                raise EngineError(f"the inference service did not listen on {self.socket_path} within "
                                  f"{self.connect_timeout_s:.0f} s: {_tail(log_path, start)}")
            time.sleep(0.05)


def _tail(path: Path, start: int) -> str:
    """The end of what the service wrote to its log since it was started."""
    try:
        with open(path, "rb") as f:
            f.seek(max(start, f.seek(0, os.SEEK_END) - LOG_TAIL_BYTES))
            text = f.read().decode("utf-8", "replace").strip()
    except OSError as e:
        return f"(its log {path} cannot be read: {e})"
    return text or "(it wrote nothing)"
