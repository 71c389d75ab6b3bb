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
    pacer = Pacer(vt.monotonic, vt.sleep)
    for k in range(3000):
        vt.now += 0.004  # each frame costs 4 ms of work
        await pacer.wait_until(k / 30)
    # after 100 s of media the wall clock is at the anchor + 100 s - 1/30 + one frame's work, not later
    assert vt.now - 100.0 == pytest.approx(2999 / 30 + 0.004, abs=1e-6)
    assert pacer.reanchors == 0


async def test_pacer_reanchors_after_a_stall_instead_of_bursting() -> None:
    vt = VirtualTime()
    pacer = Pacer(vt.monotonic, vt.sleep, max_lag_s=1.0)
    await pacer.wait_until(0.0)
    vt.now += 5.0  # the machine stalled for 5 s
    await pacer.wait_until(1 / 30)
    assert pacer.reanchors == 1
    vt.sleeps.clear()
    await pacer.wait_until(2 / 30)
    assert vt.sleeps == [pytest.approx(1 / 30)]  # paced again from the new anchor
