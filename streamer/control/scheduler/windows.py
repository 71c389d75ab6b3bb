"""Schedule windows: when is a stream supposed to be live? Pure functions of a schedule and an instant.

Times are wall-clock times in the schedule's IANA zone, converted with zoneinfo, so a daily 20:00 stays 20:00
local across daylight-saving changes (the window is an hour shorter or longer on the change night). A daily or
weekly window whose end is at or before its start runs past midnight; for weekly ones ``days`` name the day the
window opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LOOKAHEAD_DAYS = 8


class ScheduleLike(Protocol):
    kind: str
    tz: str
    start: str
    end: str
    days: list[int]


@dataclass(frozen=True, slots=True)
class Window:
    opens: datetime  # UTC
    closes: datetime  # UTC

    def contains(self, now: datetime) -> bool:
        return self.opens <= now < self.closes


def _time(text: str) -> time:
    return time.fromisoformat(text)


def _local(d: date, t: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, t, tzinfo=tz).astimezone(UTC)


def _daily_window(s: ScheduleLike, day: date, tz: ZoneInfo) -> Window | None:
    if s.kind == "weekly" and day.weekday() not in s.days:
        return None
    start, end = _time(s.start), _time(s.end)
    end_day = day + timedelta(days=1) if end <= start else day
    return Window(_local(day, start, tz), _local(end_day, end, tz))


def windows_around(s: ScheduleLike, now: datetime, days: int = LOOKAHEAD_DAYS) -> list[Window]:
    """Windows that close after ``now`` - 1 day, up to ``days`` ahead, in order."""
    tz = ZoneInfo(s.tz)
    if s.kind == "once":
        return [Window(datetime.fromisoformat(s.start).replace(tzinfo=tz).astimezone(UTC),
                       datetime.fromisoformat(s.end).replace(tzinfo=tz).astimezone(UTC))]
    today = now.astimezone(tz).date()
    out = []
    for offset in range(-1, days):  # yesterday: a window that opened then may still be open past midnight
        w = _daily_window(s, today + timedelta(days=offset), tz)
        if w is not None and w.closes > w.opens:
            out.append(w)
    return out


def open_window(s: ScheduleLike, now: datetime) -> Window | None:
    """The window open at ``now`` (UTC-aware), or None."""
    for w in windows_around(s, now, 1):
        if w.contains(now):
            return w
    return None


def next_window(s: ScheduleLike, now: datetime) -> Window | None:
    """The window open now, else the next one to open; None when none is left (a past one-off)."""
    for w in windows_around(s, now):
        if w.closes > now:
            return w
    return None


def due_window(s: ScheduleLike, now: datetime, lead_s: float) -> Window | None:
    """The window open at ``now``, or the one opening within ``lead_s`` (its stream starts that much ahead)."""
    w = next_window(s, now)
    return w if w is not None and w.opens - timedelta(seconds=lead_s) <= now else None
