"""The session clock and the live pacer: counters, not wall time, decide pts; pacing never drifts."""

from __future__ import annotations

import pytest

from streamer.media.clock import MediaClock
from streamer.media.pacer import Pacer


@pytest.mark.parametrize("fps", [24, 25, 30, 60, 7])
def test_audio_samples_per_frame_add_up_exactly_over_a_day(fps: int) -> None:
    clock = MediaClock(fps, 48_000)
    day_frames = 24 * 3600 * fps
    # summing the per-frame pieces of the last hour lands exactly on the day's sample count
    start = day_frames - 3600 * fps
    total = clock.frame_start_sample(start) + sum(clock.samples_in_frame(k) for k in range(start, day_frames))
    assert total == 24 * 3600 * 48_000
    assert all(clock.samples_in_frame(k) in (48_000 // fps, 48_000 // fps + 1) for k in range(fps * 3))


class VirtualTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


async def test_pacer_targets_are_measured_from_the_anchor_so_jitter_does_not_accumulate() -> None:
    vt = VirtualTime()
    pacer = Pacer(vt.monotonic, vt.sleep, lead_in_s=0.0)
    for k in range(3000):
        vt.now += 0.004  # each frame costs 4 ms of work
        await pacer.wait_until(k / 30)
    # after 100 s of media the wall clock is at the anchor + 100 s - 1/30 + one frame's work, not later
    assert vt.now - 100.0 == pytest.approx(2999 / 30 + 0.004, abs=1e-6)
    assert pacer.reanchors == 0


async def test_pacer_reanchors_after_a_stall_instead_of_bursting() -> None:
    vt = VirtualTime()
    pacer = Pacer(vt.monotonic, vt.sleep, max_lag_s=1.0, lead_in_s=0.0)
    await pacer.wait_until(0.0)
    vt.now += 5.0  # the machine stalled for 5 s
    await pacer.wait_until(1 / 30)
    assert pacer.reanchors == 1
    vt.sleeps.clear()
    await pacer.wait_until(2 / 30)
    assert vt.sleeps == [pytest.approx(1 / 30)]  # paced again from the new anchor


async def test_slow_first_frames_are_absorbed_by_the_lead_in_and_none_is_late() -> None:
    vt = VirtualTime()
    pacer = Pacer(vt.monotonic, vt.sleep)  # late: more than 0.1 s after its time
    for k in range(300):
        vt.now += 0.060 if k < 6 else 0.004  # the encoder's first frames cost 60 ms each, then 4 ms
        await pacer.wait_until(k / 30)
    assert pacer.late == 0


async def test_without_a_lead_in_the_same_start_makes_late_frames() -> None:
    vt = VirtualTime()
    pacer = Pacer(vt.monotonic, vt.sleep, lead_in_s=0.0)
    for k in range(300):
        vt.now += 0.060 if k < 6 else 0.004
        await pacer.wait_until(k / 30)
    assert pacer.late > 0


async def test_after_the_lead_in_frames_are_made_when_they_are_due_not_earlier() -> None:
    vt = VirtualTime()
    pacer = Pacer(vt.monotonic, vt.sleep, lead_in_s=0.3, lead_in_until_s=3.0)
    start = vt.now
    for k in range(90):  # the first 3 s of media: made up to 0.3 s ahead of their time
        await pacer.wait_until(k / 30)
    made = []
    for k in range(90, 120):
        await pacer.wait_until(k / 30)
        made.append(vt.now)
    assert made == [pytest.approx(start + 0.3 + k / 30, abs=1e-9) for k in range(90, 120)]  # frame 0 went at start
