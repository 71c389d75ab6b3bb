"""A schedule runs a stream with nobody present: opens on time, survives the service being killed, closes on time.

The service is the real `streamer serve` command in a subprocess, killed with SIGKILL mid-window (no clean
shutdown, as in a power cut) and started again on the same database; the worker stays on air and is adopted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from conftest import ROOT
from ports import PortTaken, listens, on_a_free_port
from test_control_support import ADMIN, BRIEF, SMALL, LiveServer, wait_for

from streamer.control.supervisor.handle import pid_alive

TZ = "Asia/Shanghai"


class Service:
    """`streamer serve` in a subprocess: on a free port at the first start (another if that one was taken
    meanwhile), on the same port when started again after a kill."""

    def __init__(self, tmp: Path) -> None:
        self.port = 0
        self.db = f"sqlite:///{tmp / 'sched.db'}"
        self.log = tmp / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(headers={"Authorization": f"Bearer {ADMIN}"}, timeout=20)

    def start(self) -> None:
        if self.port:
            self._start(self.port)
        else:
            self.port = on_a_free_port(self._start)
        self.client.base_url = httpx.URL(f"http://127.0.0.1:{self.port}")

        def up() -> bool:
            try:
                return self.client.get("/healthz").status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, 30, "streamer serve to answer")

    def _start(self, port: int) -> int:
        env = {**os.environ, "STREAMER_ADMIN_TOKEN": ADMIN, "PYTHONUNBUFFERED": "1"}
        said_before = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "streamer.cli", "serve", "--port", str(port),
                                          "--db", self.db, "--data-dir", str(self.log.parent)],
                                         cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        # up when this very process listens: under a second copy of the suite another service may hold the port
        deadline = time.monotonic() + 30
        while not listens(self.proc.pid, port):
            if self.proc.poll() is not None:
                said = self.log.read_bytes()[said_before:].decode(errors="replace")
                if "address already in use" in said.lower():
                    raise PortTaken(port)
                raise AssertionError(f"streamer serve exited with {self.proc.returncode}: {said[-800:]}")
            if time.monotonic() > deadline:
                raise AssertionError("streamer serve did not listen within 30 s")
            time.sleep(0.1)
        return port

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        self.client.close()

    def stream(self, sid: str) -> dict:
        return self.client.get(f"/api/streams/{sid}").json()

    def runs(self, sid: str) -> list[dict]:
        return list(reversed(self.client.get(f"/api/streams/{sid}/runs").json()))


def local(t: datetime) -> str:
    return t.astimezone(ZoneInfo(TZ)).replace(tzinfo=None).isoformat(timespec="seconds")




def test_a_window_opens_survives_a_service_kill_and_closes_on_time(tmp_path: Path) -> None:
    service = Service(tmp_path)
    service.start()
    try:
        sid = service.client.post("/api/streams", json={"name": "night shift", "brief": BRIEF,
                                                        "settings": SMALL}).json()["id"]
        now = datetime.now(UTC).replace(microsecond=0)
        opens, closes = now + timedelta(seconds=3), now + timedelta(seconds=15)
        r = service.client.post(f"/api/streams/{sid}/schedules", json={
            "kind": "once", "tz": TZ, "start": local(opens), "end": local(closes), "products": ["mat-5"]})
        assert r.status_code == 201, r.text
        assert r.json()["next_open"].startswith(opens.isoformat()[:19])

        assert service.stream(sid)["state"] == "stopped"  # nothing before the window
        wait_for(lambda: service.stream(sid)["state"] == "live", 15, "the window to start the stream")
        first = service.runs(sid)[0]
        assert first["reason"] == "schedule"
        to_first_frame_s = (datetime.fromisoformat(first["first_frame_at"]) - opens).total_seconds()
        assert 0 <= to_first_frame_s < 5
        print(f"\nwindow open -> first frame: {to_first_frame_s:.2f} s")
        worker = service.stream(sid)["pid"]
        health = wait_for(lambda: service.client.get(f"/api/streams/{sid}/health").json()["health"], 5, "health")
        assert health["product_id"] == "mat-5"  # the schedule's product rotation picked the product

        service.kill()  # mid-window, no clean shutdown
        assert pid_alive(worker)  # the stream stays on air without its service
        service.start()
        wait_for(lambda: service.stream(sid)["state"] == "live", 15, "the restarted service to adopt the stream")
        assert service.stream(sid)["pid"] == worker
        runs = service.runs(sid)
        assert [r["reason"] for r in runs] == ["schedule"] and runs[0]["ended_at"] is None  # one run, going on

        wait_for(lambda: service.stream(sid)["state"] == "stopped", 20, "the window to close")
        ended = datetime.fromisoformat(service.runs(sid)[0]["ended_at"])
        late_s = (ended - closes).total_seconds()
        print(f"window close -> stopped: {late_s:.2f} s")
        assert 0 <= late_s < 3
        assert service.runs(sid)[0]["end_reason"] == "schedule"
        assert not pid_alive(worker)
        assert service.client.get(f"/api/streams/{sid}/transcript").json()  # it spoke, and it was recorded
    finally:
        service.stop()


def test_an_operator_stop_inside_a_window_holds_until_the_window_closes(tmp_path: Path) -> None:
    with LiveServer(tmp_path, scheduler_tick_s=0.2) as server:
        sid = server.create_stream("held")
        now = datetime.now(UTC)
        closes = now + timedelta(minutes=10)
        server.client.post(f"/api/streams/{sid}/schedules", json={
            "kind": "once", "tz": TZ, "start": local(now - timedelta(minutes=1)), "end": local(closes)})
        server.wait_state(sid, "live")  # the scheduler started it: the window is open
        assert server.client.post(f"/api/streams/{sid}/stop").json()["state"] == "stopped"
        ticks = server.services.scheduler.ticks
        wait_for(lambda: server.services.scheduler.ticks >= ticks + 5, 5, "a few scheduler ticks")
        assert server.state(sid) == "stopped"  # the scheduler does not fight the operator
        hold = server.services.store.get_stream(sid).hold_until
        assert hold is not None and abs((hold - closes).total_seconds()) < 1
        assert [r["end_reason"] for r in server.client.get(f"/api/streams/{sid}/runs").json()] == ["manual"]
