"""A real RTMP ingest for tests: Debian's nginx with libnginx-mod-rtmp on loopback, recording what it receives."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RtmpServer:
    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = root
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        (root / "rec").mkdir(parents=True, exist_ok=True)
        # started by root, nginx workers would run as nobody and could not write into pytest's private tmp dirs
        user = "user root root;\n" if os.geteuid() == 0 else ""
        (root / "nginx.conf").write_text(CONF.format(user=user, module=RTMP_MODULE, root=root, port=self.port))

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live"

    def start(self) -> None:
        self.proc = subprocess.Popen([NGINX, "-c", str(self.root / "nginx.conf"), "-p", str(self.root)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)  # its own process group: kill() takes the workers too
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.proc.stderr.read().decode() if self.proc.stderr else ''}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
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
