"""One worker process and its link, seen from the service.

The worker is one the service starts (``spawn``: its own process and session, the boot message on stdin) or one an
earlier service left on air (``adopt``). Either way the service connects to the worker's socket, says hello, and
reads the welcome; then ``listen`` hands each message to the supervisor on the event loop, notes each event's
sequence number (link.SeqNote), and when the link closes waits for the process to end and reports its exit status
(None for an adopted worker: it is not our child, so its status goes to whoever adopted the process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from pydantic import BaseModel, ValidationError

from . import link
from .protocol import FROM_WORKER, FromWorker, Hello, Welcome, WorkerBoot

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0  # interpreter start and imports on a loaded machine
CONNECT_TIMEOUT_S = 2.0
WELCOME_TIMEOUT_S = 5.0
EXIT_WAIT_S = 10.0  # after the link closed: the process ends right after (or it is killed)
WORKER_MODULE = "streamer.control.supervisor.worker"


class WorkerGone(Exception):
    """The worker exited (or never listened, or did not answer hello) before its welcome."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def pid_alive(pid: int) -> bool:
    """The process exists and is not a zombie (an adopted worker's parent may never reap it)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class WorkerHandle:
    def __init__(self, files: link.WorkerFiles, on_message: Callable[[FromWorker, bytes], None],
                 on_exit: Callable[[int | None], None]) -> None:
        self.files = files
        self.stream_id = files.stream_id
        self._on_message = on_message
        self._on_exit = on_exit
        self._proc: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None
        self.instance: str | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._note: link.SeqNote | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        return self.pid is not None and pid_alive(self.pid)

    # --- getting a link ----------------------------------------------------------------------------------------
    async def spawn(self, boot: WorkerBoot) -> Welcome:
        """Start the worker and connect to it. Raises WorkerGone when it exits (or hangs) before its welcome."""
        self.files.remove()  # a dead worker's socket and the note of its events
        self._proc = await asyncio.to_thread(self._popen, boot)
        self.pid = self._proc.pid
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                welcome = await self._connect(Hello())
                break
            except (OSError, TimeoutError, link.LinkError) as e:
                if self._proc.poll() is not None:
                    code = self._proc.returncode
                    raise WorkerGone(f"worker exited with status {code}", code) from None
                if time.monotonic() > deadline:
                    self.kill()
                    raise WorkerGone(f"worker did not listen within {START_TIMEOUT_S:.0f} s ({e})") from None
                await asyncio.sleep(0.05)
        assert self._note is not None
        self._note.write(welcome.instance, 0)
        return welcome

    @staticmethod
    def _popen(boot: WorkerBoot) -> subprocess.Popen[bytes]:
        # its own session: Ctrl-C in the service's terminal, or the service's process group dying, leaves it be
        # A worker runs for days with several busy threads (render, encode, outputs, link); glibc gives each thread
        # an arena of its own and their fragments make RSS wander and creep. Two arenas keep it flat (the soak's
        # figure in docs/reliability.md); a value the operator set wins.
        env = {"MALLOC_ARENA_MAX": "2", **os.environ}
        proc = subprocess.Popen([sys.executable, "-m", WORKER_MODULE], stdin=subprocess.PIPE, start_new_session=True,
                                env=env)
        assert proc.stdin is not None
        try:
            proc.stdin.write(boot.model_dump_json().encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass  # it died at once: spawn sees the exit status
        return proc

    async def adopt(self) -> Welcome | None:
        """Connect to a worker an earlier service left running; None when nobody listens on its socket (the
        socket is stale: the caller removes it). WorkerGone: something listens but gave no welcome."""
        instance, seq = link.SeqNote.read(self.files.seq)
        try:
            welcome = await self._connect(Hello(instance=instance, last_seq=seq))
        except (ConnectionRefusedError, FileNotFoundError):
            log.info("stream %s: no worker listens on %s any more", self.stream_id, self.files.socket.name)
            return None
        except (OSError, TimeoutError, link.LinkError, ValidationError) as e:
            raise WorkerGone(f"no welcome ({type(e).__name__}: {e})") from None
        self.pid = welcome.pid
        return welcome

    async def _connect(self, hello: Hello) -> Welcome:
        reader, writer = await link.connect(self.files.socket, CONNECT_TIMEOUT_S)
        try:
            writer.write(link.frame(hello))
            got = await asyncio.wait_for(link.read_frame(reader), WELCOME_TIMEOUT_S)
            if got is None:
                raise link.LinkError("the worker hung up before its welcome")
            welcome = FROM_WORKER.validate_json(got[0])
            if not isinstance(welcome, Welcome):
                raise link.LinkError(f"the worker answered hello with {welcome.type!r}")
        except BaseException:
            writer.close()
            raise
        self._reader, self._writer = reader, writer
        self.instance = welcome.instance
        self._note = link.SeqNote(self.files.seq)
        return welcome

    # --- the link ----------------------------------------------------------------------------------------------
    def listen(self) -> None:
        """Start handing the worker's messages to the supervisor (the replayed events first)."""
        self._task = asyncio.create_task(self._read(), name=f"worker-link:{self.stream_id}")

    async def _read(self) -> None:
        assert self._reader is not None and self._writer is not None
        try:
            while (got := await link.read_frame(self._reader)) is not None:
                try:
                    msg = FROM_WORKER.validate_json(got[0])
                except ValidationError as e:
                    log.error("stream %s: a message not in the worker protocol: %s", self.stream_id, e)
                    continue
                try:
                    self._on_message(msg, got[1])
                except Exception:  # a bug handling one message must not cut the link
                    log.exception("stream %s: handling %s failed", self.stream_id, msg.type)
        except (OSError, link.LinkError) as e:
            log.warning("stream %s: link lost (%s)", self.stream_id, e)
        finally:
            self._writer.close()
            if self._note is not None:
                self._note.close()
        self._on_exit(await self._wait_exit())

    def note_seq(self, seq: int) -> None:
        """The event with this sequence number was published: a next service starts after it."""
        if self._note is not None and self.instance is not None:
            self._note.write(self.instance, seq)

    async def _wait_exit(self) -> int | None:
        if self._proc is not None:
            proc = self._proc
            try:
                return await asyncio.to_thread(proc.wait, EXIT_WAIT_S)
            except subprocess.TimeoutExpired:
                log.warning("stream %s: worker %d hung up but did not exit; killing it", self.stream_id, proc.pid)
                proc.kill()
                return await asyncio.to_thread(proc.wait)
        deadline = time.monotonic() + EXIT_WAIT_S
        while self.alive:
            if time.monotonic() > deadline:
                log.warning("stream %s: worker %s hung up but did not exit; killing it", self.stream_id, self.pid)
                self.kill()
                deadline = time.monotonic() + EXIT_WAIT_S
            await asyncio.sleep(0.1)
        return None

    def send(self, msg: BaseModel) -> bool:
        if self._writer is None or self._writer.is_closing():
            return False
        self._writer.write(link.frame(msg))
        return True

    async def detach(self) -> None:
        """Hang up and leave the worker on air, for the next service to adopt (it streams on unsupervised)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        elif self._writer is not None:
            self._writer.close()

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self.pid is not None and self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)
