"""Schedule windows: wall-clock times in the schedule's time zone, across midnight, weekdays and DST."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from streamer.control.scheduler.windows import next_window, open_window
from streamer.control.schemas import ScheduleIn


@dataclass
class S:
    kind: str
    start: str
    end: str
    tz: str = "Asia/Shanghai"
    days: list[int] = field(default_factory=list)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_daily_window_is_local_time_in_its_zone() -> None:
    evening = S("daily", "20:00", "23:00")  # Shanghai is UTC+8: 12:00-15:00 UTC
    assert open_window(evening, utc("2025-03-10T11:59:59")) is None
    w = open_window(evening, utc("2025-03-10T12:00:00"))
    assert w is not None and (w.opens, w.closes) == (utc("2025-03-10T12:00"), utc("2025-03-10T15:00"))
    assert open_window(evening, utc("2025-03-10T15:00:00")) is None  # the end is exclusive


def test_a_window_ending_before_it_starts_runs_past_midnight() -> None:
    night = S("daily", "22:00", "02:00", tz="UTC")
    assert open_window(night, utc("2025-03-10T23:30")) is not None
    after_midnight = open_window(night, utc("2025-03-11T01:30"))
    assert after_midnight is not None and after_midnight.opens == utc("2025-03-10T22:00")
    assert open_window(night, utc("2025-03-11T02:00")) is None


def test_weekly_windows_open_only_on_their_days() -> None:
    weekdays = S("weekly", "09:00", "10:00", tz="UTC", days=[0, 2])  # Monday and Wednesday
    assert open_window(weekdays, utc("2025-03-10T09:30")) is not None  # a Monday
    assert open_window(weekdays, utc("2025-03-11T09:30")) is None  # Tuesday
    nxt = next_window(weekdays, utc("2025-03-10T10:30"))
    assert nxt is not None and nxt.opens == utc("2025-03-12T09:00")


def test_daylight_saving_keeps_the_local_time() -> None:
    ny = S("daily", "20:00", "21:00", tz="America/New_York")
    before = next_window(ny, utc("2025-03-08T12:00"))  # EST, UTC-5
    after = next_window(ny, utc("2025-03-10T12:00"))  # EDT, UTC-4 (clocks moved on 9 March)
    assert before is not None and before.opens == utc("2025-03-09T01:00")
    assert after is not None and after.opens == utc("2025-03-11T00:00")


def test_a_one_off_window_and_after_it() -> None:
    launch = S("once", "2025-06-01T20:00", "2025-06-01T20:30:15")
    assert open_window(launch, utc("2025-06-01T12:10")) is not None
    assert next_window(launch, utc("2025-06-01T12:31")) is None


@pytest.mark.parametrize("payload,needle", [
    ({"kind": "daily", "start": "25:00", "end": "26:00"}, "time of day"),
    ({"kind": "weekly", "start": "09:00", "end": "10:00"}, "days"),
    ({"kind": "once", "start": "2025-06-01T20:00", "end": "2025-06-01T19:00"}, "after start"),
    ({"kind": "once", "start": "2025-06-01T20:00+08:00", "end": "2025-06-01T21:00+08:00"}, "without an offset"),
    ({"kind": "daily", "start": "09:00", "end": "10:00", "tz": "Mars/Olympus"}, "unknown time zone"),
])
def test_schedules_that_make_no_sense_are_refused(payload: dict, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        ScheduleIn.model_validate(payload)
