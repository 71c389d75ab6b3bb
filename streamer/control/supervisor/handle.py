"""One worker process and its pipe, seen from the service.

A reader thread blocks on the pipe and hands each message to the event loop; when the pipe closes it reaps the
process and reports the exit status. Starting (fork+exec of a fresh interpreter) and reaping block, so both run
off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from . import worker

log = logging.getLogger(__name__)

_SPAWN = mp.get_context("spawn")


class WorkerHandle:
    def __init__(self, stream_id: str, spec_json: str, loop: asyncio.AbstractEventLoop,
                 on_message: Callable[[tuple], None], on_exit: Callable[[int | None], None]) -> None:
        self.stream_id = stream_id
        self._spec_json = spec_json
        self._loop = loop
        self._on_message = on_message
        self._on_exit = on_exit
        self._conn: Connection | None = None
        self.process: BaseProcess | None = None
        self._send_lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> None:
        """Blocking: spawn the process and the reader thread."""
        parent, child = _SPAWN.Pipe(duplex=True)
        # daemon: if the service exits without stopping its workers, multiprocessing terminates them
        self.process = _SPAWN.Process(target=worker.main, args=(self._spec_json, child),
                                      name=f"stream-{self.stream_id}", daemon=True)
        self.process.start()
        child.close()  # the child holds its own end; ours must close so EOF is seen when the child dies
        self._conn = parent
        threading.Thread(target=self._read, name=f"pipe-{self.stream_id}", daemon=True).start()

    def send(self, msg: tuple) -> bool:
        if self._conn is None:
            return False
        try:
            with self._send_lock:
                self._conn.send(msg)
            return True
        except (BrokenPipeError, OSError):
            return False

    def _read(self) -> None:
        assert self._conn is not None and self.process is not None
        while True:
            try:
                msg = self._conn.recv()
            except (EOFError, OSError):
                break
            except Exception:  # an unpicklable message: log it, keep the stream
                log.exception("bad message from worker %s", self.stream_id)
                continue
            self._call(self._on_message, msg)
        self.process.join()
        self._conn.close()
        self._call(self._on_exit, self.process.exitcode)

    def _call(self, fn: Callable, arg: object) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, arg)
        except RuntimeError:
            pass  # the loop is closed: the service is shutting down

    def terminate(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.terminate()

    def kill(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.kill()
