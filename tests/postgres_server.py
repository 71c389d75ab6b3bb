"""A real PostgreSQL for tests: a throwaway cluster (Debian's binaries) on a free loopback port, that a test can stop
(as an outage would) and start again on the same port. Run as user postgres when the tests run as root."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ports import PortTaken, on_a_free_port

START_S = 60  # initdb and start-up on a loaded two-core machine; a server that never comes up fails here
QUERY_S = 30


def pg_bin(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


class PostgresServer:
    def __init__(self) -> None:
        initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
        self._pg_ctl = pg_ctl
        self.root = Path(tempfile.mkdtemp(prefix="streamer-pg-"))
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            shutil.chown(self.root, "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        subprocess.run([*self._as_user, initdb, "-D", str(self.root / "db"), "-A", "trust", "-U", "streamer",
                        "-E", "UTF8"], check=True, capture_output=True, timeout=START_S)
        self.port = 0

    @property
    def url(self) -> str:
        # a server that stops answering fails the test: connects and statements (a DROP waiting on a lock) time out
        return (f"postgresql://streamer@127.0.0.1:{self.port}/postgres?connect_timeout={QUERY_S}"
                f"&options=-c%20statement_timeout%3D{QUERY_S * 1000}")

    def start(self) -> None:
        """Start on a free port the first time, on the same port again after ``stop``."""
        if self.port:
            self._start(self.port)
        else:
            self.port = on_a_free_port(self._start)

    def _start(self, port: int) -> int:
        # pg_ctl -w waits for this server's own pid file to say ready: another server on the port cannot fool it
        log = self.root / f"log-{port}"
        started = subprocess.run([*self._as_user, self._pg_ctl, "-D", str(self.root / "db"), "-l", str(log), "-w",
                                  "-t", str(START_S), "-o",
                                  f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                                 capture_output=True, text=True, timeout=START_S + 10)
        if started.returncode == 0:
            return port
        said = log.read_text(errors="replace") if log.exists() else ""
        if "Address already in use" in said:
            raise PortTaken(port)
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr}{said[-600:]}")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: sessions are cut and the server shuts down cleanly; ``immediate``: as if it crashed."""
        subprocess.run([*self._as_user, self._pg_ctl, "-D", str(self.root / "db"), "-m", mode, "-w", "stop"],
                       capture_output=True, timeout=START_S)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
