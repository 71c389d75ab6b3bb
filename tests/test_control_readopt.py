"""Streams survive the control plane: a worker outlives a killed `streamer serve`, and the next one adopts it.

The service is the real `streamer serve` command in a subprocess, killed with SIGKILL while a stream pushes RTMP to
nginx-rtmp (no clean shutdown, as in a crash) and started again on the same database and data dir. What must hold:
the viewer sees no gap (the recording nginx made is one file with every frame), the restarted service shows the
stream live with the same run and its whole history, lines said while no service listened are recorded exactly
once, and commands work again.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT
from faults import figure, scale
from media_probe import probe
from ports import PortTaken, listens, on_a_free_port
from rtmp_server import RtmpServer
from test_control_support import ADMIN, BRIEF, SMALL, wait_for

from streamer.control.schemas import StreamSettings
from streamer.control.supervisor import link
from streamer.control.supervisor.handle import pid_alive
from streamer.control.supervisor.outbox import Outbox
from streamer.control.supervisor.protocol import FROM_WORKER, Hello, Replied, Welcome, WorkerSpec

FPS = SMALL["fps"]


class Serve:
    """`streamer serve` in a subprocess, on the same port, database and data dir each time it is started."""

    def __init__(self, tmp: Path, *flags: str, orphan_s: float = 60) -> None:
        self.tmp = tmp
        self.flags = flags
        self.port = 0
        self.log = tmp / "serve.log"
        self.env = {**os.environ, "STREAMER_ADMIN_TOKEN": ADMIN, "PYTHONUNBUFFERED": "1",
                    "STREAMER_WORKER_ORPHAN_S": str(orphan_s)}
        self.proc: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(headers={"Authorization": f"Bearer {ADMIN}"}, timeout=20)
        self.workers: set[int] = set()  # every worker pid seen, to clean up after a failed test

    def start(self) -> None:
        if self.port:
            self._start(self.port)
        else:
            self.port = on_a_free_port(self._start)
        self.client.base_url = httpx.URL(f"http://127.0.0.1:{self.port}")

    def _start(self, port: int) -> int:
        said_before = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:  # a file, not a pipe: workers that outlive the service log there too
            self.proc = subprocess.Popen([sys.executable, "-m", "streamer.cli", "serve", "--port", str(port),
                                          "--db", f"sqlite:///{self.tmp / 'control.db'}",
                                          "--data-dir", str(self.tmp / "data"), *self.flags],
                                         cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not listens(self.proc.pid, port):
            if self.proc.poll() is not None:
                said = self.log.read_bytes()[said_before:].decode(errors="replace")
                if "address already in use" in said.lower():
                    raise PortTaken(port)
                raise AssertionError(f"streamer serve exited with {self.proc.returncode}: {said[-800:]}")
            if time.monotonic() > deadline:
                raise AssertionError("streamer serve did not listen within 30 s")
            time.sleep(0.05)
        return port

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for pid in self.workers:  # a test that failed with the service down leaves its worker: end it
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.client.close()

    # --- the API ---------------------------------------------------------------------------------------------
    def stream(self, sid: str) -> dict[str, Any]:
        s = self.client.get(f"/api/streams/{sid}").json()
        if s.get("pid"):
            self.workers.add(s["pid"])
        return s

    def runs(self, sid: str) -> list[dict[str, Any]]:
        return self.client.get(f"/api/streams/{sid}/runs").json()

    def transcript(self, sid: str) -> list[dict[str, Any]]:
        return self.client.get(f"/api/streams/{sid}/transcript", params={"limit": 1000}).json()

    def health(self, sid: str) -> dict[str, Any] | None:
        return self.client.get(f"/api/streams/{sid}/health").json()["health"]


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[RtmpServer]:
    server = RtmpServer(tmp_path / "rtmp")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    s = Serve(tmp_path)
    try:
        yield s
    finally:
        s.close()


def _at(row: dict[str, Any]) -> float:
    return datetime.fromisoformat(row["said_at"]).timestamp()


def _pushing(serve: Serve, sid: str) -> bool:
    h = serve.health(sid)
    return bool(h) and any(o["state"] == "live" and o["sent"] > 0 for o in h["outputs"].values())


def test_a_killed_service_is_restarted_and_adopts_its_stream_with_no_gap_on_air(serve: Serve, nginx: RtmpServer,
                                                                               tmp_path: Path) -> None:
    serve.start()
    sid = serve.client.post("/api/streams", json={"name": "all night", "brief": BRIEF, "settings": {
        **SMALL, "outputs": [f"{nginx.url}/readopt"]}}).json()["id"]
    assert serve.client.post(f"/api/streams/{sid}/start").status_code == 202
    wait_for(lambda: serve.stream(sid)["state"] == "live", 30, "the stream to go live")
    wait_for(lambda: _pushing(serve, sid), 30, "the stream to push to nginx")
    wait_for(lambda: serve.transcript(sid), 20, "a first transcript line")
    before = serve.stream(sid)
    run = serve.runs(sid)[0]

    serve.kill()
    killed_at = time.time()
    assert pid_alive(before["pid"])  # the worker streams on, unsupervised
    time.sleep(8 * scale())  # long enough for a line or more to be said while no service listens
    t0 = time.monotonic()
    serve.start()
    wait_for(lambda: serve.stream(sid)["state"] == "live", 10, "the restarted service to show the stream live")
    adopt_s = time.monotonic() - t0
    restarted_at = time.time()

    after = serve.stream(sid)
    assert after["pid"] == before["pid"]  # the same worker: adopted, not restarted
    runs = serve.runs(sid)
    assert [r["id"] for r in runs] == [run["id"]] and runs[0]["ended_at"] is None  # the same run goes on
    assert runs[0]["restarts"] == 0
    wait_for(lambda: serve.health(sid), 5, "health reports from the adopted worker")

    # what was said while no service listened is in the history, once
    rows = wait_for(lambda: [r for r in serve.transcript(sid) if killed_at < _at(r) < restarted_at],
                    5, "the lines said while the service was down")
    assert all(r["run_id"] == run["id"] for r in rows)
    every = [(r["said_at"], r["text"]) for r in serve.transcript(sid)]
    assert len(every) == len(set(every))

    # commands reach the adopted worker
    said = serve.client.post(f"/api/streams/{sid}/commands", json={"type": "say", "text": "We are still here."})
    assert said.status_code == 200, said.text
    wait_for(lambda: any(r["text"] == "We are still here." for r in serve.transcript(sid)), 20, "the line said")

    assert serve.client.post(f"/api/streams/{sid}/stop").json()["state"] == "stopped"
    assert serve.runs(sid)[0]["end_reason"] == "manual"
    nginx.stop()  # nginx closes its recording
    recordings = nginx.recordings()
    assert len(recordings) == 1, recordings  # one connection from start to stop: it never dropped
    got = probe(recordings[0])
    gap_ms = got.max_gap_s * 1000
    figure("service_sigkill", gap_ms=round(gap_ms, 1), frame_ms=round(1000 / FPS, 1), adopt_s=round(adopt_s, 2),
           down_s=round(restarted_at - killed_at, 1), lines_while_down=len(rows))
    print(f"\nmax gap {gap_ms:.1f} ms (a frame is {1000 / FPS:.1f} ms); adopted {adopt_s:.2f} s after the restart; "
          f"{len(rows)} line(s) said while down")
    assert got.max_gap_s < 1.5 / FPS  # no frame missing: flv stamps are whole milliseconds



def test_lines_the_recorder_had_not_written_when_the_service_died_are_replayed_and_recorded_once(
        serve: Serve, tmp_path: Path) -> None:
    serve.start()
    sid = serve.client.post("/api/streams", json={"name": "locked", "brief": BRIEF, "settings": SMALL}).json()["id"]
    assert serve.client.post(f"/api/streams/{sid}/start").status_code == 202
    wait_for(lambda: serve.stream(sid)["state"] == "live", 30, "the stream to go live")
    wait_for(lambda: serve.transcript(sid), 20, "a first transcript line")
    db = sqlite3.connect(tmp_path / "control.db", isolation_level=None, timeout=30)
    db.execute("BEGIN EXCLUSIVE")  # the recorder cannot write: the lines said now wait in the service's memory
    locked_at = time.time()
    time.sleep(8 * scale())
    serve.kill()  # with those lines still unwritten
    killed_at = time.time()
    db.execute("ROLLBACK")
    db.close()
    serve.start()
    wait_for(lambda: serve.stream(sid)["state"] == "live", 15, "the restarted service to adopt the stream")
    rows = wait_for(lambda: [r for r in serve.transcript(sid) if locked_at < _at(r) < killed_at],
                    10, "the lines said while the recorder could not write")
    every = [(r["said_at"], r["text"]) for r in serve.transcript(sid)]
    assert len(every) == len(set(every))  # none twice
    figure("service_sigkill_unwritten", lines_replayed=len(rows), locked_s=round(killed_at - locked_at, 1))

def test_without_a_service_a_worker_stops_by_itself_after_the_grace_period(tmp_path: Path) -> None:
    serve = Serve(tmp_path, orphan_s=2)
    try:
        serve.start()
        sid = serve.client.post("/api/streams", json={"name": "forgotten", "brief": BRIEF,
                                                      "settings": SMALL}).json()["id"]
        serve.client.post(f"/api/streams/{sid}/start")
        wait_for(lambda: serve.stream(sid)["state"] == "live", 30, "the stream to go live")
        pid = serve.stream(sid)["pid"]
        serve.kill()
        time.sleep(1)
        assert pid_alive(pid)  # within the grace period it streams on
        wait_for(lambda: not pid_alive(pid), 15, "the unsupervised worker to stop")
        socket = tmp_path / "data" / "workers" / f"{sid}.sock"
        assert not socket.exists()  # it cleaned up after itself
        serve.start()  # nothing to adopt: the stream, manually live, is resumed in a new run
        wait_for(lambda: serve.stream(sid)["state"] == "live", 30, "the stream resumed")
        runs = serve.runs(sid)
        assert [r["reason"] for r in runs] == ["resume", "manual"] and runs[1]["end_reason"] == "service_lost"
    finally:
        serve.close()


def test_a_worker_that_died_while_no_service_listened_is_resumed_in_a_new_run_past_its_stale_socket(
        serve: Serve) -> None:
    serve.start()
    sid = serve.client.post("/api/streams", json={"name": "crashed alone", "brief": BRIEF,
                                                  "settings": SMALL}).json()["id"]
    serve.client.post(f"/api/streams/{sid}/start")
    wait_for(lambda: serve.stream(sid)["state"] == "live", 30, "the stream to go live")
    pid = serve.stream(sid)["pid"]
    serve.kill()
    os.kill(pid, signal.SIGKILL)  # no clean exit: its socket file stays
    wait_for(lambda: not pid_alive(pid), 5, "the worker to die")
    socket_file = serve.tmp / "data" / "workers" / f"{sid}.sock"
    assert socket_file.exists()
    serve.start()
    wait_for(lambda: serve.stream(sid)["state"] == "live", 30, "the stream resumed in a new worker")
    assert serve.stream(sid)["pid"] != pid
    assert [r["end_reason"] for r in serve.runs(sid)] == [None, "service_lost"]


def test_a_graceful_stop_with_keep_streams_on_exit_leaves_the_stream_for_the_next_service(tmp_path: Path) -> None:
    serve = Serve(tmp_path, "--keep-streams-on-exit")
    try:
        serve.start()
        sid = serve.client.post("/api/streams", json={"name": "upgrade", "brief": BRIEF,
                                                      "settings": SMALL}).json()["id"]
        serve.client.post(f"/api/streams/{sid}/start")
        wait_for(lambda: serve.stream(sid)["state"] == "live", 30, "the stream to go live")
        pid = serve.stream(sid)["pid"]
        serve.terminate()  # an upgrade: SIGTERM, then the new version starts
        assert pid_alive(pid)
        serve.start()
        wait_for(lambda: serve.stream(sid)["state"] == "live", 10, "the new service to adopt the stream")
        assert serve.stream(sid)["pid"] == pid
        runs = serve.runs(sid)
        assert len(runs) == 1 and runs[0]["ended_at"] is None
    finally:
        serve.close()


def test_a_graceful_stop_by_default_stops_the_streams(serve: Serve) -> None:
    serve.start()
    sid = serve.client.post("/api/streams", json={"name": "closing time", "brief": BRIEF,
                                                  "settings": SMALL}).json()["id"]
    serve.client.post(f"/api/streams/{sid}/start")
    wait_for(lambda: serve.stream(sid)["state"] == "live", 30, "the stream to go live")
    pid = serve.stream(sid)["pid"]
    serve.terminate()  # returns once the service exited, and it exits once its workers did
    assert not pid_alive(pid)
    assert not (serve.tmp / "data" / "workers" / f"{sid}.sock").exists()
    serve.start()
    assert serve.runs(sid)[-1]["end_reason"] == "service_stopped"  # the first run; the stream resumes in a new one


# --- the worker's side of the link: what it keeps for the next service -----------------------------------------

def _next(sock: socket.socket) -> Any:
    got = link.read_frame_blocking(sock)
    assert got is not None
    return FROM_WORKER.validate_json(got[0])


def _reply(text: str) -> Replied:
    return Replied(type="reply", ref=None, text=text, at=time.time())


def test_events_nobody_heard_are_replayed_to_the_next_service_and_those_it_could_not_keep_are_counted() -> None:
    gone = threading.Event()
    outbox = Outbox(WorkerSpec(stream_id="s1", brief=BRIEF, settings=StreamSettings()), 7, 3, gone.set)
    try:
        first, first_peer = socket.socketpair()
        first_peer.settimeout(5)
        outbox.attach(first, Hello())
        assert _next(first_peer).run_id == 7
        outbox.send(_reply("heard"))
        assert _next(first_peer).seq == 1
        first_peer.close()  # the service dies
        outbox.send(_reply("into the void"))  # the send fails: the outbox notices
        assert gone.wait(5)
        for text in ("two", "three", "four", "five"):  # one more than it keeps
            outbox.send(_reply(text))

        second, second_peer = socket.socketpair()
        second_peer.settimeout(5)
        outbox.attach(second, Hello(instance=outbox.instance, last_seq=1))
        welcome = _next(second_peer)
        assert isinstance(welcome, Welcome)
        assert welcome.lost == 2  # "into the void" and "two"
        replayed = [_next(second_peer) for _ in range(3)]
        assert [(e.seq, e.text) for e in replayed] == [(4, "three"), (5, "four"), (6, "five")]
        assert outbox.dropped_events == 1  # "two": the only one said with nobody listening that it could not keep
        outbox.send(_reply("live again"))
        assert _next(second_peer).seq == 7
        second_peer.close()
    finally:
        outbox.close()
