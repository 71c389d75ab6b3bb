"""The link between the service and one worker: a Unix socket per worker in the service's state dir, carrying
length-prefixed frames of the messages in protocol.py.

A frame is two big-endian u32 lengths (JSON, payload), the message as JSON, then the binary payload (a preview's
JPEG; empty for everything else), so a frame is read in three exact reads and bytes never pass through JSON.

Files, in ``<data_dir>/workers/`` (mode 0700): ``<stream>.sock`` (0600) where the worker listens, and
``<stream>.seq`` (0600), where the service notes the last event it published from that worker (``instance seq``),
so the next service says hello with it and the worker replays only what came after. Only the same user can reach
the socket (the modes, and the worker checks the peer's uid).

Unix socket paths are limited to 107 bytes; a longer one is reached through ``/proc/self/fd/<dir>/<name>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pydantic_core
from pydantic import BaseModel

from ...framing import HEADER, FrameReader

MAX_JSON_BYTES = 16 * 1024 * 1024  # a welcome carries the spec with its brief and written blocks
MAX_PAYLOAD_BYTES = 16 * 1024 * 1024
SUN_PATH_MAX = 107
_SEQ = struct.Struct("!32sQ")  # instance (ascii, padded), seq


class LinkError(Exception):
    """The peer sent something that is not a frame (too large, cut short)."""


def frame(msg: BaseModel, payload: bytes = b"") -> bytes:
    # only the fields that were set (a null that clears a fact stays apart from a field left out), and the type
    # always, defaulted or not: it is the discriminator
    kind = getattr(msg, "type")  # noqa: B009 (every message has one; BaseModel does not say so)
    data = pydantic_core.to_json({"type": kind, **msg.model_dump(mode="json", exclude_unset=True)})
    return HEADER.pack(len(data), len(payload)) + data + payload


_FRAMES = FrameReader(MAX_JSON_BYTES, MAX_PAYLOAD_BYTES, LinkError, "the link")
read_frame = _FRAMES.read  # the next frame (JSON, payload); None at a clean end of stream
# the same from a blocking socket (the worker's link thread); a timeout between frames propagates, inside one it waits
read_frame_blocking = _FRAMES.read_blocking


class WorkerFiles:
    """Where one stream's worker socket and sequence note live."""

    def __init__(self, state_dir: Path, stream_id: str) -> None:
        self.state_dir = state_dir
        self.stream_id = stream_id
        self.socket = state_dir / f"{stream_id}.sock"
        self.seq = state_dir / f"{stream_id}.seq"

    def remove(self) -> None:
        for path in (self.socket, self.seq):
            path.unlink(missing_ok=True)


def make_state_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def live_sockets(state_dir: Path) -> list[WorkerFiles]:
    """Every worker socket in the state dir (some may belong to workers that died)."""
    if not state_dir.is_dir():
        return []
    return [WorkerFiles(state_dir, p.stem) for p in sorted(state_dir.glob("*.sock"))]


def forget_dead(state_dir: Path) -> None:
    """Remove the event notes of workers whose socket is gone."""
    for note in state_dir.glob("*.seq"):
        if not note.with_suffix(".sock").exists():
            note.unlink(missing_ok=True)


@contextlib.contextmanager
def reachable(path: Path) -> Iterator[str]:
    """A path bind/connect accept for ``path``: itself, or through an open fd of its folder when it is too long."""
    if len(os.fsencode(path)) <= SUN_PATH_MAX:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def listen(path: Path) -> socket.socket:
    """Bind the worker's socket (0600), replacing a stale file of a dead worker."""
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        with reachable(path) as where:
            sock.bind(where)
    finally:
        os.umask(old)
    sock.listen(4)
    return sock


async def connect(path: Path, timeout_s: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to a worker's socket. OSError (refused, missing) when no worker listens there."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        with reachable(path) as where:
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, where), timeout_s)
    except BaseException:
        sock.close()
        raise
    return await asyncio.open_unix_connection(sock=sock, limit=MAX_JSON_BYTES)


def same_user(sock: socket.socket) -> bool:
    """The peer runs as our uid (SO_PEERCRED: pid, uid, gid)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", creds)
    return uid == os.getuid()


class SeqNote:
    """The service's note of the last event it published from one worker, rewritten in place (one pwrite per
    event; it survives the service being killed, the page cache is the kernel's)."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    @staticmethod
    def read(path: Path) -> tuple[str | None, int]:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None, 0
        if len(data) != _SEQ.size:
            return None, 0
        instance, seq = _SEQ.unpack(data)
        return instance.rstrip(b"\0").decode("ascii", "replace") or None, seq

    def write(self, instance: str, seq: int) -> None:
        os.pwrite(self._fd, _SEQ.pack(instance.encode("ascii"), seq), 0)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)
