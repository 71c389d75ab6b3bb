"""The machine's inference service: one process that owns the device and paints every session's faces through one
copy of each model, in dynamic batches across streams.

    python -m streamer.avatar.neural.service [--socket PATH] [--device auto|cuda|cpu] [--max-batch 32]
                                             [--max-wait-ms 4] [--idle-s 300] [--max-in-flight 64]

Sessions reach it through ``client.py`` (which starts it when nothing listens) on a 0600 Unix socket, with the
messages of ``protocol.py``. Each model is loaded once per (kind, models dir), on the first stream that asks for it;
each pack's cached inputs (``inputs.npy``) go to the device once and are shared by the streams painting that pack;
an utterance's audio features are computed once, in the model's feature thread. A stream's tensors are freed when
it closes or its connection drops (and the CUDA cache is emptied). A connection that sends a bad frame, breaks the
in-flight limit or names what is not its own is closed; every other connection goes on. Without streams for
``STREAMER_INFERENCE_IDLE_S`` (default 300) seconds, the service exits. A line a minute in the log says how busy it is.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...errors import ConfigError, StreamerError
from . import protocol as p
from .batcher import MAX_BATCH, MAX_WAIT_MS, Batcher, UtteranceWork
from .models import LipModel, load_model, pick_device

log = logging.getLogger("streamer.inference")

IDLE_ENV = "STREAMER_INFERENCE_IDLE_S"
DEVICE_ENV = "STREAMER_INFERENCE_DEVICE"
IDLE_S = 300.0
MAX_IN_FLIGHT = 64  # items per stream submitted and not yet delivered (a 0.4 s look-ahead at 60 fps is 24)
MAX_LIVE_UTTERANCES = 4  # per stream; the client drops the oldest before beginning another
MAX_UTTERANCE_FRAMES = 60 * 60 * 60  # an hour at 60 fps
LOG_EVERY_S = 60.0
LOCK_WAIT_S = 30.0  # for a service on its way out to let go of the lock


@dataclass(eq=False)
class ModelSlot:
    key: tuple[str, str]
    model: LipModel
    batcher: Batcher
    task: asyncio.Task[None]
    features: ThreadPoolExecutor  # audio features, apart from the batches so a long utterance never holds them


@dataclass(eq=False)
class PackInputs:
    """A pack's cached inputs on the device, shared by every stream painting that pack with that model."""

    key: tuple[Any, ...]
    tensor: Any
    frames: int
    nbytes: int
    refs: int = 0


@dataclass(eq=False)
class Stream:
    id: int
    conn: Connection
    slot: ModelSlot
    pack: PackInputs
    utts: dict[int, UtteranceWork] = field(default_factory=dict)
    n_frames: dict[int, int] = field(default_factory=dict)
    waiting: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # until the features are computed
    last_utt: int = -1

    def in_flight(self) -> int:
        return sum(w.outstanding for w in self.utts.values()) + sum(len(v) for v in self.waiting.values())


class Connection:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.streams: dict[int, Stream] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.closed = False

    def send(self, msg: p.Opened | p.Result | p.Error | p.StatsReply, array: np.ndarray | None = None) -> None:
        if not self.closed and not self.writer.is_closing():
            self.writer.write(p.frame(msg, array))

    def spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


class InferenceService:
    def __init__(self, device: str, *, max_batch: int = MAX_BATCH, max_wait_ms: float = MAX_WAIT_MS,
                 idle_s: float = IDLE_S, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self.device = device
        self.dtype = torch.float16 if device == "cuda" else torch.float32
        self.max_batch = max_batch
        self.max_wait_ms = max_wait_ms
        self.idle_s = idle_s
        self.max_in_flight = max_in_flight
        self._models: dict[tuple[str, str], asyncio.Task[ModelSlot]] = {}
        self._packs: dict[tuple[Any, ...], asyncio.Task[PackInputs]] = {}
        self._streams: dict[int, Stream] = {}
        self._conns: set[Connection] = set()
        self._next_stream = 1
        self._opening = 0
        self._idle_since = time.monotonic()
        self._started = time.monotonic()
        self._stop = asyncio.Event()

    # --- serving --------------------------------------------------------------------------------------------

    async def serve(self, sock: socket.socket) -> None:
        """Serve on a bound, listening socket until idle for ``idle_s`` or told to stop."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        server = await asyncio.start_unix_server(self._handle, sock=sock, limit=p.MAX_JSON_BYTES)
        helpers = [asyncio.create_task(self._watch_idle(), name="inference-idle"),
                   asyncio.create_task(self._log_load(), name="inference-log")]
        try:
            async with server:
                await self._stop.wait()
        finally:
            for conn in list(self._conns):
                conn.writer.close()
            tasks = [*helpers, *(t for t in self._models.values() if not t.done())]
            tasks += [slot.task for slot in self._slots()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        self._stop.set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(writer)
        self._conns.add(conn)
        try:
            while (got := await p.read_frame(reader)) is not None:
                msg, payload = p.parse_to_service(*got)
                self._dispatch(conn, msg, payload)
        except p.ProtocolError as e:
            log.warning("closing a client connection: %s", e)
        except (ConnectionError, OSError):
            pass
        except Exception:
            log.exception("closing a client connection after an unexpected error")
        finally:
            conn.closed = True  # an open still loading sees it and lets go of what it loaded
            self._conns.discard(conn)
            for stream in list(conn.streams.values()):
                self._close_stream(stream)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    def _dispatch(self, conn: Connection, msg: p.ToService, payload: bytes) -> None:
        if isinstance(msg, p.OpenStream):
            self._opening += 1
            conn.spawn(self._open(conn, msg), name=f"open-stream-{msg.req}")
        elif isinstance(msg, p.BeginUtterance):
            self._begin(self._own(conn, msg.stream), msg, payload)
        elif isinstance(msg, p.Submit):
            self._submit(self._own(conn, msg.stream), msg)
        elif isinstance(msg, p.Drop):
            stream = self._own(conn, msg.stream)
            self._forget(stream, msg.utt)
        elif isinstance(msg, p.CloseStream):
            self._close_stream(self._own(conn, msg.stream))
        else:
            conn.send(p.StatsReply(req=msg.req, stats=self.stats()))

    @staticmethod
    def _own(conn: Connection, stream_id: int) -> Stream:
        stream = conn.streams.get(stream_id)
        if stream is None:
            raise p.ProtocolError(f"stream {stream_id} is not open on this connection")
        return stream

    # --- streams --------------------------------------------------------------------------------------------

    async def _open(self, conn: Connection, msg: p.OpenStream) -> None:
        try:
            slot = await self._model(msg.model, Path(msg.models_dir))
            pack = await self._pack(slot, Path(msg.pack_dir))
        except StreamerError as e:
            conn.send(p.Error(req=msg.req, message=str(e)))
            return
        except Exception as e:
            log.exception("opening a %s stream for %s failed", msg.model, msg.pack_dir)
            conn.send(p.Error(req=msg.req, message=f"the inference service could not open the stream: "
                                                   f"{type(e).__name__}: {e}"))
            return
        finally:
            self._opening -= 1
            self._idle_since = time.monotonic()
        pack.refs += 1
        if conn.closed:
            self._release(pack)
            return
        stream = Stream(self._next_stream, conn, slot, pack)
        self._next_stream += 1
        self._streams[stream.id] = stream
        conn.streams[stream.id] = stream
        log.info("stream %d open: %s, %s (%d frames)", stream.id, msg.model, msg.pack_dir, pack.frames)
        conn.send(p.Opened(req=msg.req, stream=stream.id, face_size=slot.model.face_size, frames=pack.frames,
                           device=slot.model.device, model=msg.model, max_in_flight=self.max_in_flight))

    def _close_stream(self, stream: Stream) -> None:
        for utt in list(stream.utts):
            self._forget(stream, utt)
        self._streams.pop(stream.id, None)
        stream.conn.streams.pop(stream.id, None)
        self._release(stream.pack)
        if not self._streams:
            self._idle_since = time.monotonic()
        log.info("stream %d closed", stream.id)

    def _release(self, pack: PackInputs) -> None:
        pack.refs -= 1
        if pack.refs > 0:
            return
        self._packs.pop(pack.key, None)
        pack.tensor = None
        if self.device == "cuda":
            torch.cuda.empty_cache()

    async def _model(self, kind: str, models_dir: Path) -> ModelSlot:
        key = (kind, _real(models_dir))
        task = self._models.get(key)
        if task is None:
            task = self._models[key] = asyncio.create_task(self._load_model(key), name=f"load-{kind}")
        try:
            return await task
        except BaseException:
            if task.done() and self._models.get(key) is task:
                del self._models[key]  # a later stream tries again (the files may have been put in place)
            raise

    async def _load_model(self, key: tuple[str, str]) -> ModelSlot:
        kind, models_dir = key
        t0 = time.monotonic()
        model = await asyncio.to_thread(load_model, kind, Path(models_dir), self.device, self.dtype)
        batcher = Batcher(model, torch.stack, max_batch=self.max_batch, max_wait_ms=self.max_wait_ms)
        task = asyncio.create_task(batcher.run(), name=f"batcher-{kind}")
        features = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"features-{kind}")
        log.info("%s loaded from %s on %s in %.1f s", kind, models_dir, model.device, time.monotonic() - t0)
        return ModelSlot(key, model, batcher, task, features)

    async def _pack(self, slot: ModelSlot, pack_dir: Path) -> PackInputs:
        path = pack_dir / "inputs.npy"
        key = (slot.key, *_file_key(path, slot.model.kind))
        task = self._packs.get(key)
        if task is None:
            task = self._packs[key] = asyncio.create_task(self._load_pack(key, slot, path), name=f"pack-{path}")
        try:
            return await task
        except BaseException:
            if task.done() and self._packs.get(key) is task:
                del self._packs[key]
            raise

    @staticmethod
    async def _load_pack(key: tuple[Any, ...], slot: ModelSlot, path: Path) -> PackInputs:
        def load() -> tuple[Any, int]:
            try:
                inputs = np.load(path, allow_pickle=False)
            except (ValueError, OSError) as e:
                raise ConfigError(f"{path} is not a numpy array file: {e}") from None
            if inputs.ndim < 2 or len(inputs) == 0:
                raise ConfigError(f"{path} holds {inputs.shape}; expected (frames, ...) of the model's inputs")
            return slot.model.to_device(inputs), len(inputs)

        tensor, frames = await asyncio.to_thread(load)
        return PackInputs(key, tensor, frames, int(tensor.element_size() * tensor.nelement()))

    # --- utterances -----------------------------------------------------------------------------------------

    def _begin(self, stream: Stream, msg: p.BeginUtterance, payload: bytes) -> None:
        pcm = p.payload_array(msg, payload)
        if msg.dtype != "float32" or pcm.ndim != 1:
            raise p.ProtocolError(f"an utterance's audio is mono float32, not {msg.shape} {msg.dtype}")
        if msg.utt <= stream.last_utt:
            raise p.ProtocolError(f"utterance {msg.utt} after {stream.last_utt}: numbers must grow")
        if len(stream.utts) >= MAX_LIVE_UTTERANCES:
            raise p.ProtocolError(f"more than {MAX_LIVE_UTTERANCES} live utterances on stream {stream.id}")
        if msg.n_frames > MAX_UTTERANCE_FRAMES:
            raise p.ProtocolError(f"{msg.n_frames} frames in one utterance (at most {MAX_UTTERANCE_FRAMES})")
        stream.last_utt = msg.utt
        conn, sid, utt = stream.conn, stream.id, msg.utt

        def deliver(j: int, crop: np.ndarray) -> None:
            conn.send(p.Result(stream=sid, utt=utt, j=j, **p.array_fields(crop)), crop)

        def fail(message: str) -> None:
            self._forget(stream, utt)
            conn.send(p.Error(stream=sid, utt=utt, message=message))

        work = UtteranceWork(sid, utt, stream.pack.tensor, None, deliver, fail)
        stream.utts[utt] = work
        stream.n_frames[utt] = msg.n_frames
        stream.waiting[utt] = []
        conn.spawn(self._features(stream, work, np.array(pcm), msg.fps, msg.n_frames), name=f"features-{sid}-{utt}")

    async def _features(self, stream: Stream, work: UtteranceWork, pcm: np.ndarray, fps: float, n: int) -> None:
        model = stream.slot.model
        try:
            feats = await asyncio.get_running_loop().run_in_executor(
                stream.slot.features, model.audio_features, pcm, fps, n)
            if len(feats) != n:
                raise RuntimeError(f"{len(feats)} frames of audio features for an utterance of {n}")
        except Exception as e:
            if not work.dropped:
                log.warning("audio features of stream %d utterance %d failed: %s", stream.id, work.utt, e)
                work.fail(f"audio features failed: {type(e).__name__}: {e}")
            return
        if work.dropped:
            return
        work.features = feats
        items = stream.waiting.pop(work.utt, [])
        if items:
            stream.slot.batcher.put(work, items)

    def _submit(self, stream: Stream, msg: p.Submit) -> None:
        work = stream.utts.get(msg.utt)
        if work is None:
            if msg.utt <= stream.last_utt:
                return  # dropped or failed while these were on the wire: the client knows by now
            raise p.ProtocolError(f"utterance {msg.utt} was never begun on stream {stream.id}")
        n = stream.n_frames[msg.utt]
        for j, i in msg.items:
            if not (0 <= j < n and 0 <= i < stream.pack.frames):
                raise p.ProtocolError(f"item ({j}, {i}) is outside utterance {msg.utt} ({n} frames) or the "
                                      f"pack ({stream.pack.frames} frames)")
        if stream.in_flight() + len(msg.items) > self.max_in_flight:
            raise p.ProtocolError(f"stream {stream.id} went over its {self.max_in_flight} items in flight")
        if work.features is None:
            stream.waiting[msg.utt].extend(msg.items)
        else:
            stream.slot.batcher.put(work, msg.items)

    def _forget(self, stream: Stream, utt: int) -> None:
        work = stream.utts.pop(utt, None)
        stream.n_frames.pop(utt, None)
        stream.slot.batcher.counts.skipped += len(stream.waiting.pop(utt, ()))  # never queued: features pending
        if work is not None:
            stream.slot.batcher.drop(work)
            work.features = None
            work.inputs = None

    # --- figures --------------------------------------------------------------------------------------------

    def _slots(self) -> list[ModelSlot]:
        return [t.result() for t in self._models.values() if t.done() and not t.cancelled() and not t.exception()]

    def stats(self) -> dict[str, Any]:
        models: dict[str, Any] = {}
        for slot in self._slots():
            kind, models_dir = slot.key
            models[f"{kind}:{models_dir}"] = {
                "kind": kind, "face_size": slot.model.face_size, "device": slot.model.device,
                "streams": sum(1 for s in self._streams.values() if s.slot is slot), **slot.batcher.stats()}
        packs = [t.result() for t in self._packs.values() if t.done() and not t.cancelled() and not t.exception()]
        return {
            "pid": os.getpid(),
            "device": self.device,
            "uptime_s": round(time.monotonic() - self._started, 1),
            "connections": len(self._conns),
            "streams": len(self._streams),
            "stream_ids": sorted(self._streams),
            "in_flight": {str(s.id): s.in_flight() for s in self._streams.values()},
            "models": models,
            "packs": len(packs),
            "pack_inputs_bytes": sum(pk.nbytes for pk in packs),
            "memory": _memory(self.device),
            "max_batch": self.max_batch,
            "max_wait_ms": self.max_wait_ms,
        }

    def _totals(self) -> tuple[int, int]:
        counts = [slot.batcher.counts for slot in self._slots()]
        return sum(c.batches for c in counts), sum(c.items for c in counts)

    async def _log_load(self) -> None:
        then, (b0, i0) = time.monotonic(), self._totals()
        while True:
            await asyncio.sleep(LOG_EVERY_S)
            now, (b1, i1) = time.monotonic(), self._totals()
            dt = max(now - then, 1e-9)
            log.info("inference: %d streams, %.1f batches/s, mean batch %.1f, %.0f items/s",
                     len(self._streams), (b1 - b0) / dt, (i1 - i0) / (b1 - b0) if b1 > b0 else 0.0, (i1 - i0) / dt)
            then, b0, i0 = now, b1, i1

    async def _watch_idle(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, max(self.idle_s / 4, 0.05)))
            if not self._streams and not self._opening and time.monotonic() - self._idle_since >= self.idle_s:
                log.info("no streams for %.0f s: the inference service exits", self.idle_s)
                self._stop.set()
                return


def _real(path: Path) -> str:
    return os.path.realpath(path)


def _file_key(path: Path, kind: str) -> tuple[str, int, int]:
    """A pack's inputs file as a cache key: the same file, unchanged since it was loaded."""
    try:
        st = os.stat(path)
    except OSError:
        raise ConfigError(f"{path.parent} is not a neural pack: {path} is missing (build one with "
                          f"`streamer avatars build SOURCE --model {kind} --out DIR`)") from None
    return os.path.realpath(path), st.st_mtime_ns, st.st_size


def _memory(device: str) -> dict[str, int]:
    if device == "cuda":
        return {"cuda_allocated_bytes": torch.cuda.memory_allocated(), "cuda_reserved_bytes":
                torch.cuda.memory_reserved(), "cuda_peak_bytes": torch.cuda.max_memory_allocated()}
    try:
        rss_pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return {}
    return {"rss_bytes": rss_pages * os.sysconf("SC_PAGE_SIZE")}


# --- the process ----------------------------------------------------------------------------------------------

def lock_path(sock_path: Path) -> Path:
    """Held by the running service for its whole life: a second one started by hand exits at once."""
    return sock_path.with_name(sock_path.name + ".lock")


def listen(path: Path) -> socket.socket:
    """Bind the service's socket (0600, in a 0700 folder), replacing the file a dead service left."""
    p.check_socket_path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    sock.listen(128)
    return sock


def _take_lock(fd: int, path: Path) -> bool:
    """The service lock; False when another service holds it and listens. One that holds it without listening is
    on its way out (idle): wait for it to let go, a bounded while."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(path))
                return False
            except OSError:
                pass
        if time.monotonic() > deadline:
            raise ConfigError(f"{lock_path(path)} is held by a process that does not listen on {path}")
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streamer.avatar.neural.service",
                                     description="The machine's inference service: one process owning the device "
                                     "that batches every session's lip-sync frames.")
    parser.add_argument("--socket", type=Path, default=None, help="default: $STREAMER_INFERENCE_SOCKET, else "
                        "$XDG_RUNTIME_DIR/streamer/inference.sock, else /tmp/streamer-<uid>/inference.sock")
    parser.add_argument("--device", default=os.environ.get(DEVICE_ENV) or "auto", help="auto|cuda|cpu")
    parser.add_argument("--max-batch", type=int, default=MAX_BATCH)
    parser.add_argument("--max-wait-ms", type=float, default=MAX_WAIT_MS)
    parser.add_argument("--idle-s", type=float, default=float(os.environ.get(IDLE_ENV) or IDLE_S))
    parser.add_argument("--max-in-flight", type=int, default=MAX_IN_FLIGHT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    path: Path = args.socket or p.socket_path()
    log.info("inference service pid %d starting on %s", os.getpid(), path)
    try:
        device = pick_device(args.device)
        if args.max_batch < 1 or args.max_wait_ms < 0 or args.idle_s <= 0 or args.max_in_flight < 1:
            raise ConfigError("--max-batch, --max-in-flight and --idle-s must be positive, --max-wait-ms not "
                              "negative")
        p.check_socket_path(path)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
        if not _take_lock(lock_fd, path):
            log.info("another inference service runs on %s: nothing to do", path)
            return 0
        sock = listen(path)
    except ConfigError as e:
        log.error("%s", e)
        return 2
    service = InferenceService(device, max_batch=args.max_batch, max_wait_ms=args.max_wait_ms, idle_s=args.idle_s,
                               max_in_flight=args.max_in_flight)
    inode = os.stat(path).st_ino
    log.info("inference service pid %d listening on %s (device %s, max batch %d, max wait %.1f ms)",
             os.getpid(), path, device, args.max_batch, args.max_wait_ms)
    try:
        asyncio.run(service.serve(sock))
    finally:
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == inode:
                path.unlink()
        os.close(lock_fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
