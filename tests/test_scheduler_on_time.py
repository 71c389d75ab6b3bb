"""A scheduled stream goes on air at its window's first second; a stream started by hand is never held.

The scheduler starts the worker a lead time ahead of the window; the worker builds its session, connects its
RTMP output, voices its first sentence and holds its first frame until the window opens. The figure recorded is
how late the first frame was (``scheduled_start``: ``late_ms``, from the worker's own first-frame time). The
hold itself (media/pacer.py) is checked in virtual time: a wall clock stepped an hour never holds a stream an hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from faults import figure
from rtmp_server import RtmpServer
from test_control_support import LiveServer, wait_for

from streamer.media.pacer import MAX_HOLD_S, Pacer

TZ = "Europe/Berlin"
LEAD_S = 30.0  # the scheduler's lead in these tests: a worker on a loaded two-core machine takes 15 s to get ready
AHEAD_S = 20  # the window opens this far ahead: inside the lead, after the worker is ready
ON_TIME_S = 0.25  # generous: the machine is shared


def local(t: datetime) -> str:
    return t.astimezone(ZoneInfo(TZ)).replace(tzinfo=None).isoformat(timespec="seconds")


def add_window(server: LiveServer, sid: str, opens: datetime, closes: datetime) -> None:
    r = server.client.post(f"/api/streams/{sid}/schedules",
                           json={"kind": "once", "tz": TZ, "start": local(opens), "end": local(closes)})
    assert r.status_code == 201, r.text


def only_run(server: LiveServer, sid: str) -> dict[str, Any]:
    def recorded() -> dict[str, Any] | None:
        runs = server.client.get(f"/api/streams/{sid}/runs").json()
        return runs[0] if len(runs) == 1 and runs[0]["first_frame_at"] else None

    return wait_for(recorded, 10, "the run's first frame to be recorded")


def health(server: LiveServer, sid: str) -> dict[str, Any]:
    """The worker's health once it has been on air (one reported a moment before the first frame says less)."""
    def on_air() -> dict[str, Any] | None:
        h = server.health(sid)["health"]
        return h if h and h["frames"] else None

    return wait_for(on_air, 10, "the worker's health from on air")


def test_a_scheduled_stream_goes_on_air_at_its_window_opening(tmp_path: Path, rtmp_server: RtmpServer) -> None:
    with LiveServer(tmp_path, scheduler_tick_s=0.2, schedule_lead_s=LEAD_S) as server:
        sid = server.create_stream("on time", outputs=[f"{rtmp_server.url}/on-time"])
        opens = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=AHEAD_S)
        add_window(server, sid, opens, opens + timedelta(minutes=5))

        wait_for(lambda: server.state(sid) == "starting", 5, "the worker to start ahead of the window")
        server.wait_state(sid, "live", timeout_s=AHEAD_S + 20)
        h = health(server, sid)
        late_s = h["first_frame_at"] - opens.timestamp()
        figure("scheduled_start", late_ms=round(late_s * 1000, 1), reported_late_ms=h["first_frame_late_ms"])
        print(f"\nwindow open -> first frame: {late_s * 1000:.1f} ms (worker says {h['first_frame_late_ms']} ms)")
        assert 0 <= late_s < ON_TIME_S
        assert 0 <= h["first_frame_late_ms"] < ON_TIME_S * 1000
        run = only_run(server, sid)
        assert datetime.fromisoformat(run["started_at"]) == opens  # the run is the window's, not the lead's
        live_event_s = (datetime.fromisoformat(run["first_frame_at"]) - opens).total_seconds()
        assert 0 <= live_event_s < ON_TIME_S
        [output] = h["outputs"].values()
        assert output["connects"] == 1


def test_a_stream_started_by_hand_while_a_window_is_due_goes_on_air_at_once(tmp_path: Path) -> None:
    with LiveServer(tmp_path, scheduler_tick_s=0.2, schedule_lead_s=LEAD_S) as server:
        sid = server.create_stream("by hand")
        assert server.client.post(f"/api/streams/{sid}/start").status_code == 202
        opens = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=LEAD_S)  # due at once
        add_window(server, sid, opens, opens + timedelta(minutes=5))

        server.wait_state(sid, "live", timeout_s=LEAD_S - 5)
        run = only_run(server, sid)
        assert run["reason"] == "manual"
        assert datetime.fromisoformat(run["first_frame_at"]) < opens - timedelta(seconds=5)  # not held for it
        assert health(server, sid)["first_frame_late_ms"] is None  # no on-air time to be late for


def test_an_operator_stop_ahead_of_a_window_holds_the_stream_off_until_the_window_closes(tmp_path: Path) -> None:
    with LiveServer(tmp_path, scheduler_tick_s=0.2, schedule_lead_s=LEAD_S) as server:
        sid = server.create_stream("called off")
        opens = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=AHEAD_S)
        closes = opens + timedelta(minutes=5)
        add_window(server, sid, opens, closes)
        wait_for(lambda: server.state(sid) == "starting", 5, "the worker to start ahead of the window")

        assert server.client.post(f"/api/streams/{sid}/stop").json()["state"] == "stopped"
        ticks = server.services.scheduler.ticks
        wait_for(lambda: server.services.scheduler.ticks >= ticks + 5, 5, "a few scheduler ticks")
        assert server.state(sid) == "stopped"  # the scheduler does not start it again for the window
        hold = server.services.store.get_stream(sid).hold_until
        assert hold is not None and abs((hold - closes).total_seconds()) < 1


class Clocks:
    """Virtual monotonic and wall clocks; sleeping advances both."""

    def __init__(self) -> None:
        self.mono, self.wall = 1000.0, 1_800_000_000.0
        self.slept: list[float] = []

    async def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.mono += s
        self.wall += s

    def pacer(self) -> Pacer:  # no lead-in: these tests follow the hold, frame by frame
        return Pacer(lambda: self.mono, self.sleep, wall=lambda: self.wall, lead_in_s=0.0)


async def test_a_wall_clock_stepped_during_the_hold_does_not_move_the_first_frame() -> None:
    clocks = Clocks()
    pacer = clocks.pacer()
    pacer.hold_until(clocks.wall + 5.0)
    clocks.mono += 2.0  # getting ready takes 2 s...
    clocks.wall += 2.0 - 3600  # ...and meanwhile the wall clock is stepped back an hour
    await pacer.wait_until(0.0)
    assert clocks.slept == [pytest.approx(3.0)]  # on air 5 s after the hold was set, as planned
    await pacer.wait_until(1 / 30)
    assert clocks.slept[-1] == pytest.approx(1 / 30) and pacer.late == 0


async def test_an_on_air_time_an_hour_away_holds_no_longer_than_the_cap() -> None:
    clocks = Clocks()
    pacer = clocks.pacer()
    pacer.hold_until(clocks.wall + 3600)  # the clock was stepped between the scheduler and the worker
    await pacer.wait_until(0.0)
    assert clocks.slept == [pytest.approx(MAX_HOLD_S)]


async def test_a_start_ready_after_its_on_air_time_goes_on_air_at_once_without_late_frames() -> None:
    clocks = Clocks()
    pacer = clocks.pacer()
    pacer.hold_until(clocks.wall + 1.0)
    clocks.mono += 4.0  # ready 3 s after the on-air time
    for k in range(30):
        await pacer.wait_until(k / 30)
    assert clocks.slept == [pytest.approx(1 / 30)] * 29  # the first frame at once, then paced from it
    assert (pacer.late, pacer.reanchors) == (0, 0)
