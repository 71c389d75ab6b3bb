"""Fault matrix, clock row: the wall clock steps an hour (an NTP correction, an operator's `date -s`) mid-stream.

The product runs under Debian's libfaketime, which shifts the wall clock (CLOCK_REALTIME) of the processes it is
preloaded into by the offset written in a control file, re-read every second; the real system clock is never
touched. The monotonic clock stays real, as it does when a real wall clock steps. What must hold:

- pacing is unaffected: a live stream keeps every frame on time (0 late frames, no re-anchoring), its frame and
  sample counts are exact, and its media time keeps up with the monotonic clock;
- schedules follow the new wall time: a window opens (or closes) by the stepped clock exactly once, with no second
  start and no storm of stops.

libfaketime 0.9.10 (Debian 12) mishandles two monotonic waits when it is told to leave the monotonic clock alone:
absolute ``clock_nanosleep`` (Python 3.11's ``time.sleep`` fails with EINVAL, wolfcw/libfaketime#426) and
``pthread_cond_timedwait``, which Python's GIL uses (every thread switch takes its locks: a realtime stream misses
frames under it). A small shim preloaded ahead of it sends those calls, and monotonic ``clock_gettime``, straight
to glibc, so only the wall clock is faked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from glob import glob
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from conftest import ROOT
from faults import figure, scale
from media_probe import probe
from ports import PortTaken, listens, on_a_free_port
from test_control_support import ADMIN, BRIEF, SMALL, wait_for

pytestmark = pytest.mark.slow
HOUR_S = 3600
FPS = 15
SAMPLE_RATE = 48_000
STARTUP_S = 30  # interpreter, imports, the voice and the first encoder on a loaded two-core machine
TZ = "Asia/Shanghai"
FAKETIME_CACHE_S = 1  # how often libfaketime re-reads its control file
SHIM_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void *glibc(const char *name, const char *version) {
    void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    return version ? dlvsym(h, name, version) : dlsym(h, name);
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
    static int (*faked)(clockid_t, struct timespec *), (*real)(clockid_t, struct timespec *);
    if (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE) {
        if (!faked) faked = dlsym(RTLD_NEXT, "clock_gettime");
        return faked(clock, ts);
    }
    if (!real) real = glibc("clock_gettime", NULL);
    return real(clock, ts);
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req, struct timespec *rem) {
    return syscall(SYS_clock_nanosleep, clock, flags, req, rem) == 0 ? 0 : errno;
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t) {
    static int (*real)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
    if (!real) real = glibc("pthread_cond_timedwait", "GLIBC_2.3.2");
    return real(c, m, t);
}
"""


class SteppedClock:
    """The wall clock of the processes started with ``env()``: the real one plus an offset the test steps."""

    def __init__(self, root: Path) -> None:
        [libfaketime] = glob("/usr/lib/*/faketime/libfaketimeMT.so.1") or [""]
        gcc = shutil.which("gcc")
        if not libfaketime or not gcc:
            raise RuntimeError("the clock fault tests need Debian's faketime and gcc: bash scripts/setup.sh --dev")
        shim = root / "monotonic_shim.so"
        (root / "monotonic_shim.c").write_text(SHIM_C)
        subprocess.run([gcc, "-shared", "-fPIC", "-O2", "-o", str(shim), str(root / "monotonic_shim.c"), "-ldl"],
                       check=True, capture_output=True, timeout=60)
        self.preload = f"{shim}:{libfaketime}"
        self.control = root / "faketime.rc"
        self.offset_s = 0
        self._write()

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "LD_PRELOAD": self.preload, "FAKETIME_TIMESTAMP_FILE": str(self.control),
                "FAKETIME_CACHE_DURATION": str(FAKETIME_CACHE_S), "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                "PYTHONUNBUFFERED": "1", **extra}

    def step(self, seconds: int) -> None:
        """Step the wall clock; the processes see it within FAKETIME_CACHE_S."""
        self.offset_s += seconds
        self._write()

    def now(self) -> datetime:
        """The wall-clock time the stepped processes see."""
        return datetime.now(UTC) + timedelta(seconds=self.offset_s)

    def _write(self) -> None:
        tmp = self.control.with_suffix(".tmp")
        tmp.write_text(f"{self.offset_s:+d}\n")
        tmp.replace(self.control)  # never a half-written file for libfaketime to read


@pytest.fixture
def stepped_clock(tmp_path: Path) -> SteppedClock:
    return SteppedClock(tmp_path)


# --- pacing ------------------------------------------------------------------------------------------------------

DONE = re.compile(r"^(\S+ \S+) INFO streamer\.commands\.run: done:", re.M)


@pytest.mark.parametrize("step_s", [HOUR_S, -HOUR_S], ids=["forward", "back"])
def test_a_wall_clock_step_mid_stream_changes_nothing_on_air(
        step_s: int, stepped_clock: SteppedClock, garden_brief: Path, tmp_path: Path) -> None:
    duration_s = 12 * scale()
    rec = tmp_path / "rec.flv"  # FLV goes to disk packet by packet: its size shows the stream is on air
    log = tmp_path / "run.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamer.cli", "run", str(garden_brief), "--realtime", "--out", str(rec),
             "--duration", f"{duration_s:g}", "--size", "320x180", "--fps", str(FPS), "--voice", "espeak:en-us",
             "--stats"], cwd=ROOT, env=stepped_clock.env(), stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        wait_for(lambda: rec.exists() and rec.stat().st_size > 64_000, STARTUP_S, "the stream to be on air")
        time.sleep(duration_s / 4)
        stepped_clock.step(step_s)
        out, _ = proc.communicate(timeout=duration_s + STARTUP_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0, log.read_text()[-2000:]
    stats: dict[str, Any] = json.loads(out)
    [done] = DONE.findall(log.read_text())
    seen_offset_s = (datetime.strptime(done, "%Y-%m-%d %H:%M:%S,%f") - datetime.now()).total_seconds()
    recorded = probe(rec)
    figure(f"wall_clock_step_{'forward' if step_s > 0 else 'back'}", step_s=step_s,
           late_frames=stats["late_frames"], reanchors=stats["reanchors"], max_lag_ms=round(stats["max_lag_s"] * 1000),
           fps=round(stats["fps"], 3), frames=stats["frames"], recorded_max_gap_ms=round(recorded.max_gap_s * 1000, 1))

    assert abs(seen_offset_s - step_s) < 60  # the product itself saw the step, before it ended
    assert stats["late_frames"] == 0 and stats["reanchors"] == 0
    assert stats["frames"] == duration_s * FPS and stats["samples"] == duration_s * SAMPLE_RATE
    assert stats["fps"] == pytest.approx(FPS, rel=0.03)  # media time kept up with the monotonic clock
    assert recorded.frames == duration_s * FPS and recorded.max_gap_s <= 1.5 / FPS


# --- schedules ---------------------------------------------------------------------------------------------------

class SteppedService:
    """`streamer serve` (and the workers it starts) on the stepped clock, on a free loopback port."""

    def __init__(self, tmp: Path, clock: SteppedClock) -> None:
        self.clock = clock
        self.tmp = tmp
        self.log = tmp / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(headers={"Authorization": f"Bearer {ADMIN}"}, timeout=20)

    def start(self) -> None:
        port = on_a_free_port(self._start)
        self.client.base_url = httpx.URL(f"http://127.0.0.1:{port}")
        wait_for(lambda: self.client.get("/healthz").status_code == 200, 30, "streamer serve to answer")

    def _start(self, port: int) -> int:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streamer.cli", "serve", "--port", str(port),
                 "--db", f"sqlite:///{self.tmp / 'clock.db'}", "--data-dir", str(self.tmp / "data")],
                cwd=ROOT, env=self.clock.env(STREAMER_ADMIN_TOKEN=ADMIN), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not listens(self.proc.pid, port):  # this very process, not another copy's server
            if self.proc.poll() is not None:
                said = self.log.read_text(errors="replace")
                if "address already in use" in said.lower():
                    raise PortTaken(port)
                raise AssertionError(f"streamer serve exited with {self.proc.returncode}: {said[-800:]}")
            if time.monotonic() > deadline:
                raise AssertionError("streamer serve did not listen within 30 s")
            time.sleep(0.1)
        return port

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.client.close()

    def create_stream(self) -> str:
        r = self.client.post("/api/streams", json={"name": "clock room", "brief": BRIEF, "settings": SMALL})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def schedule(self, sid: str, opens: datetime, closes: datetime) -> dict[str, Any]:
        r = self.client.post(f"/api/streams/{sid}/schedules", json={
            "kind": "once", "tz": TZ, "start": local(opens), "end": local(closes)})
        assert r.status_code == 201, r.text
        return dict(r.json())

    def state(self, sid: str) -> str:
        return str(self.client.get(f"/api/streams/{sid}").json()["state"])

    def runs(self, sid: str) -> list[dict[str, Any]]:
        return list(reversed(self.client.get(f"/api/streams/{sid}/runs").json()))

    def transitions(self, sid: str) -> list[str]:
        """What the controller logged doing to the stream, in order: 'started' and 'stopped'."""
        return re.findall(rf"stream {sid} (started|stopped) ", self.log.read_text(errors="replace"))


def local(t: datetime) -> str:
    return t.astimezone(ZoneInfo(TZ)).replace(tzinfo=None).isoformat(timespec="seconds")


@pytest.fixture
def stepped_service(tmp_path: Path, stepped_clock: SteppedClock) -> Iterator[SteppedService]:
    service = SteppedService(tmp_path, stepped_clock)
    service.start()
    yield service
    service.stop()


def settle() -> None:
    """Long enough for several scheduler ticks (one a second at most), to see that nothing more happens."""
    time.sleep(3)


def test_a_window_an_hour_ahead_opens_and_closes_once_when_the_clock_steps_forward_into_it(
        stepped_service: SteppedService, stepped_clock: SteppedClock) -> None:
    sid = stepped_service.create_stream()
    opens = (stepped_clock.now() + timedelta(seconds=HOUR_S + 15)).replace(microsecond=0)
    closes = opens + timedelta(seconds=15 * scale())
    sched = stepped_service.schedule(sid, opens, closes)
    assert datetime.fromisoformat(sched["next_open"]) == opens
    settle()
    assert stepped_service.state(sid) == "stopped"  # an hour early: nothing yet

    stepped_clock.step(HOUR_S)  # the window now opens in about 15 s by the service's clock
    wait_for(lambda: stepped_service.state(sid) == "live", 15 + STARTUP_S, "the window to start the stream")
    wait_for(lambda: stepped_service.state(sid) == "stopped", 15 * scale() + 20, "the window to close")
    settle()

    [run] = stepped_service.runs(sid)
    on_air_late_s = (datetime.fromisoformat(run["first_frame_at"]) - opens).total_seconds()
    off_late_s = (datetime.fromisoformat(run["ended_at"]) - closes).total_seconds()
    figure("wall_clock_step_schedule_forward", step_s=HOUR_S, runs=1, on_air_late_s=round(on_air_late_s, 2),
           off_late_s=round(off_late_s, 2), transitions=stepped_service.transitions(sid))
    assert (run["reason"], run["end_reason"]) == ("schedule", "schedule")
    assert -1 < on_air_late_s < 5 and 0 <= off_late_s < 5  # by the stepped clock, not an hour off
    assert stepped_service.transitions(sid) == ["started", "stopped"]  # no second start, no stop storm


def test_an_open_window_closes_once_when_the_clock_steps_back_an_hour_and_opens_once_when_it_returns(
        stepped_service: SteppedService, stepped_clock: SteppedClock) -> None:
    sid = stepped_service.create_stream()
    now = stepped_clock.now()
    stepped_service.schedule(sid, now - timedelta(minutes=1), now + timedelta(minutes=30))
    wait_for(lambda: stepped_service.state(sid) == "live", STARTUP_S, "the open window to start the stream")

    stepped_clock.step(-HOUR_S)  # by the service's clock the window now opens in about an hour
    stepped_at = time.monotonic()
    wait_for(lambda: stepped_service.state(sid) == "stopped", 15, "the step to close the window")
    off_after_s = time.monotonic() - stepped_at
    settle()
    assert stepped_service.state(sid) == "stopped"
    assert stepped_service.transitions(sid) == ["started", "stopped"]

    stepped_clock.step(HOUR_S)  # back inside the window
    wait_for(lambda: stepped_service.state(sid) == "live", STARTUP_S, "the window to start the stream again")
    settle()
    runs = stepped_service.runs(sid)
    figure("wall_clock_step_schedule_back", step_s=-HOUR_S, off_after_s=round(off_after_s, 2), runs=len(runs),
           transitions=stepped_service.transitions(sid))
    assert [r["end_reason"] for r in runs] == ["schedule", None]  # the second run is on air
    assert stepped_service.transitions(sid) == ["started", "stopped", "started"]
