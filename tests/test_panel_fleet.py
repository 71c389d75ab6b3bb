"""The fleet overview in Debian's Chromium (Playwright): three live rooms in a grid with moving thumbnails, sorted and
filtered, one of them with an output to a port that refuses connections so the service raises `output_down` on it;
a tile opens its room. Set STREAMER_SCREENSHOTS=1 to refresh docs/images/fleet.png and fleet_alert.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from ports import refused_port
from test_control_support import LiveServer, wait_for

from streamer.control.alerts import AlertRules

pytest.importorskip("playwright", reason="pip install playwright (the PyPI package; Debian's chromium is used)")
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Page, Route, expect, sync_playwright  # noqa: E402
from test_panel import CHROMIUM_ARGS, log_in, shot  # noqa: E402

ROOMS = ["Lamp room", "Mat room", "Kettle room"]  # the kettle room's output goes nowhere
WAIT_MS = 30_000
# output_down after 2 s; late frames (a loaded test machine has them) never alert here: one alert, on one room
QUIET_BUT_OUTPUTS = AlertRules(output_down_s=2, late_frames_per_min=1_000_000, clear_s=5)

# A hash of what each tile's thumbnail shows now, drawn onto a small canvas: {room name: hash or null}.
THUMB_HASHES = """() => Object.fromEntries([...document.querySelectorAll('.fleet-tile')].map((tile) => {
  const img = tile.querySelector('.fleet-thumb img');
  if (img.hidden || !img.complete || !img.naturalWidth) return [tile.querySelector('.fleet-name').textContent, null];
  const c = document.createElement('canvas'); c.width = 64; c.height = 36;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0, 64, 36);
  const d = g.getImageData(0, 0, 64, 36).data; let x = 0;
  for (let k = 0; k < d.length; k += 4) x = (x * 31 + d[k] + d[k + 1] * 3 + d[k + 2] * 7) >>> 0;
  return [tile.querySelector('.fleet-name').textContent, x];
}))"""


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    """Three live rooms on one service, started once for the module (three encoders are the expensive part); the
    tests only look at them and open one, so they pass in any order."""
    tmp = tmp_path_factory.mktemp("fleet")
    with refused_port() as port, LiveServer(tmp, alert_rules=QUIET_BUT_OUTPUTS) as server:
        ids = {name: server.create_stream(name) for name in ROOMS[:2]}
        ids["Kettle room"] = server.create_stream("Kettle room", outputs=[f"rtmp://127.0.0.1:{port}/live/kettle-key"])
        for sid in ids.values():
            server.start_live(sid)
        wait_for(lambda: any(a["kind"] == "output_down" and a["stream"] == ids["Kettle room"]
                             for a in server.client.get("/api/alerts", params={"state": "raised"}).json()),
                 30, "the kettle room's output_down alert")
        yield server, ids
        for sid in ids.values():
            server.client.post(f"/api/streams/{sid}/stop")
        for sid in ids.values():
            server.wait_state(sid, "stopped", 30)


@pytest.fixture
def page(fleet: tuple[LiveServer, dict[str, str]]) -> Iterator[Page]:
    server, _ = fleet
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1440, "height": 900}, locale="en-US")
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        log_in(pg, server)
        pg.click("#fleet-toggle")
        expect(pg.locator("#fleet")).to_be_visible()
        yield pg
        browser.close()
        assert not errors, errors


def names(page: Page) -> list[str]:
    return page.locator(".fleet-tile:visible .fleet-name").all_text_contents()


def test_the_grid_shows_every_room_with_a_thumbnail_that_moves(page: Page, tmp_path: Path) -> None:
    expect(page.locator(".fleet-tile")).to_have_count(3)
    expect(page.locator(".fleet-tile .fleet-thumb img:visible")).to_have_count(3, timeout=WAIT_MS)
    widths = page.locator(".fleet-thumb img").evaluate_all("(imgs) => imgs.map((i) => i.naturalWidth)")
    assert widths == [320, 320, 320]  # the service's preview size: a real JPEG, not a placeholder
    seen: dict[str, set[int]] = {name: set() for name in ROOMS}
    for _ in range(8):
        for name, digest in page.evaluate(THUMB_HASHES).items():
            if digest is not None:
                seen[name].add(digest)
        page.wait_for_timeout(1000)
    assert all(len(hashes) >= 3 for hashes in seen.values()), {n: len(h) for n, h in seen.items()}
    for tile in page.locator(".fleet-tile").all():
        expect(tile.locator("dd[data-key=fps]")).not_to_have_text("-", timeout=10_000)
        expect(tile.locator("dd[data-key=late_frames]")).to_have_text(re.compile(r"^\d+$"))
        expect(tile).to_have_attribute("data-state", "live")
    shot(page, "fleet.png", tmp_path)


def test_a_raised_alert_shows_on_its_rooms_tile_only(page: Page, tmp_path: Path) -> None:
    kettle = page.locator(".fleet-tile", has_text="Kettle room")
    expect(kettle).to_have_class("fleet-tile alerting")
    expect(kettle.locator(".fleet-alerts")).to_contain_text("output down")
    expect(kettle.locator(".fleet-outputs li")).to_contain_text("/live/****", timeout=10_000)  # the key masked
    expect(kettle.locator(".fleet-outputs li")).not_to_have_attribute("data-state", "live")
    expect(page.locator(".fleet-tile.alerting")).to_have_count(1)
    expect(page.locator(".fleet-thumb img:visible")).to_have_count(3, timeout=WAIT_MS)  # a full picture to show
    shot(page, "fleet_alert.png", tmp_path)


def test_the_grid_sorts_by_name_state_late_frames_and_alerts(page: Page) -> None:
    counted = page.locator(".fleet-tile dd[data-key=late_frames]", has_text=re.compile(r"^\d+$"))
    expect(counted).to_have_count(3, timeout=10_000)  # every room's health has come in
    assert names(page) == ["Kettle room", "Lamp room", "Mat room"]  # by name, the default
    page.select_option(".fleet-sort", "alerts")
    assert names(page)[0] == "Kettle room"
    page.select_option(".fleet-sort", "late")
    late = [int(x) for x in page.locator(".fleet-tile dd[data-key=late_frames]").all_text_contents()]
    assert late == sorted(late, reverse=True)
    page.select_option(".fleet-sort", "state")  # all live: the name breaks the tie
    assert names(page) == ["Kettle room", "Lamp room", "Mat room"]


def test_the_text_box_and_the_state_filter_narrow_the_grid(page: Page) -> None:
    expect(page.locator(".fleet-tile")).to_have_count(3)
    page.fill(".fleet-filter", "LAMP")
    expect(page.locator(".fleet-tile:visible")).to_have_count(1)
    assert names(page) == ["Lamp room"]
    page.fill(".fleet-filter", "room")
    page.select_option(".fleet-state-filter", "stopped")
    expect(page.locator(".fleet-tile:visible")).to_have_count(0)
    expect(page.locator(".fleet p.muted")).to_have_text("No room matches.")
    page.select_option(".fleet-state-filter", "live")
    expect(page.locator(".fleet-tile:visible")).to_have_count(3)


def test_a_tile_opens_its_room(page: Page) -> None:
    page.locator(".fleet-tile", has_text="Mat room").click()
    expect(page.locator("#fleet")).to_be_hidden()
    expect(page.locator("#stream-name")).to_have_text("Mat room")
    expect(page.locator("#stream-state")).to_have_text("live")


def test_the_grid_follows_every_page_of_the_room_list(fleet: tuple[LiveServer, dict[str, str]]) -> None:
    server, _ = fleet
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1440, "height": 900}, locale="en-US")
        asked: list[str] = []

        def two_a_page(route: Route) -> None:  # the first request asks for pages of 2: the third room is on page 2
            asked.append(route.request.url)
            route.continue_(url=route.request.url.replace("limit=100", "limit=2"))

        pg.route(re.compile(r"/api/streams\?limit=100$"), two_a_page)
        pg.route(re.compile(r"/api/streams\?.*cursor="), lambda route: (asked.append(route.request.url),
                                                                       route.continue_()))
        log_in(pg, server)
        pg.click("#fleet-toggle")
        expect(pg.locator(".fleet-tile")).to_have_count(3)
        assert any("cursor=" in url for url in asked)
        browser.close()


def test_names_reach_the_tiles_as_text_and_the_grid_speaks_chinese(fleet: tuple[LiveServer, dict[str, str]],
                                                                   page: Page) -> None:
    server, _ = fleet
    hostile = '<img src=x onerror="window.pwned=1">'
    sid = server.create_stream(hostile)
    try:
        page.click("#fleet-toggle")  # back to the room view, and to the fleet again: the list is read anew
        page.click("#fleet-toggle")
        expect(page.locator(".fleet-tile")).to_have_count(4, timeout=10_000)
        expect(page.locator(".fleet-tile", has_text="onerror")).to_have_attribute("data-state", "stopped")
        assert page.locator(".fleet-grid .fleet-head img").count() == 0 and not page.evaluate("window.pwned")
        page.click("#lang")
        expect(page.locator(".fleet-bar h2")).to_have_text("全部直播间")
        expect(page.locator(".fleet-tile", has_text="onerror").locator(".badge").first).to_have_text("已停播")
    finally:
        assert server.client.delete(f"/api/streams/{sid}").status_code in (200, 204)
