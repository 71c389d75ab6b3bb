"""Alerts: what the service already hears about its streams (``health`` once a second, ``state`` changes, the open
schedule windows), turned into raised and resolved alerts an operator is woken for.

Rules (thresholds in `AlertRules`, each a ``kind``):

    output_down      an output not live for more than ``output_down_s`` (default 10 s); one alert per output
    late_frames      more than ``late_frames_per_min`` late frames in the last minute
    tts_fallback     the voice speaking is not the stream's first engine, or its breaker is open
    llm_fallback     the reply model's breaker is not closed (replies come from the offline rules)
    worker_restarts  ``restarts`` worker restarts within ``restarts_window_s`` (default 3 in 10 min)
    window_missed    a schedule window open for ``window_missed_s`` and its stream not live

Every condition has a ``key`` (stream, kind, subject), stable while the service runs; an occurrence has an ``id``
(the key's hash and when it was raised) that its ``raised`` and ``resolved`` events repeat. An alert is raised once
while its condition holds, and resolved only once the condition has stayed clear for ``clear_s``: a condition that
flickers (an output that reconnects and drops again) keeps its one alert instead of paging anyone twice. Both events
go on the bus as ``{"type": "alert", "state": "raised" | "resolved", ...}`` (hence to /ws, the panel, metrics) and
to the webhooks (alert_webhook.py); `AlertBook.page` lists them for ``GET /api/alerts``.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .bus import Event, EventBus
from .scheduler.windows import open_window
from .storage import Store

log = logging.getLogger(__name__)

AlertKind = Literal["output_down", "late_frames", "tts_fallback", "llm_fallback", "worker_restarts", "window_missed"]
ALERT_KINDS: tuple[str, ...] = AlertKind.__args__  # type: ignore[attr-defined]
TICK_S = 1.0
KEPT_ALERTS = 2000  # occurrences listed by GET /api/alerts (resolved ones are forgotten oldest first)
LATE_WINDOW_S = 60.0


@dataclass(frozen=True, slots=True)
class AlertRules:
    output_down_s: float = 10.0
    late_frames_per_min: int = 30
    restarts: int = 3
    restarts_window_s: float = 600.0
    window_missed_s: float = 30.0
    clear_s: float = 5.0  # the hold-down: a condition clear this long resolves its alert

    def __post_init__(self) -> None:
        for name in ("output_down_s", "restarts_window_s", "window_missed_s", "clear_s"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"alert rules: {name} must be 0 or more seconds")
        if self.late_frames_per_min < 1 or self.restarts < 1:
            raise ValueError("alert rules: late_frames_per_min and restarts must be 1 or more")


@dataclass(slots=True)
class Alert:
    id: str
    key: str
    kind: str
    stream: str
    subject: str | None
    message: str
    since: float  # Unix seconds: raised
    run: int | None = None
    resolved_at: float | None = None
    seq: int = 0  # the order alerts were raised in: the list's sort key

    def event(self) -> Event:
        return {"type": "alert", "id": self.id, "key": self.key, "kind": self.kind,
                "state": "raised" if self.resolved_at is None else "resolved", "stream": self.stream,
                "run": self.run, "subject": self.subject, "message": self.message, "since": self.since,
                "resolved_at": self.resolved_at, "at": self.resolved_at or self.since}


@dataclass(slots=True)
class _Condition:
    kind: str
    stream: str
    subject: str | None
    hold_s: float  # how long it must hold before the alert is raised
    message: str = ""
    true_since: float | None = None
    false_since: float | None = None
    alert: Alert | None = None


@dataclass(slots=True)
class _StreamSeen:
    run: int | None = None
    late: deque[tuple[float, int]] = field(default_factory=deque)  # (at, cumulative late frames)
    restarts: deque[float] = field(default_factory=deque)


def _tts_fallback(tts: Any) -> str | None:
    if not isinstance(tts, dict) or not isinstance(tts.get("breakers"), dict) or not tts["breakers"]:
        return None
    first, state = next(iter(tts["breakers"].items()))
    if tts.get("engine") != first:
        return f"speaking with {tts.get('engine')} instead of {first}"
    return f"the {first} voice's breaker is {state}" if state == "open" else None


def _llm_fallback(llm: Any) -> str | None:
    if not isinstance(llm, dict) or llm.get("backend") in (None, "none"):
        return None
    breaker = llm.get("breaker")
    if breaker in (None, "closed"):
        return None
    error = f": {llm['last_error']}" if llm.get("last_error") else ""
    return f"the reply model {llm['backend']} is {breaker} (offline replies){error}"[:300]


OpenWindows = Callable[[], Awaitable[dict[str, float]]]  # stream id -> when its open window opened (Unix s)


def schedule_windows(store: Store) -> OpenWindows:
    """The open windows of the enabled schedules, without the streams an operator stopped inside theirs."""

    def read() -> dict[str, float]:
        now = datetime.now(UTC)
        found: dict[str, float] = {}
        for sched in store.list_schedules(enabled_only=True):
            win = open_window(sched, now)
            if win is not None:
                found[sched.stream_id] = min(found.get(sched.stream_id, math.inf), win.opens.timestamp())
        held = {row.id for row in store.list_streams(found) if row.hold_until is not None
                and row.hold_until.replace(tzinfo=row.hold_until.tzinfo or UTC) > now}
        return {k: v for k, v in found.items() if k not in held}

    async def windows() -> dict[str, float]:
        return await asyncio.to_thread(read)

    return windows


class AlertBook:
    """The rules' state for every stream. ``observe`` takes bus events, ``evaluate`` raises and resolves (both
    called from the event loop; ``now`` is Unix seconds, injectable so tests need no waiting)."""

    def __init__(self, rules: AlertRules, publish: Callable[[Event], None],
                 clock: Callable[[], float] = time.time) -> None:
        self.rules = rules
        self.publish = publish
        self.clock = clock
        self._conditions: dict[str, _Condition] = {}
        self._streams: dict[str, _StreamSeen] = {}
        self._alerts: deque[Alert] = deque()
        self._seq = itertools.count(1)

    # --- what the service hears --------------------------------------------------------------------------------
    def observe(self, event: Event) -> None:
        stream = event.get("stream")
        if not isinstance(stream, str):
            return
        seen = self._streams.setdefault(stream, _StreamSeen())
        now = self.clock()
        if event.get("run") is not None:
            seen.run = event["run"]
        if event.get("type") == "health":
            self._health(stream, seen, event, now)
        elif event.get("type") == "state":
            self._state(stream, seen, event, now)

    def _health(self, stream: str, seen: _StreamSeen, h: Event, now: float) -> None:
        r = self.rules
        got = h.get("outputs")
        outputs: dict[str, Any] = got if isinstance(got, dict) else {}
        for name, out in outputs.items():
            state = out.get("state") if isinstance(out, dict) else None
            err = f" ({out.get('last_error')})" if isinstance(out, dict) and out.get("last_error") else ""
            self._set("output_down", stream, name, state != "live", r.output_down_s, now,
                      f"output {name} is {state}{err}"[:300])
        for key, cond in self._conditions.items():  # an output the stream no longer has is not down
            if cond.kind == "output_down" and cond.stream == stream and cond.subject not in outputs:
                self._set_cond(key, cond, False, now, cond.message)
        late = h.get("late_frames")
        if isinstance(late, int):
            seen.late.append((now, late))
            while len(seen.late) > 1 and seen.late[1][0] <= now - LATE_WINDOW_S:
                seen.late.popleft()
            per_min = late - seen.late[0][1]
            self._set("late_frames", stream, None, per_min > r.late_frames_per_min, 0, now,
                      f"{per_min} late frames in the last minute (threshold {r.late_frames_per_min})")
        tts = _tts_fallback(h.get("tts"))
        self._set("tts_fallback", stream, None, tts is not None, 0, now, tts or "")
        llm = _llm_fallback(h.get("llm"))
        self._set("llm_fallback", stream, None, llm is not None, 0, now, llm or "")

    def _state(self, stream: str, seen: _StreamSeen, ev: Event, now: float) -> None:
        state = ev.get("state")
        if state == "restarting":
            seen.restarts.append(now)
        if state in ("stopping", "stopped", "failed"):  # no more health: what it said no longer holds
            for key, cond in self._conditions.items():
                if cond.stream == stream and cond.kind in ("output_down", "late_frames", "tts_fallback",
                                                           "llm_fallback"):
                    self._set_cond(key, cond, False, now, cond.message)
        seen.late.clear()  # a new worker counts its late frames from 0

    # --- raising and resolving ---------------------------------------------------------------------------------
    def evaluate(self, open_windows: dict[str, float], live: Callable[[str], bool]) -> None:
        """Apply the time-based rules (restarts in their window, missed windows) and raise or resolve every
        condition whose hold or hold-down is over."""
        now, r = self.clock(), self.rules
        for stream, seen in self._streams.items():
            while seen.restarts and seen.restarts[0] <= now - r.restarts_window_s:
                seen.restarts.popleft()
            n = len(seen.restarts)
            self._set("worker_restarts", stream, None, n >= r.restarts, 0, now,
                      f"the worker restarted {n} times in {r.restarts_window_s / 60:g} min")
        for stream, opened in open_windows.items():
            self._streams.setdefault(stream, _StreamSeen())
            late_s = now - opened
            self._set("window_missed", stream, None, late_s >= r.window_missed_s and not live(stream), 0, now,
                      f"a scheduled window opened {late_s:.0f} s ago and the stream is not live")
        for key, cond in self._conditions.items():
            if cond.kind == "window_missed" and cond.stream not in open_windows:
                self._set_cond(key, cond, False, now, cond.message)
        for key, cond in self._conditions.items():
            self._transition(key, cond, now)

    def _set(self, kind: str, stream: str, subject: str | None, holds: bool, hold_s: float, now: float,
             message: str) -> None:
        key = f"{stream}/{kind}" + (f"/{subject}" if subject else "")
        cond = self._conditions.get(key)
        if cond is None:
            if not holds:
                return
            cond = self._conditions[key] = _Condition(kind, stream, subject, hold_s)
        self._set_cond(key, cond, holds, now, message)

    @staticmethod
    def _set_cond(key: str, cond: _Condition, holds: bool, now: float, message: str) -> None:
        if holds:
            cond.message = message
            cond.false_since = None
            if cond.true_since is None:
                cond.true_since = now
        else:
            cond.true_since = None
            if cond.false_since is None:
                cond.false_since = now

    def _transition(self, key: str, cond: _Condition, now: float) -> None:
        if cond.alert is None and cond.true_since is not None and now - cond.true_since >= cond.hold_s:
            digest = hashlib.sha256(key.encode()).hexdigest()[:12]
            cond.alert = Alert(f"al_{digest}_{int(now * 1000)}", key, cond.kind, cond.stream, cond.subject,
                               cond.message, round(now, 3), run=self._streams[cond.stream].run, seq=next(self._seq))
            self._keep(cond.alert)
            log.warning("alert raised: %s on %s: %s", cond.kind, cond.stream, cond.message)
            self.publish(cond.alert.event())
        elif cond.alert is not None and cond.false_since is not None and now - cond.false_since >= self.rules.clear_s:
            alert, cond.alert = cond.alert, None
            alert.resolved_at = round(now, 3)
            log.info("alert resolved: %s on %s after %.0f s", alert.kind, alert.stream, now - alert.since)
            self.publish(alert.event())

    def _keep(self, alert: Alert) -> None:
        self._alerts.append(alert)
        while len(self._alerts) > KEPT_ALERTS:
            oldest = next((a for a in self._alerts if a.resolved_at is not None), None)
            if oldest is None:
                break
            self._alerts.remove(oldest)

    # --- reading ----------------------------------------------------------------------------------------------
    def active(self) -> list[Alert]:
        return [a for a in self._alerts if a.resolved_at is None]

    def listed(self, streams: frozenset[str] | None = None, state: str | None = None,
               stream: str | None = None) -> list[Alert]:
        """Alerts in the order they were raised, narrowed to what a token sees and asks for."""
        return [a for a in self._alerts
                if (streams is None or a.stream in streams) and (stream is None or a.stream == stream)
                and (state is None or (state == "raised") == (a.resolved_at is None))]


class AlertEvaluator:
    """The service's alert task: hears ``health`` and ``state`` on the bus, evaluates every ``tick_s``, and hands
    each raised or resolved alert to ``deliver`` (the webhooks; never awaited here)."""

    def __init__(self, bus: EventBus, rules: AlertRules, open_windows: OpenWindows, live: Callable[[str], bool],
                 deliver: Callable[[Event], None], tick_s: float = TICK_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.bus = bus
        self.deliver = deliver
        self.book = AlertBook(rules, self._publish, clock)
        self.open_windows = open_windows
        self.live = live
        self.tick_s = tick_s
        self._sub = bus.subscribe(types=("health", "state"), maxsize=10_000)

    def _publish(self, event: Event) -> None:
        self.bus.publish(event)
        self.deliver(event)

    async def run(self) -> None:
        next_tick = asyncio.get_running_loop().time()
        windows: dict[str, float] = {}
        try:
            while True:
                left = next_tick - asyncio.get_running_loop().time()
                if left <= 0:
                    try:
                        windows = await self.open_windows()
                    except Exception:  # a database blip: judge the windows as last seen
                        log.exception("alerts: cannot read the schedule windows")
                    self.book.evaluate(windows, self.live)
                    next_tick += self.tick_s
                    continue
                try:
                    event = await asyncio.wait_for(self._sub.get(), left)
                except TimeoutError:
                    continue
                self.book.observe(event)
        finally:
            self._sub.close()
