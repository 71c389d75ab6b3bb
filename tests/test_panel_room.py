"""The room view in Chromium against a live service: a schedule edited in place (in its own zone), controls that
follow the stream's state, a stopped stream that shows stopped, and the health chart (vendored uPlot)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from test_control_support import LiveServer
from test_panel import log_in, panel_page

COMMANDS = ["#btn-interrupt", "#btn-pause", "#btn-resume", "#btn-switch", "#say-form button", "#comment-form button"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path) as s:
        yield s


@pytest.fixture
def page(server: LiveServer) -> Iterator[Page]:
    """The browser sits in New York, so a time shown in the browser's zone would not read as Shanghai's."""
    with panel_page(timezone_id="America/New_York") as pg:
        yield pg


def shanghai_window_not_open_now() -> tuple[str, str]:
    """A daily window that opens 2 h from now in Shanghai and lasts an hour: never open while the test runs."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    start = (now + timedelta(hours=2)).strftime("%H:00")
    end = (now + timedelta(hours=3)).strftime("%H:00")
    return start, end


def test_a_schedule_is_edited_in_place_and_its_next_time_shows_in_its_own_zone(page: Page,
                                                                               server: LiveServer) -> None:
    sid = server.create_stream("Lamp room")
    r = server.client.post(f"/api/streams/{sid}/schedules",
                           json={"kind": "daily", "start": "03:00", "end": "04:00", "tz": "Asia/Shanghai"})
    assert r.status_code == 201, r.text
    start, end = shanghai_window_not_open_now()
    log_in(page, server)
    row = page.locator("#schedule-rows tr").first
    row.locator("button.edit").click()
    form = page.locator("#schedule-rows form.schedule-edit")
    form.locator("[name=start]").fill(start)
    form.locator("[name=end]").fill(start)  # the same time: refused, and the server's reason shows in the form
    form.locator("button.save").click()
    expect(form.locator(".error")).to_contain_text("start and end are the same time")
    form.locator("[name=end]").fill(end)
    form.locator("[name=products]").fill("mat-5")
    form.locator("button.save").click()

    row = page.locator("#schedule-rows tr").first
    expect(row.locator(".window")).to_have_text(f"{start} – {end}")
    expect(row.locator(".next")).to_contain_text(f"{start} Asia/Shanghai")
    saved = server.client.get(f"/api/streams/{sid}/schedules").json()
    assert [(s["start"], s["end"], s["products"]) for s in saved] == [(start, end, ["mat-5"])]


def test_start_stop_and_commands_follow_the_stream_state(page: Page, server: LiveServer) -> None:
    server.create_stream("Lamp room")
    log_in(page, server)
    expect(page.locator("#btn-start")).to_be_enabled()
    expect(page.locator("#btn-stop")).to_be_disabled()
    for sel in COMMANDS:
        expect(page.locator(sel)).to_be_disabled()

    page.click("#btn-start")
    expect(page.locator("#btn-start")).to_be_disabled()  # at once: starting counts as running
    expect(page.locator("#stream-state")).to_have_text("live", timeout=60_000)
    expect(page.locator("#btn-stop")).to_be_enabled()
    for sel in COMMANDS:
        expect(page.locator(sel)).to_be_enabled()

    page.click("#btn-stop")
    expect(page.locator("#stream-state")).to_have_text("stopped", timeout=20_000)
    expect(page.locator("#btn-start")).to_be_enabled()
    expect(page.locator("#btn-stop")).to_be_disabled()
    expect(page.locator("#btn-interrupt")).to_be_disabled()


def test_a_stopped_stream_shows_stopped_not_its_last_live_moment(page: Page, server: LiveServer) -> None:
    server.create_stream("Lamp room")
    log_in(page, server)
    expect(page.locator(".preview-state")).to_have_text("stream stopped")  # never started: stopped, not blank
    page.click("#btn-start")
    expect(page.locator("#stream-state")).to_have_text("live", timeout=60_000)
    expect(page.locator("#caption")).not_to_be_empty(timeout=20_000)
    expect(page.locator("#health-stats dd[data-key=fps_now]")).not_to_have_text("-", timeout=10_000)
    expect(page.locator("#health-note")).to_be_hidden()

    page.click("#btn-stop")
    expect(page.locator("#stream-state")).to_have_text("stopped", timeout=20_000)
    expect(page.locator(".preview")).to_have_attribute("data-state", "ended")
    expect(page.locator(".preview-state")).to_have_text("stream stopped")
    expect(page.locator("#caption")).to_be_empty()
    expect(page.locator("#health-note")).to_contain_text("from before the stop")
    page.wait_for_timeout(2500)  # health reports come each second: none may bring the figures back
    expect(page.locator("#health-stats dd[data-key=fps_now]")).to_have_text("-")
    expect(page.locator("#caption")).to_be_empty()


def test_the_health_chart_has_axes_and_several_series_over_ten_minutes(page: Page, server: LiveServer) -> None:
    server.create_stream("Lamp room")
    log_in(page, server)
    page.click("#btn-start")
    expect(page.locator("#stream-state")).to_have_text("live", timeout=60_000)
    chart = page.locator("#health-chart .uplot")
    expect(chart).to_have_count(1)
    expect(chart.locator(".u-axis")).to_have_count(3)  # time, fps and frames, ms
    labels = chart.locator(".u-legend .u-series .u-label")
    expect(labels).to_have_text(["fps", "late frames (new)", "reply decided in (ms)"])
    page.wait_for_function("() => Number(document.querySelector('#health-chart').dataset.points) >= 3",
                           timeout=15_000)  # one report a second, each a point on every series
    kept = page.evaluate("import('/panel/chart.js').then((m) => m.POINTS)")
    assert kept >= 600  # ten minutes at one report a second, not the last minute only
