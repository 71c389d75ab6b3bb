"""Alerts: the service's rules turn the health and state it hears into one raised and one resolved event per
occurrence (no flapping), and each is POSTed signed to the alert webhooks, retried, without holding up the service.

The rules run on a hand-moved clock (no waiting); the delivery against a real HTTP receiver; and the product path
against `streamer serve` pushing to a real nginx-rtmp ingest that is killed and brought back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from faults import figure
from pydantic import ValidationError
from rtmp_server import RtmpServer
from test_control_support import LiveServer, wait_for
from webhook_receiver import WebhookReceiver

from streamer.control.alert_webhook import AlertWebhooks, redact_webhook
from streamer.control.alerts import AlertBook, AlertRules
from streamer.control.bus import Event
from streamer.control.schemas import StreamSettings

SECRET = "alert-secret-7f3a"
OUT = "rtmp://127.0.0.1:1935/live/****"
WAIT_S = 15


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def book(clock: Clock, events: list[Event]) -> AlertBook:
    return AlertBook(AlertRules(output_down_s=10, late_frames_per_min=30, restarts=3, restarts_window_s=600,
                                window_missed_s=30, clear_s=5), events.append, clock)


def health(output: str = "live", late: int = 0, tts: dict[str, Any] | None = None,
           llm: dict[str, Any] | None = None) -> Event:
    return {"type": "health", "stream": "s1", "run": 7, "at": 0, "late_frames": late,
            "outputs": {OUT: {"state": output, "last_error": "" if output == "live" else "connection lost"}},
            "tts": tts or {"engine": "piper", "breakers": {"piper": "closed", "espeak": "closed"}},
            "llm": llm or {"backend": "none"}}


def seconds(book: AlertBook, clock: Clock, n: int, event: Event | None = None, windows: dict[str, float] | None
            = None) -> None:
    """``n`` seconds of a stream's life: its health (or nothing) once a second, then the rules."""
    for _ in range(n):
        clock.now += 1
        if event is not None:
            book.observe(event)
        book.evaluate(windows or {}, lambda _: False)


def states(events: list[Event], kind: str) -> list[str]:
    return [e["state"] for e in events if e["kind"] == kind]


def test_an_output_down_for_less_than_the_threshold_raises_nothing(book: AlertBook, clock: Clock,
                                                                   events: list[Event]) -> None:
    seconds(book, clock, 8, health("reconnecting"))
    seconds(book, clock, 30, health("live"))
    assert events == []


def test_an_output_down_past_the_threshold_is_raised_once_however_long_it_stays_down(
        book: AlertBook, clock: Clock, events: list[Event]) -> None:
    seconds(book, clock, 11, health("reconnecting"))
    assert states(events, "output_down") == ["raised"]
    seconds(book, clock, 120, health("reconnecting"))
    assert len(events) == 1
    alert = events[0]
    assert (alert["stream"], alert["run"], alert["subject"], alert["type"]) == ("s1", 7, OUT, "alert")
    assert "connection lost" in alert["message"] and book.active()[0].id == alert["id"]


def test_an_output_that_flaps_keeps_its_one_alert_and_resolves_once_it_holds(book: AlertBook, clock: Clock,
                                                                              events: list[Event]) -> None:
    seconds(book, clock, 12, health("reconnecting"))
    for _ in range(5):  # reconnects for a few seconds, drops again: shorter than the hold-down
        seconds(book, clock, 3, health("live"))
        seconds(book, clock, 2, health("reconnecting"))
    assert states(events, "output_down") == ["raised"]
    seconds(book, clock, 6, health("live"))
    assert states(events, "output_down") == ["raised", "resolved"]
    assert events[0]["id"] == events[1]["id"] and events[1]["resolved_at"] > events[1]["since"]
    assert book.active() == []


def test_late_frames_over_the_threshold_in_a_minute_raise_and_under_it_do_not(book: AlertBook, clock: Clock,
                                                                               events: list[Event]) -> None:
    late = 0
    for _ in range(120):  # 25 a minute: under 30
        late += 25 / 60
        seconds(book, clock, 1, health(late=int(late)))
    assert events == []
    for _ in range(60):  # 60 a minute
        late += 1
        seconds(book, clock, 1, health(late=int(late)))
    assert states(events, "late_frames") == ["raised"]
    assert "in the last minute" in events[0]["message"]


def test_a_voice_on_its_fallback_engine_and_a_model_with_an_open_breaker_each_raise(
        book: AlertBook, clock: Clock, events: list[Event]) -> None:
    seconds(book, clock, 2, health(tts={"engine": "espeak", "breakers": {"piper": "open", "espeak": "closed"}},
                                   llm={"backend": "openai:qwen", "breaker": "open", "last_error": "timed out"}))
    assert sorted(e["kind"] for e in events) == ["llm_fallback", "tts_fallback"]
    seconds(book, clock, 6, health())
    assert sorted(e["kind"] for e in events if e["state"] == "resolved") == ["llm_fallback", "tts_fallback"]


def test_three_restarts_in_ten_minutes_raise_and_two_do_not(book: AlertBook, clock: Clock,
                                                            events: list[Event]) -> None:
    restarting = {"type": "state", "stream": "s1", "run": 7, "state": "restarting"}
    for _ in range(2):
        book.observe(restarting)
        seconds(book, clock, 200)
    assert events == []
    book.observe(restarting)
    seconds(book, clock, 1)
    assert states(events, "worker_restarts") == ["raised"]
    seconds(book, clock, 600)  # the restarts age out of the window
    assert states(events, "worker_restarts") == ["raised", "resolved"]


def test_a_window_open_past_its_grace_with_the_stream_not_live_is_missed(book: AlertBook, clock: Clock,
                                                                         events: list[Event]) -> None:
    opened = {"s1": clock.now}
    seconds(book, clock, 25, windows=opened)
    assert events == []
    seconds(book, clock, 10, windows=opened)
    assert states(events, "window_missed") == ["raised"]
    seconds(book, clock, 6, windows={})  # the window closed
    assert states(events, "window_missed") == ["raised", "resolved"]


def test_a_stream_that_stops_resolves_what_its_health_said(book: AlertBook, clock: Clock,
                                                           events: list[Event]) -> None:
    seconds(book, clock, 11, health("reconnecting"))
    book.observe({"type": "state", "stream": "s1", "run": 7, "state": "stopped"})
    seconds(book, clock, 6)
    assert states(events, "output_down") == ["raised", "resolved"]


def test_the_thresholds_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="output_down_s"):
        AlertRules(output_down_s=-1)
    with pytest.raises(ValueError, match="restarts"):
        AlertRules(restarts=0)


def test_a_webhook_url_reads_back_without_its_path_or_password() -> None:
    assert redact_webhook("https://hooks.example.com/services/T0/B0/s3cr3t") == "https://hooks.example.com/****"
    assert redact_webhook("http://bob:pw@10.0.0.2:8080/") == "http://10.0.0.2:8080/****"


async def test_an_alert_reaches_a_failing_receiver_on_a_retry_signed_and_the_secret_is_never_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with WebhookReceiver(SECRET) as receiver:
        receiver.fail_next = 2

        async def no_stream_hook(_: str) -> str | None:
            return None

        hooks = AlertWebhooks(receiver.url, SECRET, no_stream_hook, backoff_s=(0.05, 0.1, 0.2))
        try:
            hooks.send({"type": "alert", "id": "al_1", "kind": "output_down", "state": "raised", "stream": "s1"})
            await asyncio.to_thread(wait_for, lambda: receiver.received, WAIT_S, "the delivery")
        finally:
            await hooks.close()
    [got] = receiver.received
    assert got.signed and got.body["id"] == "al_1" and got.headers["X-Alert-Id"] == "al_1"
    assert "503" in caplog.text and SECRET not in caplog.text


async def test_a_streams_own_webhook_gets_its_alerts_as_well_as_the_service_webhook() -> None:
    with WebhookReceiver(SECRET) as service_hook, WebhookReceiver(SECRET, "/room") as room_hook:

        async def room_webhook(stream: str) -> str | None:
            return room_hook.url if stream == "s1" else None

        hooks = AlertWebhooks(service_hook.url, SECRET, room_webhook, backoff_s=(0.05,))
        try:
            for stream in ("s1", "s2"):
                hooks.send({"type": "alert", "id": f"al_{stream}", "state": "raised", "stream": stream})
            await asyncio.to_thread(wait_for, lambda: len(service_hook.received) == 2 and room_hook.received,
                                    WAIT_S, "the deliveries")
        finally:
            await hooks.close()
    assert [r.body["id"] for r in room_hook.received] == ["al_s1"]
    assert all(r.signed for r in [*service_hook.received, *room_hook.received])


def test_a_streams_webhook_reads_back_masked_and_the_mask_sent_back_keeps_it() -> None:
    url = "https://hooks.example.com/services/T0/s3cr3t"
    settings = StreamSettings(alert_webhook=url)
    assert settings.model_dump(mode="json")["alert_webhook"] == "https://hooks.example.com/****"
    assert settings.stored()["alert_webhook"] == url
    sent_back = StreamSettings(alert_webhook="https://hooks.example.com/****").keep_secrets_of(settings)
    assert sent_back.stored()["alert_webhook"] == url
    with pytest.raises(ValidationError, match="http:// or https://") as refused:
        StreamSettings(alert_webhook="ftp://hooks.example.com/s3cr3t")
    assert "s3cr3t" not in refused.value.errors()[0]["msg"]  # the message the API answers with


# --- the product path --------------------------------------------------------------------------------------------

@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(SECRET) as r:
        yield r


def output_alert(state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda b: b.get("kind") == "output_down" and b.get("state") == state


def outputs_live(server: LiveServer, sid: str) -> bool:
    outputs = (server.health(sid).get("health") or {}).get("outputs") or {}
    return bool(outputs) and all(o["state"] == "live" for o in outputs.values())


@pytest.mark.slow
def test_a_killed_ingest_reaches_the_webhook_within_30_s_signed_and_clears_when_it_is_back(
        tmp_path: Path, rtmp_server: RtmpServer, receiver: WebhookReceiver) -> None:
    with LiveServer(tmp_path, alert_webhook=receiver.url, alert_secret=SECRET) as server:
        sid = server.create_stream("alert room", outputs=[f"{rtmp_server.url}/alert-key"])
        server.start_live(sid)
        wait_for(lambda: outputs_live(server, sid), 30, "the RTMP output to be live")
        rtmp_server.kill()
        killed = time.monotonic()
        [raised] = wait_for(lambda: receiver.matching(output_alert("raised")), 30, "the alert at the webhook")
        raised_s = raised.at - killed
        assert raised.signed and raised.body["stream"] == sid and "alert-key" not in raised.body["subject"]
        listed = server.client.get("/api/alerts", params={"state": "raised", "stream": sid}).json()
        assert [a["id"] for a in listed] == [raised.body["id"]]

        rtmp_server.start()  # the same port: the output reconnects by itself
        back = time.monotonic()
        [resolved] = wait_for(lambda: receiver.matching(output_alert("resolved")), 45, "the resolved alert")
        assert resolved.signed and resolved.body["id"] == raised.body["id"]
        assert [a for a in server.client.get("/api/alerts", params={"state": "raised"}).json()
                if a["kind"] == "output_down"] == []
        assert len(receiver.matching(output_alert("raised"))) == 1
    figure("alert_rtmp_killed", raised_s=round(raised_s, 2), resolved_s=round(resolved.at - back, 2))
    print(f"ingest killed -> webhook: {raised_s:.1f} s; ingest back -> resolved: {resolved.at - back:.1f} s")


def test_the_alert_list_pages_with_a_cursor(tmp_path: Path) -> None:
    with LiveServer(tmp_path) as server:
        book = server.services.alerts.book

        async def three_restarted_streams() -> None:  # on the service's loop, which owns the book
            book.rules = AlertRules(restarts=1)
            for n in range(3):
                book.observe({"type": "state", "stream": f"s{n}", "run": None, "state": "restarting"})

        asyncio.run_coroutine_threadsafe(three_restarted_streams(), server.services.loop).result(WAIT_S)
        wait_for(lambda: len(book.active()) == 3, WAIT_S, "three alerts")
        first = server.client.get("/api/alerts", params={"limit": 2})
        assert [a["stream"] for a in first.json()] == ["s0", "s1"]
        next_url = first.headers["Link"].split(">")[0].lstrip("<")
        rest = server.client.get(next_url)
        assert [a["stream"] for a in rest.json()] == ["s2"] and "Link" not in rest.headers
        refused = server.client.get("/api/alerts", params={"cursor": "nonsense"})
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"


def test_the_panel_shows_a_raised_alert_on_its_room_and_drops_it_when_resolved(tmp_path: Path) -> None:
    pytest.importorskip("playwright", reason="pip install playwright (Debian's chromium is used)")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import expect, sync_playwright
    from test_panel import CHROMIUM_ARGS, log_in

    with LiveServer(tmp_path) as server:
        sid = server.create_stream("Lamp room")
        book, loop, clock = server.services.alerts.book, server.services.loop, Clock()
        clock.now = time.time()

        async def on_the_loop(output: str) -> None:  # the service's loop owns the book (and ticks it each second)
            book.clock = clock
            book.observe(health(output) | {"stream": sid})

        def hear(output: str) -> None:
            asyncio.run_coroutine_threadsafe(on_the_loop(output), loop).result(WAIT_S)

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            log_in(page, server)
            hear("reconnecting")
            clock.now += 11  # down for longer than the rule's 10 s
            strip = page.locator("#alerts")
            expect(strip).to_contain_text("Lamp room", timeout=WAIT_S * 1000)
            expect(strip).to_contain_text("output down")
            hear("live")
            clock.now += 6  # and live again for longer than the hold-down
            expect(strip).to_be_hidden(timeout=WAIT_S * 1000)
            browser.close()
        assert not errors, errors
