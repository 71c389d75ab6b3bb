"""A real RTMP ingest for tests: Debian's nginx with libnginx-mod-rtmp on loopback, recording what it receives."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from ports import PortTaken, listens, on_a_free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"

CONF = """\
{user}load_module {module};
worker_processes 1;
daemon off;
master_process on;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 64; }}
rtmp {{
  server {{
    listen 127.0.0.1:{port};
    chunk_size 4096;
    application live {{
      live on;
      record all;
      record_path {root}/rec;
      record_unique on;
    }}
  }}
}}
"""


class RtmpServer:
    """nginx-rtmp on a loopback port: a free one picked at the first start (again on another if nginx finds it
    taken), the same one on a restart, so that a reconnecting client finds it again."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = root
        self.port = port or 0
        self.proc: subprocess.Popen[bytes] | None = None
        (root / "rec").mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live"

    def start(self) -> None:
        if self.port:
            self._start(self.port)
        else:
            self.port = on_a_free_port(self._start)

    def _start(self, port: int) -> int:
        # started by root, nginx workers would run as nobody and could not write into pytest's private tmp dirs
        user = "user root root;\n" if os.geteuid() == 0 else ""
        (self.root / "nginx.conf").write_text(CONF.format(user=user, module=RTMP_MODULE, root=self.root, port=port))
        log = self.root / "error.log"
        log.unlink(missing_ok=True)
        self.proc = subprocess.Popen([NGINX, "-c", str(self.root / "nginx.conf"), "-p", str(self.root)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)  # its own process group: kill() takes the workers too
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if listens(self.proc.pid, port):  # nginx itself, not another program that took the port
                return port
            if "Address already in use" in (log.read_text() if log.exists() else ""):
                self.kill()  # nginx retries the bind for a few seconds before it gives up: no need to wait
                raise PortTaken(port)
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.proc.stderr.read().decode() if self.proc.stderr else ''}")
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("nginx did not listen in time")

    def kill(self) -> None:
        """Drop every connection at once, as a crashed ingest would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        """Graceful stop: nginx finishes the recordings it has open."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def recordings(self) -> list[Path]:
        return sorted((self.root / "rec").glob("*.flv"), key=lambda p: p.stat().st_mtime)
